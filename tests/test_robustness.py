"""Robustness of the input and output edges.

* Case files: property-based tests (hypothesis) start from the valid ``BASE_CASE`` and from the
  bundled cases and break them (wrong types, units of the wrong dimension, zero, negative and
  absurd magnitudes, missing sections, unknown keys, unknown or malformed protocol steps,
  contradictory holders, bad ``--set`` overrides, garbage and non-UTF-8 TOML). Every example must
  end in a :class:`fem.errors.CaseError` or a valid case: never another exception, never the mesh
  or the solver, and on the command line exit code 2 with one line on stderr.
* Physically dubious but legal input warns (:class:`fem.case.model.CaseWarning`).
* Output folders that cannot be written: exit code 3, one line, nothing half-written.
* A diverging solve: exit code 4, a message naming the step, time, time step and residuals, and
  ``OUTDIR.failed`` with ``FAILED`` and the history of the good steps.

The hypothesis tests are derandomized and use no example database, so they are deterministic,
write nothing into the repository and run identically on every rank under ``mpirun``.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import io
import logging
import math
import re
import shutil
import tempfile
import tomllib
import warnings
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
import tomli_w
from conftest import BASE_CASE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

import fem.geometry
import fem.run.patch_run
import fem.run.stack_run
from fem._dolfinx import MPI
from fem.case import apply_overrides, load_case, load_case_dict
from fem.case.model import Case, CaseWarning
from fem.cli import bundled_cases_dir, main
from fem.errors import CaseError

# ------------------------------------------------------------------ bookkeeping

#: No example database (database=None) and no .hypothesis cache folder in the repository:
#: hypothesis keeps its caches (constants, unicode data) in a private temporary folder, set
#: before any strategy below is built.
_HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="assb-hypothesis-")
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
atexit.register(shutil.rmtree, _HYPOTHESIS_HOME, ignore_errors=True)

#: Examples run per hypothesis test (checked in :func:`test_zz_enough_examples`).
COUNT: Counter[str] = Counter()
#: Outcomes (valid case / CaseError) over all examples, to check the generators bite.
OUTCOMES: Counter[str] = Counter()
MIN_EXAMPLES = 300

#: max_examples of each hypothesis test; they sum to well over MIN_EXAMPLES.
N = {
    "mutations_base": 120,
    "mutations_bundled": 80,
    "quantities": 80,
    "protocol": 120,
    "holder": 40,
    "overrides": 80,
    "toml_bytes": 40,
    "toml_mutations": 40,
    "dubious": 20,
}


def _settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


BUNDLED: dict[str, tuple[Path, dict]] = {
    p.stem: (p, tomllib.loads(p.read_text())) for p in sorted(bundled_cases_dir().glob("*.toml"))
}

_ERROR_LINE = re.compile(r"^assb-fem: case error: .+ = .+: .+\n$", re.S)


@contextlib.contextmanager
def no_mesh_no_solver():
    """Fail loudly if anything tries to build a mesh or start a simulation."""

    def forbidden(*args, **kwargs):
        raise AssertionError("case input reached the mesh or the solver")

    with contextlib.ExitStack() as stack:
        for module in (fem.geometry,):
            for name in ("build_stack_mesh", "load_or_build_mesh", "build_patch_mesh"):
                if hasattr(module, name):
                    stack.enter_context(mock.patch.object(module, name, forbidden))
        stack.enter_context(mock.patch.object(fem.run.stack_run.StackRun, "setup", forbidden))
        stack.enter_context(mock.patch.object(fem.run.patch_run.PatchRun, "setup", forbidden))
        yield


def _check_error(exc: CaseError) -> None:
    assert isinstance(exc.key, str) and exc.key, exc
    assert isinstance(exc.allowed, str) and exc.allowed, exc
    assert str(exc).startswith("case error: "), exc


def outcome(raw, source: str = "<dict>") -> Case | CaseError:
    """load_case_dict: a Case or a CaseError; any other exception fails the test."""
    with warnings.catch_warnings(), no_mesh_no_solver():
        warnings.simplefilter("ignore", CaseWarning)
        try:
            case = load_case_dict(raw, source=source)
        except CaseError as exc:
            _check_error(exc)
            OUTCOMES["error"] += 1
            return exc
    assert isinstance(case, Case)
    OUTCOMES["valid"] += 1
    return case


def cli_check(path: Path, *extra: str, warn: str = "ignore") -> tuple[int, str, str]:
    """``assb-fem check PATH``: exit code 0 or 2; on 2 one line on stderr (rank 0), no traceback.
    ``warn``: what to do with a CaseWarning ("ignore", or "error" where none may come)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings(), no_mesh_no_solver():
        warnings.simplefilter(warn, CaseWarning)
        rc = main(["check", str(path), *extra])
    o, e = out.getvalue(), err.getvalue()
    assert rc in (0, 2), (rc, e)
    assert "Traceback" not in e
    if rc == 2:
        if MPI.COMM_WORLD.rank == 0:
            assert _ERROR_LINE.match(e), repr(e)
        else:
            assert e == ""
        assert o == ""
    return rc, o, e


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home():
    """After this module, hypothesis' default storage folder for other modules again."""
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture(scope="module")
def scratch():
    """A private folder per process (each MPI rank writes its own files)."""
    d = Path(tempfile.mkdtemp(prefix="assb-robust-"))
    yield d
    shutil.rmtree(d, ignore_errors=True)


_files = Counter()


def _write(folder: Path, data: bytes, stem: str = "case") -> Path:
    _files[stem] += 1
    p = folder / f"{stem}_{_files[stem]}.toml"
    p.write_bytes(data)
    return p


# ------------------------------------------------------------------ generators

