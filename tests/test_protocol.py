"""Protocol strings -> step objects, and their errors."""

import pytest
from conftest import serial_only

from fem.errors import ProtocolError
from fem.protocol.parser import parse_protocol, parse_step
from fem.protocol.steps import Galvanostatic, LockGap, Press, Release, Rest, SetTemperature
from fem.run.state import RunState

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def test_press_release_rest():
    (p,) = parse_step("Press at 25 MPa for 30 min")
    assert isinstance(p, Press) and p.pressure == 25e6 and p.duration == 1800
    (r,) = parse_step("Release to 5 MPa")
    assert isinstance(r, Release) and r.pressure == 5e6 and r.duration == 10
    (r,) = parse_step("release to 5 MPa over 1 min")
    assert r.duration == 60
    (s,) = parse_step("Rest for 10 min")
    assert isinstance(s, Rest) and s.duration == 600
    assert isinstance(parse_step("Lock gap")[0], LockGap)
    (t,) = parse_step("Set temperature to 40 degC")
    assert isinstance(t, SetTemperature) and t.temperature == pytest.approx(313.15)
    assert t.ramp == 0.0
    (t,) = parse_step("Set temperature to 40 degC over 30 min")
    assert t.temperature == pytest.approx(313.15) and t.ramp == 1800.0


def test_galvanostatic():
    (c,) = parse_step("Charge at 0.5 mA/cm^2 for 1 h")
    assert isinstance(c, Galvanostatic) and c.current(None) == 5.0 and c.duration == 3600
    (c,) = parse_step("Charge at 0.2 mA/cm^2 until 4.3 V")
    assert c.until_voltage == 4.3 and c.duration is None
    (d,) = parse_step("Discharge at C/10 until 2.5 V")
    assert d.c_rate == pytest.approx(0.1) and d.current(36000.0) == pytest.approx(-1.0)
    (d,) = parse_step("Discharge at 2C for 10 min")
    assert d.c_rate == 2.0
    with pytest.raises(ValueError, match="C-rate"):
        d.current(None)


def test_ramp_expands():
    steps = parse_step(
        "Ramp current from 0.1 to 2 mA/cm^2 in steps of 0.1 mA/cm^2 every 1 h")
    assert len(steps) == 20
    assert steps[0].current_density == pytest.approx(1.0)
    assert steps[-1].current_density == pytest.approx(20.0)
    assert all(s.duration == 3600 for s in steps)


def test_cycles_repeat():
    entries = parse_protocol({"steps": ["Press at 5 MPa for 1 min"],
                              "cycle": ["Charge at 1 mA/cm^2 for 1 h", "Rest for 1 min"],
                              "repeat": 3})
    assert len(entries) == 7
    assert [e.cycle for e in entries] == [0, 1, 1, 2, 2, 3, 3]
    assert [e.index for e in entries] == list(range(7))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Jump around", "unknown or malformed step"),
        ("Press 25 MPa", "unknown or malformed step"),
        ("Press at 25 mA for 30 min", "expected a pressure"),
        ("Press at 25 MPa for 30 V", "expected a time"),
        ("Charge at 1 mA/cm^2", "unknown or malformed step"),
        ("Charge at 1 MPa for 1 h", "expected a current density"),
        ("Rest for -5 min", "must be in [0.001 s, 3.2e+08 s]"),
        ("Set temperature to 900 degC", "must be in (200 K, 500 K)"),
        ("Ramp current from 2 to 1 mA/cm^2 in steps of 0.1 mA/cm^2 every 1 h", "end current"),
        (42, "a step is a string"),
    ],
)
def test_malformed_steps_quote_step_and_example(text, fragment):
    with pytest.raises(ProtocolError) as info:
        parse_step(text, "protocol.steps[3]")
    msg = str(info.value)
    assert "protocol.steps[3]" in msg and repr(text) in msg and fragment in msg
    if "malformed" in fragment:
        assert '"Press at 25 MPa for 30 min"' in msg


def test_empty_protocol_is_an_error():
    with pytest.raises(ProtocolError, match="no steps"):
        parse_protocol({"steps": []})


def test_constant_voltage_holds_parse():
    from fem.protocol.steps import Potentiostatic

    (a,) = parse_step("Hold at 4.3 V until C/20")
    assert isinstance(a, Potentiostatic) and a.voltage == 4.3 and a.until_c_rate == 0.05
    assert a.current_limit(40.0 * 3600.0) == pytest.approx(2.0)  # 4 mAh/cm^2: C/20 = 2 A/m^2
    (b,) = parse_step("Hold at 4.2 V until 0.05 mA/cm^2 or 3 h")
    assert b.until_current == pytest.approx(0.5) and b.max_duration == 3 * 3600.0
    (c,) = parse_step("hold at 4200 mV for 1 h")
    assert c.voltage == pytest.approx(4.2) and c.duration == 3600.0 and c.current_limit(None) is None
    (d,) = parse_step("Hold for 10 min")  # still a rest
    assert type(d).__name__ == "Rest"
    for bad in ("Hold at 0 V for 1 h", "Hold at 4.2 V until 0 mA/cm^2", "Hold at 4.2 MPa for 1 h"):
        with pytest.raises(ProtocolError):
            parse_step(bad)


def test_a_temperature_change_is_reached_linearly_over_its_ramp():
    """RunState: from the temperature at the 'Set temperature' step to the set one at the end
    of its ramp, then constant (the run's drive and history use temperature_at); the ramp is
    over once the time passes its end, and setting the same temperature again starts none."""
    st = RunState(temperature=298.15, t=100.0)
    st.set_temperature(313.15, 60.0)
    assert st.temperature_at(100.0) == pytest.approx(298.15)
    assert st.temperature_at(130.0) == pytest.approx(305.65)
    assert st.temperature_at(160.0) == st.temperature_at(1e5) == pytest.approx(313.15)
    st.advance_time(30.0)
    assert st.heating is not None
    st.set_temperature(313.15, 60.0)  # the same set point: the ramp under way goes on
    assert st.temperature_at(145.0) == pytest.approx(309.4)
    st.advance_time(30.0)
    assert st.heating is None and st.temperature_at(st.t) == 313.15
