"""Physical sense as a layer of the schema (issue 16): every numeric case parameter, every card
parameter and every quantity of a protocol step has a hard range (outside it: a case error
naming the key) and a plausible range (outside it: a warning naming the source of the range).

* at and past every hard bound (the tables fem/case/ranges.py, fem/materials/parameters.py,
  fem/protocol/ranges.py): inside is never a range error of that key, past is;
* numbers at the edges of floating point (0, -0, subnormals, 1e-308, 1e308, the largest float,
  huge integers, 5000-digit numbers) in every quantity: a case error or a valid case, never
  another exception, and never a valid case with a value outside its hard range;
* between the plausible and the hard range: valid, with a warning naming the key and the source.

Never the mesh or the solver."""

from __future__ import annotations

import copy
import math

import pytest
from conftest import BASE_CASE, serial_only
from hypothesis import given
from hypothesis import strategies as st
from input_helpers import BUNDLED, hypothesis_settings, private_hypothesis_home, verdict

from fem.case.model import Case
from fem.case.ranges import RANGES
from fem.case.schema import SCHEMA
from fem.errors import CaseError, ProtocolError
from fem.materials import PARAMETERS, bundled_names, load_material
from fem.materials import RANGES as CARD_RANGES
from fem.materials.holder_cards import HOLDER_PARAMETERS
from fem.materials.parameters import HOLDER_RANGES
from fem.protocol.parser import parse_step
from fem.protocol.ranges import STEP_RANGES
from fem.units import Range

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

_hypothesis_home = private_hypothesis_home()

SI = {"length": "m", "pressure": "Pa", "time": "s", "temperature": "K", "mass": "kg",
      "areal_mass": "kg/m^2", "density": "kg/m^3", "current_density": "A/m^2",
      "specific_capacity": "C/kg", "stiffness": "N/m", "force": "N", "conductivity": "S/m",
      "energy_per_mol": "J/mol", "molar_volume": "m^3/mol", "molar_mass": "kg/mol",
      "strain_rate": "1/s", "diffusivity": "m^2/s", "thermal_expansion": "1/K",
      "fracture_toughness": "Pa*m^0.5",
      "dimensionless": ""}


def _spec(key: str) -> dict:
    """The schema of a case key (``a.b[].c``)."""
    node = SCHEMA
    for part in key.split("."):
        arr = part.endswith("[]")
        node = node["properties"][part.removesuffix("[]")]
        if arr:
            node = node["items"]
    return node


def _raw(key: str) -> tuple[dict, tuple]:
    """A valid case in which ``key`` is read, and the path of ``key`` in it."""
    raw = copy.deepcopy(BASE_CASE)
    layer = {"areal_mass": 0, "mass": 1, "relative_density": 0, "radius": 1, "thickness": 2}
    if key.startswith("cell.layers[]."):
        name = key.rsplit(".", 1)[1]
        i = layer[name]
        if name in ("areal_mass", "mass"):
            del raw["cell"]["layers"][i]["thickness"]
            raw["cell"]["layers"][i][name] = {"areal_mass": "25.5 mg/cm^2", "mass": "75 mg"}[name]
        return raw, ("cell", "layers", i, name)
    if key.startswith("patch."):
        raw = copy.deepcopy(BUNDLED["li_lpscl_rough_patch_2d"])
    elif key.startswith("holder.spring"):
        raw["holder"] = {"type": "spring", "pressure": "5 MPa", "spring_count": 3,
                         "spring_rate": "5.5 lbf/mm", "spring_max_load": "53 lbf"}
    elif key == "platens.friction_coefficient":
        raw["platens"] = {"contact": "coulomb", "friction_coefficient": 0.3}
    elif key == "mechanics.anode_yield_strength":
        raw = copy.deepcopy(BUNDLED["lco_li1si"])
        raw["mechanics"] = {"anode_model": "plastic"}
    elif key == "protocol.repeat":
        raw["protocol"]["cycle"] = ["Rest for 1 min"]
    if key == "output.milestones[]":
        return raw, ("output", "milestones", 0)
    return raw, tuple(key.split("."))