UNITS = [
    # right, wrong and unusual dimensions
    "m", "mm", "um", "µm", "μm", "nm", "km", "in", "MPa", "GPa", "Pa", "kPa", "psi", "bar", "atm",
    "N", "kN", "lbf", "N/m", "lbf/mm", "MPa/um", "s", "min", "h", "hour", "day", "ms", "degC",
    "degF", "K", "mg", "g", "kg", "lb", "mg/cm^2", "g/cm^3", "mA/cm^2", "A/m^2", "mA", "A",
    "mAh/cm^2", "mAh/g", "mAh", "V", "mV", "mS/cm", "kJ/mol", "cm^3/mol", "g/mol", "1/s", "Hz",
    "J", "W", "", "-", "%", "m^2", "m^3", "cm^-2", "m/s", "MPa*MPa", "furlong/fortnight",
    # garbage pint once turned into tracebacks or hangs
    "(", ")", "()", "m/0", "1/0", "m**(1/0)", "m**2**2**2**2**2**2**2", "((2**99)**99)**99",
    "\\", "'", '"', "\x00", "m\x00", "mm**0", "m**1e400", "1e999", "m,", "m;", "m.a",
    "__class__", "lambda", "MPa^0.5^2", "m ** ** 2", "[", "{}", "m" * 80, "m**-", "e",
]
NUMBER_TEXT = st.one_of(
    st.sampled_from(["0", "-0", "-1", "1e400", "-1e400", "1e-400", "1e-320", "1e300", "1e-300",
                     ".5", "5.", "1e3", "-100", "nan", "inf", "-inf", "9" * 400, "1_000", "0x10",
                     "", "+", "1e", "5 5"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
)
QUANTITY = st.builds(lambda n, sep, u: f"{n}{sep}{u}", NUMBER_TEXT,
                     st.sampled_from([" ", "", "  ", "\t"]),
                     st.one_of(st.sampled_from(UNITS), st.text(max_size=12)))

SCALARS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 0.0, -0.0, 1e308, 5e-324, True, False, ""]),
    st.booleans(),
    st.text(max_size=30),
    QUANTITY,
    st.dates(),
    st.datetimes(),
)
#: TOML-representable values: what a case file can contain.
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6)
#: load_case_dict also gets plain Python from sweeps: None, tuples, non-string keys.
PY_VALUES = st.one_of(VALUES, st.none(), st.tuples(SCALARS),
                      st.dictionaries(st.integers(), SCALARS, min_size=1, max_size=2))

UNKNOWN_KEYS = st.one_of(st.sampled_from(["colour", "stiffness", "Pressure", "pressure ", "",
                                          "layers[0]", "a\nb", "\x00", "ü", "type.x", "1"]),
                         st.text(max_size=10))


