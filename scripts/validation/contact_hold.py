"""The 25 MPa contact hold of the lab study at the interface-patch scale (fem.run.patch_run).

Lab (docs/lab-study.md#contact-hold, room temperature): cryo-FIB after 1 min at 25 MPa shows many
voids at the Li/separator interface, after 30 min full contact without pores; the interface
resistance falls fast over the first 20 min, then slowly.

Model: the bundled 2D patch case ``cases/li_lpscl_rough_patch_2d.toml`` as it is (50 um wide
plane-strain strip; self-affine roughness, 0.5 um RMS, 5 um correlation length, Hurst 0.8,
seed 1, 128 points; one 2 um radius slot pore 4 um deep; 20 um Li on a rigid Li6PS5Cl surface;
protocol: Press at 25 MPa for 30 min, release to 5 MPa, rest 10 min), with three Li creep laws:

* ``norton``: the li card's Norton law (Masias 2019 fit, 7.73e-3 1/s at 1 MPa, n = 6.56);
* ``narayan_anand``: the li card's Narayan-Anand set;
* ``norton_size_effect``: the li card's Norton law with its size effect at the asperity size
  the cell-scale interface law is calibrated with (``patch.li_feature_size`` =
  ``interface.asperity_size`` of fem/interface/parameters.py; fem/mechanics/li_size_effect.py,
  one law for the patch and the cell-scale interface model).

Prints the contact fraction and the interface ASR (0.5 mA/cm^2 probe) at 1 min and 30 min and
writes docs/figures/contact_hold.png.

    .venv/bin/python scripts/validation/contact_hold.py [--outdir DIR]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from fem._dolfinx import MPI
from fem.case.loader import load_case
from fem.electrochemistry.kinetics import charge_transfer_resistance
from fem.electrochemistry.parameters import DEFAULTS
from fem.interface.parameters import DEFAULTS as INTERFACE_DEFAULTS
from fem.output.history import read_history
from fem.run import run_case

ROOT = Path(__file__).resolve().parents[2]
#: the cell-scale interface law's calibrated asperity size (um)
ASPERITY_UM = INTERFACE_DEFAULTS["asperity_size"].value * 1e6
CASE = ROOT / "cases" / "li_lpscl_rough_patch_2d.toml"
FIGURE = ROOT / "docs" / "figures" / "contact_hold.png"
SCENARIOS = {
    "norton": ("Norton, li card (Masias 2019)", []),
    "narayan_anand": ("Narayan-Anand, li card", ["mechanics.creep_law=narayan_anand"]),
    "norton_size_effect": (f"Norton with the size effect at {ASPERITY_UM:.3g} um",
                           [f"patch.li_feature_size={ASPERITY_UM:.6g} um"]),
}
HOLD_END = 1800.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--outdir", type=Path, default=None, help="keep the runs here")
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    base = args.outdir
    if base is None:
        base = Path(comm.bcast(tempfile.mkdtemp(prefix="contact_hold_") if comm.rank == 0
                               else None, root=0))
    results = {}
    for key, (label, overrides) in SCENARIOS.items():
        case = load_case(CASE, overrides)
        out = run_case(case, base / key, comm, overwrite=True)
        results[key] = (label, read_history(out / "history.csv"))
    if comm.rank != 0:
        return
    r = case.patch.roughness
    print(f"roughness: self-affine, RMS {r.rms * 1e6:g} um, correlation length "
          f"{r.correlation_length * 1e6:g} um, Hurst {r.hurst:g}, seed {r.seed}, {r.points} "
          f"points over {case.patch.width * 1e6:g} um; pore radius "
          f"{case.patch.pores.radius * 1e6:g} um, depth {case.patch.pores.depth * 1e6:g} um")
    print(f"{'law':26s} {'f(1 min)':>9s} {'f(30 min)':>9s} {'ASR 1 min':>10s} {'ASR 30 min':>10s} "
          f"{'t(f>=0.99)':>11s} {'t(f=1)':>9s}  (ASR in ohm cm^2)")
    for key, (_, h) in results.items():
        t = np.asarray(h["time_s"])
        f = np.asarray(h["contact_fraction"])
        asr = np.asarray(h["interface_asr_ohm_cm2"])
        i1, i30 = list(t).index(60.0), list(t).index(HOLD_END)
        t99 = t[np.argmax(f >= 0.99)] if np.any(f >= 0.99) else np.nan
        t100 = t[np.argmax(f >= 1.0 - 1e-12)] if np.any(f >= 1.0 - 1e-12) else np.nan
        print(f"{key:26s} {f[i1]:9.4f} {f[i30]:9.4f} {asr[i1]:10.3f} {asr[i30]:10.3f} "
              f"{t99:11.3g} {t100:9.3g}")
    plot(results)
    print(f"figure: {FIGURE}")


def plot(results: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for label, h in results.values():
        t = np.asarray(h["time_s"])
        hold = (t > 0) & (t <= HOLD_END)
        ax1.semilogx(t[hold], h_arr(h, "contact_fraction")[hold], marker=".", label=label)
        ax2.loglog(t[hold], h_arr(h, "interface_asr_ohm_cm2")[hold], marker=".", label=label)
    ax1.axvline(60, color="grey", ls=":")
    ax1.axvline(1800, color="grey", ls=":")
    ax1.annotate("lab, 1 min:\nmany voids", (60, 0.5), ha="center", fontsize=8,
                 bbox={"fc": "w", "ec": "grey"})
    ax1.plot([1800], [1.0], "ks", label="lab, 30 min: full contact")
    ax1.set_xlabel("time in the 25 MPa hold (s)")
    ax1.set_ylabel("contact fraction (-)")
    ax1.set_ylim(0, 1.05)
    ax1.legend(fontsize=7, loc="lower right")
    ax1.set_title("Li on rough LPSCl, 2D patch (0.5 um RMS, 4 um pore)", fontsize=9)
    rct = charge_transfer_resistance(DEFAULTS["li_exchange_current_density"].value, 298.15) * 1e4
    ax2.axhline(rct, color="k", lw=0.8, ls="--", label=f"R_ct = {rct:.2f} ohm cm^2")
    ax2.axvspan(1e-3, 1200, color="0.92", label="lab: ASR falls fast (first 20 min)")
    ax2.set_xlabel("time in the 25 MPa hold (s)")
    ax2.set_ylabel("interface ASR (ohm cm^2), 0.5 mA/cm^2 probe")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=120)
    plt.close(fig)


def h_arr(h: dict, col: str) -> np.ndarray:
    return np.asarray(h[col], dtype=float)


if __name__ == "__main__":
    main()
