"""The Python API (fem.api): the example of docs/user-guide.md runs as it is written, and the
API's inputs and errors."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
from conftest import ROOT

from fem import api
from fem.errors import CaseError


def _example() -> str:
    text = (ROOT / "docs" / "user-guide.md").read_text()
    m = re.search(r"<!-- api-example: run by tests/test_api.py -->\n```python\n(.*?)```", text,
                  re.S)
    assert m, "the API example of docs/user-guide.md is missing"
    return m.group(1)


def test_user_guide_example_runs(shared_tmp, comm):
    """The documented example, executed in a fresh folder: the run completes, the pressure
    rises while Li plates in the fixed gap, and read() gives the same result."""
    cwd = os.getcwd()
    os.chdir(shared_tmp)
    try:
        scope: dict = {}
        exec(compile(_example(), "user-guide.md", "exec"), scope)  # noqa: S102
    finally:
        os.chdir(cwd)
    result, same = scope["result"], scope["same"]
    assert result.status == "completed"
    p = result["stack_pressure_MPa"]
    assert isinstance(p, np.ndarray) and p.size == len(result["step_label"])
    assert p[0] == pytest.approx(3.0, rel=1e-6) and p[-1] > p[0]
    assert result.summary["results"]["max_stack_pressure_MPa"] == pytest.approx(p.max())
    np.testing.assert_array_equal(same["stack_pressure_MPa"], p)
    assert result.outdir == (shared_tmp / "results" / "flagship_3MPa")


def test_load_forms():
    """A bundled name, a path and a dict load the same case; both override forms agree."""
    by_name = api.load("li_symmetric_hold", {"holder.pressure": "3 MPa"})
    by_path = api.load(ROOT / "cases" / "li_symmetric_hold.toml", ["holder.pressure=3 MPa"])
    assert by_name.holder.pressure == by_path.holder.pressure == pytest.approx(3e6)
    again = api.load(by_name.raw, {"cell.layers[0].thickness": "50 um"})
    assert again.cell.layers[0].thickness == pytest.approx(50e-6)
    assert api.load(by_name) is by_name


def test_bad_input_is_a_case_error():
    with pytest.raises(CaseError, match="holder.pressure"):
        api.load("li_symmetric_hold", {"holder.pressure": "5 mA"})
    with pytest.raises(CaseError, match="overrides"):
        api.load("li_symmetric_hold", "holder.pressure=3 MPa")
    with pytest.raises(CaseError, match="no such case file"):
        api.load("no_such_case")
