"""Named values in protocol steps (fem/case/protocol_values.py): ``{hold}`` from
``[protocol.values]``, ``{holder.pressure}`` from the case, and the errors on bad names."""

from __future__ import annotations

import copy

import pytest
from conftest import serial_only

from fem.case.bundled import resolve_case_path
from fem.case.loader import apply_overrides, load_case_dict, read_case_file
from fem.errors import CaseError

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


@pytest.fixture(scope="module")
def ccd_raw() -> dict:
    raw, _ = read_case_file(resolve_case_path("li_symmetric_ccd"))
    return raw


def _with_step(raw: dict, text: str, i: int = 0) -> dict:
    out = copy.deepcopy(raw)
    out["protocol"]["steps"][i] = text
    return out


def test_bundled_ccd_case_names_hold_and_release(ccd_raw):
    case = load_case_dict(ccd_raw)
    press, release = case.protocol[0].step, case.protocol[1].step
    assert press.duration == pytest.approx(1800.0)
    assert release.pressure == pytest.approx(case.holder.pressure)


def test_overrides_reach_the_steps(ccd_raw):
    """What a sweep does: --vary protocol.values.hold and holder.pressure."""
    raw = apply_overrides(ccd_raw, ["protocol.values.hold=1 min", "holder.pressure=10 MPa"])
    case = load_case_dict(raw)
    assert case.protocol[0].step.duration == pytest.approx(60.0)
    assert case.protocol[1].step.pressure == pytest.approx(10e6)
    assert case.protocol[1].step.text == "Release to 10 MPa"


def test_indexed_case_key_and_numbers(ccd_raw):
    raw = copy.deepcopy(ccd_raw)
    raw["protocol"]["values"] = {"minutes": 5}
    raw = _with_step(raw, "Press at 25 MPa for {minutes} min")
    raw["conditions"]["temperature"] = "30 degC"
    raw["protocol"]["steps"][3] = "Set temperature to {conditions.temperature}"
    case = load_case_dict(raw)
    assert case.protocol[0].step.duration == pytest.approx(300.0)
    assert case.protocol[3].step.temperature == pytest.approx(303.15)


@pytest.mark.parametrize(("text", "message"), [
    ("Press at 25 MPa for {hld}", "{hld} is not in [protocol.values]"),
    ("Release to {holder.presure}", "{holder.presure} is not in the case"),
    ("Press at 25 MPa for {cell.layers}", "{cell.layers} is a list"),
    ("Press at 25 MPa for {hold", "unmatched brace"),
    ("Press at 25 MPa for {1 x}", "is not a value name"),
])
def test_bad_placeholders_name_the_step(ccd_raw, text, message):
    with pytest.raises(CaseError) as err:
        load_case_dict(_with_step(ccd_raw, text))
    assert "protocol.steps[0]" in str(err.value)
    assert message in str(err.value)


def test_literal_braces_reach_the_step_parser(ccd_raw):
    """``{{x}}`` is not a placeholder: the step parser then rejects the text as a step."""
    with pytest.raises(CaseError) as err:
        load_case_dict(_with_step(ccd_raw, "Press at 25 MPa for {{hold}}"))
    assert "{hold}" in str(err.value)
    assert "is not in" not in str(err.value)


def test_values_must_be_quantities_or_numbers(ccd_raw):
    raw = copy.deepcopy(ccd_raw)
    raw["protocol"]["values"] = {"hold": ["1 min"]}
    with pytest.raises(CaseError) as err:
        load_case_dict(raw)
    assert "protocol.values.hold" in str(err.value)