def _put(raw: dict, path: tuple, value) -> dict:
    """A copy of ``raw`` with ``value`` at ``path`` (tables and lists made on the way)."""
    raw = copy.deepcopy(raw)
    node = raw
    for p, nxt in zip(path[:-1], path[1:], strict=True):
        node = node[p] if isinstance(p, int) else node.setdefault(
            p, [] if isinstance(nxt, int) else {})
    last = path[-1]
    if isinstance(last, int) and len(node) <= last:
        node.append(value)
    else:
        node[last] = value
    return raw


def _text(key: str, value: float):
    """``value`` (SI) as the case writes ``key``: a string with SI units, or a number."""
    spec = _spec(key)
    if key == "holder.frame_stiffness":
        return f"{value!r} N/m"
    if "quantity" in spec:
        return f"{value!r} {SI[spec['quantity']['dimension']]}".strip()
    return int(value) if spec["type"] == "integer" else float(value)


def _case_key(path: tuple) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def _inside_and_past(rng: Range, integer: bool) -> tuple[list[float], list[float]]:
    """Values at (or just inside) the hard bounds, and just past them."""
    step = (lambda x, d: x + d) if integer else (lambda x, d: math.nextafter(x, d * math.inf))
    inside = [step(rng.lo, 1) if rng.lo_open else rng.lo, step(rng.hi, -1) if rng.hi_open else rng.hi]
    past = [rng.lo if rng.lo_open else step(rng.lo, -1), rng.hi if rng.hi_open else step(rng.hi, 1)]
    return inside, past


def _is_range_error(res, key: str) -> bool:
    """A CaseError on ``key`` for its own range (not for the thickness a mass gives)."""
    return (isinstance(res, CaseError) and res.key == key and "must be in" in res.allowed
            and "gives a thickness" not in res.allowed)


@pytest.mark.parametrize("key", sorted(RANGES))
def test_every_case_parameter_at_and_past_its_hard_range(key):
    raw, path = _raw(key)
    assert isinstance(verdict(raw)[0], Case), "the template case must be valid"
    integer = _spec(key).get("type") == "integer"
    inside, past = _inside_and_past(RANGES[key], integer)
    ckey = _case_key(path)
    for value in inside:
        res, _ = verdict(_put(raw, path, _text(key, value)))
        assert not _is_range_error(res, ckey), (key, value, res)
    for value in past:
        res, _ = verdict(_put(raw, path, _text(key, value)))
        assert _is_range_error(res, ckey), (key, value, res)


@pytest.mark.parametrize("param", sorted(PARAMETERS))
def test_every_card_parameter_at_and_past_its_hard_range(param):
    rng = CARD_RANGES[param]
    inside, past = _inside_and_past(rng, False)
    key = f"materials.li.{param}"
    for value in inside:
        res, _ = verdict(_put(BASE_CASE, ("materials", "li", param),
                              f"{value!r} {SI[PARAMETERS[param]]}".strip()))
        assert not _is_range_error(res, key), (param, value, res)
    for value in past:
        res, _ = verdict(_put(BASE_CASE, ("materials", "li", param),
                              f"{value!r} {SI[PARAMETERS[param]]}".strip()))
        assert _is_range_error(res, key), (param, value, res)


#: A protocol step for each kind of quantity (fem.protocol.ranges.STEP_RANGES), in SI.
STEP_TEMPLATES = {
    "pressure": "Press at {} Pa for 10 min",
    "duration": "Rest for {} s",
    "current_density": "Charge at {} A/m^2 for 1 h",
    "temperature": "Set temperature to {} K",
    "voltage": "Hold at {} V for 1 h",
    "areal_capacity": "CCD ramp from 0.1 to 0.2 mA/cm^2 in steps of 0.1 mA/cm^2 with {} C/m^2 "
                      "per half cycle",
}