def leaf_paths(node, prefix=()):
    """Paths to every value below ``node`` (dict keys and list indices)."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            out.extend(leaf_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            out.extend(leaf_paths(v, (*prefix, i)))
    return out


def table_paths(node, prefix=()):
    """Paths to every table (dict), the root included."""
    out = [prefix] if isinstance(node, dict) else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.extend(table_paths(v, (*prefix, k)))
    return out


def get(raw, path):
    for p in path:
        raw = raw[p]
    return raw


def put(raw, path, value):
    get(raw, path[:-1])[path[-1]] = value


def delete(raw, path):
    parent = get(raw, path[:-1])
    if isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])


_NUM_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)$")


def quantity_paths(raw):
    return [p for p in leaf_paths(raw) if isinstance(get(raw, p), str)
            and _NUM_UNIT.match(get(raw, p)) and _NUM_UNIT.match(get(raw, p)).group(2)]


def weighted(*pairs):
    """``weighted((3, a), (1, b))``: a three times as often as b (nested one_of would flatten)."""
    kinds = [i for i, (w, _) in enumerate(pairs) for _ in range(w)]
    return st.sampled_from(kinds).flatmap(lambda i: pairs[i][1])


#: Numbers in protocol steps: mostly readable (so that the step gets parsed), some garbage.
STEP_NUMBER = weighted(
    (3, st.sampled_from(["1", "5", "25", "0.5", "10", "0", "1e-320", "1e300", "1e400", "-5"])),
    (3, st.floats(min_value=1e-3, max_value=1e4).map(lambda x: f"{x:g}")),
    (1, st.floats(min_value=-1e3, max_value=1e4, allow_nan=False).map(lambda x: f"{x:g}")),
    (1, NUMBER_TEXT),
)
PRESSURE = st.builds(lambda n, u: f"{n} {u}", STEP_NUMBER,
                     st.sampled_from(["MPa"] * 6 + ["GPa", "Pa", "psi", "mA/cm^2", "min", "m", ""]))
TIME = st.builds(lambda n, u: f"{n} {u}", STEP_NUMBER,
                 st.sampled_from(["min"] * 6 + ["s", "h", "day", "ms", "MPa", "m", "degC", ""]))
CURRENT = st.one_of(
    st.builds(lambda n, u: f"{n} {u}", STEP_NUMBER,
              st.sampled_from(["mA/cm^2", "mA/cm^2", "A/m^2", "mA", "MPa", "C", "mAh/cm^2", ""])),
    st.sampled_from(["C/10", "2C", "C/0", "C/0.0", "C/00", "0C", "C/", "C", "1e3C", ".5C", "C/1e5",
                     "C/-1", "-C/10", "C/100000000000", "C/0.0000"]),
)
#: Ramps: the step may be absurdly fine, the range empty or reversed.
RAMP = st.builds("Ramp current from {} to {} mA/cm^2 in steps of {} mA/cm^2 every {}".format,
                 STEP_NUMBER, STEP_NUMBER,
                 st.one_of(STEP_NUMBER, st.sampled_from(["1e-320", "1e-300", "0", "-0.1", "5e-324"])),
                 TIME)
TEMPERATURE = st.builds(lambda n, u: f"{n} {u}", STEP_NUMBER,
                        st.sampled_from(["degC", "K", "degF", "MPa", ""]))
VOLTAGE = st.builds(lambda n, u: f"{n} {u}", STEP_NUMBER, st.sampled_from(["V", "mV", "h", ""]))
ANY_Q = st.one_of(PRESSURE, TIME, CURRENT, QUANTITY)

STEP_WELL = st.one_of(
    st.builds("Press at {} for {}".format, PRESSURE, TIME),
    st.builds("Release to {}".format, PRESSURE),
    st.builds("Release to {} over {}".format, PRESSURE, TIME),
    st.builds("{} for {}".format, st.sampled_from(["Rest", "Hold", "rest", "Wait", "Sleep"]), TIME),
    st.sampled_from(["Lock gap", "Lock the gap", "lock GAP.", "Lock", "Unlock gap", "Lock gap now",
                     "", " ", ".", "Press", "Charge", "Ramp current"]),
    st.builds("Set temperature to {}".format, TEMPERATURE),
    st.builds("Set temperature to {} over {}".format, TEMPERATURE, TIME),
    st.builds("{} at {} for {}".format, st.sampled_from(["Charge", "Discharge", "charge"]),
              CURRENT, TIME),
    st.builds("{} at {} until {}".format, st.sampled_from(["Charge", "Discharge"]), CURRENT,
              VOLTAGE),
    st.builds("Charge at {} until {} or {}".format, CURRENT, VOLTAGE, TIME),
    st.builds("Ramp current from {} to {} in steps of {} every {}".format,
              STEP_NUMBER, CURRENT, CURRENT, TIME),
    RAMP,
    st.builds("{} at {} for {}".format, st.sampled_from(["Charge", "Discharge"]), CURRENT,
              st.sampled_from(["1 h", "30 min", "10 s"])),
)
STEP_JUNK = st.one_of(  # unknown verbs and word salad
    st.builds("{} {} {}".format, st.sampled_from(["Squeeze at", "Heat to", "Cycle", "Short",
                                                  "Press to", "Charge to", "Ramp pressure from"]),
              ANY_Q, ANY_Q),
    st.lists(st.sampled_from(["Press", "at", "for", "to", "over", "until", "Charge", "25",
                              "MPa", "30 min", "C/10", "gap", "Lock", "in", "steps", "of"]),
             max_size=8).map(" ".join),
    st.text(max_size=40),
)
STEP_TEXT = weighted((4, STEP_WELL), (1, STEP_JUNK))
STEP_ITEM = weighted((6, STEP_TEXT), (1, SCALARS), (1, st.lists(STEP_TEXT, max_size=2)))
REPEAT = st.one_of(st.integers(min_value=-3, max_value=1000),
                   st.sampled_from([0, -1, 100000, 100001, 1.0, 2.5, True, "2"]))
PROTOCOL = st.fixed_dictionaries(
    {"steps": st.one_of(st.lists(STEP_ITEM, max_size=4), SCALARS)},
    optional={"cycle": st.one_of(st.lists(STEP_ITEM, max_size=3), SCALARS),
              "repeat": REPEAT, "unknown": SCALARS},
)


@st.composite
def mutated(draw, raw: dict, max_ops: int = 3):
    """``raw`` broken by one to ``max_ops`` random edits."""
    raw = copy.deepcopy(raw)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(["set", "set", "delete", "add", "quantity", "scale",
                                   "protocol", "layers", "section"]))
        leaves = leaf_paths(raw)
        if op == "set" and leaves:
            put(raw, draw(st.sampled_from(leaves)), draw(PY_VALUES))
        elif op == "delete" and leaves:
            delete(raw, draw(st.sampled_from(leaves)))
        elif op == "add":
            tables = table_paths(raw)
            put(raw, (*draw(st.sampled_from(tables)), draw(UNKNOWN_KEYS)), draw(VALUES))
        elif op == "quantity" and quantity_paths(raw):
            put(raw, draw(st.sampled_from(quantity_paths(raw))), draw(QUANTITY))
        elif op == "scale" and quantity_paths(raw):
            path = draw(st.sampled_from(quantity_paths(raw)))
            m = _NUM_UNIT.match(get(raw, path))
            factor = draw(st.sampled_from([0.0, -1.0, 1e-30, 1e-12, 1e3, 1e12, 1e30, 1e300]))
            put(raw, path, f"{float(m.group(1)) * factor!r} {m.group(2)}")
        elif op == "protocol":
            raw["protocol"] = draw(PROTOCOL)
        elif op == "layers" and isinstance(raw.get("cell"), dict) \
                and isinstance(raw["cell"].get("layers"), list) and raw["cell"]["layers"]:
            layers = raw["cell"]["layers"]
            how = draw(st.sampled_from(["drop", "duplicate", "reverse", "role", "empty"]))
            if how == "drop":
                layers.pop(draw(st.integers(0, len(layers) - 1)))
            elif how == "duplicate":
                layers.append(copy.deepcopy(draw(st.sampled_from(layers))))
            elif how == "reverse":
                layers.reverse()
            elif how == "role" and isinstance(layers[0], dict):
                layers[0]["role"] = draw(st.sampled_from(["li", "separator", "cathode", "anode",
                                                          "plunger", "current_collector"]))
            else:
                raw["cell"]["layers"] = []
        elif op == "section":  # a whole section missing, empty or of the wrong type
            key = draw(st.sampled_from(["cell", "holder", "protocol", "mesh", "solver", "name",
                                        "materials", "platens", "conditions", "output"]))
            how = draw(st.sampled_from(["missing", "empty", "wrong"]))
            if how == "missing":
                raw.pop(key, None)
            else:
                raw[key] = {} if how == "empty" else draw(SCALARS)
    return raw


def _count(name: str) -> None:
    COUNT[name] += 1


# ------------------------------------------------------------------ case dictionaries


def _as_toml(raw) -> bytes | None:
    """``raw`` as a TOML file, or None where TOML cannot hold it (None, tuples, int keys...)."""
    try:
        return tomli_w.dumps(raw).encode()
    except (TypeError, ValueError):  # UnicodeEncodeError is a ValueError
        return None


@_settings(N["mutations_base"])
@given(raw=mutated(BASE_CASE))
def test_mutated_base_case_is_case_error_or_valid(scratch, raw):
    """load_case_dict, and `assb-fem check` on the same case as a file: the same verdict."""
    _count("mutations_base")
    res = outcome(raw)
    data = _as_toml(raw)
    if data is not None:
        rc, _, _ = cli_check(_write(scratch, data, "mutated"))
        assert rc == (0 if isinstance(res, Case) else 2), res


@_settings(N["mutations_bundled"])
@given(data=st.data())
def test_mutated_bundled_cases_are_case_error_or_valid(scratch, data):
    _count("mutations_bundled")
    name = data.draw(st.sampled_from(sorted(BUNDLED)))
    path, raw = BUNDLED[name]
    raw = data.draw(mutated(raw))
    res = outcome(raw, source=str(path))
    toml = _as_toml(raw)
    if toml is not None:  # (the bundled cases refer to no file, so any folder will do)
        rc, _, _ = cli_check(_write(scratch, toml, name))
        assert rc == (0 if isinstance(res, Case) else 2), res


LENGTH, PRESS = ["m", "mm", "um", "nm", "km", "in"], ["MPa", "GPa", "Pa", "kPa", "psi", "bar"]
TIMES, TEMPS = ["s", "min", "h", "day", "ms"], ["degC", "K", "degF"]
#: Every field with units in BASE_CASE, the key a bad value there is reported under, and the
#: units of the right dimension (so that magnitudes get past the schema to the cross-field rules).
QUANTITY_FIELDS = [
    (("cell", "radius"), "cell.radius", LENGTH),
    (("cell", "layers", 0, "thickness"), "cell.layers[0].thickness", LENGTH),
    (("cell", "layers", 1, "thickness"), "cell.layers[1].thickness", LENGTH),
    (("cell", "layers", 2, "thickness"), "cell.layers[2].thickness", LENGTH),
    (("cell", "layers", 1, "radius"), "cell.layers[1].radius", LENGTH),
    (("cell", "layers", 0, "relative_density"), "cell.layers[0].relative_density", [""]),
    (("mesh", "size_min"), "mesh.size_min", LENGTH),
    (("mesh", "size_max"), "mesh.size_max", LENGTH),
    (("holder", "pressure"), "holder.pressure", PRESS),
    (("holder", "frame_stiffness"), "holder.frame_stiffness", ["N/m", "lbf/mm", "MPa/um", "N/um"]),
    (("solver", "dt_initial"), "solver.dt_initial", TIMES),
    (("solver", "dt_max"), "solver.dt_max", TIMES),
    (("solver", "dt_min"), "solver.dt_min", TIMES),
    (("conditions", "temperature"), "conditions.temperature", TEMPS),
    (("cell", "die", "clearance"), "cell.die.clearance", LENGTH),
    (("cell", "die", "wall_thickness"), "cell.die.wall_thickness", LENGTH),
    (("materials", "li", "youngs_modulus"), "materials.li.youngs_modulus", PRESS),
    (("materials", "li", "poissons_ratio"), "materials.li.poissons_ratio", [""]),
    (("materials", "li", "creep_reference_temperature"), "materials.li.creep_reference_temperature",
     TEMPS),
    (("materials", "li6ps5cl", "density"), "materials.li6ps5cl.density", ["g/cm^3", "kg/m^3"]),
    (("materials", "ncm811_composite", "specific_capacity"),
     "materials.ncm811_composite.specific_capacity", ["mAh/g", "Ah/kg", "C/kg"]),
]
MAGNITUDE = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, -1.0, 1e-300, 1e300, 5e-324, 1.7e308, 1e-9, 1e9, 0.5, 2.0]),
)


@_settings(N["quantities"])
@given(data=st.data())
def test_bad_quantities_name_the_key(data):
    """Wrong dimensions, zero/negative/absurd sizes, garbage units, bare numbers, other types."""
    _count("quantities")
    path, key, units = data.draw(st.sampled_from(QUANTITY_FIELDS))
    value = data.draw(st.one_of(
        st.builds(lambda x, u: f"{x!r} {u}".strip(), MAGNITUDE, st.sampled_from(units)),
        MAGNITUDE if units == [""] else st.nothing(),
        QUANTITY, SCALARS))
    res = outcome(_at(path, value))
    if isinstance(res, CaseError) and res.key not in ("mesh.size_min", "solver.dt_initial",
                                                      "cell.layers", "holder.pressure"):
        # cross-field rules (mesh too fine for the cell, dt_min <= dt_initial <= dt_max, layer
        # roles, springs) report their own key; a single bad value is reported at its own
        assert res.key.startswith(key.rsplit(".", 1)[0]), (res, key)


@_settings(N["protocol"])
@given(data=st.data())
def test_bad_protocols_are_case_errors(data):
    """Unknown verbs, malformed steps, bad quantities, wrong types, huge repeats: one generated
    item among valid steps (so that it is the one parsed), or a whole generated section."""
    _count("protocol")
    raw = copy.deepcopy(BASE_CASE)
    steps = raw["protocol"]["steps"]
    how = data.draw(st.sampled_from(["step", "step", "cycle", "cycle", "section"]))
    if how == "step":
        steps.insert(data.draw(st.integers(0, len(steps))), data.draw(STEP_ITEM))
    elif how == "cycle":
        cycle = ["Charge at C/10 for 1 h", "Rest for 10 min"]
        cycle.insert(data.draw(st.integers(0, 2)), data.draw(STEP_ITEM))
        raw["protocol"].update(cycle=cycle, repeat=data.draw(REPEAT))
    else:
        raw["protocol"] = data.draw(PROTOCOL)
    res = outcome(raw)
    if isinstance(res, CaseError):
        assert res.key.startswith(("protocol", "protocol step")), res


HOLDER = st.fixed_dictionaries(
    {"type": st.sampled_from(["fixed_gap", "spring", "constant_pressure", "vice", "", 1])},
    optional={
        "pressure": st.one_of(PRESSURE, st.sampled_from(["5 MPa", "1 GPa", "1e-9 Pa"])),
        "frame_stiffness": st.one_of(st.sampled_from(["inf", "infinite", "rigid", " INF ", "0 N/m",
                                                      "-1 N/m", "1.6e8 N/m", "2 MPa/um",
                                                      "5 MPa", "1e400 N/m", "nan N/m"]),
                                     QUANTITY, SCALARS),
        "spring_count": st.one_of(st.integers(-2, 102), st.sampled_from([3.0, True, "3"])),
        "spring_rate": st.one_of(st.sampled_from(["5.5 lbf/mm", "0 N/m", "5 MPa"]), QUANTITY),
        "spring_max_load": st.one_of(st.sampled_from(["53 lbf", "1 N", "0 N", "1e9 N"]), QUANTITY),
        "stiffness": SCALARS,
    },
)


@_settings(N["holder"])
@given(holder=HOLDER)
def test_contradictory_holders_are_case_errors(holder):
    """Spring keys on fixed_gap/constant_pressure, springs missing, frame on constant_pressure..."""
    _count("holder")
    raw = copy.deepcopy(BASE_CASE)
    raw["holder"] = holder
    res = outcome(raw)
    spring_keys = {"spring_count", "spring_rate", "spring_max_load"}
    if holder["type"] in ("fixed_gap", "constant_pressure") and spring_keys & set(holder):
        assert isinstance(res, CaseError), holder
    if holder["type"] == "spring" and not {"spring_count", "spring_rate"} <= set(holder):
        assert isinstance(res, CaseError), holder
    if holder["type"] == "constant_pressure" and "frame_stiffness" in holder:
        assert isinstance(res, CaseError), holder


PATHS = sorted({".".join(str(p) for p in path).replace(".0", "[0]").replace(".1", "[1]")
                .replace(".2", "[2]") for path in leaf_paths(BASE_CASE)})
OVERRIDE_PATH = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from(["cell.layers[9].thickness", "cell.layers[-1].thickness", "[0]", "0", ".",
                     "..", "holder.pressure.x", "name[0]", "cell.layers[0][1]", "cell..radius",
                     "protocol.steps[5]", "a" * 200, "holder.\udcff", "x" + ".y" * 40, " ",
                     "holder. pressure", "cell.layers[99999999999999999999].name"]),
    st.text(max_size=20),
)
OVERRIDE_VALUE = st.one_of(
    st.sampled_from(["1", "-1", "0", "1.5", "nan", "inf", "-inf", "true", "[1, 2]", "{a = 1}",
                     '"5 MPa"', "'5 MPa'", "5 MPa", "3 MPa", '"unterminated', "[", "]", "{",
                     "[" * 2000 + "]" * 2000, "[" * 40 + "]" * 40, "1979-05-27",
                     "\udcff", "a\nb = 2", "=", "", " ", "1\n[v]", '"\\u0000"', "x" * 5000]),
    QUANTITY, st.text(max_size=20),
)
OVERRIDE = st.one_of(
    st.builds("{}={}".format, OVERRIDE_PATH, OVERRIDE_VALUE),
    st.builds("{}= {}".format, OVERRIDE_PATH, OVERRIDE_VALUE),
    OVERRIDE_PATH,  # no "="
    st.builds("={}".format, OVERRIDE_VALUE),
)


@pytest.fixture(scope="module")
def base_file(scratch):
    return _write(scratch, _toml(BASE_CASE), "base")


@_settings(N["overrides"])
@given(overrides=st.lists(OVERRIDE, min_size=1, max_size=3))
def test_bad_overrides_are_case_errors(base_file, overrides):
    """apply_overrides + load_case_dict, and `assb-fem check --set ...`: the same verdict."""
    _count("overrides")
    try:
        res = outcome(apply_overrides(BASE_CASE, overrides))
    except CaseError as exc:
        _check_error(exc)
        OUTCOMES["error"] += 1
        res = exc
    rc, _, _ = cli_check(base_file, *(f"--set={ov}" for ov in overrides))
    assert rc == (0 if isinstance(res, Case) else 2), res


# ------------------------------------------------------------------ files and the command line


def _toml(raw: dict) -> bytes:
    return tomli_w.dumps(raw).encode()


@_settings(N["toml_bytes"])
@given(data=st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"", b"\xff\xfe", b"name = \xc3\x28", b"v = " + b"[" * 5000,
                     b"v = " + b"{a=" * 3000 + b"1" + b"}" * 3000, b"[" + b"a." * 3000 + b"b]",
                     b"\x00" * 10, b"name = 'x'\nname = 'y'", b"[[cell.layers]]\n" * 3]),
))
def test_garbage_files_are_case_errors(scratch, data):
    """Random bytes, invalid UTF-8, deep nesting: load_case and `assb-fem check` -> exit 2."""
    _count("toml_bytes")
    p = _write(scratch, data, "garbage")
    with no_mesh_no_solver():
        with pytest.raises(CaseError) as info:
            load_case(p)
    _check_error(info.value)
    OUTCOMES["error"] += 1
    rc, _, _ = cli_check(p)
    assert rc == 2


@st.composite
def mutated_file(draw):
    """A bundled case (or BASE_CASE) as TOML bytes, damaged at random places."""
    name = draw(st.sampled_from(["BASE_CASE", *sorted(BUNDLED)]))
    text = _toml(BASE_CASE) if name == "BASE_CASE" else BUNDLED[name][0].read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["truncate", "insert", "delete", "replace", "non_utf8",
                                    "dupline", "value"]))
        if how == "truncate":
            text = text[:i]
        elif how == "insert":
            text = text[:i] + draw(st.binary(min_size=1, max_size=8)) + text[i:]
        elif how == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 40)):]
        elif how == "replace":
            text = text[:i] + draw(st.sampled_from([b"=", b"[", b"]", b'"', b"\n", b"#", b"."])) \
                + text[i + 1:]
        elif how == "non_utf8":
            text = text[:i] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80",
                                                    b"\x80"])) + text[i:]
        elif how == "dupline":
            lines = text.split(b"\n")
            j = draw(st.integers(0, len(lines) - 1))
            text = b"\n".join(lines[:j + 1] + lines[j:])
        else:  # a value replaced by a random TOML value
            m = list(re.finditer(rb'= "[^"\n]*"', text))
            if m:
                k = draw(st.sampled_from(m))
                value = tomli_w.dumps({"v": draw(VALUES)}).encode()[4:].rstrip(b"\n")
                text = text[:k.start()] + b"= " + value + text[k.end():]
    return text


@_settings(N["toml_mutations"])
@given(data=mutated_file())
def test_damaged_case_files_are_case_errors_or_valid(scratch, data):
    _count("toml_mutations")
    p = _write(scratch, data, "damaged")
    with warnings.catch_warnings(), no_mesh_no_solver():
        warnings.simplefilter("ignore", CaseWarning)
        try:
            load_case(p)
            ok = True
        except CaseError as exc:
            _check_error(exc)
            ok = False
    OUTCOMES["valid" if ok else "error"] += 1
    rc, _, _ = cli_check(p)
    assert rc == (0 if ok else 2)


def test_generators_bite():
    """Sanity: most generated cases are rejected, and some valid ones get through."""
    if not COUNT:
        pytest.skip("the hypothesis tests did not run")
    assert OUTCOMES["error"] > 0.6 * sum(OUTCOMES.values()), OUTCOMES
    assert OUTCOMES["valid"] > 0, OUTCOMES


# ------------------------------------------------------------------ regressions (tracebacks, hangs)


def _at(path, value):
    raw = copy.deepcopy(BASE_CASE)
    node = raw
    for p in path[:-1]:
        node = node.setdefault(p, {}) if isinstance(p, str) else node[p]
    node[path[-1]] = value
    return raw


RAMP_TINY = "Ramp current from 0.1 to 2 mA/cm^2 in steps of 1e-320 mA/cm^2 every 1 h"
REGRESSIONS = [
    # pint: power towers never finish; tokenizer and evaluator errors were tracebacks
    (("holder", "pressure"), "5 m**2**2**2**2**2**2**2**2", "holder.pressure", "exponent"),
    (("holder", "pressure"), "5 ((((((((2**99)**99)**99)**99)**99)**99)**99)**99)",
     "holder.pressure", "exponent"),
    (("holder", "pressure"), "5 (", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 m'", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 m\x00", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 m/0", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 ()", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 mm**0", "holder.pressure", "could not read"),
    (("holder", "pressure"), "5 " + "m*" * 40 + "m", "holder.pressure", "longer than"),
    # infinite values were accepted
    (("holder", "pressure"), "1e400 MPa", "holder.pressure", "finite"),
    (("holder", "pressure"), "1e308 GPa", "holder.pressure", "finite"),
    (("protocol", "steps"), ["Rest for 1e999 s"], "protocol.steps[0]", "finite"),
    (("protocol", "steps"), ["Press at 1e999 MPa for 1 min"], "protocol.steps[0]", "finite"),
    (("solver", "newton_atol"), math.inf, "solver.newton_atol", "finite"),
    (("cell", "layers", 0, "relative_density"), math.nan, "cell.layers[0].relative_density",
     "finite"),
    (("mesh", "sector_angle"), math.nan, "mesh.sector_angle", "finite"),
    (("materials",), {"li": {"creep_exponent": math.inf}}, "materials.li.creep_exponent",
     "finite"),
    # ZeroDivisionError / OverflowError / TypeError in the protocol parser
    (("protocol", "steps"), ["Charge at C/0 for 1 h"], "protocol.steps[0]", "C-rate"),
    (("protocol", "steps"), [RAMP_TINY], "protocol.steps[0]", "1000 current levels"),
    (("protocol",), {"steps": ["Lock gap"], "cycle": ["Rest for 1 min"], "repeat": 2.0},
     "protocol.repeat", "expected type integer"),
    # 1e8 protocol entries: minutes and gigabytes before anything was reported
    (("protocol",), {"steps": [], "repeat": 100000, "cycle": [
        "Ramp current from 0.001 to 1 mA/cm^2 in steps of 0.001 mA/cm^2 every 1 h"]},
     "protocol.repeat", "at most"),
    # integers given as floats went through to range() / PETSc
    (("solver", "newton_max_it"), 3.0, "solver.newton_max_it", "expected type integer"),
    (("holder",), {"type": "spring", "spring_count": 3.0, "spring_rate": "5.5 lbf/mm"},
     "holder.spring_count", "expected type integer"),
    # a material is a card name, not a path
    (("cell", "layers", 2, "material"), "../../../pyproject", "cell.layers[2].material",
     "unknown material"),
    (("cell", "layers", 2, "material"), "../cards/li", "cell.layers[2].material", "unknown material"),
    (("cell", "layers", 2, "material"), "li\x00", "cell.layers[2].material", "unknown material"),
    (("cell", "die"), {"enabled": True, "material": "unobtainium"}, "cell.die.material",
     "unknown material"),
    # springs that cannot carry the holder pressure
    (("holder",), {"type": "spring", "pressure": "25 MPa", "spring_count": 3,
                   "spring_rate": "5.5 lbf/mm", "spring_max_load": "53 lbf"},
     "holder.pressure", "spring_max_load"),
    # input no schema rule sees
    (("name",), [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]], "name",
     "nested more than"),
    (("description",), "\udcff", "description", "UTF-8"),
    (("holder", 3), "x", "holder", "keys must be strings"),
]


@pytest.mark.parametrize(("path", "value", "key", "fragment"), REGRESSIONS)
def test_regressions_are_case_errors(path, value, key, fragment):
    res = outcome(_at(path, value))
    assert isinstance(res, CaseError), f"{path} = {value!r} was accepted"
    assert res.key.startswith(key), res
    assert fragment in res.allowed, res


def test_spring_holder_within_max_load_is_valid():
    raw = _at(("holder",), {"type": "spring", "pressure": "5 MPa", "spring_count": 3,
                            "spring_rate": "5.5 lbf/mm", "spring_max_load": "53 lbf"})
    assert isinstance(outcome(raw), Case)


def test_float_degree_is_an_integer():
    case = outcome(_at(("mesh", "element_degree"), 1.0))
    assert isinstance(case, Case) and type(case.mesh.element_degree) is int


@pytest.mark.parametrize("data", [b"v = " + b"[" * 1000 + b"]" * 1000,
                                  b"v = " + b"{a=" * 1000 + b"1" + b"}" * 1000])
def test_deeply_nested_toml(scratch, data):
    p = _write(scratch, data, "deep")
    with pytest.raises(CaseError, match="nested too deeply"):
        load_case(p)
    assert cli_check(p)[0] == 2


def test_unreadable_case_file():
    """/proc/self/mem is a 'regular file' that cannot be read (EIO): was an OSError traceback."""
    if not Path("/proc/self/mem").is_file():
        pytest.skip("no /proc")
    with pytest.raises(CaseError, match="cannot read the case file"):
        load_case("/proc/self/mem")
    assert cli_check(Path("/proc/self/mem"))[0] == 2


def test_folder_as_case_file(scratch):
    assert cli_check(scratch)[0] == 2


@pytest.mark.parametrize("override", [
    "name=\udcff",                  # undecodable bytes on the command line (surrogateescape)
    "name=" + "[" * 2000,           # RecursionError in the TOML parser
    "name=" + "[" * 100 + "]" * 100,
    "holder.a\nb=1",                # a key with a newline: still one line on stderr
    "cell.layers[1]\n.thickness=1 um",
])
def test_bad_set_on_the_command_line(scratch, override):
    p = _write(scratch, _toml(BASE_CASE), "base")
    with pytest.raises(CaseError):
        load_case(p, [override])
    assert cli_check(p, "--set", override)[0] == 2


def test_bundled_cases_check_clean(scratch):
    """Every bundled case passes `assb-fem check` (exit 0, resolved TOML, no warning)."""
    for name, (path, _) in BUNDLED.items():
        rc, out, err = cli_check(path, warn="error")
        assert rc == 0, (name, err)
        if MPI.COMM_WORLD.rank == 0:
            assert f"# {name}: valid" in out


# ------------------------------------------------------------------ dubious but legal input


#: What a dubious Li thickness and stack pressure warn with: the plausible range and its source
#: (fem/case/ranges.py LAYER_THICKNESS["li"], fem/protocol/ranges.py STACK_PRESSURE).
LI_TOO_THICK = r"above the plausible range \[1 um, 2000 um\] \(lab Li foils"
PRESSURE_TOO_HIGH = r"above the plausible range \[0.1 MPa, 500 MPa\] \(cells run at"


@_settings(N["dubious"])
@given(li_mm=st.floats(min_value=2.01, max_value=100.0),
       pressure_mpa=st.floats(min_value=501.0, max_value=2000.0),
       where=st.sampled_from(["holder", "press"]))
def test_dubious_inputs_warn(li_mm, pressure_mpa, where):
    """Between the plausible and the hard range: legal, with a warning naming the source
    (above the hard range, 0.1 m and 2 GPa: test_input_ranges.py)."""
    _count("dubious")
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["layers"][2]["thickness"] = f"{li_mm!r} mm"
    with pytest.warns(CaseWarning, match=LI_TOO_THICK):
        assert isinstance(load_case_dict(raw), Case)
    raw = copy.deepcopy(BASE_CASE)
    if where == "holder":
        raw["holder"]["pressure"] = f"{pressure_mpa!r} MPa"
    else:
        raw["protocol"]["steps"][0] = f"Press at {pressure_mpa!r} MPa for 10 min"
    with pytest.warns(CaseWarning, match=PRESSURE_TOO_HIGH):
        assert isinstance(load_case_dict(raw), Case)


@pytest.mark.parametrize(("path", "value", "match"), [
    (("cell", "layers", 2, "thickness"), "10 mm", LI_TOO_THICK),
    (("holder", "pressure"), "1 GPa", PRESSURE_TOO_HIGH),
])
def test_named_dubious_inputs_warn(path, value, match):
    with pytest.warns(CaseWarning, match=match):
        assert isinstance(load_case_dict(_at(path, value)), Case)


def test_sound_case_does_not_warn():
    raw = copy.deepcopy(BASE_CASE)
    del raw["mesh"]["li_cells"]  # the tests' one element through the foil warns, rightly
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaseWarning)
        load_case_dict(raw)
    raw["mesh"]["li_cells"] = 1
    with pytest.warns(CaseWarning, match=r"mesh.li_cells = 1: 1 is below the plausible range"):
        load_case_dict(raw)


# ------------------------------------------------------------------ output folders (exit 3)


@pytest.fixture(autouse=False)
def fresh_logger():
    """fem.log binds its handler to the sys.stderr of its first use (in pytest, a capture stream
    closed after that test): drop it, so that this test's stderr is used."""
    log = logging.getLogger("assb_fem")
    log.handlers.clear()
    yield
    log.handlers.clear()


