"""The holder as hardware (fem.mechanics.holder, fem.mechanics.viscoelastic,
fem.materials.holder_cards): the Kelvin chain against Findley's law, the viscoelastic frame
against its closed-form relaxation, the thermal opening of the gap, and the card's compliance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fem.materials.holder_cards import (
    frame_compliance,
    insulator_compliance,
    load_holder_card,
    spring_compliance,
    thermal_opening,
)
from fem.mechanics.holder import Holder
from fem.mechanics.viscoelastic import KelvinChain

A = math.pi * 5e-3 ** 2


def test_prony_series_reproduces_findley():
    """J(t)/J0 - 1 = beta (t/t1)^m within 2 % from 10 s to 1e8 s (PEEK: beta 0.15 at 14 months,
    m 0.15)."""
    chain = KelvinChain.from_findley(1e-8, 0.15, 3.7e7, 0.15, 100e3, 298.15)
    t = np.logspace(1, 8, 60)
    ref = 0.15 * (t / 3.7e7) ** 0.15
    assert np.max(np.abs(chain.creep_function(t) / ref - 1)) < 0.02
    assert min(chain.weights) >= 0


def _relax(chain: KelvinChain, C_e: float, p0: float, t_end: float, n: int) -> float:
    """p(t_end) of a locked holder on a rigid stack (U = U_ref), locked at p0: the holder
    equation alone, stepped n times."""
    h = Holder(area=A, stiffness=1.0 / C_e, kind="fixed_gap", creep=chain)
    h.begin_step(0.0, 298.15)
    h.lock(p0, 0.0, 298.15)
    p = p0
    for _ in range(n):
        h.begin_step(t_end / n, 298.15)
        c_p, _ = h.coefficients()
        p = -h._offset() / c_p  # residual c_p p - (U - U_ref) + offset = 0 with U = U_ref
        h.commit(p)
    return p


def test_viscoelastic_frame_relaxation_closed_form():
    """One Kelvin element (compliance a C_P, time tau) in series with C_e on a rigid stack:
    p(t) = p0 [1 - a C_P / (C_e + a C_P) (1 - exp(-t (C_e + a C_P) / (tau C_e)))]. The update
    is exact for a force constant over a step, so the error falls as dt: 2e-3 of the drop
    at 200 steps per relaxation time, and first order."""
    C_e, C_P, a, tau, p0 = 1.0e-7, 2e-8, 0.3, 100.0, 25e6
    chain = KelvinChain(C_P, (a,), (tau,), 0.0, 298.15)
    tau_eff = tau * C_e / (C_e + a * C_P)
    t = 2 * tau_eff
    exact = p0 * (1 - a * C_P / (C_e + a * C_P) * (1 - math.exp(-t / tau_eff)))
    drop = p0 - exact
    errs = [abs(_relax(chain, C_e, p0, t, n) - exact) / drop for n in (100, 200, 400)]
    assert errs[-1] < 2e-3
    rates = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    assert min(rates) > 0.9


def test_thermal_opening_unloads_a_rigid_stack_exactly():
    """Heating by dT opens the gap by g dT: on a rigid stack the pressure falls by
    g dT / (A C) (one step, elastic frame)."""
    C, g, p0, dT = 1e-7, 2e-8, 5e6, 15.0
    h = Holder(area=A, stiffness=1 / C, kind="fixed_gap", thermal_opening=g)
    h.begin_step(0.0, 298.15)
    h.lock(p0, 0.0, 298.15)
    h.begin_step(60.0, 298.15 + dT)
    c_p, _ = h.coefficients()
    p = -h._offset() / c_p
    assert p == pytest.approx(p0 - g * dT / (A * C), rel=1e-12)


def test_lab_holder_card_compliance():
    """The frame of the lab holder card is the sum of L / (E A) of its parts."""
    card = load_holder_card("lab_peek_ti")
    H = 0.9e-3
    ti, peek, steel = (card.materials[k] for k in ("plunger", "insulator", "screw"))
    area = math.pi * 0.01 ** 2 / 4
    parts = (0.04 / (ti["youngs_modulus"] * area) + 0.005 / (peek["youngs_modulus"] * area)
             + (0.06 + H) / (steel["youngs_modulus"] * 3 * 20.1e-6) + 3.5e-9
             + card["load_cell_compliance"])
    assert frame_compliance(card, H) == pytest.approx(parts, rel=1e-12)
    assert insulator_compliance(card) == pytest.approx(0.005 / (peek["youngs_modulus"] * area))
    a_s = card["screw_thermal_expansion"]  # fitted: docs/validation/calibration/fit.md
    assert 9.9e-6 <= a_s <= 17.3e-6
    g = ((a_s - 8.6e-6) * 0.04 + (a_s - 10.8e-6) * 0.015 + (a_s - 47e-6) * 0.005 + a_s * H)
    assert thermal_opening(card, H) == pytest.approx(g, rel=1e-9)
    assert spring_compliance(card) == pytest.approx(1 / (3 * 5.5 * 4.4482216152605e3), rel=1e-6)


def test_card_overrides_and_errors():
    from fem.errors import CaseError

    card = load_holder_card("lab_peek_ti", {"die_clearance": "20 um"})
    assert card["die_clearance"] == pytest.approx(20e-6)
    assert card.sources["die_clearance"] == "case override"
    with pytest.raises(CaseError, match="holder.card_values.die_clearance"):
        load_holder_card("lab_peek_ti", {"die_clearance": "-1 um"})
    with pytest.raises(CaseError, match="unknown holder-card parameter"):
        load_holder_card("lab_peek_ti", {"clearance": "20 um"})
    with pytest.raises(CaseError, match="unknown holder card"):
        load_holder_card("no_such_holder")
