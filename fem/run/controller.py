"""Adaptive time stepping shared by the run drivers: grow or shrink the step, land exactly on
the ends of protocol steps and on the case's milestones, cut back and retry after a failure.

Two growth rules:

* by Newton iterations (cell stacks): dt_next = dt * clip((target / iterations)^0.5, 0.5, 2)
  (the iteration-count rule of MOOSE's IterationAdaptiveDT, with smoother factors);
* geometric (interface patches, whose contact iterations say little about accuracy):
  dt_next = max(dt, dt_taken) * growth, e.g. growth = 10^(1/4), four steps per decade.

Both are bounded by [dt_min, dt_max].
"""

from __future__ import annotations

from dataclasses import dataclass

#: Relative tolerance for "this step reaches the end" (round-off in summed times).
LANDING_TOL = 1e-9


@dataclass
class TimeStepController:
    dt: float
    dt_min: float
    dt_max: float
    #: the iteration rule's target; None selects the geometric rule with ``growth``
    target_iterations: int | None = 6
    growth: float = 2.0
    cut_factor: float = 0.5
    #: a step that would leave less than this fraction of itself to the end takes the rest too
    merge_fraction: float = 0.0
    #: absolute times (s) the steps land on (e.g. the times a case reports on)
    milestones: tuple[float, ...] = ()

    def after_success(self, iterations: int, dt_taken: float) -> None:
        """The next step after an accepted one of ``dt_taken`` that took ``iterations``."""
        if self.target_iterations is None:
            self.dt = max(self.dt, dt_taken) * self.growth
        else:
            ratio = (self.target_iterations / max(iterations, 1)) ** 0.5
            self.dt *= min(max(ratio, 0.5), 2.0)
        self.dt = min(max(self.dt, self.dt_min), self.dt_max)

    def after_failure(self, dt_tried: float | None = None) -> bool:
        """Cut the step that failed, ``dt_tried`` (default: the controller's dt); False when
        it is already at dt_min (give up). The cut starts from the step tried, not from the
        controller's dt: a step shortened to land on the end of a protocol step (a 10 s
        release after a hold at dt = 540 s) would otherwise be tried again unchanged until
        the halved dt fell below it (six identical failures in that case)."""
        dt = self.dt if dt_tried is None else min(self.dt, dt_tried)
        if dt <= self.dt_min * (1 + 1e-12):
            return False
        self.dt = max(dt * self.cut_factor, self.dt_min)
        return True

    def limit(self, dt_cap: float) -> None:
        """Keep the next step at most ``dt_cap`` (and at least dt_min): a physics bound (creep
        increment, voltage or current change per step)."""
        self.dt = max(min(self.dt, dt_cap), self.dt_min)

    def reset(self, dt: float) -> None:
        """Start again from ``dt`` (bounded), e.g. after a load jump."""
        self.dt = min(max(dt, self.dt_min), self.dt_max)

    def next_dt(self, remaining: float, t: float = 0.0) -> float:
        """The step to take at time ``t`` with ``remaining`` time left in the protocol step:
        lands exactly on its end and on the milestones, and leaves no sliver shorter than
        dt_min (split in two) or than ``merge_fraction`` of the step (merged)."""
        dt = min(self.dt, self.dt_max)
        if remaining <= dt * (1 + LANDING_TOL) or remaining - dt < self.merge_fraction * dt:
            step = remaining
        elif remaining < dt + self.dt_min:
            step = 0.5 * remaining
        else:
            step = dt
        for m in self.milestones:
            if t < m * (1 - 1e-12) and t + step > m:
                step = m - t
        return step


def time_label(seconds: float) -> str:
    """'1min', '30min', '24h', '10s': the key of a milestone in the summary."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}min"
    return f"{seconds:g}s"
