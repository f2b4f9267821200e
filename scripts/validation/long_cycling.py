"""Long cycling to a short, both holders (a prediction: nothing is fitted to it).

The lab study's long-cycling test (docs/lab-study.md#li-metal-full-cells): the NCM811 | LPSCl |
Li full cell at 5 MPa and 40 degC, two cycles at 0.2 mA/cm^2, then cycles at 0.5 mA/cm^2; the
fixed-gap cell shorted in the 2nd cycle at 0.5 mA/cm^2, the spring cell ran more than 50 cycles.
Runs `assb-fem sweep cases/ncm811_li_long_cycling.toml --vary holder.type=fixed_gap,spring`
(one run per holder, in parallel with --jobs 2) and writes the cycles each holder ran before a
predicted short, the pressure swing and the largest flaw-pressure ratio per cycle, and the
wall time of each run:

    python scripts/validation/long_cycling.py [--jobs 2] [--repeat 48] [--reuse DIR]
        -> docs/validation/long_cycling.json, docs/figures/long_cycling.png

One summary line per holder is printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "cases" / "ncm811_li_long_cycling.toml"
HOLDERS = ("fixed_gap", "spring")


def run_sweep(outdir: Path, jobs: int, repeat: int) -> None:
    """The two runs through the product's own sweep command."""
    cmd = [sys.executable, "-m", "fem.cli", "sweep", str(CASE), "-o", str(outdir),
           "--vary", "holder.type=" + ",".join(HOLDERS), "--jobs", str(jobs), "--no-progress",
           "--set", f"protocol.repeat={repeat}"]
    if outdir.exists():
        cmd.append("--overwrite")
    subprocess.run(cmd, cwd=ROOT, check=False)


def per_cycle(history: Path) -> dict[str, dict[str, float]]:
    """Pressure swing and largest flaw-pressure ratio of each cycle (cycle 0: the assembly and
    the two formation cycles at 0.2 mA/cm^2)."""
    rows = list(csv.DictReader(history.open()))
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        c = out.setdefault(r["cycle"], {"p_min": float("inf"), "p_max": -float("inf"),
                                        "flaw_ratio": 0.0})
        p = float(r["stack_pressure_MPa"])
        c["p_min"], c["p_max"] = min(c["p_min"], p), max(c["p_max"], p)
        c["flaw_ratio"] = max(c["flaw_ratio"], float(r["flaw_pressure_ratio"]))
    return {k: {"swing_MPa": v["p_max"] - v["p_min"], "max_pressure_MPa": v["p_max"],
                "max_flaw_pressure_ratio": v["flaw_ratio"]} for k, v in out.items()}


def collect(outdir: Path) -> dict:
    """The result of each holder's run from the sweep folder."""
    results = {}
    for run in sorted((outdir / "runs").iterdir()):
        summary = json.loads((run / "summary.json").read_text())
        holder = next(h for h in HOLDERS if run.name.endswith(h))
        res = summary["results"]
        short = res.get("short")
        cycles = per_cycle(run / "history.csv")
        results[holder] = {
            "status": summary["status"],
            "cycles_completed": res.get("cycles_completed"),
            "short_cycle": res.get("short_cycle"),
            "short": None if short is None else {k: short[k] for k in (
                "time_s", "protocol_label", "current_density_mA_cm2", "mechanism")},
            "max_stack_pressure_after_assembly_MPa": max(
                c["max_pressure_MPa"] for k, c in cycles.items() if k != "0"),
            "max_flaw_pressure_ratio": res.get("max_flaw_pressure_ratio"),
            "per_cycle": cycles,
            "wall_time_s": summary["wall_time_s"],
            "steps": summary["steps_accepted"],
            "run": str(run),
        }
    return results


def figure(results: dict, path: Path) -> None:
    """Stack pressure against time for both holders, and the flaw-pressure ratio per cycle."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    for holder, res in results.items():
        rows = list(csv.DictReader((Path(res["run"]) / "history.csv").open()))
        t = [float(r["time_s"]) / 3600 for r in rows]
        ax1.plot(t, [float(r["stack_pressure_MPa"]) for r in rows], label=holder, lw=0.8)
        cyc = sorted((int(k), v) for k, v in res["per_cycle"].items() if k != "0")
        ax2.plot([k for k, _ in cyc], [v["max_flaw_pressure_ratio"] for _, v in cyc],
                 marker=".", label=holder)
    ax1.set_xlabel("time [h]")
    ax1.set_ylabel("stack pressure [MPa]")
    ax1.set_ylim(0, 10)
    ax1.set_title("NCM811 | LPSCl | Li, 5 MPa, 40 degC", fontsize="medium")
    ax2.axhline(1.0, color="k", lw=0.8, ls="--")
    ax2.set_xlabel("cycle at 0.5 mA/cm^2")
    ax2.set_ylabel("largest flaw pressure / opening pressure")
    ax2.set_ylim(0, 1.1)
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.savefig(path, dpi=110)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=48, help="cycles at 0.5 mA/cm^2")
    ap.add_argument("--outdir", type=Path, default=ROOT / "results" / "long-cycling-sweep")
    ap.add_argument("--reuse", action="store_true", help="read a finished sweep folder")
    ap.add_argument("--json", type=Path, default=ROOT / "docs" / "validation" / "long_cycling.json")
    ap.add_argument("--figure", type=Path, default=ROOT / "docs" / "figures" / "long_cycling.png")
    args = ap.parse_args()
    if not args.reuse:
        run_sweep(args.outdir, args.jobs, args.repeat)
    results = collect(args.outdir)
    lab = {"fixed_gap": "shorted in the 2nd cycle at 0.5 mA/cm^2",
           "spring": "more than 50 cycles"}
    for holder, res in results.items():
        print(f"long cycling, {holder}: {res['cycles_completed']} cycles at 0.5 mA/cm^2 "
              f"completed, short in cycle {res['short_cycle']}, largest flaw-pressure ratio "
              f"{res['max_flaw_pressure_ratio']:.3f}, highest pressure after assembly "
              f"{res['max_stack_pressure_after_assembly_MPa']:.3f} MPa, "
              f"{res['wall_time_s']:.0f} s (lab: {lab[holder]})")
    args.json.write_text(json.dumps({"repeat": args.repeat, "lab": lab, "results": {
        h: {k: v for k, v in r.items() if k != "run"} for h, r in results.items()}},
        indent=1) + "\n")
    figure(results, args.figure)


if __name__ == "__main__":
    main()
