"""The CCD figure of docs/validation.md from docs/validation/ccd_calibration.json and
ccd_predictions.json (written by calibrate_ccd.py and ccd_predictions.py; no runs here).

    python scripts/validation/ccd_figures.py   -> docs/figures/ccd_predictions.png
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
LAB_HOLD = {60.0: 0.88, 1800.0: 2.15}


def _ccd(entry: dict) -> tuple[float, bool]:
    """(value, is a lower bound)."""
    if entry["ccd_mA_cm2"] is not None:
        return entry["ccd_mA_cm2"], False
    return entry["ccd_lower_bound_mA_cm2"] or 0.0, True


def _plot(ax, xs, entries, **kw):
    vals = [_ccd(e) for e in entries]
    ax.plot(xs, [v for v, _ in vals], "o-", **kw)
    for x, (v, lower) in zip(xs, vals, strict=True):
        if lower:
            ax.annotate("no short", (x, v), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=7)


def _series(group: dict, field: int = 0) -> tuple[list[float], list[dict]]:
    """The entries of a prediction group ordered by the number in word ``field`` of their
    labels ("300 s", "10 MPa", "spring 5 MPa"), with those numbers."""
    keys = sorted(group, key=lambda k: float(k.split()[field]))
    return [float(k.split()[field]) for k in keys], [group[k] for k in keys]


def main() -> None:
    pred = json.loads((ROOT / "docs/validation/ccd_predictions.json").read_text())
    cal = json.loads((ROOT / "docs/validation/ccd_calibration.json").read_text())["fitted"]
    fitted = {float(k.split()[0]): v for k, v in cal["ccd_mA_cm2"].items()}
    pred.setdefault("hold", {}).update(  # the calibration runs: 1 min, 30 min
        {f"{h:g} s": {"ccd_mA_cm2": v, "ccd_lower_bound_mA_cm2": None}
         for h, v in fitted.items()})
    pred.setdefault("pressure", {})["5 MPa"] = {"ccd_mA_cm2": fitted[1800.0],
                                                "ccd_lower_bound_mA_cm2": None}
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    if "hold" in pred:
        xs, entries = _series(pred["hold"])
        _plot(ax, [x / 60 for x in xs], entries, label="model")
    ax.plot([h / 60 for h in LAB_HOLD], list(LAB_HOLD.values()), "ks", ms=8,
            label="lab (calibration points)")
    ax.axhspan(0.3, 2.15, color="0.9", label="lab spread over all holds")
    ax.set(xscale="log", xlabel="hold at 25 MPa (min)", ylabel="CCD (mA/cm$^2$)",
           title="symmetric cell: CCD vs hold time")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    if "pressure" in pred:
        _plot(ax, *_series(pred["pressure"]), label="model")
    ax.axvline(10, color="r", ls=":", label="lab: >= 10 MPa pushes Li through")
    ax.set(xlabel="stack pressure when cycling (MPa)", ylabel="CCD (mA/cm$^2$)",
           title="symmetric, 30 min hold: CCD vs pressure")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    if "loading" in pred:
        _plot(ax, *_series(pred["loading"]), label="model, fixed gap 5 MPa")
    ax.axhspan(0.3, 1.0, color="0.9", label="lab: full-cell CCDs 0.3-1.0")
    ax.set(xlabel="cathode loading (mg/cm$^2$)", ylabel="CCD (mA/cm$^2$)",
           title="NCM811 | LPSCl | Li: CCD vs loading")
    ax.legend(fontsize=8)
    ax = axes[1, 1]
    if "holder" in pred:
        for kind in ("fixed_gap", "spring"):
            group = {k: v for k, v in pred["holder"].items() if k.startswith(kind)}
            _plot(ax, *_series(group, 1), label=kind.replace("_", " "))
    ax.set(xlabel="initial stack pressure (MPa)", ylabel="CCD (mA/cm$^2$)",
           title="25.5 mg/cm$^2$ full cell: fixed gap vs springs")
    ax.legend(fontsize=8)
    for a in axes.flat:
        a.set_ylim(0.0, 2.6)
    fig.suptitle("critical current density: calibration (1 and 30 min holds) and predictions")
    fig.tight_layout()
    out = ROOT / "docs/figures/ccd_predictions.png"
    fig.savefig(out, dpi=110)
    print(f"-> {out}")


if __name__ == "__main__":
    main()
