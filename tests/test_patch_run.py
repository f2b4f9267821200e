"""The micro-scale patch run (fem.run.patch_run): Li creeping into a rigid rough Li6PS5Cl
surface under the stack pressure, with the interface resistance of the partial contact.

A small patch derived from cases/li_lpscl_rough_patch_2d.toml (25 um wide, 0.5 um RMS, 2.5 um
correlation length, one 1.5 um radius pore 2 um deep, 10 um Li and separator, 0.5 um elements on
the contact face) runs through ``fem.run.patch_run.PatchRun`` in-process (serial, or on every
rank under ``mpirun -n 2 python -m mpi4py -m pytest``). Protocol: 5 MPa for 5 min (contact grows from
about 0.5 to 0.96 over the hold), 25 MPa for 1 min (full contact), release to 2 MPa, rest.

Checks: the run folder and its columns; contact fraction, pore filling and void shrink
monotonically during the holds; force balance int p dA = P * width to 1e-8 and penetration below
the tolerance (1e-3 of the face element size) at every step; the ionic model conducts exactly
through the mechanical contact; the ASR falls as the contact grows and is never below the
kinetic bound R_ct / f; the peak local current is at least i_app / f; at full contact the ASR is
R_ct (exactly for the FE slab alone, within 5 % in the run) and the current uniform;
current-carrying protocols are refused before anything is written (3D: test_patch_run_3d.py).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, clean_env, serial_only

from fem._dolfinx import MPI
from fem.case.loader import load_case_dict
from fem.contact.patch_ionic import SeparatorSlab
from fem.contact.patch_model import count_spots
from fem.errors import CaseError
from fem.output.history import read_history
from fem.run.patch_run import PATCH_COLUMNS, PatchRun

HOLD = "Press at 5 MPa for 5 min"
FULL = "Press at 25 MPa for 1 min"
REQUIRED = ["time_s", "step", "step_label", "stack_pressure_MPa", "temperature_K",
            "contact_fraction", "contact_spots", "mean_spot_size_um", "mean_gap_um",
            "void_area_um2_per_um", "pore_fill_depth_um", "interface_asr_ohm_cm2",
            "max_local_current_density_mA_cm2", "max_penetration_um"]


def small_case_raw() -> dict:
    with (ROOT / "cases" / "li_lpscl_rough_patch_2d.toml").open("rb") as f:
        raw = tomllib.load(f)
    raw["name"] = "small_patch"
    raw["patch"].update({"width": "25 um", "li_thickness": "10 um",
                         "separator_thickness": "10 um"})
    raw["patch"]["roughness"].update({"points": 64, "correlation_length": "2.5 um"})
    raw["patch"]["pores"].update({"radius": "1.5 um", "depth": "2 um"})
    raw["mesh"] = {"size_min": "0.5 um", "size_max": "3 um"}
    raw["holder"]["pressure"] = "5 MPa"
    raw["protocol"] = {"steps": [HOLD, FULL, "Release to 2 MPa", "Rest for 30 s"]}
    raw["solver"] = {"dt_initial": "1 s", "dt_min": "1 ms", "dt_max": "1 min"}
    raw["output"] = {"fields": True, "plots": False, "milestones": ["1 min", "30 min"]}
    return raw


def patch_outputs(tmp_path_factory, raw: dict, tag: str):
    """Run the patch case ``raw`` on every rank into a fresh folder: (folder, history, summary)."""
    comm = MPI.COMM_WORLD
    base = str(tmp_path_factory.mktemp(tag)) if comm.rank == 0 else None
    base = comm.bcast(base, root=0)
    out = PatchRun(load_case_dict(raw), comm).run(f"{base}/run")
    hist = read_history(out / "history.csv")
    summary = json.loads((out / "summary.json").read_text())
    return out, hist, summary


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return patch_outputs(tmp_path_factory, small_case_raw(), "patch")


def _rows(hist: dict, label: str) -> np.ndarray:
    return np.array([i for i, s in enumerate(hist["step_label"]) if s == label])


def _col(hist: dict, name: str, rows=None) -> np.ndarray:
    a = np.asarray(hist[name], dtype=float)
    return a if rows is None else a[rows]


def test_outputs(run):
    out, hist, summary = run
    for name in ("history.csv", "summary.json", "case.resolved.toml", "fields.xdmf", "fields.h5"):
        assert (out / name).is_file(), name
    assert not list(out.parent.glob(".run.partial-*"))
    assert set(REQUIRED + PATCH_COLUMNS) <= set(hist)
    assert hist["time_s"][0] == 0.0 and hist["time_s"][-1] == pytest.approx(5 * 60 + 60 + 10 + 30)
    assert summary["status"] == "completed" and summary["case"] == "small_patch"
    assert summary["ranks"] == MPI.COMM_WORLD.size
    res = summary["results"]
    assert res["final_contact_fraction"] == hist["contact_fraction"][-1]
    assert res["final_interface_asr_ohm_cm2"] == hist["interface_asr_ohm_cm2"][-1]
    assert res["contact_fraction_at_1min"] == hist["contact_fraction"][hist["time_s"].index(60.0)]
    assert res["contact_fraction_at_30min"] is None  # the protocol ends before 30 min
    assert res["roughness"]["rms_um"] == pytest.approx(0.5)
    xdmf = (out / "fields.xdmf").read_text()
    for field in ("displacement", "contact_pressure", "gap", "creep_strain_eq"):
        assert f'Name="{field}"' in xdmf, field


def test_contact_grows_during_the_hold(run):
    _, hist, _ = run
    hold = _rows(hist, HOLD)
    p = _col(hist, "stack_pressure_MPa", hold)
    at_p = hold[p == 5.0]  # after the loading ramp
    f = _col(hist, "contact_fraction", hold)
    assert np.all(np.diff(f) >= 0.0), f
    f_p = _col(hist, "contact_fraction", at_p)
    assert f_p[0] < 0.7 and f_p[-1] > 0.9, (f_p[0], f_p[-1])
    assert np.all(np.diff(_col(hist, "void_area_um2_per_um", hold)) <= 0.0)
    assert np.all(np.diff(_col(hist, "pore_fill_depth_um", hold)) >= 0.0)
    assert _col(hist, "pore_fill_depth_um", hold)[-1] == pytest.approx(2.0, rel=1e-3)  # filled
    full = _rows(hist, FULL)
    assert np.all(np.diff(_col(hist, "contact_fraction", full)) >= 0.0)
    assert hist["contact_fraction"][full[-1]] == pytest.approx(1.0, abs=1e-12)
    assert hist["contact_spots"][full[-1]] == 1 and hist["mean_gap_um"][full[-1]] < 1e-3


def test_force_balance_and_penetration(run):
    _, hist, summary = run
    tol = summary["results"]["penetration_tolerance_um"]
    assert tol == pytest.approx(0.5e-3)
    assert np.all(_col(hist, "force_balance_error") < 1e-8)
    assert np.all(_col(hist, "max_penetration_um") <= tol)
    assert summary["results"]["max_force_balance_error"] < 1e-8


def test_asr_falls_as_contact_grows(run):
    _, hist, summary = run
    r_ct = summary["results"]["charge_transfer_resistance_ohm_cm2"]
    assert r_ct == pytest.approx(8.314462618 * 298.15 / (96485.33212 * 50.0) * 1e4)  # 5.14
    f = _col(hist, "contact_fraction")
    asr = _col(hist, "interface_asr_ohm_cm2")
    # the ionic model conducts through exactly the mechanical contact
    assert np.allclose(_col(hist, "conducting_fraction"), f, rtol=1e-12, atol=1e-14)
    hold = _rows(hist, HOLD)
    fh, ah = f[hold], asr[hold]
    grew = np.diff(fh) > 0
    assert grew.sum() >= 5
    assert np.all(np.diff(ah)[grew] < 0) and np.all(np.diff(ah)[~grew] <= 1e-9 * ah[1:][~grew])
    assert ah[0] > 10 * ah[-1]
    # kinetics on the true contact is a lower bound; the constriction adds to it
    assert np.all(asr >= r_ct / f * (1 - 1e-9))
    assert np.all(asr[f < 0.9] > r_ct / f[f < 0.9] * (1 + 1e-4))
    # the current concentrates on the spots: peak >= i_app / f
    jmax = _col(hist, "max_local_current_density_mA_cm2")
    assert np.all(jmax >= 0.5 / f * (1 - 1e-9))


def test_full_contact_asr_is_the_charge_transfer_resistance(run):
    _, hist, summary = run
    r_ct = summary["results"]["charge_transfer_resistance_ohm_cm2"]
    full = _rows(hist, FULL)
    last = full[-1]
    assert hist["interface_asr_ohm_cm2"][last] == pytest.approx(r_ct, rel=0.05)
    assert hist["interface_asr_ohm_cm2"][last] == pytest.approx(r_ct, rel=1e-8)
    assert hist["current_peak_to_mean"][last] == pytest.approx(1.0, rel=1e-8)
    # the FE slab alone, full contact: the linear solution, ASR = R_ct exactly
    slab = SeparatorSlab(MPI.COMM_WORLD, 20e-6, 10e-6, 0.5e-6, 3e-6)
    slab.set_full_contact()
    res = slab.solve(kappa=0.22, r_ct=5e-4, i_app=5.0)
    assert res.conducting_fraction == pytest.approx(1.0, rel=1e-12)
    assert res.asr == pytest.approx(5e-4, rel=1e-9)
    assert res.max_local_current == pytest.approx(5.0, rel=1e-9)
    # no contact: no current path
    slab.set_contact(np.array([0.0, 20e-6]), np.array([False, False]))
    assert math.isinf(slab.solve(0.22, 5e-4, 5.0).asr)


def test_count_spots():
    assert count_spots(np.array([], dtype=bool)) == 0
    assert count_spots(np.array([1, 1, 0, 1, 0, 0, 1], dtype=bool)) == 3
    assert count_spots(np.array([0, 0, 0], dtype=bool)) == 0


def test_refused_before_writing(tmp_path_factory):
    comm = MPI.COMM_WORLD
    base = str(tmp_path_factory.mktemp("refused")) if comm.rank == 0 else None
    base = comm.bcast(base, root=0)
    out = f"{base}/out"
    raw = small_case_raw()
    raw["protocol"] = {"steps": [HOLD, "Charge at 0.5 mA/cm^2 for 1 h"]}
    with pytest.raises(CaseError, match="current steps"):
        PatchRun(load_case_dict(raw), comm).run(out)
    comm.barrier()
    assert not list(Path(base).iterdir())


_CHILD = """
import sys
sys.path.insert(0, {tests!r})
from fem._dolfinx import MPI
from fem.case.loader import load_case_dict
from fem.run.patch_run import PatchRun
from test_patch_run import small_case_raw
raw = small_case_raw()
raw["output"]["fields"] = False
PatchRun(load_case_dict(raw), MPI.COMM_WORLD).run({out!r})
"""


@serial_only()
@pytest.mark.timeout(300)
def test_two_ranks_give_the_serial_history(run, tmp_path):
    """mpirun -n 2 (a subprocess) reproduces the serial history: same steps, same contact
    nodes, the numbers to solver tolerance."""
    _, ref, _ = run
    out = tmp_path / "n2"
    code = _CHILD.format(tests=str(ROOT / "tests"), out=str(out))
    env = clean_env() | {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                         "MPIR_CVAR_CH4_PROGRESS_THROTTLE": "1"}
    mpirun = ROOT / ".venv" / "bin" / "mpirun"
    r = subprocess.run([str(mpirun), "-n", "2", sys.executable, "-m", "mpi4py", "-c", code],
                       env=env, capture_output=True, text=True, timeout=280)
    assert r.returncode == 0, r.stderr[-3000:]
    h = read_history(out / "history.csv")
    assert json.loads((out / "summary.json").read_text())["ranks"] == 2
    for col in ("time_s", "step_label", "contact_spots", "newton_iterations"):
        assert h[col] == ref[col], col
    for col in ("contact_fraction", "interface_asr_ohm_cm2", "mean_gap_um",
                "max_local_current_density_mA_cm2", "pore_fill_depth_um", "max_creep_strain"):
        a, b = _col(ref, col), _col(h, col)
        assert np.allclose(b, a, rtol=1e-6, atol=1e-9 * np.abs(a).max()), col
