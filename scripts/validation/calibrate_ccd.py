"""Calibrate the interface model's two parameters on the symmetric-cell CCDs of the lab study.

Lab study (docs/lab-study.md#critical-current-density): CCD 0.88 mA/cm^2 after a 1 min hold at
25 MPa, 2.15 mA/cm^2 after 30 min.
Parameters: the micro-scale Li creep rate ``interface.creep_reference_rate`` (it sets how fast
contact grows during the hold, how fast creep refills voids and how fast Li extrudes) and the
critical local current density ``interface.critical_local_current_density``.

The critical current density enters only the short criterion, not the state, so one run of
``cases/li_symmetric_ccd.toml`` per hold and creep rate (terminator off, whole ramp) gives the
CCD for every critical current density: the first ramp level whose largest focused plating
current exceeds it. For each creep rate of a log grid the best critical current density is
found; the pair with the least squared log error wins. Equal errors: the rate nearest the
grid's geometric centre.

    python scripts/validation/calibrate_ccd.py [--jobs 2]   -> docs/validation/ccd_calibration.json
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fem.output.history import read_history  # noqa: E402

CASE = ROOT / "cases" / "li_symmetric_ccd.toml"
#: hold (s) -> CCD (mA/cm^2), docs/lab-study.md#critical-current-density
LAB = {60.0: 0.88, 1800.0: 2.15}
RATES = [3e-12, 1e-11, 3e-11]


def hold_case(raw: dict, hold_s: float, rate: float | None, stop: bool) -> dict:
    """The bundled case with another hold time (and creep rate), terminator on or off."""
    out = copy.deepcopy(raw)
    out["protocol"]["steps"][0] = f"Press at 25 MPa for {hold_s:g} s"
    out["interface"] = dict(out.get("interface", {}), stop_on_short=stop)
    if rate is not None:
        out["interface"]["creep_reference_rate"] = f"{rate:g} 1/s"
    out["output"] = {"fields": False, "plots": False}
    return out


def run(raw: dict, workdir: Path, tag: str) -> Path:
    """One run through the CLI (a fresh process per run), returns its output folder (a
    finished run already there is reused)."""
    import tomli_w

    if (workdir / tag / "summary.json").is_file():
        return workdir / tag
    case = workdir / f"{tag}.toml"
    case.write_bytes(tomli_w.dumps(raw).encode())
    out = workdir / tag
    subprocess.run([sys.executable, "-m", "fem.cli", "run", str(case), "-o", str(out),
                    "--overwrite", "--no-progress"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def level_maxima(out: Path) -> list[tuple[float, float]]:
    """(ramp level mA/cm^2, largest focused plating current mA/cm^2 in it), in ramp order."""
    h = read_history(out / "history.csv")
    levels: dict[float, float] = {}
    for label, foc in zip(h["step_label"], h["focused_current_density_mA_cm2"], strict=True):
        if "CCD ramp" not in label:
            continue
        lev = float(label.rsplit("[", 1)[1].split()[0])
        levels[lev] = max(levels.get(lev, 0.0), float(foc))
    return sorted(levels.items())


def ccd_for(maxima: list[tuple[float, float]], i_crit: float) -> float | None:
    return next((lev for lev, foc in maxima if foc > i_crit), None)


def best_icrit(maxima: dict[float, list]) -> tuple[float, float]:
    """The critical current density (mA/cm^2) with the least squared log error, and it."""
    candidates = sorted({foc for m in maxima.values() for _, foc in m})
    best = (math.inf, math.nan)
    for k, c in enumerate(candidates):  # thresholds between the observed maxima
        ic = 0.5 * (c + candidates[k + 1]) if k + 1 < len(candidates) else c * 1.01
        err = 0.0
        for hold, lab in LAB.items():
            ccd = ccd_for(maxima[hold], ic)
            err += math.log((ccd if ccd else 10.0) / lab) ** 2
        best = min(best, (err, ic))
    return best[1], best[0]


def _off_centre(row: dict, rates: list[float]) -> float:
    """Distance (in log) of a row's rate from the grid's geometric centre: the tie-break when
    several rates fit equally well (the data then do not pin the rate down)."""
    centre = 0.5 * (math.log(min(rates)) + math.log(max(rates)))
    return abs(math.log(row["creep_reference_rate_1_s"]) - centre)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs/validation/ccd_calibration.json"))
    ap.add_argument("--rates", default=",".join(f"{r:g}" for r in RATES),
                    help="creep rates (1/s) of the grid, comma separated")
    ap.add_argument("--workdir", help="reuse the finished runs of an earlier call")
    args = ap.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    raw = tomllib.loads(CASE.read_text())
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="ccd-cal-"))
    jobs = [(rate, hold) for rate in rates for hold in LAB]
    with ThreadPoolExecutor(args.jobs) as pool:
        outs = list(pool.map(lambda j: run(hold_case(raw, j[1], j[0], False), work,
                                           f"r{j[0]:g}_h{j[1]:g}"), jobs))
    table = []
    for rate in rates:
        maxima = {hold: level_maxima(outs[jobs.index((rate, hold))]) for hold in LAB}
        ic, err = best_icrit(maxima)
        ccds = {f"{hold:g} s": ccd_for(maxima[hold], ic) for hold in LAB}
        table.append({"creep_reference_rate_1_s": rate, "critical_mA_cm2": ic,
                      "ccd_mA_cm2": ccds, "squared_log_error": err})
        print(f"rate {rate:.3g} 1/s: best i_crit {ic:.3g} mA/cm^2 -> CCD {ccds}, "
              f"error {err:.3g}", flush=True)
    best = min(table, key=lambda r: (round(r["squared_log_error"], 9), _off_centre(r, rates)))
    result = {
        "what": "interface.creep_reference_rate and interface.critical_local_current_density "
                "fitted on the lab study's CCDs (docs/lab-study.md#critical-current-density: CCD "
                "0.88 mA/cm^2 after 1 min, 2.15 after 30 min at 25 MPa); cases/li_symmetric_ccd.toml, "
                "ramp 0.1 mA/cm^2 steps with 0.1 mAh/cm^2 per half cycle (assumed)",
        "lab_ccd_mA_cm2": {f"{k:g} s": v for k, v in LAB.items()},
        "grid": table,
        "fitted": best,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"fitted: {best}\n-> {args.out}")


if __name__ == "__main__":
    main()
