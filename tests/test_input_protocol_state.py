"""Protocol steps against the state they start from (issue 16): a ``Release to P`` above the
pressure the protocol last set, a hold or a voltage cut-off outside the cell's voltage window
(the cathode's open-circuit table with a margin), a zero or negative duration anywhere in a
step, a temperature that melts the Li, a C-rate that gives an absurd current with this cathode,
a timed step that passes more charge than the cathode holds (a warning). Errors name the exact
key of the step (``protocol.cycle[1]``). Never the mesh or the solver."""

from __future__ import annotations

import copy

import pytest
from conftest import BASE_CASE, serial_only
from hypothesis import given
from hypothesis import strategies as st
from input_helpers import (
    BUNDLED,
    RANK0,
    cli,
    hypothesis_settings,
    one_line_error,
    private_hypothesis_home,
    verdict,
    write,
)

from fem.case.model import Case
from fem.cellstack.settings import VOLTAGE_MARGIN
from fem.electrochemistry.ocv import TABLES
from fem.errors import CaseError

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

_hypothesis_home = private_hypothesis_home()

PRESSURES = [1, 2, 5, 10, 25, 50, 75]


def _with_steps(steps: list[str], holder_mpa: float = 5, cycle: list[str] | None = None) -> dict:
    raw = copy.deepcopy(BASE_CASE)
    raw["holder"]["pressure"] = f"{holder_mpa} MPa"
    raw["protocol"] = {"steps": steps}
    if cycle:
        raw["protocol"].update(cycle=cycle, repeat=2)
    return raw


@pytest.mark.parametrize(("steps", "cycle", "key"), [
    (["Release to 50 MPa"], None, "protocol.steps[0]"),  # from holder.pressure = 5 MPa
    (["Press at 25 MPa for 1 min", "Release to 30 MPa"], None, "protocol.steps[1]"),
    (["Press at 25 MPa for 1 min", "Release to 5 MPa", "Lock gap", "Release to 10 MPa"], None,
     "protocol.steps[3]"),
    (["Lock gap"], ["Rest for 1 min", "Release to 6 MPa"], "protocol.cycle[1]"),
])
def test_a_release_above_the_pressure_it_starts_from_is_a_case_error(steps, cycle, key):
    res, _ = verdict(_with_steps(steps, cycle=cycle))
    assert isinstance(res, CaseError) and res.key == key, res
    assert "a release lowers the stack pressure" in res.allowed and "Press at" in res.allowed


@hypothesis_settings(150)
@given(holder=st.sampled_from(PRESSURES),
       ops=st.lists(st.tuples(st.sampled_from(["press", "release", "lock", "rest"]),
                              st.sampled_from(PRESSURES)), min_size=1, max_size=6))
def test_releases_against_the_last_pressure_set(holder, ops):
    """Valid exactly when every release goes to at most the pressure the protocol last set
    (the holder's before the first Press or Release); the error names the first bad release."""
    steps, current, first_bad = [], holder, None
    for i, (op, p) in enumerate(ops):
        if op == "press":
            steps.append(f"Press at {p} MPa for 1 min")
            current = p
        elif op == "release":
            steps.append(f"Release to {p} MPa")
            if p > current and first_bad is None:
                first_bad = i
            current = p
        else:
            steps.append("Lock gap" if op == "lock" else "Rest for 1 min")
    res, _ = verdict(_with_steps(steps, holder))
    if first_bad is None:
        assert isinstance(res, Case), res
    else:
        assert isinstance(res, CaseError) and res.key == f"protocol.steps[{first_bad}]", res


# ---------------------------------------------------------------------------- voltages
def _window(cathode: str, anode: str | None) -> tuple[float, float]:
    u = TABLES[cathode].U
    a = TABLES[anode].U if anode else [0.0]
    return min(u) - max(a) - VOLTAGE_MARGIN[0], max(u) - min(a) + VOLTAGE_MARGIN[1]


CELLS = {"ncm811_li_fixed_gap": ("ncm811", None), "lco_li1si": ("lco", "lixsi")}


@hypothesis_settings(120)
@given(case=st.sampled_from(sorted(CELLS)),
       volts=st.one_of(st.floats(min_value=0.001, max_value=6.0),
                       st.sampled_from([0.5, 1.0, 2.0, 2.5, 4.2, 4.3, 4.8, 5.0, 5.5, 6.0])),
       form=st.sampled_from(["Hold at {} V for 1 h", "Charge at C/10 until {} V",
                             "Discharge at C/10 until {} V", "Hold at {} V until C/20"]))
def test_voltages_against_the_cells_window(case, volts, form):
    raw = copy.deepcopy(BUNDLED[case])
    raw["protocol"]["cycle"][0] = form.format(f"{volts:.6g}")
    lo, hi = _window(*CELLS[case])
    res, _ = verdict(raw, settings_too=True)
    v = float(f"{volts:.6g}")
    if lo <= v <= hi:
        assert isinstance(res, Case), res
    else:
        assert isinstance(res, CaseError) and res.key == "protocol.cycle[0]", res
        assert "voltage window" in res.allowed