@pytest.fixture
def case_file(shared_tmp, comm, fresh_logger):
    """BASE_CASE as a file at the same path on every rank."""
    p = shared_tmp / "base.toml"
    if comm.rank == 0:
        p.write_bytes(_toml(BASE_CASE))
    comm.barrier()
    return p


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _run(argv, capsys, comm) -> tuple[int, str]:
    with no_mesh_no_solver():
        rc = main(["run", *map(str, argv), "--no-progress"])
    err = capsys.readouterr().err
    comm.barrier()
    return rc, err


def _one_line(err: str, comm, fragment: str) -> None:
    if comm.rank == 0:
        assert err.count("\n") == 1 and err.startswith("assb-fem: "), repr(err)
        assert fragment in err, err
        assert "Traceback" not in err
    else:
        assert err == ""


def test_run_into_existing_outdir_without_overwrite(case_file, shared_tmp, capsys, comm):
    out = shared_tmp / "out"
    if comm.rank == 0:
        out.mkdir()
        (out / "keep.txt").write_text("old results\n")
    comm.barrier()
    before = _tree(shared_tmp)
    rc, err = _run([case_file, "-o", out], capsys, comm)
    assert rc == 3
    _one_line(err, comm, "exists and is not an assb-fem run folder")
    assert _tree(shared_tmp) == before
    assert (out / "keep.txt").read_text() == "old results\n"


