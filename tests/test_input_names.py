"""Names and paths (issue 16): a case name is a plain file name (it names results/<name>), a
layer name a plain region name, the sweep folder follows the rules of a run folder, and any
bytes on the command line end in a one-line error or a valid command, never a traceback.

Property-based (hypothesis, derandomized, no database); never the mesh or the solver."""

from __future__ import annotations

import json
import os
import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from input_helpers import (
    RANK0,
    case_at,
    cli,
    hypothesis_settings,
    no_mesh_no_solver,
    one_line_error,
    private_hypothesis_home,
    verdict,
)

from fem.case.model import Case
from fem.case.schema import MAX_NAME
from fem.errors import CaseError, OutputError
from fem.output.directory import MARKER, write_marker

_hypothesis_home = private_hypothesis_home()

#: Names that are not plain file names, and why (each a case error on "name").
BAD_NAMES = [
    ".", "..", "../escape", "a/b", "/abs", "a\\b", "a\x00b", "a\n", "a\r", "\nname", "a\tb",
    "a\x7f", ".hidden", "-dash", "", " ", "a b", "x" * (MAX_NAME + 1), "x" * 200_000,
    "ü", "name\u2028",
]


@pytest.mark.parametrize("name", BAD_NAMES, ids=lambda n: repr(n)[:30])
def test_names_that_are_not_plain_file_names_are_case_errors(name):
    res, _ = verdict(case_at(("name",), name))
    assert isinstance(res, CaseError), f"name {name!r} accepted"
    assert res.key == "name", res
    assert len(str(res)) < 1500  # a 200 000-character name is cut in the message


@pytest.mark.parametrize("name", ["a", "ncm811_li-fixed.gap", "X" * MAX_NAME, "0_run", "_x"])
def test_plain_names_are_valid(name):
    assert isinstance(verdict(case_at(("name",), name))[0], Case)


@pytest.mark.parametrize("name", ["li\n", "Li", "1li", "li-x", "l" * 65, "li/x"])
def test_layer_names_are_plain_region_names(name):
    res, _ = verdict(case_at(("cell", "layers", 2, "name"), name))
    assert isinstance(res, CaseError) and res.key == "cell.layers[2].name", res


@hypothesis_settings(150)
@given(name=st.one_of(st.text(max_size=120),
                      st.text(alphabet=string.ascii_letters + string.digits + "._-/\\\n ",
                              max_size=120),
                      st.sampled_from(BAD_NAMES)))
def test_any_name_is_a_plain_file_name_or_a_case_error(name):
    """Every accepted name is one path component that stays inside results/ and names a
    file of its own: no separator, no control character, no leading dot, not too long."""
    res, _ = verdict(case_at(("name",), name))
    if isinstance(res, CaseError):
        assert res.key == "name", res
        return
    p = Path("results") / name
    assert p.parent == Path("results") and p.name == name and len(name) <= MAX_NAME
    assert not name.startswith((".", "-")) and name.isprintable() and name.isascii()
    assert os.path.normpath(p) == str(p)


# ---------------------------------------------------------------------------- sweep folder
@pytest.fixture
def folders(shared_tmp, comm):
    """A sweep folder of ours, a run folder of ours, a folder of the user's."""
    out = {k: shared_tmp / k for k in ("sweep", "run", "user")}
    if comm.rank == 0:
        for k, p in out.items():
            p.mkdir()
            (p / "keep.txt").write_text("x\n")
            if k != "user":
                write_marker(p, kind=k)
    comm.barrier()
    return out


def test_sweep_folder_rules(folders, comm):
    from fem.study.sweep import check_outdir, prepare_outdir, sweep_folder

    with pytest.raises(OutputError, match="empty path"):
        sweep_folder("", "x")
    with pytest.raises(OutputError, match="invalid sweep folder"):
        sweep_folder("a\x00b", "x")
    assert sweep_folder(None, "case") == (Path("results") / "case-sweep").resolve()
    for k in ("run", "user"):  # never a run folder (e.g. one of a sweep's runs), never theirs
        with pytest.raises(OutputError):
            check_outdir(folders[k], True, comm)
        assert (folders[k] / "keep.txt").is_file()
    with pytest.raises(OutputError, match="exists"):
        check_outdir(folders["sweep"], False, comm)
    with pytest.raises(OutputError, match="working directory"):
        check_outdir(Path.cwd().resolve(), True, comm)
    case = folders["user"] / "keep.txt"
    with pytest.raises(OutputError, match="case file"):
        check_outdir(folders["user"], True, comm, (case,))
    check_outdir(folders["sweep"], True, comm)
    prepare_outdir(folders["sweep"], True, comm)  # a sweep folder of ours is replaced
    comm.barrier()
    assert not (folders["sweep"] / "keep.txt").exists()
    assert (folders["sweep"] / "runs").is_dir()
    assert json.loads((folders["sweep"] / MARKER).read_text())["kind"] == "sweep"


# ---------------------------------------------------------------------------- the command line
_SAFE_COMMANDS = ["check", "holder", "plot", "report", "cases", "version", "mesh", "run", "sweep"]
_TOKENS = ["--set", "-o", "--overwrite", "--vary", "--restart", "--no-progress", "--jobs",
           "--format", "--target-pressure", "--springs", "name=x", "holder.pressure=5",
           "cell.layers[0]=1", "=", "--", "-", "--help"]


def _garbage_arg():
    return st.one_of(
        st.binary(max_size=40).map(lambda b: b.decode("utf-8", "surrogateescape")),
        st.sampled_from(_TOKENS),
        st.text(max_size=20),
    )


@hypothesis_settings(120)
@given(command=st.sampled_from(_SAFE_COMMANDS + ["", "\udcff", "runn"]),
       args=st.lists(_garbage_arg(), max_size=5))
def test_bytes_on_the_command_line_never_give_a_traceback(tmp_path_factory, command, args):
    """Any bytes (decoded as Python decodes argv: surrogateescape) after any subcommand: a
    one-line error (2 or 3), argparse's usage error (2) or help (0), or a command that ran
    (0, e.g. `check` on a bundled case); never a traceback, never a mesh or a solve. The case
    argument of run, sweep and mesh is a path that does not exist (those would run)."""
    work = Path(tmp_path_factory.mktemp("argv", numbered=True))
    if command in ("run", "sweep", "mesh"):
        args = [str(work / "no-such-case.toml"), *args]
    cwd = os.getcwd()
    os.chdir(work)
    try:
        with no_mesh_no_solver():
            rc, _, err = cli([command, *args])
    finally:
        os.chdir(cwd)
    assert "Traceback" not in err
    assert rc in (0, 2, 3), (rc, err)
    if rc == 3 or (rc == 2 and not err.startswith("usage:")):
        one_line_error(rc, err)
    assert sorted(p.name for p in work.iterdir()) == [], "a refused command wrote something"


@pytest.mark.parametrize("arg", ["x" * 5000, "a\x00b", "\udcff\udcfe.toml", "cases/" * 800,
                                 "~no_such_user_assb/c.toml"], ids=lambda a: repr(a)[:20])
def test_odd_case_arguments_are_one_line_errors(arg):
    """A case argument too long for the file system was an OSError traceback."""
    rc, out, err = cli(["check", arg])
    one_line_error(rc, err)
    assert out == "" and ("case" in err or not RANK0)
