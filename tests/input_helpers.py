"""Shared by the input tests (tests/test_input_*.py): hypothesis settings without a database,
a guard that no input reaches the mesh or the solver, the verdict on a case dict, and a case
file or command line run through ``assb-fem``.

The hypothesis tests are derandomized and use no example database (as in test_robustness.py),
so they are deterministic, write nothing into the repository and run identically on every rank
under ``mpirun``; hypothesis keeps its caches in a private temporary folder while a module of
them runs (:func:`private_hypothesis_home`).
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import shutil
import tempfile
import tomllib
import warnings
from pathlib import Path
from unittest import mock

import pytest
from conftest import BASE_CASE
from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

import fem.geometry
import fem.run.patch_run
import fem.run.stack_run
from fem._dolfinx import MPI
from fem.case import load_case_dict
from fem.case.bundled import bundled_cases_dir
from fem.case.model import Case
from fem.cli import main
from fem.errors import CaseError, CaseWarning

#: Whether this process prints (rank 0): the others' stderr is empty.
RANK0 = MPI.COMM_WORLD.rank == 0

BUNDLED: dict[str, dict] = {p.stem: tomllib.loads(p.read_text())
                            for p in sorted(bundled_cases_dir().glob("*.toml"))}


def hypothesis_settings(n: int):
    """``n`` examples, derandomized, no database, no deadline."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])


def private_hypothesis_home():
    """A module-scoped autouse fixture: hypothesis' caches in a private temporary folder while
    the module runs (nothing in the repository), its default folder again afterwards."""

    @pytest.fixture(scope="module", autouse=True)
    def _hypothesis_home():
        home = tempfile.mkdtemp(prefix="assb-hypothesis-")
        set_hypothesis_home_dir(home)
        yield
        set_hypothesis_home_dir(None)
        shutil.rmtree(home, ignore_errors=True)

    return _hypothesis_home


@contextlib.contextmanager
def no_mesh_no_solver():
    """Fail loudly if anything tries to build a mesh or start a simulation."""

    def forbidden(*args, **kwargs):
        raise AssertionError("case input reached the mesh or the solver")

    with contextlib.ExitStack() as stack:
        for name in ("build_stack_mesh", "load_or_build_mesh", "build_patch_mesh"):
            if hasattr(fem.geometry, name):
                stack.enter_context(mock.patch.object(fem.geometry, name, forbidden))
        stack.enter_context(mock.patch.object(fem.run.stack_run.StackRun, "setup", forbidden))
        stack.enter_context(mock.patch.object(fem.run.patch_run.PatchRun, "setup", forbidden))
        yield


def case_at(path: tuple, value, raw: dict | None = None) -> dict:
    """A copy of ``raw`` (default BASE_CASE) with ``value`` at ``path`` (tables made on the
    way)."""
    raw = copy.deepcopy(BASE_CASE if raw is None else raw)
    node = raw
    for p in path[:-1]:
        node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
    node[path[-1]] = value
    return raw


def verdict(raw: dict, settings_too: bool = False) -> tuple[Case | CaseError, list[str]]:
    """load_case_dict (and with ``settings_too`` the checks `run` makes before any mesh,
    fem.cellstack.settings.check_settings): a Case or a CaseError, and the CaseWarning messages.
    Any other exception fails the test; the mesh and the solver are never reached."""
    from fem.cellstack.settings import check_settings

    with warnings.catch_warnings(record=True) as caught, no_mesh_no_solver():
        warnings.simplefilter("always")
        try:
            case = load_case_dict(raw)
            if settings_too:
                check_settings(case)
        except CaseError as exc:
            assert str(exc).startswith("case error: ") and exc.key and exc.allowed, exc
            assert len(str(exc)) < 6000, len(str(exc))
            return exc, []
    notes = [str(w.message) for w in caught if issubclass(w.category, CaseWarning)]
    return case, notes


def cli(argv: list[str]) -> tuple[int, str, str]:
    """``assb-fem ARGV`` in this process: (exit code, stdout, stderr). argparse's own errors
    (SystemExit) count with their code. Never the mesh or the solver."""
    out, err = io.StringIO(), io.StringIO()
    log = logging.getLogger("assb_fem")  # fem.log binds its handler to the stderr of its
    log.handlers.clear()  # first use: not to this redirected one, for the tests that follow
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(), no_mesh_no_solver(), _cleared(log):
        warnings.simplefilter("ignore", CaseWarning)
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse: usage errors (2), --help (0)
            rc = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 2
    return rc, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def _cleared(log):
    try:
        yield
    finally:
        log.handlers.clear()


def one_line_error(rc: int, err: str) -> None:
    """Exit 2 or 3 with one line on stderr on rank 0 (nothing on the others), no traceback."""
    assert rc in (2, 3), (rc, err)
    assert "Traceback" not in err, err
    if MPI.COMM_WORLD.rank == 0:
        assert err.count("\n") == 1 and err.startswith("assb-fem: "), repr(err[:2000])
    else:
        assert err == ""


def write(folder: Path, name: str, data: bytes) -> Path:
    p = folder / name
    p.write_bytes(data)
    return p
