"""The lab points of the validation cases land at the right events of a run's history."""

import pytest
from conftest import serial_only

from fem.output.lab_data import lab_points

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def _hist():
    return {
        "time_s": [0.0, 10.0, 1000.0, 90000.0, 90010.0, 95000.0, 100000.0],
        "step_label": ["initial load", "Press at 25 MPa for 10 s", "Rest for 24 h",
                       "Rest for 24 h", "Release to 5 MPa", "Charge at 1 mA/cm^2 for 1 h",
                       "Rest for 1 h"],
        "current_density_mA_cm2": [0, 0, 0, 0, 0, 1.0, 0],
        "cycle": [0, 0, 0, 0, 0, 1, 1],
    }


def test_hold_points_follow_the_start_of_the_hold():
    pts = lab_points("li_symmetric_hold", _hist())
    assert [(t, p) for t, p, _ in pts] == [(1810.0, 23.0), (86410.0, 21.1)]


def test_end_of_first_charge_and_unknown_case():
    (t, p, label), = lab_points("ncm811_li_fixed_gap", _hist())
    assert t == pytest.approx(95000.0) and p == 6.96 and "lab study, full cell" in label
    assert lab_points("not_a_validation_case", _hist()) == []


def test_points_past_the_end_of_the_run_are_left_out():
    h = _hist()
    h["time_s"] = [0.0, 10.0, 1000.0, 2000.0, 2010.0, 2100.0, 2200.0]
    assert [p for _, p, _ in lab_points("li_symmetric_hold", h)] == [23.0]
