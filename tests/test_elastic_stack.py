"""Verification: the elastic layered column under confined (oedometric) and unconfined
compression against the closed form, through the rigid-platen mechanics (1e-6 relative).

Confined (rigid die, u_r = 0 at the outer wall, frictionless platens): uniaxial strain,
eps_zz,i = -p / M_i with M = E (1 - nu) / ((1 + nu)(1 - 2 nu)); platen U = -p sum t_i / M_i.
Unconfined (free outer surface, frictionless platens): uniaxial stress sigma_zz = -p; with
nu_i / E_i equal in every layer the lateral strains match at the interfaces, so the exact field
is u_z(z) = -p int_0^z dz / E(z), u_r = nu p r / E, which the elements reproduce exactly.
"""

import numpy as np
import pytest

from fem._dolfinx import MPI, dolfinx
from fem.case import load_case_dict
from fem.cellstack.settings import stack_mechanics_settings
from fem.geometry import build_stack_mesh
from fem.mechanics.holder import Holder
from fem.mechanics.stack import StackMechanics

LAYERS = [("cathode", 100e-6, 10e9, 0.2), ("separator", 700e-6, 20e9, 0.4),
          ("li", 100e-6, 5e9, 0.1)]  # nu / E = 0.02 / GPa in every layer


def _case(base_case, confined: bool, degree: int):
    base_case["materials"] = {
        {"cathode": "ncm811_composite", "separator": "li6ps5cl", "li": "li"}[n]: {
            "youngs_modulus": f"{E / 1e9} GPa", "poissons_ratio": str(nu)}
        for n, _, E, nu in LAYERS
    }
    base_case["platens"] = {"contact": "frictionless"}
    base_case["mechanics"] = {"large_deformation": False, "creep_law": "none"}
    base_case["mesh"] = {"size_min": "150 um", "size_max": "1 mm", "element_degree": degree,
                         "li_cells": 1}  # elastic columns: nothing to resolve in the foil
    base_case["cell"]["die"] = {"enabled": confined}
    return load_case_dict(base_case)


def _problem(case):
    cm = build_stack_mesh(case, MPI.COMM_WORLD)
    holder = Holder(area=case.cell.area, stiffness=case.holder.stiffness, kind=case.holder.type)
    return StackMechanics(cm, stack_mechanics_settings(case), holder), holder


def _field_error(mech, exact) -> float:
    """max |u_h - u_exact| / max |u_exact| at the dofs (global)."""
    ue = dolfinx.fem.Function(mech.V)
    ue.interpolate(exact)
    n = mech.V.dofmap.index_map.size_local * mech.V.dofmap.index_map_bs
    err = np.max(np.abs(mech.u.x.array[:n] - ue.x.array[:n]), initial=0.0)
    ref = np.max(np.abs(ue.x.array[:n]), initial=0.0)
    return mech.comm.allreduce(err, op=MPI.MAX) / mech.comm.allreduce(ref, op=MPI.MAX)


def _compliance(modulus) -> float:
    return sum(t / modulus(E, nu) for _, t, E, nu in LAYERS)


def _oedometric(E, nu):
    return E * (1 - nu) / ((1 + nu) * (1 - 2 * nu))


def _young(E, nu):
    return E


@pytest.mark.parametrize("degree", [1, 2])
@pytest.mark.parametrize("confined", [True, False])
def test_force_control_gives_closed_form_displacement(base_case, confined, degree):
    case = _case(base_case, confined, degree)
    mech, holder = _problem(case)
    p = 5e6
    holder.set_pressure(p)
    res = mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    modulus = _oedometric if confined else _young
    U_exact = -p * _compliance(modulus)
    assert res.pressure == pytest.approx(p, rel=1e-8)
    assert mech.U == pytest.approx(U_exact, rel=1e-6)

    z_i = np.cumsum([0.0] + [t for _, t, _, _ in LAYERS])

    def exact(x):
        uz = np.zeros(x.shape[1])
        for i, (_, _t, E, nu) in enumerate(LAYERS):
            inside = (x[1] >= z_i[i] - 1e-12) & (x[1] <= z_i[i + 1] + 1e-12)
            below = -p * sum(tt / modulus(EE, nn) for _, tt, EE, nn in LAYERS[:i])
            uz[inside] = below - p * (x[1][inside] - z_i[i]) / modulus(E, nu)
        ur = np.zeros_like(uz) if confined else 0.02e-9 * p * x[0]
        return np.vstack([ur, uz])

    assert _field_error(mech, exact) < 1e-6


