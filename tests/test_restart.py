"""Checkpoint and restart (issue 8, acceptance 1 and 2).

* A run stopped by SIGTERM midway and restarted gives the history and final fields of the
  uninterrupted run to 1e-10 relative on the same number of ranks, and to solver tolerance
  on another (1 -> 2, 2 -> 1).
* A run killed outright (SIGKILL, no chance to checkpoint) continues from its last interval
  checkpoint without duplicate history rows.
* A truncated checkpoint is detected and the previous one used.

The in-process tests stop the run by raising the signal flag after a given step (what the
signal handler does); the subprocess tests send real signals.
"""

from __future__ import annotations

import copy
import os
import signal
import subprocess
import time

import numpy as np
import pytest
import tomli_w
from conftest import BASE_CASE, ROOT, clean_env, serial_only

from fem.case.loader import load_case_dict
from fem.checkpoint.store import CheckpointStore, load
from fem.errors import Interrupted, OutputError, RestartError
from fem.output.history import read_history
from fem.run.stack_run import StackRun


def _silicon_raw() -> dict:
    """The LiCoO2 | LPSCl | Li1Si case, coarse, stopped inside the charge: the Li_xSi
    lithiation profile (a 1D state beside the mesh fields) must survive the restart."""
    import tomllib

    raw = tomllib.loads((ROOT / "cases" / "lco_li1si.toml").read_text())
    raw["mesh"]["size_min"] = "80 um"
    raw["output"] = {"plots": False, "fields": False}
    raw["protocol"] = {"steps": ["Press at 75 MPa for 1 min", "Charge at 2 mA/cm^2 for 1 h",
                                 "Rest for 20 min", "Discharge at 2 mA/cm^2 for 30 min"]}
    return raw


def _raw(creep_law: str = "norton", every: int = 0, echem: bool | str = False) -> dict:
    if echem == "silicon":
        return _silicon_raw()
    raw = copy.deepcopy(BASE_CASE)
    raw["output"] = {"plots": False, "checkpoint_every_steps": every}
    raw["mechanics"] = {"large_deformation": True, "creep_law": creep_law}
    if echem:  # cathode SOC, potentials and the voltage cut-off's bookkeeping
        raw["electrochemistry"] = {"enabled": True}
        raw["protocol"]["steps"][3] = "Charge at 2 mA/cm^2 until 3.9 V"
    return raw


class _StopAfter(StackRun):
    """Raises the SIGTERM flag after accepted step ``stop_at``."""

    stop_at = 6

    def _maybe_checkpoint(self) -> None:
        super()._maybe_checkpoint()
        if self.state.accepted == self.stop_at:
            self.signals.flag = int(signal.SIGTERM)


def _history_error(a: dict, b: dict) -> float:
    assert len(a["time_s"]) == len(b["time_s"])
    assert a["step_label"] == b["step_label"]
    err = 0.0
    for k in a:
        if k == "step_label":
            continue
        x, y = np.asarray(a[k], float), np.asarray(b[k], float)
        err = max(err, float(np.max(np.abs(x - y)) / max(np.max(np.abs(x)), 1e-300)))
    return err


def _final_fields(outdir) -> dict[str, np.ndarray]:
    _, arrays = load(CheckpointStore(outdir / "checkpoints", None).checkpoints()[0])
    return {k: v for k, v in arrays.items() if k.startswith(("field__", "mesh__x", "echem__"))}


def _fields_error(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.linalg.norm(np.nan_to_num(a[k] - b[k]))
                     / max(np.linalg.norm(np.nan_to_num(a[k])), 1e-300)) for k in a)


@pytest.mark.parametrize(("law", "echem"), [
    ("norton", False), ("narayan_anand", False), ("norton", True), ("norton", "silicon")])
