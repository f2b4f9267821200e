"""assb-fem sweep: value splitting and product expansion, validation of every combination
before anything runs, a real 2 x 2 sweep (serial, and under mpirun -n 2 with the same numbers),
failed runs recorded without stopping the sweep (in process and with --jobs), the maps."""

import copy
import csv
import json
import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tomli_w
from conftest import BASE_CASE, ROOT, clean_env, serial_only

from fem.cli import main
from fem.errors import CaseError
from fem.study.axes import Axis, expand, parse_vary, slug, split_values
from fem.study.maps import curves, draw_maps, log_scale, maps_to_draw

VENV_BIN = ROOT / ".venv" / "bin"

#: The 2 x 2 sweep of the acceptance tests: initial stack pressure x holder type.
VARY = ["--vary", "holder.pressure=2 MPa, 5 MPa",
        "--vary", "holder.type=fixed_gap,constant_pressure"]
#: sweep.csv columns that depend on the machine, not on the physics.
TIMING = {"wall_time_s", "run", "message"}


def tiny_case() -> dict:
    """BASE_CASE with a rigid frame (valid for every holder type) and a protocol of two
    10-minute steps in one cycle: lock, charge, discharge."""
    raw = copy.deepcopy(BASE_CASE)
    del raw["holder"]["frame_stiffness"]
    raw["protocol"] = {"steps": ["Lock gap"], "repeat": 1,
                       "cycle": ["Charge at 0.5 mA/cm^2 for 10 min",
                                 "Discharge at 0.5 mA/cm^2 for 10 min"]}
    raw["solver"] = {"dt_initial": "10 min", "dt_max": "10 min", "dt_min": "5 min"}
    raw["output"] = {"plots": False, "fields": False}
    return raw


def _write_case(folder):
    path = folder / "tiny.toml"
    path.write_bytes(tomli_w.dumps(tiny_case()).encode())
    return path


