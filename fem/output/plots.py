"""Plots of history.csv: stack pressure, current/voltage, capacity, Li and contact quantities
against time in hours, with the protocol steps shaded by kind (rank 0 only; pure matplotlib, no
dolfinx).

``plot_history`` writes the one-page overview (``history.png`` of a run); ``standard_figures``
builds the standard set of figures from whatever columns the history has, ``plot_run`` writes
them into ``OUTDIR/plots/`` as PNG and SVG (``assb-fem plot``).
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

_COLOURS = {"press": "#bbbbbb", "release": "#dddddd", "charge": "#c8e6c9",
            "discharge": "#ffe0b2", "rest": "#ffffff", "ramp": "#b3e5fc"}
#: First word of a step label -> shading kind (anything else is shaded as a rest).
_ALIASES = {"hold": "rest", "lock": "rest", "set": "rest", "initial": "press"}

#: Columns that are not physics quantities (never plotted against time as such).
_BOOKKEEPING = {"time_s", "step", "cycle", "step_label"}


@dataclass(frozen=True)
class Series:
    """One curve: a history column, its legend label and line style."""

    column: str
    label: str = ""
    style: str = "-"


@dataclass(frozen=True)
class Panel:
    """One axes: a y label and the curves on it (drawn when their columns are present)."""

    ylabel: str
    series: tuple[Series, ...]
    log: bool = False
    #: Piecewise constant over each time step (the value of row i holds on (t[i-1], t[i]]).
    steps: bool = False
    integer: bool = False


def _panel(column: str, ylabel: str, **kw) -> Panel:
    return Panel(ylabel, (Series(column),), **kw)


#: Every panel that a history may feed, by name.
PANELS: dict[str, Panel] = {
    "pressure": _panel("stack_pressure_MPa", "stack pressure (MPa)"),
    "platen": _panel("platen_displacement_um", "platen displacement (µm)"),
    "strain": _panel("stack_strain", "stack strain (-)"),
    "temperature": _panel("temperature_K", "temperature (K)"),
    "voltage": _panel("voltage_V", "voltage (V)"),
    "current": _panel("current_density_mA_cm2", "current density (mA/cm²)", steps=True),
    "capacity": _panel("capacity_mAh_cm2", "capacity (mAh/cm²)"),
    "li_thickness": _panel("li_thickness_change_um", "Li thickness change (µm)"),
    "contact": _panel("contact_fraction", "contact fraction (-)"),
    "creep": _panel("max_creep_strain", "max creep strain (-)"),
    "local_current": Panel("local current density (mA/cm²)", (
        Series("max_local_current_density_mA_cm2", "max", "-"),
        Series("min_local_current_density_mA_cm2", "min", "--"),
        Series("mean_local_current_density_mA_cm2", "mean", ":"),
    )),
    "dt": Panel("time step (s)", (Series("dt_s"),), log=True, steps=True),
    "newton": _panel("newton_iterations", "Newton iterations", steps=True, integer=True),
}

#: The standard figures: file stem -> (caption, panel names). Panels whose columns are absent
#: are left out, figures without any panel are not drawn.
FIGURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pressure": ("Stack pressure and platen displacement", ("pressure", "platen", "temperature")),
    "electrochemistry": ("Voltage and current density", ("voltage", "current")),
    "capacity": ("Areal capacity", ("capacity",)),
    "lithium": ("Li thickness change, contact fraction, local current density extremes and "
                "Li creep", ("li_thickness", "contact", "local_current", "creep")),
    "solver": ("Time steps and Newton iterations", ("dt", "newton")),
}

#: The one-page overview (``plot_history``).
OVERVIEW = ("pressure", "voltage", "current", "capacity", "li_thickness", "contact",
            "local_current")

_UNITS = {"MPa": "MPa", "Pa": "Pa", "um": "µm", "mm": "mm", "m": "m", "K": "K", "V": "V",
          "mA_cm2": "mA/cm²", "mAh_cm2": "mAh/cm²", "s": "s", "h": "h", "N": "N"}


def _kind(label: str) -> str:
    first = str(label).split()[0].lower() if str(label).strip() else "rest"
    first = _ALIASES.get(first, first)
    return first if first in _COLOURS else "rest"


def _float(v) -> float:
    if isinstance(v, str | bytes) or v is None:
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _numeric(values: Sequence) -> bool:
    """A column that holds at least one finite number."""
    return any(math.isfinite(_float(v)) for v in values)


def _has(hist: dict, column: str) -> bool:
    return column in hist and _numeric(hist[column])


def _present(hist: dict, panel: Panel) -> list[Series]:
    return [s for s in panel.series if _has(hist, s.column)]


def _values(hist: dict, column: str) -> list[float]:
    return [_float(v) for v in hist[column]]


def _label_of(column: str) -> str:
    """'li_thickness_change_um' -> 'li thickness change (µm)'."""
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if column.endswith("_" + suffix):
            name = column[: -len(suffix) - 1].replace("_", " ")
            return f"{name} ({_UNITS[suffix]})"
    return column.replace("_", " ")


def shade_steps(ax, hist: dict) -> set[str]:
    """Shade the time span of each protocol step by its kind; returns the kinds shaded."""
    if "step" not in hist or "step_label" not in hist:
        return set()
    t_h = [_float(t) / 3600 for t in hist["time_s"]]
    steps, labels = hist["step"], hist["step_label"]
    start = 0.0
    kinds = set()
    for i in range(len(t_h)):
        last = i == len(t_h) - 1 or steps[i + 1] != steps[i]
        if last:
            kind = _kind(labels[i])
            if t_h[i] > start:
                ax.axvspan(start, t_h[i], color=_COLOURS[kind], alpha=0.6, lw=0)
                kinds.add(kind)
            start = t_h[i]
    return kinds


def _legend_handles(kinds: set[str]) -> list[Patch]:
    return [Patch(facecolor=_COLOURS[k], edgecolor="#888888", lw=0.5, alpha=0.6, label=k)
            for k in _COLOURS if k in kinds]


def _draw(panels: list[Panel], hist: dict, title: str = "") -> Figure:
    """One figure: the panels stacked over a shared time axis (hours)."""
    t_h = [_float(t) / 3600 for t in hist["time_s"]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7.5, 1.2 + 1.9 * len(panels)),
                             sharex=True, squeeze=False)
    axes = axes[:, 0]
    kinds: set[str] = set()
    marker = "." if len(t_h) < 60 else None
    for ax, panel in zip(axes, panels, strict=True):
        kinds |= shade_steps(ax, hist)
        series = _present(hist, panel)
        for j, s in enumerate(series):
            y = _values(hist, s.column)
            if panel.log:
                y = [v if v > 0 else math.nan for v in y]
            ax.plot(t_h, y, s.style, color=f"C{j}", lw=1.5, marker=marker,
                    label=s.label or None, drawstyle="steps-pre" if panel.steps else "default")
        if panel.log:
            ax.set_yscale("log")
        if panel.integer:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if any(s.label for s in series) and len(series) > 1:
            ax.legend(loc="best", fontsize="small")
        ax.set_ylabel(panel.ylabel)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (h)")
    if len(t_h) > 1 and t_h[-1] > t_h[0]:
        axes[-1].set_xlim(t_h[0], t_h[-1])
    handles = _legend_handles(kinds)
    if handles:
        fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize="small",
                   frameon=False, bbox_to_anchor=(0.5, 0.0))
    if title:
        axes[0].set_title(title)
    fig.tight_layout(rect=(0, 0.3 / fig.get_figheight() if handles else 0, 1, 1))
    return fig


def _extra_panels(hist: dict) -> list[Panel]:
    """Panels for numeric columns that no standard panel knows (new physics columns)."""
    known = {s.column for p in PANELS.values() for s in p.series} | _BOOKKEEPING
    return [_panel(c, _label_of(c)) for c in hist if c not in known and _numeric(hist[c])]


def standard_figures(hist: dict, title: str = "") -> list[tuple[str, str, Figure]]:
    """The standard figures a history can feed, as (name, caption, figure); close them after."""
    if not hist.get("time_s"):
        return []
    out = []
    for name, (caption, names) in FIGURES.items():
        panels = [PANELS[n] for n in names if _present(hist, PANELS[n])]
        if panels:
            out.append((name, caption, _draw(panels, hist, title)))
    extra = _extra_panels(hist)
    if extra:
        out.append(("other", "Other history columns", _draw(extra, hist, title)))
    return out


def plot_history(hist: dict, path: Path, title: str = "") -> Path:
    """Pressure, voltage (when present), current, capacity and the Li/contact quantities (when
    present) against time, on one page."""
    if not hist.get("time_s"):
        raise ValueError("plot_history: the history has no rows")
    panels = [PANELS[n] for n in OVERVIEW if _present(hist, PANELS[n])]
    fig = _draw(panels or [PANELS["pressure"]], hist, title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_title(outdir: Path) -> str:
    """The case name of a run folder (summary.json, else case.resolved.toml, else the folder)."""
    try:
        return str(json.loads((outdir / "summary.json").read_text())["case"])
    except (OSError, ValueError, KeyError):
        pass
    try:
        with (outdir / "case.resolved.toml").open("rb") as f:
            return str(tomllib.load(f)["name"])
    except (OSError, ValueError, KeyError):
        return outdir.name


def read_run_history(outdir: Path) -> dict:
    """history.csv of a run folder; OutputError when there is none or it has no rows."""
    from fem.errors import OutputError
    from fem.output.history import read_history

    path = Path(outdir) / "history.csv"
    if not path.is_file():
        raise OutputError(f"{path} not found: '{outdir}' is not a run output folder")
    hist = read_history(path)
    if not hist.get("time_s"):
        raise OutputError(f"{path} has no rows")
    return hist


def _overlay_lab(fig: Figure, hist: dict, case: str) -> None:
    """Lab measurements of a validation case on the stack-pressure panel (lab_data.py)."""
    from fem.output.lab_data import lab_points

    points = lab_points(case, hist)
    if not points or not fig.axes:
        return
    ax = fig.axes[0]
    for i, (t, p, _label) in enumerate(points):
        ax.plot(t / 3600, p, "ks", ms=6, mfc="none", mew=1.5, zorder=5,
                label="lab data" if i == 0 else None)
    ax.legend(loc="best", fontsize="small")


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def plot_run(outdir: str | Path, formats: Sequence[str] = ("png", "svg"),
             dest: str | Path | None = None) -> list[Path]:
    """Write the standard figures of a run folder into ``dest`` (default ``OUTDIR/plots``)."""
    from fem.output.directory import require_run_folder

    outdir = Path(outdir)
    require_run_folder(outdir)
    hist = read_run_history(outdir)
    dest = Path(dest) if dest is not None else outdir / "plots"
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    case = run_title(outdir)
    for name, _caption, fig in standard_figures(hist, case):
        if name == "pressure":
            _overlay_lab(fig, hist, case)
        for fmt in formats:
            path = dest / f"{_safe(name)}.{fmt}"
            fig.savefig(path, dpi=120)
            written.append(path)
        plt.close(fig)
    return written