def test_restart_equals_uninterrupted_run(shared_tmp, comm, law, echem):
    """Same rank count: history and final fields (displacement, stress, creep state, moved
    mesh, cathode SOC and potentials, the Li_xSi profile through the anode's history columns)
    of the restarted run equal the uninterrupted run's to 1e-10."""
    ref = StackRun(load_case_dict(_raw(law, echem=echem)), comm,
                     progress=False).run(shared_tmp / "ref")
    with pytest.raises(Interrupted, match="checkpoint"):
        _StopAfter(load_case_dict(_raw(law, echem=echem)), comm,
                   progress=False).run(shared_tmp / "out")
    kept = shared_tmp / "out.interrupted"
    assert len(read_history(kept / "history.csv")["time_s"]) == _StopAfter.stop_at + 1
    out = StackRun.from_checkpoint(shared_tmp / "out", comm, progress=False).run("-")
    assert out == (shared_tmp / "out").resolve() and not kept.exists()
    if comm.rank == 0:
        assert _history_error(read_history(ref / "history.csv"),
                              read_history(out / "history.csv")) < 1e-10
        assert _fields_error(_final_fields(ref), _final_fields(out)) < 1e-10
        summary = (out / "summary.json").read_text()
        assert '"restarts": 1' in summary and '"status": "completed"' in summary


