"""Current through a partially contacting Li | separator interface: interface ASR of a patch.

Model (docs/references.md#derived-charge-transfer-resistance, #derived-constriction). The ionic
potential phi in a separator slab of thickness H below the interface (plane, coordinates (x, d)
with d the depth below the interface, the same width and the same graded mesh family as the Li
block of the contact problem; in 3D the square slab of hexahedra on the face grid of the Li
block) obeys

    div(kappa grad phi) = 0,
    -kappa dphi/dn = i_app             on the far face d = H (uniform current injected),
    kappa dphi/dn  = -phi / R_ct       on the contacting spots of the interface (d = 0),
    kappa dphi/dn  = 0                 on the voids (no contact: insulating) and the sides,

with the Li an equipotential at phi_Li = 0 and Butler-Volmer linearised about eta = 0 on the
true contact area: R_ct = R T / (F i0 (alpha_a + alpha_c)) (fem.electrochemistry.kinetics).
The sides are insulating (mirror planes, as the rollers of the mechanics). The contacting spots
are the Li contact-face nodes that carry contact pressure; they are mapped onto this slab's
interface face along x (small-slope approximation: the rough surface is taken flat, as in the
gap of the contact problem). The Robin term uses the same nodal (GLL / vertex) quadrature as the
contact, and the slab's face nodes coincide with those of the Li block (same uniform face size),
so the conducting area is exactly the mechanical contact area.

Interface resistance (area-specific):

    ASR = (mean phi over the far face - phi_Li) / i_app - H / kappa,

i.e. the potential drop minus the bulk drop of a fully contacted slab: it holds the kinetic
resistance on the true contact (R_ct / f) and the constriction resistance of the spots. At full
contact the solution is linear in d and ASR = R_ct exactly. With uniform injection, the mean
far-face potential is the power-consistent drop (I * V = int phi i_app dA). The local current
density on the spots is phi / R_ct (nodal values); its maximum over i_app is the peak-to-mean
ratio. The problem is linear: the ASR does not depend on i_app, the local current scales with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.contact.meshes import block_mesh, hex_block_mesh
from fem.contact.rigid_contact import is_hexahedral, nodal_quadrature
from fem.mechanics.linear_solver import DIRECT


@dataclass
class InterfaceCurrent:
    """One ionic solve: ASR (ohm m^2), drops (V), peak local current (A/m^2), conducting fraction."""

    asr: float
    drop: float
    bulk_drop: float
    max_local_current: float
    conducting_fraction: float
    applied_current: float

    @property
    def peak_to_mean(self) -> float:
        return self.max_local_current / self.applied_current


class SeparatorSlab:
    """The separator slab below a patch interface and its linear ionic problem (collective)."""

    def __init__(self, comm: MPI.Comm, width: float, thickness: float, size_surface: float,
                 size_max: float, grading: float = 0.3, degree: int = 2, dimension: int = 2):
        if dimension == 3:  # the square slab, hexahedra on the same face grid as the Li block
            self.cm = hex_block_mesh(comm, (width, width), thickness, size_surface, size_max,
                                     grading)
        else:
            self.cm = block_mesh(comm, (width,), thickness, size_surface, size_max, grading)
        msh = self.cm.mesh
        self.comm = comm
        self.width = width
        #: nominal interface area (m per unit depth in 2D, m^2 in 3D)
        self.area = width ** (dimension - 1)
        self.lateral = dimension - 1
        self.thickness = thickness
        tdim = msh.topology.dim
        V = dolfinx.fem.functionspace(msh, ("Lagrange", degree))
        self.V = V
        self.chi = dolfinx.fem.Function(V, name="contact_indicator")
        self.kappa = dolfinx.fem.Constant(msh, 0.2)
        self.r_ct = dolfinx.fem.Constant(msh, 1e-4)
        self.i_app = dolfinx.fem.Constant(msh, 1.0)
        face = self.cm.facets("contact")
        self.face_dofs = dolfinx.fem.locate_dofs_topological(V, tdim - 1, face)
        self.face_owned = self.face_dofs[self.face_dofs < V.dofmap.index_map.size_local]
        self.face_xy = V.tabulate_dof_coordinates()[self.face_dofs, : self.lateral]
        self.face_x = self.face_xy[:, 0]
        phi, w = ufl.TrialFunction(V), ufl.TestFunction(V)
        ds = ufl.Measure("ds", domain=msh, subdomain_data=self.cm.facet_tags)
        ds_c = ufl.Measure("ds", domain=msh, subdomain_data=self.cm.facet_tags,
                           metadata=nodal_quadrature(degree, tdim, is_hexahedral(msh))
                           )(self.cm.tag("contact"))
        far = ds(self.cm.tag("top"))
        a = (self.kappa * ufl.inner(ufl.grad(phi), ufl.grad(w)) * ufl.dx
             + self.chi / self.r_ct * phi * w * ds_c)
        L = self.i_app * w * far
        self.problem = dolfinx.fem.petsc.LinearProblem(
            a, L, bcs=[], petsc_options=dict(DIRECT), petsc_options_prefix="assb_patch_ionic_")
        self._drop_form = None
        self._far = far
        self._ds_c = ds_c
        self._area_form = dolfinx.fem.form(self.chi * ds_c)

    def set_contact(self, x_nodes: np.ndarray, closed: np.ndarray) -> None:
        """Conducting where the Li contact-face node nearest in x is closed (arrays sorted by x,
        the same on every rank). 3D: ``x_nodes`` holds the (x, y) of the Li face nodes, which
        are the nodes of this slab's face (same grid); they are matched by position."""
        if self.lateral == 2:
            self._set_contact_3d(np.asarray(x_nodes, dtype=float), closed)
            return
        x_nodes = np.asarray(x_nodes, dtype=float)
        n = len(x_nodes)
        k = np.clip(np.searchsorted(x_nodes, self.face_x), 1, max(n - 1, 1))
        lo = np.maximum(k - 1, 0)
        nearest = np.where(np.abs(self.face_x - x_nodes[lo]) <= np.abs(x_nodes[k] - self.face_x),
                           lo, k)
        self.chi.x.array[:] = 0.0
        self.chi.x.array[self.face_dofs] = np.asarray(closed, dtype=float)[nearest]
        self.chi.x.scatter_forward()

    def _set_contact_3d(self, xy_nodes: np.ndarray, closed: np.ndarray) -> None:
        h = 1e-6 * self.width  # positions agree to round-off on the shared grid
        key = _grid_keys(xy_nodes, h)
        order = np.argsort(key)
        mine = _grid_keys(self.face_xy, h)
        k = np.clip(np.searchsorted(key[order], mine), 0, len(key) - 1)
        if not np.array_equal(key[order][k], mine):
            raise RuntimeError("the separator slab's face nodes are not those of the Li block")
        self.chi.x.array[:] = 0.0
        self.chi.x.array[self.face_dofs] = np.asarray(closed, dtype=float)[order][k]
        self.chi.x.scatter_forward()

    def set_full_contact(self) -> None:
        self.chi.x.array[:] = 0.0
        self.chi.x.array[self.face_dofs] = 1.0
        self.chi.x.scatter_forward()

    def solve(self, kappa: float, r_ct: float, i_app: float) -> InterfaceCurrent:
        """ASR and local currents for conductivity ``kappa`` (S/m), area-specific ``r_ct``
        (ohm m^2) and mean current density ``i_app`` (A/m^2)."""
        self.kappa.value, self.r_ct.value, self.i_app.value = kappa, r_ct, i_app
        area = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._area_form), op=MPI.SUM)
        bulk = i_app * self.thickness / kappa
        if area <= 0.0:  # no contact: no current can pass
            return InterfaceCurrent(np.inf, np.inf, bulk, np.inf, 0.0, i_app)
        phi = self.problem.solve()
        if self._drop_form is None:
            self._drop_form = dolfinx.fem.form(phi * self._far)
        drop = self.comm.allreduce(dolfinx.fem.assemble_scalar(self._drop_form),
                                   op=MPI.SUM) / self.area
        d = self.face_owned
        local = float(np.max(self.chi.x.array[d] * phi.x.array[d], initial=0.0)) / r_ct
        jmax = self.comm.allreduce(local, op=MPI.MAX)
        return InterfaceCurrent((drop - bulk) / i_app, drop, bulk, jmax, area / self.area, i_app)


def _grid_keys(xy: np.ndarray, h: float) -> np.ndarray:
    """One integer per in-plane point of a grid with spacing >> ``h`` (positions rounded to h)."""
    q = np.rint(np.asarray(xy) / h).astype(np.int64)
    return q[:, 0] * (1 << 31) + q[:, 1]
