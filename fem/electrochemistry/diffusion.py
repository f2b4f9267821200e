"""Li transport in the Li_xSi anode: nonlinear diffusion with a prescribed boundary flux.

Equation (Fick's second law with a concentration-dependent diffusivity;
docs/references.md#lixsi-background)::

    dc/dt = div(D(c) grad c)                 in the Li_xSi region
    -D(c) grad c . n = -J                    on the flux facets (J > 0: Li enters, mol/(m^2 s))
    -D(c) grad c . n = 0                     elsewhere

J = i/F for a lithiation current density i (A/m^2). Backward Euler in time (L-stable, first
order), P-k Lagrange in space, Newton (SNES, exact Jacobian through UFL; one iteration when D is
constant). With the natural flux condition the scheme conserves Li exactly: the total content
grows by J A dt per step (up to the solver tolerance), for any D(c).

Default D = 1e-16 m^2/s for a-Li_xSi (docs/references.md#lixsi-background, literature spread
1e-18 ... 1e-14 [U]).
Geometry: Cartesian 1D/2D/3D or 2D axisymmetric (x[0] = r, measure 2 pi r dx).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np

from fem._dolfinx import MPI, PETSc, dolfinx
from fem.constants import FARADAY

_counter = itertools.count()

#: Default Li diffusivity in amorphous Li_xSi, m^2/s (docs/references.md#lixsi-background, [U]).
D_LIXSI = 1e-16

DEFAULT_OPTIONS = {
    "snes_type": "newtonls",
    "snes_linesearch_type": "bt",
    "snes_divergence_tolerance": -1,
    "snes_rtol": 1e-12,
    "snes_atol": 0.0,
    "snes_stol": 0.0,
    "snes_max_it": 30,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
}


def constant_flux_slab(x: np.ndarray, t: float, D: float, L: float, c0: float, J: float,
                       nterms: int = 200) -> np.ndarray:
    """Exact concentration in the slab 0 < x < L with the influx J at x = 0, sealed at x = L,
    constant D, uniform c0 at t = 0 (Carslaw & Jaeger, Conduction of Heat in Solids, 2nd ed.
    (1959), sec. 3.3 eq. (9), with xi = L - x the distance from the sealed face)::

        c - c0 = J t/L + J L/D [ (3 xi^2 - L^2)/(6 L^2)
                                 - 2/pi^2 sum_n (-1)^n/n^2 exp(-D n^2 pi^2 t/L^2) cos(n pi xi/L) ]
    """
    xi = L - np.asarray(x, dtype=float)
    n = np.arange(1, nterms + 1)[:, None]
    series = np.sum((-1.0) ** n / n**2 * np.exp(-D * n**2 * math.pi**2 * t / L**2)
                    * np.cos(n * math.pi * xi / L), axis=0)
    return c0 + J * t / L + J * L / D * ((3 * xi**2 - L**2) / (6 * L**2)
                                         - 2 / math.pi**2 * series)


def flux_from_current(i: float) -> float:
    """Molar Li flux J = i / F (mol/(m^2 s)) carried by the current density i (A/m^2)."""
    return i / FARADAY


class LithiumDiffusion:
    """Backward-Euler solver for dc/dt = div(D(c) grad c) with a boundary influx J (module docstring).

    ``diffusivity`` is a float (m^2/s) or a callable c -> UFL expression (concentration-dependent
    D). ``flux_facets`` are tags of ``facet_tags`` where the influx :attr:`flux` (a Constant,
    mol/(m^2 s), > 0 into the body) acts. ``cell_tags``/``cells`` restrict the problem to a region
    (dofs outside are pinned); None uses the whole mesh.
    """

    def __init__(self, mesh: dolfinx.mesh.Mesh, facet_tags: dolfinx.mesh.MeshTags,
                 flux_facets: int | Sequence[int], *, diffusivity: float | Callable = D_LIXSI,
                 initial_concentration: float = 0.0, degree: int = 1, axisymmetric: bool = False,
                 cell_tags: dolfinx.mesh.MeshTags | None = None, cells: int | Sequence[int] | None = None,
                 petsc_options: dict | None = None) -> None:
        import dolfinx.fem.petsc as fpetsc
        import ufl

        from fem.electrochemistry.potential import _tagged, region_dofs

        self.mesh = mesh
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        ids = (flux_facets,) if isinstance(flux_facets, (int, np.integer)) else tuple(flux_facets)
        qd = {"quadrature_degree": 2 * degree + 2}
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=cell_tags, metadata=qd)
        self.ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags, metadata=qd)
        x = ufl.SpatialCoordinate(mesh)
        self.weight = 2 * math.pi * x[0] if axisymmetric else ufl.as_ufl(1.0)
        V = dolfinx.fem.functionspace(mesh, ("Lagrange", degree))
        self.c = dolfinx.fem.Function(V, name="c_li")
        self.c_old = dolfinx.fem.Function(V)
        self.c.x.array[:] = initial_concentration
        self.c_old.x.array[:] = initial_concentration
        self.dt = dolfinx.fem.Constant(mesh, 1.0)
        self.flux = dolfinx.fem.Constant(mesh, 0.0)
        self.time = 0.0
        w = ufl.TestFunction(V)
        D = diffusivity(self.c) if callable(diffusivity) else diffusivity
        if cells is None:
            dxr = self.dx
            bcs = []
        else:
            cids = (cells,) if isinstance(cells, (int, np.integer)) else tuple(cells)
            dxr = self.dx(cids)
            active = region_dofs(V, _tagged(cell_tags, cids))
            nloc = V.dofmap.index_map.size_local + V.dofmap.index_map.num_ghosts
            pinned = np.setdiff1d(np.arange(nloc, dtype=np.int32), active)
            bcs = [dolfinx.fem.dirichletbc(dolfinx.default_scalar_type(initial_concentration), pinned, V)]
        self._dxr = dxr
        wt = self.weight
        zero = dolfinx.fem.Constant(mesh, 0.0)
        F = ((self.c - self.c_old) / self.dt * w + D * ufl.inner(ufl.grad(self.c), ufl.grad(w))) * wt * dxr \
            - self.flux * w * wt * self.ds(ids) + zero * self.c * w * self.dx
        prefix = f"assb_diff{next(_counter)}_"
        db = PETSc.Options()
        for k, v in dict(DEFAULT_OPTIONS, **(petsc_options or {})).items():
            db[prefix + k] = v
        self._problem = fpetsc.NonlinearProblem(F, self.c, bcs=bcs, petsc_options_prefix=prefix)
        self._problem.solver.setFromOptions()
        self._content = dolfinx.fem.form(self.c * wt * dxr)
        self.flux_area = self._sum(dolfinx.fem.form(dolfinx.fem.Constant(mesh, 1.0) * wt * self.ds(ids)))

    def _sum(self, form) -> float:
        return self.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)

    def step(self, dt: float, flux: float) -> int:
        """Advance one backward-Euler step of length dt (s) with influx J (mol/(m^2 s)); Newton its."""
        self.dt.value, self.flux.value = float(dt), float(flux)
        snes = self._problem.solver
        # residual scale (mol/s): boundary influx and storage of the current content
        scale = abs(flux) * self.flux_area + abs(self.total_lithium()) / dt
        snes.setTolerances(atol=1e-13 * scale)
        self._problem.solve()
        if snes.getConvergedReason() <= 0:
            raise RuntimeError(f"Li diffusion Newton did not converge (reason {snes.getConvergedReason()})")
        self.c.x.scatter_forward()
        self.c_old.x.array[:] = self.c.x.array
        self.time += dt
        return snes.getIterationNumber()

    def total_lithium(self) -> float:
        """int c dV (mol; per unit depth in plane 2D, per unit area in 1D)."""
        return self._sum(self._content)

    def close(self) -> None:
        """Destroy the diffusion SNES and its matrices now (collective)."""
        from fem._dolfinx import destroy_problem

        destroy_problem(getattr(self, "_problem", None))
        self._problem = None

