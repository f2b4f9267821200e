"""Parameter sweeps: ``assb-fem sweep CASE --vary key=v1,v2,... [--vary key2=...]``.

A sweep runs the Cartesian product of the ``--vary`` values (the first key varies slowest);
each value is a case override as ``--set key=value`` accepts it. The steps:

1. :func:`parse_vary` reads the ``--vary`` options into :class:`Axis` objects
   (:func:`split_values`: a value list is split on the commas that are not inside brackets or
   quotes) and :func:`expand` makes the :class:`Point` of every combination;
2. :func:`validate` loads and resolves the case of EVERY combination before anything runs and
   reports all invalid ones in one :class:`CaseError` (exit 2, nothing written);
3. the runs go into ``OUTDIR/runs/<index>-<slug>/`` (normal run folders): under ``mpirun -n N``
   round-robin over the ranks, each run on ``MPI.COMM_SELF`` (:func:`run_on_ranks`); without
   mpirun, ``--jobs N`` runs N ``assb-fem run`` child processes (:func:`run_in_processes`). A
   run that fails is recorded with its status and message and the sweep goes on;
4. rank 0 collects each run's summary.json into ``OUTDIR/sweep.csv`` (:func:`collect_rows`)
   and draws the maps (:mod:`fem.study.maps`); ``OUTDIR/sweep.json`` holds the definition.

Round-robin rather than a dynamic queue under MPI: it needs no communication while the runs go
(a queue needs a master rank that does no runs, or one-sided MPI whose progress MPICH does not
guarantee while the target rank is busy in a solve), it puts the same run on the same rank
every time, and the runs of a sweep cost about the same. Child processes rather than
multiprocessing for ``--jobs``: each run gets its own MPI/PETSc state (forking a process that
has initialised MPI is unsafe), a crash of one run (segfault, out of memory) cannot take the
sweep down, and the exit status of ``assb-fem run`` is the run's status.
"""

from __future__ import annotations

import csv
import datetime as _dt
import itertools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fem.errors import AssbError, CaseError, Interrupted, OutputError, SolverError

#: Exit status of ``assb-fem run`` -> status of the run in sweep.csv.
STATUS_OF_EXIT = {0: "completed", 4: "failed", 5: "interrupted"}
#: Summary entries (besides ``results``) that become sweep.csv columns.
SUMMARY_COLUMNS = ("wall_time_s", "steps_accepted", "steps_failed", "newton_iterations",
                   "simulated_time_s")
#: Summary entries drawn in the maps besides the ``results``.
MAPPED_EXTRAS = ("wall_time_s",)
#: Longest slug of a run folder name (after the index).
SLUG_LENGTH = 60

_CLOSE = {"[": "]", "{": "}", "(": ")"}
_VARY_EXAMPLE = "e.g. --vary holder.pressure='1 MPa,3 MPa,5 MPa'"


# ---------------------------------------------------------------------------- definition
@dataclass(frozen=True)
class Axis:
    """One ``--vary`` key and its values as given; ``si`` holds the values in SI when they are
    all numbers or quantities of one dimension (``dimension``), else it is None."""

    key: str
    values: tuple[str, ...]
    dimension: str | None = None
    si: tuple[float, ...] | None = None

    @property
    def numeric(self) -> bool:
        return self.si is not None

    @property
    def unit(self) -> str:
        """The SI unit of a numeric axis ('' when dimensionless or categorical)."""
        from fem.units import format_si

        if self.dimension is None:
            return ""
        text = format_si(1.0, self.dimension)
        return text.split(" ", 1)[1] if " " in text else ""


@dataclass(frozen=True)
class Point:
    """One combination: its 1-based index, the value of every axis (as given) and its folder
    name ``<index>-<slug>``."""

    index: int
    keys: tuple[str, ...]
    values: tuple[str, ...]
    name: str

    @property
    def overrides(self) -> list[str]:
        """The ``--set`` strings of this combination."""
        return [f"{k}={v}" for k, v in zip(self.keys, self.values, strict=True)]

    def label(self) -> str:
        return ", ".join(self.overrides)


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


