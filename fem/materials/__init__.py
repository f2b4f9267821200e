"""Bundled material cards (``cards/*.toml``): every parameter has a value with units and a source.

A case may override any parameter (``[materials.li] youngs_modulus = "8 GPa"``); the source of an
overridden value becomes ``"case override"``. Values are converted to SI once, here.

Besides numbers a card may name a choice (``[choices.ocv_table] value = "ncm811"``, with its
source): a named model or table of the material that the physics packages look up (and check).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from fem.errors import CaseError
from fem.materials.parameters import CLASSES, PARAMETERS, RANGES
from fem.units import to_si

__all__ = ["CARD_DIR", "CHOICES", "CLASSES", "PARAMETERS", "RANGES", "Material", "bundled_names",
           "check_choice", "check_parameter", "load_material"]

CARD_DIR = Path(__file__).with_name("cards")

#: The named (non-numeric) entries a card or case may set, and what they name.
CHOICES: dict[str, str] = {
    "ocv_table": "the open-circuit potential table of the active material "
                 "(fem.electrochemistry.ocv.TABLES)",
}


@dataclass
class Material:
    """A material card resolved to SI: ``values[name]`` in SI, ``sources[name]`` a citation."""

    name: str
    description: str
    model: str
    values: dict[str, float] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    #: tables ``name -> (x, y, source)``, e.g. the cathode's volume change against state of charge
    tables: dict[str, tuple[list[float], list[float], str]] = field(default_factory=dict)
    #: named entries ``name -> (value, source)`` (:data:`CHOICES`), e.g. the OCV table
    choices: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the material class (:data:`CLASSES`): which layer roles may use the card
    material_class: str = ""

    def table(self, name: str, x: float) -> float:
        """Piecewise-linear interpolation in a card table (clamped at the ends)."""
        import numpy as np

        xs, ys, _ = self.tables[name]
        return float(np.interp(x, xs, ys))

    def __getitem__(self, key: str) -> float:
        try:
            return self.values[key]
        except KeyError:
            raise CaseError(
                f"materials.{self.name}.{key}", None,
                f"material '{self.name}' has no parameter '{key}'; add it in the case's "
                f"[materials.{self.name}] table",
            ) from None

    @property
    def lame(self) -> tuple[float, float]:
        """Lamé parameters (mu, lambda) from E and nu: mu = E/(2(1+nu)), lambda = E nu/((1+nu)(1-2nu))."""
        E, nu = self["youngs_modulus"], self["poissons_ratio"]
        return E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))


def bundled_names() -> list[str]:
    """Names of the bundled material cards."""
    return sorted(p.stem for p in CARD_DIR.glob("*.toml"))


def check_parameter(material: str, key: str, value: object) -> float:
    """Convert one parameter to SI and check it against its hard range (a :class:`CaseError`
    outside) and its plausible range (a CaseWarning outside) of :data:`RANGES`."""
    path = f"materials.{material}.{key}"
    if key not in PARAMETERS:
        raise CaseError(path, value, "unknown material parameter; allowed: "
                        f"{', '.join([*PARAMETERS, *CHOICES])}")
    return RANGES[key].check(to_si(value, PARAMETERS[key], path), path, value)


def check_choice(material: str, key: str, value: object) -> str:
    """A named entry of a card (:data:`CHOICES`): a known key with a non-empty string value
    (what it may name is checked by the package that looks it up)."""
    path = f"materials.{material}.{key}"
    if key not in CHOICES:
        raise CaseError(path, value, f"unknown named entry; allowed: {', '.join(CHOICES)}")
    if not isinstance(value, str) or not value.strip():
        raise CaseError(path, value, f"must be a name: {CHOICES[key]}")
    return value.strip()


def load_material(name: str, overrides: dict | None = None) -> Material:
    """Load a bundled card and apply case overrides (``{param: "value with units"}``)."""
    # a name, not a path: "../../pyproject" or "li\x00" must not reach the file system
    if not isinstance(name, str) or name not in bundled_names():
        raise CaseError("material", name, f"unknown material; bundled: {', '.join(bundled_names())}")
    path = CARD_DIR / f"{name}.toml"
    with path.open("rb") as f:
        card = tomllib.load(f)
    mat = Material(name=card["name"], description=card["description"], model=card["model"],
                   material_class=card["class"])
    if mat.material_class not in CLASSES:  # a bundled card: a developer's error
        raise ValueError(f"card {name}: class {mat.material_class!r} is not one of {list(CLASSES)}")
    for key, entry in card["parameters"].items():
        mat.values[key] = check_parameter(name, key, entry["value"])
        mat.sources[key] = entry["source"]
    for tname, t in card.get("tables", {}).items():
        xs, ys = [float(v) for v in t["x"]], [float(v) for v in t["y"]]
        if len(xs) != len(ys) or len(xs) < 2 or any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            raise CaseError(f"materials.{name}.tables.{tname}", t, "x must increase, len(x) = len(y) >= 2")
        mat.tables[tname] = (xs, ys, t["source"])
    for key, entry in card.get("choices", {}).items():
        mat.choices[key] = (check_choice(name, key, entry["value"]), entry["source"])
    for key, value in (overrides or {}).items():
        if key in CHOICES:
            mat.choices[key] = (check_choice(name, key, value), "case override")
            continue
        mat.values[key] = check_parameter(name, key, value)
        mat.sources[key] = "case override"
    return mat
