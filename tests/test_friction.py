"""Coulomb friction at the rigid platens and the rigid die wall (fem.mechanics.friction).

(a) Limits: mu = 0 reproduces the frictionless platens, a large mu the bonded ones (elastic
    disk in a fixed gap, axisymmetric and a 3D sector); the pressure grows with mu in between.
(b) The Coulomb law: with mu_crit = max |T|/N of the stuck (bonded) solution, mu = 1.01 mu_crit
    sticks everywhere and is the bonded solution; mu = 0.5 mu_crit slips in a rim zone where
    |T| = mu N and T opposes the slip, and sticks inside with |T| < mu N.
    Die-wall friction against Janssen's closed form for a confined column with the wall friction
    fully mobilised: p_bottom / p_top = exp(-2 mu K H / R), K = nu / (1 - nu).
(c) docs/references.md#derived-squeeze-film: the creep thinning of a thin Li foil (h/R = 0.02)
    under constant pressure differs by orders of magnitude between frictionless and high-friction platens.
"""

import copy
import math

import numpy as np
import pytest
from conftest import BASE_CASE

from fem._dolfinx import MPI, dolfinx
from fem.case import load_case_dict
from fem.cellstack.settings import inelastic_settings, stack_mechanics_settings
from fem.errors import CaseError
from fem.geometry import build_stack_mesh
from fem.mechanics.creep_setup import attach_creep
from fem.mechanics.holder import Holder
from fem.mechanics.stack import StackMechanics

COMM = MPI.COMM_WORLD


@pytest.fixture(autouse=True)
def _homogeneous_li_column(monkeypatch):
    """A homogeneous Li column: the middle layer (role separator, for the cell kind) is made of
    the Li card too, which a cell may not be (fem.case.roles.ROLE_CLASSES): allowed here."""
    from fem.case.roles import ROLE_CLASSES

    monkeypatch.setitem(ROLE_CLASSES, "separator", (*ROLE_CLASSES["separator"], "li_metal"))


def _raw(contact: str, mu: float | None, thickness=(300e-6, 400e-6, 300e-6), elastic=True):
    """A homogeneous Li column (three layers of one card) between rigid platens."""
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"] = {"kind": "symmetric", "radius": "5 mm", "layers": [
        {"name": n, "role": r, "material": "li", "thickness": f"{t * 1e6:g} um"}
        for (n, r), t in zip((("li_bottom", "li"), ("separator", "separator"), ("li_top", "li")),
                             thickness, strict=True)]}
    if elastic:
        raw["materials"] = {"li": {"youngs_modulus": "10 GPa", "poissons_ratio": "0.3"}}
    raw["platens"] = {"contact": contact}
    if mu is not None:
        raw["platens"]["friction_coefficient"] = mu
    raw["mechanics"] = {"large_deformation": False, "creep_law": "none" if elastic else "norton"}
    raw["mesh"] = {"li_cells": 1, "size_min": "100 um", "size_max": "1 mm", "element_degree": 2}
    raw["interface"] = {"enabled": False}  # (the Li "separator" has no ionic conductivity)
    return raw


def _mech(raw):
    case = load_case_dict(raw)
    cm = build_stack_mesh(case, COMM)
    hold = Holder(area=case.cell.area, stiffness=case.holder.stiffness, kind=case.holder.type)
    return case, StackMechanics(cm, stack_mechanics_settings(case), hold), hold


def _squeeze(raw, U: float = -1e-6):
    """Close the gap by |U| with a rigid holder; returns (mech, Newton result)."""
    _, mech, hold = _mech(raw)
    mech.setup()
    hold.stiffness, hold.kind = float("inf"), "fixed_gap"
    hold.lock(p=0.0, U=U)
    res = mech.solve(1e-10, 1e-12, 30)
    mech.commit()
    return mech, res


def _gmax(x) -> float:
    return COMM.allreduce(float(np.max(x, initial=-np.inf)), op=MPI.MAX)


def _gsum(x) -> float:
    return COMM.allreduce(float(np.sum(x)), op=MPI.SUM)


def _u_diff(a, b) -> float:
    n = a.V.dofmap.index_map.size_local * a.V.dofmap.index_map_bs
    return _gmax(np.abs(a.u.x.array[:n] - b.u.x.array[:n])) / _gmax(np.abs(b.u.x.array[:n]))


