"""Long cycling to a short: the bundled protocol, and the cycles counted before a short
(fem/run/summary.py cycling_summary)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from conftest import serial_only

from fem import api
from fem.run.summary import cycling_summary

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


@pytest.fixture(scope="module")
def case():
    return api.load("ncm811_li_long_cycling")


def _history(steps: list[int]):
    return SimpleNamespace(column=lambda name: {"step": steps}[name])


def test_protocol_is_assembly_two_formation_cycles_then_48_cycles(case):
    steps = [e for e in case.protocol if e.cycle == 0]
    cycles = [e for e in case.protocol if e.cycle > 0]
    assert len(steps) == 9 and len(cycles) == 96
    assert [e.step.current_density for e in steps[5:]] == pytest.approx([2.0] * 4)  # 0.2 mA/cm^2
    assert [e.step.current_density for e in cycles] == pytest.approx([5.0] * 96)  # 0.5 mA/cm^2
    assert case.protocol[1].step.pressure == pytest.approx(case.holder.pressure)
    assert case.interface.stop_on_short


def test_cycles_completed_without_a_short(case):
    last = case.protocol[-1].index
    assert cycling_summary(case, _history([-1, 0, last]), None) == {
        "short_cycle": None, "cycles_completed": 48}
    # stopped inside cycle 3 (its discharge): two cycles complete
    third_discharge = next(e.index for e in case.protocol if e.cycle == 3 and
                           e.step.direction < 0)
    assert cycling_summary(case, _history([0, third_discharge]), None)["cycles_completed"] == 2


@pytest.mark.parametrize(("cycle", "expected"), [(0, (None, 0)), (1, (1, 0)), (7, (7, 6))])
def test_a_short_counts_the_cycles_before_it(case, cycle, expected):
    short = SimpleNamespace(cycle=cycle)
    out = cycling_summary(case, _history([0]), short)
    assert (out["short_cycle"], out["cycles_completed"]) == expected
