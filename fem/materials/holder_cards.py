"""Holder cards (``holders/*.toml``): the hardware a cell is held in, every value with units and a
source, like the material cards (:mod:`fem.materials`).

A holder card lists the parts in series with the cell stack (plungers, an insulator, the
screws, the plates, the load cell; the springs of a spring holder) and the die (its clearance
to the plungers and the plungers' edge chamfer, where Li leaves a foil). A case names the card
(``holder.card``) and may override any value (``[holder.card_values]``).

From it, :func:`frame_compliance` gives the elastic compliance of the frame (m/N: the sum of
L / (E A) of the column parts, the screws in parallel, the plates and the load cell) and
:func:`thermal_opening` the free opening of the gap over the stack per kelvin
(docs/references.md#derived-holder-thermal).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from fem.errors import CaseError
from fem.materials import Material, load_material
from fem.materials.parameters import HOLDER_PART_CLASSES, HOLDER_RANGES
from fem.units import to_si

HOLDER_DIR = Path(__file__).with_name("holders")

#: The dimension of every holder-card parameter.
HOLDER_PARAMETERS: dict[str, str] = {
    "plunger_length": "length",
    "plunger_diameter": "length",
    "insulator_length": "length",
    "insulator_diameter": "length",
    "screw_count": "dimensionless",
    "screw_area": "area",
    "plate_compliance": "compliance",
    "load_cell_length": "length",
    "load_cell_thermal_expansion": "thermal_expansion",
    "load_cell_compliance": "compliance",
    "screw_thermal_expansion": "thermal_expansion",
    "die_clearance": "length",
    "edge_chamfer": "length",
    "entrance_length": "dimensionless",
    "spring_count": "dimensionless",
    "spring_rate": "stiffness",
    "spring_max_load": "force",
}
#: The material cards a holder card names.
HOLDER_CHOICES = ("plunger_material", "insulator_material", "screw_material", "die_material")
@dataclass
class HolderCard:
    """A holder card resolved to SI, with the material cards of its parts."""

    name: str
    description: str
    values: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    materials: dict[str, Material] = field(default_factory=dict)

    def __getitem__(self, key: str) -> float:
        try:
            return self.values[key]
        except KeyError:
            raise CaseError(f"holder.card_values.{key}", None,
                            f"holder card '{self.name}' has no '{key}'; add it in the case's "
                            "[holder.card_values]") from None


def bundled_holder_names() -> list[str]:
    return sorted(p.stem for p in HOLDER_DIR.glob("*.toml"))


def _check(name: str, key: str, value: object, where: str) -> float:
    """One holder-card value in SI, against its hard range (a CaseError) and its plausible
    range (a CaseWarning naming the source) of :data:`HOLDER_RANGES`."""
    if key not in HOLDER_PARAMETERS:
        raise CaseError(where, value, "unknown holder-card parameter; allowed: "
                        + ", ".join(HOLDER_PARAMETERS))
    v = HOLDER_RANGES[key].check(to_si(value, HOLDER_PARAMETERS[key], where), where, value)
    if key.endswith("_count") and v != int(v):
        raise CaseError(where, value, "must be a whole number")
    return v


def load_holder_card(name: str, overrides: dict | None = None) -> HolderCard:
    """Load a bundled holder card, apply the case's overrides and load its parts' cards."""
    if not isinstance(name, str) or name not in bundled_holder_names():
        raise CaseError("holder.card", name,
                        f"unknown holder card; bundled: {', '.join(bundled_holder_names())}")
    with (HOLDER_DIR / f"{name}.toml").open("rb") as f:
        raw = tomllib.load(f)
    card = HolderCard(raw["name"], raw["description"])
    for key, entry in raw["parameters"].items():
        card.values[key] = _check(name, key, entry["value"], f"holders.{name}.{key}")
        card.sources[key] = entry["source"]
    for key, value in (overrides or {}).items():
        card.values[key] = _check(name, key, value, f"holder.card_values.{key}")
        card.sources[key] = "case override"
    missing = sorted(set(HOLDER_PARAMETERS) - set(card.values))
    if missing:
        raise CaseError("holder.card", name, f"the card lacks {', '.join(missing)}")
    for key in HOLDER_CHOICES:
        entry = raw.get("choices", {}).get(key)
        if entry is None:
            raise CaseError("holder.card", name, f"the card names no {key}")
        part = key.removesuffix("_material")
        mat = load_material(entry["value"])
        if mat.material_class not in HOLDER_PART_CLASSES[part]:
            raise CaseError(f"holders.{name}.{key}", mat.name,
                            f"a {part} is made of a card of class "
                            f"{' or '.join(HOLDER_PART_CLASSES[part])}; '{mat.name}' is "
                            f"{mat.material_class}")
        card.materials[part] = mat
    return card


def _column(card: HolderCard) -> list[tuple[float, float, float]]:
    """(length, compliance, CTE) of the column parts: plungers, insulator, load cell."""
    area = math.pi * card["plunger_diameter"] ** 2 / 4
    ins = math.pi * card["insulator_diameter"] ** 2 / 4
    ti, peek = card.materials["plunger"], card.materials["insulator"]
    L_p, L_i = card["plunger_length"], card["insulator_length"]
    return [(L_p, L_p / (ti["youngs_modulus"] * area), ti["thermal_expansion"]),
            (L_i, L_i / (peek["youngs_modulus"] * ins), peek["thermal_expansion"]),
            (card["load_cell_length"], card["load_cell_compliance"],
             card["load_cell_thermal_expansion"])]


def insulator_compliance(card: HolderCard) -> float:
    """L / (E A) of the insulator (the creeping part of the frame), m/N."""
    return _column(card)[1][1]


def screw_length(card: HolderCard, stack_height: float) -> float:
    """The screws span the column and the stack."""
    return sum(L for L, _, _ in _column(card)) + stack_height


def frame_compliance(card: HolderCard, stack_height: float) -> float:
    """Elastic compliance of the frame in series with the stack (m/N), springs excluded."""
    steel = card.materials["screw"]
    screws = screw_length(card, stack_height) / (steel["youngs_modulus"] * card["screw_area"]
                                                 * card["screw_count"])
    return sum(c for _, c, _ in _column(card)) + screws + card["plate_compliance"]


def spring_compliance(card: HolderCard) -> float:
    """The springs of a spring holder, in parallel: 1 / (n k_s) (m/N)."""
    return 1.0 / (card["spring_count"] * card["spring_rate"])


def thermal_opening(card: HolderCard, stack_height: float) -> float:
    """Free opening of the gap over the stack per kelvin (m/K): the screws' expansion minus the
    column parts' (docs/references.md#derived-holder-thermal). The screws' CTE is the card's
    ``screw_thermal_expansion``: the grade of the screws (alloy or stainless steel, 10-17e-6
    1/K) is rarely reported and sets the opening, where their modulus (the screw material's
    card) hardly matters."""
    alpha_s = card["screw_thermal_expansion"]
    return (sum((alpha_s - a) * L for L, _, a in _column(card)) + alpha_s * stack_height)
