"""`assb-fem plot` and `assb-fem report` on a run's output (serially and under mpirun: rank 0
writes, every rank returns the same exit status)."""

from __future__ import annotations

import base64
import copy
import csv
import math
import re

import matplotlib.pyplot as plt
import pytest
import tomli_w
from conftest import BASE_CASE

from fem._dolfinx import MPI
from fem.cli import main
from fem.output.directory import write_marker
from fem.output.history import read_history
from fem.output.plots import plot_history, plot_run, standard_figures


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One small run shared by the tests of this module (same folder on every rank)."""
    from pathlib import Path

    comm = MPI.COMM_WORLD
    root = None
    if comm.rank == 0:
        root = tmp_path_factory.mktemp("plot_report")
        (root / "case.toml").write_text(tomli_w.dumps(copy.deepcopy(BASE_CASE)))
    root = Path(comm.bcast(str(root) if root else None, root=0))
    out = root / "out"
    assert main(["run", str(root / "case.toml"), "-o", str(out), "--no-progress"]) == 0
    comm.barrier()
    return out


def _png_ok(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2000


def test_plot_writes_png_and_svg(run_dir, capsys):
    comm = MPI.COMM_WORLD
    assert main(["plot", str(run_dir)]) == 0
    comm.barrier()
    plots = run_dir / "plots"
    for name in ("pressure", "electrochemistry", "capacity", "solver"):
        assert _png_ok(plots / f"{name}.png"), name
        svg = (plots / f"{name}.svg").read_text()
        assert "<svg" in svg and "</svg>" in svg
    # the run writes li_thickness_change_um: the Li figure is there too
    if "li_thickness_change_um" in read_history(run_dir / "history.csv"):
        assert _png_ok(plots / "lithium.png")
    out = capsys.readouterr().out
    assert ("figure files" in out) == (comm.rank == 0)


def test_report_is_self_contained(run_dir):
    comm = MPI.COMM_WORLD
    assert main(["report", str(run_dir)]) == 0
    comm.barrier()
    text = (run_dir / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>")
    assert "<h1>test_stack</h1>" in text
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert len(images) >= 3
    assert all(base64.b64decode(img)[:8] == b"\x89PNG\r\n\x1a\n" for img in images)
    # no external resources: everything is in the page
    assert not re.search(r'(src|href)="(?!data:)', text)
    # case, versions and key numbers
    for needle in ("Protocol", "Charge at 0.5 mA/cm^2 for 1 h", "li6ps5cl", "Versions", "dolfinx",
                   "stack pressure at the end", "time steps", "completed"):
        assert needle in text, needle


def test_report_to_another_file(run_dir, tmp_path_factory):
    comm = MPI.COMM_WORLD
    dest = run_dir.parent / "elsewhere.html"
    assert main(["report", str(run_dir), "-o", str(dest)]) == 0
    comm.barrier()
    assert "test_stack" in dest.read_text(encoding="utf-8")


def test_not_a_run_folder(run_dir, capsys):
    comm = MPI.COMM_WORLD
    missing = run_dir.parent / "no_such_run"
    assert main(["plot", str(missing)]) == 3
    assert main(["report", str(missing)]) == 3
    err = capsys.readouterr().err
    if comm.rank == 0:
        assert "no_such_run" in err
    else:
        assert err == ""


def _fake_history(path, extra: dict) -> None:
    """A history.csv with the base columns and extra ones (functions of the row index)."""
    base = ["time_s", "step", "cycle", "dt_s", "stack_pressure_MPa", "stack_strain",
            "platen_displacement_um", "temperature_K", "current_density_mA_cm2",
            "capacity_mAh_cm2", "newton_iterations"]
    labels = ["initial load", "Press at 25 MPa for 10 min", "Release to 5 MPa",
              "Charge at 1 mA/cm^2 for 1 h", "Charge at 1 mA/cm^2 for 1 h",
              "Rest for 10 min", "Discharge at 1 mA/cm^2 for 1 h", "Discharge at 1 mA/cm^2 for 1 h"]
    times = [0, 600, 610, 2410, 4210, 4810, 6610, 8410]
    steps = [-1, 0, 1, 3, 3, 4, 5, 5]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(base + list(extra) + ["step_label"])
        for i, t in enumerate(times):
            row = [t, steps[i], 0, 10, 5 + i, -1e-4, -0.1, 298.15, 1.0, 0.1 * i, 2]
            w.writerow(row + [fn(i) for fn in extra.values()] + [labels[i]])


@pytest.mark.skipif(MPI.COMM_WORLD.size > 1, reason="pure matplotlib; once is enough")
def test_optional_columns_get_their_figures(tmp_path):
    extra = {
        "voltage_V": lambda i: 3.6 + 0.05 * i,
        "li_thickness_change_um": lambda i: 0.5 * i,
        "contact_fraction": lambda i: 0.9 + 0.01 * i,
        "max_local_current_density_mA_cm2": lambda i: 2.0 + i,
        "min_local_current_density_mA_cm2": lambda i: "nan" if i == 0 else 0.5,
        "some_new_quantity_MPa": lambda i: i,
    }
    _fake_history(tmp_path / "history.csv", extra)
    write_marker(tmp_path)  # plot writes only into run folders of ours
    hist = read_history(tmp_path / "history.csv")
    assert math.isnan(hist["min_local_current_density_mA_cm2"][0])
    names = []
    for name, _caption, fig in standard_figures(hist):
        names.append(name)
        if name == "electrochemistry":
            assert [a.get_ylabel() for a in fig.axes[:2]] == ["voltage (V)",
                                                               "current density (mA/cm²)"]
        if name == "lithium":
            assert len(fig.axes) == 3
            assert len(fig.axes[2].get_lines()) == 2  # max and min local current density
        if name == "other":
            assert fig.axes[0].get_ylabel() == "some new quantity (MPa)"
        plt.close(fig)
    assert names == ["pressure", "electrochemistry", "capacity", "lithium", "solver", "other"]
    written = plot_run(tmp_path, formats=("png",))
    assert sorted(p.name for p in written) == sorted(f"{n}.png" for n in names)
    # plot_history keeps its signature; the overview gains the optional panels
    path = plot_history(hist, tmp_path / "history.png", "title")
    assert _png_ok(path)


@pytest.mark.skipif(MPI.COMM_WORLD.size > 1, reason="pure matplotlib; once is enough")
def test_base_columns_only(tmp_path):
    _fake_history(tmp_path / "history.csv", {})
    hist = read_history(tmp_path / "history.csv")
    figures = standard_figures(hist)
    names = [n for n, _c, _f in figures]
    for _n, _c, fig in figures:
        plt.close(fig)
    assert names == ["pressure", "electrochemistry", "capacity", "solver"]
    assert main(["report", str(tmp_path)]) == 3   # not a run folder of ours: refused
    write_marker(tmp_path)
    assert main(["report", str(tmp_path)]) == 0   # no summary.json / case: still a page
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in text and "status" in text.lower()