def test_truncated_checkpoint_falls_back_to_the_previous(shared_tmp, comm, capsys):
    """Checkpoints every 2 steps, stopped after step 7 (checkpoints 6 and 7): the newest is
    cut in half, the restart reports it, continues from 6, and the result is unchanged."""
    ref = StackRun(load_case_dict(_raw(every=2)), comm, progress=False).run(shared_tmp / "ref")

    class Stop7(_StopAfter):
        stop_at = 7

    with pytest.raises(Interrupted):
        Stop7(load_case_dict(_raw(every=2)), comm, progress=False).run(shared_tmp / "out")
    store = CheckpointStore(shared_tmp / "out.interrupted" / "checkpoints", comm)
    files = store.checkpoints()
    assert [f.name for f in files] == ["ckpt-00000007.npz", "ckpt-00000006.npz"]  # keep = 2
    comm.barrier()
    if comm.rank == 0:
        data = files[0].read_bytes()
        files[0].write_bytes(data[: len(data) // 2])
    comm.barrier()
    capsys.readouterr()
    assert store.latest_valid() == files[1]
    if comm.rank == 0:
        assert "damaged checkpoint skipped (ckpt-00000007.npz" in capsys.readouterr().err
    sim = StackRun.from_checkpoint(shared_tmp / "out.interrupted", comm, progress=False)
    assert sim._resume.meta["run"]["accepted"] == 6
    out = sim.run("-")
    if comm.rank == 0:
        assert _history_error(read_history(ref / "history.csv"),
                              read_history(out / "history.csv")) < 1e-10


def test_no_checkpoint_is_a_clear_error(shared_tmp, comm):
    with pytest.raises(RestartError, match="no checkpoints found"):
        StackRun.from_checkpoint(shared_tmp / "nothing", comm)
    folder = shared_tmp / "bad.interrupted" / "checkpoints"
    if comm.rank == 0:
        folder.mkdir(parents=True)
        (folder / "ckpt-00000003.npz").write_bytes(b"PK\x03\x04 not a zip")
    comm.barrier()
    with pytest.raises(RestartError, match="no usable checkpoint .*ckpt-00000003.npz"):
        StackRun.from_checkpoint(shared_tmp / "bad", comm)


def test_restart_refuses_an_existing_final_folder(shared_tmp, comm):
    with pytest.raises(Interrupted):
        _StopAfter(load_case_dict(_raw()), comm, progress=False).run(shared_tmp / "out")
    if comm.rank == 0:
        (shared_tmp / "out").mkdir()
    comm.barrier()
    sim = StackRun.from_checkpoint(shared_tmp / "out.interrupted", comm, progress=False)
    with pytest.raises(OutputError, match="exists"):
        sim.run("-")
    assert (shared_tmp / "out.interrupted" / "checkpoints").is_dir()  # nothing moved


def test_restart_with_another_case_is_refused(shared_tmp, comm):
    with pytest.raises(Interrupted):
        _StopAfter(load_case_dict(_raw()), comm, progress=False).run(shared_tmp / "out")
    other = load_case_dict(_raw(every=3))
    with pytest.raises(RestartError, match="differs"):
        StackRun.from_checkpoint(shared_tmp / "out", comm, case=other)


# ------------------------------------------------------------------ real signals, rank changes

def _start(case, out, ranks: int, *extra: str) -> subprocess.Popen:
    cmd = [str(ROOT / ".venv/bin/mpirun"), "-n", str(ranks), str(ROOT / ".venv/bin/assb-fem"),
           "run", *([str(case), "-o", str(out)] if case else []), "--no-progress", *extra]
    return subprocess.Popen(cmd, env=clean_env(), stderr=subprocess.PIPE, text=True)


def _wait_rows(tmp_path, n: int, proc) -> None:
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        rows = list(tmp_path.glob(".out.partial-*/history.csv"))
        if rows and len(rows[0].read_text().splitlines()) > n:
            return
        time.sleep(0.1)
    raise AssertionError("the run did not get far enough")


def _kill_ranks(case, sig) -> None:
    pids = subprocess.run(["pgrep", "-f", f"python.*assb-fem run {case}"],
                          capture_output=True, text=True).stdout.split()
    assert pids
    for pid in pids:
        os.kill(int(pid), sig)


def _long_raw() -> dict:
    raw = _raw(every=3)
    raw["protocol"]["steps"] = ["Press at 25 MPa for 10 min", "Release to 5 MPa", "Lock gap",
                                "Charge at 0.5 mA/cm^2 for 4 h", "Rest for 1 h",
                                "Discharge at 0.5 mA/cm^2 for 4 h"]
    raw["solver"] = {"dt_initial": "5 min", "dt_max": "5 min"}
    return raw


@serial_only()
@pytest.mark.parametrize(("ranks", "sig", "restart_ranks"),
                         [(2, signal.SIGTERM, 2), (1, signal.SIGTERM, 2),
                          (1, signal.SIGKILL, 2), (2, signal.SIGTERM, 1)])
def test_killed_run_restarts_on_other_rank_counts(tmp_path, ranks, sig, restart_ranks):
    case = tmp_path / "c.toml"
    case.write_bytes(tomli_w.dumps(_long_raw()).encode())
    ref = subprocess.run([str(ROOT / ".venv/bin/mpirun"), "-n", str(ranks),
                          str(ROOT / ".venv/bin/assb-fem"), "run", str(case), "-o",
                          str(tmp_path / "ref"), "--no-progress"],
                         env=clean_env(), capture_output=True, text=True, timeout=300)
    assert ref.returncode == 0, ref.stderr
    proc = _start(case, tmp_path / "out", ranks)
    _wait_rows(tmp_path, 40, proc)
    _kill_ranks(case, sig)
    _, err = proc.communicate(timeout=120)
    if sig == signal.SIGTERM:
        assert proc.returncode == 5 and "assb-fem run --restart" in err, err
    else:  # killed outright: the partial folder with the interval checkpoints is all there is
        assert not (tmp_path / "out.interrupted").exists()
    res = subprocess.run([str(ROOT / ".venv/bin/mpirun"), "-n", str(restart_ranks),
                          str(ROOT / ".venv/bin/assb-fem"), "run", "--restart",
                          str(tmp_path / "out"), "--no-progress"],
                         env=clean_env(), capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "restart 1 from ckpt-" in res.stderr and "Traceback" not in res.stderr
    out = tmp_path / "out"
    a, b = read_history(tmp_path / "ref" / "history.csv"), read_history(out / "history.csv")
    assert len(set(b["time_s"])) == len(b["time_s"])  # no duplicate rows
    tol = 1e-10 if restart_ranks == ranks else 1e-7  # solver tolerance
    assert _history_error(a, b) < tol
    assert _fields_error(_final_fields(tmp_path / "ref"), _final_fields(out)) < tol
    assert not list(tmp_path.glob(".out.partial-*"))
    assert (out / "fields.xdmf").is_file() and (out / "fields.h5").is_file()


def test_unreadable_fields_file_is_set_aside(shared_tmp, comm):
    """A run killed outright can leave fields.xdmf empty: the restart keeps it as
    fields.damaged-1.* and writes the fields from the restart on into a new file (on every rank
    alike: no rank may be left in a collective open)."""
    with pytest.raises(Interrupted):
        _StopAfter(load_case_dict(_raw()), comm, progress=False).run(shared_tmp / "out")
    kept = shared_tmp / "out.interrupted"
    if comm.rank == 0:
        (kept / "fields.xdmf").write_text("")
    comm.barrier()
    out = StackRun.from_checkpoint(kept, comm, progress=False).run("-")
    assert (out / "fields.damaged-1.xdmf").is_file() and (out / "fields.xdmf").stat().st_size > 0
    assert len(read_history(out / "history.csv")["time_s"]) > _StopAfter.stop_at + 1
