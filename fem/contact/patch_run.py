"""``assb-fem run`` on an interface-patch case: Li creeping into a rough, pored Li6PS5Cl surface.

Entry point: :func:`run_patch_case` (called by ``Simulation.run`` for cases with a ``[patch]``).

Model (2D plane strain, or 3D: see below; issue 6)
--------------------------------
* **Li** (the patch's ``li_layer`` material): a block of width ``patch.width`` and thickness
  ``patch.li_thickness``, small-strain elasticity (card E, nu) with the case's creep law
  (``mechanics.creep_law``: Norton or Narayan-Anand, :func:`fem.mechanics.creep_laws.
  creep_law_from_material`, Arrhenius in T), backward Euler with the consistent-tangent J2
  radial return (:class:`fem.contact.creep_contact.CreepContactBlock`).
* **Li6PS5Cl is rigid**: its modulus (22 GPa) is three orders of magnitude above the stresses
  the Li can carry at the creep rates of a pressure hold (a few MPa; the contact pressure on
  the spots is bounded by the Li flow stress, ~3 sigma_flow), so its elastic deflection under
  the spots, ~ p a / E ~ 1e-3 of the spot size a, is negligible next to the Li flow. The
  separator surface is the case's roughness (:func:`fem.geometry.patch.height_map`: same
  generator, seed, RMS, correlation length, Hurst exponent and grid as the patch mesh) with the
  surface pores cut in as flat-bottomed depressions (:class:`fem.contact.patch_surface.
  PatchSurface`), so the Li can extrude into the pores.
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
* **Loading**: at t = 0 the Li is seated elastically at SEAT (1e-3) of the first pressure; a
  pressure rise is then applied with creep active, at most x10 per step (a 25 MPa press
  takes 3 steps of dt_min = 1 ms; measured on the bundled 3D patch at 1 um: 85 Newton
  iterations for the 50 ms press against 227 when doubling per step and 351 at x1.5, the same
  final state; 2D: 351 against 459). Starting creep from the elastic state at the full pressure
  (GPa peaks on the asperity tips) makes Newton fail; the ramp is also the physical picture
  (Li flows plastically while the load rises). The applied pressure is what
  ``stack_pressure_MPa`` reports.
* **Time steps**: each pressure change restarts the step size at ``solver.dt_min``; it then
  grows by ``GROWTH`` per accepted step (log-spaced: four steps per decade) up to
  ``solver.dt_max``, lands on the ends of protocol steps and on the report times 1 min and
  30 min; a failed solve is retried with half the step (and half the pressure change), up to
  ``MAX_CUTS`` times. Newton: SNES with the l2 line search (full steps diverge and
  backtracking stalls when the stiff Li creep flows into contact), MUMPS.
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

Outputs (atomic run folder, :class:`fem.output.directory.RunDirectory`): ``history.csv`` (one
row per accepted step, columns :data:`PATCH_COLUMNS`), ``summary.json``, ``case.resolved.toml``,
``fields.xdmf`` (displacement, contact pressure, gap, equivalent creep strain, von Mises
stress) and ``history.png`` when ``output.plots``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.case.model import Case
from fem.constants import MA_CM2, T_REF, UM
from fem.contact.creep_contact import CreepContactBlock
from fem.contact.meshes import block_mesh, hex_block_mesh
from fem.contact.patch_ionic import InterfaceCurrent, SeparatorSlab
from fem.contact.patch_surface import PatchSurface
from fem.contact.rigid_contact import ContactState
from fem.electrochemistry.conductivity import arrhenius
from fem.electrochemistry.kinetics import charge_transfer_resistance
from fem.electrochemistry.parameters import DEFAULTS
from fem.errors import CaseError, SolverError
from fem.log import Progress, get_logger
from fem.mechanics.kinematics import deviator
from fem.mechanics.linear_solver import default_options
from fem.output.directory import RunDirectory
from fem.output.fields import FieldWriter
from fem.output.history import History
from fem.protocol.steps import LockGap, Press, ProtocolEntry, Release, Rest, SetTemperature

#: Step-size growth factor per accepted step (four steps per decade).
GROWTH = 10.0**0.25
#: Penetration tolerance as a fraction of the contact-face element size.
PENETRATION_FACTOR = 1e-3
#: Report times (s from the start of the run) the steps land on: the cryo-FIB times of
#: lab-data.md 2 (1 min and 30 min into the 25 MPa hold).
REPORT_TIMES = (60.0, 1800.0)
#: Largest pressure rise per step (loading ramp with creep active) and the seating pressure
#: (fraction of the first pressure) of the elastic state at t = 0.
RAMP = 10.0
SEAT = 1e-3
#: Largest number of step halvings after a failed solve.
MAX_CUTS = 8
#: Default mean current density of the interface-resistance probe (A/m^2; 0.5 mA/cm^2).
PROBE_CURRENT = 5.0
#: Conversion: ohm cm^2 per ohm m^2.
OHM_CM2 = 1e4

#: history.csv columns of a patch run (after fem.output.history.BASE_COLUMNS).
PATCH_COLUMNS = [
    "contact_fraction",
    "conducting_fraction",
    "contact_spots",
    "mean_spot_size_um",
    "mean_gap_um",
    "void_area_um2_per_um",
    "pore_fill_depth_um",
    "interface_asr_ohm_cm2",
    "max_local_current_density_mA_cm2",
    "current_peak_to_mean",
    "max_penetration_um",
    "force_balance_error",
    "max_creep_strain",
    "uzawa_updates",
]


def check_patch_case(case: Case) -> None:
    """Raise :class:`CaseError` for what the patch run cannot do (before anything is written)."""
    p = case.patch
    if p is None:
        raise CaseError("patch", None, "the case has no [patch] section")
    if p.dimension == "3d" and case.mesh.element_degree != 1:
        raise CaseError("mesh.element_degree", case.mesh.element_degree,
                        "3D patches run on trilinear hexahedra (selective reduced integration, "
                        "nodal contact on the quadrilateral faces): set mesh.element_degree = 1")
    if case.mechanics.creep_law == "none":
        raise CaseError("mechanics.creep_law", "none", "the patch run models Li creep: use "
                        "'norton' or 'narayan_anand'")
    if case.mesh.element_degree not in (1, 2):
        raise CaseError("mesh.element_degree", case.mesh.element_degree, "must be 1 or 2")
    for e in case.protocol:
        if not isinstance(e.step, Press | Release | Rest | SetTemperature | LockGap):
            raise CaseError("protocol", e.step.text, "a patch run follows the stack pressure "
                            "and temperature only (Press, Release, Rest, Set temperature, "
                            "Lock gap); current steps are not modelled at the patch scale")


def _pressures(case: Case) -> list[float]:
    return [e.step.pressure for e in case.protocol if isinstance(e.step, Press | Release)]


def initial_pressure(case: Case) -> float:
    """The pressure of the first Press step if the protocol starts with one (before any step
    that takes time), else the holder pressure."""
    for e in case.protocol:
        if isinstance(e.step, Press):
            return e.step.pressure
        if isinstance(e.step, SetTemperature | LockGap):
            continue
        break
    return case.holder.pressure


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


class PatchModel:
    """The mechanics (Li block on the rigid surface) and the separator slab (collective)."""

    def __init__(self, case: Case, comm: MPI.Comm):
        check_patch_case(case)
        p = case.patch
        self.case, self.comm = case, comm
        self.surface = PatchSurface(p)
        li_layer = case.cell.layer(p.li_layer)
        sep_layer = case.cell.layer(p.separator_layer)
        li = case.materials[li_layer.material]
        sep = case.materials[sep_layer.material]
        from fem.mechanics.creep_laws import creep_law_from_material

        self.law = creep_law_from_material(li, case.mechanics.creep_law)
        m = case.mesh
        self.size = m.size_min
        self.tolerance = PENETRATION_FACTOR * m.size_min
        self.dim = 3 if p.dimension == "3d" else 2
        linear = None
        if self.dim == 3:
            self.cm = hex_block_mesh(comm, (p.width, p.width), p.li_thickness, m.size_min,
                                     m.size_max, m.grading)
            ndofs = 3 * self.cm.mesh.geometry.index_map().size_global
            kind = case.solver.linear_solver  # "auto" is MUMPS here (see the module doc)
            linear = default_options("direct" if kind == "auto" else kind, 3, ndofs)
            linear.update(case.solver.petsc_options)
        else:
            self.cm = block_mesh(comm, (p.width,), p.li_thickness, m.size_min, m.size_max,
                                 m.grading)
        self.linear = "direct (MUMPS)" if linear is None or linear.get("pc_type") == "lu" \
            else f"{linear.get('ksp_type')} + {linear.get('pc_type')}"
        self.p_ref = max([initial_pressure(case)] + _pressures(case))
        if self.p_ref <= 0:
            raise CaseError("protocol", [e.step.text for e in case.protocol],
                            "needs a positive stack pressure")
        self.block = CreepContactBlock(self.cm, li["youngs_modulus"], li["poissons_ratio"],
                                       self.law, self.surface, self.p_ref, m.size_min,
                                       degree=m.element_degree, T=case.temperature,
                                       linear_options=linear)
        # l2 (secant) line search: with full steps (basic) or backtracking (bt) Newton
        # diverges or stalls when the stiff Li creep (Norton n = 6.6) flows into contact
        self.block.problem.solver.getLineSearch().setType("l2")
        self.slab = SeparatorSlab(comm, p.width, p.separator_thickness, m.size_min, m.size_max,
                                  m.grading, degree=m.element_degree, dimension=self.dim)
        self.kappa_ref = sep["ionic_conductivity"]
        self.Ea = sep["ionic_activation_energy"]
        self.i0_ref = DEFAULTS["li_exchange_current_density"].value
        self.alpha = DEFAULTS["li_transfer_coefficient"].value
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
                          "contact_face_element_size_um": m.size_min * UM,
                          "element_degree": m.element_degree,
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


class PatchRun:
    """The protocol loop of a patch case (every rank runs it; rank 0 writes scalars)."""

    def __init__(self, case: Case, comm: MPI.Comm, progress: bool = False,
                 probe_current: float = PROBE_CURRENT):
        self.case, self.comm = case, comm
        self.log = get_logger()
        self.progress_enabled = progress
        self.probe_current = probe_current
        self.t = 0.0
        self.T = case.temperature
        self.pressure = 0.0
        self.accepted = 0
        self.failed = 0
        self.newton_total = 0
        self.timing = {"mechanics": 0.0, "ionic": 0.0, "output": 0.0}
        self.report: dict[float, dict] = {}

    # -- set-up
    def setup(self, rundir: RunDirectory) -> None:
        t0 = time.perf_counter()
        self.model = PatchModel(self.case, self.comm)
        self.history = History(rundir / "history.csv", self.comm,
                               PATCH_COLUMNS + ["approach_um", "probe_current_density_mA_cm2"])
        self.fields = None
        if self.case.output.fields:
            self._open_fields(rundir)
        self.log.info(f"patch {self.case.name}: {self.model.mesh_info['li_cells']} Li cells, "
                      f"{self.model.ndofs} displacement unknowns, {self.comm.size} rank(s), "
                      f"set-up {time.perf_counter() - t0:.1f} s")

    def _open_fields(self, rundir: RunDirectory) -> None:
        b = self.model.block
        fw = _PatchFieldWriter(rundir / "fields.xdmf", self.model.cm.mesh,
                               self.model.cm.cell_tags)
        fw.add_vector("displacement", b.u)
        S = b.contact.S
        self._p_nodes = dolfinx.fem.Function(S, name="contact_pressure_src")
        self._g_nodes = dolfinx.fem.Function(S, name="gap_src")
        fw.add_scalar("contact_pressure", self._p_nodes)
        fw.add_scalar("gap", self._g_nodes)
        pts = b.creep.Qs.element.interpolation_points
        fw.add_cell_scalar("creep_strain_eq", b.creep.p_eq, pts)
        s = deviator(b.sigma_n)
        fw.add_cell_scalar("von_mises", ufl.sqrt(1.5 * ufl.inner(s, s)), pts)
        self.fields = fw

    def _write_fields(self) -> None:
        c = self.model.block.contact
        d = c.dofs
        g = c.nodal_gap()
        p = c.nodal_pressure(g)
        for fn, vals in ((self._p_nodes, p), (self._g_nodes, g)):
            fn.x.array[:] = 0.0
            fn.x.array[d] = vals[d]
            fn.x.scatter_forward()
        self.fields.write(self.t)

    # -- records
    def _record(self, entry: ProtocolEntry, dt: float, step) -> None:
        m = self.model
        t0 = time.perf_counter()
        ps = m.interface(step.state, self.T, self.probe_current)
        self.timing["ionic"] += time.perf_counter() - t0
        st = ps.contact
        area = st.contact_area
        uz = m.mean_top_displacement()
        load = self.pressure * st.nominal_area
        cur = ps.current
        its = int(sum(step.report.newton_iterations))
        self.newton_total += its
        row = {
            "time_s": self.t,
            "step": entry.index,
            "cycle": entry.cycle,
            "dt_s": dt,
            "stack_pressure_MPa": self.pressure / 1e6,
            "stack_strain": uz / self.case.patch.li_thickness,
            "platen_displacement_um": uz * UM,
            "temperature_K": self.T,
            "current_density_mA_cm2": 0.0,
            "capacity_mAh_cm2": 0.0,
            "newton_iterations": its,
            "contact_fraction": st.contact_fraction,
            "conducting_fraction": cur.conducting_fraction,
            "contact_spots": ps.spots,
            "mean_spot_size_um": m.mean_spot_size(area, ps.spots) * UM,
            "mean_gap_um": st.mean_gap * UM,
            "void_area_um2_per_um": st.void / st.nominal_area * UM,
            "pore_fill_depth_um": ps.pore_fill_depth * UM,
            "interface_asr_ohm_cm2": cur.asr * OHM_CM2,
            "max_local_current_density_mA_cm2": cur.max_local_current * MA_CM2,
            "current_peak_to_mean": cur.peak_to_mean,
            "max_penetration_um": st.max_penetration * UM,
            "force_balance_error": abs(st.force - load) / load if load > 0 else 0.0,
            "max_creep_strain": m.block.creep.max_total(),
            "uzawa_updates": step.report.updates,
            "approach_um": -uz * UM,
            "probe_current_density_mA_cm2": self.probe_current * MA_CM2,
            "step_label": entry.step.text,
        }
        t0 = time.perf_counter()
        self.history.append(row)
        for tr in REPORT_TIMES:
            if abs(self.t - tr) <= 1e-9 * tr:
                self.report[tr] = row
        o = self.case.output
        if self.fields is not None and self.accepted % o.field_interval == 0:
            self._write_fields()
        self.timing["output"] += time.perf_counter() - t0

    # -- time stepping
    def _step(self, entry: ProtocolEntry, dt: float, target: float):
        """One accepted step towards the pressure ``target`` (Pa): the pressure rises by at
        most RAMP per step; a failed solve is retried with half the step and half the pressure
        change, up to MAX_CUTS times. Returns (step record, dt taken, pressure applied)."""
        p0 = self.pressure
        p = min(target, RAMP * p0) if target > p0 else target
        t0 = time.perf_counter()
        try:
            for _ in range(MAX_CUTS + 1):
                step = self.model.try_step(dt, p, self.T)
                if step is not None:
                    return step, dt, p
                self.failed += 1
                self.log.info(f"  patch solve failed at t = {self.t + dt:.4g} s, "
                              f"{p / 1e6:.4g} MPa; dt -> {0.5 * dt:.3g} s")
                dt, p = 0.5 * dt, p0 + 0.5 * (p - p0)
        finally:
            self.timing["mechanics"] += time.perf_counter() - t0
        raise SolverError(f"patch step {entry.index} ({entry.step.text!r}) failed at "
                          f"t = {self.t + dt:.6g} s after {MAX_CUTS} cut-backs (dt = {dt:.3g} s)")

    def _advance(self, entry: ProtocolEntry, duration: float, load, restart_dt: bool) -> None:
        """Integrate a protocol step of ``duration`` s; ``load(tau)`` is the stack pressure at
        time tau into it."""
        s = self.case.solver
        if restart_dt or self.dt is None:
            self.dt = s.dt_min
        tau = 0.0
        while tau < duration * (1 - 1e-12):
            dt = min(self.dt, s.dt_max, duration - tau)
            for tr in REPORT_TIMES:  # land on the report times
                if self.t < tr * (1 - 1e-12) and self.t + dt > tr:
                    dt = tr - self.t
            rest = duration - tau - dt
            if 0 < rest < 0.25 * dt:  # no sliver at the end of the step
                dt = duration - tau
            planned = dt
            step, dt, p = self._step(entry, dt, load(tau + dt))
            self.pressure = p
            tau += dt
            self.t += dt
            self.accepted += 1
            self._record(entry, dt, step)
            self.progress.update(dt, entry.step.text)
            if dt < planned:  # cut back: grow again from the step that worked
                self.dt = dt * GROWTH
            elif p < load(tau) * (1 - 1e-12):  # still ramping up: keep the step small
                self.dt = s.dt_min
            else:
                self.dt = min(max(self.dt, dt) * GROWTH, s.dt_max)

    def run(self, rundir: RunDirectory) -> None:
        c = self.case
        total = sum(e.step.duration or 0.0 for e in c.protocol)
        self.progress = Progress(total, self.progress_enabled, self.comm)
        self.dt = None
        # t = 0: the Li seated elastically on the highest asperities at SEAT of the first
        # pressure; the pressure then ramps up with creep active (see _step)
        seat = ProtocolEntry(-1, 0, Press(text="seating load"))
        self.pressure = SEAT * initial_pressure(c)
        step = self.model.seat(self.pressure, self.T)
        if step is None:
            raise SolverError(f"the seating load ({self.pressure / 1e6:.3g} MPa) failed")
        self._record(seat, 0.0, step)
        for entry in c.protocol:
            st = entry.step
            self.log.debug(f"patch step {entry.index}: {st.text}")
            if isinstance(st, SetTemperature):
                self.T = st.temperature
                continue
            if isinstance(st, LockGap):
                self.log.info("  'Lock gap': the patch keeps the last stack pressure "
                              "(force control; the holder acts at the cell scale)")
                continue
            if isinstance(st, Press):
                jump = st.pressure != self.pressure
                self._advance(entry, st.duration, lambda tau, p=st.pressure: p, jump)
            elif isinstance(st, Release):
                p0 = self.pressure

                def ramp(tau: float, p0=p0, st=st) -> float:
                    return p0 + (st.pressure - p0) * min(tau / st.duration, 1.0)

                self._advance(entry, st.duration, ramp, st.pressure != p0)
            else:  # Rest: constant pressure of the last step
                p = self.pressure
                self._advance(entry, st.duration, lambda tau, p=p: p, False)
        self.progress.close()

    # -- summary
    def summary(self, wall: float, vers: dict) -> dict:
        c, h, m = self.case, self.history, self.model
        f = h.column("contact_fraction")
        asr = h.column("interface_asr_ohm_cm2")
        p = c.patch
        r = p.roughness
        rough = {"type": r.type}
        if r.type == "self_affine":
            rough |= {"rms_um": r.rms * UM, "correlation_length_um": r.correlation_length * UM,
                      "hurst": r.hurst, "seed": r.seed, "points": r.points}
        elif r.type == "sinusoid":
            rough |= {"amplitude_um": r.amplitude * UM, "wavelength_um": r.wavelength * UM}
        elif r.type == "file":
            rough |= {"file": r.file, "height_scale": r.height_scale}
        results = {
            "final_contact_fraction": f[-1],
            "final_interface_asr_ohm_cm2": asr[-1],
            "final_contact_spots": h.column("contact_spots")[-1],
            "final_pore_fill_depth_um": h.column("pore_fill_depth_um")[-1],
            "pore_depth_um": p.pores.depth * UM if p.pores else 0.0,
            "final_max_local_current_density_mA_cm2":
                h.column("max_local_current_density_mA_cm2")[-1],
            "probe_current_density_mA_cm2": self.probe_current * MA_CM2,
            "charge_transfer_resistance_ohm_cm2": m.r_ct(self.T) * OHM_CM2,
            "max_penetration_um": max(h.column("max_penetration_um")),
            "penetration_tolerance_um": m.tolerance * UM,
            "max_force_balance_error": max(h.column("force_balance_error")),
            "roughness": rough,
            "surface_peak_to_valley_um": m.surface.peak_to_valley * UM,
        }
        for tr, key in zip(REPORT_TIMES, ("1min", "30min"), strict=True):
            row = self.report.get(tr)
            results[f"contact_fraction_at_{key}"] = row["contact_fraction"] if row else None
            results[f"interface_asr_at_{key}_ohm_cm2"] = (row["interface_asr_ohm_cm2"]
                                                          if row else None)
        return {
            "status": "completed",
            "case": c.name,
            "description": c.description,
            "case_source": c.source,
            "case_sha256": c.digest,
            "model": ("patch: 2D plane-strain creeping Li on a rigid rough Li6PS5Cl surface "
                      "(fem.contact.patch_run)" if m.dim == 2 else
                      "patch: 3D creeping Li (trilinear hexahedra, selective reduced "
                      "integration) on a rigid rough Li6PS5Cl surface (fem.contact.patch_run)"),
            "ranks": self.comm.size,
            "wall_time_s": wall,
            "wall_time_split_s": dict(self.timing),
            "versions": vers,
            "mesh": m.mesh_info,
            "steps_accepted": self.accepted,
            "steps_failed": self.failed,
            "newton_iterations": self.newton_total,
            "simulated_time_s": self.t,
            "results": _finite(results),
        }


class _PatchFieldWriter(FieldWriter):
    """FieldWriter with nodal scalar fields (written as P1)."""

    def add_scalar(self, name: str, src: dolfinx.fem.Function) -> None:
        S1 = dolfinx.fem.functionspace(self.mesh, ("Lagrange", 1))
        self._items.append((dolfinx.fem.Function(S1, name=name), src))


def _finite(obj):
    """inf (no contact: no current) as the string 'inf' for JSON."""
    if isinstance(obj, float) and math.isinf(obj):
        return "inf"
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    return obj


def run_patch_case(case: Case, outdir: str | Path, comm: MPI.Comm, overwrite: bool = False,
                   progress: bool = False, probe_current: float = PROBE_CURRENT) -> Path:
    """Run the patch case ``case`` (collective on ``comm``) and write its outputs into
    ``outdir`` atomically; return the finished folder. ``probe_current``: mean current density
    (A/m^2) of the interface-resistance probe. Raises CaseError (before anything is written) for
    cases the patch model cannot run, SolverError when a step fails after all halvings (the
    partial results go to ``<outdir>.failed``)."""
    from fem.output.summary import versions, write_resolved_case, write_summary

    check_patch_case(case)
    wall0 = time.perf_counter()
    rundir = RunDirectory(outdir, comm, overwrite)
    run = PatchRun(case, comm, progress, probe_current)
    try:
        run.setup(rundir)
        run.run(rundir)
        run.history.close()
        if run.fields is not None:
            run.fields.close()
        wall = time.perf_counter() - wall0
        if comm.rank == 0:
            write_resolved_case(rundir / "case.resolved.toml", case.resolved_dict())
            write_summary(rundir / "summary.json", run.summary(wall, versions()))
            if case.output.plots:
                from fem.output.history import read_history
                from fem.output.plots import plot_history

                plot_history(read_history(rundir / "history.csv"), rundir / "history.png",
                             title=case.name)
        final = rundir.finish()
        run.log.info(f"done in {wall:.1f} s: {run.accepted} steps -> {final}")
        return final
    except BaseException as exc:
        if hasattr(run, "progress"):
            run.progress.close()
        if hasattr(run, "history"):
            run.history.close()
        if getattr(run, "fields", None) is not None:
            run.fields.close()
        failed = rundir.fail(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, SolverError):
            exc.args = (f"{exc.args[0]}\n  partial results kept in {failed}",)
        raise
