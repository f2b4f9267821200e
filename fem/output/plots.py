"""PNG plots of history.csv: stack pressure, current/voltage and capacity against time, with the
protocol steps shaded (rank 0 only; pure matplotlib, no dolfinx)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_COLOURS = {"press": "#bbbbbb", "release": "#dddddd", "charge": "#c8e6c9",
            "discharge": "#ffe0b2", "rest": "#ffffff", "ramp": "#c8e6c9"}


def _kind(label: str) -> str:
    first = label.split()[0].lower() if label else "rest"
    return first if first in _COLOURS else "rest"


def shade_steps(ax, hist: dict) -> None:
    """Shade the time span of each protocol step by its kind."""
    t_h = [t / 3600 for t in hist["time_s"]]
    steps, labels = hist["step"], hist["step_label"]
    start = 0.0
    for i in range(len(t_h)):
        last = i == len(t_h) - 1 or steps[i + 1] != steps[i]
        if last:
            ax.axvspan(start, t_h[i], color=_COLOURS[_kind(labels[i])], alpha=0.6, lw=0)
            start = t_h[i]


def plot_history(hist: dict, path: Path, title: str = "") -> Path:
    """Pressure, current (and voltage when present) and capacity against time."""
    t_h = [t / 3600 for t in hist["time_s"]]
    panels = [("stack_pressure_MPa", "stack pressure (MPa)")]
    if "voltage_V" in hist:
        panels.append(("voltage_V", "voltage (V)"))
    panels += [("current_density_mA_cm2", "current (mA/cm$^2$)"),
               ("capacity_mAh_cm2", "capacity (mAh/cm$^2$)")]
    fig, axes = plt.subplots(len(panels), 1, figsize=(7, 2.2 * len(panels)), sharex=True)
    for ax, (col, label) in zip(axes, panels, strict=True):
        shade_steps(ax, hist)
        ax.plot(t_h, hist[col], "-", color="C0", lw=1.5, marker="." if len(t_h) < 60 else None)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("time (h)")
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
