"""The cell holder: the scalar equation that sets the rigid platen's position.

The platen is flat and far stiffer than the stack (Ti rods): it moves as a rigid body, its
axial displacement U a global unknown. The stack pressure p is the platen reaction force over
the cell area A. One equation per mode:

* force control (press, release, constant_pressure):  p - p_target = 0
* holder locked at (U_0, p_0, T_0) (fixed_gap, spring): the platen moves with the holder's
  extension,

      U - U_0 = A C (p - p_0) + sum_j (u_j - u_j,0) + g (T - T_0),                 (1)

  with C the elastic compliance of the holder in series with the stack (frame parts, load cell,
  and the springs of a spring holder; 1/k), u_j the creep extensions of its viscoelastic part
  (a Kelvin chain, :mod:`fem.mechanics.viscoelastic`, advanced exactly over a step: the
  equation stays linear in p) and g the gap's free opening per kelvin (the frame's tie rods
  expand, its column parts close the gap again: g = sum alpha_tie L_tie - sum alpha_col L_col;
  docs/references.md#derived-fixed-gap-compliance). A rigid frame (C = 0, no creep, g = 0)
  gives U = U_0.

Stack growth pushes the platen up (U > U_0) against the holder, raising p by dU / (A C)
(docs/references.md#derived-fixed-gap-compliance, docs/references.md#derived-spring-holder).
Written as c_p p - c_U (U - U_ref) + offset = 0 for the Newton loop of
:mod:`fem.mechanics.stack`, with c_p, offset set for each step by :meth:`Holder.begin_step`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fem.mechanics.viscoelastic import KelvinChain


@dataclass
class Holder:
    """Holder state. ``stiffness`` is the elastic series stiffness k = 1/C in N/m (inf: a rigid
    frame); ``creep`` the viscoelastic part of the frame (None: elastic); ``thermal_opening``
    g in m/K."""

    area: float
    stiffness: float
    kind: str = "constant_pressure"
    creep: KelvinChain | None = None
    thermal_opening: float = 0.0
    mode: str = "force"  # "force" (pressure target) or "locked"
    p_ref: float = 0.0  # Pa
    U_ref: float = 0.0  # m
    T_ref: float = 298.15  # K, the temperature at the lock
    #: creep extensions u_j of the Kelvin chain (committed) and at the lock
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))
    u_lock: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n = len(self.creep.taus) if self.creep is not None else 0
        if self.u.size != n:
            self.u = np.zeros(n)
            self.u_lock = np.zeros(n)
        self._step = (0.0, self.T_ref)  # (dt, T) of the step being solved

    # ------------------------------------------------------------------ modes
    def set_pressure(self, p: float) -> None:
        """Force control at pressure ``p``."""
        self.mode = "force"
        self.p_ref = p

    def lock(self, p: float, U: float, T: float | None = None) -> None:
        """Engage the holder at the current state (fixed gap / springs). A constant_pressure
        holder stays under force control at ``p``."""
        if self.kind == "constant_pressure" or self.stiffness == 0.0:
            self.set_pressure(p)
            return
        self.mode = "locked"
        self.p_ref, self.U_ref = p, U
        self.T_ref = self._step[1] if T is None else T
        self.u_lock = self.u.copy()

    @property
    def locked(self) -> bool:
        return self.mode == "locked"

    # ------------------------------------------------------------------ one step
    def begin_step(self, dt: float, T: float) -> None:
        """The step about to be solved: its length and temperature set the creep compliance
        and the thermal opening of equation (1)."""
        self._step = (dt, T)

    def _compliance(self) -> float:
        """A C_eff: the elastic compliance and the creep that a step's force drives."""
        c = 0.0 if math.isinf(self.stiffness) else 1.0 / self.stiffness
        if self.creep is not None:
            c += self.creep.step_compliance(*self._step)
        return self.area * c

    def _offset(self) -> float:
        """A C p_0 moved to the left, the decayed creep and the thermal opening of (1)."""
        off = -self.area * (0.0 if math.isinf(self.stiffness) else 1.0 / self.stiffness) * self.p_ref
        if self.creep is not None:
            dt, T = self._step
            off += float(np.sum(self.creep.decay(dt, T) * self.u - self.u_lock))
        return off + self.thermal_opening * (self._step[1] - self.T_ref)

    def coefficients(self) -> tuple[float, float]:
        """(c_p, c_U) of c_p p - c_U (U - U_ref) + offset = 0, scaled so both are O(1) in units
        of m: c_p = A C_eff (compliance), c_U = 1."""
        if self.mode == "force":
            return 1.0, 0.0
        return self._compliance(), 1.0

    def residual(self, p: float, U: float) -> float:
        c_p, c_U = self.coefficients()
        if self.mode == "force":
            return c_p * (p - self.p_ref)
        return c_p * p - c_U * (U - self.U_ref) + self._offset()

    def increment(self, p: float, U: float, dp_dU: float) -> float:
        """Newton increment dU of the platen for the linearised stack p(U + dU) = p + dp_dU dU."""
        c_p, c_U = self.coefficients()
        return -self.residual(p, U) / (c_p * dp_dU - c_U)

    def commit(self, p: float) -> None:
        """Advance the creep extensions over the solved step with its converged pressure."""
        if self.creep is not None:
            self.u = self.creep.advance(self.u, p * self.area, *self._step)

    # ------------------------------------------------------------------ checkpoint state
    def state(self) -> dict:
        return {"mode": self.mode, "p_ref": self.p_ref, "U_ref": self.U_ref,
                "T_ref": self.T_ref, "u": self.u.tolist(), "u_lock": self.u_lock.tolist()}

    def set_state(self, values: dict) -> None:
        self.mode, self.p_ref, self.U_ref = values["mode"], values["p_ref"], values["U_ref"]
        self.T_ref = values["T_ref"]
        self.u = np.asarray(values["u"], dtype=float)
        self.u_lock = np.asarray(values["u_lock"], dtype=float)
