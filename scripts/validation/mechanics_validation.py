"""Stack-mechanics validation against the lab study (docs/lab-study.md): the calibration points
and the predictions of the hardware model, beside the previous model's numbers.

Every run uses the bundled cases unchanged, with the lab holder card
(fem/materials/holders/lab_peek_ti.toml) as calibrated by scripts/calibrate.py; nothing here is
fitted. Runs (each in its own process, ``--jobs`` at a time):

* the 25 MPa hold at 25 degC (calibration) and at 40 degC (prediction): the pressure at 1 min,
  30 min, 1 h, 10 h and 24 h;
* the empty holder at 25 MPa (prediction): the holder card's frame alone (its PEEK insulator
  creeps, Kelvin chain of fem/mechanics/viscoelastic.py) locked on a rigid column, 0-D;
* the Li | Li cell cycled at 5 MPa and 40 degC (prediction: lab "hardly any change");
* the full cell in the fixed gap at 6.4, 12.8, 25.5 (calibration), 38.2 and 51.0 mg/cm^2: the
  first-cycle swing and the end of the first charge; the spring holder's end of first charge.

Writes docs/validation/mechanics_table.md (the table docs/validation.md shows),
docs/validation/mechanics.json (every number) and the figures li_hold.png, full_cell_swing.png,
symmetric_cycling.png. The previous model's numbers (per-case fitted stand-ins, before the
hardware model) are read from docs/validation/mechanics_previous.json.

    .venv/bin/python scripts/validation/mechanics_validation.py [--jobs 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from fem.output.lab_data import HOLD_POINTS  # noqa: E402

DOCS = ROOT / "docs" / "validation"
LOADINGS = [6.4, 12.8, 25.5, 38.2, 51.0]  # mg/cm^2, docs/lab-study.md#cell-build (6.4 to 51)
MILESTONES = {"1 min": 60.0, "30 min": 1800.0, "1 h": 3600.0, "10 h": 36000.0, "24 h": 86400.0}
HOLD = ["Press at 25 MPa for 10 s", "Lock gap", "Rest for 24 h"]
SYM_CYCLING = ["Press at 25 MPa for 30 min", "Release to 5 MPa", "Lock gap",
               "Set temperature to 40 degC", "Rest for 1 h"]
FIRST_CYCLE = ["Charge at C/10 until 4.3 V", "Rest for 30 min", "Discharge at C/10 until 2.5 V"]


def run(name: str, case: str, sets: list[str], tmp: Path) -> dict:
    """One bundled case with ``--set`` overrides in a child process: its history and summary."""
    out = tmp / name
    cmd = [sys.executable, "-m", "fem.cli", "run", case, "-o", str(out), "--no-progress",
           "--set", "output.fields=false", "--set", "output.plots=false"]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    if not (out / "summary.json").is_file():  # a finished run of --workdir is reused
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if r.returncode != 0:
            return {"name": name, "ok": False,
                    "error": (r.stderr.strip().splitlines() or ["?"])[-1]}
        (out / "wall_s.txt").write_text(f"{time.perf_counter() - t0:.1f}\n")
    wall_file = out / "wall_s.txt"
    wall = float(wall_file.read_text()) if wall_file.is_file() else float("nan")
    rows = list(csv.DictReader((out / "history.csv").open()))
    cols = {k: np.array([float(x[k]) for x in rows]) for k in rows[0] if k != "step_label"}
    summary = json.loads((out / "summary.json").read_text())
    print(f"run {name}: {wall:.0f} s", flush=True)
    return {"name": name, "ok": True, "h": cols, "summary": summary, "wall_s": wall}


def hold_curve(h: dict) -> tuple[np.ndarray, np.ndarray]:
    """Time since the start of the press (s) and pressure (MPa) of the hold (steps 0-2)."""
    sel = h["step"] <= 2
    return h["time_s"][sel], h["stack_pressure_MPa"][sel]


def empty_holder(temperature_c: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """The lab holder without a cell: the card's frame (elastic parts and the creeping PEEK
    insulator) pressed to 25 MPa for 10 s and locked on a rigid column (the Ti plungers on each
    other); the pressure then follows from equation (1) of fem/mechanics/holder.py with the
    platen fixed. Returns time (s) and pressure (MPa)."""
    from fem.case import load_case
    from fem.cellstack.settings import holder_settings

    case = load_case(ROOT / "cases" / "li_symmetric_hold.toml",
                     overrides=[f"conditions.temperature={temperature_c} degC"])
    holder = holder_settings(case)
    T = case.temperature
    p, t, times, ps = 25e6, 0.0, [0.0], [25.0]
    holder.set_pressure(p)
    for dt in np.diff(np.linspace(0.0, 10.0, 11)):  # the press: force control for 10 s
        holder.begin_step(dt, T)
        holder.commit(p)
        t += dt
    holder.lock(p, 0.0, T)
    for t_next in np.logspace(1.0, np.log10(86400.0 + 10.0), 400)[1:]:
        dt = t_next - t
        holder.begin_step(dt, T)
        c_p, _ = holder.coefficients()
        p = -holder.residual(0.0, 0.0) / c_p  # c_p p + offset = 0 at U = U_ref
        holder.commit(p)
        t = t_next
        times.append(t)
        ps.append(p / 1e6)
    return np.array(times), np.array(ps)


def _hold_rows(res: dict, prev: dict, out: dict) -> list[tuple]:
    rows = []
    for key, temp in (("hold_rt", "25 degC"), ("hold_40C", "40 degC")):
        if not res[key]["ok"]:
            continue
        t, p = hold_curve(res[key]["h"])
        at = {m: float(np.interp(s + 10.0, t, p)) for m, s in MILESTONES.items()}
        out[key] = at
        for m in MILESTONES:
            lab = {"30 min": "23 MPa", "24 h": "21.1 MPa"}.get(m, "") if key == "hold_rt" else ""
            kind = "calibration" if lab else "prediction"
            if key == "hold_rt" and not lab:
                lab = {"1 min": "fast fall", "1 h": "slowing after about 1 h",
                       "10 h": "saturates by about 10 h"}.get(m, "")
            if key == "hold_40C":
                lab = "a larger drop than at 25 degC" if m == "30 min" else ""
            rows.append((f"25 MPa hold, {temp}: p at {m}", lab,
                         prev.get(f"{key} {m}", "-"), f"{at[m]:.2f} MPa", kind))
    te, pe = empty_holder()
    at = {m: float(np.interp(s + 10.0, te, pe)) for m, s in MILESTONES.items()}
    out["empty_holder"] = at
    rows.append(("empty holder at 25 MPa, 25 degC: drop in 30 min",
                 "a fast initial drop (as the cell's)", prev.get("empty_holder", "-"),
                 f"{25 - at['30 min']:.2f} MPa", "prediction"))
    return rows


def _hold_figure(res: dict) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for key, label in (("hold_rt", "model, 25 degC (calibration)"),
                       ("hold_40C", "model, 40 degC (prediction)")):
        if res[key]["ok"]:
            t, p = hold_curve(res[key]["h"])
            keep = t > 10.0
            ax.semilogx((t[keep] - 10.0) / 60, p[keep], label=label)
    te, pe = empty_holder()
    ax.semilogx((te[1:] - 10.0) / 60, pe[1:], "k:", label="empty holder, model (prediction)")
    ax.plot([t / 60 for t in HOLD_POINTS], list(HOLD_POINTS.values()), "ko",
            label="lab, 25 degC (calibration points)")
    ax.axvspan(600, 1440, color="0.9", label="lab: saturated from about 10 h")
    ax.set_xlabel("time in the hold (min)")
    ax.set_ylabel("stack pressure (MPa)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "li_hold.png", dpi=120)
    plt.close(fig)


def _cycling_rows(res: dict, prev: dict, out: dict) -> list[tuple]:
    r = res["sym_cycling_5MPa"]
    if not r["ok"]:
        return []
    h = r["h"]
    cyc = h["cycle"] > 0
    dp = float(h["stack_pressure_MPa"][cyc].max() - h["stack_pressure_MPa"][cyc].min())
    out["sym_cycling_swing_MPa"] = dp
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot(h["time_s"][cyc] / 3600, h["stack_pressure_MPa"][cyc])
    ax.set_xlabel("time (h)")
    ax.set_ylabel("stack pressure (MPa)")
    ax.set_title("Li | LPSCl | Li at 5 MPa, 40 degC, 0.5 mA/cm$^2$ (prediction)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "symmetric_cycling.png", dpi=120)
    plt.close(fig)
    return [("symmetric cell cycled at 5 MPa, 40 degC: pressure change (2 cycles of 2 h)",
             "hardly at all", prev.get("sym_cycling", "-"), f"{dp:.3f} MPa", "prediction")]


def end_of_first_charge(h: dict) -> float:
    """The pressure at the last row of the first cycle's charge (MPa)."""
    sel = (h["cycle"] == 1) & (h["current_density_mA_cm2"] > 0)
    return float(h["stack_pressure_MPa"][sel][-1])


