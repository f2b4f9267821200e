"""A creeping body pressed on a rigid rough surface at constant load: creep-driven contact growth.

Body: the block of :func:`fem.contact.meshes.block_mesh` (2D plane strain or 3D) with small-strain
elasticity and Norton (or any :mod:`fem.mechanics.creep_laws`) creep, integrated in time by
backward Euler with the incremental stress update of :mod:`fem.mechanics.stack`,

    sigma = sigma_n + C : (eps(u) - eps(u_n)) - 2 G d eps_cr,

and the J2 radial return with consistent tangent of :class:`fem.mechanics.creep.CreepModel`
(this class provides the ``cm``, ``qdeg``, ``QT`` and ``sigma_trial`` it reads). Boundary
conditions as in :mod:`fem.contact.elastic_block`: uniform pressure on the top face, rollers on
the lateral faces (exact mirror planes for a symmetric sinusoid), frictionless augmented-
Lagrangian contact with the rigid surface on the bottom face. Each time step runs the Uzawa loop
to the penetration tolerance before the creep state is committed.

Expected kinetics of one asperity (self-similar creep indentation; Hill, Proc. R. Soc. A 436
(1992) 617; Bower, Fleck, Needleman, Ogbonna, Proc. R. Soc. A 441 (1993) 97). For an indenter
profile z ~ x^beta pressed into a power-law creeping half-space (strain rate ~ stress^n) at
constant load F, the similarity solution has a mean contact pressure F/A ~ (delta_dot / a)^(1/n)
and an approach delta ~ a^beta. With A ~ a^(d-1) (d = 2: contact width; d = 3: contact area)
this gives a^((d-1) n + beta - 1) da/dt = const, i.e.

    a ~ t^(1 / ((d - 1) n + beta - 1)).

* 2D sinusoid at small contact fraction (the crest is a parabola, beta = 2, d = 2):
  f = 2a/lambda ~ t^(1/(n+1));
* sphere (beta = 2, d = 3): a ~ t^(1/(2n+1)); cone/pyramid (beta = 1, d = 3): a ~ t^(1/(2n)),
  contact area ~ t^(1/n); 2D wedge (beta = 1, d = 2): f ~ t^(1/n).
The reduced model of docs/references.md#derived-creep-contact-growth (f ~ t^(1/n)) assumes a
strain rate ~ d ln f / dt, i.e. the wedge/cone (beta = 1) geometry; a smooth (parabolic)
asperity grows more slowly.
n = 1 checks the formula: Hertz with E* -> viscosity/t gives a ~ t^(1/2) (2D) and t^(1/3)
(sphere), as above.
"""

from __future__ import annotations

from dataclasses import dataclass

import basix.ufl
import numpy as np
import ufl

from fem._dolfinx import PETSc, dolfinx
from fem.contact.elastic_block import ROLLERS, plane_strain_modulus, strain3
from fem.contact.newton import newton_problem, solve
from fem.contact.rigid_contact import (
    AugmentedLagrangianReport,
    ContactState,
    RigidSurfaceContact,
    augmented_lagrangian,
    is_hexahedral,
)
from fem.contact.surfaces import RigidSurface
from fem.geometry.mesh import CellMesh
from fem.mechanics.creep import CreepModel
from fem.mechanics.elasticity import elastic_stress
from fem.mechanics.kinematics import deviator


def indentation_exponent(n: float, beta: float, dim: int) -> float:
    """Exponent m of a ~ t^m for creep indentation at constant load (see the module docstring).

    ``beta``: indenter profile exponent (2 parabola/sphere, 1 wedge/cone); ``dim``: 2 (plane
    strain, width a) or 3 (axisymmetric, radius a).
    """
    return 1.0 / ((dim - 1) * n + beta - 1.0)


def internal_work(sigma, u, v, gdim: int, bulk_modulus: float, dx, selective: bool,
                  cm: CellMesh):
    """The internal virtual work ``int sigma : eps(v) dx``.

    ``selective``: selective reduced integration (Hughes, Int. J. Numer. Meth. Eng. 15 (1980)
    1413; Nagtegaal, Parks & Rice, CMAME 4 (1974) 153) for trilinear hexahedra: the deviatoric
    part with the full rule ``dx`` (where the creep state lives), the volumetric part at the
    cell centre (one-point rule),

        int dev(sigma) : eps(v) dx  +  int K tr eps(u) tr eps(v) dx_1,

    which is the B-bar method for this element. It assumes the mean stress is elastic from a
    stress-free state, K tr eps(u) (true here: creep is deviatoric and there are no
    eigenstrains); without it the incompressible creep flow locks the Q1 hexahedron.

    The one-point integral runs over the cell group ``body`` (the whole block), not over the
    whole mesh: with both integrals on the default subdomain, the residual *vector* of
    DOLFINx 0.11 / FFCx on hexahedra is not the sum of the two parts (19 % off, measured; the
    matrix is), and Newton stalls. Distinct subdomain ids give distinct kernels.
    """
    ev = strain3(v, gdim)
    if not selective:
        return ufl.inner(sigma, ev) * dx
    dx1 = ufl.Measure("dx", domain=cm.mesh, subdomain_data=cm.cell_tags,
                      metadata={"quadrature_degree": 1})(cm.tag("body"))
    return (ufl.inner(deviator(sigma), ev) * dx
            + bulk_modulus * ufl.tr(strain3(u, gdim)) * ufl.tr(ev) * dx1)