# ---------------------------------------------------------------------------- (a) limits
def test_coulomb_limits_frictionless_and_bonded():
    free, r_free = _squeeze(_raw("frictionless", None))
    bonded, r_bond = _squeeze(_raw("bonded", None))
    mu0, r0 = _squeeze(_raw("coulomb", 0.0))
    stick, r_stick = _squeeze(_raw("coulomb", 10.0))
    mid, r_mid = _squeeze(_raw("coulomb", 0.1))
    assert r0.pressure == pytest.approx(r_free.pressure, rel=1e-9)
    assert _u_diff(mu0, free) < 1e-8
    # stick within the penalty regularisation (kappa = 10; measured 1.5e-4)
    assert r_stick.pressure == pytest.approx(r_bond.pressure, rel=3e-4)
    assert _u_diff(stick, bonded) < 1e-2
    assert _gsum(stick.friction.slip) == 0
    assert r_free.pressure < r_mid.pressure < r_bond.pressure
    assert r_bond.pressure / r_free.pressure > 1.2  # a real difference to resolve
    print(f"\nstick vs bonded: dp/p = {r_stick.pressure / r_bond.pressure - 1:.2e}, "
          f"max |du| / max |u| = {_u_diff(stick, bonded):.2e}")
    print(f"fixed gap 1 um: p frictionless {r_free.pressure:.6e}, mu=0 {r0.pressure:.6e}, "
          f"mu=0.1 {r_mid.pressure:.6e}, mu=10 {r_stick.pressure:.6e}, bonded "
          f"{r_bond.pressure:.6e}; Newton iterations mu=0: {r0.iterations}, "
          f"mu=0.1: {r_mid.iterations}, mu=10: {r_stick.iterations}")


def test_coulomb_limits_3d_sector():
    def raw3d(contact, mu):
        raw = _raw(contact, mu)
        raw["mesh"] = {"li_cells": 1, "dimension": "3d", "size_min": "400 um", "size_max": "1.5 mm",
                       "element_degree": 1, "sector_angle": 90}
        return raw

    _, r_free = _squeeze(raw3d("frictionless", None))
    _, r_bond = _squeeze(raw3d("bonded", None))
    _, r0 = _squeeze(raw3d("coulomb", 0.0))
    stick, r_stick = _squeeze(raw3d("coulomb", 10.0))
    assert r0.pressure == pytest.approx(r_free.pressure, rel=1e-9)
    assert r_stick.pressure == pytest.approx(r_bond.pressure, rel=3e-3)  # measured 1.5e-3 (P1)
    assert _gsum(stick.friction.slip) == 0


