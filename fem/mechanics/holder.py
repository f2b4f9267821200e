"""The cell holder: the scalar equation that sets the rigid platen's position.

The platen is flat and far stiffer than the stack (Ti rods): it moves as a rigid body, its
axial displacement U a global unknown. The stack pressure p is the platen reaction force over
the cell area. One equation per mode (A: cell area, k: series stiffness of frame and springs):

* force control (press, release, constant_pressure):  p - p_target = 0
* holder locked at (U_0, p_0) (fixed_gap, spring):    p - p_0 - (k/A) (U - U_0) = 0
  (a rigid frame, k = inf, gives U = U_0.)

Stack growth pushes the platen up (U > U_0) against the holder, raising p by k dU / A
(docs/references.md#derived-fixed-gap-compliance, docs/references.md#derived-spring-holder).
Written as c_p (p - p_ref) - c_U (U - U_ref) = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Holder:
    """Holder state. ``stiffness`` is the series stiffness k in N/m (inf: rigid frame)."""

    area: float
    stiffness: float
    kind: str = "constant_pressure"
    mode: str = "force"  # "force" (pressure target) or "locked"
    p_ref: float = 0.0  # Pa
    U_ref: float = 0.0  # m

    def set_pressure(self, p: float) -> None:
        """Force control at pressure ``p``."""
        self.mode = "force"
        self.p_ref = p

    def lock(self, p: float, U: float) -> None:
        """Engage the holder at the current state (fixed gap / springs). A constant_pressure
        holder stays under force control at ``p``."""
        if self.kind == "constant_pressure" or self.stiffness == 0.0:
            self.set_pressure(p)
            return
        self.mode = "locked"
        self.p_ref, self.U_ref = p, U

    @property
    def locked(self) -> bool:
        return self.mode == "locked"

    def coefficients(self) -> tuple[float, float]:
        """(c_p, c_U) of c_p (p - p_ref) - c_U (U - U_ref) = 0, scaled so both are O(1)
        in units of m: c_p = A/k (compliance), c_U = 1."""
        if self.mode == "force":
            return 1.0, 0.0
        if math.isinf(self.stiffness):
            return 0.0, 1.0
        return self.area / self.stiffness, 1.0

    def residual(self, p: float, U: float) -> float:
        c_p, c_U = self.coefficients()
        return c_p * (p - self.p_ref) - c_U * (U - self.U_ref)

    def increment(self, p: float, U: float, dp_dU: float) -> float:
        """Newton increment dU of the platen for the linearised stack p(U + dU) = p + dp_dU dU."""
        c_p, c_U = self.coefficients()
        return -self.residual(p, U) / (c_p * dp_dU - c_U)
