"""scripts/cluster/assb-fem.slurm without Slurm: a stand-in assb-fem (a shell script that
records its arguments and exits with a chosen status) and a stand-in sbatch on the PATH. The
script must start a new run, restart an interrupted one, resubmit itself after an interruption
(status 5) until MAX_JOBS, leave a finished run alone and refuse a call without arguments."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import serial_only

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "cluster" / "assb-fem.slurm"


def _stub(path: Path, body: str) -> Path:
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def slurm(tmp_path):
    """Run the script with stand-ins; returns (call, log of assb-fem calls, log of sbatch)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    runs, subs = tmp_path / "runs.log", tmp_path / "sbatch.log"
    assb = _stub(tmp_path / "assb", f'echo "$*" >> {runs}\nexit "${{STUB_STATUS:-0}}"\n')
    _stub(bindir / "sbatch", f'echo "$ASSB_JOB_NUMBER $*" >> {subs}\n')

    def call(*args: str, status: int = 0, job: int | None = None):
        env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "SRUN": "",
               "ASSB": str(assb), "STUB_STATUS": str(status), "SLURM_SUBMIT_DIR": str(tmp_path)}
        env.pop("ASSB_JOB_NUMBER", None)
        if job is not None:
            env["ASSB_JOB_NUMBER"] = str(job)
        return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=60)

    def lines(path: Path) -> list[str]:
        return path.read_text().splitlines() if path.exists() else []

    return call, (lambda: lines(runs)), (lambda: lines(subs)), tmp_path


@serial_only("runs bash scripts with stand-ins; nothing of MPI to test")
def test_new_run_and_resubmission_after_an_interruption(slurm):
    call, runs, subs, tmp = slurm
    r = call("case.toml", str(tmp / "out"), "3", status=5)
    assert r.returncode == 5, r.stderr
    assert runs() == [f"run case.toml -o {tmp / 'out'} --no-progress"]
    assert subs() == [f"2 --export=ALL {SCRIPT} case.toml {tmp / 'out'} 3"]


@serial_only("runs bash scripts with stand-ins; nothing of MPI to test")
def test_restart_of_an_interrupted_run_and_the_job_limit(slurm):
    call, runs, subs, tmp = slurm
    (tmp / "out.interrupted" / "checkpoints").mkdir(parents=True)
    r = call("case.toml", str(tmp / "out"), "3", status=5, job=3)
    assert r.returncode == 5, r.stderr
    assert runs() == [f"run --restart {tmp / 'out'} --no-progress"]
    assert subs() == []  # job 3 of at most 3: no fourth job
    r = call("case.toml", str(tmp / "out"), "3", status=0, job=2)
    assert r.returncode == 0 and subs() == []


@serial_only("runs bash scripts with stand-ins; nothing of MPI to test")
def test_a_finished_run_is_left_alone_and_arguments_are_required(slurm):
    call, runs, subs, tmp = slurm
    (tmp / "out").mkdir()
    (tmp / "out" / "summary.json").write_text("{}")
    r = call("case.toml", str(tmp / "out"))
    assert r.returncode == 0 and "finished already" in r.stdout and runs() == []
    r = call("case.toml")
    assert r.returncode == 2 and "usage" in r.stderr and runs() == [] and subs() == []