def _read_csv(path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


# ---------------------------------------------------------------------------- unit tests
@pytest.mark.parametrize(("text", "values"), [
    ("1 MPa,3 MPa, 5 MPa ", ["1 MPa", "3 MPa", "5 MPa"]),
    ("fixed_gap", ["fixed_gap"]),
    ('["Lock gap", "Rest for 1 h"],["Rest, then lock"]',
     ['["Lock gap", "Rest for 1 h"]', '["Rest, then lock"]']),
    ("'a,b', \"c,d\",e", ["'a,b'", '"c,d"', "e"]),
    ('"x\\",y",z', ['"x\\",y"', "z"]),
    ("{a = 1, b = [2, 3]},(4,5)", ["{a = 1, b = [2, 3]}", "(4,5)"]),
])
def test_split_values(text, values):
    assert split_values(text) == values


@pytest.mark.parametrize(("text", "why"), [
    ("1,,2", "empty value"), ("", "empty value"), ("1 MPa,", "empty value"),
    ("[1,2", "unclosed bracket"), ("'a,b", "unclosed quote"), ("1],2", "unbalanced"),
    ("[1,2)", "unbalanced"),
])
def test_split_values_refuses(text, why):
    with pytest.raises(ValueError, match=why):
        split_values(text)


def test_parse_vary_numeric_and_categorical_axes():
    p, t, n, mixed, inf = parse_vary([
        "holder.pressure=1 MPa,3e6 Pa", "holder.type=fixed_gap,spring",
        "solver.newton_max_it=1,25", "x=1 MPa,2 mm", "holder.frame_stiffness=inf,1.6e8 N/m"])
    assert p.values == ("1 MPa", "3e6 Pa") and p.dimension == "pressure" and p.unit == "Pa"
    assert p.si == pytest.approx((1e6, 3e6), rel=1e-15)
    assert t.si is None and not t.numeric and t.values == ("fixed_gap", "spring")
    assert n.si == (1.0, 25.0) and n.dimension == "dimensionless"
    assert mixed.si is None and inf.si is None  # two dimensions / not a quantity: categorical


@pytest.mark.parametrize(("items", "fragment"), [
    ([], "give at least one key"),
    (["holder.pressure"], "expected key.path=v1,v2"),
    (["=1 MPa"], "expected key.path=v1,v2"),
    (["holder.pressure=1 MPa", "holder.pressure=2 MPa"], "varied twice"),
    (["holder.pressure=1 MPa,1 MPa"], "given twice"),
    (["holder.pressure=1 MPa,[2 MPa"], "unclosed bracket"),
])
def test_parse_vary_refuses(items, fragment):
    with pytest.raises(CaseError, match=fragment) as info:
        parse_vary(items)
    assert info.value.key.startswith("--vary")


def test_expand_is_the_product_first_key_slowest():
    axes = parse_vary(["holder.pressure=1 MPa,3 MPa,5 MPa", "holder.type=fixed_gap,spring"])
    points = expand(axes)
    assert [p.values for p in points] == [
        ("1 MPa", "fixed_gap"), ("1 MPa", "spring"), ("3 MPa", "fixed_gap"),
        ("3 MPa", "spring"), ("5 MPa", "fixed_gap"), ("5 MPa", "spring")]
    assert [p.index for p in points] == list(range(1, 7))
    assert points[0].name == "001-pressure-1MPa_type-fixed_gap"
    assert points[3].overrides == ["holder.pressure=3 MPa", "holder.type=spring"]
    assert len({p.name for p in points}) == 6


def test_slug_is_short_and_file_name_safe():
    assert slug(("cell.layers[0].thickness",), ("50 um",)) == "thickness-50um"
    assert slug(("holder.spring_rate",), ("'5.5 lbf/mm'",)) == "spring_rate-5.5lbf_mm"
    s = slug(("protocol.steps",), ('["Lock gap", "Charge at 0.5 mA/cm^2 for 1 h", "x" ]',))
    assert len(s) <= 60 and all(c.isalnum() or c in "._+-" for c in s), s


def test_maps_numeric_and_categorical(tmp_path):
    axes = [Axis("holder.type", ("fixed_gap", "spring")),
            Axis("holder.pressure", ("1 MPa", "3 MPa"), "pressure", (1e6, 3e6))]
    rows = [{"holder.type": t, "holder.pressure": p, "m": str(i), "empty": ""}
            for i, (t, p) in enumerate([("fixed_gap", "1 MPa"), ("fixed_gap", "3 MPa"),
                                        ("spring", "1 MPa"), ("spring", "3 MPa")])]
    # the numeric key goes along x, one line per holder type
    lines = curves(rows, axes, "m")
    assert [(lb, x, y) for lb, x, y in lines] == [
        ("holder.type = fixed_gap", [1e6, 3e6], [0.0, 1.0]),
        ("holder.type = spring", [1e6, 3e6], [2.0, 3.0])]
    paths = draw_maps(rows, axes, ["m", "empty"], tmp_path, title="t")
    assert paths == [tmp_path / "map_m.png"] and paths[0].stat().st_size > 1000
    # one categorical key: positions 0, 1; a missing run is a gap (NaN)
    cat = [Axis("holder.type", ("fixed_gap", "spring"))]
    (label, x, y), = curves(rows[:1], cat, "m")
    assert label == "" and x == [0.0, 1.0] and y[0] == 0.0 and math.isnan(y[1])
    assert draw_maps(rows[:1], cat, ["m"], tmp_path) == [tmp_path / "map_m.png"]


def test_per_cycle_metrics_are_mapped_for_the_first_and_last_cycle():
    metrics = ["max_stack_pressure_MPa"] + [f"pressure_swing_per_cycle_MPa.{c}" for c in
                                            range(1, 51)] + [
        f"lithium_inventory.{c}.{k}" for c in (1, 2, 3) for k in ("charge", "lost_mAh_cm2")]
    assert maps_to_draw(metrics) == [
        "max_stack_pressure_MPa", "pressure_swing_per_cycle_MPa.1",
        "pressure_swing_per_cycle_MPa.50", "lithium_inventory.1.charge",
        "lithium_inventory.1.lost_mAh_cm2", "lithium_inventory.3.charge",
        "lithium_inventory.3.lost_mAh_cm2"]


def test_maps_log_scale_for_spans_of_two_decades():
    hold = parse_vary(["protocol.values.hold=1 min,30 min,24 h"])[0]
    assert hold.dimension == "time" and hold.si == pytest.approx((60.0, 1800.0, 86400.0))
    assert log_scale(hold)
    assert not log_scale(Axis("holder.pressure", ("1 MPa", "20 MPa"), "pressure", (1e6, 2e7)))
    assert not log_scale(Axis("x", ("0 MPa", "1e3 MPa"), "pressure", (0.0, 1e9)))
    assert not log_scale(Axis("holder.type", ("fixed_gap", "spring")))


# ---------------------------------------------------------------------------- command line
@serial_only("writes into a per-process temporary folder")
def test_invalid_combinations_exit_2_and_write_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    case = _write_case(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    rc = main(["sweep", str(case), "--vary", "holder.pressure=2 MPa,5 mA",
               "--vary", "holder.type=fixed_gap,spring", "-o", str(tmp_path / "out")])
    assert rc == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err  # one line, no traceback
    # the bad value, named by its key, with what is allowed and where it occurs
    assert "--vary holder.pressure = '5 mA': expected a pressure" in err
    assert "(combinations 3, 4 of 4)" in err
    # a value that is valid alone but not with the rest of the case
    assert "--vary holder.type = 'spring': with it holder.spring_count" in err
    assert "3 of 4 combinations invalid" in err
    assert sorted(tmp_path.rglob("*")) == before  # no output folder, no mesh cache
    assert main(["sweep", str(case), *VARY, "--jobs", "0"]) == 2
    assert main(["sweep", str(case), "--vary", "holder.pressure=1 MPa,,2 MPa"]) == 2
    assert sorted(tmp_path.rglob("*")) == before


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory):
    """The 2 x 2 sweep run in process (on COMM_WORLD: serial, or the ranks of an MPI pass)."""
    from fem._dolfinx import MPI

    comm = MPI.COMM_WORLD
    folder = str(tmp_path_factory.mktemp("sweep")) if comm.rank == 0 else None
    folder = Path(comm.bcast(folder, root=0))
    case = _write_case(folder) if comm.rank == 0 else folder / "tiny.toml"
    comm.barrier()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)  # the mesh cache (./meshes) goes there too
        rc = main(["sweep", str(case), *VARY, "-o", str(folder / "out"), "--no-progress"])
    comm.barrier()
    return folder, case, rc


