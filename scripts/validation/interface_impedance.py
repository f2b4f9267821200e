"""Prediction: Li | LPSCl | Li cell resistance against stack pressure (Doux 2020,
docs/references.md#doux2020) from the reduced interface model (fem.interface.contact_state), no recalibration.

Doux et al. 2020 [S]: 12.7 mm Li discs on a ~1 mm LPSCl pellet; cell impedance 1 MPa > 500 Ohm,
5 MPa ~110, 10 ~50, 15 ~40, 20 ~35, 25 ~32 Ohm; back at 5 MPa after 25 MPa ~50 Ohm.
Model (assumptions stated): each pressure is applied for 1 h at 25 degC (the hold is not
reported), the contact fraction f follows (1) of fem/interface/contact_state.py; each interface
adds R_ct / f (charge transfer on the true contact, i0 of docs/references.md#derived-exchange-current)
plus the spot-array constriction R'' = pi a / (4 kappa f) (1 - sqrt f)^1.5
(docs/references.md#derived-constriction) with spots of radius a equal to the gap height
(fem/interface/parameters.py); the pellet bulk is 33 Ohm (docs/references.md#derived-bulk-resistance
[D]).

    python scripts/validation/interface_impedance.py  -> docs/validation/interface_impedance.json
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fem.electrochemistry.parameters import DEFAULTS as ECHEM  # noqa: E402
from fem.interface.contact_state import (  # noqa: E402
    GAS_CONSTANT,
    ContactState,
    InterfaceParameters,
)
from fem.interface.parameters import DEFAULTS  # noqa: E402
from fem.materials import load_material  # noqa: E402

FARADAY = 96485.33212
T = 298.15
AREA = math.pi * (12.7e-3 / 2) ** 2
R_BULK = 33.0  # Ohm (docs/references.md#derived-bulk-resistance [D])
KAPPA = 0.2  # S/m (docs/references.md#derived-lpscl-conductivity)
LAB = {1: ">500", 5: 110, 10: 50, 15: 40, 20: 35, 25: 32, "5 after 25": 50}


def params() -> InterfaceParameters:
    """The defaults with the Li card's law, size effect, moduli and exchange current density."""
    li = load_material("li")
    return InterfaceParameters(
        **{k: li[k] for k in ("creep_reference_rate", "creep_exponent", "creep_reference_stress",
                              "creep_activation_energy", "creep_reference_temperature",
                              "size_effect_length", "size_effect_exponent")},
        li_molar_volume=li["molar_volume"],
        li_plane_strain_modulus=li["youngs_modulus"] / (1 - li["poissons_ratio"] ** 2),
        exchange_current_density=li["exchange_current_density"],
        **{k: p.value for k, p in DEFAULTS.items()})


def hold(st: ContactState, p: float, seconds: float) -> None:
    t, dt = 0.0, 0.1
    while t < seconds:
        h = min(dt, seconds - t)
        st.advance(np.array([p]), np.zeros(1), h, T)
        st.commit()
        t, dt = t + h, dt * 1.2


def cell_resistance(f: float, pr: InterfaceParameters) -> float:
    r_ct = GAS_CONSTANT * T / (FARADAY * ECHEM["li_exchange_current_density"].value)
    a = pr.roughness_height
    r_con = math.pi * a / (4 * KAPPA * f) * (1 - math.sqrt(f)) ** 1.5
    return R_BULK + 2 * (r_ct / f + r_con) / AREA


def main() -> None:
    pr = params()
    out = {"assumptions": __doc__.split("Model (assumptions stated): ")[1].split("\n\n")[0],
           "lab_ohm": {str(k): v for k, v in LAB.items()}, "model": {}}
    for p in (1, 5, 10, 15, 20, 25):
        st = ContactState(pr, 1)
        st.initialise(np.array([p * 1e6]))
        hold(st, p * 1e6, 3600.0)
        out["model"][str(p)] = {"contact_fraction": float(st.f[0]),
                                "cell_resistance_ohm": cell_resistance(float(st.f[0]), pr)}
    hold(st, 5e6, 3600.0)  # st: after 25 MPa, back at 5 MPa
    out["model"]["5 after 25"] = {"contact_fraction": float(st.f[0]),
                                  "cell_resistance_ohm": cell_resistance(float(st.f[0]), pr)}
    for k, v in out["model"].items():
        print(f"{k:>11} MPa: f = {v['contact_fraction']:.3f}, R = {v['cell_resistance_ohm']:.1f}"
              f" Ohm (lab {LAB[int(k)] if k.isdigit() else LAB[k]})")
    path = ROOT / "docs/validation/interface_impedance.json"
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"-> {path}")
    figure(out, ROOT / "docs/figures/interface_impedance.png")


def figure(out: dict, path: Path) -> None:
    """Cell resistance against stack pressure, model and Doux 2020 (a lower bound at 1 MPa),
    with the state after release from 25 to 5 MPa as separate markers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ps = [1, 5, 10, 15, 20, 25]
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(ps, [out["model"][str(p)]["cell_resistance_ohm"] for p in ps], "o-",
            label="model (prediction)")
    lab = [(p, LAB[p]) for p in ps if not isinstance(LAB[p], str)]
    ax.plot(*zip(*lab, strict=True), "ks", label="Doux 2020")
    ax.annotate("lab > 500 (off scale)", (1.6, 147), fontsize=8)
    ax.plot([1], [150], "k^")
    ax.plot([5], [out["model"]["5 after 25"]["cell_resistance_ohm"]], "o", mfc="none", ms=9,
            label="model, 5 MPa after 25")
    ax.plot([5], [LAB["5 after 25"]], "ks", mfc="none", ms=9, label="lab, 5 MPa after 25")
    ax.set_xlabel("stack pressure (MPa)")
    ax.set_ylabel("Li | LPSCl | Li resistance (ohm)")
    ax.set_ylim(0, 160)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"-> {path}")


if __name__ == "__main__":
    main()
