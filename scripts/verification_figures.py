"""Figures of the creep verification tests: docs/verification/*.png.

Reuses the set-ups of tests/test_creep_verification.py (the same functions the tests assert
on), so the figures show exactly what CI checks:

* relaxation.png: Maxwell-Norton relaxation in a fixed gap, FE against the closed form;
* time_convergence.png: error against time step, with the first-order slope;
* large_strain.png: constant-load compression creep to 30 %, FE against ln(1 + n A p0^n t)/n.

    .venv/bin/python scripts/verification_figures.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_creep_verification as tcv  # noqa: E402

OUT = ROOT / "docs" / "verification"


def relaxation() -> None:
    t, p, exact = tcv._relaxation(n_steps_per_decade=25)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    a.semilogx(t, exact / 1e6, "k-", label="closed form")
    a.semilogx(t[::4], p[::4] / 1e6, "o", ms=3, label="FE")
    a.set_xlabel("time (s)")
    a.set_ylabel("stack pressure (MPa)")
    a.legend()
    a.grid(alpha=0.3)
    b.semilogx(t, 100 * (p / exact - 1))
    b.axhspan(-1, 1, color="0.9")
    b.set_xlabel("time (s)")
    b.set_ylabel("error (%)")
    b.set_title("tolerance: 1 % over t = 1 ... 1e4 s")
    b.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "relaxation.png", dpi=120)
    plt.close(fig)


def time_convergence() -> None:
    dts, errs = [80.0, 40.0, 20.0, 10.0, 5.0], []
    for dt in dts:
        _, p, exact = tcv._relaxation(uniform_dt=dt, t_end=400.0)
        errs.append(abs(p[-1] / exact[-1] - 1))
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(dts, errs, "o-", label="FE, relative error at t = 400 s")
    ax.loglog(dts, [errs[-1] * d / dts[-1] for d in dts], "k--", label="slope 1")
    ax.set_xlabel("time step (s)")
    ax.set_ylabel("relative error")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(OUT / "time_convergence.png", dpi=120)
    plt.close(fig)


def large_strain() -> None:
    case, mech, hold, creep = tcv._cylinder(True, {"type": "constant_pressure",
                                                   "pressure": "0.5 MPa"})
    p0 = 0.5e6
    tcv._load(mech, hold, creep, p0)
    li = case.materials["li"]
    n, A = li["creep_exponent"], tcv._norton_A(li)
    t, L0, dt = 0.0, tcv.H + mech.U, 1.0
    ts, fe, ex = [], [], []
    while (tcv.H + mech.U) / L0 > 0.7:
        tcv._step(mech, creep, dt)
        t += dt
        ts.append(t)
        fe.append((tcv.H + mech.U) / L0)
        ex.append(math.exp(-math.log(1 + n * A * p0**n * t) / n))
        dt = min(dt * 1.1, 200.0)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot([x / 3600 for x in ts], ex, "k-", label="closed form (true stress = F/A)")
    ax.plot([x / 3600 for x in ts][::3], fe[::3], "o", ms=3, label="FE, updated Lagrangian")
    ax.set_xlabel("time (h)")
    ax.set_ylabel("L / L0")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "large_strain.png", dpi=120)
    plt.close(fig)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    relaxation()
    time_convergence()
    large_strain()
    print("written:", *sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
