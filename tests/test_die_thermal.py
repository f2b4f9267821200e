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


# ------------------------------------------------------------------ the finite-element stack
LAYERS = [("cathode", 100e-6, 10e9, 0.2), ("separator", 700e-6, 20e9, 0.4),
          ("li", 100e-6, 5e9, 0.1)]
ALPHA, DT = 20e-6, 15.0


def _heated_column(base_case, die_expansion):
    """The three-layer column of test_elastic_stack in the die, frictionless platens, the gap
    locked by a rigid frame at zero load, every layer alpha = 20e-6 1/K, heated by 15 K."""
    from fem._dolfinx import MPI
    from fem.case import load_case_dict
    from fem.cellstack.settings import stack_mechanics_settings
    from fem.geometry import build_stack_mesh
    from fem.mechanics.holder import Holder
    from fem.mechanics.settings import ThermalLayer, VolumeChangeSettings
    from fem.mechanics.stack import StackMechanics
    from fem.mechanics.volume_change import VolumeChange

    base_case["materials"] = {
        {"cathode": "ncm811_composite", "separator": "li6ps5cl", "li": "li"}[n]: {
            "youngs_modulus": f"{E / 1e9} GPa", "poissons_ratio": str(nu)}
        for n, _, E, nu in LAYERS}
    base_case["platens"] = {"contact": "frictionless"}
    base_case["mechanics"] = {"large_deformation": False, "creep_law": "none"}
    base_case["mesh"] = {"size_min": "150 um", "size_max": "1 mm", "element_degree": 2,
                         "li_cells": 1}
    base_case["cell"]["die"] = {"enabled": True}
    case = load_case_dict(base_case)
    cm = build_stack_mesh(case, MPI.COMM_WORLD)
    holder = Holder(area=case.cell.area, stiffness=float("inf"), kind="fixed_gap")
    mech = StackMechanics(cm, stack_mechanics_settings(case), holder)
    settings = VolumeChangeSettings(thermal=tuple(ThermalLayer(n, ALPHA) for n, *_ in LAYERS),
                                    reference_temperature=298.15, die_expansion=die_expansion)
    volume = VolumeChange(mech, settings)
    holder.lock(p=0.0, U=0.0)
    mech.begin_step(0.0)
    volume.step(0.0, 60.0, 0.0, 298.15 + DT)
    res = mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    volume.commit()
    return res.pressure, volume


def _oedometric(E, nu):
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


def test_heated_column_in_a_peek_die_is_laterally_free(base_case):
    """PEEK bore (47e-6 1/K): each layer expands radially by alpha R dT, so its lateral
    mechanical strain is zero and the locked gap sees the uniaxial-strain (oedometric) thermal
    stress p = alpha dT H / sum(t_i / M_i) (1e-6 relative)."""
    p, volume = _heated_column(base_case, 47e-6)
    H = sum(t for _, t, _, _ in LAYERS)
    exact = ALPHA * DT * H / sum(t / _oedometric(E, nu) for _, t, E, nu in LAYERS)
    assert p == pytest.approx(exact, rel=1e-6)
    for name, *_ in LAYERS:  # the gap the bore opened
        assert volume.die_gap[name] == pytest.approx((47e-6 - ALPHA) * R * DT, rel=1e-12)


def test_heated_column_in_a_cold_die_is_confined(base_case):
    """A bore that does not move (no die CTE): u_r = 0, the fully confined thermal stress
    p = alpha dT sum(3 K_i t_i / M_i) / sum(t_i / M_i), larger by (1 + nu)/(1 - nu) per layer."""
    p, _ = _heated_column(base_case, None)

    def bulk(E, nu):
        return E / (3 * (1 - 2 * nu))

    exact = (ALPHA * DT * sum(3 * bulk(E, nu) * t / _oedometric(E, nu) for _, t, E, nu in LAYERS)
             / sum(t / _oedometric(E, nu) for _, t, E, nu in LAYERS))
    assert p == pytest.approx(exact, rel=1e-6)


# ------------------------------------------------------------------ heating a locked Li | Li cell
def test_a_li_cell_locked_at_1_mpa_heats_through(shared_tmp, comm):
    """li_symmetric_ccd's assembly after a 1 min hold, released to 1 MPa, locked and heated to
    40 degC: with the 15 K applied at once, every cut-back step still carried the whole thermal
    load and the first step of the rest failed down to dt = 1 ms (the Li rims at the bonded
    plunger corners). The jump is now eased in over the first time step, so a cut-back step
    takes part of it: the run goes through, and the history shows the temperature rising over
    the first 15 s (dt_initial / 4) and then held."""
    from fem.case.bundled import resolve_case_path
    from fem.case.loader import apply_overrides, load_case_dict, read_case_file
    from fem.output.history import read_history
    from fem.run.stack_run import StackRun

    raw, _ = read_case_file(resolve_case_path("li_symmetric_ccd"))
    raw = apply_overrides(raw, [
        "holder.pressure=1 MPa", "interface.enabled=false", "output.fields=false",
        "output.plots=false", "mesh.size_min=100 um", "mesh.size_max=1 mm",
        'protocol.steps=["Press at 25 MPa for 1 min", "Release to {holder.pressure}", '
        '"Lock gap", "Set temperature to 40 degC", "Rest for 30 s"]'])
    out = StackRun(load_case_dict(raw), comm, progress=False).run(shared_tmp / "heat_1mpa")
    h = read_history(out / "history.csv")
    T, t = h["temperature_K"], h["time_s"]
    assert T[-1] == pytest.approx(313.15)
    t_heat = [ti for ti, Ti in zip(t, T, strict=True) if 298.15 < Ti < 313.15]
    assert t_heat and max(t_heat) - min(t_heat) < 15.0
