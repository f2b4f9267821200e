"""The size effect of Li's strength (fem.mechanics.li_size_effect): the card's law reproduces the
micropillar data it is built on, a single pillar compressed at a constant rate flows at the
scaled stress, and the patch runs and the cell-scale interface law use one implementation."""

import numpy as np
import pytest
from conftest import serial_only

from fem.interface.contact_state import InterfaceParameters
from fem.materials import load_material
from fem.mechanics.creep_laws import NortonCreep, creep_law_from_material
from fem.mechanics.li_size_effect import SizeEffect, size_effect_from_points

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

LI = load_material("li")
RATE, T_PILLAR = 5e-3, 298.15
#: Xu et al. 2017 (docs/references.md#xu2017): (pillar diameter, flow stress) at 5e-3 1/s, RT
PILLARS = ((1.39e-6, 105e6), (9.45e-6, 15e6))


def _bulk_stress(law: NortonCreep, rate: float, T: float) -> float:
    """The Norton law's stress at a strain rate: s_ref (rate / (A arr))^(1/n)."""
    return law.sigma_ref * (rate / (law.A_ref * law.arrhenius(T))) ** (1.0 / law.n)


def test_card_reproduces_the_pillar_points():
    """The card's l_s, m (rounded to 4 digits) with its bulk Norton law give the two pillar flow
    stresses within 0.3 %, and the two-point construction returns the card's values."""
    bulk = creep_law_from_material(LI, "norton")
    for size, stress in PILLARS:
        law = creep_law_from_material(LI, "norton", feature_size=size)
        assert _bulk_stress(law, RATE, T_PILLAR) == pytest.approx(stress, rel=3e-3)
    fitted = size_effect_from_points(PILLARS, _bulk_stress(bulk, RATE, T_PILLAR))
    assert fitted.length == pytest.approx(LI["size_effect_length"], rel=1e-3)
    assert fitted.exponent == pytest.approx(LI["size_effect_exponent"], rel=1e-3)


def test_factor_limits():
    """S -> 1 for large features (bulk), S ~ (l_s / l)^m for small ones; bad sizes refused."""
    se = SizeEffect(125.6e-6, 1.044)
    assert se.factor(1.0) == pytest.approx(1.0, abs=1e-3)
    assert se.factor(1e-9) == pytest.approx((125.6e-6 / 1e-9) ** 1.044, rel=1e-4)
    assert np.all(np.diff(se.factor(np.geomspace(1e-7, 1e-3, 9))) < 0)
    with pytest.raises(ValueError, match="feature size"):
        se.factor(0.0)
    with pytest.raises(ValueError):
        SizeEffect(-1.0, 1.0)


@pytest.mark.parametrize("size", [1.39e-6, 9.45e-6])
def test_single_pillar_at_constant_rate_flows_at_the_scaled_stress(size):
    """A pillar compressed uniaxially at a constant total strain rate (elastic + creep, the
    backward-Euler return map of the patch runs): the stress rises elastically and settles at
    S(l) sigma_bulk(rate), the closed form of the steady state, to 1e-6."""
    law = creep_law_from_material(LI, "norton", feature_size=size)
    E = LI["youngs_modulus"]
    dt, stress = 1e-3, 0.0
    for _ in range(20000):  # 20 s: 0.1 strain, a hundred relaxation times
        # uniaxial: the trial von Mises stress is the stress plus E times the strain increment;
        # the return map's 3 G dp becomes E dp for a uniaxial bar (G -> E / 3)
        dp, _, _ = law.return_map(np.array([stress + E * RATE * dt]), E / 3.0, dt, T_PILLAR)
        stress = stress + E * (RATE * dt - dp[0])
    expected = SizeEffect(LI["size_effect_length"], LI["size_effect_exponent"]).factor(size) \
        * _bulk_stress(creep_law_from_material(LI, "norton"), RATE, T_PILLAR)
    assert stress == pytest.approx(expected, rel=1e-6)


def test_patch_and_interface_share_the_law():
    """The interface law's rate at a feature size is the patch runs' law at that size (one
    implementation, fem.mechanics.creep_laws.NortonCreep.scaled), also for Narayan-Anand's
    resistances."""
    pr = InterfaceParameters(
        creep_reference_rate=LI["creep_reference_rate"], creep_exponent=LI["creep_exponent"],
        creep_reference_stress=LI["creep_reference_stress"],
        creep_activation_energy=LI["creep_activation_energy"],
        creep_reference_temperature=LI["creep_reference_temperature"],
        size_effect_length=LI["size_effect_length"],
        size_effect_exponent=LI["size_effect_exponent"], li_molar_volume=13e-6,
        li_plane_strain_modulus=8e9, exchange_current_density=50.0)
    s = np.array([1e6, 10e6, 30e6])
    for size in (1e-6, 5e-6, 20e-6):
        patch = creep_law_from_material(LI, "norton", feature_size=size)
        assert pr.creep_rate(s, 313.15, size) == pytest.approx(patch.rate(s, T=313.15),
                                                                rel=1e-14)
    anand = creep_law_from_material(LI, "anand")
    scaled = creep_law_from_material(LI, "anand", feature_size=5e-6)
    k = SizeEffect(LI["size_effect_length"], LI["size_effect_exponent"]).factor(5e-6)
    state = anand.initial_state(1)
    assert scaled.rate(s[:1] * k, state * k, 300.0) == pytest.approx(
        anand.rate(s[:1], state, 300.0), rel=1e-12)