# ---------------------------------------------------------------------------- parsing
def split_values(text: str) -> list[str]:
    """Split a ``--vary`` value list on the commas that are not inside brackets ([], {}, ())
    or quotes ('...' or "..."; a backslash escapes the next character in double quotes) and
    strip the blanks around each value. The values keep their brackets and quotes (they are
    read like ``--set`` values). Raises ValueError on an empty value or an unclosed bracket or
    quote."""
    values: list[str] = []
    buf: list[str] = []
    stack: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                buf.append(text[i:i + 2])
                i += 2
                continue
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _CLOSE:
            stack.append(_CLOSE[ch])
        elif ch in _CLOSE.values():
            if not stack or stack.pop() != ch:
                raise ValueError(f"unbalanced {ch!r} at character {i + 1}")
        elif ch == "," and not stack:
            values.append("".join(buf).strip())
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    if quote:
        raise ValueError(f"unclosed quote {quote}")
    if stack:
        raise ValueError(f"unclosed bracket (missing {stack[-1]!r})")
    values.append("".join(buf).strip())
    if any(not v for v in values):
        raise ValueError("empty value in the list")
    return values


def parse_value(text: str) -> Any:
    """A value as ``--set`` reads it: a TOML literal if it is one, else the text."""
    from fem.case.loader import apply_overrides

    return apply_overrides({}, [f"v={text}"])["v"]


def _dimension_of(value: Any) -> str | None:
    """The named dimension (fem.units.DIMENSIONS) of a number or quantity string, else None."""
    from fem.units import DIMENSIONS, parse_quantity, registry

    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if not isinstance(value, str):
        return "dimensionless" if math.isfinite(value) else None
    try:
        dims = parse_quantity(value).dimensionality
    except Exception:  # noqa: BLE001 - not a quantity: a categorical value
        return None
    for name, text in DIMENSIONS.items():
        if (registry().get_dimensionality(text) if text else {}) == dims:
            return name
    return None


def si_values(key: str, values: list[str]) -> tuple[str | None, tuple[float, ...] | None]:
    """The dimension and SI values (via :func:`fem.units.to_si`) of values that are all
    numbers or quantities of one dimension; (None, None) for categorical values."""
    from fem.units import to_si

    parsed = [parse_value(v) for v in values]
    dims = {_dimension_of(p) for p in parsed}
    if len(dims) != 1 or None in dims:
        return None, None
    dim = dims.pop()
    try:
        return dim, tuple(to_si(p, dim, key) for p in parsed)
    except CaseError:
        return None, None


def parse_vary(items: list[str]) -> list[Axis]:
    """The axes of ``--vary key=v1,v2,...`` options (each key once)."""
    if not items:
        raise CaseError("--vary", "", f"give at least one key to vary, {_VARY_EXAMPLE}")
    axes: list[Axis] = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CaseError("--vary", item, f"expected key.path=v1,v2,..., {_VARY_EXAMPLE}")
        if any(a.key == key for a in axes):
            raise CaseError(f"--vary {key}", text, "the key is varied twice; give all its "
                            "values in one --vary")
        try:
            values = split_values(text)
        except ValueError as exc:
            raise CaseError(f"--vary {key}", text, f"{exc}; the values are split on the commas "
                            "that are not inside brackets or quotes") from None
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise CaseError(f"--vary {key}", text, f"value {dup[0]!r} is given twice")
        axes.append(Axis(key, tuple(values), *si_values(key, values)))
    return axes


def _slug_part(key: str, value: str) -> str:
    short = re.sub(r"\[(\d+)\]", r"\1", key.split(".")[-1])
    val = re.sub(r"[^A-Za-z0-9.+-]+", "_", value.replace(" ", "").strip("'\"")).strip("_.")
    return f"{short}-{val or 'x'}"


def slug(keys: tuple[str, ...], values: tuple[str, ...], limit: int = SLUG_LENGTH) -> str:
    """A short, file-name-safe text for a combination: ``pressure-1MPa_type-spring``."""
    text = "_".join(_slug_part(k, v) for k, v in zip(keys, values, strict=True))
    return text[:limit].rstrip("_.-") or "run"


def expand(axes: list[Axis]) -> list[Point]:
    """Every combination of the axes' values (the first axis varies slowest)."""
    keys = tuple(a.key for a in axes)
    combos = list(itertools.product(*(a.values for a in axes)))
    width = max(3, len(str(len(combos))))
    return [Point(i, keys, vals, f"{i:0{width}d}-{slug(keys, vals)}")
            for i, vals in enumerate(combos, start=1)]


