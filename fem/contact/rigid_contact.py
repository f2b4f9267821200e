"""Frictionless unilateral contact with a rigid surface: penalty + augmented Lagrangian (Uzawa).

Kinematics (small strain, small surface slopes). The deformable body lies on the +e_n side of
the rigid surface ``z = s(x_t)`` (e_n = the last coordinate axis unless stated; x_t are the
other, lateral coordinates). Its contact face is flat in the reference configuration, and the
normal gap is measured along e_n:

    g(X) = X_n + u_n(X) - s(X_t).

Signorini (Kuhn-Tucker) conditions, frictionless: contact pressure p >= 0, g >= 0, p g = 0, zero
tangential traction. The traction on the body is +p e_n on the contact face. Linearising the
gap along e_n is the same small-slope approximation as in the classical (Westergaard, Johnson)
solutions used for verification.

Augmented-Lagrangian traction (Alart & Curnier 1991; Simo & Laursen, Comput. Struct. 42 (1992)
97; Wriggers, Computational Contact Mechanics, 2nd ed. 2006, sec. 6.3):

    p(u) = max(0, lambda_k - eps g(u)),       residual term  - int_Gc p(u) v_n w dGamma,

with the penalty ``eps`` (Pa/m) and the multiplier ``lambda_k`` frozen during the Newton solve
(a semismooth Newton: UFL differentiates the max exactly). After each converged solve the
multiplier is updated (Uzawa):

    lambda_{k+1} = max(0, lambda_k - eps g(u_k)),

until the largest penetration max(-g) is below the stated tolerance. Each update reduces the
penetration by roughly the factor k_s / (k_s + eps), where k_s is the surface stiffness of the
body, so a moderate penalty (10 E*/h) needs only one or two updates.

Multiplier storage. ``lambda`` lives at the nodes of the contact face (a Lagrange function of
the displacement's degree; only its contact-face values are used). The contact integral uses a
nodal quadrature whose points are exactly those nodes: the vertex rule for P1 (2D and 3D) and
the 3-point Gauss-Lobatto (GLL) rule for P2 in 2D, the tensor GLL rules on the quadrilateral
faces of hexahedra. So the multiplier, the gap, the contact
pressure and the contact status are all quadrature-point quantities: the Uzawa update is exact
pointwise, the traction assembled is the one reported, and the force balance
``int p dGamma = applied load`` holds to the Newton tolerance. (P2 on triangular faces in 3D has
no positive nodal rule; use P1 tetrahedra or hexahedra there.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.contact.surfaces import RigidSurface
from fem.geometry.mesh import CellMesh


def nodal_quadrature(degree: int, tdim: int, hexahedral: bool = False) -> dict:
    """Facet quadrature metadata whose points are the Lagrange nodes of the facet.

    Simplices: the vertex rule (P1) and, in 2D, the 3-point Gauss-Lobatto rule (P2). The
    quadrilateral faces of hexahedra (``hexahedral``): the tensor Gauss-Lobatto rule with 2 (Q1,
    the trapezoidal rule) or 3 (Q2) points per direction, all weights positive."""
    if hexahedral and degree in (1, 2):
        return {"quadrature_rule": "GLL", "quadrature_degree": 2 * degree - 1}
    if degree == 1:
        return {"quadrature_rule": "vertex", "quadrature_degree": 1}
    if degree == 2 and tdim == 2:
        return {"quadrature_rule": "GLL", "quadrature_degree": 3}
    raise NotImplementedError(f"no nodal facet quadrature for P{degree} in {tdim}D "
                              "(use P1 in 3D, P1 or P2 in 2D, or hexahedra)")


def is_hexahedral(msh) -> bool:
    """True for a mesh of hexahedra (quadrilateral facets)."""
    return msh.topology.cell_type == dolfinx.mesh.CellType.hexahedron


@dataclass
class ContactState:
    """Contact quantities of the current solution (all ranks hold the same values).

    Areas are per unit depth (m) for a 2D plane section, m^2 in 3D; with an axisymmetric
    weight they are the full 3D values. ``coordinates``, ``pressure`` and ``gap`` hold the
    contact-face nodes of all ranks, sorted by the first lateral coordinate.
    """

    force: float
    nominal_area: float
    contact_area: float
    mean_gap: float
    void: float
    max_penetration: float
    coordinates: np.ndarray = field(repr=False)
    pressure: np.ndarray = field(repr=False)
    gap: np.ndarray = field(repr=False)

    @property
    def contact_fraction(self) -> float:
        """Contact area over nominal area (2D: contact length over the period)."""
        return self.contact_area / self.nominal_area

    @property
    def mean_pressure(self) -> float:
        """Total contact force over the nominal area."""
        return self.force / self.nominal_area


class RigidSurfaceContact:
    """Contact of the face ``facet_name`` of the body with displacement ``u`` against ``surface``."""

    def __init__(self, cm: CellMesh, u: dolfinx.fem.Function, surface: RigidSurface,
                 penalty: float, facet_name: str = "contact", axis: int | None = None,
                 weight=None):
        msh = cm.mesh
        self.comm = msh.comm
        gdim = msh.geometry.dim
        tdim = msh.topology.dim
        self.axis = gdim - 1 if axis is None else axis
        self.u = u
        self.surface = surface
        degree = u.function_space.ufl_element().degree
        self.S = dolfinx.fem.functionspace(msh, ("Lagrange", degree))
        self.multiplier = dolfinx.fem.Function(self.S, name="contact_multiplier")
        self.s_nodes = dolfinx.fem.Function(self.S, name="rigid_surface_height")
        self.gap_nodes = dolfinx.fem.Function(self.S, name="gap")
        self.penalty = dolfinx.fem.Constant(msh, float(penalty))

        facets = cm.facets(facet_name)
        self.dofs = dolfinx.fem.locate_dofs_topological(self.S, tdim - 1, facets)
        self.owned = self.dofs[self.dofs < self.S.dofmap.index_map.size_local]
        coords = self.S.tabulate_dof_coordinates()[:, :gdim]
        self.lateral_axes = [i for i in range(gdim) if i != self.axis]
        self.s_nodes.x.array[self.dofs] = surface.height(coords[self.dofs][:, self.lateral_axes])
        self.s_nodes.x.scatter_forward()
        self._coords_owned = coords[self.owned]

        x = ufl.SpatialCoordinate(msh)
        w = ufl.as_ufl(1.0) if weight is None else weight
        #: gap along e_n (UFL)
        self.gap = x[self.axis] + u[self.axis] - self.s_nodes
        #: augmented-Lagrangian contact pressure (UFL)
        self.pressure = ufl.max_value(0.0, self.multiplier - self.penalty * self.gap)
        self.weight = w
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=cm.facet_tags,
                              metadata=nodal_quadrature(degree, tdim, is_hexahedral(msh))
                              )(cm.tag(facet_name))
        self._gap_expr = dolfinx.fem.Expression(self.gap, self.S.element.interpolation_points)
        closed = ufl.conditional(ufl.gt(self.pressure, 0.0), 1.0, 0.0)
        self._forms = {
            "force": dolfinx.fem.form(self.pressure * w * self.ds),
            "nominal_area": dolfinx.fem.form(w * self.ds),
            "contact_area": dolfinx.fem.form(closed * w * self.ds),
            "gap": dolfinx.fem.form(self.gap * w * self.ds),
            "void": dolfinx.fem.form(ufl.max_value(self.gap, 0.0) * w * self.ds),
        }

    # -- UFL
    def residual(self, v) -> ufl.Form:
        """The contact term of the residual, ``- int p(u) v_n w dGamma``."""
        return -self.pressure * v[self.axis] * self.weight * self.ds

    # -- nodal quantities
    def nodal_gap(self) -> np.ndarray:
        """Gap at every local dof of the multiplier space (meaningful on ``self.dofs``)."""
        self.gap_nodes.interpolate(self._gap_expr)
        return self.gap_nodes.x.array

    def nodal_pressure(self, gap: np.ndarray | None = None) -> np.ndarray:
        """Contact pressure max(0, lambda - eps g) at every local dof of the multiplier space."""
        g = self.nodal_gap() if gap is None else gap
        return np.maximum(0.0, self.multiplier.x.array - self.penalty.value * g)

    def max_penetration(self) -> float:
        """Largest penetration max(0, -g) over the contact-face nodes (all ranks)."""
        g = self.nodal_gap()[self.owned]
        local = float(np.max(-g, initial=0.0))
        return self.comm.allreduce(local, op=MPI.MAX)

    def update_multiplier(self) -> float:
        """Uzawa step lambda <- max(0, lambda - eps g); returns max |change| (all ranks)."""
        new = self.nodal_pressure()
        d = self.dofs
        change = float(np.max(np.abs(new[d] - self.multiplier.x.array[d]), initial=0.0))
        self.multiplier.x.array[d] = new[d]
        self.multiplier.x.scatter_forward()
        return self.comm.allreduce(change, op=MPI.MAX)

    def penetrate_everywhere(self, margin: float) -> None:
        """Translate the body along -e_n so that every contact node penetrates by >= ``margin``.

        A start with the whole face closed keeps the first Newton Jacobian non-singular when the
        body is held against the surface by the contact alone (Neumann loading)."""
        g = self.nodal_gap()[self.owned]
        gmax = self.comm.allreduce(float(np.max(g, initial=-np.inf)), op=MPI.MAX)
        bs = self.u.function_space.dofmap.index_map_bs
        self.u.x.array.reshape(-1, bs)[:, self.axis] -= gmax + margin
        self.u.x.scatter_forward()

    def _sum(self, name: str) -> float:
        return self.comm.allreduce(dolfinx.fem.assemble_scalar(self._forms[name]), op=MPI.SUM)

    def state(self) -> ContactState:
        """Forces, areas, gaps and the nodal pressure profile of the current solution."""
        g = self.nodal_gap()
        p = self.nodal_pressure(g)
        nominal = self._sum("nominal_area")
        local = (self._coords_owned, p[self.owned], g[self.owned])
        parts = self.comm.allgather(local)
        coords = np.concatenate([c for c, _, _ in parts])
        order = np.argsort(coords[:, self.lateral_axes[0]], kind="stable")
        return ContactState(
            force=self._sum("force"),
            nominal_area=nominal,
            contact_area=self._sum("contact_area"),
            mean_gap=self._sum("gap") / nominal,
            void=self._sum("void"),
            max_penetration=self.max_penetration(),
            coordinates=coords[order],
            pressure=np.concatenate([q for _, q, _ in parts])[order],
            gap=np.concatenate([q for _, _, q in parts])[order],
        )


@dataclass
class AugmentedLagrangianReport:
    """Outcome of :func:`augmented_lagrangian`."""

    converged: bool
    updates: int
    newton_iterations: list[int]
    max_penetration: float
    multiplier_changes: list[float]


def augmented_lagrangian(solve_equilibrium: Callable[[], int], contact: RigidSurfaceContact,
                         tolerance: float, max_updates: int = 30) -> AugmentedLagrangianReport:
    """Uzawa loop: solve, stop if max penetration <= ``tolerance`` (m), else update lambda.

    ``solve_equilibrium`` runs the Newton solve with the multiplier frozen and returns its
    iteration count. On return the solution is in equilibrium with the contact pressure
    ``max(0, lambda - eps g(u))`` of the last solve (the multiplier is not updated after the
    final solve, so :meth:`RigidSurfaceContact.state` reports that equilibrated pressure).
    """
    its: list[int] = []
    changes: list[float] = []
    pen = np.inf
    for k in range(max_updates + 1):
        its.append(solve_equilibrium())
        pen = contact.max_penetration()
        if pen <= tolerance:
            return AugmentedLagrangianReport(True, k, its, pen, changes)
        if k < max_updates:
            changes.append(contact.update_multiplier())
    return AugmentedLagrangianReport(False, max_updates, its, pen, changes)
