"""One run-folder lifecycle for every driver: open the folder (new, or the one a restart
continues), set up, install the stop signals, run, write the scalar outputs, move the folder
into place; on failure or interruption keep what was written in ``OUTDIR.failed`` /
``OUTDIR.interrupted`` with the reason.

A driver (:class:`Driver`) does the physics and its outputs; this module does the rest the
same way for all of them.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any, Protocol

from fem._dolfinx import MPI, release_form_caches
from fem.case.model import Case
from fem.errors import Interrupted, SolverError
from fem.log import get_logger
from fem.output.directory import RunDirectory


class StopSignals:
    """SIGTERM (a batch system at its wall-time limit) and SIGINT (Ctrl-C) set a flag that a
    driver checks after each accepted step (:meth:`received`, collective)."""

    def __init__(self, comm: MPI.Comm):
        self.comm = comm
        self.flag = 0
        self._previous: dict = {}

    def install(self) -> None:
        """Install the handlers (in the main thread only; after the mesh: gmsh.initialize()
        installs handlers of its own)."""
        self.flag = 0
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):  # noqa: ARG001
            self.flag = int(signum)

        self._previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}

    def uninstall(self) -> None:
        for sig, h in self._previous.items():
            signal.signal(sig, h)
        self._previous = {}

    def received(self) -> str | None:
        """The name of the signal any rank received, or None (collective)."""
        signum = self.comm.allreduce(self.flag, op=MPI.MAX)
        return signal.Signals(signum).name if signum else None


class Driver(Protocol):
    """What a run driver provides to :func:`execute`."""

    case: Case
    comm: MPI.Comm

    def setup(self, rundir: RunDirectory) -> None: ...

    def run_protocol(self, signals: StopSignals) -> None: ...

    def close_outputs(self) -> None: ...

    def summary(self, wall: float, versions: dict[str, str]) -> dict[str, Any]: ...

    def steps(self) -> int: ...

    def wall_time(self) -> float: ...

    def close(self) -> None: ...


def execute(driver: Driver, rundir: RunDirectory) -> Path:
    """Run ``driver`` in ``rundir`` (collective) and return the finished folder. The summary
    of an interrupted run is written too; any exception leaves the folder as .failed or
    .interrupted and is raised again (solver failures and interruptions name the folder)."""
    from fem.output.summary import versions, write_resolved_case, write_summary

    log = get_logger()
    comm = driver.comm
    signals = StopSignals(comm)
    wall = driver.wall_time
    try:
        driver.setup(rundir)
        signals.install()
        driver.run_protocol(signals)
        driver.close_outputs()
        if comm.rank == 0:
            c = driver.case
            write_resolved_case(rundir / "case.resolved.toml", c.resolved_dict())
            write_summary(rundir / "summary.json", driver.summary(wall(), versions()))
            if c.output.plots:
                from fem.output.history import read_history
                from fem.output.plots import plot_history

                plot_history(read_history(rundir / "history.csv"), rundir / "history.png",
                             title=c.name)
        final = rundir.finish()
        log.info(f"done in {wall():.1f} s: {driver.steps()} steps -> {final}")
        return final
    except BaseException as exc:
        driver.close_outputs()
        interrupted = isinstance(exc, Interrupted)
        event = getattr(exc, "event", None)
        if (interrupted or event is not None) and comm.rank == 0:
            summary = driver.summary(wall(), versions())
            summary["status"] = "interrupted" if interrupted else "stopped_by_event"
            summary["message"] = str(exc)
            if event is not None:
                summary["event"] = event.as_dict()
            write_summary(rundir / "summary.json", summary)
        failed = rundir.fail(f"{type(exc).__name__}: {exc}",
                             "interrupted" if interrupted else "failed")
        if isinstance(exc, SolverError | Interrupted):  # (an interruption's message: one line)
            sep = "; " if interrupted else "\n  "
            exc.args = (f"{exc.args[0]}{sep}partial results kept in {failed}",)
        raise
    finally:
        signals.uninstall()
        driver.close()
        release_form_caches()