# ---------------------------------------------------------------------------- (b) Coulomb law
def test_slip_zone_obeys_coulomb_and_full_stick_above_critical_mu():
    stuck, _ = _squeeze(_raw("coulomb", 10.0))
    f = stuck.friction
    mu_crit = _gmax(np.linalg.norm(f.T, axis=1) / np.maximum(f.N, 1e-300))
    assert 0.05 < mu_crit < 2.0
    _, r_bond = _squeeze(_raw("bonded", None))

    above, r_above = _squeeze(_raw("coulomb", 1.01 * mu_crit))
    assert _gsum(above.friction.slip) == 0
    assert r_above.pressure == pytest.approx(r_bond.pressure, rel=3e-4)  # the stick penalty

    mu = 0.5 * mu_crit
    part, r_part = _squeeze(_raw("coulomb", mu))
    f = part.friction
    T = np.linalg.norm(f.T, axis=1)
    slip, stick = f.slip & (f.N > 0), ~f.slip
    n_slip, n_stick = _gsum(slip), _gsum(stick)
    assert n_slip > 0 and n_stick > 0
    N_max = _gmax(f.N)
    assert _gmax(np.abs(T[slip] - mu * f.N[slip])) < 1e-10 * N_max  # |t_t| = mu p_n
    assert _gmax(T[stick] - mu * f.N[stick]) <= 0.0  # inside the cone
    ds = np.where(f.mask, part.u.x.array[f.tsafe], 0.0)
    assert _gmax(np.sum(f.T * ds, axis=1)[slip]) < 0  # opposes the slip
    # the slip zone is the rim: every slipping node lies outside every sticking node
    r = part.V.tabulate_dof_coordinates()[f.tdof[:, 0] // part.V.dofmap.index_map_bs, 0]
    r_stick_max = _gmax(r[stick])
    r_slip_min = -_gmax(-r[slip]) if _gsum(slip) else np.inf
    assert r_slip_min > r_stick_max
    assert r_part.pressure < r_bond.pressure
    print(f"\nmu_crit = {mu_crit:.4f}; mu = mu_crit/2: {n_slip:.0f} slipping / {n_stick:.0f} "
          f"sticking face nodes (slip for r > {r_stick_max * 1e3:.3f} mm), Newton iterations "
          f"{r_part.iterations}; p = {r_part.pressure:.6e} vs bonded {r_bond.pressure:.6e}")


def _bottom_pressure(mech, case) -> float:
    bot = dolfinx.fem.locate_dofs_topological(mech.V.sub(mech.iz), 1, mech.cm.facets("bottom"))
    nl = mech.V.dofmap.index_map.size_local * mech.V.dofmap.index_map_bs
    return _gsum(mech.b_full.array[bot[bot < nl]]) / case.cell.area


def test_die_wall_friction_janssen():
    mu, nu, H, R = 0.3, 0.3, 10e-3, 5e-3
    raw = _raw("frictionless", None, thickness=(0.3 * H, 0.4 * H, 0.3 * H))
    raw["cell"]["die"] = {"enabled": True, "friction_coefficient": mu}
    raw["mesh"] = {"li_cells": 1, "size_min": "250 um", "size_max": "250 um", "element_degree": 2}
    raw["holder"] = {"type": "constant_pressure", "pressure": "10 MPa"}
    with pytest.warns(UserWarning):  # (thick Li layers)
        case, mech, hold = _mech(raw)
    mech.setup()
    hold.set_pressure(1e7)
    res = mech.solve(1e-10, 1e-12, 40)
    mech.commit()
    ratio = _bottom_pressure(mech, case) / res.pressure
    janssen = math.exp(-2 * mu * nu / (1 - nu) * H / R)
    assert _gsum(~mech.friction.slip) == 0  # fully mobilised, as Janssen assumes
    assert ratio == pytest.approx(janssen, rel=0.01)  # measured 0.24 %
    print(f"\nJanssen: p_bottom/p_top = {ratio:.5f}, closed form {janssen:.5f}, "
          f"Newton iterations {res.iterations}")


# ---------------------------------------------------------------------------- (c) Li foil creep
def _foil_thinning(contact: str, mu: float | None, p: float = 1e6, t_end: float = 10.0):
    raw = _raw(contact, mu, thickness=(30e-6, 40e-6, 30e-6), elastic=False)
    raw["mesh"] = {"li_cells": 1, "size_min": "25 um", "size_max": "1 mm", "element_degree": 2}
    raw["holder"] = {"type": "constant_pressure", "pressure": "1 MPa"}
    case, mech, hold = _mech(raw)
    creep = attach_creep(mech, inelastic_settings(case))
    mech.setup()
    hold.set_pressure(p)
    creep.dt = 1e-12
    mech.begin_step(0.0)
    mech.solve(1e-8, 1e-10, 30)
    mech.commit()
    U0, its = mech.U, []
    for dt in np.diff(np.concatenate([[0.0], np.logspace(-2, math.log10(t_end), 7)])):
        creep.dt = dt
        mech.begin_step(0.0)
        its.append(mech.solve(1e-8, 1e-10, 40).iterations)
        mech.commit()
    return case, -(mech.U - U0), its


def test_thin_li_foil_creep_depends_on_platen_friction():
    """docs/references.md#derived-squeeze-film: 100 um Li foil, R = 5 mm, 1 MPa for 10 s (Norton, 25 degC)."""
    case, free, it_free = _foil_thinning("frictionless", None)
    _, sticky, it_sticky = _foil_thinning("coulomb", 1.0)
    li = case.materials["li"]
    rate = (li["creep_reference_rate"] * (1e6 / li["creep_reference_stress"]) ** li["creep_exponent"]
            * math.exp(-li["creep_activation_energy"] / 8.314462618
                       * (1 / 298.15 - 1 / li["creep_reference_temperature"])))
    assert free == pytest.approx(rate * 10.0 * 100e-6, rel=1e-6)  # uniaxial: exact
    ratio = free / sticky
    assert ratio > 1e3  # measured ~7e3 (lubrication scaling (R/h)^n: the rim flow dominates)
    print(f"\nLi foil creep thinning in 10 s at 1 MPa: frictionless {free * 1e9:.4g} nm, "
          f"mu = 1 {sticky * 1e9:.4g} nm, ratio {ratio:.4g}; Newton iterations per step "
          f"{it_free} / {it_sticky}")


# ---------------------------------------------------------------------------- case checks
def test_friction_case_errors():
    raw = _raw("coulomb", None)
    with pytest.raises(CaseError, match="friction_coefficient"):
        load_case_dict(raw)
    raw = _raw("bonded", 0.3)
    with pytest.raises(CaseError, match="only used with contact = 'coulomb'"):
        load_case_dict(raw)
    raw = _raw("coulomb", 0.3)
    raw["cell"]["die"] = {"enabled": True, "friction_coefficient": 0.2}
    raw["mesh"] = {"li_cells": 1, "dimension": "3d"}
    with pytest.raises(CaseError, match="die-wall friction"):
        load_case_dict(raw)
    raw = _raw("coulomb", 0.3)
    raw["cell"]["die"] = {"enabled": False, "friction_coefficient": 0.2}
    with pytest.raises(CaseError, match="rigid die"):
        load_case_dict(raw)
    raw = _raw("coulomb", 0.3)
    raw["platens"]["model"] = "uniform_pressure"
    with pytest.raises(CaseError, match="rigid platen"):
        load_case_dict(raw)
    case = load_case_dict(_raw("coulomb", 0.3))
    assert case.platen_friction == 0.3 and case.resolved_dict()["platen_friction_coefficient"] == 0.3