@pytest.mark.parametrize("kind", sorted(STEP_RANGES))
def test_every_step_quantity_at_and_past_its_hard_range(kind):
    rng = STEP_RANGES[kind]
    inside, past = _inside_and_past(rng, False)
    if kind == "c_rate":  # written C/n or nC
        texts_in = [f"Charge at C/{1 / rng.lo!r} for 1 s", f"Charge at {rng.hi!r}C for 1 s"]
        texts_out = [f"Charge at C/{2 / rng.lo!r} for 1 s", f"Charge at {2 * rng.hi!r}C for 1 s"]
    else:
        texts_in = [STEP_TEMPLATES[kind].format(repr(v)) for v in inside]
        texts_out = [STEP_TEMPLATES[kind].format(repr(v)) for v in past]
    for text in texts_in:
        parse_step(text, "protocol.steps[0]")
    for text in texts_out:
        with pytest.raises(ProtocolError, match="must be in") as info:
            parse_step(text, "protocol.steps[0]")
        assert info.value.key == "protocol.steps[0]"


# ---------------------------------------------------------------------------- floating point
EDGES = [0.0, -0.0, 5e-324, 2.2250738585072014e-308, 1e-308, 1e-300, 1e-30, 1e30, 1e300, 1e308,
         1.7976931348623157e308, -1e308, -5e-324, 1.0, -1.0]
EDGE_TEXT = st.one_of(
    st.sampled_from(EDGES).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True).map(repr),
    st.floats(min_value=-1e-300, max_value=1e-300).map(repr),
    st.sampled_from(["1" + "0" * 400, "9" * 5000, "1e400", "-1e400", "0e0", "1e-400",
                     str(2**63), str(2**64), "4.9e-324"]),
)
QUANTITY_KEYS = sorted(k for k in RANGES if "quantity" in _spec(k) or k == "holder.frame_stiffness")
NUMBER_KEYS = sorted(k for k in RANGES if k not in QUANTITY_KEYS)


@hypothesis_settings(200)
@given(data=st.data())
def test_numbers_at_the_edges_of_floating_point_in_every_quantity(data):
    key = data.draw(st.sampled_from(QUANTITY_KEYS))
    raw, path = _raw(key)
    number = data.draw(EDGE_TEXT)
    dim = "stiffness" if key == "holder.frame_stiffness" else _spec(key)["quantity"]["dimension"]
    res, _ = verdict(_put(raw, path, f"{number} {SI[dim]}".strip()))
    if isinstance(res, Case):
        value = float(number)
        assert math.isfinite(value) and RANGES[key].violation(value) is None, (key, number)


@hypothesis_settings(150)
@given(data=st.data())
def test_numbers_at_the_edges_of_floating_point_in_every_card_parameter_and_step(data):
    number = data.draw(EDGE_TEXT)
    if data.draw(st.booleans()):
        param = data.draw(st.sampled_from(sorted(PARAMETERS)))
        text = f"{number} {SI[PARAMETERS[param]]}".strip()
        res, _ = verdict(_put(BASE_CASE, ("materials", "li", param), text))
        if isinstance(res, Case):
            assert CARD_RANGES[param].violation(float(number)) is None, (param, number)
        return
    kind = data.draw(st.sampled_from(sorted(STEP_TEMPLATES)))
    try:
        parse_step(STEP_TEMPLATES[kind].format(number), "protocol.steps[0]")
    except ProtocolError as exc:
        assert exc.key == "protocol.steps[0]" and len(str(exc)) < 2000
        return
    assert STEP_RANGES[kind].violation(float(number)) is None, (kind, number)