@pytest.mark.parametrize("overwrite", [False, True])
def test_run_into_unwritable_folder(case_file, shared_tmp, capsys, comm, overwrite):
    """A path below a regular file cannot be created, even by root."""
    blocker = shared_tmp / "somefile"
    if comm.rank == 0:
        blocker.write_text("not a folder\n")
    comm.barrier()
    before = _tree(shared_tmp)
    flags = ["--overwrite"] if overwrite else []
    rc, err = _run([case_file, "-o", blocker / "out", *flags], capsys, comm)
    assert rc == 3
    _one_line(err, comm, f"cannot create the output folder {blocker / 'out'}")
    assert _tree(shared_tmp) == before  # no partial folder, no .failed
    assert blocker.read_text() == "not a folder\n"


def test_run_overwrite_onto_a_file_fails_before_the_run(case_file, shared_tmp, capsys, comm):
    """--overwrite onto a regular file used to run the whole case, then fail to move it."""
    target = shared_tmp / "afile"
    if comm.rank == 0:
        target.write_text("x\n")
    comm.barrier()
    before = _tree(shared_tmp)
    rc, err = _run([case_file, "-o", target, "--overwrite"], capsys, comm)
    assert rc == 3
    _one_line(err, comm, "is not an assb-fem run folder")
    assert _tree(shared_tmp) == before


