"""The interface-patch model: Li creeping into a rough, pored Li6PS5Cl surface (the mechanics
of the Li block on the rigid surface and the separator slab that measures the interface's
resistance). The run that drives it through a protocol is :mod:`fem.run.patch_run`.

Model (2D plane strain, or 3D: see below)
-----------------------------------------
* **Li** (the patch's ``li_layer`` material): a block of width ``patch.width`` and thickness
  ``patch.li_thickness``, small-strain elasticity (card E, nu) with the case's creep law
  (``mechanics.creep_law``: Norton or Narayan-Anand, :func:`fem.mechanics.creep_laws.
  creep_law_from_material`, Arrhenius in T), backward Euler with the consistent-tangent J2
  radial return (:class:`fem.contact.creep_contact.CreepContactBlock`).
* **Li6PS5Cl is rigid**: its modulus (22 GPa, quoted by Singh 2022, docs/references.md#singh2022)
  is three orders of magnitude above the stresses the Li can carry at the creep rates of a
  pressure hold (a few MPa; the contact pressure on the spots is bounded by the Li flow stress,
  ~3 sigma_flow), so its elastic deflection under the spots, ~ p a / E ~ 1e-3 of the spot size a,
  is negligible next to the Li flow. The separator surface is the case's roughness
  (:func:`fem.geometry.patch.height_map`: same generator, seed, RMS, correlation length, Hurst
  exponent and grid as the patch mesh) with the surface pores cut in as flat-bottomed depressions
  (:class:`fem.contact.patch_surface.PatchSurface`), so the Li can extrude into the pores.
* **Contact**: frictionless unilateral contact with the rigid surface, augmented Lagrangian at
  the nodal quadrature points (:mod:`fem.contact.rigid_contact`), Uzawa updates until the
  largest penetration is below ``PENETRATION_FACTOR * mesh.size_min`` at every step.
* **Boundary conditions**: the stack pressure of the protocol as a uniform traction on the Li
  top face (force control: ``Press at P for T`` jumps to P and holds it, ``Release to P`` ramps
  linearly over its duration, ``Rest`` / ``Lock gap`` keep the last pressure: the patch has no
  holder, the cell-scale model gives the stack pressure); rollers on the lateral faces, which
  are mirror planes: the patch stands for the mirrored (even) extension of the height map (no
  periodic constraints in this stack, see :mod:`fem.contact.elastic_block`).
* **Temperature**: the case temperature and ``Set temperature`` steps (creep law Arrhenius,
  conductivity and exchange current Arrhenius with the separator's activation energy, as the
  cell model does).
* **Interface current** (every accepted step): the ionic potential in a separator slab of
  thickness ``patch.separator_thickness`` with linearised Butler-Volmer on the contacting spots
  only (:mod:`fem.contact.patch_ionic`): interface ASR = (drop - bulk drop) / i and the peak
  local current density at the mean current density ``probe_current`` (0.5 mA/cm^2).
  R_ct = R T / (F i0 (alpha_a + alpha_c)), i0 = li_exchange_current_density (5 mA/cm^2 at
  25 degC, fem.electrochemistry.parameters), kappa = the separator card's ionic conductivity.

3D patches (``patch.dimension = "3d"``): the square patch as a structured mesh of trilinear
hexahedra (:func:`fem.contact.meshes.hex_block_mesh`: ``ceil(width / size_min)`` cells across,
graded in z), with selective reduced integration (deviatoric part at 2x2x2 points where the creep
state lives, volumetric part at the cell centre: :func:`fem.contact.creep_contact.internal_work`)
so the incompressible creep flow does not lock, and the contact and the Robin condition of the
slab on the tensor Gauss-Lobatto (trapezoidal) rule of the quadrilateral faces, whose points are
the face nodes (positive weights; P2 tetrahedra have no such rule and P1 tetrahedra lock). The
separator slab is the square hexahedral slab on the same face grid. Spots are the edge-connected
groups of closed face nodes; the spot size is the diameter of the circle of the mean spot area.
``mesh.element_degree`` must be 1. Linear solver: MUMPS ("auto" and "direct"); "iterative" gives
the FGMRES + GAMG set of :mod:`fem.mechanics.linear_solver`, which did not converge on the seating
step of the bundled 3D patch (few nodes hold the block, penalty springs on them), so it is not
the default.

Limits: small strain (local creep strains at the asperity tips and in the pore reach O(1)); the
gap is measured along z from each Li node's reference position (small slopes); friction, Li
self-contact, adhesion and surface diffusion are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.constants import T_REF, UM
from fem.contact.creep_contact import CreepContactBlock
from fem.contact.meshes import block_mesh, hex_block_mesh
from fem.contact.patch_ionic import InterfaceCurrent, SeparatorSlab
from fem.contact.patch_surface import PatchSurface
from fem.contact.rigid_contact import ContactState
from fem.electrochemistry.conductivity import arrhenius
from fem.electrochemistry.kinetics import charge_transfer_resistance
from fem.mechanics.linear_solver import default_options

#: Penetration tolerance as a fraction of the contact-face element size.
PENETRATION_FACTOR = 1e-3


def count_spots(closed: np.ndarray) -> int:
    """Number of runs of consecutive closed nodes (nodes sorted along x; 2D)."""
    c = np.asarray(closed, dtype=bool)
    if c.size == 0:
        return 0
    return int(c[0]) + int(np.count_nonzero(c[1:] & ~c[:-1]))


def count_spots_grid(xy: np.ndarray, closed: np.ndarray) -> tuple[int, np.ndarray]:
    """Contact spots of a 3D patch: the connected groups (edge neighbours) of closed nodes on the
    regular face grid whose node positions are ``xy`` (npoints, 2). Returns the number of spots
    and the number of nodes in each. The lateral faces are mirror planes, so a spot cut by one
    is one spot of the patch (the mirrored halves are not counted twice or joined)."""
    closed = np.asarray(closed, dtype=bool)
    if not closed.any():
        return 0, np.zeros(0, dtype=int)
    ix = [np.unique(np.round(xy[:, a], 12), return_inverse=True)[1] for a in (0, 1)]
    grid = np.zeros((ix[0].max() + 1, ix[1].max() + 1), dtype=bool)
    grid[ix[0], ix[1]] = closed
    big = grid.size
    label = np.where(grid, np.arange(big).reshape(grid.shape), big)
    while True:  # propagate the smallest label over closed neighbours until nothing changes
        new = label.copy()
        new[1:, :] = np.minimum(new[1:, :], label[:-1, :])
        new[:-1, :] = np.minimum(new[:-1, :], label[1:, :])
        new[:, 1:] = np.minimum(new[:, 1:], label[:, :-1])
        new[:, :-1] = np.minimum(new[:, :-1], label[:, 1:])
        new = np.where(grid, new, big)
        if np.array_equal(new, label):
            break
        label = new
    _, sizes = np.unique(label[grid], return_counts=True)
    return len(sizes), sizes


@dataclass
class PatchState:
    """Interface quantities of one accepted step (SI)."""

    contact: ContactState
    spots: int
    pore_fill_depth: float
    current: InterfaceCurrent


@dataclass(frozen=True)
class PatchModelSettings:
    """What the patch model needs (SI), built from a case by :mod:`fem.run.patch_run`:
    ``patch`` is the case's patch geometry (width, thicknesses, roughness, pores, dimension),
    the Li block's elastic constants and creep law, the separator's conductivity and the Li
    kinetics, the mesh sizes, the linear solver and the largest pressure of the protocol."""

    patch: Any
    li_youngs_modulus: float
    li_poissons_ratio: float
    creep_law: Any
    ionic_conductivity: float
    ionic_activation_energy: float
    exchange_current_density: float
    transfer_coefficient: float
    size_min: float
    size_max: float
    grading: float
    element_degree: int
    linear_solver: str
    petsc_options: dict
    reference_pressure: float
    temperature: float


class PatchModel:
    """The mechanics (Li block on the rigid surface) and the separator slab (collective)."""

    def __init__(self, settings: PatchModelSettings, comm: MPI.Comm):
        st = self.settings = settings
        p = st.patch
        self.comm = comm
        self.surface = PatchSurface(p)
        self.law = st.creep_law
        self.size = st.size_min
        self.tolerance = PENETRATION_FACTOR * st.size_min
        self.dim = 3 if p.dimension == "3d" else 2
        linear = None
        if self.dim == 3:
            self.cm = hex_block_mesh(comm, (p.width, p.width), p.li_thickness, st.size_min,
                                     st.size_max, st.grading)
            ndofs = 3 * self.cm.mesh.geometry.index_map().size_global
            kind = st.linear_solver  # "auto" is MUMPS here (see the module doc)
            linear = default_options("direct" if kind == "auto" else kind, 3, ndofs)
            linear.update(st.petsc_options)
        else:
            self.cm = block_mesh(comm, (p.width,), p.li_thickness, st.size_min, st.size_max,
                                 st.grading)
        self.linear = "direct (MUMPS)" if linear is None or linear.get("pc_type") == "lu" \
            else f"{linear.get('ksp_type')} + {linear.get('pc_type')}"
        self.p_ref = st.reference_pressure
        self.block = CreepContactBlock(self.cm, st.li_youngs_modulus, st.li_poissons_ratio,
                                       self.law, self.surface, self.p_ref, st.size_min,
                                       degree=st.element_degree, T=st.temperature,
                                       linear_options=linear)
        # l2 (secant) line search: with full steps (basic) or backtracking (bt) Newton
        # diverges or stalls when the stiff Li creep (Norton n = 6.6) flows into contact
        self.block.problem.solver.getLineSearch().setType("l2")
        self.slab = SeparatorSlab(comm, p.width, p.separator_thickness, st.size_min,
                                  st.size_max, st.grading, degree=st.element_degree,
                                  dimension=self.dim)
        self.kappa_ref = st.ionic_conductivity
        self.Ea = st.ionic_activation_energy
        self.i0_ref = st.exchange_current_density
        self.alpha = st.transfer_coefficient
        self.width = p.width
        #: nominal interface area (m per unit depth in 2D, m^2 in 3D)
        self.area = p.width ** (self.dim - 1)
        V = self.block.V
        self.top_form = dolfinx.fem.form(
            self.block.u[self.dim - 1] * ufl.Measure("ds", domain=self.cm.mesh,
                                          subdomain_data=self.cm.facet_tags)(self.cm.tag("top")))
        self.ndofs = V.dofmap.index_map.size_global * V.dofmap.index_map_bs
        ncells = self.cm.mesh.topology.index_map(self.cm.mesh.topology.dim).size_global
        self.mesh_info = {"li_cells": ncells, "displacement_dofs": self.ndofs,
                          "separator_potential_dofs": self.slab.V.dofmap.index_map.size_global,
                          "contact_face_element_size_um": st.size_min * UM,
                          "element_degree": st.element_degree,
                          "cell_type": "hexahedron" if self.dim == 3 else "triangle",
                          "linear_solver": self.linear}

    # -- kinetics and transport at temperature T
    def kappa(self, T: float) -> float:
        return float(arrhenius(self.kappa_ref, self.Ea, T, T_REF))

    def r_ct(self, T: float) -> float:
        i0 = float(arrhenius(self.i0_ref, self.Ea, T, T_REF))
        return float(charge_transfer_resistance(i0, T, self.alpha, self.alpha))

    # -- one step
    def try_step(self, dt: float, pressure: float, T: float):
        """Advance the mechanics by ``dt`` at the top pressure ``pressure`` and temperature T;
        the committed step record, or None (state restored) when Newton or Uzawa failed."""
        b = self.block
        lam0 = b.contact.multiplier.x.array.copy()
        b.P.value = pressure
        b.creep.T = T
        # Newton to 1e-10 of the current load (the force balance holds to that)
        b.problem.solver.setTolerances(atol=1e-10 * max(pressure, 1.0) * b.top_area, rtol=1e-14)
        try:
            with np.errstate(invalid="ignore", divide="ignore"):  # dt = 0: rate 0/0 at commit
                out = b.step(dt, self.tolerance, max_halvings=0)
        except RuntimeError:
            b.u.x.array[:] = b.u_n.x.array
            b.contact.multiplier.x.array[:] = lam0
            return None
        if dt == 0.0:
            rate = b.creep.rate_q.x.array
            rate[~np.isfinite(rate)] = 0.0
        return out

    def seat(self, pressure: float, T: float):
        """The elastic seating step (dt = 0) at ``pressure``. 3D: full Newton steps first
        (measured: 10 instead of 26 iterations on the bundled 3D patch; the l2 line search is
        for the creep steps), the l2 line search if they fail."""
        ls = self.block.problem.solver.getLineSearch()
        if self.dim == 3:
            ls.setType("basic")
            step = self.try_step(0.0, pressure, T)
            ls.setType("l2")
            if step is not None:
                return step
        return self.try_step(0.0, pressure, T)

    def mean_top_displacement(self) -> float:
        return self.comm.allreduce(dolfinx.fem.assemble_scalar(self.top_form),
                                   op=MPI.SUM) / self.area

    def interface(self, state: ContactState, T: float, probe_current: float) -> PatchState:
        closed = state.pressure > 0.0
        lateral = state.coordinates[:, : self.dim - 1]
        self.slab.set_contact(lateral if self.dim == 3 else lateral[:, 0], closed)
        cur = self.slab.solve(self.kappa(T), self.r_ct(T), probe_current)
        fill = 0.0
        for pore in self.surface.pores:
            inside = pore.inside(lateral)
            if inside.any():  # Li bottom below the mean plane: z_patch = gap + s_patch
                z = state.gap[inside] + self.surface.patch_height(lateral[inside])
                fill = max(fill, min(float(np.max(-z)), pore.depth))  # not the penetration
        spots = (count_spots_grid(lateral, closed)[0] if self.dim == 3
                 else count_spots(closed))
        return PatchState(state, spots, max(fill, 0.0), cur)

    def mean_spot_size(self, area: float, spots: int) -> float:
        """Mean spot width (2D) or the diameter of the circle of the mean spot area (3D), m."""
        if not spots:
            return 0.0
        if self.dim == 2:
            return area / spots
        return 2.0 * math.sqrt(area / (spots * math.pi))
