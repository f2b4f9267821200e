"""Verification of the compaction model of the porous layers (fem.mechanics.compaction_law,
fem.mechanics.compaction) against closed forms (docs/theory.md#porous-layers-compaction).

Local law (one material point):

1. isostatic loading follows the Heckel curve D(p) = 1 - exp(-(A + p/P_y)) (1e-8), and the
   plastic volumetric strain is ln(D/D_0) (mass conservation);
2. isostatic unloading follows the elastic branch e_v(p) = ((p + p0)/k)^(1-n) - e0 (1e-8);
3. reloading is elastic up to the previous consolidation pressure, then rejoins Heckel;
4. die compaction (eps_rr = 0) tends to the cap's closed-form stress ratio
   eta = q/(p + p_t), eta^2 + 3 eta - M^2 = 0, as the elastic share vanishes (first order);
5. the algorithmic tangent equals finite differences of the return map (1e-6);
6. a closed elastic strain cycle does no net work (hyperelastic), where the hypoelastic law
   with the same tangent moduli does.

Finite elements: a porous column in a rigid die between frictionless rigid platens, loaded
beyond its pressing pressure, unloaded and reloaded under force control, has the local law's
die path eps_zz(sigma_zz) and density to solver tolerance (serial and under MPI).
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest
from conftest import BASE_CASE

from fem._dolfinx import MPI
from fem.case import load_case_dict
from fem.cellstack.settings import compaction_layer, stack_mechanics_settings
from fem.geometry import build_stack_mesh
from fem.mechanics import compaction_paths as paths
from fem.mechanics.compaction import attach_compaction
from fem.mechanics.compaction_law import CompactionLaw, HeckelHardening, HertzElasticity
from fem.mechanics.holder import Holder
from fem.mechanics.settings import CompactionSettings
from fem.mechanics.stack import StackMechanics

ELASTIC = HertzElasticity.from_unloading_modulus(20e9, 370e6, 1.0 / 3.0, 0.3)
LAW = CompactionLaw(ELASTIC, HeckelHardening(334e6, 0.613), 1.2)


def _pressure(stress: np.ndarray) -> float:
    return -float(np.trace(stress)) / 3.0


def _isotropic_cycle():
    """Loading to e_v = 0.7 (about 500 MPa), unloading to 5 MPa, reloading to e_v = 0.8."""
    up = paths.isotropic_path(LAW, paths.loose_state(LAW), np.linspace(0.0, 0.7, 301)[1:])
    top = up[-1]
    ev_top = -float(np.trace(top.strain))
    e_top = ELASTIC.volumetric_strain(_pressure(top.stress))
    ev_low = ev_top - (e_top - ELASTIC.volumetric_strain(5e6))
    down = paths.isotropic_path(LAW, top.state, np.linspace(ev_top, ev_low, 41)[1:] - ev_top)
    re = paths.isotropic_path(LAW, down[-1].state, np.linspace(ev_low, 0.8, 301)[1:] - ev_low)
    for seg, start in ((down, ev_top), (re, ev_low)):  # the paths restart at zero strain
        for pt in seg:
            pt.strain = pt.strain - start / 3.0 * np.eye(3)
    return up, down, re


def test_isostatic_loading_follows_heckel():
    up, _, _ = _isotropic_cycle()
    D0 = paths.loose_state(LAW).density
    plastic = [pt for pt in up if pt.plastic]
    assert len(plastic) == len(up) and _pressure(up[-1].stress) > 370e6
    err = max(abs(pt.state.density - LAW.hardening.density(_pressure(pt.stress))) for pt in plastic)
    assert err < 1e-8
    mass = max(abs(-np.trace(pt.state.plastic_strain) - np.log(pt.state.density / D0))
               for pt in plastic)
    assert mass < 1e-12
    assert max(abs(pt.stress[0, 1]) + abs(pt.stress[0, 0] - pt.stress[2, 2]) for pt in up) < 1e-6


def test_isostatic_unloading_follows_the_elastic_branch():
    up, down, _ = _isotropic_cycle()
    ev_top = -float(np.trace(up[-1].strain))
    e_top = ELASTIC.volumetric_strain(_pressure(up[-1].stress))
    assert not any(pt.plastic for pt in down)
    assert {pt.state.density for pt in down} == {up[-1].state.density}
    # total strain change = change of the closed-form elastic strain at the computed pressure
    err = max(abs((ev_top + float(np.trace(pt.strain)))
                  - (e_top - ELASTIC.volumetric_strain(_pressure(pt.stress)))) for pt in down)
    assert err / e_top < 1e-8
    assert _pressure(down[-1].stress) == pytest.approx(5e6, rel=1e-8)


def test_reloading_is_elastic_until_the_consolidation_pressure_then_heckel():
    up, _, re = _isotropic_cycle()
    pc_max = _pressure(up[-1].stress)
    flags = [pt.plastic for pt in re]
    first = flags.index(True)
    assert first > 0 and all(flags[first:])  # one switch, elastic to plastic
    elastic, plastic = re[:first], re[first:]
    assert max(_pressure(pt.stress) for pt in elastic) <= pc_max * (1 + 1e-9)
    assert all(pt.state.density == up[-1].state.density for pt in elastic)
    err = max(abs(pt.state.density - LAW.hardening.density(_pressure(pt.stress))) for pt in plastic)
    assert err < 1e-8


def _die_eta(law: CompactionLaw) -> float:
    pts = paths.die_path(law, paths.loose_state(law), np.geomspace(0.1e6, 370e6, 30))
    s = -pts[-1].stress
    return (s[2, 2] - s[0, 0]) / (np.trace(s) / 3.0 + law.tension)


def test_die_compaction_tends_to_the_closed_form_stress_ratio():
    """Rigid-plastic limit of die compaction: no radial plastic strain with associated flow,
    d e_s^p / d e_v^p = 2 eta/(M^2 - eta^2) = 2/3, so eta^2 + 3 eta - M^2 = 0 and
    K0 = (3 - eta)/(3 + 2 eta) at p >> p_t. The elastic strains make the difference, which
    falls in proportion to the elastic compliance."""
    M = LAW.critical_state_slope
    eta = 0.5 * (-3.0 + np.sqrt(9.0 + 4.0 * M * M))
    errs = {}
    for stiffer in (1.0, 1e2, 1e3):
        law = replace(LAW, elasticity=replace(ELASTIC, reference_modulus=ELASTIC.reference_modulus
                                              * stiffer))
        errs[stiffer] = abs(_die_eta(law) - eta)
    assert errs[1e3] < 3e-5
    assert 9.0 < errs[1e2] / errs[1e3] < 11.0  # first order in the elastic compliance
    assert errs[1.0] / eta < 0.06  # with the card's elasticity: K0 0.66 against 0.67
    K0 = (3 - eta) / (3 + 2 * eta)
    assert K0 == pytest.approx(0.6713, abs=1e-4)


def _states(rng, n: int, plastic: bool):
    """Random trial elastic strains with mixed volumetric and deviatoric parts, elastic (well
    inside the cap) or plastic (well outside), at densities of a pressed pellet."""
    D = np.full(n, 0.8)
    pc = LAW.hardening.consolidation_pressure(D)
    ev = ELASTIC.volumetric_strain(pc * (rng.uniform(1.1, 1.6, n) if plastic
                                         else rng.uniform(0.05, 0.5, n)))
    dev = rng.normal(size=(n, 3, 3))
    dev = 0.5 * (dev + dev.transpose(0, 2, 1))
    dev -= np.trace(dev, axis1=1, axis2=2)[:, None, None] / 3.0 * np.eye(3)
    dev *= (0.2 * ev / np.linalg.norm(dev, axis=(1, 2)))[:, None, None]
    eps = -ev[:, None, None] / 3.0 * np.eye(3) + dev
    res = LAW.return_map(eps, D)
    assert np.all(res.plastic == plastic) and np.all(res.converged)
    return eps, D, res


@pytest.mark.parametrize("plastic", [False, True])
def test_algorithmic_tangent_against_finite_differences(plastic):
    rng = np.random.default_rng(17)
    eps, D, res = _states(rng, 12, plastic)
    h = 1e-7 * np.abs(np.trace(eps, axis1=1, axis2=2))
    fd = np.zeros_like(res.tangent)
    for k in range(3):
        for m in range(3):
            E = np.zeros((3, 3))
            E[k, m] += 0.5
            E[m, k] += 0.5  # symmetric perturbation: the tangent acts on symmetric strains
            sp = LAW.return_map(eps + h[:, None, None] * E, D).stress
            sm = LAW.return_map(eps - h[:, None, None] * E, D).stress
            fd[:, :, :, k, m] = (sp - sm) / (2 * h[:, None, None])
    sym = 0.5 * (res.tangent + res.tangent.transpose(0, 1, 2, 4, 3))
    err = np.linalg.norm((sym - fd).reshape(len(D), -1), axis=1)
    assert np.max(err / np.linalg.norm(fd.reshape(len(D), -1), axis=1)) < 1e-6


def _cycle(n: int = 4000):
    """A smooth closed strain cycle around the state of a pellet at 25 MPa: volumetric and
    deviatoric parts out of phase, a rotating deviatoric direction, no symmetry in time that
    would make the net work vanish for any elastic law (strains and their rates)."""
    t = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    e0 = ELASTIC.volumetric_strain(25e6)
    A = np.diag([1.0, -0.5, -0.5])
    B = np.array([[0, 1.0, 0], [1.0, 0, 0], [0, 0, 0]])
    ev = e0 * (1 + 0.5 * np.sin(t) + 0.1 * np.cos(3 * t))
    dev = e0 * (0.5 * np.cos(t) - 0.3 * np.sin(3 * t))
    c1, c2 = 0.15 * e0 * np.cos(t + 0.3), 0.15 * e0 * np.sin(2 * t + 1.1)
    dc1, dc2 = -0.15 * e0 * np.sin(t + 0.3), 0.3 * e0 * np.cos(2 * t + 1.1)
    eps = (-ev / 3)[:, None, None] * np.eye(3) + c1[:, None, None] * A + c2[:, None, None] * B
    deps = (-dev / 3)[:, None, None] * np.eye(3) + dc1[:, None, None] * A + dc2[:, None, None] * B
    return t, eps, deps


def _cauchy_stress(eps: np.ndarray) -> np.ndarray:
    """An elastic (path-independent) but not hyperelastic law with the same isotropic branch:
    p(e_v) of the closed form, q = 3 G_t(p) e_s with G_t from nu (no coupling of p to e_s)."""
    from fem.mechanics.compaction_law import strain_invariants

    ev, es, nhat, _ = strain_invariants(eps)
    el, nu = ELASTIC, ELASTIC.poissons_ratio
    p = el.stiffness * (ev + el.offset) ** (1 / (1 - el.exponent)) - el.floor_pressure
    q = 4.5 * el.bulk_modulus(p) * (1 - 2 * nu) / (1 + nu) * es
    return -p[:, None, None] * np.eye(3) + np.sqrt(2 / 3) * q[:, None, None] * nhat


def _hypoelastic_stress(eps: np.ndarray) -> np.ndarray:
    """The hypoelastic law with the same tangent moduli, d sigma = (K_t(p) I x I + 2 G_t(p)
    I_dev) : d eps (G_t from nu), integrated by RK4 along the sampled path."""
    nu = ELASTIC.poissons_ratio

    def rate(sig, de):
        p = -np.trace(sig) / 3.0
        K = ELASTIC.bulk_modulus(max(p, 0.0))
        G = 1.5 * K * (1 - 2 * nu) / (1 + nu)
        dv = np.trace(de)
        return K * dv * np.eye(3) + 2 * G * (de - dv / 3 * np.eye(3))

    out = [LAW.stress(eps[:1])[0]]
    for k in range(1, len(eps) + 1):
        de = eps[k % len(eps)] - eps[k - 1]
        s = out[-1]
        k1 = rate(s, de)
        k2 = rate(s + 0.5 * k1, de)
        k3 = rate(s + 0.5 * k2, de)
        out.append(s + (k1 + 2 * k2 + 2 * k3 + rate(s + k3, de)) / 6)
    return np.array(out)


def test_closed_elastic_cycle_does_no_net_work():
    t, eps, deps = _cycle()
    res = LAW.return_map(eps, np.full(len(t), 0.8))
    assert not np.any(res.plastic)
    power = np.einsum("nij,nij->n", res.stress, deps)
    gross = np.sum(np.abs(power))
    assert abs(np.sum(power)) / gross < 1e-10  # trapezoid rule, periodic: spectral accuracy
    # an elastic law without a potential does work on the same cycle (the test can fail) ...
    cauchy = np.einsum("nij,nij->n", _cauchy_stress(eps), deps)
    assert abs(np.sum(cauchy)) / np.sum(np.abs(cauchy)) > 1e-4
    # ... and the hypoelastic law with the same moduli does not even return to its stress
    hypo = _hypoelastic_stress(eps)
    drift = np.max(np.abs(hypo[-1] - hypo[0])) / np.max(np.abs(hypo[0]))
    assert drift > 1e-4


# ---------------------------------------------------------------------------- finite elements
H = 900e-6  # column height (m)


def _allow(monkeypatch, role: str, material_class: str) -> None:
    """Let a layer of ``role`` be made of a card of ``material_class``, which a cell may not be
    (fem.case.roles.ROLE_CLASSES): a homogeneous verification column, allowed here."""
    from fem.case.roles import ROLE_CLASSES

    monkeypatch.setitem(ROLE_CLASSES, role, (*ROLE_CLASSES[role], material_class))


def _column(monkeypatch, pressing: str, density: float):
    """Three Li6PS5Cl layers (one porous column) in a rigid die, frictionless rigid platens,
    constant-pressure holder, small strain."""
    _allow(monkeypatch, "li", "solid_electrolyte")
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"] = {"kind": "symmetric", "radius": "5 mm", "die": {"enabled": True}, "layers": [
        {"name": f"p{k}", "role": role, "material": "li6ps5cl", "thickness": "300 um",
         "relative_density": density} for k, role in enumerate(("li", "separator", "li"))]}
    raw["materials"] = {"li6ps5cl": {"pressing_pressure": pressing,
                                     "molar_volume": "13 cm^3/mol"}}  # (the "li" roles need it)
    raw["platens"] = {"contact": "frictionless"}
    raw["mechanics"] = {"large_deformation": False, "creep_law": "none",
                        "porous_layers": "compaction"}
    raw["mesh"] = {"size_min": "300 um", "size_max": "2 mm", "element_degree": 1}
    raw["holder"] = {"type": "constant_pressure", "pressure": "1 MPa"}
    raw["interface"] = {"enabled": False}
    case = load_case_dict(raw)
    cm = build_stack_mesh(case, MPI.COMM_WORLD)
    hold = Holder(area=case.cell.area, stiffness=case.holder.stiffness, kind=case.holder.type)
    mech = StackMechanics(cm, stack_mechanics_settings(case), hold)
    layers = tuple(compaction_layer(case, la) for la in case.cell.layers)
    model = attach_compaction(mech, CompactionSettings(layers, confined=True))
    mech.setup()
    return mech, hold, model, layers[0]


def test_column_follows_the_local_die_path(comm, monkeypatch):
    """Pressed at 50 MPa to D = 0.6; loaded to 90 MPa (beyond the pressing: compaction),
    unloaded to 5, reloaded to 120 MPa: eps_zz = U/H and D of the FE column against the local
    law's die path from the same pressed state, with the same load steps."""
    mech, hold, model, layer = _column(monkeypatch, "50 MPa", 0.6)
    loads = np.array([5, 20, 40, 60, 75, 90, 60, 30, 5, 40, 80, 100, 120]) * 1e6
    ref = paths.die_path(layer.law, paths.pressed_state(layer.law, 50e6), loads)
    assert [pt.plastic for pt in ref].count(True) >= 5
    errs, derr = [], []
    for P, pt in zip(loads, ref, strict=True):
        hold.set_pressure(P)
        mech.begin_step(0.0)
        res = mech.solve(1e-12, 1e-13, 30)
        mech.commit()
        assert res.pressure == pytest.approx(P, rel=1e-9)
        errs.append(abs(mech.U / H - pt.strain[2, 2]) / abs(pt.strain[2, 2]))
        _, cells, sdofs, _, _ = model.layers[1]
        d = model.density.x.array[sdofs]
        derr.append(comm.allreduce(float(np.max(np.abs(d - pt.state.density), initial=0.0)),
                                   op=MPI.MAX))
    assert max(errs) < 1e-8
    assert max(derr) < 1e-10


