"""The protocol loop of an interface-patch case (:mod:`fem.contact.patch_model`): the stack
pressure and temperature of the protocol applied to the patch, the interface measured after
every accepted step.

* **Loading**: at t = 0 the Li is seated elastically at SEAT (1e-3) of the first pressure; a
  pressure rise is then applied with creep active, at most x RAMP (10) per step (a 25 MPa press
  takes 3 steps of dt_min = 1 ms; measured on the bundled 3D patch at 1 um: 85 Newton
  iterations for the 50 ms press against 227 when doubling per step and 351 at x1.5, the same
  final state; 2D: 351 against 459). Starting creep from the elastic state at the full pressure
  (GPa peaks on the asperity tips) makes Newton fail; the ramp is also the physical picture
  (Li flows plastically while the load rises). The applied pressure is what
  ``stack_pressure_MPa`` reports.
* **Time steps** (:class:`fem.run.controller.TimeStepController`, geometric rule): each
  pressure change restarts the step size at ``solver.dt_min``; it then grows by ``GROWTH`` per
  accepted step (log-spaced: four steps per decade) up to ``solver.dt_max``, lands on the ends of
  protocol steps and on the case's ``output.milestones`` (the summary reports the interface at
  each); a failed solve is retried with half the step (and half the pressure change), up to
  ``MAX_CUTS`` times.

Outputs (:func:`fem.run.lifecycle.execute`): ``history.csv`` (one row per accepted step,
columns :data:`PATCH_COLUMNS`), ``summary.json``, ``case.resolved.toml``, ``fields.xdmf``
(displacement, contact pressure, gap, equivalent creep strain, von Mises stress) and
``history.png`` when ``output.plots``. SIGTERM / SIGINT stop the run after the current step
with the outputs so far (patch runs have no checkpoints).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import ufl

from fem._dolfinx import MPI, dolfinx
from fem.case.model import Case
from fem.constants import MA_CM2, MPA, UM
from fem.contact.patch_model import PatchModel
from fem.errors import Interrupted, SolverError
from fem.log import Progress, get_logger
from fem.mechanics.kinematics import deviator
from fem.output.directory import RunDirectory
from fem.output.fields import FieldWriter
from fem.output.history import History
from fem.protocol.steps import LockGap, Press, ProtocolEntry, Release, SetTemperature
from fem.run.controller import TimeStepController, time_label
from fem.run.lifecycle import StopSignals, execute
from fem.run.patch_setup import check_patch_case, initial_pressure, patch_model_settings

#: Step-size growth factor per accepted step (four steps per decade).
GROWTH = 10.0**0.25
#: A step that would leave less than this fraction of itself to the end of the protocol step
#: takes the rest too.
MERGE = 0.25
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
    "contact_fraction", "conducting_fraction", "contact_spots", "mean_spot_size_um",
    "mean_gap_um", "void_area_um2_per_um", "pore_fill_depth_um", "interface_asr_ohm_cm2",
    "max_local_current_density_mA_cm2", "current_peak_to_mean", "max_penetration_um",
    "force_balance_error", "max_creep_strain", "uzawa_updates",
    "approach_um", "probe_current_density_mA_cm2",
]


class PatchRun:
    """The protocol loop of a patch case (every rank runs it; rank 0 writes scalars)."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD, progress: bool = False,
                 probe_current: float = PROBE_CURRENT):
        check_patch_case(case)
        self.case, self.comm = case, comm
        self.log = get_logger()
        self.progress_enabled = progress
        self.probe_current = probe_current
        self.t = 0.0
        self.T = case.temperature
        self.pressure = 0.0
        self.accepted = self.failed = self.newton_total = 0
        self.timing = {"mechanics": 0.0, "ionic": 0.0, "output": 0.0}
        self.milestones = tuple(case.output.milestones)
        self.report: dict[float, dict] = {}
        self.history = self.fields = self.progress = self.model = None
        self._wall0 = time.perf_counter()

    # -- lifecycle
    def run(self, outdir: str | Path, overwrite: bool = False) -> Path:
        """Run the protocol into ``outdir`` (atomically; collective); the finished folder."""
        self._wall0 = time.perf_counter()
        return execute(self, RunDirectory(outdir, self.comm, overwrite, protected=[self.case.source]))

    def wall_time(self) -> float:
        return time.perf_counter() - self._wall0

    def steps(self) -> int:
        return self.accepted

    def setup(self, rundir: RunDirectory) -> None:
        t0 = time.perf_counter()
        self.model = PatchModel(patch_model_settings(self.case), self.comm)
        self.history = History(rundir / "history.csv", self.comm, PATCH_COLUMNS)
        if self.case.output.fields:
            self._open_fields(rundir)
        s = self.case.solver
        self.ctrl = TimeStepController(s.dt_min, s.dt_min, s.dt_max, target_iterations=None,
                                       growth=GROWTH, merge_fraction=MERGE,
                                       milestones=self.milestones)
        total = sum(e.step.duration or 0.0 for e in self.case.protocol)
        self.progress = Progress(total, self.progress_enabled, self.comm)
        self.log.info(f"patch {self.case.name}: {self.model.mesh_info['li_cells']} Li cells, "
                      f"{self.model.ndofs} displacement unknowns, {self.comm.size} rank(s), "
                      f"set-up {time.perf_counter() - t0:.1f} s")

    def close_outputs(self) -> None:
        for out in (self.progress, self.history, self.fields):
            if out is not None:
                out.close()

    def close(self) -> None:
        """Nothing to free beyond the form caches (the lifecycle releases them)."""

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
            "time_s": self.t, "step": entry.index, "cycle": entry.cycle, "dt_s": dt,
            "stack_pressure_MPa": self.pressure * MPA,
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
        for tr in self.milestones:
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

    def _advance(self, entry: ProtocolEntry, duration: float, load, restart_dt: bool,
                 signals: StopSignals) -> None:
        """Integrate a protocol step of ``duration`` s; ``load(tau)`` is the stack pressure at
        time tau into it."""
        ctrl = self.ctrl
        if restart_dt:
            ctrl.reset(ctrl.dt_min)
        tau = 0.0
        while tau < duration * (1 - 1e-12):
            planned = ctrl.next_dt(duration - tau, self.t)
            step, dt, p = self._step(entry, planned, load(tau + planned))
            self.pressure = p
            tau += dt
            self.t += dt
            self.accepted += 1
            self._record(entry, dt, step)
            self.progress.update(dt, entry.step.text)
            if dt < planned:  # cut back: grow again from the step that worked
                ctrl.reset(dt * GROWTH)
            elif p < load(tau) * (1 - 1e-12):  # still ramping up: keep the step small
                ctrl.reset(ctrl.dt_min)
            else:
                ctrl.after_success(0, dt)
            name = signals.received()
            if name:
                raise Interrupted(f"stopped by {name} after the step ending at t = "
                                  f"{self.t:.6g} s (protocol step {entry.index}: "
                                  f"{entry.step.text!r}); the outputs up to there are kept "
                                  "(patch runs have no checkpoints)")

    def run_protocol(self, signals: StopSignals) -> None:
        c = self.case
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
                if st.ramp > 0:
                    self.log.info("  the patch takes the new temperature at once (a heating "
                                  "ramp is followed at the cell scale only)")
                continue
            if isinstance(st, LockGap):
                self.log.info("  'Lock gap': the patch keeps the last stack pressure "
                              "(force control; the holder acts at the cell scale)")
                continue
            if isinstance(st, Press):
                jump = st.pressure != self.pressure
                self._advance(entry, st.duration, lambda tau, p=st.pressure: p, jump, signals)
            elif isinstance(st, Release):
                p0 = self.pressure

                def ramp(tau: float, p0=p0, st=st) -> float:
                    return p0 + (st.pressure - p0) * min(tau / st.duration, 1.0)

                self._advance(entry, st.duration, ramp, st.pressure != p0, signals)
            else:  # Rest: constant pressure of the last step
                p = self.pressure
                self._advance(entry, st.duration, lambda tau, p=p: p, False, signals)
        self.progress.close(finished=True)

    # -- summary
    def summary(self, wall: float, vers: dict) -> dict:
        c, h, m = self.case, self.history, self.model
        f = h.column("contact_fraction")
        asr = h.column("interface_asr_ohm_cm2")
        p = c.patch
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
            "roughness": _roughness(p.roughness),
            "surface_peak_to_valley_um": m.surface.peak_to_valley * UM,
        }
        for tr in self.milestones:
            row, key = self.report.get(tr), time_label(tr)
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
                      "(fem.contact.patch_model)" if m.dim == 2 else
                      "patch: 3D creeping Li (trilinear hexahedra, selective reduced "
                      "integration) on a rigid rough Li6PS5Cl surface (fem.contact.patch_model)"),
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


def _roughness(r) -> dict:
    """The roughness settings of the summary (um)."""
    out = {"type": r.type}
    if r.type == "self_affine":
        out |= {"rms_um": r.rms * UM, "correlation_length_um": r.correlation_length * UM,
                "hurst": r.hurst, "seed": r.seed, "points": r.points}
    elif r.type == "sinusoid":
        out |= {"amplitude_um": r.amplitude * UM, "wavelength_um": r.wavelength * UM}
    elif r.type == "file":
        out |= {"file": r.file, "height_scale": r.height_scale}
    return out


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
