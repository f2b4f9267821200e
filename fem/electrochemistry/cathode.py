"""The composite cathode of the cell: its local state of charge and open-circuit voltage.

Each cathode cell of the electrochemistry's submesh carries a state of charge ``soc`` (DG0),
an unknown of the charge-conservation solve (backward Euler, stable at any dt)::

    soc - soc_n - a i_n dt / q_v = 0          (q_v: volumetric capacity, C/m^3)

with a = 3 phi_active / r_particle the specific area and i_n the volumetric Butler-Volmer
reaction of :mod:`fem.electrochemistry.potential`. The reaction sees the open-circuit voltage
of the active material's table (:mod:`fem.electrochemistry.ocv`, extended linearly beyond its
ends) at the particle surface, soc + tau_p dsoc/dt with ``electrochemistry.particle_diffusion``
(:mod:`fem.electrochemistry.particle`; tau_p = 0 without it). The table is linearised about
soc* for the solve and re-linearised until the solved SOC stays within the segment
(:meth:`CompositeCathode.solve_linearised`).

First-charge irreversibility (card ``first_cycle_efficiency`` eta,
docs/lab-study.md#silicon-cells): a cell that reached soc_max can take back only eta * soc_max;
below soc_max (1 - eta) its OCV falls with the slope ``TAIL_SLOPE`` (capped at ``TAIL_MAX``),
so a discharge ends at its voltage cut-off with the lost capacity.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.electrochemistry.kinetics import Kinetics
from fem.electrochemistry.ocv import TAIL_MAX, TAIL_SLOPE, extended, segment_slope
from fem.electrochemistry.particle import relaxation_time
from fem.electrochemistry.potential import CompositeElectrode
from fem.electrochemistry.settings import CathodeSettings


def floor_approach_time(soc: np.ndarray, soc_before: np.ndarray, floor: np.ndarray,
                        dt: float, allowance: float) -> float:
    """The time (s) in which the first discharging cell above its irreversible floor passes it
    by ``allowance`` (SOC) at the SOC rate of the last step of ``dt``: min over the cells with
    rate r = (soc - soc_before) / dt < 0 and margin m = soc - floor > 0 of (m + allowance) / -r;
    inf when there is none. A step that crosses the floor's kink deeply (the OCV falls by
    TAIL_SLOPE per unit SOC beyond it) is where the charge-conservation Newton failed."""
    if dt <= 0.0 or soc.size == 0:
        return math.inf
    rate = (soc - soc_before) / dt
    margin = soc - floor
    m = (rate < 0.0) & (margin > 0.0)
    return float(np.min((margin[m] + allowance) / -rate[m], initial=math.inf))


class CompositeCathode:
    """SOC fields, OCV expression and reaction of the composite cathode (module docstring)
    on the cells tagged ``tag`` of the submesh ``sub``."""

    def __init__(self, sub: dolfinx.mesh.Mesh, cell_tags: dolfinx.mesh.MeshTags, tag: int,
                 settings: CathodeSettings, particle_diffusion: bool):
        import ufl

        self.settings = settings
        self.tag = tag
        self.table = settings.ocv
        self.efficiency = settings.first_cycle_efficiency
        Q0 = dolfinx.fem.functionspace(sub, ("DG", 0))
        self.soc = dolfinx.fem.Function(Q0, name="cathode_soc")  # unknown of the step
        self.soc_n = dolfinx.fem.Function(Q0, name="cathode_soc_n")
        self.soc_max = dolfinx.fem.Function(Q0, name="cathode_soc_max")
        self.floor = dolfinx.fem.Function(Q0, name="cathode_soc_floor")
        self.soc_star = dolfinx.fem.Function(Q0, name="cathode_soc_star")
        self.ocv_star = dolfinx.fem.Function(Q0, name="cathode_ocv_star")
        self.slope_star = dolfinx.fem.Function(Q0, name="cathode_ocv_slope")
        self.dt = dolfinx.fem.Constant(sub, 0.0)
        # the SOC at the particle surface (parabolic profile, fem.electrochemistry.particle):
        # soc + tau_p (soc - soc_n) / dt; tau_p = 0 without particle diffusion
        self.tau_p = dolfinx.fem.Constant(sub, 0.0)
        if particle_diffusion:
            self.tau_p.value = relaxation_time(settings.particle_radius,
                                               settings.solid_diffusivity)
        self.inv_dt = dolfinx.fem.Constant(sub, 0.0)
        self.soc_surface = self.soc + self.tau_p * self.inv_dt * (self.soc - self.soc_n)
        # U(soc_surface), implicit in the step's SOC: the table's segment about soc* (re-linearised
        # until soc ends in that segment, :meth:`solve_linearised`) and the irreversible tail
        # below the floor (exact; a discharge sees it within the step)
        self.ocv = (self.ocv_star + self.slope_star * (self.soc_surface - self.soc_star)
                    - TAIL_SLOPE * ufl.min_value(ufl.max_value(self.floor - self.soc, 0.0),
                                                 TAIL_MAX / TAIL_SLOPE))
        cells = cell_tags.find(tag)
        self.dofs = Q0.dofmap.list[cells, 0]
        nloc = sub.topology.index_map(sub.topology.dim).size_local
        self.owned = self.dofs[cells < nloc]
        self.q_vol = settings.volumetric_capacity  # C/m^3
        self.kappa = dolfinx.fem.Constant(sub, settings.ionic_conductivity)
        self.i0 = dolfinx.fem.Constant(sub, settings.exchange_current_density)
        self.update_floor()
        self.specific_area = settings.specific_area
        self.electrode = CompositeElectrode(
            kappa=self.kappa, sigma=settings.electronic_conductivity,
            specific_area=self.specific_area, kinetics=Kinetics(self.i0), ocv=self.ocv)

    def add_soc_equation(self, cc) -> None:
        """The backward-Euler SOC equation (module docstring) as a field of the
        charge-conservation solve ``cc``."""
        import ufl

        Q0 = self.soc.function_space
        w = ufl.TestFunction(Q0)
        dx = cc.dx
        # weighted like the charge balance (2 pi r in axisymmetry): charge is conserved exactly;
        # scaled by q_v / 1 h, so its rows are currents (A) like those of the potentials
        scale = self.q_vol / 3600.0
        F = scale * (self.soc - self.soc_n - self.specific_area * cc.i_n * self.dt
                     / self.q_vol) * w * cc.weight * dx(self.tag) \
            + cc._zero * self.soc * w * dx
        n_all = Q0.dofmap.index_map.size_local + Q0.dofmap.index_map.num_ghosts
        outside = np.setdiff1d(np.arange(n_all, dtype=np.int32), self.dofs)
        bc = dolfinx.fem.dirichletbc(dolfinx.default_scalar_type(0), outside, Q0)
        cc.add_field(self.soc, F, [bc])

    # ------------------------------------------------------------------ step
    def set_temperature_factor(self, f: float) -> None:
        """Arrhenius factor f of the conductivity and exchange current (the separator's)."""
        self.kappa.value = self.settings.ionic_conductivity * f
        self.i0.value = self.settings.exchange_current_density * f

    def set_step(self, dt: float) -> None:
        self.dt.value = dt
        self.inv_dt.value = 1.0 / dt if dt > 0 else 0.0

    def surface_soc(self, dofs: np.ndarray) -> np.ndarray:
        """The particle-surface SOC at the cathode dofs (the SOC without particle diffusion)."""
        soc, soc_n = self.soc.x.array[dofs], self.soc_n.x.array[dofs]
        return soc + float(self.tau_p.value) * float(self.inv_dt.value) * (soc - soc_n)

    def _linearise(self, at: np.ndarray, upward: bool) -> None:
        d = self.dofs
        self.soc_star.x.array[d] = at
        self.ocv_star.x.array[d] = extended(self.table, at)
        self.slope_star.x.array[d] = segment_slope(self.table, at, upward)
        for f in (self.soc_star, self.ocv_star, self.slope_star):
            f.x.scatter_forward()

    def solve_linearised(self, run: Callable[[], float], upward: bool, comm,
                         tol: float = 1e-5, max_passes: int = 8) -> float:
        """``run()`` (the charge-conservation solve, returning the voltage) with the OCV table
        linearised about soc*, starting at the step's initial SOC, re-linearised about the new
        SOC until it stays within the segment (the OCV then is the table's to ``tol`` volts).
        Usually one pass; two when a step crosses a node. ``upward`` (a charging current)
        picks the segments' side at a node."""
        d = self.dofs
        at = self.soc_n.x.array[d].copy()
        for _ in range(max_passes):
            self._linearise(at, upward)
            v = run()
            soc = self.surface_soc(d)
            lin = self.ocv_star.x.array[d] + self.slope_star.x.array[d] * (soc - at)
            err = float(np.max(np.abs(extended(self.table, soc) - lin), initial=0.0))
            if comm.allreduce(err, op=MPI.MAX) <= tol:
                return v
            at = soc.copy()
        return v

    def floor_step_cap(self, dt: float, allowance: float, comm) -> float | None:
        """The longest next step (s) that takes no discharging cell more than ``allowance``
        (SOC) past its irreversible floor (:func:`floor_approach_time` over the cells, the
        step of ``dt`` just solved, not yet committed); None when no cell above its floor
        discharges (collective)."""
        d = self.owned
        local = floor_approach_time(self.soc.x.array[d], self.soc_n.x.array[d],
                                    self.floor.x.array[d], dt, allowance)
        t = comm.allreduce(local, op=MPI.MIN)
        return t if math.isfinite(t) else None

    def commit(self) -> None:
        """Accept the step's SOC (and the largest SOC each cell reached)."""
        d = self.dofs
        self.soc_n.x.array[:] = self.soc.x.array
        self.soc_max.x.array[d] = np.maximum(self.soc_max.x.array[d], self.soc.x.array[d])
        self.soc_max.x.scatter_forward()
        self.update_floor()

    def restore(self) -> None:
        """Forget a rejected step's SOC."""
        self.soc.x.array[:] = self.soc_n.x.array

    def update_floor(self) -> None:
        """The irreversible limit (1 - eta) soc_max of each cathode cell."""
        d = self.dofs
        self.floor.x.array[d] = (1.0 - self.efficiency) * self.soc_max.x.array[d]
        self.floor.x.scatter_forward()

    # ------------------------------------------------------------------ state read-out
    def soc_of(self, sub_cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The SOC of submesh cells ``sub_cells`` (-1: not on the submesh) before and after
        the step being solved (cells off the submesh get no change). Local."""
        d = self.soc.function_space.dofmap.list[np.maximum(sub_cells, 0), 0]
        before = self.soc_n.x.array[d]
        after = np.where(sub_cells >= 0, self.soc.x.array[d], before)
        return before, after

    def mean_soc(self, cell_tags: dolfinx.mesh.MeshTags, axisymmetric: bool) -> float:
        """Volume-mean state of charge (2 pi r weighted in axisymmetry; collective)."""
        if not hasattr(self, "_soc_forms"):
            import ufl

            sub = self.soc.function_space.mesh
            w = 2 * math.pi * ufl.SpatialCoordinate(sub)[0] if axisymmetric else 1.0
            dx = ufl.Measure("dx", domain=sub, subdomain_data=cell_tags)
            self._soc_forms = (dolfinx.fem.form(self.soc * w * dx(self.tag)),
                               dolfinx.fem.form(w * dx(self.tag)))
        comm = self.soc.function_space.mesh.comm
        num, den = (dolfinx.fem.assemble_scalar(f) for f in self._soc_forms)
        return comm.allreduce(num, op=MPI.SUM) / comm.allreduce(den, op=MPI.SUM)

    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        return {"cathode_soc": self.soc, "cathode_soc_n": self.soc_n,
                "cathode_soc_max": self.soc_max}