def test_sweep_2x2_writes_table_runs_and_maps(serial_sweep, capsys):
    folder, case, rc = serial_sweep
    assert rc == 0
    out = folder / "out"
    rows = _read_csv(out / "sweep.csv")
    assert [(r["holder.pressure"], r["holder.type"]) for r in rows] == [
        ("2 MPa", "fixed_gap"), ("2 MPa", "constant_pressure"),
        ("5 MPa", "fixed_gap"), ("5 MPa", "constant_pressure")]
    assert [float(r["holder.pressure_si"]) for r in rows] == [2e6, 2e6, 5e6, 5e6]
    assert [r["status"] for r in rows] == ["completed"] * 4
    assert [r["index"] for r in rows] == ["1", "2", "3", "4"]
    for r in rows:
        summary = json.loads((out / r["run"] / "summary.json").read_text())
        assert summary["status"] == "completed"
        for key in ("final_stack_pressure_MPa", "max_stack_pressure_MPa",
                    "min_stack_pressure_MPa", "final_li_thickness_change_um"):
            assert float(r[key]) == summary["results"][key], key  # round-trip exact
        swing = summary["results"]["pressure_swing_per_cycle_MPa"]["1"]
        assert float(r["pressure_swing_per_cycle_MPa.1"]) == swing
        assert float(r["wall_time_s"]) == summary["wall_time_s"]
        assert (out / r["run"] / "history.csv").is_file()
    # the overrides took effect: constant pressure holds the initial pressure; a fixed gap
    # swings over the cycle
    for r in rows:
        p0 = float(r["holder.pressure_si"]) / 1e6
        if r["holder.type"] == "constant_pressure":
            assert float(r["final_stack_pressure_MPa"]) == pytest.approx(p0, rel=1e-6)
            assert abs(float(r["pressure_swing_per_cycle_MPa.1"])) < 1e-6
        else:
            assert float(r["pressure_swing_per_cycle_MPa.1"]) > 0.1
    spec = json.loads((out / "sweep.json").read_text())
    assert [v["key"] for v in spec["vary"]] == ["holder.pressure", "holder.type"]
    assert spec["vary"][0]["values_si"] == [2e6, 5e6] and spec["vary"][1]["values_si"] is None
    assert [r["folder"] for r in spec["runs"]] == [r["run"] for r in rows]
    for metric in ("final_stack_pressure_MPa", "pressure_swing_per_cycle_MPa.1", "wall_time_s"):
        assert (out / f"map_{metric}.png").stat().st_size > 1000, metric
    # an existing sweep folder is kept unless --overwrite; only sweep folders are replaced
    before = sorted(out.rglob("*"))
    assert main(["sweep", str(case), *VARY, "-o", str(out)]) == 3
    assert sorted(out.rglob("*")) == before
    run = out / rows[0]["run"]
    assert main(["sweep", str(case), *VARY, "-o", str(run), "--overwrite"]) == 3
    assert sorted(out.rglob("*")) == before


