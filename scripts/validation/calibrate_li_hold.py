"""Calibrate the 25 MPa contact hold of `li_symmetric_hold` (docs/lab-study.md#contact-hold;
calibration points: docs/lab-study.md#calibration-points).

Two parameters, on the two room-temperature points only (25 -> 23 MPa at 30 min, 21.1 MPa at
24 h): the holder frame stiffness k and a multiplier m of the Li creep prefactor. A grid in
(log m, log k) is run (in parallel processes), then refined around the best point. Prints the
table and writes docs/validation/li_hold_calibration.json.

    .venv/bin/python scripts/validation/calibrate_li_hold.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from fem.output.lab_data import HOLD_POINTS

ROOT = Path(__file__).resolve().parents[2]
EXE = [sys.executable, "-m", "fem.cli"]
POINTS = HOLD_POINTS  # docs/lab-study.md#contact-hold, room temperature
A_REF = 7.73e-3  # 1/s, the li card's creep_reference_rate
HOLD = ["Press at 25 MPa for 10 s", "Lock gap", "Rest for 24 h"]


def run(m: float, k: float, outdir: Path, extra: list[str]) -> dict:
    out = outdir / f"m{m:.3g}_k{k:.3g}"
    cmd = EXE + ["run", "li_symmetric_hold", "-o", str(out), "--overwrite", "--no-progress",
                 "--set", f"protocol.steps={json.dumps(HOLD)}",
                 "--set", f"materials.li.creep_reference_rate={A_REF * m:.6g} 1/s",
                 "--set", f"holder.frame_stiffness={k:.6g} N/m", *extra]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        return {"m": m, "k": k, "ok": False, "error": r.stderr.strip().splitlines()[-1:]}
    rows = list(csv.DictReader((out / "history.csv").open()))
    t = np.array([float(x["time_s"]) for x in rows])
    p = np.array([float(x["stack_pressure_MPa"]) for x in rows])
    pred = {tt: float(np.interp(tt, t, p)) for tt in POINTS}
    err = float(np.sqrt(np.mean([((pred[tt] - pv) / (25.0 - pv)) ** 2 for tt, pv in POINTS.items()])))
    return {"m": m, "k": k, "ok": True, "pred": pred, "err": err, "t": t.tolist(), "p": p.tolist()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--set", action="append", default=[], help="extra case overrides")
    ap.add_argument("--start", help="skip the coarse grid: start refining at 'm,k'")
    args = ap.parse_args()
    extra = [x for s in args.set for x in ("--set", s)]
    tmp = Path(tempfile.mkdtemp(prefix="li_hold_cal_"))
    results: list[dict] = []

    def sweep(ms, ks):  # the full product of the multipliers and stiffnesses
        with ThreadPoolExecutor(args.jobs) as ex:
            return list(ex.map(lambda mk: run(*mk, tmp, extra), itertools.product(ms, ks)))

    if args.start:
        m0, k0 = (float(v) for v in args.start.split(","))
        results.append(run(m0, k0, tmp, extra))
        stages = (((0.7, 1.0, 1.4), (0.7, 1.0, 1.4)),)
    else:
        results += sweep([1e-3, 1e-2, 1e-1], [3e7, 1.6e8, 1e9])
        stages = (((0.4, 1.0, 2.5), (0.5, 1.0, 2.0)), ((0.7, 1.0, 1.4), (0.7, 1.0, 1.4)))
    for fm, fk in stages + (
                   ((0.85, 1.0, 1.18), (0.85, 1.0, 1.18)),):
        best = min((r for r in results if r["ok"]), key=lambda r: r["err"])
        done = {(r["m"], r["k"]) for r in results}
        grid = [(best["m"] * a, best["k"] * b) for a in fm for b in fk]
        todo = [mk for mk in grid if mk not in done]
        with ThreadPoolExecutor(args.jobs) as ex:
            results += list(ex.map(lambda mk: run(*mk, tmp, extra), todo))
    ok = sorted((r for r in results if r["ok"]), key=lambda r: r["err"])
    print(f"{'multiplier':>10} {'k (N/m)':>10} {'p(30 min)':>10} {'p(24 h)':>9} {'rel. err':>8}")
    for r in ok:
        print(f"{r['m']:10.3g} {r['k']:10.3g} {r['pred'][1800.0]:10.3f} {r['pred'][86400.0]:9.3f}"
              f" {r['err']:8.3f}")
    for r in results:
        if not r["ok"]:
            print("failed:", r["m"], r["k"], r["error"])
    dest = ROOT / "docs" / "validation"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "li_hold_calibration.json").write_text(json.dumps(
        {"lab": {str(k): v for k, v in POINTS.items()}, "best": ok[0], "all": [
            {k: v for k, v in r.items() if k not in ("t", "p")} for r in results]}, indent=1))
    print("best:", ok[0]["m"], ok[0]["k"], "->", dest / "li_hold_calibration.json")


if __name__ == "__main__":
    main()