def _full_cell_rows(res: dict, prev: dict, out: dict) -> list[tuple]:
    rows, swings = [], {}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for m in LOADINGS:
        r = res[f"loading_{m}"]
        if not r["ok"]:
            continue
        swings[m] = r["summary"]["results"]["pressure_swing_per_cycle_MPa"]["1"]
        ax1.plot(r["h"]["time_s"] / 3600, r["h"]["stack_pressure_MPa"], label=f"{m} mg/cm$^2$")
        kind = "calibration" if m == 25.5 else "prediction"
        rows.append((f"NCM811 / LPSCl / Li, {m} mg/cm^2, fixed gap: first-cycle swing",
                     "2.14 MPa" if m == 25.5 else "grows linearly with loading",
                     prev.get(f"swing {m}", "-"), f"{swings[m]:.2f} MPa", kind))
        if m == 25.5:
            e = end_of_first_charge(r["h"])
            out["end_of_charge_fixed_gap_MPa"] = e
            rows.append(("same cell (25.5 mg/cm^2), fixed gap: p at the end of the first charge",
                         "6.96 MPa", prev.get("end_of_charge", "-"), f"{e:.2f} MPa",
                         "calibration"))
    out["swing_MPa"] = swings
    r = res["spring"]
    if r["ok"]:
        e = end_of_first_charge(r["h"])
        s = r["summary"]["results"]["pressure_swing_per_cycle_MPa"]["1"]
        out["spring"] = {"end_of_charge_MPa": e, "swing_MPa": s}
        ax1.plot(r["h"]["time_s"] / 3600, r["h"]["stack_pressure_MPa"], "k--",
                 label="25.5, springs")
        rows += [("same cell, spring holder: p at the end of the first charge",
                  "nearly constant (below the fixed gap's 6.96 MPa)",
                  prev.get("spring_end_of_charge", "-"), f"{e:.2f} MPa", "prediction"),
                 ("same cell, spring holder: first-cycle swing", "nearly constant",
                  prev.get("spring_swing", "-"), f"{s:.3f} MPa", "prediction")]
    # from the release to 5 MPa on (the 25 MPa press would flatten the cycles)
    after = [r["h"]["stack_pressure_MPa"][r["h"]["time_s"] > 2000.0] for r in res.values()
             if r["ok"] and r["name"].startswith(("loading", "spring"))]
    ax1.set_xlim(left=0.5)
    ax1.set_ylim(4.5, 1.05 * max((float(a.max()) for a in after), default=10.0))
    ax1.set_xlabel("time (h)")
    ax1.set_ylabel("stack pressure (MPa)")
    ax1.legend(fontsize=7)
    ax1.grid(alpha=0.3)
    if swings:
        ax2.plot(list(swings), list(swings.values()), "o-",
                 label="model (25.5 calibrated, others predicted)")
        ax2.plot([25.5], [2.14], "ks", label="lab (calibration point)")
    ax2.set_xlabel("cathode loading (mg/cm$^2$)")
    ax2.set_ylabel("first-cycle swing (MPa)")
    ax2.legend(fontsize=8)
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(DOCS / "full_cell_swing.png", dpi=120)
    plt.close(fig)
    return rows


