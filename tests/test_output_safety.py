"""No command ever deletes or overwrites anything but a run folder it made (issue 16).

Every subcommand runs inside a temporary tree that holds a user's files (a folder with notes,
figures and a report of their own, the case file, a results folder of theirs) with hostile
output paths and names: the working directory, its parent, the case file and its folder, an
existing folder or file of the user, an empty path, '/', names '.' and '..'. The tree must be
the same, byte for byte, before and after each of them, and each must end in a one-line error.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

import pytest
import tomli_w
from conftest import BASE_CASE

from fem.cli import main

pytestmark = pytest.mark.usefixtures("_free_logger")


@pytest.fixture
def _free_logger():
    import logging

    log = logging.getLogger("assb_fem")
    log.handlers.clear()
    yield
    log.handlers.clear()


def _snapshot(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = "link:" + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def tree(shared_tmp, comm):
    """The user's tree; the working directory is tree/work."""
    root = shared_tmp / "tree"
    work = root / "work"
    if comm.rank == 0:
        (work / "user" / "plots").mkdir(parents=True)
        (work / "user" / "notes.txt").write_text("my notes\n")
        (work / "user" / "plots" / "pressure.png").write_bytes(b"\x89PNG not really")
        (work / "user" / "report.html").write_text("<html>my own report</html>\n")
        (work / "user" / "history.csv").write_text("time_s,stack_pressure_MPa\n0,5\n")
        (work / "results").mkdir()
        (work / "results" / "keep.txt").write_text("old results\n")
        (work / "cases").mkdir()
        raw = dict(BASE_CASE, name="safe_case")
        (work / "cases" / "c.toml").write_bytes(tomli_w.dumps(raw).encode())
        (root / "sibling.txt").write_text("next to the working directory\n")
    comm.barrier()
    cwd = os.getcwd()
    os.chdir(work)
    try:
        yield root
    finally:
        os.chdir(cwd)


@contextlib.contextmanager
def _untouched(root: Path, comm):
    comm.barrier()
    before = _snapshot(root)
    yield
    comm.barrier()
    assert _snapshot(root) == before


def _refused(argv: list[str], capsys, comm) -> str:
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc in (2, 3), (argv, rc, err)
    if comm.rank == 0:
        assert err.count("\n") == 1 and err.startswith("assb-fem: ") and "Traceback" not in err, err
    return err


HOSTILE_OUTDIRS = [".", "..", "", "{work}", "{root}", "/", "cases", "cases/c.toml", "user",
                   "user/notes.txt", "results", "{work}/../work/."]


@pytest.mark.parametrize("outdir", HOSTILE_OUTDIRS)
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_hostile_output_paths_are_refused(tree, capsys, comm, command, outdir):
    out = outdir.format(work=tree / "work", root=tree)
    argv = [command, "cases/c.toml", "-o", out, "--no-progress"]
    if command == "sweep":
        argv += ["--vary", "holder.pressure=3 MPa,5 MPa"]
    with _untouched(tree, comm):
        _refused(argv, capsys, comm)
    with _untouched(tree, comm):
        _refused([*argv, "--overwrite"], capsys, comm)


@pytest.mark.parametrize("name", [".", "..", "a\n", "x" * 300, "../escape", "/abs"])
def test_hostile_case_names_are_refused(tree, capsys, comm, name):
    """The default output folder is results/<name>: a name that is not a plain file name is a
    case error (before anything is written)."""
    with _untouched(tree, comm):
        err = _refused(["run", "cases/c.toml", "--set", f"name={name!r}", "--overwrite",
                        "--no-progress"], capsys, comm)
    if comm.rank == 0:
        assert "name" in err


@pytest.mark.parametrize("argv", [
    ["plot", "user"], ["plot", "results"], ["plot", "."],
    ["report", "user"], ["report", "user", "-o", "user/report.html"],
    ["report", "results", "-o", "user/notes.txt"],
])
def test_post_processing_writes_only_into_run_folders(tree, capsys, comm, argv):
    with _untouched(tree, comm):
        _refused(argv, capsys, comm)


@pytest.mark.parametrize("argv", [["check", "cases/c.toml"], ["cases"], ["version"],
                                  ["holder", "cases/c.toml"], ["check", "user"],
                                  ["check", "/dev/null"], ["run", "user/notes.txt"]])
def test_read_only_commands_write_nothing(tree, capsys, comm, argv):
    with _untouched(tree, comm):
        main(argv)
        capsys.readouterr()
