"""Maps of a sweep: every result metric against the varied values (rank 0 only; pure
matplotlib with the Agg backend, no dolfinx).

The x axis is the first varied key whose values are numbers or quantities of one dimension
(placed at their SI values, labelled as given), else the first key (categorical: one position
per value, markers only); values spanning two decades or more are drawn in log scale.
Every combination of the other keys' values is one line, e.g. the
pressure swing against the stack pressure for each holder type. One PNG per metric:
``OUTDIR/map_<metric>.png`` (of a per-cycle metric, the first and last cycle only).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from fem.study.axes import Axis  # noqa: E402

#: Up to this many values, a numeric axis is labelled with the values as given.
MAX_GIVEN_TICKS = 10
#: A metric of one cycle: ``head.<cycle>[.tail]`` (the first number in the dotted name).
_INDEXED = re.compile(r"^(?P<head>.*?)\.(?P<n>\d+)(?P<tail>(?:\..*)?)$")
#: A numeric x axis whose largest value is this many times its smallest is drawn in log scale.
LOG_SPAN = 100.0


def as_float(value: Any) -> float:
    """A CSV or summary value as a float (NaN when missing or not a number)."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def x_axis(axes: Sequence[Axis]) -> int:
    """Index of the axis drawn along x: the first numeric one, else the first."""
    return next((i for i, a in enumerate(axes) if a.numeric), 0)


def curves(rows: list[dict[str, Any]], axes: Sequence[Axis], metric: str
           ) -> list[tuple[str, list[float], list[float]]]:
    """(label, x, y) of each line: x along the x axis's values in their order (SI values, or
    0, 1, ... when categorical), one line per combination of the other axes' values."""
    xi = x_axis(axes)
    xa = axes[xi]
    others = [a for i, a in enumerate(axes) if i != xi]
    xs = list(xa.si) if xa.si is not None else [float(j) for j in range(len(xa.values))]
    out = []
    for combo in itertools.product(*(a.values for a in others)):
        chosen = [r for r in rows
                  if all(r.get(a.key) == v for a, v in zip(others, combo, strict=True))]
        ys = []
        for v in xa.values:
            row = next((r for r in chosen if r.get(xa.key) == v), None)
            ys.append(as_float(row.get(metric)) if row else math.nan)
        label = ", ".join(f"{a.key} = {v}" for a, v in zip(others, combo, strict=True))
        out.append((label, xs, ys))
    return out


def log_scale(axis: Axis) -> bool:
    """A numeric axis of positive values spanning at least LOG_SPAN (hold times from 1 min to
    24 h) is drawn in log scale."""
    if axis.si is None or min(axis.si) <= 0:
        return False
    return max(axis.si) / min(axis.si) >= LOG_SPAN


def _file_name(metric: str) -> str:
    return "map_" + (re.sub(r"[^A-Za-z0-9._-]+", "_", metric).strip("_.") or "metric") + ".png"


def draw_metric(rows: list[dict[str, Any]], axes: Sequence[Axis], metric: str, path: Path,
                title: str = "") -> Path | None:
    """One map: ``metric`` against the x axis, a line per combination of the other keys.
    None (nothing written) when the metric has no finite value."""
    lines = curves(rows, axes, metric)
    if not any(math.isfinite(y) for _, _, ys in lines for y in ys):
        return None
    xa = axes[x_axis(axes)]
    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    n = len(lines)
    for k, (label, xs, ys) in enumerate(lines):
        if xa.numeric:
            ax.plot(xs, ys, marker="o", label=label or None)
        else:  # categorical: side by side, no line between categories
            shift = 0.06 * (k - (n - 1) / 2)
            ax.plot([x + shift for x in xs], ys, marker="o", linestyle="none", label=label or None)
    if log_scale(xa):
        ax.set_xscale("log")
        ax.minorticks_off()
    given = not xa.numeric or len(xa.values) <= MAX_GIVEN_TICKS
    if given:  # numeric values still sit at their SI values
        positions = list(xa.si) if xa.si is not None else list(range(len(xa.values)))
        ax.set_xticks(positions, labels=list(xa.values))
    unit = f" [{xa.unit}]" if xa.numeric and xa.unit and not given else ""
    ax.set_xlabel(f"{xa.key}{unit}")
    ax.set_ylabel(metric)
    ax.set_title(f"{title}: {metric}" if title else metric, fontsize="medium")
    ax.grid(True, alpha=0.3)
    if any(label for label, _, _ in lines):
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)
    return path


def maps_to_draw(metrics: Sequence[str]) -> list[str]:
    """The metrics to map: all, except that a per-cycle family (``pressure_swing_per_cycle_MPa.7``,
    ``lithium_inventory.7.lost_mAh_cm2``) is mapped for its first and last cycle only (50
    cycles would give hundreds of figures; sweep.csv keeps every cycle)."""
    families: dict[tuple[str, str], list[int]] = {}
    for m in metrics:
        g = _INDEXED.match(m)
        if g:
            families.setdefault((g["head"], g["tail"]), []).append(int(g["n"]))
    out = []
    for m in metrics:
        g = _INDEXED.match(m)
        ns = families[(g["head"], g["tail"])] if g else []
        if g is None or int(g["n"]) in (min(ns), max(ns)):
            out.append(m)
    return out


def draw_maps(rows: list[dict[str, Any]], axes: Sequence[Axis], metrics: list[str],
              outdir: Path, title: str = "") -> list[Path]:
    """The maps of :func:`maps_to_draw` into ``outdir`` (see the module docstring); the paths
    written."""
    if not axes or not rows:
        return []
    paths = []
    for metric in maps_to_draw(metrics):
        path = draw_metric(rows, axes, metric, Path(outdir) / _file_name(metric), title)
        if path is not None:
            paths.append(path)
    return paths