# ---------------------------------------------------------------------------- validation
def _attribute(exc: CaseError, point: Point, axes: list[Axis]) -> tuple[str, str] | None:
    """The (key, value) of the varied value that ``exc`` names, if it names one."""
    for axis, given in zip(axes, point.values, strict=True):
        if exc.key.strip() == axis.key and (exc.value == parse_value(given)
                                            or str(exc.value).strip() == given):
            return axis.key, given
    return None


def _shared_value(indices: list[int], invalid: set[int], points: list[Point],
                  axes: list[Axis]) -> tuple[str, str] | None:
    """A varied value that all these combinations have and whose every combination is
    invalid: the value to blame for a problem that names another key."""
    chosen = [p for p in points if p.index in indices]
    for j, axis in enumerate(axes):
        vals = {p.values[j] for p in chosen}
        if len(vals) == 1 and len(axis.values) > 1:
            v = vals.pop()
            if all(p.index in invalid for p in points if p.values[j] == v):
                return axis.key, v
    return None


def _which(indices: list[int], total: int) -> str:
    word = "combination" if len(indices) == 1 else "combinations"
    return f"{word} {', '.join(map(str, indices))} of {total}"


def validate(case_path: Path, base: list[str], axes: list[Axis], points: list[Point]) -> list:
    """Load and resolve the case of every combination (the ``--set`` overrides ``base`` first,
    then the combination's). Returns the cases; raises ONE CaseError listing every invalid
    combination: ``--vary KEY = VALUE: what is allowed (combinations ...)``."""
    from fem.case import load_case

    cases, problems, first = [], {}, {}
    for p in points:
        try:
            case = load_case(case_path, [*base, *p.overrides])
            if case.patch is not None:
                raise CaseError("patch", case.name, "interface-patch cases cannot be run yet "
                                "(micro-scale contact model missing)")
            cases.append(case)
        except CaseError as exc:
            what = (exc.key, repr(exc.value), exc.allowed)
            problems.setdefault(what, []).append(p.index)
            first.setdefault(what, (exc, p))
    if not problems:
        return cases
    if len(problems) == 1 and len(next(iter(problems.values()))) == len(points):
        exc, p = next(iter(first.values()))
        if _attribute(exc, p, axes) is None:  # the case itself or --set: as `run` says it
            raise exc
    invalid = {i for ids in problems.values() for i in ids}
    parts = []
    for what, ids in problems.items():
        exc, p = first[what]
        named = _attribute(exc, p, axes)
        if named:
            parts.append((named[0], named[1], f"{exc.allowed} ({_which(ids, len(points))})"))
            continue
        detail = f"{exc.key} = {exc.value!r}: {exc.allowed}"
        shared = _shared_value(ids, invalid, points, axes)
        if shared:
            parts.append((*shared, f"with it {detail} ({_which(ids, len(points))})"))
        else:
            combo = "; ".join(f"{q.index} ({q.label()})" for q in points if q.index in ids)
            parts.append(("combination", combo, f"invalid combination: {detail}"))
    parts.sort(key=lambda part: " with it " in f" {part[2]}")  # values named outright first
    key, value, allowed = parts[0]
    rest = "".join(f"; also --vary {k} = {v!r}: {a}" for k, v, a in parts[1:])
    raise CaseError(f"--vary {key}", value, f"{allowed}{rest}; {len(invalid)} of {len(points)} "
                    "combinations invalid, nothing was run")


# ---------------------------------------------------------------------------- running
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


