"""The runs of a fit and its folder.

Every run goes into ``OUTDIR/runs/<key>/``, ``key`` the first 16 hex digits of the SHA-256 of
the run's resolved case (every value in SI after the dataset's overrides and the parameter
values, the material cards included) and the assb-fem version (:func:`run_key`). A finished run
(its folder with summary.json) is reused, and so is a failed one (``<key>.failed``: the solver
gave up at those values, deterministically; delete the folder to retry), so that an interrupted
fit run again continues where it stopped. A batch of runs (:func:`execute`) is spread over the
MPI ranks (each run on ``MPI.COMM_SELF``, round-robin as in ``assb-fem sweep``) or over
``--jobs`` child processes ``assb-fem run``; the meshes are built first, once per geometry, into
``OUTDIR/meshes`` (:func:`fem.study.runners.prepare_meshes`).

The fit folder (:func:`open_fit_folder`) is a run folder of ours (marker kind ``fit``): it is
never the working directory, an input file or a folder that contains one, and an existing one
is continued, or replaced with ``--overwrite`` only when it is a fit folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from fem.errors import Interrupted, OutputError
from fem.study.axes import Point
from fem.study.runners import (
    STATUS_OF_EXIT,
    RunRecord,
    _child_env,
    _folder_of,
    _marker,
    _one_line,
    prepare_meshes,
    run_here,
)

#: Status of a run folder that a fit reuses.
FINISHED = ("completed", "short_predicted")


@dataclass
class RunTask:
    """One run: its key, the case (resolved), where it comes from and the overrides that make
    it (for a child process); ``datasets`` the names of the datasets it serves."""

    key: str
    case: object
    case_path: Path
    overrides: tuple[str, ...]
    datasets: list[str] = field(default_factory=list)


def run_key(case) -> str:
    """The run's folder name: a hash of what is run (the resolved case without its file name
    and file digest, which comments change) and of the assb-fem version."""
    from fem import __version__

    d = {k: v for k, v in case.resolved_dict().items() if k not in ("source", "sha256")}
    text = json.dumps({"case": d, "assb_fem": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------- the folder
def _marker_kind(folder: Path) -> str:
    from fem.output.directory import MARKER

    try:
        return str(json.loads((folder / MARKER).read_text()).get("kind", "run"))
    except (OSError, ValueError, AttributeError):
        return "run"


def _open(outdir: str | Path, protected: list[Path], overwrite: bool) -> tuple[Path, bool]:
    from fem.output.directory import check_output_path, is_run_folder, write_marker

    text = str(outdir)
    if not text.strip():
        raise OutputError("output folder: empty path; name a folder, e.g. -o results/my_fit")
    try:
        final = Path(outdir).expanduser().resolve()
    except (OSError, ValueError, RuntimeError) as exc:
        raise OutputError(f"invalid output folder {text[:200]!r}: {exc}") from None
    ours = is_run_folder(final)
    if ours and _marker_kind(final) != "fit":
        raise OutputError(f"output folder {final} is an assb-fem {_marker_kind(final)} folder, not "
                          "a fit folder; a fit continues or (--overwrite) replaces fit folders "
                          "only: choose another -o")
    check_output_path(final, protected, overwrite=ours or overwrite, what="fit folder")
    resumed = ours and not overwrite
    if ours and overwrite:
        shutil.rmtree(final)
    if not resumed:
        final.mkdir(parents=True)
        write_marker(final, kind="fit")
    (final / "runs").mkdir(exist_ok=True)
    return final, resumed


def open_fit_folder(outdir: str | Path, protected: list[Path], overwrite: bool, comm
                    ) -> tuple[Path, bool]:
    """Collective: the fit folder (resolved) and whether an earlier fit's folder is continued.
    Every rank raises the same OutputError when the folder may not be used."""
    err, out = None, None
    if comm.rank == 0:
        try:
            out = _open(outdir, protected, overwrite)
        except OutputError as exc:
            err = str(exc)
        except OSError as exc:
            err = f"cannot create the fit folder {outdir}: {exc.strerror or exc}"
    err, out = comm.bcast((err, out), root=0)
    if err:
        raise OutputError(err)
    return out


# ---------------------------------------------------------------------------- run status
def run_status(fitdir: Path, key: str) -> str:
    """completed (a finished folder), failed (``<key>.failed``) or missing."""
    folder = fitdir / "runs" / key
    try:
        if (folder / "summary.json").is_file():
            status = json.loads((folder / "summary.json").read_text()).get("status")
            if status in FINISHED:
                return "completed"
        if (fitdir / "runs" / f"{key}.failed" / "FAILED").is_file():
            return "failed"
    except (OSError, ValueError):
        pass
    return "missing"


def _clear(fitdir: Path, key: str) -> None:
    """Rank 0: remove what an unfinished run of ``key`` left (its folder without a finished
    summary, ``.interrupted``, a killed run's partial folder): only folders of ours."""
    from fem.output.directory import is_run_folder

    runs = fitdir / "runs"
    for p in [runs / key, runs / f"{key}.interrupted", *runs.glob(f".{key}.partial-*")]:
        if is_run_folder(p):
            shutil.rmtree(p)


def failure_message(fitdir: Path, key: str) -> str:
    """The message a failed run left (its FAILED file), in one line."""
    folder = _folder_of(fitdir, key)
    return _one_line(_marker(fitdir, folder)) if folder else ""


# ---------------------------------------------------------------------------- execution
def _log(rec: RunRecord, total: int, task: RunTask) -> None:
    from fem.log import get_logger

    tail = f": {rec.message[:160]}" if rec.message and rec.status != "completed" else ""
    get_logger().info(f"fit run {rec.index}/{total} {rec.name} ({', '.join(task.datasets)}): "
                      f"{rec.status} ({rec.wall_s:.1f} s){tail}")


def _child(task: RunTask, point: Point, fitdir: Path) -> RunRecord:
    """``python -m fem.cli run`` in the fit folder (so that its mesh cache is OUTDIR/meshes),
    importing the same assb-fem as this process (never raises)."""
    import fem

    cmd = [sys.executable, "-m", "fem.cli", "run", str(task.case_path), "-o",
           str(fitdir / "runs" / point.name), "--no-progress",
           *(f"--set={o}" for o in task.overrides)]
    env = _child_env()
    root = str(Path(fem.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=env, cwd=fitdir, capture_output=True, text=True, check=False)
        status = STATUS_OF_EXIT.get(r.returncode, "error")
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        message = "" if status == "completed" else "\n".join(lines[-3:]) or f"exit {r.returncode}"
    except OSError as exc:
        status, message = "error", f"cannot start {cmd[0]}: {exc}"
    folder = _folder_of(fitdir, point.name)
    return RunRecord(point.index, point.name, status,
                     _one_line(_marker(fitdir, folder) or message), folder,
                     time.perf_counter() - t0)


def _in_processes(tasks: list[RunTask], points: list[Point], fitdir: Path, jobs: int
                  ) -> list[RunRecord]:
    records: dict[int, RunRecord] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(_child, t, p, fitdir): (t, p) for t, p in zip(tasks, points,
                                                                            strict=True)}
        try:
            for fut, (task, _) in futures.items():
                rec = fut.result()
                records[rec.index] = rec
                _log(rec, len(points), task)
        except KeyboardInterrupt:  # the children got the SIGINT too and stop cleanly
            for f in futures:
                f.cancel()
            raise Interrupted("fit interrupted; run the same command again to continue") from None
    return [records[p.index] for p in points]


def _on_ranks(tasks: list[RunTask], points: list[Point], fitdir: Path, comm, progress: bool
              ) -> list[RunRecord]:
    """Round-robin over the ranks, each run on COMM_SELF; rank 0 returns every record."""
    mine: list[RunRecord] = []
    for task, point in zip(tasks, points, strict=True):
        if (point.index - 1) % comm.size != comm.rank:
            continue
        if any(r.status == "interrupted" for r in mine):
            mine.append(RunRecord(point.index, point.name, "not run", "interrupted before it"))
            continue
        rec = run_here(task.case, point, fitdir, progress and comm.size == 1, fitdir / "meshes")
        mine.append(rec)
        _log(rec, len(points), task)
    gathered = comm.gather(mine, root=0)
    if comm.rank != 0:
        return []
    return sorted((r for part in gathered for r in part), key=lambda r: r.index)


def execute(tasks: list[RunTask], fitdir: Path, comm, jobs: int, progress: bool) -> dict[str, int]:
    """Collective: make sure every task has a finished (or failed) run folder. Returns the
    counts ``{"reused": n, "run": n, "failed": n}`` of this batch (on every rank); raises
    Interrupted when a run was interrupted."""
    status = None
    if comm.rank == 0:
        status = {t.key: run_status(fitdir, t.key) for t in tasks}
    status = comm.bcast(status, root=0)
    todo = [t for t in tasks if status[t.key] == "missing"]
    counts = {"reused": len(tasks) - len(todo), "run": len(todo), "failed": 0}
    if not todo:
        return counts
    if comm.rank == 0:
        for t in todo:
            _clear(fitdir, t.key)
    prepare_meshes([t.case for t in todo], comm, fitdir / "meshes")
    points = [Point(i, (), (), t.key) for i, t in enumerate(todo, start=1)]
    if jobs > 1 and comm.size == 1:
        records = _in_processes(todo, points, fitdir, min(jobs, len(todo)))
    else:
        records = _on_ranks(todo, points, fitdir, comm, progress)
    records = comm.bcast(records if comm.rank == 0 else None, root=0)
    if any(r.status in ("interrupted", "not run") for r in records):
        raise Interrupted("fit interrupted; run the same command again to continue")
    counts["failed"] = sum(r.status != "completed" for r in records)
    return counts
