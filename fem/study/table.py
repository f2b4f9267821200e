"""The outputs of a sweep: one row per run collected from its summary.json into sweep.csv
(:func:`collect_rows`, :func:`write_csv`) and the definition written to sweep.json
(:func:`definition`)."""

from __future__ import annotations

import csv
import datetime as _dt
import json
from pathlib import Path
from typing import Any

from fem.study.axes import Axis, Point
from fem.study.runners import RunRecord

#: Summary entries (besides ``results``) that become sweep.csv columns.
SUMMARY_COLUMNS = ("wall_time_s", "steps_accepted", "steps_failed", "newton_iterations",
                   "simulated_time_s")
#: Summary entries drawn in the maps besides the ``results``.
MAPPED_EXTRAS = ("wall_time_s",)


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
