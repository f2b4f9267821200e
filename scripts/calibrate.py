"""Re-run the calibration of the lab holder card and write its fitted values.

    python scripts/calibrate.py [--jobs N] [-o results/calibration] [--no-write]

1. ``assb-fem fit calibration/lab_peek_ti.toml``: least squares of the card's four unreported
   values (die clearance, plunger edge chamfer, screw thermal expansion, load-cell compliance)
   on the lab study's calibration points (the 25 MPa hold at 30 min and 24 h and its
   saturation; the full cell's first cycle: the end of its charge and its swing), over full
   runs of the bundled cases (resumable: finished runs are reused).
2. The fitted values go into ``fem/materials/holders/lab_peek_ti.toml`` (value and source: the
   fit, its date and confidence interval; the prior range stays), unless ``--no-write``.
3. The fit report and figures are copied to ``docs/validation/calibration/``.

Nothing else is written; the fit folder is the fit's own (``assb-fem fit`` refuses a folder it
did not make).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "calibration" / "lab_peek_ti.toml"
CARD = ROOT / "fem" / "materials" / "holders" / "lab_peek_ti.toml"
DOCS = ROOT / "docs" / "validation" / "calibration"
PREFIX = "holder.card_values."


def run_fit(outdir: Path, jobs: int) -> Path:
    """``assb-fem fit`` in a child process; an earlier fit folder there is continued (its
    finished runs are reused)."""
    cmd = [sys.executable, "-m", "fem.cli", "fit", str(SPEC), "-o", str(outdir),
           "--jobs", str(jobs), "--no-progress"]
    rc = subprocess.call(cmd, cwd=ROOT)
    if rc != 0:
        sys.exit(f"calibrate: assb-fem fit exited with {rc}")
    return outdir / "fit.json"


def _meaning(old: str) -> str:
    """An old source without its leading 'fitted (...)' or 'provisional (...)' part (matched
    brackets) and the '; ' or ': ' after it: the meaning of the value and its prior range."""
    for lead in ("fitted (", "provisional ("):
        if old.startswith(lead):
            depth = 0
            for i, ch in enumerate(old):
                depth += {"(": 1, ")": -1}.get(ch, 0)
                if depth == 0 and ch == ")":
                    return old[i + 1:].lstrip(";:").strip()
    return old


def _source(p: dict, date: str, conf: int, old: str) -> str:
    """The card's new source: the fit, then the meaning of the value and its prior range."""
    lo, hi = p["ci"]
    ci = (f"{conf} % CI {lo:.3g}-{hi:.3g} {p['unit']}" if lo is not None and hi is not None
          else "not identified by the data")
    return (f"fitted (assb-fem fit, calibration/lab_peek_ti.toml, {date}: {ci}; "
            f"docs/validation/calibration/fit.md); {_meaning(old)}")


def write_card(fit: dict) -> list[str]:
    """Put the fitted values and their sources into the card; returns the changed keys."""
    text = CARD.read_text(encoding="utf-8")
    date = fit.get("created", dt.date.today().isoformat())[:10]
    conf = round(100 * fit["uncertainty"]["confidence"])
    changed = []
    for p in fit["parameters"]:
        if not p["path"].startswith(PREFIX):
            continue
        key = p["path"][len(PREFIX):]
        block = re.compile(rf'(\[parameters\.{re.escape(key)}\]\nvalue = )"[^"]*"(\nsource = )"([^"]*)"')
        m = block.search(text)
        if m is None:
            sys.exit(f"calibrate: the card has no [parameters.{key}] with value and source")
        value = f"{p['value']:.4g} {p['unit']}".strip()
        new = f'{m.group(1)}"{value}"{m.group(2)}"{_source(p, date, conf, m.group(3))}"'
        text = text[:m.start()] + new + text[m.end():]
        changed.append(f"{key} = {value}")
    CARD.write_text(text, encoding="utf-8")
    return changed


def copy_report(outdir: Path) -> None:
    """fit.md, fit.json and the figures into the docs, the repository's paths made relative
    (the report names the spec, the cases and the fit folder by absolute path)."""
    DOCS.mkdir(parents=True, exist_ok=True)
    for f in [outdir / "fit.md", outdir / "fit.json"]:
        if f.exists():
            (DOCS / f.name).write_text(f.read_text(encoding="utf-8").replace(f"{ROOT}/", ""),
                                       encoding="utf-8")
    for f in sorted(outdir.glob("fit_*.png")):
        shutil.copy2(f, DOCS / f.name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--outdir", type=Path, default=ROOT / "results" / "calibration")
    ap.add_argument("--jobs", type=int, default=2, help="runs in parallel (default 2)")
    ap.add_argument("--no-write", action="store_true", help="leave the card as it is")
    args = ap.parse_args(argv)
    fit = json.loads(run_fit(args.outdir, args.jobs).read_text())
    copy_report(args.outdir)
    if not args.no_write:
        for line in write_card(fit):
            print(f"calibrate: {line}")
    print(f"calibrate: report in {DOCS.relative_to(ROOT)}/fit.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
