"""The protocol loop: case -> mesh -> problem -> time steps -> outputs.

Every rank runs the same loop (all solves and writes of fields are collective); only rank 0
writes scalar files and prints.
"""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fem._dolfinx import MPI, dolfinx, release_form_caches
from fem.case.model import Case
from fem.cellstack.settings import (
    inelastic_settings,
    interface_layout,
    interface_parameters,
    stack_mechanics_settings,
    volume_change_settings,
)
from fem.checkpoint import CheckpointStore, find_restart_folder
from fem.checkpoint.cellwise import MeshKeys
from fem.checkpoint.run_state import capture, restore
from fem.checkpoint.store import load as load_checkpoint
from fem.constants import MA_CM2, MAH_CM2
from fem.errors import CaseError, Interrupted, RestartError, SolverError
from fem.geometry import load_or_build_mesh
from fem.geometry.files import cached_msh, mesh_dimension
from fem.geometry.mesh import read_msh
from fem.log import Progress, get_logger
from fem.mechanics.creep_setup import attach_creep
from fem.mechanics.holder import Holder
from fem.mechanics.probes import InterfacePressure, LiThickness
from fem.mechanics.stack import NewtonFailure, StackMechanics
from fem.mechanics.volume_change import VolumeChange
from fem.output.directory import RunDirectory
from fem.output.fields import FieldWriter
from fem.output.history import History
from fem.protocol.steps import (
    Galvanostatic,
    LockGap,
    Potentiostatic,
    Press,
    ProtocolEntry,
    Release,
    SetTemperature,
)

#: History columns of the interface model (fem.interface.stations.InterfaceStations.scalars).
INTERFACE_COLUMNS = ["contact_fraction", "min_contact_fraction", "min_void_margin",
                     "focused_current_density_mA_cm2", "extrusion_depth_um"]
#: A galvanostatic step ends within this many volts past its voltage cut-off.
CUTOFF_TOL = 1e-3
#: The time step shrinks when the voltage changed by more than this within a protocol step.
MAX_VOLTAGE_STEP = 0.05
#: Constant-voltage holds: the end current is met within this fraction, and the time step
#: shrinks when the current changed by more than MAX_CURRENT_CHANGE of itself in a step.
HOLD_TOL = 0.02
MAX_CURRENT_CHANGE = 0.25


class CutOff(Exception):  # noqa: N818 - a control-flow signal, not an error
    """The step overshot its voltage cut-off: retry with ``fraction`` of the time step."""

    def __init__(self, fraction: float):
        super().__init__(fraction)
        self.fraction = fraction


@dataclass
class State:
    """Scalar state of the run besides the fields."""

    t: float = 0.0
    temperature: float = 298.15
    current: float = 0.0  # A/m^2, + charge
    charge: float = 0.0  # C/m^2 passed since the start (signed)
    accepted: int = 0
    failed: int = 0
    newton_total: int = 0
    step_walltime: list[float] = field(default_factory=list)


