"""A linear elastic body pressed on a rigid rough surface: the elastic contact problem of a patch.

Body: the block of :func:`fem.contact.meshes.block_mesh` (2D plane strain, coordinates (x, z),
or 3D), small-strain isotropic elasticity

    sigma = 2 mu eps + lambda tr(eps) I,   eps = sym grad u   (plane strain: eps_i3 = 0).

Boundary conditions:
* top face: uniform applied pressure P (Neumann traction -P e_n), the mean stack pressure;
* lateral faces: rollers (u . n = 0, zero shear traction);
* contact face: frictionless unilateral contact with the rigid surface
  (:class:`fem.contact.rigid_contact.RigidSurfaceContact`, augmented Lagrangian).

Periodicity by symmetry: there are no periodic (multi-point) constraints in this stack
(dolfinx_mpc is not available). Rollers are exact for a periodic problem whenever the unit cell
is bounded by mirror planes of the periodic solution: for ``s = h cos(2 pi x / lambda)`` the
planes x = 0 (crest) and x = lambda/2 (valley) are mirror planes of the surface, the load and
hence of the (unique) solution, on which u_x = 0 and the shear traction vanish. So a half
wavelength with rollers *is* the periodic problem. The same holds in 3D for the egg-crate
``h cos(2 pi x / lambda) cos(2 pi y / lambda)`` on a half-wavelength square. For a general
height map the rollers act as mirror planes, i.e. they model the mirrored (even) extension of
the map, not its periodic repetition.

The body is held against the surface only by contact, so the first solve starts from a
translation into the surface (every contact node penetrating), which keeps the Jacobian regular.
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl

from fem._dolfinx import PETSc, dolfinx
from fem.contact.newton import newton_problem, solve
from fem.contact.rigid_contact import (
    AugmentedLagrangianReport,
    ContactState,
    RigidSurfaceContact,
    augmented_lagrangian,
)
from fem.contact.surfaces import RigidSurface
from fem.geometry.mesh import CellMesh
from fem.mechanics.elasticity import elastic_stress

#: Lateral roller faces of a block mesh and the displacement component they fix.
ROLLERS = {"left": 0, "right": 0, "front": 1, "back": 1}


def strain3(u, gdim: int):
    """Small strain as a 3x3 tensor: sym grad u in 3D, plane strain (eps_i3 = 0) in 2D."""
    e = ufl.sym(ufl.grad(u))
    if gdim == 3:
        return e
    return ufl.as_tensor([[e[0, 0], e[0, 1], 0.0], [e[1, 0], e[1, 1], 0.0], [0.0, 0.0, 0.0]])


def plane_strain_modulus(E: float, nu: float) -> float:
    """Contact modulus of an elastic body on a rigid one, E* = E / (1 - nu^2)."""
    return E / (1.0 - nu**2)


@dataclass
class ElasticContactResult:
    """One converged load: the applied pressure, the contact state and the Uzawa history."""

    pressure: float
    state: ContactState
    report: AugmentedLagrangianReport


class ElasticContactBlock:
    """Elastic block on a rigid surface under a uniform top pressure (see the module docstring).

    ``penalty_factor``: eps = penalty_factor E* / size_surface, where ``size_surface`` is the
    element size on the contact face.
    """

    def __init__(self, cm: CellMesh, E: float, nu: float, surface: RigidSurface,
                 size_surface: float, degree: int = 2, penalty_factor: float = 10.0):
        msh = cm.mesh
        gdim = msh.geometry.dim
        self.cm = cm
        self.gdim = gdim
        self.axis = gdim - 1
        self.surface = surface
        self.E_star = plane_strain_modulus(E, nu)
        self.V = dolfinx.fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
        self.u = dolfinx.fem.Function(self.V, name="displacement")
        v = ufl.TestFunction(self.V)
        mu = E / (2.0 * (1.0 + nu))
        lmbda = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
        self.contact = RigidSurfaceContact(cm, self.u, surface,
                                           penalty=penalty_factor * self.E_star / size_surface)
        self.P = dolfinx.fem.Constant(msh, 0.0)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=cm.facet_tags)
        sigma = elastic_stress(strain3(self.u, gdim), mu, lmbda)
        F = (ufl.inner(sigma, strain3(v, gdim)) * ufl.dx + self.contact.residual(v)
             + self.P * v[self.axis] * ds(cm.tag("top")))
        fdim = msh.topology.dim - 1
        bcs = []
        for name, comp in ROLLERS.items():
            if cm.has(name):
                dofs = dolfinx.fem.locate_dofs_topological(self.V.sub(comp), fdim, cm.facets(name))
                bcs.append(dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0), dofs, self.V.sub(comp)))
        self.top_area = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ds(cm.tag("top"))))
        self.top_area = msh.comm.allreduce(self.top_area)
        self.problem = newton_problem(F, self.u, bcs, atol=1.0)
        self._started = False

    def _newton(self) -> int:
        try:
            return solve(self.problem)
        except RuntimeError:  # restart once from a fully closed face
            self.u.x.array[:] = 0.0
            self.contact.penetrate_everywhere(self._margin())
            return solve(self.problem)

    def _margin(self) -> float:
        return max(0.2 * self.surface.amplitude, 1e-9)

    def solve(self, pressure: float, tolerance: float, force_rtol: float = 1e-11,
              max_updates: int = 30) -> ElasticContactResult:
        """Equilibrium at the top pressure ``pressure`` (Pa) with max penetration <= ``tolerance`` (m).

        Newton stops when the residual norm is below ``force_rtol`` times the applied load.
        """
        self.P.value = pressure
        self.problem.solver.setTolerances(atol=force_rtol * pressure * self.top_area, rtol=1e-14)
        if not self._started:
            self.contact.penetrate_everywhere(self._margin())
            self._started = True
        report = augmented_lagrangian(self._newton, self.contact, tolerance, max_updates)
        if not report.converged:
            raise RuntimeError(f"augmented Lagrangian: penetration {report.max_penetration:.3g} m "
                               f"> {tolerance:.3g} m after {max_updates} updates")
        return ElasticContactResult(pressure, self.contact.state(), report)
