"""The CCD figure of docs/validation.md from docs/validation/ccd_calibration.json and
ccd_predictions.json (written by calibrate_ccd.py and ccd_predictions.py; no runs here), with
the previous interface model's numbers (the *_previous.json files, kept as they were) in grey.

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
    kw.setdefault("marker", "o")
    ax.plot(xs, [v for v, _ in vals], **kw)
    for x, (v, lower) in zip(xs, vals, strict=True):
        if lower:
            ax.annotate("no short", (x, v), textcoords="offset points", xytext=(0, 6),
                        ha="center", fontsize=7)


def _series(group: dict, field: int = 0) -> tuple[list[float], list[dict]]:
    """The entries of a prediction group ordered by the number in word ``field`` of their
    labels ("300 s", "10 MPa", "spring 5 MPa"), with those numbers."""
    keys = sorted(group, key=lambda k: float(k.split()[field]))
    return [float(k.split()[field]) for k in keys], [group[k] for k in keys]


def _load(suffix: str) -> dict:
    """Predictions with the calibration runs added as hold (1 and 30 min) and pressure (5 MPa)
    entries, and the 5 MPa full-cell loading runs as holder entries."""
    pred = json.loads((ROOT / f"docs/validation/ccd_predictions{suffix}.json").read_text())
    cal = json.loads((ROOT / f"docs/validation/ccd_calibration{suffix}.json").read_text())
    ccds = cal.get("confirmed_ccd_mA_cm2") or cal["fitted"]["ccd_mA_cm2"]
    fitted = {float(k.split()[0]): v for k, v in ccds.items()}
    pred.setdefault("hold", {}).update(
        {f"{h:g} s": {"ccd_mA_cm2": v, "ccd_lower_bound_mA_cm2": None}
         for h, v in fitted.items()})
    pred.setdefault("pressure", {})["5 MPa"] = {"ccd_mA_cm2": fitted[1800.0],
                                                "ccd_lower_bound_mA_cm2": None}
    for k, v in pred.get("loading", {}).items():
        if k.endswith(" 25.5 mg/cm^2"):
            pred.setdefault("holder", {})[f"{k.split()[0]} 5 MPa"] = v
    return pred


def _panels(axes, pred: dict, old: bool) -> None:
    kw = dict(color="0.6", ls="--", ms=4) if old else {}
    tag = "previous model" if old else "model"
    if "hold" in pred:
        xs, entries = _series(pred["hold"])
        _plot(axes[0, 0], [x / 60 for x in xs], entries, label=tag, **kw)
    if "pressure" in pred:
        _plot(axes[0, 1], *_series(pred["pressure"]), label=tag, **kw)
    loading = pred.get("loading", {})
    for kind in ("fixed_gap", "spring"):
        group = {k: v for k, v in loading.items() if k.startswith(kind)}
        if group:
            _plot(axes[1, 0], *_series(group, 1), label=f"{tag}, {kind.replace('_', ' ')} 5 MPa",
                  **kw)
        old_style = {k: v for k, v in loading.items() if k[0].isdigit()}
        if old_style and kind == "fixed_gap":
            _plot(axes[1, 0], *_series(old_style), label=f"{tag}, fixed gap 5 MPa", **kw)
        group = {k: v for k, v in pred.get("holder", {}).items() if k.startswith(kind)}
        if group:
            _plot(axes[1, 1], *_series(group, 1), label=f"{tag}, {kind.replace('_', ' ')}",
                  marker="o" if kind == "fixed_gap" else "s", **kw)


def main() -> None:
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    _panels(axes, _load("_previous"), old=True)
    _panels(axes, _load(""), old=False)
    ax = axes[0, 0]
    ax.plot([h / 60 for h in LAB_HOLD], list(LAB_HOLD.values()), "ks", ms=8,
            label="lab (calibration points)")
    ax.axhspan(0.3, 2.15, color="0.9", label="lab spread over all holds")
    ax.set(xscale="log", xlabel="hold at 25 MPa (min)", ylabel="CCD (mA/cm$^2$)",
           title="symmetric cell: CCD vs hold time")
    ax = axes[0, 1]
    ax.axvline(10, color="r", ls=":", label="lab: >= 10 MPa pushes Li through")
    ax.set(xlabel="stack pressure when cycling (MPa)", ylabel="CCD (mA/cm$^2$)",
           title="symmetric, 30 min hold: CCD vs pressure")
    ax = axes[1, 0]
    ax.axhspan(0.3, 1.0, color="0.9", label="lab: full-cell CCDs 0.3-1.0")
    ax.set(xlabel="cathode loading (mg/cm$^2$)", ylabel="CCD (mA/cm$^2$)",
           title="NCM811 | LPSCl | Li: CCD vs loading")
    axes[1, 1].set(xlabel="initial stack pressure (MPa)", ylabel="CCD (mA/cm$^2$)",
                   title="25.5 mg/cm$^2$ full cell: fixed gap vs springs")
    for a in axes.flat:
        a.set_ylim(0.0, 3.2)
        a.legend(fontsize=7)
    fig.suptitle("critical current density: calibration (1 and 30 min holds) and predictions")
    fig.tight_layout()
    out = ROOT / "docs/figures/ccd_predictions.png"
    fig.savefig(out, dpi=110)
    print(f"-> {out}")


if __name__ == "__main__":
    main()
