"""Verification of the charge-conservation solver on 1D stacks with closed-form answers (issue 5).

1. Separator + Li interface + planar counter electrode, in 1D, a plane 2D strip and an
   axisymmetric cylinder (the solution is 1D in all three): the phi_e profile is linear, so the
   FE cell voltage must equal the closed form to round-off::

       V = U + i L/kappa + eta_ctr(i) - eta_Li(-i)      (i = I/A, charge positive)

   with eta = i R_ct (linearised kinetics) or the asinh inverse (Butler-Volmer); asserted to 1e-8
   relative on the polarisation V - U (and so on V), for charge and discharge.
2. Separator + porous composite cathode with linear kinetics (1D, P2): Newman & Tobias (J.
   Electrochem. Soc. 109 (1962) 1183) closed form of the porous-electrode polarisation (see
   :func:`porous_polarisation`), asserted to 1e-8 relative on V - U.
3. Charge conservation (the issue's check 4), axisymmetric 2D with Butler-Volmer everywhere and a
   non-uniform contact fraction: the Li interface current, the volumetric reaction current and the
   consistent collector current all equal the applied current to 1e-10; a potentiostatic solve at
   the galvanostatic voltage returns the same current.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fem._dolfinx import MPI, dolfinx
from fem.constants import T_REF
from fem.electrochemistry.kinetics import Kinetics
from fem.electrochemistry.potential import ChargeConservation, CompositeElectrode, PlanarElectrode

L_SEP, L_CAT = 700e-6, 100e-6  # m
WIDTH = 200e-6                  # plane strip width / cylinder radius (m)
KAPPA = 0.22                    # S/m, Li6PS5Cl (li6ps5cl.toml)
U_CAT = 3.8                     # V
SEP, CAT = 1, 2                 # cell tags
LI, TOP = 1, 2                  # facet tags: Li interface (z = 0), collector / counter (z = top)


def stack_mesh(kind: str, n_sep: int, n_cat: int = 0):
    """Mesh of separator [0, L_SEP] (+ cathode [L_SEP, L_SEP + L_CAT]) along the stack axis."""
    comm = MPI.COMM_WORLD
    top = L_SEP + (L_CAT if n_cat else 0.0)
    n = n_sep + n_cat
    if kind == "1d":
        msh = dolfinx.mesh.create_interval(comm, n, [0.0, top])
        ax = 0
        # uniform spacing in each layer: map the uniform nodes piecewise-linearly
    else:
        msh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [WIDTH, top]], [2, n])
        ax = 1
    if n_cat:  # move nodes so that each layer is uniform and the interface is a mesh line
        xg = msh.geometry.x
        s = xg[:, ax] / top * n
        xg[:, ax] = np.where(s <= n_sep, s * L_SEP / n_sep, L_SEP + (s - n_sep) * L_CAT / n_cat)
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    cat = dolfinx.mesh.locate_entities(msh, tdim, lambda x: x[ax] >= L_SEP - 1e-12)
    ncell = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    values = np.full(ncell, SEP, dtype=np.int32)
    values[cat] = CAT
    ct = dolfinx.mesh.meshtags(msh, tdim, np.arange(ncell, dtype=np.int32), values)
    f0 = dolfinx.mesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[ax], 0.0))
    f1 = dolfinx.mesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[ax], top))
    facets = np.concatenate([f0, f1]).astype(np.int32)
    tags = np.concatenate([np.full(len(f0), LI), np.full(len(f1), TOP)]).astype(np.int32)
    order = np.argsort(facets)
    ft = dolfinx.mesh.meshtags(msh, tdim - 1, facets[order], tags[order])
    area = {"1d": 1.0, "plane": WIDTH, "axisymmetric": math.pi * WIDTH**2}[kind]
    return msh, ct, ft, area


def porous_polarisation(i: float, L: float, kappa: float, sigma: float, a: float, r_ct: float) -> float:
    """phi_s(collector) - phi_e(separator side) - U of a porous electrode, linear kinetics.

    Newman & Tobias 1962 (Newman & Thomas-Alyea, Electrochemical Systems, sec. 22.3)::

        i L/(kappa + sigma) [1 + (2 + (sigma/kappa + kappa/sigma) cosh nu) / (nu sinh nu)],
        nu^2 = L^2 a (1/kappa + 1/sigma) / R_ct.
    """
    nu = L * math.sqrt(a * (1 / kappa + 1 / sigma) / r_ct)
    return i * L / (kappa + sigma) * (1 + (2 + (sigma / kappa + kappa / sigma) * math.cosh(nu))
                                      / (nu * math.sinh(nu)))


@pytest.mark.parametrize("kind", ["1d", "plane", "axisymmetric"])
@pytest.mark.parametrize("model", ["linear", "butler_volmer"])
def test_separator_with_counter_electrode(kind, model):
    msh, ct, ft, area = stack_mesh(kind, 16)
    li = Kinetics(50.0, model=model)             # A/m^2 (docs/references.md#derived-exchange-current)
    ctr = Kinetics(10.0, alpha_a=0.6, alpha_c=0.4, model=model)
    solver = ChargeConservation(
        msh, ct, ft, {"separator": SEP, "li_interface": LI, "counter": TOP}, kappa_separator=KAPPA,
        li_kinetics=li, counter=PlanarElectrode(ctr, U_CAT), axisymmetric=kind == "axisymmetric")
    for i in (10.0, -25.0):  # A/m^2: charge (plating) and discharge
        V = solver.solve(i * area)
        expected = (U_CAT + i * L_SEP / KAPPA + float(ctr.overpotential(i, T_REF))
                    - float(li.overpotential(-i, T_REF)))
        assert abs(V - expected) <= 1e-8 * abs(expected - U_CAT), (V, expected)
        currents = solver.integrated_currents()
        for name in ("li", "counter"):
            assert currents[name] == pytest.approx(i * area, rel=1e-10)


def test_porous_cathode_newman_tobias():
    kappa_eff, sigma_eff = 0.017, 0.056   # S/m, Minnmann 2021 composite (references.md#minnmann2021)
    a = 4.0e5                              # 1/m, 3 eps/r for eps = 0.34, r = 2.5 um
    cat_kin = Kinetics(1.0, model="linear")
    li = Kinetics(50.0, model="linear")
    msh, ct, ft, _ = stack_mesh("1d", 8, 200)
    solver = ChargeConservation(
        msh, ct, ft, {"separator": SEP, "cathode": CAT, "li_interface": LI, "collector": TOP},
        kappa_separator=KAPPA, li_kinetics=li, degree=2,
        cathode=CompositeElectrode(kappa_eff, sigma_eff, a, cat_kin, U_CAT))
    for i in (10.0, -10.0):
        V = solver.solve(i)
        pol = (i * L_SEP / KAPPA + i * li.resistance(T_REF)
               + porous_polarisation(i, L_CAT, kappa_eff, sigma_eff, a, cat_kin.resistance(T_REF)))
        assert abs((V - U_CAT) - pol) <= 1e-8 * abs(pol), (V - U_CAT, pol)


def test_charge_conservation_axisymmetric_bv():
    import ufl

    msh, ct, ft, area = stack_mesh("axisymmetric", 10, 10)
    x = ufl.SpatialCoordinate(msh)
    fc = 0.6 + 0.35 * ufl.cos(3 * math.pi * x[0] / WIDTH)   # partial contact, 0.25 ... 0.95
    solver = ChargeConservation(
        msh, ct, ft, {"separator": SEP, "cathode": CAT, "li_interface": LI, "collector": TOP},
        kappa_separator=KAPPA, li_kinetics=Kinetics(5.0), contact_fraction=fc,
        li_potential_shift=-1.35e-3 * (1 + x[0] / WIDTH), axisymmetric=True, degree=2,
        cathode=CompositeElectrode(0.017, 0.056, 4e5, Kinetics(0.5, alpha_a=0.7, alpha_c=0.3), U_CAT))
    I = 30.0 * area   # 3 mA/cm^2
    V = solver.solve(I)
    assert V > U_CAT
    currents = solver.integrated_currents()
    for name in ("li", "reaction", "collector"):
        assert abs(currents[name] - I) <= 1e-10 * I, (name, currents[name], I)
    coords, i_if = solver.interface_current_density()
    assert np.all(i_if <= 0)   # plating everywhere on charge
    # potentiostatic at the same voltage gives the same current
    solver.solve(voltage=V)
    assert solver.integrated_currents()["li"] == pytest.approx(I, rel=1e-9)


def test_a_stalled_solve_is_rejected_after_many_solves():
    """A Newton solve stopped before convergence (here: one iteration allowed) raises, also
    after more than 1000 residual norms were logged by earlier solves. Regression: the SNES
    convergence history was not reset per solve, so the acceptance test of a stalled solve
    compared the run's first residual and, once petsc4py's 1000-entry history was full, a stale
    norm of an old converged solve: any stalled solve passed (the full cell's discharge ran on
    at a fixed SOC past the cathode's irreversible limit)."""
    msh, ct, ft, _ = stack_mesh("1d", 4)
    solver = ChargeConservation(
        msh, ct, ft, {"separator": SEP, "li_interface": LI, "counter": TOP}, kappa_separator=KAPPA,
        li_kinetics=Kinetics(50.0), counter=PlanarElectrode(Kinetics(10.0), U_CAT))
    solver.solve(200.0)
    for _ in range(1100):  # converged at the start: one (round-off) norm logged per solve
        solver.solve(200.0)
        assert solver.newton_iterations == 0
    snes = solver._problem.solver
    snes.setTolerances(max_it=1)
    with pytest.raises(RuntimeError, match="did not converge"):
        solver.solve(2000.0)  # far from the last solution: one Newton step does not reach it