@pytest.mark.parametrize("outdir", ["/proc/assb-fem-robustness/out", "/proc/self/fdinfo/out"])
def test_run_into_proc(case_file, capsys, comm, outdir):
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc")
    rc, err = _run([case_file, "-o", outdir], capsys, comm)
    assert rc == 3
    _one_line(err, comm, "cannot create the output folder")


def test_run_with_nul_in_outdir(case_file, capsys, comm):
    rc, err = _run([case_file, "-o", "bad\x00name"], capsys, comm)
    assert rc == 3
    _one_line(err, comm, "invalid output folder")


# ------------------------------------------------------------------ a diverging solve (exit 4)

DIVERGE = ["--set", "solver.newton_max_it=2", "--set", "solver.dt_min=10 min",
           "--set", "solver.dt_initial=10 min"]


def test_diverging_run_exits_4_and_keeps_the_good_steps(case_file, shared_tmp, capsys, comm):
    """Li creep at 25 MPa over a forced 10 min step cannot converge in 2 Newton iterations."""
    from fem.output.history import read_history

    out = shared_tmp / "diverge"
    rc = main(["run", str(case_file), "-o", str(out), "--no-progress", *DIVERGE])
    err = capsys.readouterr().err
    comm.barrier()
    assert rc == 4, err
    failed = shared_tmp / "diverge.failed"
    assert not out.exists() and failed.is_dir()
    assert not list(shared_tmp.glob(".diverge.partial-*"))
    msg = (failed / "FAILED").read_text()
    for text in (msg, err if comm.rank == 0 else msg):
        assert "Traceback" not in text, text
        assert "step 0 ('Press at 25 MPa for 10 min')" in text, text
        assert re.search(r"\bt = [0-9.e+-]+ s\b", text), text
        assert "dt = 600 s" in text, text
        assert re.search(r"residual history [0-9.e+-]+(, [0-9.e+-]+)+", text), text
    if comm.rank == 0:
        assert f"partial results kept in {failed}" in err
    hist = read_history(failed / "history.csv")
    assert len(hist["time_s"]) >= 1  # the initial load, accepted before the failure
    assert hist["step"][0] == -1 and hist["time_s"][0] == 0.0
    # a checkpoint of the last good state, from which a restart could continue
    from fem.checkpoint.store import CheckpointStore, load

    ckpt = CheckpointStore(failed / "checkpoints", comm).latest_valid()
    meta, _ = load(ckpt)
    assert meta["run"]["t"] == hist["time_s"][-1]
    assert len(meta["history"]) == len(hist["time_s"])


# ------------------------------------------------------------------ example count


def test_zz_enough_examples():
    """The hypothesis tests above ran at least MIN_EXAMPLES examples in all (when all ran)."""
    if set(COUNT) != set(N):
        pytest.skip(f"only {sorted(COUNT)} of the hypothesis tests ran")
    assert sum(N.values()) >= MIN_EXAMPLES
    assert sum(COUNT.values()) >= MIN_EXAMPLES, COUNT
