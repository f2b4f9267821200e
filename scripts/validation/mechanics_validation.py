"""Stack-mechanics validation against the lab study (docs/lab-study.md): calibration points and
predictions.

Runs the bundled cases (each in its own process), writes figures to docs/validation/ and the
table docs/validation/mechanics_table.md that docs/validation.md includes. Calibrated values
live in the case files (see calibrate_li_hold.py and calibrate_swing.py).

    .venv/bin/python scripts/validation/mechanics_validation.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from fem.output.lab_data import HOLD_POINTS  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "validation"
LOADINGS = [6.4, 12.8, 25.5, 38.2, 51.0]  # mg/cm^2, docs/lab-study.md#cell-build (6.4 to 51)
SYM_CYCLING = ["Press at 25 MPa for 10 s", "Lock gap", "Rest for 30 min", "Release to 5 MPa",
               "Lock gap", "Rest for 10 min"]


def run(name: str, case: str, sets: list[str], tmp: Path) -> dict:
    out = tmp / name
    cmd = [sys.executable, "-m", "fem.cli", "run", case, "-o", str(out), "--overwrite",
           "--no-progress", "--set", "output.fields=false", "--set", "output.plots=false"]
    for s in sets:
        cmd += ["--set", s]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return {"name": name, "ok": False, "error": r.stderr.strip().splitlines()[-1]}
    rows = list(csv.DictReader((out / "history.csv").open()))
    cols = {k: np.array([float(x[k]) for x in rows]) for k in rows[0] if k != "step_label"}
    summary = json.loads((out / "summary.json").read_text())
    return {"name": name, "ok": True, "h": cols, "summary": summary}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="mech_val_"))
    jobs = {
        "hold_rt": ("li_symmetric_hold", []),
        "hold_40C": ("li_symmetric_hold", ["conditions.temperature=40 degC"]),
        "sym_cycling_5MPa": ("li_symmetric_hold", [
            f"protocol.steps={json.dumps(SYM_CYCLING)}",
            'protocol.cycle=["Charge at 0.5 mA/cm^2 for 2 h", "Discharge at 0.5 mA/cm^2 for 2 h"]',
            "protocol.repeat=2", "conditions.temperature=40 degC"]),
        "spring": ("ncm811_li_spring", []),
        **{f"loading_{m}": ("ncm811_li_fixed_gap", [f"cell.layers[0].areal_mass={m} mg/cm^2"])
           for m in LOADINGS},
    }
    with ThreadPoolExecutor(args.jobs) as ex:
        res = dict(zip(jobs, ex.map(lambda kv: run(kv[0], *kv[1], tmp), jobs.items()),
                       strict=True))
    for r in res.values():
        if not r["ok"]:
            print("FAILED", r["name"], r["error"])
    DOCS.mkdir(parents=True, exist_ok=True)
    rows = []

    # 1. the 25 MPa hold (calibration at RT, prediction at 40 degC)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for key, label in (("hold_rt", "model, 25 degC (calibrated)"),
                       ("hold_40C", "model, 40 degC (prediction)")):
        if res[key]["ok"]:
            h = res[key]["h"]
            sel = h["step"] == 2
            t = h["time_s"][sel] - h["time_s"][sel][0] + 10.0
            ax.semilogx(t / 60, h["stack_pressure_MPa"][sel], label=label)
    ax.plot([t / 60 for t in HOLD_POINTS], list(HOLD_POINTS.values()), "ko",
            label="lab, 25 degC (lab study, contact hold)")
    ax.set_xlabel("time in the hold (min)")
    ax.set_ylabel("stack pressure (MPa)")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "li_hold.png", dpi=120)
    plt.close(fig)

    def p_at(key: str, t_hold: float) -> float:
        h = res[key]["h"]
        sel = h["step"] == 2
        return float(np.interp(t_hold, h["time_s"][sel] - h["time_s"][sel][0] + 10.0,
                               h["stack_pressure_MPa"][sel]))

    if res["hold_rt"]["ok"]:
        rows += [("25 MPa hold, 25 degC: p at 30 min", "23 MPa", f"{p_at('hold_rt', 1800):.2f} MPa",
                  "calibration"),
                 ("25 MPa hold, 25 degC: p at 24 h", "21.1 MPa", f"{p_at('hold_rt', 86400):.2f} MPa",
                  "calibration")]
    if res["hold_40C"]["ok"]:
        rows += [("25 MPa hold, 40 degC: drop in 30 min", "larger than at 25 degC (2.2 MPa)",
                  f"{25 - p_at('hold_40C', 1800):.2f} MPa", "prediction")]

    # 2. symmetric cell cycled at 5 MPa
    if res["sym_cycling_5MPa"]["ok"]:
        h = res["sym_cycling_5MPa"]["h"]
        cyc = h["cycle"] > 0
        dp = h["stack_pressure_MPa"][cyc].max() - h["stack_pressure_MPa"][cyc].min()
        rows.append(("symmetric cell cycled at 5 MPa, 40 degC: pressure change", "hardly at all",
                     f"{dp:.3f} MPa", "prediction"))
        fig, ax = plt.subplots(figsize=(6, 3))
        ax.plot(h["time_s"][cyc] / 3600, h["stack_pressure_MPa"][cyc])
        ax.set_xlabel("time (h)")
        ax.set_ylabel("stack pressure (MPa)")
        ax.set_title("Li | LPSCl | Li at 5 MPa, 0.5 mA/cm$^2$ (prediction)")
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(DOCS / "symmetric_cycling.png", dpi=120)
        plt.close(fig)

    # 3. full cell: swing against loading, fixed gap and springs
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    swings = []
    for m in LOADINGS:
        r = res[f"loading_{m}"]
        if r["ok"]:
            swings.append((m, r["summary"]["results"]["pressure_swing_per_cycle_MPa"]["1"]))
            h = r["h"]
            ax1.plot(h["time_s"] / 3600, h["stack_pressure_MPa"], label=f"{m} mg/cm$^2$")
    if res["spring"]["ok"]:
        h = res["spring"]["h"]
        ax1.plot(h["time_s"] / 3600, h["stack_pressure_MPa"], "k--", label="25.5, springs")
    ax1.set_xlabel("time (h)")
    ax1.set_ylabel("stack pressure (MPa)")
    ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3)
    if swings:
        ms, ss = zip(*swings, strict=True)
        ax2.plot(ms, ss, "o-", label="model (25.5 calibrated, others predicted)")
        ax2.plot([25.5], [2.14], "ks", label="lab (lab study, full cell)")
    ax2.set_xlabel("cathode loading (mg/cm$^2$)")
    ax2.set_ylabel("first-cycle swing (MPa)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "full_cell_swing.png", dpi=120)
    plt.close(fig)
    for m, s in swings:
        rows.append((f"NCM811/LPSCl/Li, {m} mg/cm^2, fixed gap: first-cycle swing",
                     "2.14 MPa" if m == 25.5 else "grows linearly with loading",
                     f"{s:.2f} MPa", "calibration" if m == 25.5 else "prediction"))
    r25 = res["loading_25.5"]
    if r25["ok"]:
        h = r25["h"]
        end_charge = h["stack_pressure_MPa"][(h["cycle"] == 1) & (h["current_density_mA_cm2"] > 0)][-1]
        rows.append(("same cell, fixed gap: p at the end of the first charge", "6.96 MPa",
                     f"{end_charge:.2f} MPa", "prediction (constant C/10, not the lab's ramp)"))
    if res["spring"]["ok"]:
        s = res["spring"]["summary"]["results"]["pressure_swing_per_cycle_MPa"]["1"]
        rows.append(("same cell, spring holder: first-cycle swing", "nearly constant",
                     f"{s:.3f} MPa", "prediction"))

    lines = ["| quantity | lab | model | kind |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    (DOCS / "mechanics_table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
