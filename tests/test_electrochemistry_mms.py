"""Manufactured-solution convergence of the coupled two-potential porous-electrode solver (issue 5).

Unit square (Cartesian 2D, and the same square as an axisymmetric (r, z) section), stacked along
y = z: separator 0 < y < 1/2, composite cathode 1/2 < y < 1, Li interface y = 0, collector y = 1.
Butler-Volmer kinetics in the cathode (volumetric a i_BV(phi_s - phi_e - U)) and at the Li
interface (times a contact fraction 0.75 + 0.2 x), galvanostatic control with the cell voltage as
a global unknown, a conductivity jump kappa_sep / kappa_cat = 2.5 across y = 1/2. The exact fields
phi_e*, phi_s* (= V* on the collector) are smooth; the residual gets the matching volume sources,
Neumann data on every natural boundary, the flux jump on the internal interface, and the applied
current is I = -int f_c i_Li(phi_e*). Asserted: the L2 errors of phi_e and phi_s converge at the
optimal rates 2 (P1) and 3 (P2) (+-0.2, both halvings of h) and the cell voltage converges to V*.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.electrochemistry.kinetics import Kinetics
from fem.electrochemistry.potential import ChargeConservation, CompositeElectrode

SEP, CAT = 1, 2
LI, COLLECTOR, SIGMA_IF, SIDE_SEP, SIDE_CAT = 1, 2, 3, 4, 5
K_SEP, K_CAT, SIGMA, A_SPEC, U_CAT, V_EXACT = 1.0, 0.4, 2.0, 1.0, 3.8, 3.85
LI_KIN = Kinetics(1.0)
CAT_KIN = Kinetics(0.5, alpha_a=0.6, alpha_c=0.4)


def unit_square(n: int):
    msh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, n, n)
    tdim = msh.topology.dim
    msh.topology.create_connectivity(tdim - 1, tdim)
    ncell = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    values = np.full(ncell, SEP, dtype=np.int32)
    values[dolfinx.mesh.locate_entities(msh, tdim, lambda x: x[1] >= 0.5 - 1e-12)] = CAT
    ct = dolfinx.mesh.meshtags(msh, tdim, np.arange(ncell, dtype=np.int32), values)
    groups = [
        (LI, lambda x: np.isclose(x[1], 0.0)),
        (COLLECTOR, lambda x: np.isclose(x[1], 1.0)),
        (SIGMA_IF, lambda x: np.isclose(x[1], 0.5)),
        (SIDE_SEP, lambda x: (np.isclose(x[0], 0.0) | np.isclose(x[0], 1.0)) & (x[1] <= 0.5 + 1e-12)),
        (SIDE_CAT, lambda x: (np.isclose(x[0], 0.0) | np.isclose(x[0], 1.0)) & (x[1] >= 0.5 - 1e-12)),
    ]
    facets, tags = [], []
    for tag, marker in groups:
        f = dolfinx.mesh.locate_entities(msh, tdim - 1, marker)
        facets.append(f)
        tags.append(np.full(len(f), tag, dtype=np.int32))
    facets, tags = np.concatenate(facets), np.concatenate(tags)
    facets, first = np.unique(facets, return_index=True)
    ft = dolfinx.mesh.meshtags(msh, tdim - 1, facets.astype(np.int32), tags[first])
    return msh, ct, ft


def solve_mms(n: int, degree: int, axisymmetric: bool) -> tuple[float, float, float]:
    """(L2 error of phi_e, L2 error of phi_s, |V - V*|) on an n x n mesh."""
    msh, ct, ft = unit_square(n)
    x = ufl.SpatialCoordinate(msh)
    pe = 0.01 + 0.02 * x[1] ** 2 + 0.01 * ufl.cos(math.pi * x[0]) * ufl.cos(math.pi * x[1])
    ps = (V_EXACT + 0.03 * (1 - x[1]) * (1 + 0.5 * ufl.cos(math.pi * x[0]))
          + 0.02 * (1 - x[1]) ** 2 * ufl.cos(math.pi * x[0]))
    fc = 0.75 + 0.2 * x[0]
    solver = ChargeConservation(
        msh, ct, ft, {"separator": SEP, "cathode": CAT, "li_interface": LI, "collector": COLLECTOR},
        kappa_separator=K_SEP, li_kinetics=LI_KIN, contact_fraction=fc, axisymmetric=axisymmetric,
        degree=degree, cathode=CompositeElectrode(K_CAT, SIGMA, A_SPEC, CAT_KIN, U_CAT))

    def div(q):  # divergence in (x, y) or in (r, z) (axisymmetric)
        return ufl.div(q) + (q[0] / x[0] if axisymmetric else 0)

    i_n = CAT_KIN.current_ufl(ps - pe - U_CAT, solver.T)
    i_li = LI_KIN.current_ufl(-pe, solver.T)
    n_vec = ufl.FacetNormal(msh)
    dx, ds, dS = solver.dx, solver.ds, solver.dS
    solver.add_source("e", -div(K_SEP * ufl.grad(pe)), dx(SEP))
    solver.add_source("e", -div(K_CAT * ufl.grad(pe)) - A_SPEC * i_n, dx(CAT))
    solver.add_source("s", -div(SIGMA * ufl.grad(ps)) + A_SPEC * i_n, dx(CAT))
    solver.add_source("e", K_SEP * ufl.dot(ufl.grad(pe), n_vec) - fc * i_li, ds(LI))
    solver.add_source("e", K_SEP * ufl.dot(ufl.grad(pe), n_vec), ds(SIDE_SEP))
    solver.add_source("e", K_CAT * ufl.dot(ufl.grad(pe), n_vec), ds((SIDE_CAT, COLLECTOR)))
    solver.add_source("s", SIGMA * ufl.dot(ufl.grad(ps), n_vec), ds(SIDE_CAT))
    # internal interface y = 1/2: flux jump of phi_e*, insulated solid phase (normal -y out of it)
    solver.add_source("e", ((K_SEP - K_CAT) * pe.dx(1))("+"), dS(SIGMA_IF))
    solver.add_source("s", (-SIGMA * ps.dx(1))("+"), dS(SIGMA_IF))

    wt = solver.weight
    current = -solver._assemble(fc * i_li * wt * ufl.Measure("ds", msh, subdomain_data=ft,
                                                            metadata={"quadrature_degree": 12})(LI))
    V = solver.solve(current)
    dxe = ufl.Measure("dx", msh, subdomain_data=ct, metadata={"quadrature_degree": 8})
    err_e = math.sqrt(solver._assemble((solver.phi_e - pe) ** 2 * wt * dxe((SEP, CAT))))
    err_s = math.sqrt(solver._assemble((solver.psi + solver.V - ps) ** 2 * wt * dxe(CAT)))
    return err_e, err_s, abs(V - V_EXACT)


@pytest.mark.parametrize("axisymmetric", [False, True], ids=["plane", "axisymmetric"])
@pytest.mark.parametrize("degree", [1, 2])
def test_mms_convergence(degree, axisymmetric):
    sizes = (8, 16, 32) if degree == 1 else (4, 8, 16)
    results = np.array([solve_mms(n, degree, axisymmetric) for n in sizes])
    rates = np.log2(results[:-1] / results[1:])
    expected = degree + 1
    name = "axi" if axisymmetric else "plane"
    print(f"P{degree} {name}: errors {results.tolist()}, rates {rates.tolist()}")
    assert np.all(np.abs(rates[:, :2] - expected) <= 0.2), rates
    # cell voltage: converges to V* (error well below 0.1 % of the 50 mV polarisation)
    assert results[-1, 2] < 5e-5 and results[-1, 2] < results[0, 2]