@serial_only()
def test_sweep_mpirun_matches_serial(serial_sweep):
    """Acceptance: `mpirun -n 2 assb-fem sweep` (runs spread over the ranks) gives the serial
    sweep.csv numbers to 1e-8 relative."""
    folder, case, rc = serial_sweep
    assert rc == 0
    out = folder / "out_mpi"
    cmd = [str(VENV_BIN / "mpirun"), "-n", "2", str(VENV_BIN / "assb-fem"), "sweep", str(case),
           *VARY, "-o", str(out), "--no-progress"]
    r = subprocess.run(cmd, env=clean_env(), capture_output=True, text=True, timeout=300,
                       cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "table -> " in r.stdout and r.stdout.count("sweep.csv") == 1  # rank 0 prints once
    serial, mpi = _read_csv(folder / "out" / "sweep.csv"), _read_csv(out / "sweep.csv")
    assert serial[0].keys() == mpi[0].keys() and len(mpi) == 4
    for a, b in zip(serial, mpi, strict=True):
        for col in a.keys() - TIMING:
            try:
                x, y = float(a[col]), float(b[col])
            except ValueError:
                assert a[col] == b[col], col
                continue
            assert np.isclose(x, y, rtol=1e-8, atol=1e-12), (col, x, y)
    spec = json.loads((out / "sweep.json").read_text())
    assert spec["mode"] == {"kind": "mpi", "workers": 2, "assignment": "round-robin"}


@serial_only("writes into a per-process temporary folder")
def test_failed_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    """Newton limited to 1 iteration fails after all cut-backs (exit 4 of the run): recorded
    with its status and message, in process and with --jobs (child processes)."""
    monkeypatch.chdir(tmp_path)
    case = _write_case(tmp_path)
    vary = ["--vary", "solver.newton_max_it=1,25"]
    assert main(["sweep", str(case), *vary, "-o", "serial", "--no-progress"]) == 4
    assert main(["sweep", str(case), *vary, "-o", "jobs", "--jobs", "2"]) == 4
    err = capsys.readouterr().err
    assert "1 run(s) did not complete (001-newton_max_it-1)" in err
    for name in ("serial", "jobs"):
        rows = _read_csv(tmp_path / name / "sweep.csv")
        assert [r["status"] for r in rows] == ["failed", "completed"], name
        assert rows[0]["run"] == "runs/001-newton_max_it-1.failed"
        assert "Newton did not converge in 1 iterations" in rows[0]["message"]
        assert rows[0]["final_stack_pressure_MPa"] == ""
        assert (tmp_path / name / rows[0]["run"] / "FAILED").is_file()
        assert float(rows[1]["solver.newton_max_it_si"]) == 25.0
    a, b = (_read_csv(tmp_path / n / "sweep.csv")[1] for n in ("serial", "jobs"))
    assert float(a["final_stack_pressure_MPa"]) == float(b["final_stack_pressure_MPa"])
    spec = json.loads((tmp_path / "jobs" / "sweep.json").read_text())
    assert spec["mode"] == {"kind": "processes", "workers": 2}
