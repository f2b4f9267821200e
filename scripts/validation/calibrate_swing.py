"""Calibrate the fixed-gap holder's frame stiffness on the first-cycle pressure swing of
`ncm811_li_fixed_gap` (docs/lab-study.md#li-metal-full-cells: 25.5 mg/cm^2, 5 MPa, 40 degC, swing
2.14 MPa).

One parameter, by the secant method on log k (the swing rises monotonically with k).
Writes docs/validation/swing_calibration.json.

    .venv/bin/python scripts/validation/calibrate_swing.py
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = 2.14  # MPa


def swing(k: float, tmp: Path) -> float:
    out = tmp / f"k{k:.4g}"
    cmd = [sys.executable, "-m", "fem.cli", "run", "ncm811_li_fixed_gap", "-o", str(out),
           "--overwrite", "--no-progress", "--set", f"holder.frame_stiffness={k:.6g} N/m",
           "--set", "output.fields=false", "--set", "output.plots=false"]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    s = json.loads((out / "summary.json").read_text())
    return s["results"]["pressure_swing_per_cycle_MPa"]["1"]


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="swing_cal_"))
    xs = [math.log(5e6), math.log(2e7)]
    ys = [swing(math.exp(x), tmp) - TARGET for x in xs]
    for _ in range(8):
        x = xs[-1] - ys[-1] * (xs[-1] - xs[-2]) / (ys[-1] - ys[-2])
        xs.append(x)
        ys.append(swing(math.exp(x), tmp) - TARGET)
        print(f"k = {math.exp(x):.5g} N/m -> swing {ys[-1] + TARGET:.4f} MPa", flush=True)
        if abs(ys[-1]) < 1e-3:
            break
    result = {"target_MPa": TARGET, "frame_stiffness_N_per_m": math.exp(xs[-1]),
              "swing_MPa": ys[-1] + TARGET,
              "iterations": [{"k": math.exp(x), "swing": y + TARGET} for x, y in zip(xs, ys, strict=True)]}
    dest = ROOT / "docs" / "validation"
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "swing_calibration.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
