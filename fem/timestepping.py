"""Adaptive time stepping: grow or shrink around a target Newton iteration count, land exactly
on protocol step ends, cut back and retry after a failed solve.

dt_next = dt * clip((target / iterations)^0.5, 0.5, 2), bounded by [dt_min, dt_max]
(the iteration-count rule of MOOSE's IterationAdaptiveDT, with smoother factors).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TimeStepController:
    dt: float
    dt_min: float
    dt_max: float
    target_iterations: int = 6
    cut_factor: float = 0.5

    def after_success(self, iterations: int) -> None:
        ratio = (self.target_iterations / max(iterations, 1)) ** 0.5
        self.dt = min(max(self.dt * min(max(ratio, 0.5), 2.0), self.dt_min), self.dt_max)

    def after_failure(self) -> bool:
        """Cut the step; False when it is already at dt_min (give up)."""
        if self.dt <= self.dt_min * (1 + 1e-12):
            return False
        self.dt = max(self.dt * self.cut_factor, self.dt_min)
        return True

    def next_dt(self, remaining: float) -> float:
        """The step to take with ``remaining`` time left in the protocol step: lands exactly on
        its end, and avoids leaving a sliver shorter than dt_min."""
        if remaining <= self.dt * (1 + 1e-9):
            return remaining
        if remaining < self.dt + self.dt_min:
            return 0.5 * remaining
        return self.dt
