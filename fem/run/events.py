"""Events: a run stops with a clear reason when its state leaves the range in which its models
hold (as PyBaMM's events stop a solve), instead of running away or reporting nonsense.

Checked on every history row after an accepted step (no extra solves):

* a number that is not finite (NaN, inf) in the row;
* the platen moved more than MAX_STACK_STRAIN of the stack's height: the layers no longer carry
  the load (the models are for compressed solids, not a collapsed stack);
* an equivalent creep strain above MAX_CREEP_STRAIN over 0.5 % of the Li (extruded far beyond
  the geometry the mesh can follow; the quantile, since the strain at the singular corner where
  a free rim meets a sticking face grows without bound in any flowing foil);
* the cathode's mean state of charge outside [0, 1] by more than SOC_MARGIN (more charge passed
  than the cathode holds: the cut-off was never reached);
* the Li layer thinner than MIN_LI_FRACTION of its initial thickness (stripped or squeezed out).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from fem.errors import SolverError

MAX_STACK_STRAIN = 0.5
MAX_CREEP_STRAIN = 50.0
SOC_MARGIN = 0.05
MIN_LI_FRACTION = 0.05


@dataclass(frozen=True)
class Event:
    """Why a run stopped: a short name and a sentence."""

    name: str
    reason: str
    time_s: float
    step: int

    def as_dict(self) -> dict:
        return asdict(self)


class PhysicalRangeError(SolverError):
    """The state left its physical range (exit code 4; the outputs so far are kept)."""

    def __init__(self, event: Event):
        super().__init__(f"stopped at t = {event.time_s:.6g} s (step {event.step}): "
                         f"{event.reason}")
        self.event = event


def check(row: dict, li_thickness: float | None, stack_height: float) -> tuple[str, str] | None:
    """(name, reason) of the first event the history ``row`` (its units) shows, or None."""
    for key, v in row.items():
        if isinstance(v, float) and not math.isfinite(v):
            return "non_finite", f"{key} became {v} (the solution broke down)"
    strain = row.get("stack_strain", 0.0)
    if abs(strain) > MAX_STACK_STRAIN:
        return ("stack_collapse",
                f"the platen moved {row.get('platen_displacement_um', 0.0):.4g} um, "
                f"{abs(strain) * 100:.3g} % of the {stack_height * 1e6:.4g} um stack (limit "
                f"{MAX_STACK_STRAIN * 100:g} %): the layers no longer carry the load "
                f"({row.get('stack_pressure_MPa', 0.0):.4g} MPa)")
    creep = row.get("creep_strain_q995", 0.0)
    if creep > MAX_CREEP_STRAIN:
        return ("creep_runaway",
                f"the equivalent creep strain of the Li reached {creep:.3g} over 0.5 % of the "
                f"Li (limit {MAX_CREEP_STRAIN:g}): the Li flows far beyond what the mesh "
                "follows")
    soc = row.get("cathode_soc")
    if soc is not None and not -SOC_MARGIN <= soc <= 1.0 + SOC_MARGIN:
        return ("state_of_charge",
                f"the cathode's state of charge reached {soc:.3g}, outside [0, 1]: more charge "
                f"passed ({row.get('capacity_mAh_cm2', 0.0):.4g} mAh/cm^2) than the cathode "
                "holds; end the step at a voltage the cell reaches or shorten it")
    dh = row.get("li_thickness_change_um")
    if li_thickness and dh is not None and li_thickness * 1e6 + dh < MIN_LI_FRACTION * li_thickness * 1e6:
        return ("li_consumed",
                f"the Li layer is down to {li_thickness * 1e6 + dh:.3g} um of its "
                f"{li_thickness * 1e6:.4g} um (limit {MIN_LI_FRACTION * 100:g} %): stripped or "
                "squeezed out")
    return None