@pytest.mark.parametrize("step", ["Hold at 99 V for 1 h", "Charge at C/10 until 99 V",
                                  "Charge at 10C until 99 V or 30 min", "Hold at 5.5 V for 1 h",
                                  "Discharge at C/10 until 0.5 V"])
def test_voltages_that_cannot_be_reached_fail_check(tmp_path, step):
    """'Charge at 10C until 99 V or 30 min' passed 181 % of the cathode's capacity."""
    import tomli_w

    raw = copy.deepcopy(BUNDLED["ncm811_li_fixed_gap"])
    raw["protocol"]["cycle"][0] = step
    path = write(tmp_path, "c.toml", tomli_w.dumps(raw).encode())
    rc, out, err = cli(["check", str(path)])
    one_line_error(rc, err)
    assert out == ""
    assert "protocol.cycle[0]" in err or not RANK0


# ---------------------------------------------------------------------------- durations
@pytest.mark.parametrize("step", [
    "Charge at 0.5 mA/cm^2 until 4.3 V or -5 h", "Charge at 0.5 mA/cm^2 until 4.3 V or 0 h",
    "Charge at 0.5 mA/cm^2 for -1 h", "Rest for 0 s", "Press at 25 MPa for -1 min",
    "Release to 5 MPa over -10 s", "Hold at 4.2 V until C/20 or -1 h", "Hold at 4.2 V for 0 s",
    "Ramp current from 0.1 to 0.3 mA/cm^2 in steps of 0.1 mA/cm^2 every -1 h",
    "CCD ramp from 0.1 to 0.3 mA/cm^2 in steps of 0.1 mA/cm^2 with -10 min per half cycle",
])
def test_zero_or_negative_durations_are_case_errors(step):
    """'... until 4.3 V or -5 h' was accepted and completed with no charge passed."""
    raw = copy.deepcopy(BUNDLED["ncm811_li_fixed_gap"])
    raw["protocol"]["cycle"][1] = step
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "protocol.cycle[1]", res
    assert "must be in" in res.allowed


# ---------------------------------------------------------------------------- temperature
@pytest.mark.parametrize(("where", "value"), [("conditions", "181 degC"),
                                              ("conditions", "200 degC"),
                                              ("step", "Set temperature to 453.7 K")])
def test_temperatures_that_melt_the_li_are_case_errors(where, value):
    raw = copy.deepcopy(BASE_CASE)
    if where == "conditions":
        raw["conditions"] = {"temperature": value}
        key = "conditions.temperature"
    else:
        raw["protocol"]["steps"].insert(1, value)
        key = "protocol.steps[1]"
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == key and "melts the Li" in res.allowed, res


def test_a_cell_without_li_metal_may_be_hotter_than_li_melts():
    raw = copy.deepcopy(BUNDLED["lco_li1si"])
    raw["conditions"]["temperature"] = "190 degC"
    res, notes = verdict(raw)
    assert isinstance(res, Case), res
    assert any(n.startswith("conditions.temperature") for n in notes), notes  # implausible


# ---------------------------------------------------------------------------- currents, charge
def test_a_c_rate_that_gives_an_absurd_current_is_a_case_error():
    raw = copy.deepcopy(BASE_CASE)
    raw["protocol"]["steps"][3] = "Charge at 1000C for 1 s"  # 1000 x 3.9 mAh/cm^2 per hour
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "protocol.steps[3]", res
    assert "a current that must be in" in res.allowed


@pytest.mark.parametrize(("step", "warns"), [("Charge at C/10 for 20 h", True),
                                             ("Charge at C/10 for 5 h", False),
                                             ("Discharge at C/10 for 2 h", True)])
def test_a_timed_step_past_the_cathodes_capacity_warns(step, warns):
    raw = copy.deepcopy(BASE_CASE)
    raw["protocol"]["steps"][3] = step
    res, notes = verdict(raw)
    assert isinstance(res, Case), res
    assert any("of its capacity" in n for n in notes) == warns, notes


@pytest.mark.parametrize(("step", "fragment"), [
    ("Charge at 1 mA/cm^2 until 4.3 V", "a voltage cut-off needs the electrochemistry"),
    ("Hold at 4.2 V for 1 h", "a constant-voltage hold needs"),
])
def test_cycle_errors_name_the_cycle_key(step, fragment):
    """Was reported as 'protocol step 6' (the index in the expanded protocol)."""
    raw = _with_steps(["Press at 25 MPa for 1 min", "Release to 5 MPa"],
                      cycle=["Rest for 1 min", step])
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "protocol.cycle[1]", res
    assert fragment in res.allowed