class Simulation:
    """Runs a resolved :class:`Case` and writes its outputs."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD, progress: bool = True,
                 mesh_cache: str | Path = "meshes"):
        self.case = case
        self.mesh_cache = mesh_cache
        self.comm = comm
        self.progress_enabled = progress
        self.log = get_logger()
        self.state = State(temperature=case.temperature)
        self.position = (-1, 0.0, 0.0)  # protocol entry, time into it, pressure at its start
        self.fields_written_at: float | None = None
        self.xdmf_meshes: list[list] | None = None
        self.restarts = 0
        #: wall time (s) spent in the electrochemistry solves, the mechanics solves and output
        self.timing = {"electrochemistry": 0.0, "mechanics": 0.0, "output": 0.0}
        self._cutoff: float | None = None  # voltage cut-off of the running step
        self._hold: Potentiostatic | None = None  # the running constant-voltage hold
        self._hold_limit: float | None = None  # its end current density (A/m^2)
        self._hold_last: float | None = None  # its last accepted current density
        self.echem_v_last = 0.0
        self.dt_entry = 0.0  # time step at the start of the running protocol entry
        self._resume = None
        self._wall_before = 0.0

    @classmethod
    def from_checkpoint(cls, outdir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD,
                        progress: bool = True, case: Case | None = None) -> Simulation:
        """A simulation that continues the run of ``outdir`` (see
        :func:`fem.checkpoint.find_restart_folder`) from its newest good checkpoint, on any
        number of ranks. The case is the checkpoint's; a ``case`` given must be the same."""
        from fem.case.loader import load_case_dict

        found, err = None, None
        if comm.rank == 0:
            try:
                found = find_restart_folder(outdir)
            except RestartError as exc:
                err = str(exc)
        found, err = comm.bcast((found, err), root=0)
        if err:
            raise RestartError(err)
        folder, final = found
        path = CheckpointStore(folder / "checkpoints", comm).latest_valid()
        meta, arrays = load_checkpoint(path)
        # every rank has read it before rank 0 moves the folder (RunDirectory.resume): a slower
        # rank would otherwise find the file gone (seen in CI on a 1 -> 2 rank restart)
        comm.barrier()
        saved = meta["case"]
        if case is not None and case.digest != saved["digest"]:
            raise RestartError(f"the case given ({case.source}) differs from the one the run "
                               f"in {folder} was started with ({saved['source']}); leave it out "
                               "to continue that run")
        sim = cls(load_case_dict(saved["raw"], saved["digest"], saved["source"]), comm, progress)
        sim._resume = (folder, final, path, meta, arrays)
        return sim

    # ------------------------------------------------------------------ set-up
    def setup(self, mesh_file: Path | None = None) -> None:
        c = self.case
        t0 = time.perf_counter()
        if mesh_file is not None:  # a restart: the mesh the checkpoints were written on
            dim = mesh_dimension(c)
            self.cm = read_msh(mesh_file, self.comm, 3 if dim == "3d" else 2, dim)
            self.mesh_file = mesh_file
        else:
            self.cm = load_or_build_mesh(c, self.comm, self.mesh_cache)
            self.mesh_file = cached_msh(c, self.mesh_cache) if self.comm.rank == 0 else None
        self.mesh_keys = MeshKeys(self.cm.mesh)
        self.x0_nodes = self.cm.mesh.geometry.x.copy()
        self.holder = Holder(area=c.cell.area, stiffness=c.holder.stiffness, kind=c.holder.type)
        self.mech = StackMechanics(self.cm, stack_mechanics_settings(c), self.holder)
        self.creep = attach_creep(self.mech, inelastic_settings(c))
        self.echem = None
        if c.electrochemistry:
            from fem.electrochemistry.cell_model import CellElectrochemistry

            self.echem = CellElectrochemistry(self.cm, c, self.state.temperature)
            e = self.echem
            self.volume = VolumeChange(
                self.mech, volume_change_settings(c), current_density=e.plating_current,
                cathode_soc=e.cathode_soc_of if e.cathode is not None else None,
                anode_lithiation=e.anode_x_of if e.si is not None else None, creep=self.creep)
        else:
            self.volume = VolumeChange(self.mech, volume_change_settings(c), creep=self.creep)
        self.mech.setup()
        self._setup_interface()
        self.li_probe = LiThickness(self.mech)
        self.interface_probe = InterfacePressure(self.mech)
        ncells = self.cm.mesh.topology.index_map(self.cm.mesh.topology.dim).size_global
        self.log.info(f"case {c.name}: {ncells} cells, {self.mech.ndofs} displacement unknowns, "
                      f"{self.comm.size} rank(s), set-up {time.perf_counter() - t0:.1f} s")
        self.mesh_info = {"cells": ncells, "displacement_dofs": self.mech.ndofs}

    def _setup_interface(self) -> None:
        """The reduced Li | separator interface model and the short criterion (fem.interface)."""
        from fem.interface.short_circuit import ShortCriterion
        from fem.interface.stations import InterfaceStations

        self.stations = self.short_criterion = None
        self.short = None
        c = self.case
        if c.interface is None or not c.interface.enabled:
            return
        layout = interface_layout(c)
        stations = InterfaceStations(self.mech, layout, interface_parameters(c))
        if not stations.active:
            return
        self.stations = stations
        self.short_criterion = ShortCriterion(stations, layout.separator_thickness)

    def _advance_interface(self, dt: float) -> None:
        if self.stations is not None:
            self.stations.advance(self.volume.current_density, self.state.current, dt,
                                  self.state.temperature)
            self.stations.commit()
            self._push_contact()

    def _push_contact(self) -> None:
        """The committed contact fraction into the electrochemistry's Li kinetics (f i0) for
        the next step (staggered, as the pressure; collective)."""
        if self.stations is None or self.echem is None:
            return
        self.stations.kinetics_carry_contact = True
        for sign, r, f in self.stations.contact_profiles(self.cm.axisymmetric):
            self.echem.set_contact_fraction("li" if sign > 0 else "counter", r, f)

    def _check_short(self, entry: ProtocolEntry) -> None:
        """The terminator: stop after the step on which a short is predicted (collective)."""
        if self.short_criterion is None:
            return
        found = self.short_criterion.check(self.state.accepted, entry, self.state.t,
                                           self.state.current)
        if found is not None and self.case.interface.stop_on_short:
            from fem.interface.short_circuit import ShortPredicted

            raise ShortPredicted(found)
        if found is not None and self.short is None:
            self.short = found  # reported, the run goes on
            self.log.warning(found.message())

    # ------------------------------------------------------------------ one step
    def _solve_step(self, dt: float) -> int:
        s = self.case.solver
        st = self.state
        if self.echem is not None:
            t0 = time.perf_counter()
            try:
                self._solve_electrochemistry(dt)
            finally:
                self.timing["electrochemistry"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.volume.step(st.current, dt, st.charge + st.current * dt)
        if self.creep is not None:
            self.creep.dt, self.creep.T = max(dt, 1e-12), st.temperature
        try:
            res = self.mech.solve(s.newton_rtol, s.newton_atol, s.newton_max_it)
        finally:
            self.timing["mechanics"] += time.perf_counter() - t0
        self.creep_increment = 0.0
        if self.creep is not None:
            dp = self.creep_increment = self.creep.increment_measure()
            if dp > 2 * self.creep.max_increment and dt > self.case.solver.dt_min * (1 + 1e-9):
                raise NewtonFailure(f"creep increment {dp:.3g} exceeds twice "
                                    f"{self.creep.max_increment:g}; cutting the step", [])
        self.pressure = res.pressure
        return res.iterations

    def _solve_electrochemistry(self, dt: float) -> None:
        """The voltage and current distribution of this step (staggered: with the SOC and
        interface pressure of the last step); raises :class:`CutOff` when a voltage cut-off is
        overshot by more than its tolerance, with the fraction of dt that reaches it."""
        st, e = self.state, self.echem
        e.set_temperature(st.temperature)
        v0 = self.echem_v_last
        if self._hold is not None:
            self._solve_hold(dt)
            return
        try:
            v = e.solve(st.current, st.charge, self.interface_probe.value(), dt)
        except RuntimeError as exc:
            raise NewtonFailure(str(exc), []) from None
        limit = self._cutoff
        if limit is None or dt <= 0.0:
            return
        over = (v - limit) * (1 if st.current > 0 else -1)
        if over > CUTOFF_TOL and dt > self.case.solver.dt_min * (1 + 1e-9):
            frac = (limit - v0) / (v - v0) if v != v0 else 0.5
            raise CutOff(min(max(frac, 0.1), 0.9))

    def _solve_hold(self, dt: float) -> None:
        """A step of a constant-voltage hold: the current at the held voltage becomes the
        step's current; raises :class:`CutOff` when it fell below the hold's end current by
        more than HOLD_TOL, with the fraction of dt that reaches it (linear in the current)."""
        st, hold = self.state, self._hold
        guess = self._hold_last if self._hold_last is not None else st.current
        try:
            i = self.echem.solve_voltage(hold.voltage, st.charge, self.interface_probe.value(),
                                         dt, guess)
        except RuntimeError as exc:
            raise NewtonFailure(str(exc), []) from None
        st.current = i
        lim, i0 = self._hold_limit, self._hold_last
        if (lim is not None and i0 is not None and abs(i) < lim * (1 - HOLD_TOL)
                and dt > self.case.solver.dt_min * (1 + 1e-9) and abs(i0) > abs(i)):
            frac = (abs(i0) - lim) / (abs(i0) - abs(i))
            raise CutOff(min(max(frac, 0.1), 0.9))

    def _advance(self, entry: ProtocolEntry, duration: float, loads) -> None:
        """Integrate one protocol step of ``duration`` seconds (from ``self.position``'s time
        into it, 0 unless restarted); ``loads(tau)`` sets the loads at time tau into the step
        before each solve."""
        ctrl = self.ctrl
        k, tau, p0 = self.position
        if tau == 0.0:  # (a restart inside the entry keeps the entry's)
            self.dt_entry = ctrl.dt
        dt_entry = self.dt_entry
        while tau < duration * (1 - 1e-12):
            dt = ctrl.next_dt(duration - tau)
            loads(tau + dt)
            ratio = dt / self.last_dt if self.last_dt > 0 else 0.0
            self.mech.begin_step(min(ratio, 1.0) if self.state.accepted > 1 else 0.0)
            w0 = time.perf_counter()
            try:
                its = self._solve_step(dt)
            except CutOff as cut:  # land on the voltage cut-off
                self.mech.restore()
                self.echem.restore()
                if self.echem is not None:
                    self.echem.set_state_scalars({"voltage": self.echem_v_last})
                ctrl.dt = max(dt * cut.fraction, ctrl.dt_min)
                continue
            except NewtonFailure as exc:
                self.mech.restore()
                if self.echem is not None:
                    self.echem.restore()
                self.state.failed += 1
                if not ctrl.after_failure():
                    self._write_checkpoint("the last good state before the failure")
                    raise SolverError(
                        f"step {entry.index} ({entry.step.text!r}) failed at t = "
                        f"{self.state.t + dt:.6g} s with dt = {dt:.3g} s after all cut-backs: "
                        f"{exc}") from None
                self.log.info(f"  solve failed at t = {self.state.t + dt:.4g} s ({exc.args[0][:60]}); "
                              f"dt -> {ctrl.dt:.3g} s")
                continue
            self.mech.commit()
            self.volume.commit()
            self._advance_interface(dt)
            dv = 0.0
            if self.echem is not None:
                self.echem.commit()
                dv = abs(self.echem.voltage - self.echem_v_last) if tau > 0 else 0.0
                self.echem_v_last = self.echem.voltage
            self.state.step_walltime.append(time.perf_counter() - w0)
            ctrl.after_success(its)
            if self.creep_increment > 0:  # keep the next creep increment near its bound
                ctrl.dt = max(min(ctrl.dt, dt * self.creep.max_increment / self.creep_increment),
                              ctrl.dt_min)
            if dv > MAX_VOLTAGE_STEP:  # resolve the voltage curve (within one protocol step)
                ctrl.dt = max(min(ctrl.dt, dt * MAX_VOLTAGE_STEP / dv), ctrl.dt_min)
            if self._hold is not None:  # resolve the current's decay in a CV hold
                i, i0 = self.state.current, self._hold_last
                change = abs(i - i0) / max(abs(i0), 1e-12) if i0 is not None else 0.0
                if change > MAX_CURRENT_CHANGE:
                    ctrl.dt = max(min(ctrl.dt, dt * MAX_CURRENT_CHANGE / change), ctrl.dt_min)
                self._hold_last = i
            tau += dt
            if self._cutoff_reached():
                tau = duration  # the step ends at its voltage cut-off
                ctrl.dt = max(ctrl.dt, dt_entry)  # the next step need not start tiny
            self.last_dt = dt
            self.state.t += dt
            self.state.charge += self.state.current * dt
            self.state.accepted += 1
            self.state.newton_total += its
            self.position = (k, tau, p0)
            self._record(entry, dt, its)
            self.progress.update(dt, entry.step.text)
            self._check_short(entry)
            self._maybe_checkpoint()
            self._check_signal(entry)

    def _cutoff_reached(self) -> bool:
        if self._hold is not None:  # a CV hold ends at its end current
            lim = self._hold_limit
            return lim is not None and abs(self.state.current) <= lim * (1 + HOLD_TOL)
        if self._cutoff is None or self.echem is None:
            return False
        sign = 1 if self.state.current > 0 else -1
        return (self.echem.voltage - self._cutoff) * sign >= -CUTOFF_TOL

    def _check_signal(self, entry: ProtocolEntry) -> None:
        """Stop cleanly after an accepted step when any rank got SIGTERM / SIGINT."""
        signum = self.comm.allreduce(self._signal, op=MPI.MAX)
        if signum:
            self._write_checkpoint(signal.Signals(signum).name)
            raise Interrupted(
                f"stopped by {signal.Signals(signum).name} after the step ending at "
                f"t = {self.state.t:.6g} s (protocol step {entry.index}: {entry.step.text!r}); "
                "the outputs up to there and a checkpoint are kept: continue with "
                "`assb-fem run --restart OUTDIR`")

    # ------------------------------------------------------------------ checkpoints
    def wall_time(self) -> float:
        """Wall time of the run so far (s), including the runs it continues."""
        return self._wall_before + time.perf_counter() - self._wall0

    def _write_checkpoint(self, reason: str) -> None:
        """Collective: save the state after the last accepted step."""
        meta, arrays = capture(self)
        meta["restarts"] = self.restarts
        self.checkpoints.save_mesh(self.mesh_file)
        path = self.checkpoints.write(self.state.accepted, meta, arrays)
        self._last_checkpoint = time.perf_counter()
        self.log.debug(f"checkpoint ({reason}) at t = {self.state.t:.6g} s -> {path.name}")

    def _maybe_checkpoint(self) -> None:
        """Checkpoint every N steps or after the case's wall-time interval (rank 0's clock)."""
        o = self.case.output
        due = bool(o.checkpoint_every_steps) and self.state.accepted % o.checkpoint_every_steps == 0
        late = time.perf_counter() - self._last_checkpoint >= o.checkpoint_every
        if due or self.comm.bcast(late, root=0):
            self._write_checkpoint("interval")

    def _install_signal_handlers(self) -> dict:
        """SIGTERM / SIGINT set a flag that the time loop checks after each accepted step."""
        self._signal = 0
        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):  # noqa: ARG001
            self._signal = int(signum)

        return {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

    # ------------------------------------------------------------------ records
    def _record(self, entry: ProtocolEntry, dt: float, its: int) -> None:
        st = self.state
        H = self.case.cell.height
        row = {
            "time_s": st.t,
            "step": entry.index,
            "cycle": entry.cycle,
            "dt_s": dt,
            "stack_pressure_MPa": self.pressure / 1e6,
            "stack_strain": self.mech.U / H,
            "platen_displacement_um": self.mech.U * 1e6,
            "temperature_K": st.temperature,
            "current_density_mA_cm2": st.current * MA_CM2,
            "capacity_mAh_cm2": st.charge * MAH_CM2,
            "newton_iterations": its,
            "li_thickness_change_um": self.li_probe.change() * 1e6,
            "li_separator_pressure_MPa": self.interface_probe.value() / 1e6,
            "max_creep_strain": self.creep.max_total() if self.creep is not None else 0.0,
            "step_label": entry.step.text,
        }
        if self.stations is not None:
            row.update(self.stations.scalars())
        if self.echem is not None:
            row.update(self.echem.history_values())
        t0 = time.perf_counter()
        self.history.append(row)
        o = self.case.output
        if self.fields is not None and (st.accepted % o.field_interval == 0):
            if self.echem is not None:
                self.echem.update_output_fields()
            self._update_interface_fields()
            self.fields.write(st.t)
            self.fields_written_at = st.t
        self.timing["output"] += time.perf_counter() - t0

    # ------------------------------------------------------------------ protocol
    def _run_entry(self, k: int, entry: ProtocolEntry) -> None:
        """Run protocol entry ``k`` (from the time into it in ``self.position`` when the run
        restarts inside it)."""
        step, holder = entry.step, self.holder
        self._cutoff = getattr(step, "until_voltage", None)
        if self.position[0] != k:  # a new entry: starts at tau = 0 from the current pressure
            self.position = (k, 0.0, self.pressure)
        previous_current = self.state.current
        self.state.current = 0.0
        self._hold = self._hold_limit = self._hold_last = None
        if isinstance(step, SetTemperature):
            self.state.temperature = step.temperature
            return
        if isinstance(step, LockGap):
            holder.lock(self.pressure, self.mech.U)
            self.log.info(f"  holder locked ({self.case.holder.type}) at "
                          f"{self.pressure / 1e6:.4g} MPa")
            return
        if isinstance(step, Press):
            self._advance(entry, step.duration, lambda tau: holder.set_pressure(step.pressure))
            return
        if isinstance(step, Release):
            p0 = self.position[2]

            def ramp(tau: float) -> None:
                holder.set_pressure(p0 + (step.pressure - p0) * min(tau / step.duration, 1.0))

            self._advance(entry, step.duration, ramp)
            return
        # cycling steps run in the holder: engage it if the protocol did not say "Lock gap"
        if not holder.locked and self.case.holder.type != "constant_pressure":
            holder.lock(self.pressure, self.mech.U)
            self.log.info(f"  holder locked ({self.case.holder.type}) at "
                          f"{self.pressure / 1e6:.4g} MPa")
        duration = step.duration
        if isinstance(step, Galvanostatic):
            self.state.current = step.current(self.case.areal_capacity)
            if duration is None:
                duration = step.max_duration
        if isinstance(step, Potentiostatic):  # the current follows (first guess: the last)
            self._hold, self._hold_limit = step, step.current_limit(self.case.areal_capacity)
            self.state.current = previous_current
            if duration is None:
                duration = step.max_duration
        try:
            self._advance(entry, duration, lambda tau: None)
        finally:
            self._hold = None

    # ------------------------------------------------------------------ main
    def run(self, outdir: str | Path, overwrite: bool = False) -> Path:
        """Run the protocol and write the outputs into ``outdir`` (atomically). A simulation
        made by :meth:`from_checkpoint` continues its run instead (``outdir`` is ignored)."""
        from fem.output.summary import versions, write_resolved_case, write_summary
        from fem.timestepping import TimeStepController

        self._wall0 = self._last_checkpoint = time.perf_counter()
        if self.case.patch is not None:  # the micro-scale contact model (fem/contact)
            if self._resume is not None:
                raise CaseError("--restart", self.case.name, "patch runs have no checkpoints")
            from fem.contact.patch_run import run_patch_case

            return run_patch_case(self.case, outdir, self.comm, overwrite,
                                  progress=self.progress_enabled)
        resume = self._resume
        if resume is None:
            rundir = RunDirectory(outdir, self.comm, overwrite)
        else:
            rundir = RunDirectory.resume(resume[0], resume[1], self.comm)
        previous_handlers: dict = {}
        self._signal = 0
        try:
            self.setup(rundir / "checkpoints" / "mesh.msh" if resume else None)
            # after the mesh: gmsh.initialize() installs signal handlers of its own
            previous_handlers = self._install_signal_handlers()
            c = self.case
            self.checkpoints = CheckpointStore(rundir / "checkpoints", self.comm,
                                               c.output.checkpoint_keep)
            meta = resume[3] if resume else None
            self.history = History(rundir / "history.csv", self.comm,
                                   self._history_columns(), rows=meta["history"] if meta else None)
            self.ctrl = TimeStepController(c.solver.dt_initial, c.solver.dt_min, c.solver.dt_max,
                                           c.solver.target_iterations)
            self.last_dt = 0.0
            if meta:
                self.restarts = meta.get("restarts", 0) + 1
                self.xdmf_meshes = meta["fields"]["meshes"]
                if self.xdmf_meshes is not None:
                    self.xdmf_meshes.append([f"mesh_restart{len(self.xdmf_meshes)}",
                                             meta["state"]["t"]])
            self._open_fields(rundir)
            total = sum(e.step.duration or 0.0 for e in c.protocol)
            self.progress = Progress(total, self.progress_enabled, self.comm)
            if resume:
                self._restore(resume)
            else:
                self._initial_state()
            self._run_protocol()
            self._write_checkpoint("end of the protocol")
            self.progress.close()
            self.history.close()
            if self.fields is not None:
                self.fields.close()
            wall = self.wall_time()
            if self.comm.rank == 0:
                write_resolved_case(rundir / "case.resolved.toml", c.resolved_dict())
                write_summary(rundir / "summary.json", self._summary(wall, versions()))
                if c.output.plots:
                    from fem.output.history import read_history
                    from fem.output.plots import plot_history

                    plot_history(read_history(rundir / "history.csv"), rundir / "history.png",
                                 title=c.name)
            final = rundir.finish()
            self.log.info(f"done in {wall:.1f} s: {self.state.accepted} steps -> {final}")
            return final
        except BaseException as exc:
            if hasattr(self, "progress"):
                self.progress.close()
            if hasattr(self, "history"):
                self.history.close()
            if getattr(self, "fields", None) is not None:
                self.fields.close()
            interrupted = isinstance(exc, Interrupted)
            if interrupted and self.comm.rank == 0:
                from fem.output.summary import versions, write_summary

                summary = self._summary(self.wall_time(), versions())
                summary["status"] = "interrupted"
                summary["message"] = str(exc)
                write_summary(rundir / "summary.json", summary)
            failed = rundir.fail(f"{type(exc).__name__}: {exc}",
                                 "interrupted" if interrupted else "failed")
            if isinstance(exc, SolverError | Interrupted):
                exc.args = (f"{exc.args[0]}\n  partial results kept in {failed}",)
            raise
        finally:
            for sig, h in previous_handlers.items():
                signal.signal(sig, h)
            self.close()

    def close(self) -> None:
        """Free the solvers' PETSc objects and UFL's form caches (collective; the run's outputs
        are complete before). A process that runs many simulations (tests, notebooks, in-process
        sweeps) otherwise runs out of MPI communicators."""
        if getattr(self, "mech", None) is not None:
            self.mech.close()
        release_form_caches()

    def _run_protocol(self) -> None:
        """Every protocol entry from the current position on, or up to a predicted short."""
        from fem.interface.short_circuit import ShortPredicted

        c = self.case
        try:
            for k, entry in enumerate(c.protocol):
                if k < self.position[0]:
                    continue
                self.log.debug(f"step {entry.index}: {entry.step.text}")
                self._run_entry(k, entry)
        except ShortPredicted as sp:
            self.short = sp.prediction
            self.log.warning(f"{sp.prediction.message()}; the run stops here")
        self.position = (len(c.protocol), 0.0, self.pressure)  # the run is over either way

    def _history_columns(self) -> list[str]:
        cols = ["li_thickness_change_um", "li_separator_pressure_MPa", "max_creep_strain"]
        if self.stations is not None:
            cols += INTERFACE_COLUMNS
        if self.echem is not None:
            cols += self.echem.history_columns()
        return cols

    def _open_fields(self, rundir: RunDirectory) -> None:
        """fields.xdmf: a new file, or the continued run's (written on the undeformed mesh,
        before a restart moves it to the checkpoint's geometry)."""
        self.fields = None
        if not self.case.output.fields:
            return
        path = rundir / "fields.xdmf"
        try:
            self.fields = FieldWriter(path, self.cm.mesh, self.cm.cell_tags,
                                      meshes=self.xdmf_meshes)
        except RuntimeError as exc:  # HDF5 cannot reopen a file its writer was killed on
            if self.xdmf_meshes is None:
                raise
            self._set_aside_damaged_fields(path, exc)
            self.xdmf_meshes = None
            self.fields = FieldWriter(path, self.cm.mesh, self.cm.cell_tags)
        self.xdmf_meshes = self.fields.meshes
        self.fields.add_vector("displacement", self.mech.u)
        pts = self.mech.QT.element.interpolation_points
        for name, expr in self.mech.output_expressions().items():
            self.fields.add_cell_scalar(name, expr, pts)
        if self.echem is not None:
            for name, f in self.echem.output_fields(self.cm.mesh).items():
                self.fields.add_cell_scalar(name, f, pts)
        self.interface_fields = {}
        if self.stations is not None:  # SI: 1, 1, A/m^2, m; zero off the interfaces
            Q0 = dolfinx.fem.functionspace(self.cm.mesh, ("DG", 0))
            for name in ("contact_fraction", "void_margin", "focused_current_density",
                         "extrusion_depth"):
                f = self.interface_fields[name] = dolfinx.fem.Function(Q0, name=name)
                self.fields.add_cell_scalar(name, f, pts)

    def _update_interface_fields(self) -> None:
        for name, f in getattr(self, "interface_fields", {}).items():
            n = self.cm.mesh.topology.index_map(self.cm.mesh.topology.dim).size_local
            f.x.array[f.function_space.dofmap.list[:n, 0]] = self.stations.cell_values(name, n)
            f.x.scatter_forward()

    def _set_aside_damaged_fields(self, path: Path, exc: Exception) -> None:
        """A run killed outright (SIGKILL, node failure) can leave fields.h5 unreadable: keep
        it as fields.damaged-<n>.* and start the field output afresh at the restart time
        (history and state come from the checkpoint and are intact)."""
        self.comm.barrier()
        if self.comm.rank == 0:
            for suffix in (".xdmf", ".h5"):
                src = path.with_suffix(suffix)
                if src.exists():
                    src.replace(path.with_name(f"{path.stem}.damaged-{self.restarts}{suffix}"))
        self.comm.barrier()
        self.log.warning(f"{path.name} of the interrupted run cannot be reopened ({exc}); kept "
                         f"as {path.stem}.damaged-{self.restarts}.*, the fields from the "
                         "restart on go into a new fields.xdmf")

    def _initial_state(self) -> None:
        """Solve the holder's initial pressure on the platen and record it."""
        c = self.case
        self.holder.set_pressure(c.holder.pressure)
        self.pressure = 0.0
        try:
            self._solve_step(0.0)
        except NewtonFailure as exc:
            raise SolverError(f"the initial load ({c.holder.pressure / 1e6:.4g} MPa, t = 0 s) "
                              f"failed: {exc}") from None
        self.mech.commit()
        self.volume.commit()
        if self.stations is not None:
            self.stations.initialise()
            self._advance_interface(0.0)
        if self.echem is not None:
            self.echem.commit()
            self.echem_v_last = self.echem.voltage
        self._record(ProtocolEntry(-1, 0, Press(text="initial load",
                                                pressure=c.holder.pressure)), 0.0, 1)

    def _restore(self, resume) -> None:
        """Put the checkpoint's state back (after the fields file got the undeformed mesh)."""
        _, _, path, meta, arrays = resume
        restore(self, meta, arrays)
        self._resume = None
        self._wall_before = meta["wall_time_s"]
        self.fields_written_at = meta["fields"]["written_at"]
        self.progress.update(self.state.t, "restart")
        self.log.info(f"restart {self.restarts} from {path.name} (written on {meta['ranks']} "
                      f"rank(s)) at t = {self.state.t:.6g} s, step {self.state.accepted}, "
                      f"on {self.comm.size} rank(s)")

    def _summary(self, wall: float, vers: dict) -> dict:
        c, h = self.case, self.history
        p = h.column("stack_pressure_MPa")
        cycles = sorted({cy for cy in h.column("cycle") if cy > 0})
        swing = {}
        cyc = h.column("cycle")
        for cy in cycles:
            rows = [k for k, ci in enumerate(cyc) if ci == cy]
            # the cycle starts from the state of the row before its first one
            pc = [p[k] for k in ([rows[0] - 1] if rows[0] > 0 else []) + rows]
            swing[str(cy)] = max(pc) - min(pc)
        out = {
            "status": "completed",
            "case": c.name,
            "description": c.description,
            "case_source": c.source,
            "case_sha256": c.digest,
            "ranks": self.comm.size,
            "restarts": self.restarts,
            "wall_time_s": wall,
            "wall_time_split_s": dict(self.timing),
            "versions": vers,
            "mesh": self.mesh_info,
            "steps_accepted": self.state.accepted,
            "steps_failed": self.state.failed,
            "newton_iterations": self.state.newton_total,
            "simulated_time_s": self.state.t,
            "results": {
                "final_stack_pressure_MPa": p[-1],
                "max_stack_pressure_MPa": max(p),
                "min_stack_pressure_MPa": min(p),
                "pressure_swing_per_cycle_MPa": swing,
                "final_capacity_mAh_cm2": h.column("capacity_mAh_cm2")[-1],
                "final_li_thickness_change_um": h.column("li_thickness_change_um")[-1],
                "areal_capacity_mAh_cm2": (c.areal_capacity or 0.0) * MAH_CM2,
            },
        }
        if self.echem is not None:
            out["results"]["lithium_inventory"] = self._inventory(cycles)
        if self.stations is not None:
            out["results"].update(self._short_summary())
            if self.short is not None and c.interface.stop_on_short:
                out["status"] = "short_predicted"
        return out

    def _short_summary(self) -> dict:
        """The predicted short (or None) and, for a protocol with a CCD ramp, the critical
        current density: the level on which the short came, else a lower bound."""
        h = self.history
        out = {"short": self.short.as_dict() if self.short is not None else None,
               "min_contact_fraction": min(h.column("min_contact_fraction")),
               "min_void_margin": min(h.column("min_void_margin")),
               "max_focused_current_density_mA_cm2":
                   max(h.column("focused_current_density_mA_cm2")),
               "max_extrusion_depth_um": max(h.column("extrusion_depth_um"))}
        ramp = [e.step for e in self.case.protocol if getattr(e.step, "ccd_level", None)]
        if ramp:
            ccd = lower = None
            if self.short is not None:
                ccd = getattr(self.case.protocol[self.short.protocol_step].step, "ccd_level", None)
            if ccd is None:
                done = set(h.column("step_label"))
                reached = [st.ccd_level for st in ramp if st.text in done]
                lower = max(reached) * MA_CM2 if reached else None
            out["ccd_mA_cm2"] = ccd * MA_CM2 if ccd is not None else None
            out["ccd_lower_bound_mA_cm2"] = lower
        return out

    def _inventory(self, cycles: list[int]) -> dict[str, dict[str, float]]:
        """Charge and discharge capacity per cycle (mAh/cm^2), Coulombic efficiency, and where
        the lithium not returned went. In a Li metal cell the Li reservoir is in excess: what
        the discharge does not return stays in the Li (plated) because the cathode cannot take
        it back (its first-cycle irreversibility, card first_cycle_efficiency)."""
        h = self.history
        q, cyc = h.column("capacity_mAh_cm2"), h.column("cycle")
        out = {}
        for cy in cycles:
            rows = [k for k, ci in enumerate(cyc) if ci == cy]
            steps = np.diff([q[k] for k in ([rows[0] - 1] if rows[0] > 0 else []) + rows])
            q_ch, q_dis = float(steps[steps > 0].sum()), float(-steps[steps < 0].sum())
            entry = {"charge_mAh_cm2": q_ch, "discharge_mAh_cm2": q_dis,
                     "coulombic_efficiency": q_dis / q_ch if q_ch > 0 else float("nan"),
                     "lost_mAh_cm2": q_ch - q_dis}
            leak = h.column("self_discharge_mAh_cm2") if self.echem.leak_conductance > 0 \
                else [0.0] * len(q)
            if self.echem.leak_conductance > 0:  # the ionic charge the terminals did not see
                before = leak[rows[0] - 1] if rows[0] > 0 else 0.0
                entry["self_discharge_mAh_cm2"] = leak[rows[-1]] - before
            if self.echem.anode is None:
                entry["lost_to"] = "cathode irreversibility (the Li stays plated on the Li metal)"
            else:
                entry.update(self.echem.anode_inventory((q[rows[-1]] - leak[rows[-1]])
                                                        / MAH_CM2))
                entry["lost_to"] = "Li left in the Li_xSi anode (see the split)"
            out[str(cy)] = entry
        return out
