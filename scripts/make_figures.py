"""Regenerate every figure the docs show, from the tests' set-ups and the bundled cases.

    .venv/bin/python scripts/make_figures.py [--skip-validation]

* docs/geometry/*.png           scripts/plot_geometries.py
* docs/verification/*.png       scripts/verification_figures.py
* docs/validation/*.png (+ table) scripts/validation/mechanics_validation.py
  (the holder card's calibration: scripts/calibrate.py; the CCD's: scripts/validation/calibrate_ccd.py)
* docs/figures/contact_hold.png   scripts/validation/contact_hold.py
* docs/figures/electrochemistry_cycle.png  scripts/validation/electrochemistry_figures.py
  (the numbers of docs/validation/electrochemistry.json: electrochemistry_validation.py)
* docs/figures/interface_impedance.png  scripts/validation/interface_impedance.py (0-D, seconds)
* docs/figures/silicon_front.png  scripts/validation/silicon_front.py (1D anode model, seconds)
* docs/figures/ccd_predictions.png  scripts/validation/ccd_figures.py
  (the numbers of docs/validation/ccd_*.json: calibrate_ccd.py, ccd_predictions.py)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ["scripts/plot_geometries.py", "scripts/verification_figures.py",
           "scripts/validation/mechanics_validation.py", "scripts/validation/contact_hold.py",
           "scripts/validation/electrochemistry_figures.py", "scripts/validation/interface_impedance.py",
           "scripts/validation/silicon_front.py", "scripts/validation/ccd_figures.py"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-validation", action="store_true",
                    help="skip the validation runs (several minutes)")
    args = ap.parse_args()
    for script in SCRIPTS:
        if args.skip_validation and "validation" in script:
            continue
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, script], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
