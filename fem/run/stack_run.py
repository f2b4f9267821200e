"""The protocol loop of a cell stack: case -> mesh -> :class:`fem.cellstack.CellStack` -> time
steps -> outputs.

Every rank runs the same loop (all solves and writes of fields are collective); only rank 0
writes scalar files and prints. Each protocol step is integrated with the adaptive time step of
:class:`fem.run.controller.TimeStepController`; voltage cut-offs and constant-voltage holds
end steps early (:mod:`fem.run.step_rules`); SIGTERM / SIGINT stop the run after the current
step with a checkpoint (:mod:`fem.run.checkpoint`), from which ``--restart`` continues on any
number of ranks.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from fem._dolfinx import MPI
from fem.case.model import Case
from fem.cellstack import CellStack, Drive, StackOutputs, StepTooLong
from fem.checkpoint.cellwise import MeshKeys
from fem.constants import MA_CM2, MAH_CM2
from fem.errors import Interrupted, SolverError
from fem.geometry import load_or_build_mesh
from fem.geometry.files import cached_msh, mesh_dimension, refined
from fem.geometry.mesh import read_msh
from fem.interface.short_circuit import ShortPredicted, ShortPrediction
from fem.log import Progress, get_logger
from fem.mechanics.stack import NewtonFailure
from fem.output.directory import RunDirectory
from fem.output.fields import open_field_file
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
from fem.run import checkpoint, events
from fem.run.controller import TimeStepController
from fem.run.lifecycle import StopSignals, execute
from fem.run.schedule import expected_durations
from fem.run.state import RunState
from fem.run.step_rules import (
    FLOOR_ALLOWANCE,
    CurrentHold,
    CutOff,
    VoltageCutOff,
    current_step_cap,
    predictor,
    voltage_step_cap,
)
from fem.run.summary import stack_summary


class StackRun:
    """Runs a resolved cell-stack :class:`Case` and writes its outputs (collective)."""

    def __init__(self, case: Case, comm: MPI.Comm = MPI.COMM_WORLD, progress: bool = True,
                 mesh_cache: str | Path = "meshes"):
        self.case, self.comm = case, comm
        self.mesh_cache = mesh_cache
        self.progress_enabled = progress
        self.log = get_logger()
        self.state = RunState(temperature=case.temperature)
        self.short: ShortPrediction | None = None
        self.rule: VoltageCutOff | CurrentHold | None = None  # the running step's end rule
        self.output_time = 0.0
        self.expected = expected_durations(case.protocol, case.areal_capacity)
        self.retries: Counter[str] = Counter()  # failed solves of the running protocol step
        upper_li = [la for la in case.cell.layers if la.role == "li"]
        self.li_thickness = max(upper_li, key=lambda la: la.z0).thickness if upper_li else None
        self.stack = self.history = self.fields = self.progress = None
        self._resume = None
        self.signals: StopSignals | None = None
        self._wall0 = time.perf_counter()

    @classmethod
    def from_checkpoint(cls, outdir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD,
                        progress: bool = True, case: Case | None = None) -> StackRun:
        """A run that continues the one in ``outdir`` from its newest good checkpoint, on any
        number of ranks (:func:`fem.run.checkpoint.find_resume`). The case is the checkpoint's;
        a ``case`` given must be the same."""
        resume = checkpoint.find_resume(outdir, comm, case)
        run = cls(resume.case, comm, progress)
        run._resume = resume
        return run

    # ------------------------------------------------------------------ lifecycle
    def run(self, outdir: str | Path, overwrite: bool = False) -> Path:
        """Run the protocol and write the outputs into ``outdir`` (atomically). A run made by
        :meth:`from_checkpoint` continues its run instead (``outdir`` is ignored)."""
        self._wall0 = time.perf_counter()
        if self._resume is None:
            rundir = RunDirectory(outdir, self.comm, overwrite, protected=[self.case.source])
        else:
            rundir = RunDirectory.resume(self._resume.folder, self._resume.final, self.comm)
        return execute(self, rundir)

    def wall_time(self) -> float:
        """Wall time of the run so far (s), including the runs it continues."""
        return self.state.wall_before + time.perf_counter() - self._wall0

    def steps(self) -> int:
        return self.state.accepted

    def setup(self, rundir: RunDirectory) -> None:
        """Mesh, stack, outputs and the state to start from (a checkpoint's or the initial
        load's)."""
        c, resume = self.case, self._resume
        t0 = time.perf_counter()
        if resume is not None:  # the mesh the checkpoints were written on
            self.mesh_file = rundir / "checkpoints" / "mesh.msh"
            dim = mesh_dimension(c)
            cm = refined(read_msh(self.mesh_file, self.comm, 3 if dim == "3d" else 2, dim), c)
        else:
            cm = load_or_build_mesh(c, self.comm, self.mesh_cache)
            self.mesh_file = cached_msh(c, self.mesh_cache) if self.comm.rank == 0 else None
        self.mesh_keys = MeshKeys(cm.mesh)
        self.x0_nodes = cm.mesh.geometry.x.copy()
        self.stack = CellStack(cm, c, self.state.temperature)
        self.outputs = StackOutputs(self.stack)
        self.mesh_info = self.stack.mesh_info()
        self.log.info(f"case {c.name}: {self.mesh_info['cells']} cells, {self.stack.ndofs} "
                      f"displacement unknowns, {self.comm.size} rank(s), set-up "
                      f"{time.perf_counter() - t0:.1f} s")
        self.checkpoints = checkpoint.Checkpointer(rundir / "checkpoints", self.comm, c.output,
                                                   self.mesh_keys, self.x0_nodes, self.mesh_file)
        meta = resume.meta if resume else None
        self.history = History(rundir / "history.csv", self.comm, self.outputs.columns(),
                               rows=meta["history"] if meta else None)
        self.ctrl = TimeStepController(c.solver.dt_initial, c.solver.dt_min, c.solver.dt_max,
                                       c.solver.target_iterations,
                                       milestones=tuple(c.output.milestones))
        if meta:
            self._restore_run_state(meta)
        self._open_fields(rundir)
        self.progress = Progress(sum(self.expected), self.progress_enabled, self.comm)
        if resume:
            self._restore(resume)
        else:
            self._initial_state()

    def _restore_run_state(self, meta: dict) -> None:
        st = self.state = RunState.from_dict(meta["run"])
        st.restarts += 1
        if st.xdmf_meshes is not None:
            st.xdmf_meshes.append([f"mesh_restart{len(st.xdmf_meshes)}", st.t])
        self.ctrl.dt = st.dt
        if meta.get("short"):  # a short predicted (and reported) before the restart
            self.short = ShortPrediction(**meta["short"])

    def _open_fields(self, rundir: RunDirectory) -> None:
        """fields.xdmf: a new file, or the continued run's (written on the undeformed mesh,
        before a restart moves it to the checkpoint's geometry)."""
        if not self.case.output.fields:
            return
        st = self.state
        self.fields, st.xdmf_meshes = open_field_file(rundir / "fields.xdmf", self.stack.cm,
                                                      st.xdmf_meshes, st.restarts)
        self.outputs.register(self.fields)

    def close_outputs(self) -> None:
        for out in (self.progress, self.history, self.fields):
            if out is not None:
                out.close()

    def close(self) -> None:
        """Free the solvers' PETSc objects (collective; the run's outputs are complete before).
        A process that runs many simulations (tests, notebooks, in-process sweeps) otherwise
        runs out of MPI communicators."""
        if self.stack is not None:
            self.stack.close()

    def summary(self, wall: float, versions: dict) -> dict:
        timing = dict(self.stack.timing, output=self.output_time) if self.stack else {}
        return stack_summary(self.case, self.history, self.state, self.short, self.stack,
                             self.mesh_info, self.comm.size, wall, timing, versions)

    # ------------------------------------------------------------------ start and restart
    def _initial_state(self) -> None:
        """Solve the holder's initial pressure on the platen and record it."""
        c = self.case
        try:
            its = self.stack.initialise(c.holder.pressure, self.state.temperature)
        except NewtonFailure as exc:
            raise SolverError(f"the initial load ({c.holder.pressure / 1e6:.4g} MPa, t = 0 s) "
                              f"failed: {exc}") from None
        self._record(ProtocolEntry(-1, 0, Press(text="initial load", pressure=c.holder.pressure)),
                     0.0, 1 or its)

    def _restore(self, resume: checkpoint.Resume) -> None:
        """Put the checkpoint's state back (after the fields file got the undeformed mesh)."""
        meta, arrays = resume.meta, resume.arrays
        checkpoint.check_mesh(self.mesh_keys, self.stack.cm.mesh.geometry.x, arrays)
        stack_state, self.x0_nodes = checkpoint.stack_state(self.mesh_keys, meta, arrays)
        self.checkpoints.x0 = self.x0_nodes
        self.stack.set_state(stack_state)
        self._resume = None
        self.progress.update(self.state.t, "restart", self._remaining())
        self.log.info(f"restart {self.state.restarts} from {resume.path.name} (written on "
                      f"{meta['ranks']} rank(s)) at t = {self.state.t:.6g} s, step "
                      f"{self.state.accepted}, on {self.comm.size} rank(s)")

    # ------------------------------------------------------------------ the protocol
    def run_protocol(self, signals: StopSignals) -> None:
        """Every protocol entry from the current position on, or up to a predicted short."""
        c = self.case
        self.signals = signals
        try:
            for k, entry in enumerate(c.protocol):
                if k < self.state.entry:
                    continue
                self.log.debug(f"step {entry.index}: {entry.step.text}")
                try:
                    self._run_entry(k, entry)
                finally:
                    self._log_retries(entry)
        except ShortPredicted as sp:
            self.short = sp.prediction
            self.log.warning(f"{sp.prediction.message()}; the run stops here")
        st = self.state
        st.entry, st.tau, st.entry_pressure = len(c.protocol), 0.0, self.stack.pressure
        self._write_checkpoint("end of the protocol")
        self.progress.close(finished=True)

    def _run_entry(self, k: int, entry: ProtocolEntry) -> None:
        """Run protocol entry ``k`` (from the time into it when the run restarts inside it)."""
        step, st, stack = entry.step, self.state, self.stack
        solver = self.case.solver
        resumed = st.entry == k
        if not resumed:  # a new entry: starts at tau = 0 from the current pressure
            st.entry, st.tau, st.entry_pressure = k, 0.0, stack.pressure
        previous_current = st.current
        st.current = 0.0
        self.rule = None
        if not resumed:
            st.hold_current = None
        if isinstance(step, SetTemperature):
            first = solver.dt_initial / 4  # a jump's first step (the heated locked cell: 58 s
            if step.temperature != st.temperature:  # failed), over which it is eased in
                self.ctrl.limit(first)
            st.set_temperature(step.temperature, step.ramp or first)
            return
        if isinstance(step, LockGap):
            stack.lock_holder()
            return
        holder = stack.holder
        if isinstance(step, Press):
            self._advance(entry, step.duration, lambda tau: holder.set_pressure(step.pressure))
            return
        if isinstance(step, Release):
            p0 = st.entry_pressure

            def ramp(tau: float) -> None:
                holder.set_pressure(p0 + (step.pressure - p0) * min(tau / step.duration, 1.0))

            self._advance(entry, step.duration, ramp)
            return
        # cycling steps run in the holder: engage it if the protocol did not say "Lock gap"
        if not holder.locked and self.case.holder.type != "constant_pressure":
            stack.lock_holder()
        duration = step.duration
        cap = self.case.areal_capacity
        if isinstance(step, Galvanostatic):
            st.current = step.current(cap)
            if step.until_voltage is not None:
                self.rule = VoltageCutOff(step.until_voltage, solver.dt_min)
            if st.current != previous_current and not resumed:  # a jump of the loads
                self.ctrl.limit(solver.dt_initial / 4)
        elif isinstance(step, Potentiostatic):  # the current follows (first guess: the last)
            self.rule = CurrentHold(step.voltage, step.current_limit(cap), solver.dt_min)
            st.current = previous_current
        if duration is None:
            duration = step.max_duration
        self._advance(entry, duration, lambda tau: None)

    def _drive(self, dt: float) -> Drive:
        st, rule = self.state, self.rule
        ratio = dt / st.last_dt if st.last_dt > 0 else 0.0
        drive = Drive(current=st.current, charge=st.charge, temperature=st.temperature_at(st.t + dt),
                      predictor=predictor(ratio, st.accepted > 1 and st.tau > 0,
                                          st.current != 0.0 and not isinstance(rule, CurrentHold)))
        if isinstance(rule, VoltageCutOff):
            drive.check = lambda v, v0, i, dt: rule.check(v, v0, i, dt)
        elif isinstance(rule, CurrentHold):
            drive.voltage, drive.current_guess = rule.voltage, st.hold_current
            drive.check = lambda v, v0, i, dt: rule.check(i, st.hold_current, dt)
        return drive

    def _advance(self, entry: ProtocolEntry, duration: float, loads) -> None:
        """Integrate one protocol step of ``duration`` s (from the time into it, 0 unless
        restarted); ``loads(tau)`` sets the loads at time tau into the step before each solve."""
        ctrl, st, stack = self.ctrl, self.state, self.stack
        if st.tau == 0.0:  # (a restart inside the entry keeps the entry's)
            st.dt_entry = ctrl.dt
        while st.tau < duration * (1 - 1e-12):
            dt = ctrl.next_dt(duration - st.tau, st.t)
            loads(st.tau + dt)
            drive = self._drive(dt)
            w0 = time.perf_counter()
            try:
                out = stack.solve(dt, drive)
            except CutOff as cut:  # land on the limit
                st.current = drive.current
                stack.restore(reset_voltage=True)
                ctrl.dt = max(dt * cut.fraction, ctrl.dt_min)
                continue
            except StepTooLong as long:  # an accuracy bound: shorten, not a failed solve
                st.current = drive.current
                stack.restore()
                st.shortened += 1
                ctrl.dt = max(dt * long.fraction, ctrl.dt_min)
                self.log.debug(f"  step shortened at t = {st.t + dt:.4g} s ({long}); "
                               f"dt -> {ctrl.dt:.3g} s")
                continue
            except NewtonFailure as exc:
                st.current = drive.current
                stack.restore()
                st.failed += 1
                if not ctrl.after_failure(dt):
                    self._write_checkpoint("the last good state before the failure")
                    raise SolverError(
                        f"step {entry.index} ({entry.step.text!r}) failed at t = "
                        f"{st.t + dt:.6g} s with dt = {dt:.3g} s after all cut-backs: "
                        f"{exc}") from None
                self.retries[exc.args[0].split(" (")[0][:80]] += 1
                self.log.debug(f"  solve failed at t = {st.t + dt:.4g} s ({exc.args[0][:400]}); "
                               f"dt -> {ctrl.dt:.3g} s")
                continue
            st.current = drive.current
            self._accept(entry, dt, out, w0)
            if self.rule is not None and self._limit_reached():
                st.tau = duration  # the step ends at its limit
                ctrl.dt = max(ctrl.dt, st.dt_entry)  # the next step need not start tiny
            self._after_step(entry, dt, out.iterations)

    def _accept(self, entry: ProtocolEntry, dt: float, out, w0: float) -> None:
        """Commit the solved step and size the next one."""
        st, stack, ctrl = self.state, self.stack, self.ctrl
        dv = abs(out.voltage - stack.voltage_last) if (out.voltage is not None
                                                        and st.tau > 0) else 0.0
        # reach a cathode's irreversible floor in short steps (before the commit: the step's
        # SOC change); collective
        floor_cap = (stack.echem.floor_step_cap(dt, FLOOR_ALLOWANCE)
                     if stack.echem is not None else None)
        stack.commit(dt, st.current, st.temperature_at(st.t + dt))
        st.step_walltime.append(time.perf_counter() - w0)
        ctrl.after_success(out.iterations, dt)
        if out.creep_increment > 0:  # keep the next creep increment near its bound
            ctrl.limit(dt * stack.creep.max_increment / out.creep_increment)
        cap = voltage_step_cap(dt, dv)  # resolve the voltage curve (within one protocol step)
        if cap is not None:
            ctrl.limit(cap)
        if floor_cap is not None:
            ctrl.limit(floor_cap)
        if isinstance(self.rule, CurrentHold):  # resolve the current's decay in a CV hold
            cap = current_step_cap(dt, st.current, st.hold_current)
            if cap is not None:
                ctrl.limit(cap)
            st.hold_current = st.current
        st.tau += dt

    def _limit_reached(self) -> bool:
        rule, st = self.rule, self.state
        if isinstance(rule, CurrentHold):
            return rule.reached(st.current)
        return self.stack.echem is not None and rule.reached(self.stack.voltage, st.current)

    def _after_step(self, entry: ProtocolEntry, dt: float, its: int) -> None:
        st = self.state
        st.last_dt = dt
        st.advance_time(dt)
        st.charge += st.current * dt
        st.accepted += 1
        st.newton_total += its
        self._record(entry, dt, its)
        self.progress.update(dt, entry.step.text, self._remaining())
        self._check_short(entry)
        self._maybe_checkpoint()
        name = self.signals.received()
        if name:
            self._write_checkpoint(name)
            raise Interrupted(
                f"stopped by {name} after the step ending at t = {st.t:.6g} s (protocol step "
                f"{entry.index}: {entry.step.text!r}); the outputs up to there and a checkpoint "
                "are kept: continue with `assb-fem run --restart OUTDIR`")

    def _check_short(self, entry: ProtocolEntry) -> None:
        """The terminator: stop after the step on which a short is predicted (collective)."""
        st = self.state
        found = self.stack.check_short(st.accepted, entry, st.t, st.current)
        if found is not None and self.case.interface.stop_on_short:
            raise ShortPredicted(found)
        if found is not None and self.short is None:
            self.short = found  # reported, the run goes on
            self.log.warning(found.message())

    def _remaining(self) -> float:
        """Expected simulated time left: the running step's expected rest (at least 5 % of
        what it has run) and the expected durations of the steps after it."""
        st = self.state
        k = max(st.entry, 0)
        if k >= len(self.expected):
            return 0.0
        current = max(self.expected[k] - st.tau, 0.05 * st.tau)
        return current + sum(self.expected[k + 1:])

    def _log_retries(self, entry: ProtocolEntry) -> None:
        """One line per protocol step on the solves retried with a shorter step (each one is
        logged with --verbose)."""
        if self.retries:
            n = sum(self.retries.values())
            why = "; ".join(f"{r} ({k}x)" for r, k in self.retries.most_common(3))
            self.log.info(f"  step {entry.index} ({entry.step.text!r}): {n} solve(s) retried "
                          f"with a shorter time step: {why}")
            self.retries.clear()

    # ------------------------------------------------------------------ records
    def _record(self, entry: ProtocolEntry, dt: float, its: int) -> None:
        st = self.state
        row = {"time_s": st.t, "step": entry.index, "cycle": entry.cycle, "dt_s": dt,
               "temperature_K": st.temperature_at(st.t), "current_density_mA_cm2": st.current * MA_CM2,
               "capacity_mAh_cm2": st.charge * MAH_CM2, "newton_iterations": its,
               "step_label": entry.step.text}
        row.update(self.outputs.row())
        t0 = time.perf_counter()
        self.history.append(row)
        found = events.check(row, self.li_thickness, self.case.cell.height)
        if found is not None:
            raise events.PhysicalRangeError(events.Event(*found, st.t, st.accepted))
        if self.fields is not None and st.accepted % self.case.output.field_interval == 0:
            self.outputs.update()
            self.fields.write(st.t)
            st.fields_written_at = st.t
        self.output_time += time.perf_counter() - t0

    # ------------------------------------------------------------------ checkpoints
    def _write_checkpoint(self, reason: str) -> None:
        """Collective: save the state after the last accepted step."""
        st = self.state
        st.dt = self.ctrl.dt
        meta = {"case": {"raw": self.case.raw, "digest": self.case.digest,
                         "source": self.case.source},
                "run": st.as_dict(), "history": self.history.rows,
                "short": self.short.as_dict() if self.short is not None else None,
                "wall_time_s": self.wall_time()}
        meta["run"]["wall_before"] = meta["wall_time_s"]
        path = self.checkpoints.write(st.accepted, meta, self.stack.state())
        self.log.debug(f"checkpoint ({reason}) at t = {st.t:.6g} s -> {path.name}")

    def _maybe_checkpoint(self) -> None:
        """Checkpoint every N steps or after the case's wall-time interval."""
        if self.checkpoints.due(self.state.accepted):
            self._write_checkpoint("interval")