@dataclass
class CreepStep:
    """One committed time step."""

    time: float
    dt: float
    state: ContactState
    report: AugmentedLagrangianReport


class CreepContactBlock:
    """Creeping block on a rigid surface under the constant top pressure ``pressure``."""

    def __init__(self, cm: CellMesh, E: float, nu: float, law, surface: RigidSurface,
                 pressure: float, size_surface: float, degree: int = 2,
                 penalty_factor: float = 10.0, qdeg: int = 2, T: float = 298.15,
                 predictor: bool = False, linear_options: dict | None = None):
        msh = cm.mesh
        gdim = msh.geometry.dim
        self.cm = cm
        self.qdeg = qdeg
        self.axis = gdim - 1
        self.surface = surface
        self.E_star = plane_strain_modulus(E, nu)
        G = E / (2.0 * (1.0 + nu))
        lmbda = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
        self.V = dolfinx.fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
        self.u = dolfinx.fem.Function(self.V, name="displacement")
        self.u_n = dolfinx.fem.Function(self.V, name="displacement_n")
        self.du_n = dolfinx.fem.Function(self.V, name="last_increment")  # predictor
        self.dt_n = 0.0
        self.predictor = predictor
        v = ufl.TestFunction(self.V)
        qe = basix.ufl.quadrature_element(msh.basix_cell(), value_shape=(3, 3), degree=qdeg)
        self.QT = dolfinx.fem.functionspace(msh, qe)
        self.sigma_n = dolfinx.fem.Function(self.QT, name="sigma_n")
        deps = strain3(self.u, gdim) - strain3(self.u_n, gdim)
        self.sigma_trial = self.sigma_n + elastic_stress(deps, G, lmbda)
        ncells = msh.topology.index_map(msh.topology.dim).size_local
        cells = np.arange(ncells, dtype=np.int32)
        self.creep = CreepModel(self, cells, law, G)
        self.creep.T = T
        sigma = self.creep.stress(self.sigma_trial, G)
        self.sigma_expr = dolfinx.fem.Expression(sigma, self.QT.element.interpolation_points)
        self.contact = RigidSurfaceContact(cm, self.u, surface,
                                           penalty=penalty_factor * self.E_star / size_surface)
        dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": qdeg})
        ds = ufl.Measure("ds", domain=msh, subdomain_data=cm.facet_tags)
        self.P = dolfinx.fem.Constant(msh, float(pressure))
        #: selective reduced integration on trilinear hexahedra (see internal_work)
        self.selective = is_hexahedral(msh) and degree == 1
        F = (internal_work(sigma, self.u, v, gdim, lmbda + 2.0 * G / 3.0, dx, self.selective,
                           cm)
             + self.contact.residual(v) + self.P * v[self.axis] * ds(cm.tag("top")))
        fdim = msh.topology.dim - 1
        bcs = []
        for name, comp in ROLLERS.items():
            if cm.has(name):
                dofs = dolfinx.fem.locate_dofs_topological(self.V.sub(comp), fdim, cm.facets(name))
                bcs.append(dolfinx.fem.dirichletbc(PETSc.ScalarType(0.0), dofs, self.V.sub(comp)))
        area = dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ds(cm.tag("top"))))
        self.top_area = msh.comm.allreduce(area)
        self.problem = newton_problem(F, self.u, bcs, atol=1e-10 * pressure * self.top_area,
                                      rtol=1e-14, before_residual=lambda: self.creep.update(self),
                                      line_search="basic", linear_options=linear_options)
        self.time = 0.0
        self.contact.penetrate_everywhere(max(0.2 * surface.amplitude, 1e-9))

    def step(self, dt: float, tolerance: float, max_updates: int = 30, max_halvings: int = 6
             ) -> CreepStep:
        """Advance by ``dt`` (s) with max penetration <= ``tolerance`` (m) and commit the step.

        If Newton or the Uzawa loop fails, the step is redone as two half steps (recursively,
        up to ``max_halvings`` times); the returned record is that of the last sub-step.
        """
        lam0 = self.contact.multiplier.x.array.copy()
        self.creep.dt = dt
        # optional linear extrapolation predictor (not across load jumps; off by default: with
        # the contact active set it caused more Newton failures than it saved iterations)
        if self.predictor and 0 < dt <= 4.0 * self.dt_n:
            self.u.x.array[:] = self.u_n.x.array + (dt / self.dt_n) * self.du_n.x.array
        try:
            report = augmented_lagrangian(lambda: solve(self.problem), self.contact, tolerance,
                                          max_updates)
            if not report.converged:
                raise RuntimeError(f"augmented Lagrangian did not reach {tolerance:.3g} m "
                                   f"(penetration {report.max_penetration:.3g} m)")
        except RuntimeError:
            if max_halvings == 0:
                raise
            self.u.x.array[:] = self.u_n.x.array
            self.contact.multiplier.x.array[:] = lam0
            self.step(0.5 * dt, tolerance, max_updates, max_halvings - 1)
            return self.step(0.5 * dt, tolerance, max_updates, max_halvings - 1)
        return self._commit(dt, report)

    def _commit(self, dt: float, report: AugmentedLagrangianReport) -> CreepStep:
        state = self.contact.state()
        self.sigma_n.interpolate(self.sigma_expr)
        self.sigma_n.x.scatter_forward()
        self.creep.commit(self)
        self.du_n.x.array[:] = self.u.x.array - self.u_n.x.array
        self.dt_n = dt
        self.u_n.x.array[:] = self.u.x.array
        self.time += dt
        return CreepStep(self.time, dt, state, report)
