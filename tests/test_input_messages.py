"""Tracebacks turned into one-line case errors, and messages that help (issue 16): a byte-order
mark, a 5000-digit TOML integer, a FIFO, /dev/null or a folder as the case file, a roughness
file under /proc or /dev, an unknown PETSc option value (checked before any mesh), a radius that
underflows; a bare number gets the units hint, long values are cut, a too-small radius is named.
Never the mesh or the solver."""

from __future__ import annotations

import copy
import os

import pytest
import tomli_w
from conftest import BASE_CASE, serial_only
from hypothesis import given
from hypothesis import strategies as st
from input_helpers import (
    BUNDLED,
    RANK0,
    case_at,
    cli,
    hypothesis_settings,
    one_line_error,
    private_hypothesis_home,
    verdict,
    write,
)

from fem.case import load_case
from fem.case.model import Case
from fem.errors import CaseError, quoted, shorten

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

_hypothesis_home = private_hypothesis_home()


def _toml(raw: dict) -> bytes:
    return tomli_w.dumps(raw).encode()


# ---------------------------------------------------------------------------- the case file
def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    """Was 'Invalid statement (at line 1, column 1)'."""
    p = write(tmp_path, "bom.toml", b"\xef\xbb\xbf" + _toml(BASE_CASE))
    assert isinstance(load_case(p), Case)
    assert cli(["check", str(p)])[0] == 0


@pytest.mark.parametrize("digits", [20, 400, 5000])
def test_huge_toml_integers_are_case_errors(tmp_path, digits):
    """More than 4300 digits was a raw ValueError (int's conversion limit) out of tomllib."""
    text = _toml(BASE_CASE) + f"\n[x]\nn = {'9' * digits}\n".encode()
    text = text.replace(b'name = "test_stack"', b"name = " + b"7" * digits, 1)
    p = write(tmp_path, "big.toml", text)
    with pytest.raises(CaseError, match="64 bits") as info:
        load_case(p)
    assert len(str(info.value)) < 1000
    rc, _, err = cli(["check", str(p)])
    one_line_error(rc, err)


def test_a_huge_integer_in_set_is_a_case_error(tmp_path):
    p = write(tmp_path, "c.toml", _toml(BASE_CASE))
    rc, _, err = cli(["check", str(p), "--set", f"solver.newton_max_it={'9' * 5000}"])
    one_line_error(rc, err)
    assert len(err) < 1000 and ("solver.newton_max_it" in err or not RANK0)


def _fifo(tmp_path):
    path = tmp_path / "pipe.toml"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(("make", "what"), [
    (_fifo, "a FIFO"), (lambda t: "/dev/null", "a character device"),
    (lambda t: t, "a folder"), (lambda t: "/proc/self/status", "pseudo file system"),
])
def test_a_case_file_that_is_not_a_file_says_what_it_is(tmp_path, make, what):
    """Was 'no such case file' (and reading a FIFO blocks forever: it is never opened)."""
    path = make(tmp_path)
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    rc, _, err = cli(["check", str(path)])
    one_line_error(rc, err)
    assert "no such case file" not in err and (what in err or not RANK0)


@pytest.mark.parametrize(("make", "what"), [
    (_fifo, "a FIFO"), (lambda t: "/dev/null", "a character device"),
    (lambda t: "/proc/self/status", "pseudo file system"), (lambda t: t, "a folder"),
    (lambda t: "/dev/zero", "a character device"),
])
def test_a_roughness_file_that_is_not_a_regular_file_is_refused(tmp_path, make, what):
    path = make(tmp_path)
    if not os.path.exists(path):
        pytest.skip(f"no {path}")
    raw = copy.deepcopy(BUNDLED["li_lpscl_rough_patch_2d"])
    raw["patch"]["roughness"] = {"type": "file", "file": str(path), "height_scale": "1 um"}
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "patch.roughness.file", res
    assert "not a regular file" in res.allowed and what in res.allowed


