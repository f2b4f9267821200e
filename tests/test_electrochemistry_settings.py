"""The electrochemistry's settings (fem.cellstack.settings.electrochemistry_settings): every
property from the layers' cards, and a card that lacks one is a CaseError naming the layer, the
card and the property before any mesh or solve (no silent default: an unknown cathode card used
to get NCM811's open-circuit voltage)."""

from __future__ import annotations

import copy
import dataclasses
import re
import tomllib

import pytest
from conftest import BASE_CASE, serial_only

import fem.materials
from fem.case.loader import load_case_dict
from fem.cellstack.settings import electrochemistry_settings
from fem.cli import resolve_case_path
from fem.errors import CaseError

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def _full_cell() -> dict:
    raw = copy.deepcopy(BASE_CASE)
    raw["electrochemistry"] = {"enabled": True}
    return raw


def _si_cell() -> dict:
    return tomllib.loads(resolve_case_path("lco_li1si").read_text())


def _copy_card(monkeypatch, tmp_path, card: str, new: str, drop: str) -> None:
    """The bundled cards plus ``new``: a copy of ``card`` without its entry ``drop``."""
    for path in fem.materials.CARD_DIR.glob("*.toml"):
        (tmp_path / path.name).write_text(path.read_text())
    text = (fem.materials.CARD_DIR / f"{card}.toml").read_text()
    block = re.compile(rf"^\[(parameters|choices)\.{drop}\]\n(?:[^\[\n].*\n?)*", re.M)
    assert block.search(text), (card, drop)
    text = block.sub("", text).replace(f'name = "{card}"', f'name = "{new}"', 1)
    (tmp_path / f"{new}.toml").write_text(text)
    monkeypatch.setattr(fem.materials, "CARD_DIR", tmp_path)


def test_settings_carry_the_card_values():
    case = load_case_dict(_full_cell())
    s = electrochemistry_settings(case)
    cat, li = case.materials["ncm811_composite"], case.materials["li"]
    assert s.cathode.ocv.name == "ncm811"
    assert s.cathode.particle_radius == cat["particle_radius"] == 2.5e-6
    assert s.cathode.exchange_current_density == cat["exchange_current_density"] == 1.0
    assert s.cathode.ionic_conductivity == cat["ionic_conductivity"]
    assert s.cathode.areal_capacity == case.areal_capacity
    assert s.li.exchange_current_density == li["exchange_current_density"] == 50.0
    assert s.separator.ionic_activation_energy == \
        case.materials["li6ps5cl"]["ionic_activation_energy"]
    assert s.counter is None and s.anode is None
    assert s.separator.electronic_conductivity is None  # no leakage: not needed
    assert s.cathode.solid_diffusivity is None  # no particle diffusion: not needed
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.cathode.particle_radius = 1.0
    si = electrochemistry_settings(load_case_dict(_si_cell()))
    assert si.anode.ocv.name == "lixsi" and si.cathode.ocv.name == "lco"
    assert si.anode.first_cycle_efficiency == 0.80 and si.li is None


def test_cathode_card_without_an_ocv_table_is_a_case_error(monkeypatch, tmp_path):
    """The regression of the silent default: a copied NCM811 card without its OCV table."""
    _copy_card(monkeypatch, tmp_path, "ncm811_composite", "my_cathode", "ocv_table")
    raw = _full_cell()
    raw["cell"]["layers"][0]["material"] = "my_cathode"
    case = load_case_dict(raw)
    with pytest.raises(CaseError) as info:
        electrochemistry_settings(case)
    msg = str(info.value)
    assert info.value.key == "materials.my_cathode.ocv_table"
    assert "cell.layers[0]" in msg and "'cathode'" in msg and "'my_cathode'" in msg


@pytest.mark.parametrize("card, layer, drop, cell", [
    ("ncm811_composite", 0, "particle_radius", "full"),
    ("ncm811_composite", 0, "exchange_current_density", "full"),
    ("ncm811_composite", 0, "first_cycle_efficiency", "full"),
    ("ncm811_composite", 0, "ionic_conductivity", "full"),
    ("li6ps5cl", 1, "ionic_activation_energy", "full"),
    ("li", 2, "exchange_current_density", "full"),
    ("si", 2, "first_cycle_efficiency", "si"),
    ("si", 2, "ocv_table", "si"),
])
def test_every_needed_card_entry_is_required(monkeypatch, tmp_path, card, layer, drop, cell):
    _copy_card(monkeypatch, tmp_path, card, f"{card}_copy", drop)
    raw = _full_cell() if cell == "full" else _si_cell()
    raw["cell"]["layers"][layer]["material"] = f"{card}_copy"
    raw.pop("materials", None)
    if cell == "si":
        raw["materials"] = {f"{card}_copy": {"initial_lithiation": "1"}}
    with pytest.raises(CaseError) as info:  # at load (the interface model's Li) or here
        electrochemistry_settings(load_case_dict(raw))
    # the load-time check of the card values names the layer's material, the solver's the card
    assert info.value.key in (f"materials.{card}_copy.{drop}", f"cell.layers[{layer}].material")
    assert f"cell.layers[{layer}]" in str(info.value) and f"'{drop}'" in str(info.value)


def test_the_ocv_table_is_a_card_choice_a_case_may_override():
    raw = _full_cell()
    raw["materials"] = {"ncm811_composite": {"ocv_table": "lco"}}
    case = load_case_dict(raw)
    assert case.materials["ncm811_composite"].choices["ocv_table"] == ("lco", "case override")
    assert electrochemistry_settings(case).cathode.ocv.name == "lco"
    raw["materials"] = {"ncm811_composite": {"ocv_table": "nmc"}}
    with pytest.raises(CaseError, match="unknown OCV table; available: lco, lixsi, ncm811"):
        electrochemistry_settings(load_case_dict(raw))
