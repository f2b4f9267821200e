"""Calibrate the interface model's two free parameters on the symmetric-cell CCDs of the lab study.

Lab study (docs/lab-study.md#critical-current-density): CCD 0.88 mA/cm^2 after a 1 min hold at
25 MPa, 2.15 mA/cm^2 after 30 min.
Parameters, each inside its measured range (fem/interface/parameters.py):
``interface.asperity_size`` (0.5-20 um: the size effect of the Li creeping around the
separator's asperities sets how fast contact grows during the hold and refills voids) and
``interface.flaw_radius`` (1-14 um: the flaw that the Li pressure opens).

The flaw radius enters the short criterion, and the state only through the depth Li creeps into
the flaw (well below a micrometre in these runs), so one run of ``cases/li_symmetric_ccd.toml``
per hold and asperity size (terminator off, whole ramp) gives the CCD for every flaw radius: the
first ramp level whose largest flaw pressure reaches the opening pressure
K_Ic sqrt(pi) / (2 sqrt(a + d)). For each asperity size of the grid the best flaw radius is
found (least squared log error of the two CCDs); the pair with the least error wins (ties: the
smaller flaw). The winner is run again with its flaw radius and the terminator on, and those
CCDs are the ones reported.

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

from fem.interface.parameters import DEFAULTS as INTERFACE_DEFAULTS  # noqa: E402
from fem.output.history import read_history  # noqa: E402

CASE = ROOT / "cases" / "li_symmetric_ccd.toml"
#: hold (s) -> CCD (mA/cm^2), docs/lab-study.md#critical-current-density
LAB = {60.0: 0.88, 1800.0: 2.15}
#: asperity sizes (um) of the grid, inside 0.5-20 um
SIZES = [3.0, 5.0, 8.0, 12.0, 20.0]
#: the flaw radius range (um) searched, and the separator's K_Ic (Pa m^0.5) of the defaults
FLAW_RANGE = (1.0, 14.0)
TOUGHNESS = INTERFACE_DEFAULTS["fracture_toughness"].value


def hold_case(raw: dict, hold_s: float, size_um: float | None, stop: bool,
              flaw_um: float | None = None) -> dict:
    """The bundled case with another hold time (asperity size, flaw), terminator on or off."""
    out = copy.deepcopy(raw)
    out["protocol"]["steps"][0] = f"Press at 25 MPa for {hold_s:g} s"
    out["interface"] = dict(out.get("interface", {}), stop_on_short=stop)
    if size_um is not None:
        out["interface"]["asperity_size"] = f"{size_um:g} um"
    if flaw_um is not None:
        out["interface"]["flaw_radius"] = f"{flaw_um:.6g} um"
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


def level_maxima(out: Path) -> list[tuple[float, float, float]]:
    """(ramp level mA/cm^2, largest flaw pressure Pa, deepest Li in the flaw m) per level."""
    h = read_history(out / "history.csv")
    levels: dict[float, tuple[float, float]] = {}
    for label, pf, d in zip(h["step_label"], h["flaw_pressure_MPa"], h["extrusion_depth_um"],
                            strict=True):
        if "CCD ramp" not in label:
            continue
        lev = float(label.rsplit("[", 1)[1].split()[0])
        old = levels.get(lev, (0.0, 0.0))
        levels[lev] = (max(old[0], float(pf) * 1e6), max(old[1], float(d) * 1e-6))
    return [(lev, pf, d) for lev, (pf, d) in sorted(levels.items())]


def opening_pressure(flaw_um: float, depth: float) -> float:
    """K_Ic sqrt(pi) / (2 sqrt(a + d)) (Pa), fem.interface.contact_state."""
    return TOUGHNESS * math.sqrt(math.pi) / (2.0 * math.sqrt(flaw_um * 1e-6 + depth))


def ccd_for(maxima: list[tuple[float, float, float]], flaw_um: float) -> float | None:
    return next((lev for lev, pf, d in maxima if pf >= opening_pressure(flaw_um, d)), None)


def best_flaw(maxima: dict[float, list]) -> tuple[float, float]:
    """The flaw radius (um) in FLAW_RANGE with the least squared log error, and the error: a
    log scan fine enough that every level change is seen (the CCD is a step function of a)."""
    best = (math.inf, math.nan)
    for a in [FLAW_RANGE[0] * (FLAW_RANGE[1] / FLAW_RANGE[0]) ** (k / 2000) for k in range(2001)]:
        err = 0.0
        for hold, lab in LAB.items():
            ccd = ccd_for(maxima[hold], a)
            err += math.log((ccd if ccd else 10.0) / lab) ** 2
        best = min(best, (round(err, 12), a))
    return best[1], best[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs/validation/ccd_calibration.json"))
    ap.add_argument("--sizes", default=",".join(f"{r:g}" for r in SIZES),
                    help="asperity sizes (um) of the grid, comma separated")
    ap.add_argument("--workdir", help="reuse the finished runs of an earlier call")
    args = ap.parse_args()
    sizes = [float(r) for r in args.sizes.split(",")]
    raw = tomllib.loads(CASE.read_text())
    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="ccd-cal-"))
    work.mkdir(parents=True, exist_ok=True)
    jobs = [(size, hold) for size in sizes for hold in LAB]
    with ThreadPoolExecutor(args.jobs) as pool:
        outs = list(pool.map(lambda j: run(hold_case(raw, j[1], j[0], False), work,
                                           f"l{j[0]:g}_h{j[1]:g}"), jobs))
    table = []
    for size in sizes:
        maxima = {hold: level_maxima(outs[jobs.index((size, hold))]) for hold in LAB}
        a, err = best_flaw(maxima)
        ccds = {f"{hold:g} s": ccd_for(maxima[hold], a) for hold in LAB}
        table.append({"asperity_size_um": size, "flaw_radius_um": a, "ccd_mA_cm2": ccds,
                      "squared_log_error": err})
        print(f"asperity {size:g} um: best flaw {a:.3g} um -> CCD {ccds}, error {err:.3g}",
              flush=True)
    best = min(table, key=lambda r: (round(r["squared_log_error"], 9), r["flaw_radius_um"]))
    with ThreadPoolExecutor(args.jobs) as pool:
        confirm = list(pool.map(
            lambda hold: run(hold_case(raw, hold, best["asperity_size_um"], True,
                                       best["flaw_radius_um"]), work, f"confirm_h{hold:g}"),
            list(LAB)))
    confirmed = {f"{hold:g} s": json.loads((out / "summary.json").read_text())["results"]
                 .get("ccd_mA_cm2") for hold, out in zip(LAB, confirm, strict=True)}
    result = {
        "what": "interface.asperity_size and interface.flaw_radius fitted on the lab study's "
                "CCDs (docs/lab-study.md#critical-current-density: CCD 0.88 mA/cm^2 after 1 min, "
                "2.15 after 30 min at 25 MPa); cases/li_symmetric_ccd.toml, ramp 0.1 mA/cm^2 "
                "steps with 0.1 mAh/cm^2 per half cycle (assumed)",
        "lab_ccd_mA_cm2": {f"{k:g} s": v for k, v in LAB.items()},
        "grid": table,
        "fitted": best,
        "confirmed_ccd_mA_cm2": confirmed,
    }
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")
    print(f"fitted: {best}\nconfirmed by runs with the fitted pair: {confirmed}\n-> {args.out}")


if __name__ == "__main__":
    main()
