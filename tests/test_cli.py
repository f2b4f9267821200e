"""The command line end to end: check/run/cases/version, bad input, outputs, MPI consistency."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import tomli_w
from conftest import ROOT, clean_env, serial_only

from fem._dolfinx import MPI
from fem.cli import main
from fem.output.history import read_history

VENV_BIN = ROOT / ".venv" / "bin"


def _write_case(path, raw):
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


@serial_only("writes into a per-process temporary folder")
@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda r: r["cell"]["layers"][0].update(thickness="-100 um"),
         "cell.layers[0].thickness = '-100 um': must be in [0.1 um, 100000 um]"),
        (lambda r: r["holder"].update(stiffness="1 N/m"), "holder.stiffness = '1 N/m': unknown key"),
        (lambda r: r["holder"].update(pressure="5 mA"),
         "holder.pressure = '5 mA': expected a pressure"),
        (lambda r: r["protocol"].update(steps=["Press 25 MPa"]),
         "protocol.steps[0] = 'Press 25 MPa': unknown or malformed step"),
    ],
)
def test_check_and_run_reject_bad_input_and_write_nothing(base_case, tmp_path, capsys,
                                                          mutate, fragment):
    mutate(base_case)
    case = _write_case(tmp_path / "bad.toml", base_case)
    before = sorted(tmp_path.rglob("*"))
    assert main(["check", str(case)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1  # one clear line, no traceback
    assert main(["run", str(case), "-o", str(tmp_path / "out"), "--no-progress"]) == 2
    assert sorted(tmp_path.rglob("*")) == before


def test_cases_and_version(capsys, comm):
    assert main(["cases"]) == 0
    out = capsys.readouterr().out
    assert ("ncm811_li_fixed_gap" in out) == (comm.rank == 0)  # only rank 0 prints
    assert main(["version"]) == 0
    out = capsys.readouterr().out
    for k in ("assb_fem", "dolfinx", "petsc", "mpi", "gmsh"):
        assert (k in out) == (comm.rank == 0)


def test_check_prints_resolved_si(capsys, comm):
    assert main(["check", "ncm811_li_fixed_gap"]) == 0
    out = capsys.readouterr().out
    if comm.rank == 0:
        assert "valid" in out and "pressure = 5000000.0" in out
    else:
        assert out == ""


def _xdmf_times(path) -> list[float]:
    root = ET.parse(path).getroot()
    return sorted({float(t.get("Value")) for t in root.iter("Time")})


def test_run_writes_all_outputs(base_case, shared_tmp, comm):
    case = _write_case(shared_tmp / "c.toml", base_case) if comm.rank == 0 else None
    case = comm.bcast(str(case) if case else None, root=0)
    out = shared_tmp / "out"
    assert main(["run", case, "-o", str(out), "--no-progress"]) == 0
    comm.barrier()
    for f in ("fields.xdmf", "fields.h5", "history.csv", "summary.json",
              "case.resolved.toml", "history.png"):
        assert (out / f).is_file(), f
    hist = read_history(out / "history.csv")
    for col in ("time_s", "step", "stack_pressure_MPa", "stack_strain", "temperature_K"):
        assert col in hist
    # the press is reported from the platen reaction, then the holder locks at 5 MPa
    press = [p for p, s in zip(hist["stack_pressure_MPa"], hist["step"], strict=True) if s == 0]
    assert press and np.allclose(press, 25.0, rtol=1e-8)
    # 0.5 mAh/cm^2 plated (2.4 um of Li) in the fixed gap raises the pressure
    assert hist["stack_pressure_MPa"][-1] > 5.5
    charge = [i for i, s in enumerate(hist["step"]) if s == 3]
    grown = hist["li_thickness_change_um"][charge[-1]] - hist["li_thickness_change_um"][charge[0] - 1]
    assert 1.5 < grown < 2.5, grown
    assert hist["capacity_mAh_cm2"][-1] == pytest.approx(0.5, rel=1e-12)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["ranks"] == comm.size
    assert len(summary["case_sha256"]) == 64
    # every accepted step is a time in fields.xdmf
    assert _xdmf_times(out / "fields.xdmf") == pytest.approx(sorted(set(hist["time_s"])))
    assert not list(shared_tmp.glob(".out.partial-*"))
    # an existing output folder is not overwritten without --overwrite
    comm.barrier()
    assert main(["run", case, "-o", str(out), "--no-progress"]) == 3
    assert main(["run", case, "-o", str(out), "--no-progress", "--overwrite"]) == 0


@serial_only()
def test_mpirun_history_equals_serial(base_case, tmp_path):
    """Acceptance: `mpirun -n 2 assb-fem run` gives the serial history.csv to 1e-8 relative."""
    case = _write_case(tmp_path / "c.toml", base_case)
    exe = str(VENV_BIN / "assb-fem")
    runs = {}
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        cmd = [str(VENV_BIN / "mpirun"), "-n", str(n), exe, "run", str(case), "-o", str(out),
               "--no-progress"]
        r = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        runs[n] = read_history(out / "history.csv")
    assert runs[1].keys() == runs[2].keys()
    for col, a in runs[1].items():
        if col == "step_label":
            assert a == runs[2][col]
            continue
        a, b = np.array(a), np.array(runs[2][col])
        assert np.allclose(a, b, rtol=1e-8, atol=1e-12 * max(np.abs(a).max(), 1e-30)), col


@serial_only()
def test_module_entry_point():
    r = subprocess.run([sys.executable, "-m", "fem.cli", "cases"], capture_output=True, text=True)
    assert r.returncode == 0 and "ncm811_li_fixed_gap" in r.stdout


def test_progress_bar_survives_running_past_its_estimate():
    """Steps "until" a cut-off can outlast the estimated total (the default case does): the bar
    must keep going (tqdm drops a passed total to None, which broke the format)."""
    from fem.log import Progress

    bar = Progress(3600.0, True, MPI.COMM_SELF)
    for _ in range(3):
        bar.update(3600.0, "Charge at C/10 until 4.3 V")
    bar.close()