@hypothesis_settings(150)
@given(data=st.data())
def test_edge_numbers_and_huge_integers_in_every_plain_number(data):
    key = data.draw(st.sampled_from(NUMBER_KEYS))
    raw, path = _raw(key)
    value = data.draw(st.one_of(st.sampled_from(EDGES), st.floats(allow_nan=False),
                                st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 10**30,
                                                 10**400, 10**5000, -(10**5000), 0, -1])))
    res, _ = verdict(_put(raw, path, value))
    if isinstance(res, Case):
        assert math.isfinite(value) and RANGES[key].violation(value) is None, (key, value)
    if isinstance(value, int) and abs(value) >= 2**63:
        assert isinstance(res, CaseError) and len(str(res)) < 1000


@pytest.mark.parametrize("key", QUANTITY_KEYS)
def test_a_bare_number_for_a_quantity_gets_the_units_hint(key):
    raw, path = _raw(key)
    res, _ = verdict(_put(raw, path, 5))
    assert isinstance(res, CaseError) and res.key == _case_key(path), res
    assert any(t in res.allowed for t in ("with units, e.g.", "expected a stiffness",
                                          "a number in a string")), res
    assert "expected type" not in res.allowed


# ---------------------------------------------------------------------------- plausible ranges
def _implausible(rng: Range) -> float | None:
    """A value inside the hard range but outside the plausible one (None if there is none)."""
    for v in (rng.plausible[1] * 1.5 if rng.plausible[1] > 0 else rng.plausible[1] + 1,
              rng.plausible[0] / 2 if rng.plausible[0] > 0 else rng.plausible[0] - 1):
        if rng.violation(v) is None and rng.implausibility(v) is not None:
            return v
    return None


@pytest.mark.parametrize("key", sorted(k for k in RANGES if _implausible(RANGES[k]) is not None))
def test_implausible_case_values_warn_with_their_source(key):
    rng = RANGES[key]
    raw, path = _raw(key)
    value = _implausible(rng)
    if _spec(key).get("type") == "integer":
        value = int(value)
    res, notes = verdict(_put(raw, path, _text(key, value)))
    if isinstance(res, CaseError):  # a rule tying it to another key; not this key's range
        assert not _is_range_error(res, _case_key(path)), res
        return
    assert any(n.startswith(_case_key(path)) and rng.why in n for n in notes), notes


@pytest.mark.parametrize("param", sorted(p for p in PARAMETERS
                                         if _implausible(CARD_RANGES[p]) is not None))
def test_implausible_card_values_warn_with_their_source(param):
    rng = CARD_RANGES[param]
    value = _implausible(rng)
    res, notes = verdict(_put(BASE_CASE, ("materials", "li", param),
                              f"{value!r} {SI[PARAMETERS[param]]}".strip()))
    if isinstance(res, CaseError):
        assert not _is_range_error(res, f"materials.li.{param}"), res
        return
    assert any(n.startswith(f"materials.li.{param}") and rng.why in n for n in notes), notes


def test_every_range_has_a_source_and_a_plausible_range_inside_the_hard_one():
    tables = [RANGES, CARD_RANGES, STEP_RANGES, HOLDER_RANGES]
    for table in tables:
        for key, rng in table.items():
            assert rng.why and rng.hard_why, key
            assert rng.lo <= rng.plausible[0] <= rng.plausible[1] <= rng.hi, key
    assert set(CARD_RANGES) == set(PARAMETERS) and set(HOLDER_RANGES) == set(HOLDER_PARAMETERS)
    numeric = [k for k in _all_keys(SCHEMA) if _is_numeric(_spec(k))]
    assert sorted(numeric) == sorted(k for k in RANGES if k != "holder.frame_stiffness"), \
        "every numeric key of the schema has a range"


def _all_keys(node, prefix=""):
    for k, sub in node.get("properties", {}).items():
        key = f"{prefix}{k}"
        if sub.get("type") == "object" and "properties" in sub:
            yield from _all_keys(sub, key + ".")
        elif sub.get("type") == "array" and "properties" in sub.get("items", {}):
            yield from _all_keys(sub["items"], key + "[].")
        elif sub.get("type") == "array" and "quantity" in sub.get("items", {}):
            yield key + "[]"
        else:
            yield key


