"""Roles and orders (issue 16): each layer role takes cards of some material classes only (a
separator of NCM811, a Li layer of PEEK are case errors when the case is resolved, before any
mesh, not after meshing with a .failed folder left behind), and the stack orders that make a
cell (plungers at the ends only). Property-based over random stacks; never the mesh or the
solver."""

from __future__ import annotations

import copy

import pytest
from conftest import BASE_CASE, serial_only
from hypothesis import given
from hypothesis import strategies as st
from input_helpers import (
    cli,
    hypothesis_settings,
    one_line_error,
    private_hypothesis_home,
    verdict,
    write,
)

from fem.case.model import Case
from fem.case.roles import CELL_KINDS, DIE_CLASSES, ROLE_CLASSES
from fem.errors import CaseError
from fem.materials import bundled_names, load_material

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

_hypothesis_home = private_hypothesis_home()

CARDS = bundled_names()
CLASS_OF = {n: load_material(n).material_class for n in CARDS}
#: A thickness that suits a layer of each role.
THICKNESS = {"li": "100 um", "separator": "700 um", "cathode": "100 um", "anode": "50 um",
             "plunger": "5 mm"}


def _layer(i: int, role: str, card: str) -> dict:
    return {"name": f"l{i}", "role": role, "material": card, "thickness": THICKNESS[role]}


@pytest.mark.parametrize("card", CARDS)
@pytest.mark.parametrize("index", [0, 1, 2])
def test_each_role_takes_its_material_classes_only(index, card):
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["layers"][index]["material"] = card
    raw["interface"] = {"enabled": False}
    role = raw["cell"]["layers"][index]["role"]
    res, _ = verdict(raw)
    if CLASS_OF[card] in ROLE_CLASSES[role]:
        assert not (isinstance(res, CaseError) and "needs a card of class" in res.allowed), res
    else:
        assert isinstance(res, CaseError), (role, card)
        assert res.key == f"cell.layers[{index}].material" and res.value == card, res
        assert f"a {role} layer needs a card of class" in res.allowed, res
        assert CLASS_OF[card] in res.allowed


@pytest.mark.parametrize("card", CARDS)
def test_die_material_class(card):
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["die"]["material"] = card
    res, _ = verdict(raw)
    if CLASS_OF[card] in DIE_CLASSES:
        assert isinstance(res, Case), res
    else:
        assert isinstance(res, CaseError) and res.key == "cell.die.material", res


def test_a_ti_layer_between_li_and_separator_is_a_case_error():
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["layers"].insert(2, _layer(9, "plunger", "ti"))
    res, _ = verdict(raw)
    assert isinstance(res, CaseError) and res.key == "cell.layers[2].role", res
    assert "plungers go at the ends of the stack only" in res.allowed


def test_plungers_at_the_ends_are_valid():
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["layers"] = [_layer(0, "plunger", "ti"), *raw["cell"]["layers"],
                             _layer(4, "plunger", "ti")]
    raw["mesh"]["size_max"] = "1 mm"
    assert isinstance(verdict(raw)[0], Case)


@hypothesis_settings(200)
@given(kind=st.sampled_from(sorted(CELL_KINDS)),
       layers=st.lists(st.tuples(st.sampled_from(sorted(ROLE_CLASSES)), st.sampled_from(CARDS)),
                       min_size=1, max_size=6))
def test_random_stacks_are_cells_or_case_errors(kind, layers):
    """A valid case has the roles of its kind in order (or upside down), plungers at the ends
    only, and every card of a class its role takes; anything else is a case error on the
    layers."""
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["kind"] = kind
    raw["cell"]["layers"] = [_layer(i, r, c) for i, (r, c) in enumerate(layers)]
    raw["interface"] = {"enabled": False}
    res, _ = verdict(raw)
    roles = [r for r, _ in layers]
    core = roles[:]
    while core and core[0] == "plunger":
        core.pop(0)
    while core and core[-1] == "plunger":
        core.pop()
    order_ok = core in (CELL_KINDS[kind], CELL_KINDS[kind][::-1])
    classes_ok = all(CLASS_OF[c] in ROLE_CLASSES[r] for r, c in layers)
    if isinstance(res, Case):
        assert order_ok and classes_ok, (kind, layers)
    elif not (order_ok and classes_ok):
        assert res.key.startswith("cell.layers"), res


def test_a_li_layer_of_peek_fails_before_any_folder_is_made(tmp_path, monkeypatch):
    """Was a case error only after meshing, with a .failed folder left behind."""
    import tomli_w

    monkeypatch.chdir(tmp_path)
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["layers"][2]["material"] = "peek"
    case = write(tmp_path, "c.toml", tomli_w.dumps(raw).encode())
    rc, _, err = cli(["run", str(case), "-o", str(tmp_path / "out"), "--no-progress"])
    one_line_error(rc, err)
    assert rc == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.toml"]


@pytest.mark.parametrize(("part", "card", "ok"), [("plunger", "peek", False),
                                                  ("insulator", "ti", False),
                                                  ("screw", "li", False), ("die", "steel", True),
                                                  ("plunger", "steel", True)])
def test_holder_card_parts_take_their_material_classes(tmp_path, monkeypatch, part, card, ok):
    import shutil

    import fem.materials.holder_cards as hc

    text = (hc.HOLDER_DIR / "lab_peek_ti.toml").read_text()
    head, _, tail = text.partition(f"[choices.{part}_material]\nvalue = ")
    assert tail, part
    tail = f'"{card}"' + tail[tail.index("\n"):]
    shutil.copytree(hc.HOLDER_DIR, tmp_path / "holders")
    (tmp_path / "holders" / "lab_peek_ti.toml").write_text(
        f"{head}[choices.{part}_material]\nvalue = {tail}")
    monkeypatch.setattr(hc, "HOLDER_DIR", tmp_path / "holders")
    raw = copy.deepcopy(BASE_CASE)
    raw["holder"] = {"type": "fixed_gap", "pressure": "5 MPa", "card": "lab_peek_ti"}
    res, _ = verdict(raw)
    if ok:
        assert isinstance(res, Case), res
    else:
        assert isinstance(res, CaseError) and res.key == f"holders.lab_peek_ti.{part}_material"
