"""The protocol against the cell and against the state each step starts from.

Each step is checked where it stands in the expanded protocol, and an error names the exact key
it comes from (``protocol.cycle[1]``):

* what the step needs from the cell: a C-rate needs a cathode (its areal capacity); a voltage
  cut-off or a constant-voltage hold needs the electrochemistry;
* the pressure it starts from: a ``Release to P`` lowers the stack pressure, so P may not lie
  above the pressure the protocol last set (``holder.pressure`` before the first Press);
* the temperature: a cell with Li metal melts at 180.5 degC (the case's temperature and every
  ``Set temperature`` step);
* the current a C-rate gives with this cathode, against the range of a current density, and
  the charge a timed step passes against the cathode's capacity (a warning: the state of charge
  it would reach is estimated from the steps before it).

The voltages of cut-offs and holds are checked against the cathode's open-circuit window with
its card's table (fem.cellstack.settings.check_protocol_voltages, before any mesh).
"""

from __future__ import annotations

import warnings

from fem.case.model import Case
from fem.errors import CaseError, CaseWarning, ProtocolError, quoted
from fem.protocol.ranges import LI_MELTING_POINT, STACK_PRESSURE, STEP_RANGES
from fem.protocol.steps import (
    Galvanostatic,
    Potentiostatic,
    Press,
    ProtocolEntry,
    Release,
    SetTemperature,
)

#: A state of charge this far outside [0, 1] after a timed step is worth a warning.
SOC_MARGIN = 0.1


def _key(e: ProtocolEntry) -> str:
    return e.key or f"protocol step {e.index}"


def has_li_metal(case: Case) -> bool:
    """Whether a layer of the cell is Li metal (class li_metal)."""
    return any(case.materials[la.material].material_class == "li_metal"
               for la in case.cell.layers)


def check_temperature(key: str, value: object, temperature: float, li_metal: bool) -> None:
    """A cell with Li metal stays below the melting point of Li."""
    if li_metal and temperature >= LI_MELTING_POINT:
        raise CaseError(key, value, f"{temperature - 273.15:.4g} degC melts the Li metal of the "
                        f"cell (Li melts at {LI_MELTING_POINT - 273.15:.4g} degC, "
                        f"{LI_MELTING_POINT} K)")


def _needs(e: ProtocolEntry, cap: float | None, echem: bool) -> None:
    """What a step needs from the cell: a cathode for a C-rate, the electrochemistry for a
    voltage."""
    st, key = e.step, _key(e)
    if isinstance(st, Galvanostatic):
        if st.c_rate is not None and cap is None:
            raise ProtocolError(key, st.text, "a C-rate needs a cathode; give the current in "
                                "mA/cm^2")
        if st.until_voltage is not None and not echem:
            raise ProtocolError(key, st.text, "a voltage cut-off needs the electrochemistry "
                                "model: set electrochemistry.enabled = true, or use "
                                "'for <duration>'")
    if isinstance(st, Potentiostatic):
        if not echem:
            raise ProtocolError(key, st.text, "a constant-voltage hold needs the "
                                "electrochemistry model: set electrochemistry.enabled = true")
        if st.until_c_rate is not None and cap is None:
            raise ProtocolError(key, st.text, "a C-rate needs a cathode; give the end current "
                                "in mA/cm^2")


def _c_rate_current(e: ProtocolEntry, cap: float) -> None:
    """The current density a C-rate gives with this cathode, against its range."""
    st = e.step
    rate = getattr(st, "c_rate", None) or getattr(st, "until_c_rate", None)
    if rate is None:
        return
    rng = STEP_RANGES["current_density"]
    i = rate * cap / 3600.0
    problem = rng.violation(i)
    if problem is not None:
        raise ProtocolError(_key(e), st.text, f"C-rate {rate:g} with this cathode "
                            f"({cap / 3.6e4:.4g} mAh/cm^2) is {rng.show(i)}, a current that "
                            f"{problem}")
    note = rng.implausibility(i)
    if note is not None:
        warnings.warn(f"{_key(e)} = {quoted(st.text)}: the current (C-rate {rate:g} of "
                      f"{cap / 3.6e4:.4g} mAh/cm^2) {note}", CaseWarning, stacklevel=4)


class _State:
    """What the protocol has set so far: the force-controlled pressure and where it was set,
    and an estimate of the cathode's state of charge (0 pristine, 1 charged)."""

    def __init__(self, case: Case):
        self.pressure = case.holder.pressure
        self.pressure_from = f"holder.pressure = {STACK_PRESSURE.show(self.pressure)}"
        self.soc = 0.0

    def pressure_step(self, e: ProtocolEntry) -> None:
        st = e.step
        if isinstance(st, Release) and st.pressure > self.pressure * (1 + 1e-9):
            raise ProtocolError(_key(e), st.text,
                                f"a release lowers the stack pressure, but the step starts from "
                                f"{STACK_PRESSURE.show(self.pressure)} ({self.pressure_from}); "
                                f"to raise it use 'Press at {STACK_PRESSURE.show(st.pressure)} "
                                "for <duration>'")
        if isinstance(st, Press | Release):
            self.pressure = st.pressure
            self.pressure_from = f"set by {_key(e)} {quoted(st.text)}"

    def charge_step(self, e: ProtocolEntry, cap: float) -> None:
        """Track the state of charge; warn when a timed step would pass more charge than the
        cathode holds (or takes back)."""
        st = e.step
        if not isinstance(st, Galvanostatic):
            return
        if st.until_voltage is not None:
            self.soc = 1.0 if st.direction > 0 else 0.0
            return
        soc = self.soc + st.current(cap) * (st.duration or 0.0) / cap
        if not -SOC_MARGIN <= soc <= 1 + SOC_MARGIN:
            warnings.warn(f"{_key(e)} = {quoted(st.text)}: from an estimated state of charge of "
                          f"{self.soc:.0%} it would take the cathode to {soc:.0%} of its "
                          f"capacity ({cap / 3.6e4:.4g} mAh/cm^2); the run stops when the state of "
                          "charge leaves [0, 1]", CaseWarning, stacklevel=4)
        self.soc = min(max(soc, 0.0), 1.0)


def check_protocol(case: Case) -> None:
    """Every protocol step against the cell and the state it starts from (see the module
    docstring). Raises a ProtocolError naming the step's key."""
    cap = case.areal_capacity
    li_metal = has_li_metal(case)
    raw_T = case.raw.get("conditions", {}).get("temperature", "25 degC")
    check_temperature("conditions.temperature", raw_T, case.temperature, li_metal)
    state = _State(case)
    for e in case.protocol:
        _needs(e, cap, case.electrochemistry)
        if isinstance(e.step, SetTemperature):
            check_temperature(_key(e), e.step.text, e.step.temperature, li_metal)
        state.pressure_step(e)
        if cap is not None and e.cycle <= 1:  # a cycle is checked once (the same each time)
            _c_rate_current(e, cap)
            state.charge_step(e, cap)