# ---------------------------------------------------------------------------- PETSc options
@pytest.mark.parametrize(("key", "value", "solver"), [
    ("ksp_type", "nonsense", "auto"), ("pc_type", "nonsense", "auto"),
    ("ksp_rtol", "abc", "iterative"), ("pc_factor_mat_solver_type", "nosuchpackage", "auto"),
    ("ksp_max_it", 2.5, "iterative"), ("mat_mumps_icntl_14", "lots", "direct"),
    ("pc_gamg_threshold", "high", "iterative"), ("-ksp_type", "cg", "auto"),
    ("ksp type", "cg", "auto"),
])
def test_a_petsc_option_petsc_refuses_is_a_case_error_before_any_mesh(tmp_path, key, value,
                                                                      solver):
    """Was a raw PETSc error at the first solve. (An option the chosen solver never reads, e.g.
    ksp_rtol with the direct solver's preonly KSP, is not one PETSc refuses.)"""
    raw = case_at(("solver", "petsc_options"), {key: value})
    raw["solver"]["linear_solver"] = solver
    res, _ = verdict(raw, settings_too=True)
    assert isinstance(res, CaseError) and res.key == f"solver.petsc_options.{key}", res
    assert res.value == value
    rc, _, err = cli(["check", str(write(tmp_path, "c.toml", _toml(raw)))])
    one_line_error(rc, err)


@pytest.mark.parametrize("options", [{"ksp_rtol": 1e-8}, {"mat_mumps_icntl_14": 100},
                                     {"ksp_type": "gmres", "pc_type": "jacobi"},
                                     {"ksp_monitor_cancel": ""}])
def test_petsc_options_petsc_takes_are_valid(options):
    res, _ = verdict(case_at(("solver", "petsc_options"), options), settings_too=True)
    assert isinstance(res, Case), res


# ---------------------------------------------------------------------------- messages
def test_a_bare_number_says_what_units_are_expected():
    res, _ = verdict(case_at(("holder", "pressure"), 5))
    assert str(res) == ('case error: holder.pressure = 5: expected a pressure with units, '
                        'e.g. "5 MPa" (a string: the number and its unit)')


@pytest.mark.parametrize("size", [10_000, 10_000_000])
def test_long_values_are_cut(tmp_path, size):
    """A 10 MB name gave 20 MB of stderr."""
    p = write(tmp_path, "c.toml", _toml(case_at(("name",), "x" * size)))
    rc, _, err = cli(["check", str(p)])
    one_line_error(rc, err)
    assert len(err) < 1000 and (f"[{size + 2} characters]" in err or not RANK0)  # repr: quotes


@hypothesis_settings(60)
@given(value=st.one_of(st.text(min_size=300, max_size=3000), st.lists(st.integers(), max_size=500),
                       st.integers(min_value=10**300, max_value=10**1200)),
       key=st.text(max_size=3000))
def test_case_errors_quote_whole_values_only_when_short(value, key):
    text = str(CaseError(key, value, "what is allowed"))
    assert len(text) < 700, len(text)
    assert text.endswith(": what is allowed")
    assert quoted("short") == "'short'" and shorten("ab") == "ab"


def test_a_huge_unknown_key_is_cut(tmp_path):
    raw = copy.deepcopy(BASE_CASE)
    raw["holder"]["k" * 1_000_000] = 1
    rc, _, err = cli(["check", str(write(tmp_path, "c.toml", _toml(raw)))])
    one_line_error(rc, err)
    assert len(err) < 1500 and ("unknown key" in err or not RANK0)


@pytest.mark.parametrize("radius", ["20 um", "100 um"])
def test_a_too_small_radius_is_named(radius):
    """A separator given by its mass (75 mg) over a 20 um radius is 44 m thick: the error named
    the separator's thickness; it names the radius now."""
    raw = copy.deepcopy(BUNDLED["ncm811_li_fixed_gap"])
    raw["cell"]["radius"] = radius
    res, _ = verdict(raw)
    assert isinstance(res, CaseError), res
    assert "cell.radius" in str(res), res


@pytest.mark.parametrize("radius", ["1e-320 m", "5e-324 m", "1e-170 m", "0 m"])
def test_a_radius_that_underflows_is_a_case_error(radius):
    """pi r^2 underflowed to zero: a ZeroDivisionError in the case model."""
    raw = copy.deepcopy(BUNDLED["ncm811_li_fixed_gap"])
    raw["cell"]["radius"] = radius
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "cell.radius", res