def jobs() -> dict[str, tuple[str, list[str]]]:
    """The runs: name -> (bundled case, --set overrides)."""
    cycle = f"protocol.cycle={json.dumps(FIRST_CYCLE)}"
    return {
        "hold_rt": ("li_symmetric_hold", [f"protocol.steps={json.dumps(HOLD)}"]),
        "hold_40C": ("li_symmetric_hold", [f"protocol.steps={json.dumps(HOLD)}",
                                           "conditions.temperature=40 degC"]),
        "sym_cycling_5MPa": ("li_symmetric_hold", [
            f"protocol.steps={json.dumps(SYM_CYCLING)}",
            'protocol.cycle=["Charge at 0.5 mA/cm^2 for 2 h", "Discharge at 0.5 mA/cm^2 for 2 h"]',
            "protocol.repeat=2"]),
        "spring": ("ncm811_li_spring", [cycle]),
        **{f"loading_{m}": ("ncm811_li_fixed_gap",
                            [f"cell.layers[0].areal_mass={m} mg/cm^2", cycle])
           for m in LOADINGS},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="run only these (names of jobs(); for a check)")
    ap.add_argument("--workdir", type=Path, help="the runs' folder (default: a new temporary "
                    "one); finished runs in it are reused, e.g. to redraw the figures")
    args = ap.parse_args()
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="mech_val_"))
    tmp.mkdir(parents=True, exist_ok=True)
    todo = {k: v for k, v in jobs().items() if not args.only or k in args.only}
    with ThreadPoolExecutor(args.jobs) as ex:
        res = dict(zip(todo, ex.map(lambda kv: run(kv[0], *kv[1], tmp), todo.items()),
                       strict=True))
    for k in jobs():
        res.setdefault(k, {"name": k, "ok": False, "error": "not run (--only)"})
    for r in res.values():
        if not r["ok"]:
            print("FAILED", r["name"], r["error"])
    DOCS.mkdir(parents=True, exist_ok=True)
    prev = json.loads((DOCS / "mechanics_previous.json").read_text())["values"]
    out: dict = {"wall_s": {k: r.get("wall_s") for k, r in res.items()}}
    rows = _hold_rows(res, prev, out) + _cycling_rows(res, prev, out) \
        + _full_cell_rows(res, prev, out)
    _hold_figure(res)
    lines = ["| quantity | lab | previous model | hardware model | kind |",
             "|---|---|---|---|---|"]
    lines += [f"| {' | '.join(r)} |" for r in rows]
    (DOCS / "mechanics_table.md").write_text("\n".join(lines) + "\n")
    (DOCS / "mechanics.json").write_text(json.dumps(out, indent=1) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
