"""Figures of the verification tests: docs/verification/*.png.

Reuses the set-ups of the tests (the same functions and constants the tests assert on), so the
figures show exactly what CI checks:

* relaxation.png: Maxwell-Norton relaxation in a fixed gap, FE against the closed form;
* time_convergence.png: error against time step, with the first-order slope;
* large_strain.png: constant-load compression creep to 30 %, FE against ln(1 + n A p0^n t)/n;
* westergaard.png: elastic contact of a sinusoid (tests/test_contact_westergaard.py), contact
  fraction against p/p* and the pressure profiles, FE against Westergaard / Johnson;
* creep_asperity.png: creep-driven contact growth of one asperity
  (tests/test_contact_creep_asperity.py), log f against log t with the t^(1/(n+1)) slope;
* spreading.png: constriction resistance of a periodic spot array (tests/test_contact_spreading.py)
  against the closed form of docs/references.md#derived-constriction;
* ec_mms.png: L2 errors of the two-potential porous-electrode solver against the manufactured
  solution, P1 and P2 (tests/test_electrochemistry_mms.py);
* ec_disk.png: primary current distribution on a disk electrode (Newman 1966,
  tests/test_electrochemistry_disk.py);
* ec_diffusion.png: constant-flux lithiation of a Li_xSi slab against Carslaw & Jaeger
  (tests/test_electrochemistry_diffusion.py).

    .venv/bin/python scripts/verification_figures.py [NAME ...]
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

import numpy as np  # noqa: E402
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


def _finish(fig, ax, name: str, xlabel: str, ylabel: str, title: str | None = None,
            which: str = "major") -> None:
    """Labels, legend, grid, then save OUT/name.png and close."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which=which)
    fig.tight_layout()
    fig.savefig(OUT / f"{name}.png", dpi=120)
    plt.close(fig)


def westergaard() -> None:
    import test_contact_westergaard as tw

    from fem._dolfinx import MPI
    from fem.contact import westergaard as wg
    from fem.contact.elastic_block import ElasticContactBlock
    from fem.contact.meshes import block_mesh
    from fem.contact.surfaces import SinusoidSurface

    cm = block_mesh(MPI.COMM_WORLD, (tw.LAM / 2,), 2 * tw.LAM, tw.HS, tw.LAM / 10, grading=0.3)
    block = ElasticContactBlock(cm, tw.E, tw.NU, SinusoidSurface(tw.H, tw.LAM), tw.HS, degree=2)
    p_star = wg.full_contact_pressure(block.E_star, tw.H, tw.LAM)
    ratios = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.2]
    res = {r: block.solve(r * p_star, tw.TOL) for r in ratios}
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    rr = np.linspace(0.0, 1.2, 200)
    a.plot(rr, [wg.contact_fraction(r * p_star, p_star) for r in rr], "k-", label="Westergaard")
    a.plot(ratios, [res[r].state.contact_fraction for r in ratios], "o", label="FE")
    a.set_xlabel("p / p*")
    a.set_ylabel("contact fraction 2a / lambda")
    a.legend()
    a.grid(alpha=0.3)
    for r in (0.1, 0.3, 0.6):
        x = res[r].state.coordinates[:, 0]
        b.plot(x / tw.LAM, wg.pressure(x, r * p_star, p_star, tw.LAM) / p_star, "k-", lw=1)
        b.plot(x[::8] / tw.LAM, res[r].state.pressure[::8] / p_star, "o", ms=2.5,
               label=f"FE, p/p* = {r}")
    b.set_xlabel("x / lambda")
    b.set_ylabel("contact pressure / p*")
    b.set_xlim(0, 0.5)
    b.legend()
    b.grid(alpha=0.3)
    b.set_title("lines: closed form")
    fig.tight_layout()
    fig.savefig(OUT / "westergaard.png", dpi=120)
    plt.close(fig)


