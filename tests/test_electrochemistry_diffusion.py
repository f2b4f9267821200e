"""Verification of Li diffusion in Li_xSi (issue 5): constant-flux lithiation of a slab.

A slab 0 < x < L (1D, P2, backward Euler) takes a constant influx J at x = 0 and is sealed at
x = L (the current-collector side). With constant D the exact solution is the series of Carslaw &
Jaeger, Conduction of Heat in Solids, 2nd ed. (1959), sec. 3.3 eq. (9) (written with the distance
xi = L - x from the sealed face)::

    c - c0 = J t/L + J L/D [ (3 xi^2 - L^2)/(6 L^2)
                             - 2/pi^2 sum_n (-1)^n/n^2 exp(-D n^2 pi^2 t/L^2) cos(n pi xi/L) ]

Asserted: the FE profile matches it within 1 % of the concentration rise at D t/L^2 = 0.05, 0.2
and 1 (max over the nodes), the same in an axisymmetric run (a cylinder lithiated through its
flat face), and, with a concentration-dependent D(c) = D0 (1 + 9 c/c_max)^2, that the Li
content grows by exactly J A t (discrete conservation, 1e-10).
"""

from __future__ import annotations

import numpy as np
import pytest

from fem._dolfinx import MPI, dolfinx
from fem.electrochemistry.diffusion import (
    D_LIXSI,
    LithiumDiffusion,
    constant_flux_slab,
    flux_from_current,
)

L = 2e-6            # m, Si layer thickness scale
C0 = 1000.0         # mol/m^3 initial Li (prelithiated)
J = flux_from_current(10.0)   # 1 mA/cm^2 of lithiation, mol/(m^2 s)
C_MAX = 3.1e5      # mol/m^3, about Li15Si4 (3.75 Li per Si, 2.33 g/cm^3 Si) [D]


def carslaw_jaeger(x: np.ndarray, t: float, D: float, nterms: int = 200) -> np.ndarray:
    return constant_flux_slab(x, t, D, L, C0, J, nterms)


def slab(kind: str, n: int):
    comm = MPI.COMM_WORLD
    if kind == "1d":
        msh = dolfinx.mesh.create_interval(comm, n, [0.0, L])
        ax = 0
    else:
        msh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [0.5 * L, L]], [2, n])
        ax = 1
    tdim = msh.topology.dim
    f = dolfinx.mesh.locate_entities_boundary(msh, tdim - 1, lambda x: np.isclose(x[ax], 0.0, atol=1e-12))
    ft = dolfinx.mesh.meshtags(msh, tdim - 1, np.sort(f).astype(np.int32), np.full(len(f), 1, np.int32))
    return msh, ft, ax


def lithiate(kind: str, checkpoints=(0.05, 0.2, 1.0)):
    """Constant-flux lithiation of the slab: for each checkpoint D t / L^2, (t, node coordinates,
    FE concentration, series) on this rank."""
    D = D_LIXSI
    msh, ft, ax = slab(kind, 40)
    solver = LithiumDiffusion(msh, ft, 1, diffusivity=D, initial_concentration=C0, degree=2,
                              axisymmetric=kind == "axisymmetric")
    coords = solver.c.function_space.tabulate_dof_coordinates()[:, ax]
    tau = L**2 / D
    # geometric time steps from 1e-5 tau: resolve the sqrt(t) start, then grow by 5 % per step
    t, dt, out = 0.0, 1e-5 * tau, []
    for target in checkpoints:
        while t < target * tau - 1e-12 * tau:
            h = min(dt, target * tau - t)
            solver.step(h, J)
            t += h
            dt *= 1.05
        out.append((t, coords, solver.c.x.array.copy(), carslaw_jaeger(coords, t, D)))
    return out


@pytest.mark.parametrize("kind", ["1d", "axisymmetric"])
def test_constant_flux_slab_matches_series(kind):
    worst = 0.0
    for t, _, c, exact in lithiate(kind):
        rise = MPI.COMM_WORLD.allreduce(np.max(exact) - C0, op=MPI.MAX)
        err = MPI.COMM_WORLD.allreduce(np.max(np.abs(c - exact)), op=MPI.MAX) / rise
        worst = max(worst, err)
        assert err < 0.01, (t, err)
    print(f"{kind}: max relative error {worst:.2e}")


def test_concentration_dependent_d_conserves_lithium():
    msh, ft, _ = slab("1d", 30)
    solver = LithiumDiffusion(msh, ft, 1, diffusivity=lambda c: D_LIXSI * (1 + 9 * c / C_MAX) ** 2,
                              initial_concentration=C0, degree=1)
    n0 = solver.total_lithium()
    dt = 0.005 * L**2 / D_LIXSI   # 10 steps take c from 1e3 to about 1e5 mol/m^3
    its = [solver.step(dt, J) for _ in range(10)]
    added = solver.total_lithium() - n0
    assert max(its) >= 2   # really nonlinear
    assert added == pytest.approx(J * solver.flux_area * 10 * dt, rel=1e-10)
