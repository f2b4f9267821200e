"""Run every bundled case and check its post-processing: `assb-fem plot`, `assb-fem report` and
the ParaView render of its fields.xdmf (issue 9, acceptance 1 and 2).

For each ``cases/*.toml`` (or the names given): run it into ``WORKDIR/<name>`` (a finished run
already there is reused), then

* ``assb-fem plot``: at least one PNG and one SVG figure in ``OUTDIR/plots``;
* ``assb-fem report``: ``OUTDIR/report.html`` exists and loads nothing from outside (no
  ``src="http`` / ``href="http`` and every image inline);
* ``xvfb-run -a pvpython scripts/paraview/render.py OUTDIR --time last``: the PNG has a picture
  in it (> 200 distinct colours, > 5 % coloured pixels: the checks of tests/test_paraview.py).

Prints one line per case and writes the table as JSON (``--json``). Exit status 1 if any check
failed. ParaView missing: the render column says so and does not count as a failure.

    python scripts/check_bundled_cases.py --workdir /tmp/bundled [--json docs/bundled_cases.json]
        [--ranks 2] [CASE ...]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RENDER = ROOT / "scripts" / "paraview" / "render.py"
#: failures of the virtual X server, not of the script (as in tests/test_paraview.py)
X_FAILURES = ("bad X server connection", "Xvfb failed to start", "cannot open display",
              "GLXBadContext")


def _cli(*args: str, ranks: int = 1) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "fem.cli", *args]
    if ranks > 1:
        mpirun = Path(sys.executable).with_name("mpirun")
        cmd = [str(mpirun), "-n", str(ranks), sys.executable, "-m", "mpi4py", "-m", "fem.cli",
               *args]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def run_case(case: Path, out: Path, ranks: int) -> tuple[bool, str, float]:
    if (out / "summary.json").is_file():
        return True, "reused", 0.0
    t0 = time.perf_counter()
    p = _cli("run", str(case), "-o", str(out), "--overwrite", "--no-progress", ranks=ranks)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        return False, f"run failed ({p.returncode}): {p.stderr.strip().splitlines()[-1:]}", wall
    status = json.loads((out / "summary.json").read_text()).get("status", "?")
    return True, status, wall


def check_plot(out: Path) -> tuple[bool, str]:
    p = _cli("plot", str(out))
    pngs = list((out / "plots").glob("*.png"))
    svgs = list((out / "plots").glob("*.svg"))
    ok = p.returncode == 0 and pngs and svgs
    return bool(ok), f"{len(pngs)} png, {len(svgs)} svg" if ok else p.stderr[-300:]


def check_report(out: Path) -> tuple[bool, str]:
    p = _cli("report", str(out))
    html = out / "report.html"
    if p.returncode != 0 or not html.is_file():
        return False, p.stderr[-300:]
    text = html.read_text()
    external = re.findall(r'(?:src|href)="(?:https?:)?//', text)
    images = re.findall(r'<img [^>]*src="([^"]*)"', text)
    inline = all(s.startswith("data:") for s in images)
    ok = not external and inline
    return ok, f"{len(text) // 1024} kB, {len(images)} inline images" if ok else "not self-contained"


def picture(path: Path) -> tuple[int, float]:
    """(distinct colours, fraction of coloured pixels) of a PNG."""
    from PIL import Image

    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    saturation = img.max(axis=2) - img.min(axis=2)
    return colours, float((saturation > 40).mean())


def check_render(out: Path) -> tuple[bool | None, str]:
    pv, xvfb = shutil.which("pvpython"), shutil.which("xvfb-run")
    if pv is None or xvfb is None:
        return None, "ParaView or xvfb-run not found (apt-get install paraview xvfb)"
    png = out / "paraview" / "check_last.png"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MPLBACKEND")}
    for _attempt in range(4):  # a virtual X server that failed to start is tried again
        p = subprocess.run([xvfb, "-a", pv, str(RENDER), str(out), "--time", "last", "-o",
                            str(png)], capture_output=True, text=True, env=env, cwd=ROOT)
        if p.returncode == 0 or not any(s in p.stdout + p.stderr for s in X_FAILURES):
            break
    if p.returncode != 0 or not png.is_file():
        return False, (p.stdout + p.stderr)[-300:]
    colours, coloured = picture(png)
    ok = colours > 200 and coloured > 0.05
    return ok, f"{colours} colours, {100 * coloured:.0f} % coloured"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help="case names (default: every cases/*.toml)")
    ap.add_argument("--workdir", required=True, help="where the runs go (reused if finished)")
    ap.add_argument("--ranks", type=int, default=1, help="mpirun -n for the runs")
    ap.add_argument("--json", help="write the table here")
    args = ap.parse_args()
    names = args.cases or sorted(p.stem for p in (ROOT / "cases").glob("*.toml"))
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    rows, failed = [], False
    for name in names:
        out = work / name
        ok, status, wall = run_case(ROOT / "cases" / f"{name}.toml", out, args.ranks)
        row = {"case": name, "run": status, "run_wall_s": round(wall, 1)}
        if ok:
            for key, check in (("plot", check_plot), ("report", check_report),
                               ("render", check_render)):
                good, what = check(out)
                row[key] = {"ok": good, "detail": what}
                failed |= good is False
        else:
            failed = True
        rows.append(row)
        cells = " | ".join(f"{k} {'ok' if v['ok'] else ('skipped' if v['ok'] is None else 'FAIL')}"
                           f" ({v['detail']})" for k, v in row.items() if isinstance(v, dict))
        print(f"{name}: run {status} ({wall:.0f} s) | {cells}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
