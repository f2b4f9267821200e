"""SIGTERM / SIGINT (a scheduler's wall-time limit, Ctrl-C): the run stops after the current
step, keeps its outputs in OUTDIR.interrupted/ and exits with code 5.

A batch system sends SIGTERM to every rank of the job (what srun does); MPICH's mpirun itself
forwards SIGINT but answers SIGTERM by killing the ranks, so SIGTERM goes to the ranks here."""

import json
import os
import signal
import subprocess
import time

import pytest
import tomli_w
from conftest import ROOT, clean_env, serial_only

from fem.output.history import read_history


@serial_only()
@pytest.mark.parametrize(("ranks", "sig"), [(1, signal.SIGTERM), (2, signal.SIGTERM),
                                            (1, signal.SIGINT)])
def test_signal_stops_cleanly(base_case, tmp_path, ranks, sig):
    base_case["protocol"]["cycle"] = ["Charge at 0.5 mA/cm^2 for 1 h", "Rest for 10 min",
                                      "Discharge at 0.5 mA/cm^2 for 1 h"]
    base_case["protocol"]["repeat"] = 200
    base_case["solver"] = {"dt_initial": "5 min", "dt_max": "5 min"}
    case = tmp_path / "c.toml"
    case.write_bytes(tomli_w.dumps(base_case).encode())
    out = tmp_path / "out"
    cmd = [str(ROOT / ".venv/bin/mpirun"), "-n", str(ranks), str(ROOT / ".venv/bin/assb-fem"),
           "run", str(case), "-o", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, env=clean_env(), stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until some steps are written
        rows = [p for p in tmp_path.glob(".out.partial-*/history.csv")]
        if rows and len(rows[0].read_text().splitlines()) > 8:
            break
        time.sleep(0.2)
    if sig == signal.SIGINT:
        proc.send_signal(sig)  # Ctrl-C on mpirun: forwarded to the ranks
    else:
        pids = subprocess.run(["pgrep", "-f", f"python.*assb-fem run {case}"],
                              capture_output=True, text=True).stdout.split()
        assert len(pids) == ranks, pids
        for pid in pids:
            os.kill(int(pid), sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 5, err
    assert f"stopped by {sig.name}" in err and "Traceback" not in err
    kept = tmp_path / "out.interrupted"
    assert (kept / "INTERRUPTED").is_file() and not out.exists()
    summary = json.loads((kept / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    hist = read_history(kept / "history.csv")
    assert len(hist["time_s"]) >= 8  # the rows seen before the signal (it may land right after one)
    assert hist["time_s"][-1] == pytest.approx(summary["simulated_time_s"])
