"""fields.xdmf in ParaView 5.11 (pvpython, reader Xdmf3ReaderT) and the scripts in
scripts/paraview: every time step of the run loads, one step renders to a PNG with a picture in
it, the frame series, the line plot and the state file.

Needs ParaView and Xvfb (Debian/Ubuntu: ``apt-get install paraview xvfb``); skipped without
them and under MPI (pvpython is started here as a subprocess, once is enough).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import tomli_w
from conftest import BASE_CASE, ROOT, clean_env

from fem._dolfinx import MPI
from fem.cli import main
from fem.output.history import read_history

PVPYTHON = shutil.which("pvpython")
XVFB_RUN = shutil.which("xvfb-run")
SCRIPTS = ROOT / "scripts" / "paraview"

serial = pytest.mark.skipif(MPI.COMM_WORLD.size > 1,
                            reason="runs subprocesses; only in the serial pass")
_MISSING = [f"{name} not found ({hint})" for name, found, hint in (
    ("pvpython", PVPYTHON, "ParaView 5.11: apt-get install paraview"),
    ("xvfb-run", XVFB_RUN, "headless rendering: apt-get install xvfb")) if found is None]
needs_paraview = pytest.mark.skipif(bool(_MISSING), reason="; ".join(_MISSING))
pytestmark = serial

#: Failures of the virtual X server, not of the scripts: the command is tried again.
_X_FAILURES = ("bad X server connection", "Xvfb failed to start", "cannot open display",
               "GLXBadContext", "problem while cleaning up temporary directory")


def pvpython(*args, timeout: float = 180) -> subprocess.CompletedProcess:
    """``xvfb-run -a pvpython ARGS``; asserts success, returns the finished process."""
    env = {k: v for k, v in clean_env().items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "MPLBACKEND")}
    cmd = [XVFB_RUN, "-a", PVPYTHON, *map(str, args)]
    for _attempt in range(4):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                              cwd=ROOT)
        output = proc.stdout + proc.stderr
        if proc.returncode == 0 or not any(s in output for s in _X_FAILURES):
            break
    assert proc.returncode == 0, f"{' '.join(cmd)} failed ({proc.returncode}):\n{output[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A small run (the tests' base case) whose fields.xdmf ParaView reads."""
    root = tmp_path_factory.mktemp("paraview")
    case = copy.deepcopy(BASE_CASE)
    case.setdefault("output", {})["field_interval"] = 1
    (root / "case.toml").write_text(tomli_w.dumps(case))
    out = root / "out"
    assert main(["run", str(root / "case.toml"), "-o", str(out), "--no-progress"]) == 0
    return out


def _history_times(run_dir) -> list[float]:
    return sorted(set(read_history(run_dir / "history.csv")["time_s"]))


_PROBE = """
import json, sys
from paraview.simple import GetParaViewVersion, Xdmf3ReaderT
r = Xdmf3ReaderT(FileName=[sys.argv[1]])
r.UpdatePipelineInformation()
v = GetParaViewVersion()
print("PROBE" + json.dumps({"version": [v.major, v.minor], "times": list(r.TimestepValues),
      "points": list(r.PointData.keys()), "cells": list(r.CellData.keys())}))
"""


