"""Parameter sweeps: ``assb-fem sweep CASE --vary key=v1,v2,... [--vary key2=...]``.

A sweep runs the Cartesian product of the ``--vary`` values (the first key varies slowest);
each value is a case override as ``--set key=value`` accepts it. The steps:

1. :func:`fem.study.axes.parse_vary` reads the ``--vary`` options into
   :class:`~fem.study.axes.Axis` objects (:func:`~fem.study.axes.split_values`: a value list is
   split on the commas that are not inside brackets or quotes) and
   :func:`~fem.study.axes.expand` makes the :class:`~fem.study.axes.Point` of every combination;
2. :func:`fem.study.validation.validate` loads and resolves the case of EVERY combination before
   anything runs and reports all invalid ones in one :class:`CaseError` (exit 2, nothing
   written);
3. the runs go into ``OUTDIR/runs/<index>-<slug>/`` (normal run folders): under ``mpirun -n N``
   round-robin over the ranks, each run on ``MPI.COMM_SELF``
   (:func:`fem.study.runners.run_on_ranks`); without mpirun, ``--jobs N`` runs N ``assb-fem run``
   child processes (:func:`fem.study.runners.run_in_processes`). A run that fails is recorded
   with its status and message and the sweep goes on;
4. rank 0 collects each run's summary.json into ``OUTDIR/sweep.csv``
   (:func:`fem.study.table.collect_rows`) and draws the maps (:mod:`fem.study.maps`);
   ``OUTDIR/sweep.json`` holds the definition (:func:`fem.study.table.definition`).

Round-robin rather than a dynamic queue under MPI: it needs no communication while the runs go
(a queue needs a master rank that does no runs, or one-sided MPI whose progress MPICH does not
guarantee while the target rank is busy in a solve), it puts the same run on the same rank
every time, and the runs of a sweep cost about the same. Child processes rather than
multiprocessing for ``--jobs``: each run gets its own MPI/PETSc state (forking a process that
has initialised MPI is unsafe), a crash of one run (segfault, out of memory) cannot take the
sweep down, and the exit status of ``assb-fem run`` is the run's status.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from fem.errors import CaseError, OutputError
from fem.output.directory import MARKER, check_output_path, write_marker
from fem.study.axes import Axis, Point, expand, parse_vary
from fem.study.maps import draw_maps
from fem.study.runners import RunRecord, prepare_meshes, run_in_processes, run_on_ranks
from fem.study.table import collect_rows, definition, write_csv
from fem.study.validation import validate


@dataclass
class SweepResult:
    """The outcome on every rank: the files written and the status of every run."""

    outdir: Path
    csv: Path
    definition: Path
    figures: list[Path]
    statuses: dict[str, int] = field(default_factory=dict)
    incomplete: list[str] = field(default_factory=list)
    interrupted: bool = False


def sweep_folder(outdir: str | Path | None, name: str) -> Path:
    """The sweep folder, resolved: ``-o`` as given (an empty path is an error), else
    results/<name>-sweep."""
    if outdir is None:
        out = Path("results") / f"{name}-sweep"
    elif not str(outdir).strip():
        raise OutputError("sweep folder: empty path; name a folder, e.g. -o results/my_sweep")
    else:
        out = Path(outdir)
    try:
        return out.expanduser().resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
        raise OutputError(f"invalid sweep folder {str(outdir)[:200]!r}: {exc}") from None


def _marker_kind(folder: Path) -> str | None:
    """The kind (run, sweep) in the assb-fem marker of ``folder``, None if unreadable."""
    try:
        return json.loads((folder / MARKER).read_text()).get("kind")
    except (OSError, ValueError, AttributeError):
        return None


def _check_replaceable(outdir: Path, overwrite: bool, protected: tuple[Path, ...]) -> None:
    """The rules of a run folder (:func:`fem.output.directory.check_output_path`: never the
    working directory, the case file or a parent of them, never a folder that is not ours,
    an existing one only with ``overwrite``), and an existing folder is replaced only when
    its marker says it is a sweep folder (not a run folder, e.g. one of a sweep's runs)."""
    check_output_path(outdir, protected, overwrite, what="sweep folder")
    if outdir.exists() and _marker_kind(outdir) != "sweep":
        raise OutputError(f"sweep folder {outdir} is an assb-fem run folder, not a sweep folder; "
                          "--overwrite replaces sweep folders only: choose another -o")


def _on_rank0(comm, action) -> None:
    """Collective: ``action()`` on rank 0; every rank raises the same OutputError."""
    err = None
    if comm.rank == 0:
        try:
            action()
        except OutputError as exc:
            err = str(exc)
        except OSError as exc:
            err = f"cannot create the sweep folder: {exc.strerror or exc} ({exc.filename})"
    err = comm.bcast(err, root=0)
    if err:
        raise OutputError(err)


def check_outdir(outdir: Path, overwrite: bool, comm, protected: tuple[Path, ...] = ()) -> None:
    """Collective: refuse an OUTDIR that may not be written or replaced, before anything is
    built."""
    _on_rank0(comm, lambda: _check_replaceable(outdir, overwrite, protected))


def prepare_outdir(outdir: Path, overwrite: bool, comm, protected: tuple[Path, ...] = ()) -> None:
    """Collective: create OUTDIR (marked as a sweep folder) and OUTDIR/runs; an existing
    OUTDIR only with ``overwrite`` and only when it is a sweep folder of ours (removed first)."""

    def make() -> None:
        _check_replaceable(outdir, overwrite, protected)  # again: the runs took a while
        if outdir.exists():
            shutil.rmtree(outdir)
        outdir.mkdir(parents=True)
        write_marker(outdir, kind="sweep")
        (outdir / "runs").mkdir()

    _on_rank0(comm, make)


def _finish(outdir: Path, axes: list[Axis], points: list[Point], records: list[RunRecord],
            title: str) -> tuple[Path, list[Path]]:
    """Rank 0: sweep.csv and the maps."""
    rows, metrics = collect_rows(outdir, axes, points, records)
    csv_path = write_csv(outdir / "sweep.csv", rows)
    figures = draw_maps(rows, axes, metrics, outdir, title=title)
    return csv_path, figures


# ---------------------------------------------------------------------------- the command
def run_sweep(case_path: Path, base: list[str], vary: list[str], outdir: str | Path | None,
              comm, jobs: int = 1, progress: bool = True, overwrite: bool = False,
              mesh_cache: str | Path = "meshes") -> SweepResult:
    """Collective: validate, run and collect a sweep (see the module docstring). Every rank
    returns the same :class:`SweepResult`."""
    from fem.log import get_logger
    from fem.output.report import on_rank0

    if jobs < 1:
        raise CaseError("--jobs", jobs, "must be >= 1")
    if jobs > 1 and comm.size > 1:
        raise CaseError("--jobs", jobs, "under mpirun the runs are spread over the ranks; "
                        "leave --jobs out there (or run without mpirun)")
    case_path = Path(case_path).absolute()
    axes = parse_vary(vary)
    points = expand(axes)
    cases = validate(case_path, base, axes, points)
    out = sweep_folder(outdir, cases[0].name)
    protected = (case_path,)
    check_outdir(out, overwrite, comm, protected)
    if comm.size > 1:
        mode = {"kind": "mpi", "workers": comm.size, "assignment": "round-robin"}
    elif jobs > 1:
        mode = {"kind": "processes", "workers": min(jobs, len(points))}
    else:
        mode = {"kind": "serial", "workers": 1}
    prepare_meshes(cases, comm, mesh_cache)
    prepare_outdir(out, overwrite, comm, protected)
    spec = definition(cases[0], case_path, base, axes, points, mode, mesh_cache)

    def write_spec() -> Path:
        path = out / "sweep.json"
        path.write_text(json.dumps(spec, indent=2) + "\n")
        return path

    spec_path = on_rank0(comm, write_spec)
    shape = " x ".join(str(len(a.values)) for a in axes)
    get_logger().info(f"sweep: {len(points)} runs ({shape}), {mode['kind']} with "
                      f"{mode['workers']} worker(s) -> {out}")
    if mode["kind"] == "processes":
        records = run_in_processes(case_path, base, points, out, mode["workers"])
    else:
        records = run_on_ranks(cases, points, out, comm, progress, mesh_cache)
    csv_path, figures = on_rank0(comm, _finish, out, axes, points, records, cases[0].name)
    records = comm.bcast(records if comm.rank == 0 else None, root=0)
    statuses: dict[str, int] = {}
    for r in records:
        statuses[r.status] = statuses.get(r.status, 0) + 1
    return SweepResult(out, csv_path, spec_path, figures, statuses,
                       [r.name for r in records if r.status != "completed"],
                       any(r.status == "interrupted" for r in records))
