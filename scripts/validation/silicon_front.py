"""The lithiation front through the Li_xSi anode of lco_li1si (issue 5;
docs/lab-study.md#silicon-cells: only the separator-facing side of the Si layer lithiates, the
collector side stays unreacted).

The anode model of the cell runs (fem.electrochemistry.silicon.SiliconAnode, built from the
case's anode layer and the si card) is charged at the cell's current: the profile x(depth) at
three charges at 0.4 mA/cm^2 (the case's rate) and at the lab's cycling rate 5 mA/cm^2, for
Li1Si (x0 = 1) and pristine Si (x0 = 0). Prints the face x, the front depth, the reacted
fraction of the layer and the layer's electronic resistance -> docs/figures/silicon_front.png,
docs/validation/silicon_front.json.

    .venv/bin/python scripts/validation/silicon_front.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import fem._dolfinx  # noqa: E402, F401
from fem.case import load_case  # noqa: E402
from fem.cellstack.settings import electrochemistry_settings  # noqa: E402
from fem.cli import resolve_case_path  # noqa: E402
from fem.electrochemistry.silicon import X_MAX, SiliconAnode  # noqa: E402

MAH_CM2 = 36000.0  # C/m^2 per mAh/cm^2
CHARGES = (1.0, 2.0, 3.5)  # mAh/cm^2


def charge(x0: str, rate_ma_cm2: float) -> list[dict]:
    """Profiles after each of CHARGES at the rate (A/m^2 = 10 x mA/cm^2), steps of 1 % of 1 h."""
    case = load_case(resolve_case_path("lco_li1si"), [f"materials.si.initial_lithiation={x0}"])
    a = SiliconAnode.from_settings(electrochemistry_settings(case).anode)
    i = 10.0 * rate_ma_cm2
    dt = 36.0 / rate_ma_cm2  # 0.01 mAh/cm^2 per step
    q, out = 0.0, []
    for target in CHARGES:
        while q < target * MAH_CM2 * (1 - 1e-9):
            a.step(dt, i)
            a.commit()
            q += i * dt
        s, x = a.profile()
        out.append({"charge_mAh_cm2": target, "depth_um": (s * 1e6).tolist(), "x": x.tolist(),
                    "face_x": a.surface_x, "front_um": a.front_depth() * 1e6,
                    "reacted_fraction": a.reacted_fraction(),
                    "electronic_resistance_ohm_cm2": a.electronic_resistance() * 1e4,
                    "layer_um": a.L * 1e6})
    return out


def main() -> None:
    runs = {(x0, rate): charge(x0, rate) for x0 in ("1", "0") for rate in (0.4, 5.0)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    for ax, x0 in zip(axes, ("1", "0"), strict=True):
        for rate, style in ((0.4, "-"), (5.0, "--")):
            for k, r in enumerate(runs[(x0, rate)]):
                ax.plot(r["depth_um"], r["x"], style, color=f"C{k}",
                        label=f"{r['charge_mAh_cm2']:g} mAh/cm$^2$ at {rate:g} mA/cm$^2$")
        ax.axhline(X_MAX, color="k", ls=":", lw=1)
        ax.set_xlabel("depth below the separator face (um)")
        ax.set_title(f"Li$_x$Si layer, x0 = {x0} ({runs[(x0, 0.4)][0]['layer_um']:.0f} um)")
        ax.set_xlim(0, runs[(x0, 0.4)][0]["layer_um"])
    axes[0].set_ylabel("x in Li$_x$Si")
    axes[0].legend(fontsize="x-small")
    fig.tight_layout()
    png = ROOT / "docs" / "figures" / "silicon_front.png"
    fig.savefig(png, dpi=120)
    summary = {f"x0={x0}, {rate:g} mA/cm^2": [{k: v for k, v in r.items()
                                                if k not in ("depth_um", "x")} for r in rs]
               for (x0, rate), rs in runs.items()}
    out = ROOT / "docs" / "validation" / "silicon_front.json"
    out.write_text(json.dumps(summary, indent=1) + "\n")
    for name, rs in summary.items():
        for r in rs:
            print(f"{name}: {r['charge_mAh_cm2']:g} mAh/cm^2: face x {r['face_x']:.2f}, front "
                  f"{r['front_um']:.1f} um, reacted {100 * r['reacted_fraction']:.0f} % of "
                  f"{r['layer_um']:.0f} um, R_e {r['electronic_resistance_ohm_cm2']:.3g} ohm cm^2")
    print(f"wrote {png.relative_to(ROOT)}, {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
