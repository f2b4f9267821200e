"""Protocol step objects: what the cell holder and the current do during one step.

All quantities are SI (Pa, s, A/m^2, V, K). A step is either time-limited (``duration``) or
ends on a voltage cut-off (``until_voltage``) with ``max_duration`` as a safety limit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """Base class: ``text`` is the step as written in the case file."""

    text: str

    @property
    def label(self) -> str:
        return self.text

    #: True for steps during which the platen is force controlled (assembly steps).
    force_controlled = False
    duration: float | None = None


@dataclass(frozen=True)
class Press(Step):
    """Apply ``pressure`` (force control) and hold it for ``duration``."""

    pressure: float = 0.0
    duration: float = 0.0
    force_controlled = True


@dataclass(frozen=True)
class Release(Step):
    """Lower the applied pressure to ``pressure`` (force control) over ``duration``."""

    pressure: float = 0.0
    duration: float = 10.0
    force_controlled = True


@dataclass(frozen=True)
class Rest(Step):
    """No current for ``duration``; the platen is held by the case's holder."""

    duration: float = 0.0


@dataclass(frozen=True)
class LockGap(Step):
    """Engage the holder (fixed gap / springs) at the current platen position and force."""

    duration: float = 0.0


@dataclass(frozen=True)
class SetTemperature(Step):
    """Set the cell temperature from this step on, reached linearly over ``ramp`` s while the
    next steps run (0: at once, eased in over the first time step after it)."""

    temperature: float = 298.15
    duration: float = 0.0
    ramp: float = 0.0


@dataclass(frozen=True)
class Galvanostatic(Step):
    """Constant current: ``direction`` +1 charge (Li plating at the Li metal electrode),
    -1 discharge. The current is ``current_density`` (A/m^2) or ``c_rate`` times the cell's
    areal capacity per hour. Ends after ``duration`` or at ``until_voltage``."""

    direction: int = 1
    current_density: float | None = None
    c_rate: float | None = None
    duration: float | None = None
    until_voltage: float | None = None
    max_duration: float = 100 * 3600.0
    #: current level (A/m^2) of a critical-current ramp this step belongs to, else None
    ccd_level: float | None = None

    def current(self, areal_capacity: float | None) -> float:
        """Signed current density in A/m^2 (positive = charge)."""
        if self.current_density is not None:
            return self.direction * self.current_density
        if areal_capacity is None:
            raise ValueError(f"{self.text!r}: a C-rate needs the cell's areal capacity (no cathode)")
        return self.direction * self.c_rate * areal_capacity / 3600.0


@dataclass(frozen=True)
class Potentiostatic(Step):
    """Constant voltage (CV hold): the cell voltage is held at ``voltage`` (V) and the current
    follows from the electrochemistry. Ends after ``duration``, or once the current density
    has fallen to ``until_current`` (A/m^2) or to ``until_c_rate`` times the areal capacity per
    hour, with ``max_duration`` as a safety limit."""

    voltage: float = 0.0
    duration: float | None = None
    until_current: float | None = None
    until_c_rate: float | None = None
    max_duration: float = 100 * 3600.0

    def current_limit(self, areal_capacity: float | None) -> float | None:
        """The end current density (A/m^2), or None for a time-limited hold."""
        if self.until_current is not None:
            return self.until_current
        if self.until_c_rate is not None:
            if areal_capacity is None:
                raise ValueError(f"{self.text!r}: a C-rate needs the cell's areal capacity")
            return self.until_c_rate * areal_capacity / 3600.0
        return None


@dataclass(frozen=True)
class ProtocolEntry:
    """One step of the expanded protocol with its position and the case key it comes from
    (``protocol.steps[2]``, ``protocol.cycle[1]``)."""

    index: int
    cycle: int
    step: Step
    key: str = ""