# ---------------------------------------------------------------------------- restart
def _restart_raw() -> dict:
    """The small full cell with compacting porous layers; the separator pressed at only
    20 MPa, so that the protocol's 25 MPa press compacts it further (D, p_c and the plastic
    strain change during the run)."""
    from test_restart import _raw

    raw = _raw("norton")
    raw["mechanics"]["porous_layers"] = "compaction"
    raw["materials"] = {"li6ps5cl": {"pressing_pressure": "20 MPa"}}
    raw["cell"]["layers"][1]["relative_density"] = 0.6
    return raw


def test_compaction_state_survives_a_restart(shared_tmp, comm):
    """Same rank count: history and final fields (density, consolidation pressure, plastic
    and elastic strain of the porous layers among them) equal the uninterrupted run's."""
    from test_restart import _fields_error, _final_fields, _history_error, _StopAfter

    from fem.output.history import read_history
    from fem.run.stack_run import StackRun

    ref = StackRun(load_case_dict(_restart_raw()), comm, progress=False).run(shared_tmp / "ref")
    with pytest.raises(Exception, match="checkpoint"):
        _StopAfter(load_case_dict(_restart_raw()), comm, progress=False).run(shared_tmp / "out")
    out = StackRun.from_checkpoint(shared_tmp / "out", comm, progress=False).run("-")
    if comm.rank == 0:
        fields = _final_fields(ref)
        assert {"field__relative_density", "field__consolidation_pressure",
                "field__compaction_plastic_strain", "field__compaction_elastic_strain"} <= set(fields)
        assert _history_error(read_history(ref / "history.csv"),
                              read_history(out / "history.csv")) < 1e-10
        assert _fields_error(fields, _final_fields(out)) < 1e-10
        sep = fields["field__relative_density"]
        assert np.nanmax(sep) > 0.6 + 1e-3  # the press compacted the separator


def test_missing_card_values_and_unreachable_densities_are_case_errors(monkeypatch):
    """The settings name the layer, the card and the parameter; a density the pressing cannot
    reach names the layer's relative_density."""
    from fem.cellstack.settings import compaction_settings
    from fem.errors import CaseError

    raw = copy.deepcopy(BASE_CASE)
    raw["mechanics"] = {"porous_layers": "compaction"}
    _allow(monkeypatch, "separator", "li_metal")
    raw["cell"]["layers"][1]["material"] = "li"  # a card without compaction parameters
    raw["interface"] = {"enabled": False}
    with pytest.raises(CaseError, match="heckel_yield_pressure|unloading_modulus"):
        compaction_settings(load_case_dict(raw))
    raw = copy.deepcopy(BASE_CASE)
    raw["mechanics"] = {"porous_layers": "compaction"}
    raw["cell"]["layers"][1]["relative_density"] = 1.0
    with pytest.raises(CaseError, match=r"cell.layers\[1\].relative_density"):
        compaction_settings(load_case_dict(raw))
    raw["mechanics"] = {"porous_layers": "plastic"}
    with pytest.raises(CaseError, match="porous_layers"):
        load_case_dict(raw)
