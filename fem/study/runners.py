"""Running the points of a sweep: round-robin over the MPI ranks, each run on
``MPI.COMM_SELF`` (:func:`run_on_ranks`), or as ``assb-fem run`` child processes
(:func:`run_in_processes`). A run that fails is recorded (:class:`RunRecord`) and the sweep
goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from fem.errors import AssbError, Interrupted, SolverError
from fem.study.axes import Point

#: Exit status of ``assb-fem run`` -> status of the run in sweep.csv.
STATUS_OF_EXIT = {0: "completed", 4: "failed", 5: "interrupted"}


@dataclass
class RunRecord:
    """What became of one run: ``status`` is completed, failed (the solver gave up),
    interrupted, error (anything else) or not run; ``folder`` is relative to the sweep folder."""

    index: int
    name: str
    status: str
    message: str = ""
    folder: str = ""
    wall_s: float = 0.0


def _folder_of(outdir: Path, name: str) -> str:
    """The run folder as it ended (``name``, ``name.failed``, ``name.interrupted``)."""
    for suffix in ("", ".failed", ".interrupted"):
        if (outdir / "runs" / f"{name}{suffix}").is_dir():
            return f"runs/{name}{suffix}"
    return ""


def _marker(outdir: Path, folder: str) -> str:
    """The FAILED / INTERRUPTED message a failed run left in its folder ('' if none)."""
    for m in ("FAILED", "INTERRUPTED"):
        path = outdir / folder / m
        if folder and path.is_file():
            return path.read_text(errors="replace")
    return ""


def _one_line(text: str, limit: int = 500) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def run_here(case, point: Point, outdir: Path, progress: bool, mesh_cache: str | Path
             ) -> RunRecord:
    """Run one combination in this process on ``MPI.COMM_SELF`` (never raises: a failure,
    an interruption, any error becomes the record's status and message)."""
    from fem._dolfinx import MPI
    from fem.run import run_case

    t0 = time.perf_counter()
    status, message = "completed", ""
    try:
        run_case(case, outdir / "runs" / point.name, MPI.COMM_SELF, progress=progress,
                 mesh_cache=mesh_cache)
    except SolverError as exc:
        status, message = "failed", str(exc)
    except (Interrupted, KeyboardInterrupt) as exc:
        status, message = "interrupted", str(exc) or "interrupted"
    except AssbError as exc:
        status, message = "error", f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - one broken run must not stop the others
        status, message = "error", f"{type(exc).__name__}: {exc}"
    folder = _folder_of(outdir, point.name)
    message = _marker(outdir, folder) or message
    return RunRecord(point.index, point.name, status, _one_line(message), folder,
                     time.perf_counter() - t0)


def _child_env() -> dict[str, str]:
    """The environment of an ``assb-fem run`` child: without the parent's MPI wiring."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_", "OMPI_"))}


def run_child(case_path: Path, base: list[str], point: Point, outdir: Path) -> RunRecord:
    """Run one combination as ``python -m fem.cli run ... --no-progress`` (never raises)."""
    cmd = [sys.executable, "-m", "fem.cli", "run", str(case_path), "-o",
           str(outdir / "runs" / point.name), "--no-progress",
           *(f"--set={o}" for o in [*base, *point.overrides])]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=_child_env(), capture_output=True, text=True, check=False)
        status = STATUS_OF_EXIT.get(r.returncode, "error")
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        message = "" if status == "completed" else "\n".join(lines[-3:]) or f"exit {r.returncode}"
    except OSError as exc:
        status, message = "error", f"cannot start {cmd[0]}: {exc}"
    folder = _folder_of(outdir, point.name)
    message = _marker(outdir, folder) or message
    return RunRecord(point.index, point.name, status, _one_line(message), folder,
                     time.perf_counter() - t0)


def _not_run(point: Point) -> RunRecord:
    return RunRecord(point.index, point.name, "not run", "the sweep was interrupted before it")


def _log_record(rec: RunRecord, total: int) -> None:
    from fem.log import get_logger

    tail = f": {rec.message[:120]}" if rec.message and rec.status != "completed" else ""
    get_logger().info(f"sweep run {rec.index}/{total} {rec.name}: {rec.status} "
                      f"({rec.wall_s:.1f} s){tail}")


def run_on_ranks(cases: list, points: list[Point], outdir: Path, comm, progress: bool,
                 mesh_cache: str | Path) -> list[RunRecord]:
    """Run the points round-robin over the ranks of ``comm`` (point i on rank (i-1) % size),
    each on MPI.COMM_SELF; after an interruption a rank runs none of its remaining points.
    Collective: rank 0 returns every record (in index order), the others an empty list."""
    mine: list[RunRecord] = []
    stop = False
    for case, point in zip(cases, points, strict=True):
        if (point.index - 1) % comm.size != comm.rank:
            continue
        if stop:
            mine.append(_not_run(point))
            continue
        rec = run_here(case, point, outdir, progress and comm.size == 1, mesh_cache)
        mine.append(rec)
        stop = rec.status == "interrupted"
        _log_record(rec, len(points))
    gathered = comm.gather(mine, root=0)
    if comm.rank != 0:
        return []
    return sorted((r for part in gathered for r in part), key=lambda r: r.index)


def run_in_processes(case_path: Path, base: list[str], points: list[Point], outdir: Path,
                     jobs: int) -> list[RunRecord]:
    """Run the points as ``jobs`` concurrent ``assb-fem run`` child processes. After an
    interruption no further run starts."""
    records: dict[int, RunRecord] = {}
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(run_child, case_path, base, p, outdir): p for p in points}
        try:
            for fut in as_completed(futures):
                rec = fut.result()
                records[rec.index] = rec
                _log_record(rec, len(points))
                if rec.status == "interrupted":
                    for f in futures:
                        f.cancel()
        except KeyboardInterrupt:  # the children got the SIGINT too and stop cleanly
            for f in futures:
                f.cancel()
            for fut, p in futures.items():
                if not fut.cancelled():
                    records[p.index] = fut.result()
    return [records.get(p.index) or _not_run(p) for p in points]


def prepare_meshes(cases: list, comm, mesh_cache: str | Path) -> None:
    """Collective: rank 0 builds the mesh of every distinct geometry that is not in the
    cache yet, so that concurrent runs never build (and write) the same mesh file at once.
    A mesh that fails to build is left to its run, which then fails and is recorded."""
    from fem._dolfinx import MPI
    from fem.geometry.files import cached_msh, geometry_hash, write_mesh
    from fem.log import get_logger

    if comm.rank == 0:
        seen = set()
        for case in cases:
            digest = geometry_hash(case)
            if digest in seen:
                continue
            seen.add(digest)
            try:
                if cached_msh(case, mesh_cache) is None:
                    write_mesh(case, MPI.COMM_SELF, mesh_cache)
            except Exception as exc:  # noqa: BLE001 - reported again by the run itself
                get_logger().warning(f"sweep: the mesh of {case.name} ({digest}) failed: {exc}")
    comm.barrier()
