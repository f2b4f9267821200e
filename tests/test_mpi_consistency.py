"""Results do not depend on the number of ranks: ``mpirun -n 1``, ``-n 2`` and ``-n 3`` give the
same history.csv for the flagship case (short protocol, coarse mesh) to solver tolerance.

The runs go through the command line in subprocesses with the venv's ``mpirun``; the test runs in
the serial pass only (it starts MPI itself). ``-n 3`` oversubscribes a 2-core machine: MPICH's
progress throttle makes the ranks that wait in a collective yield the core instead of spinning
(it changes no result, only the wall time; other MPI implementations ignore it).
"""

from __future__ import annotations

import json
import subprocess
import time

import numpy as np
import pytest
from conftest import ROOT, clean_env, serial_only

from fem.output.history import read_history

VENV_BIN = ROOT / ".venv" / "bin"
RANKS = (1, 2, 3)
OVERRIDES = [
    'protocol.steps=["Press at 25 MPa for 1 min", "Release to 5 MPa", "Lock gap"]',
    'protocol.cycle=["Charge at 1 mA/cm^2 for 30 min"]',
    "protocol.repeat=1",
    "mesh.size_min=100 um",
    "mesh.size_max=1 mm",
    "output.fields=false",
    "output.plots=false",
]
#: Columns compared exactly (the same steps, step for step, on any rank count) ...
EXACT = ("step", "cycle", "step_label", "newton_iterations")
#: ... the step sizes to round-off (the controller reads the creep and holder increments, whose
#: last digits depend on the order of the parallel sums) ...
TIME_COLUMNS, TIME_RTOL = ("time_s", "dt_s"), 1e-10
#: ... and to solver tolerance (everything else, the pressure and strain columns included).
RTOL = 1e-6


def _env() -> dict:
    env = clean_env()
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MPIR_CVAR_CH4_PROGRESS_THROTTLE="1")
    return env


@serial_only()
@pytest.mark.timeout(300)
def test_history_independent_of_rank_count(tmp_path):
    exe = str(VENV_BIN / "assb-fem")
    hist, wall = {}, {}
    for n in RANKS:
        out = tmp_path / f"n{n}"
        cmd = [str(VENV_BIN / "mpirun"), "-n", str(n), exe, "run", "ncm811_li_fixed_gap",
               "-o", str(out), "--no-progress"]
        for ov in OVERRIDES:
            cmd += ["--set", ov]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=240)
        wall[n] = time.perf_counter() - t0
        assert r.returncode == 0, f"mpirun -n {n}: exit {r.returncode}\n{r.stderr[-3000:]}"
        assert json.loads((out / "summary.json").read_text())["ranks"] == n
        hist[n] = read_history(out / "history.csv")
    ref = hist[1]
    assert len(ref["time_s"]) >= 8 and max(ref["stack_pressure_MPa"]) > 20  # the press ran
    assert ref["cycle"][-1] == 1 and ref["capacity_mAh_cm2"][-1] == pytest.approx(0.5)
    for n in RANKS[1:]:
        h = hist[n]
        assert h.keys() == ref.keys(), n
        assert len(h["time_s"]) == len(ref["time_s"]), (n, len(h["time_s"]), len(ref["time_s"]))
        for col in EXACT:
            assert h[col] == ref[col], f"-n {n}: column {col} differs"
        for col in TIME_COLUMNS:
            a, b = np.asarray(ref[col], float), np.asarray(h[col], float)
            assert np.allclose(b, a, rtol=TIME_RTOL, atol=0.0), (
                f"-n {n}: column {col}: max relative difference "
                f"{np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300)):.3g}")
        for col, a in ref.items():
            if col in EXACT or col in TIME_COLUMNS:
                continue
            a, b = np.asarray(a, float), np.asarray(h[col], float)
            scale = max(np.abs(a).max(), 1e-30)
            # columns in engineering units (MPa, um, V, mAh/cm^2): 1e-9 of a unit is noise
            # (a rim pressure of 1e-12 MPa is zero)
            assert np.allclose(b, a, rtol=RTOL, atol=1e-9 * scale + 1e-9), (
                f"-n {n}: column {col}: max difference {np.abs(a - b).max():.3g}")
    print("wall times:", {n: f"{w:.1f} s" for n, w in wall.items()})