# ---------------------------------------------------------------------------- outputs
def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def collect_rows(outdir: Path, axes: list[Axis], points: list[Point],
                 records: list[RunRecord]) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per run: index, run folder, status, the varied values as given (column
    ``KEY``) and in SI (``KEY_si``, numeric keys only), the summary's ``results`` flattened
    (``pressure_swing_per_cycle_MPa.1``), wall time, step and Newton counts, and the message.
    Returns the rows and the names of the metrics to map."""
    rows, metrics = [], []
    for point, rec in zip(points, records, strict=True):
        row: dict[str, Any] = {"index": point.index, "run": rec.folder or f"runs/{point.name}",
                               "status": rec.status}
        for axis, given in zip(axes, point.values, strict=True):
            row[axis.key] = given
            if axis.si is not None:
                row[f"{axis.key}_si"] = axis.si[axis.values.index(given)]
        summary_path = outdir / rec.folder / "summary.json" if rec.folder else None
        if summary_path is not None and summary_path.is_file():
            summary = json.loads(summary_path.read_text())
            results: dict[str, Any] = {}
            _flatten("", summary.get("results", {}), results)
            for k in results:
                if k not in metrics:
                    metrics.append(k)
            row.update(results)
            row.update({k: summary[k] for k in SUMMARY_COLUMNS if k in summary})
        row["message"] = rec.message
        rows.append(row)
    if any(k in r for r in rows for k in MAPPED_EXTRAS):
        metrics.extend(MAPPED_EXTRAS)
    return rows, metrics


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """sweep.csv: the union of the rows' columns in first-seen order, ``message`` last;
    numbers as Python writes them (round-trip exact), missing values empty."""
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns and k != "message")
    columns.append("message")
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, restval="")
        w.writeheader()
        for row in rows:
            w.writerow({k: "" if v is None else v for k, v in row.items()})
    return path


def definition(case, case_path: Path, base: list[str], axes: list[Axis], points: list[Point],
               mode: dict[str, Any], mesh_cache: str | Path) -> dict[str, Any]:
    """The content of sweep.json: what was swept and how."""
    from fem.output.summary import versions

    return {
        "case": case.name,
        "case_source": str(case_path),
        "set": list(base),
        "vary": [{"key": a.key, "values": list(a.values), "dimension": a.dimension,
                  "unit": a.unit if a.numeric else None,
                  "values_si": list(a.si) if a.si is not None else None} for a in axes],
        "order": "Cartesian product, the first key varies slowest",
        "runs": [{"index": p.index, "folder": f"runs/{p.name}", "overrides": p.overrides}
                 for p in points],
        "mode": mode,
        "mesh_cache": str(mesh_cache),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "versions": versions(),
    }


def prepare_outdir(outdir: Path, overwrite: bool, comm) -> None:
    """Collective: create OUTDIR/runs (an existing OUTDIR only with ``overwrite``, which
    removes it first); rank 0 touches the disk, every rank raises the same OutputError."""
    err = None
    if comm.rank == 0:
        try:
            if outdir.exists() and not overwrite:
                raise OutputError(f"output folder {outdir} exists; use --overwrite or -o")
            _check_replaceable(outdir, overwrite)
            if outdir.exists():
                shutil.rmtree(outdir)
            (outdir / "runs").mkdir(parents=True)
        except OutputError as exc:
            err = str(exc)
        except OSError as exc:
            err = f"cannot create the output folder {outdir}: {exc.strerror or exc}"
    err = comm.bcast(err, root=0)
    if err:
        raise OutputError(err)


def _check_replaceable(outdir: Path, overwrite: bool) -> None:
    """An existing OUTDIR is replaced only with ``overwrite`` and only when it is a sweep
    folder (has sweep.json): ``-o . --overwrite`` must not remove the working folder."""
    if not outdir.exists():
        return
    if not overwrite:
        raise OutputError(f"output folder {outdir} exists; use --overwrite or -o")
    if not (outdir.is_dir() and (outdir / "sweep.json").is_file()):
        raise OutputError(f"output folder {outdir} exists and is not a sweep folder (no "
                          "sweep.json); --overwrite replaces sweep folders only")


def check_outdir(outdir: Path, overwrite: bool, comm) -> None:
    """Collective: refuse an OUTDIR that may not be replaced, before anything is built."""
    err = None
    if comm.rank == 0:
        try:
            _check_replaceable(outdir, overwrite)
        except OutputError as exc:
            err = str(exc)
    err = comm.bcast(err, root=0)
    if err:
        raise OutputError(err)


def _finish(outdir: Path, axes: list[Axis], points: list[Point], records: list[RunRecord],
            title: str) -> tuple[Path, list[Path]]:
    """Rank 0: sweep.csv and the maps."""
    from fem.study.maps import draw_maps

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
    out = Path(outdir) if outdir else Path("results") / f"{cases[0].name}-sweep"
    out = out.resolve()
    check_outdir(out, overwrite, comm)
    if comm.size > 1:
        mode = {"kind": "mpi", "workers": comm.size, "assignment": "round-robin"}
    elif jobs > 1:
        mode = {"kind": "processes", "workers": min(jobs, len(points))}
    else:
        mode = {"kind": "serial", "workers": 1}
    prepare_meshes(cases, comm, mesh_cache)
    prepare_outdir(out, overwrite, comm)
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