@needs_paraview
def test_xdmf_opens_with_all_time_steps(run_dir, tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text(_PROBE)
    out = pvpython(probe, run_dir / "fields.xdmf").stdout
    info = json.loads(out.split("PROBE", 1)[1].splitlines()[0])
    assert tuple(info["version"]) >= (5, 11), info["version"]
    times = _history_times(run_dir)
    assert len(times) > 3
    assert len(info["times"]) == len(times)
    assert info["times"] == pytest.approx(times)
    assert "displacement" in info["points"]
    assert {"von_mises", "stress_zz"} <= set(info["cells"])


def _picture(path):
    """(height, width, distinct colours, fraction of coloured pixels) of a PNG."""
    from PIL import Image

    img = np.asarray(Image.open(path).convert("RGB")).astype(int)
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    saturation = img.max(axis=2) - img.min(axis=2)
    return img.shape[0], img.shape[1], colours, float((saturation > 40).mean())


@needs_paraview
def test_render_one_time_step(run_dir, tmp_path):
    png = tmp_path / "last.png"
    proc = pvpython(SCRIPTS / "render.py", run_dir, "--time", "last", "-o", png)
    assert str(png) in proc.stdout
    assert png.stat().st_size > 10_000
    h, w, colours, coloured = _picture(png)
    assert w >= 800 and h >= 300
    assert colours > 200, colours          # a coloured field, a colour bar, text: not uniform
    assert coloured > 0.05, coloured       # the section itself fills part of the picture


@needs_paraview
def test_render_frame_series(run_dir, tmp_path):
    frames = tmp_path / "frames"
    pvpython(SCRIPTS / "render.py", run_dir / "fields.xdmf", "--all-times", "--field",
             "stress_zz", "--size", "640", "360", "-o", frames)
    times = _history_times(run_dir)
    pngs = sorted(frames.glob("frame_*.png"))
    assert [p.name for p in pngs] == [f"frame_{i:04d}.png" for i in range(len(times))]
    with (frames / "frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [float(r["time_s"]) for r in rows] == pytest.approx(times)
    assert _picture(pngs[-1])[2] > 100


@needs_paraview
def test_line_plot_across_the_stack(run_dir, tmp_path):
    prefix = tmp_path / "axis"
    pvpython(SCRIPTS / "line_plot.py", run_dir, "--radius", "2.5mm", "--time", "first", "last",
             "--resolution", "100", "-o", prefix)
    with prefix.with_suffix(".csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {"time_s", "r_m", "z_m", "von_mises", "stress_zz", "displacement_r",
            "displacement_z"} <= set(rows[0])
    assert len(rows) == 2 * 101
    z = [float(r["z_m"]) for r in rows]
    assert min(z) < 1e-5 and max(z) == pytest.approx(900e-6, rel=1e-3)  # 100 + 700 + 100 um
    assert all(float(r["r_m"]) == pytest.approx(2.5e-3) for r in rows)
    # compressive stack-normal stress in the separator at the end (5 MPa or more)
    last = [r for r in rows if float(r["time_s"]) == max(float(q["time_s"]) for q in rows)]
    mid = [float(r["stress_zz"]) for r in last if 300e-6 < float(r["z_m"]) < 600e-6]
    assert mid and max(mid) < -4e6
    assert _picture(prefix.with_suffix(".png"))[2] > 20


_LOAD = """
import sys
from paraview.simple import Delete, GetAnimationScene, GetSources, GetViews, LoadState
LoadState(sys.argv[1])
names = sorted(k[0] for k in GetSources())
n = len(GetAnimationScene().TimeKeeper.TimestepValues)
print("LOADED", n, "|".join(names))
for v in GetViews():
    Delete(v)
"""


@needs_paraview
def test_state_file(run_dir, tmp_path):
    state = tmp_path / "fields.pvsm"
    pvpython(SCRIPTS / "make_state.py", run_dir, "--line-radius", "0", "-o", state)
    text = state.read_text()
    assert "Xdmf3ReaderT" in text and str(run_dir / "fields.xdmf") in text
    loader = tmp_path / "load.py"
    loader.write_text(_LOAD)
    out = pvpython(loader, state).stdout
    n, names = out.split("LOADED", 1)[1].strip().split(maxsplit=1)
    assert int(n) == len(_history_times(run_dir))
    assert "fields.xdmf" in names.split("|")


@pytest.mark.parametrize("script", ["render.py", "line_plot.py", "make_state.py"])
def test_help_without_paraview(script):
    """--help needs no ParaView: plain Python shows it."""
    proc = subprocess.run([sys.executable, str(SCRIPTS / script), "--help"], capture_output=True,
                          text=True, timeout=60, env={**os.environ})
    assert proc.returncode == 0 and "usage:" in proc.stdout
