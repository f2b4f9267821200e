"""The rigid die's bore on a temperature change (fem.mechanics.volume_change.die_wall_step): a
layer against the frictionless wall expands freely while the bore outgrows it, and follows the
bore once the gap between them is closed."""

from __future__ import annotations

import pytest

from fem.mechanics.volume_change import die_wall_step

R = 5e-3
PEEK, LPSCL, STEEL = 47e-6, 20e-6, 12.3e-6


def test_heating_in_a_peek_bore_is_free_and_opens_a_gap():
    u, gap = die_wall_step(0.0, 15.0, LPSCL, PEEK, R)
    assert u == pytest.approx(LPSCL * R * 15.0, rel=1e-14)
    assert gap == pytest.approx((PEEK - LPSCL) * R * 15.0, rel=1e-14)


def test_cooling_back_closes_the_gap_and_returns_the_layer():
    """Heat, then cool by as much: the layer is back at u_r = 0 with no gap (reversible)."""
    u1, gap = die_wall_step(0.0, 15.0, LPSCL, PEEK, R)
    u2, gap = die_wall_step(gap, -15.0, LPSCL, PEEK, R)
    assert u1 + u2 == pytest.approx(0.0, abs=1e-20)
    assert gap == pytest.approx(0.0, abs=1e-20)


def test_cooling_from_contact_squeezes_the_layer_with_the_bore():
    u, gap = die_wall_step(0.0, -10.0, LPSCL, PEEK, R)
    assert u == pytest.approx(PEEK * R * -10.0, rel=1e-14)
    assert gap == 0.0


def test_a_bore_that_expands_less_confines_the_layer():
    """A steel bore (12.3e-6 1/K) holds a Li6PS5Cl layer (20e-6 1/K) to its own growth."""
    u, gap = die_wall_step(0.0, 15.0, LPSCL, STEEL, R)
    assert u == pytest.approx(STEEL * R * 15.0, rel=1e-14)
    assert gap == 0.0


def test_a_partly_closed_gap_is_used_up_first():
    """With a gap g open, cooling first closes it (free shrinking of the layer), and the wall
    takes over only for the rest."""
    g0 = 1e-6
    dT = -g0 / ((PEEK - LPSCL) * R) * 3  # three times what closes the gap
    u, gap = die_wall_step(g0, dT, LPSCL, PEEK, R)
    assert gap == 0.0
    assert u == pytest.approx(PEEK * R * dT + g0, rel=1e-12)