def _is_numeric(spec: dict) -> bool:
    return "quantity" in spec or spec.get("type") in ("number", "integer")


def test_bundled_cards_and_cases_are_plausible():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in bundled_names():
            load_material(name)
    for name, raw in BUNDLED.items():
        res, notes = verdict(raw)
        assert isinstance(res, Case) and notes == [], (name, res, notes)


@pytest.mark.parametrize(("path", "value", "key"), [
    (("solver", "newton_atol"), 1e300, "solver.newton_atol"),
    (("holder", "pressure"), "1e300 MPa", "holder.pressure"),
    (("holder", "pressure"), "1e-300 MPa", "holder.pressure"),
    (("materials", "li", "youngs_modulus"), "1e-30 Pa", "materials.li.youngs_modulus"),
    (("materials", "li", "creep_exponent"), "1000", "materials.li.creep_exponent"),
    (("materials", "li", "creep_activation_energy"), "-37 kJ/mol",
     "materials.li.creep_activation_energy"),
    (("materials", "li6ps5cl", "ionic_conductivity"), "-2 mS/cm",
     "materials.li6ps5cl.ionic_conductivity"),
    (("cell", "radius"), "1e-320 m", "cell.radius"),
    (("cell", "layers", 2, "thickness"), "1 nm", "cell.layers[2].thickness"),
    (("solver", "dt_max"), "1e-9 s", "solver.dt_max"),
])
def test_nonsense_that_was_accepted_is_a_case_error(path, value, key):
    """Each of these completed a run (or crashed in it) on the issue's main."""
    raw = _put(BASE_CASE, path, value)
    res, _ = verdict(raw)
    assert _is_range_error(res, key), res


def test_negative_li_content_in_si_is_a_case_error():
    raw = copy.deepcopy(BUNDLED["lco_li1si"])
    raw["materials"]["si"]["initial_lithiation"] = "-0.5"
    assert _is_range_error(verdict(raw)[0], "materials.si.initial_lithiation")


@pytest.mark.parametrize(("step", "key"), [
    ("Press at 1e300 MPa for 1 min", "protocol.steps[0]"),
    ("Press at 1e-300 MPa for 1 min", "protocol.steps[0]"),
    ("Charge at 1e300 mA/cm^2 for 1 h", "protocol.steps[0]"),
    ("Rest for 1e300 s", "protocol.steps[0]"),
    ("Charge at 1 mA/cm^2 for 0 s", "protocol.steps[0]"),
])
def test_absurd_step_quantities_are_case_errors(step, key):
    with pytest.raises(ProtocolError, match="must be in") as info:
        parse_step(step, key)
    assert info.value.key == key


# ---------------------------------------------------------------------------- holder cards
@pytest.mark.parametrize("param", sorted(HOLDER_PARAMETERS))
def test_every_holder_card_value_at_and_past_its_hard_range(param):
    rng = HOLDER_RANGES[param]
    raw = copy.deepcopy(BASE_CASE)
    raw["holder"] = {"type": "fixed_gap", "pressure": "5 MPa", "card": "lab_peek_ti"}
    assert isinstance(verdict(raw)[0], Case)
    inside, past = _inside_and_past(rng, param.endswith("_count"))
    key = f"holder.card_values.{param}"
    unit = SI.get(HOLDER_PARAMETERS[param], {"area": "m^2", "compliance": "m/N"}.get(
        HOLDER_PARAMETERS[param], ""))
    for value, bad in [(v, False) for v in inside] + [(v, True) for v in past]:
        raw["holder"]["card_values"] = {param: f"{value!r} {unit}".strip()}
        res, _ = verdict(raw)
        assert _is_range_error(res, key) == bad, (param, value, res)
