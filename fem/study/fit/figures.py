"""The figure of each dataset of a fit, ``fit_<dataset>.png``: the data points against the
fitted run's curve and the start run's curve, on the data's time axis from the data's zero
(logarithmic when the times span a factor of 20 or more; rank 0; matplotlib with the Agg
backend); a statistic over a time window (a swing) is a shaded span with its values as text
(and a largest or smallest value a dashed line)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fem.study.fit.data import time_zero  # noqa: E402
from fem.study.fit.problem import Problem  # noqa: E402
from fem.study.fit.quantities import from_si  # noqa: E402

#: A logarithmic time axis when the data's times (all > 0) span this factor or more.
LOG_SPAN = 20.0


def _curve(problem: Problem, i: int, run: str) -> tuple[np.ndarray, np.ndarray] | None:
    """A run's history column on the dataset's time axis (data time, in its unit)."""
    from fem.output.history import read_history

    ds, obs = problem.spec.datasets[i], problem.obs[i]
    path = problem.fitdir / run / "history.csv"
    if not path.is_file():
        return None
    hist = read_history(path)
    t0 = time_zero(hist, problem.steps[i])
    if t0 is None or ds.history not in hist:
        return None
    t = np.asarray(hist["time_s"], dtype=float) - t0 - ds.time_offset
    unit = obs.time_unit or "s"
    return np.array([from_si(x, unit) for x in t]), np.asarray(hist[ds.history], dtype=float)


def _window(ax, p: dict, d: dict, k: int) -> None:
    """The ``k``-th statistic over a time window: the window as a shaded span, a largest or
    smallest value as a dashed line over it (a swing has no place on the value axis), and the
    data and fitted values as the ``k``-th line of text at the top."""
    ax.axvspan(p["time"], p["to"], color="C3", alpha=0.06,
               label="data: statistics over windows" if k == 0 else None)
    if p["statistic"] in ("max", "min"):
        ax.plot([p["time"], p["to"]], [p["data"]] * 2, "--", color="C3", lw=1.0)
    unit = f" {d['unit']}" if d["unit"] else ""
    ax.annotate(f"{p['statistic']} from {p['time']:.4g} to {p['to']:.4g} {d['time_unit']}: "
                f"data {p['data']:.4g}{unit}, fitted {p['fitted']:.4g}{unit}",
                xy=(0.01, 0.97 - 0.055 * k), xycoords="axes fraction", va="top",
                fontsize=7, color="C3")


def draw(fitdir: Path, s: dict, problem: Problem) -> list[Path]:
    """One figure per dataset; returns the files written."""
    files = []
    for i, d in enumerate(s["datasets"]):
        at = [p for p in d["points"] if "statistic" not in p]
        windows = [p for p in d["points"] if "statistic" in p]
        t = np.array([p["time"] for p in at] + [p[k] for p in windows for k in ("time", "to")])
        y = np.array([p["data"] for p in at])
        fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
        span = max(t.max() - t.min(), 1e-12 * max(abs(t.max()), 1.0))
        log = bool(t.min() > 0 and t.max() / t.min() >= LOG_SPAN)
        lo, hi = (t.min() / 1.5, t.max() * 1.5) if log else (t.min() - 0.05 * span,
                                                            t.max() + 0.05 * span)
        lo = lo if log else max(lo, min(0.0, t.min()))  # not before the data's zero
        for run, label, style in ((d["run_start"], "start", "--"),
                                  (d["run_fitted"], "fitted", "-")):
            curve = _curve(problem, i, run)
            if curve is None:
                continue
            ct, cy = curve
            keep = (ct >= lo) & (ct <= hi)
            ax.plot(ct[keep], cy[keep], style, color="C0" if label == "fitted" else "0.5",
                    lw=1.6 if label == "fitted" else 1.2, label=f"{label} run ({run})")
        if at:
            ax.plot(t[:len(at)], y, "o", color="C3", ms=4, label="data", zorder=3)
        for k, p in enumerate(windows):
            _window(ax, p, d, k)
        ax.set_xlim(lo, hi)
        if log:
            ax.set_xscale("log")
        ax.set_xlabel(f"time since the data's zero ({d['time_unit']})")
        ax.set_ylabel(f"{d['history']}" + (f" ({d['unit']})" if d["unit"] else ""))
        ax.set_title(f"{s['title']}\n{d['name']}: RMS difference {d['rms_difference']:.3g}"
                     f"{' ' + d['unit'] if d['unit'] else ''}", fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        path = fitdir / f"fit_{d['name']}.png"
        fig.savefig(path, dpi=130)
        plt.close(fig)
        files.append(path)
    return files