@pytest.mark.parametrize("confined", [True, False])
def test_fixed_gap_pressure_from_platen_reaction(base_case, confined):
    """Prescribe the platen displacement (rigid holder); the reaction gives the pressure."""
    case = _case(base_case, confined, 2)
    mech, holder = _problem(case)
    U = -1e-6
    holder.stiffness = float("inf")
    holder.kind = "fixed_gap"
    holder.lock(p=0.0, U=U)
    res = mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    modulus = _oedometric if confined else _young
    assert mech.U == pytest.approx(U, rel=1e-12)
    assert res.pressure == pytest.approx(-U / _compliance(modulus), rel=1e-6)


def test_series_spring_holder(base_case):
    """Locked holder of stiffness k in series with the elastic stack: a platen load step
    splits as p = p0 + k dU / A (holder equation) with the stack's closed-form compliance."""
    case = _case(base_case, True, 2)
    mech, holder = _problem(case)
    holder.set_pressure(5e6)
    mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    holder.kind, holder.stiffness = "spring", 1e7
    holder.lock(p=5e6, U=mech.U)
    U0 = mech.U
    # an eigenstrain in the Li layer (growth dh) pushes the platen up
    dh = 1e-6
    li = mech.cm.cells("li")
    vals = mech.deigen.x.array.reshape(-1, 9)
    dofs = mech.deigen.function_space.dofmap.list[li, 0]
    vals[dofs, 4] = dh / 100e-6  # eps_zz (index (1,1) of the (r, z, theta) tensor)
    mech.deigen.x.scatter_forward()
    res = mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    k_stack = case.cell.area / _compliance(_oedometric)
    k = holder.stiffness
    dU_exact = dh * k_stack / (k_stack + k)
    assert mech.U - U0 == pytest.approx(dU_exact, rel=1e-8)
    assert res.pressure - 5e6 == pytest.approx(k * dU_exact / case.cell.area, rel=1e-8)


@pytest.mark.parametrize("sector", [90.0, 360.0])  # 180: see the note in the issue
def test_3d_sector_unconfined_column(base_case, sector):
    """3D sector with symmetry planes: the reaction acts on the sector's share of the area, so
    the force-controlled pressure gives the closed-form platen displacement."""
    case_raw = base_case
    h = 4e-4 if sector < 360 else 8e-4  # the full circle: 4 times the cells at the same size
    case_raw["mesh"] = {"li_cells": 1, "dimension": "3d", "size_min": f"{h * 1e6:g} um", "size_max": "3 mm",
                        "element_degree": 1, "sector_angle": sector, "geometry_order": 2}
    case = _case(case_raw, False, 1)
    case.mesh.dimension, case.mesh.size_min, case.mesh.size_max = "3d", h, 3e-3
    case.mesh.sector_angle, case.mesh.geometry_order = sector, 2
    mech, holder = _problem(case)
    p = 5e6
    holder.set_pressure(p)
    res = mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    assert res.pressure == pytest.approx(p, rel=1e-8)
    assert mech.U == pytest.approx(-p * _compliance(_young), rel=1e-5)


def test_ti_plungers_in_series(base_case):
    """Elastic Ti plungers as layers of the stack, loaded on their far faces by the platen:
    the confined column's compliance gains t/M of each plunger."""
    layers = base_case["cell"]["layers"]
    base_case["cell"]["layers"] = (
        [{"name": "plunger_bottom", "role": "plunger", "material": "ti", "thickness": "2 mm"}]
        + layers
        + [{"name": "plunger_top", "role": "plunger", "material": "ti", "thickness": "2 mm"}])
    case = _case(base_case, True, 2)
    mech, holder = _problem(case)
    p = 5e6
    holder.set_pressure(p)
    mech.solve(1e-12, 1e-11, 5)
    mech.commit()
    ti = case.materials["ti"]
    m_ti = _oedometric(ti["youngs_modulus"], ti["poissons_ratio"])
    assert mech.U == pytest.approx(-p * (_compliance(_oedometric) + 2 * 2e-3 / m_ti), rel=1e-6)
