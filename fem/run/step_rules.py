"""How a protocol step ends early and how its steps are sized around it: the voltage cut-off of
a galvanostatic step ("... until 4.3 V") and the end current of a constant-voltage hold ("Hold
at 4.3 V until C/20").

A rule sees the electrochemistry's answer for a trial step before the mechanics is solved and
raises :class:`CutOff` with the fraction of the step that lands on the limit when the answer
overshoots it by more than the tolerance (the step is then retried shorter); after an accepted
step it says whether the limit is reached and bounds the next step so the curve is resolved.
"""

from __future__ import annotations

from dataclasses import dataclass

from fem.electrochemistry.ocv import TAIL_SLOPE

#: A galvanostatic step ends within this many volts past its voltage cut-off.
CUTOFF_TOL = 1e-3
#: The time step shrinks when the voltage changed by more than this within a protocol step.
MAX_VOLTAGE_STEP = 0.05
#: A discharging composite-cathode cell passes its irreversible floor by at most this much SOC
#: in a step: the OCV falls by MAX_VOLTAGE_STEP there
FLOOR_ALLOWANCE = MAX_VOLTAGE_STEP / TAIL_SLOPE
#: Constant-voltage holds: the end current is met within this fraction, and the time step
#: shrinks when the current changed by more than MAX_CURRENT_CHANGE of itself in a step.
HOLD_TOL = 0.02
MAX_CURRENT_CHANGE = 0.25


class CutOff(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The step overshot its limit: retry with ``fraction`` of the time step."""

    def __init__(self, fraction: float):
        super().__init__(fraction)
        self.fraction = fraction


def _fraction(x: float) -> float:
    return min(max(x, 0.1), 0.9)


@dataclass
class VoltageCutOff:
    """A galvanostatic step that ends when the cell voltage reaches ``limit`` (V)."""

    limit: float
    dt_min: float

    def check(self, voltage: float, previous_voltage: float, current: float, dt: float) -> None:
        """Raise CutOff when the trial step overshot the limit by more than CUTOFF_TOL (the
        fraction of dt that reaches it by linear interpolation of the voltage)."""
        if dt <= 0.0:
            return
        over = (voltage - self.limit) * (1 if current > 0 else -1)
        if over > CUTOFF_TOL and dt > self.dt_min * (1 + 1e-9):
            frac = ((self.limit - previous_voltage) / (voltage - previous_voltage)
                    if voltage != previous_voltage else 0.5)
            raise CutOff(_fraction(frac))

    def reached(self, voltage: float, current: float) -> bool:
        sign = 1 if current > 0 else -1
        return (voltage - self.limit) * sign >= -CUTOFF_TOL


@dataclass
class CurrentHold:
    """A constant-voltage hold at ``voltage`` (V) that ends when the current density falls to
    ``end_current`` (A/m^2; None: it runs for its duration)."""

    voltage: float
    end_current: float | None
    dt_min: float

    def check(self, current: float, last_current: float | None, dt: float) -> None:
        """Raise CutOff when the current fell below the end current by more than HOLD_TOL (the
        fraction of dt that reaches it, linear in the current)."""
        lim, i0 = self.end_current, last_current
        if (lim is not None and i0 is not None and abs(current) < lim * (1 - HOLD_TOL)
                and dt > self.dt_min * (1 + 1e-9) and abs(i0) > abs(current)):
            raise CutOff(_fraction((abs(i0) - lim) / (abs(i0) - abs(current))))

    def reached(self, current: float) -> bool:
        return self.end_current is not None and abs(current) <= self.end_current * (1 + HOLD_TOL)


def voltage_step_cap(dt: float, voltage_change: float) -> float | None:
    """The largest next step that keeps the voltage change per step near MAX_VOLTAGE_STEP."""
    return dt * MAX_VOLTAGE_STEP / voltage_change if voltage_change > MAX_VOLTAGE_STEP else None


def current_step_cap(dt: float, current: float, last_current: float | None) -> float | None:
    """The largest next step that keeps the relative current change per step of a hold near
    MAX_CURRENT_CHANGE."""
    if last_current is None:
        return None
    change = abs(current - last_current) / max(abs(last_current), 1e-12)
    return dt * MAX_CURRENT_CHANGE / change if change > MAX_CURRENT_CHANGE else None


def predictor(ratio: float, within_step: bool, constant_current: bool) -> float:
    """The first guess of a step's displacement increment as a multiple of the last step's
    (``ratio`` = dt / dt_last). None at a protocol step's start (``within_step`` False): the
    last increment says nothing about a new loading (a release after a press reverses it). At
    a constant current the plated Li grows linearly in time, so the increment scales with dt:
    the whole ratio, up to the controller's largest growth of 2 (a cap of 1 left the stack a
    fraction of a step's growth short, tens of MPa in the stiff column, and cost every growing
    step 10 instead of 4 Newton iterations: the flagship's charge 375 -> 152 iterations). A
    rest or hold relaxes at a falling rate: at most the last increment."""
    if not within_step:
        return 0.0
    return min(ratio, 2.0) if constant_current else min(ratio, 1.0)
