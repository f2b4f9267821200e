"""scripts/scaling_study.py: the parallel efficiencies it reports (strong: T_1 / (p T_p);
weak: per unknown on each rank), its length scaling and its table and figure. The runs
themselves (mpirun of the benchmarks) are measurements, not tests."""

from __future__ import annotations

import importlib.util

import pytest
from conftest import ROOT, serial_only

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def _script():
    spec = importlib.util.spec_from_file_location("scaling_study",
                                                  ROOT / "scripts" / "scaling_study.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_strong_efficiency_is_the_speed_up_per_rank():
    s = _script()
    pts = [{"ranks": 1, "seconds": 8.0, "unknowns": 100}, {"ranks": 2, "seconds": 5.0,
                                                           "unknowns": 100},
           {"ranks": 4, "seconds": 2.0, "unknowns": 100}]
    s.efficiencies(pts, "strong")
    assert [p["efficiency"] for p in pts] == pytest.approx([1.0, 0.8, 1.0])


def test_weak_efficiency_is_per_unknown_on_each_rank():
    """2 ranks on 2.5 times the unknowns in 1.25 times the time: the same time per unknown
    and rank, efficiency 1; the same mesh size per rank in twice the time: 0.5."""
    s = _script()
    pts = [{"ranks": 1, "seconds": 4.0, "unknowns": 1000},
           {"ranks": 2, "seconds": 5.0, "unknowns": 2500}]
    s.efficiencies(pts, "weak")
    assert pts[1]["efficiency"] == pytest.approx(1.0)
    pts = [{"ranks": 1, "seconds": 4.0, "unknowns": 1000},
           {"ranks": 2, "seconds": 8.0, "unknowns": 2000}]
    s.efficiencies(pts, "weak")
    assert pts[1]["efficiency"] == pytest.approx(0.5)


def test_lengths_scale_with_their_unit_and_bad_ones_are_refused():
    s = _script()
    assert s._length("400 um", 0.5) == "200 um"
    assert s._length("2.5 mm", 2 ** (-1 / 3)) == "1.98425 mm"
    with pytest.raises(SystemExit, match="is not '<number> <unit>'"):
        s._length("big", 1.0)


def test_table_and_figure_are_written(tmp_path):
    s = _script()
    rows = [{"problem": "stack", "kind": "strong", "ranks": r, "unknowns": 100,
             "seconds": 8.0 / r, "newton_its": 6} for r in (1, 2)]
    s.efficiencies(rows, "strong")
    s.write(rows, tmp_path, "test machine")
    table = (tmp_path / "scaling.md").read_text()
    assert "| stack | strong | 2 | 100 | 4 | 1.00 |" in table
    assert (tmp_path / "scaling.csv").read_text().count("\n") == 3
    assert (tmp_path / "scaling.png").stat().st_size > 1000