def creep_asperity() -> None:
    import test_contact_creep_asperity as tc

    from fem._dolfinx import MPI
    from fem.contact.creep_contact import CreepContactBlock, indentation_exponent
    from fem.contact.meshes import block_mesh
    from fem.contact.surfaces import SinusoidSurface
    from fem.mechanics.creep_laws import NortonCreep

    cm = block_mesh(MPI.COMM_WORLD, (tc.LAM / 2,), tc.LAM, tc.HS, tc.LAM / 10, grading=0.25,
                    fine_width=0.1 * tc.LAM)
    law = NortonCreep(A_ref=1e-4, n=tc.N, sigma_ref=1e6, T_ref=298.15, Q=0.0)
    block = CreepContactBlock(cm, 7.82e9, 0.38, law, SinusoidSurface(tc.H, tc.LAM), tc.P, tc.HS)
    block.step(1e-9, tc.TOL)
    t = 1e-2 * 10.0 ** (np.arange(0, 22) / 4.0)
    f = []
    for ti in t:
        f.append(block.step(ti - block.time, tc.TOL).state.contact_fraction)
    f = np.array(f)
    late = t >= 30.0
    slope = np.polyfit(np.log(t[late]), np.log(f[late]), 1)[0]
    m = indentation_exponent(tc.N, beta=2, dim=2)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.loglog(t, f, "o-", ms=3, label=f"FE (late slope {slope:.3f})")
    ax.loglog(t[late], f[late][-1] * (t[late] / t[late][-1]) ** m, "k--",
              label=f"t^(1/(n+1)) = t^{m:.2f}")
    ax.loglog(t[late], f[late][-1] * (t[late] / t[late][-1]) ** (1 / tc.N), "k:",
              label=f"t^(1/n) = t^{1 / tc.N:.2f} (wedge model)")
    _finish(fig, ax, "creep_asperity", "time (s)", "contact fraction",
            "tolerance: slope within 15 % of 1/(n+1)", which="both")


def spreading() -> None:
    import test_contact_spreading as ts

    from fem._dolfinx import MPI
    from fem.contact import spreading as sp

    fs = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4]
    fe = [sp.spot_array(MPI.COMM_WORLD, ts.KAPPA, ts.A, f).area_resistance for f in fs]
    ff = np.linspace(0.01, 0.45, 200)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.semilogy(ff, [sp.array_constriction_resistance(ts.KAPPA, ts.A, f) * 1e4 for f in ff],
                "k-", label="pi a (1 - sqrt f)^1.5 / (4 kappa f)")
    ax.semilogy(fs, np.array(fe) * 1e4, "o", label="FE (flux tube)")
    ax.axvspan(0.02, 0.2, color="0.92", label="tested (5 %)")
    _finish(fig, ax, "spreading", "contact area fraction f", "constriction ASR (ohm cm^2)",
            which="both")


def ec_mms() -> None:
    import test_electrochemistry_mms as tm

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for degree, sizes in ((1, (8, 16, 32)), (2, (4, 8, 16))):
        err = np.array([tm.solve_mms(n, degree, False) for n in sizes])
        h = 1.0 / np.array(sizes)
        for k, (name, mk) in enumerate((("phi_e", "o-"), ("phi_s", "s--"))):
            ax.loglog(h, err[:, k], mk, label=f"P{degree} {name}")
        ax.loglog(h, err[-1, 0] * (h / h[-1]) ** (degree + 1), "k:", lw=1)
    _finish(fig, ax, "ec_mms", "h", "L2 error",
            "dotted: slopes 2 (P1) and 3 (P2); asserted +-0.2", which="both")


def ec_disk() -> None:
    import test_electrochemistry_disk as td

    R, R_exp, r, i_rel = td.solve_disk()
    order = np.argsort(r)
    rr = np.linspace(0.0, 0.98, 200)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(rr, 1 / (2 * np.sqrt(1 - rr**2)), "k-", label="1 / (2 sqrt(1 - (r/a)^2))")
    ax.plot(r[order] / td.A_DISK, i_rel[order], "o", ms=2.5, label="FE")
    ax.axvspan(0, 0.8, color="0.93", label="asserted (2 %)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 3)
    ax.set_xlabel("r / a")
    ax.set_ylabel("i / i_avg")
    ax.set_title(f"R = {R:.5f}, closed form {R_exp:.5f} ({100 * (R / R_exp - 1):+.3f} %)",
                 fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "ec_disk.png", dpi=120)
    plt.close(fig)


def ec_diffusion() -> None:
    import test_electrochemistry_diffusion as tdf

    fig, ax = plt.subplots(figsize=(5, 3.5))
    for t, x, c, exact in tdf.lithiate("1d"):
        order = np.argsort(x)
        tau = t * tdf.D_LIXSI / tdf.L**2
        ax.plot(x[order] * 1e6, exact[order] / 1e3, "k-", lw=1)
        ax.plot(x[order][::3] * 1e6, c[order][::3] / 1e3, "o", ms=3, label=f"FE, D t / L^2 = {tau:.2g}")
    _finish(fig, ax, "ec_diffusion", "distance from the lithiated face (um)",
            "Li concentration (mol/L)", "lines: Carslaw & Jaeger series; asserted 1 % of the rise")


FIGURES = {"relaxation": relaxation, "time_convergence": time_convergence,
           "westergaard": westergaard, "creep_asperity": creep_asperity,
           "spreading": spreading, "large_strain": large_strain, "ec_mms": ec_mms,
           "ec_disk": ec_disk, "ec_diffusion": ec_diffusion}


def main() -> None:
    """All figures, or those named on the command line."""
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or FIGURES:
        FIGURES[name]()
    print("written:", *sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
