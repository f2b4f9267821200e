"""fem.run.controller.TimeStepController: growth by Newton iterations, landing on the ends of
protocol steps and on milestones, and the cut-back after a failure, which starts from the step
that failed (a step shortened to land on an end is not tried again unchanged)."""

from __future__ import annotations

import pytest
from conftest import serial_only

from fem.run.controller import TimeStepController

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def test_a_failed_step_shortened_to_land_is_cut_from_its_own_length():
    """A 10 s release after a hold stepped at 540 s: the first try is the whole 10 s; after
    its failure the next try is 5 s, not 10 s again (before: six identical failures)."""
    c = TimeStepController(dt=540.0, dt_min=1e-3, dt_max=3600.0)
    dt = c.next_dt(10.0)
    assert dt == 10.0
    assert c.after_failure(dt)
    assert c.next_dt(10.0) == pytest.approx(5.0)
    assert c.after_failure(c.next_dt(10.0))
    assert c.next_dt(10.0) == pytest.approx(2.5)


def test_cut_backs_end_at_dt_min():
    c = TimeStepController(dt=4e-3, dt_min=1e-3, dt_max=1.0)
    assert c.after_failure(4e-3) and c.dt == pytest.approx(2e-3)
    assert c.after_failure(2e-3) and c.dt == pytest.approx(1e-3)
    assert not c.after_failure(1e-3)  # at dt_min: give up
    assert c.after_failure() is False  # the controller's own dt, as before


def test_growth_follows_the_newton_iterations_within_bounds():
    """dt * clip((6 / its)^0.5, 0.5, 2), within [dt_min, dt_max]."""
    c = TimeStepController(dt=10.0, dt_min=1.0, dt_max=100.0)
    c.after_success(6, 10.0)
    assert c.dt == pytest.approx(10.0)
    c.after_success(1, 10.0)
    assert c.dt == pytest.approx(20.0)  # at most x2
    c.after_success(24, 20.0)
    assert c.dt == pytest.approx(10.0)  # (6 / 24)^0.5 = 0.5
    c.after_success(1, 10.0)
    c.after_success(1, 20.0)
    c.after_success(1, 40.0)
    c.after_success(1, 80.0)
    assert c.dt == 100.0  # dt_max


def test_steps_land_on_ends_and_milestones():
    c = TimeStepController(dt=10.0, dt_min=1e-3, dt_max=100.0, milestones=(25.0,))
    assert c.next_dt(100.0, t=20.0) == pytest.approx(5.0)  # lands on the milestone
    assert c.next_dt(10.0 + 5e-4, t=30.0) == pytest.approx(5.00025)  # no sliver < dt_min
    assert c.next_dt(8.0, t=30.0) == 8.0  # lands on the end
