"""Figure of the coupled first cycle: voltage and stack pressure of ncm811_li_fixed_gap
(coupled, and mechanics only on the old duration-based cycle) and ncm811_li_spring, and the
voltage of lco_li1si -> docs/figures/electrochemistry_cycle.png.

    .venv/bin/python scripts/validation/electrochemistry_figures.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from fem.output.history import read_history  # noqa: E402

MECH_ONLY = ["electrochemistry.enabled=false",
             "protocol.cycle=['Charge at C/10 for 10 h', 'Rest for 30 min', "
             "'Discharge at C/10 for 10 h', 'Rest for 30 min']"]


def run(case: str, sets: list[str], out: Path) -> dict:
    cmd = [sys.executable, "-m", "fem.cli", "run", case, "-o", str(out), "--overwrite",
           "--no-progress", "--set", "output.fields=false", "--set", "output.plots=false"]
    for s in sets:
        cmd += ["--set", s]
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
    return read_history(out / "history.csv")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="echem_fig_"))
    runs = {
        "NCM811 | Li, fixed gap (coupled)": run("ncm811_li_fixed_gap", [], tmp / "fg"),
        "NCM811 | Li, fixed gap (mechanics only)": run("ncm811_li_fixed_gap", MECH_ONLY,
                                                       tmp / "mech"),
        "NCM811 | Li, springs (coupled)": run("ncm811_li_spring", [], tmp / "sp"),
        "LiCoO2 | Li1Si, 75 MPa (coupled)": run("lco_li1si", [], tmp / "lco"),
    }
    fig, (ax_v, ax_p) = plt.subplots(2, 1, figsize=(7.5, 7), sharex=True)
    styles = ["C0-", "k--", "C1-", "C2-"]  # one style per run in both panels
    for (label, h), style in zip(runs.items(), styles, strict=True):
        t = [x / 3600 for x in h["time_s"]]
        if "voltage_V" in h:
            ax_v.plot(t, h["voltage_V"], style, label=label)
        if "75 MPa" not in label:  # the Si cell runs at a constant 75 MPa
            ax_p.plot(t, h["stack_pressure_MPa"], style, label=label)
    ax_v.set_ylabel("cell voltage (V)")
    ax_v.legend(fontsize="small")
    ax_p.set_ylabel("stack pressure (MPa)")
    ax_p.set_ylim(4, 8)
    ax_p.axhline(5 + 2.14, color="k", ls=":", lw=1, label="5 MPa + lab swing 2.14 MPa")
    ax_p.legend(fontsize="small")
    ax_p.set_xlabel("time (h)")
    fig.tight_layout()
    out = ROOT / "docs" / "figures" / "electrochemistry_cycle.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
