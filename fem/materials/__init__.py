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
from fem.units import to_si

CARD_DIR = Path(__file__).with_name("cards")

#: The dimension of every material parameter assb-fem knows.
PARAMETERS: dict[str, str] = {
    "youngs_modulus": "pressure",
    "poissons_ratio": "dimensionless",
    "density": "density",
    "relative_density": "dimensionless",
    "molar_volume": "molar_volume",
    "creep_exponent": "dimensionless",
    "creep_reference_rate": "strain_rate",
    "creep_reference_stress": "pressure",
    "creep_reference_temperature": "temperature",
    "creep_activation_energy": "energy_per_mol",
    "anand_rate_prefactor": "strain_rate",
    "anand_rate_sensitivity": "dimensionless",
    "anand_initial_resistance": "pressure",
    "anand_hardening_modulus": "pressure",
    "anand_saturation_coefficient": "pressure",
    "anand_saturation_exponent": "dimensionless",
    "anand_hardening_exponent": "dimensionless",
    "ionic_conductivity": "conductivity",
    "ionic_activation_energy": "energy_per_mol",
    "electronic_conductivity": "conductivity",
    "active_mass_fraction": "dimensionless",
    "specific_capacity": "specific_capacity",
    "first_cycle_efficiency": "dimensionless",
    "volume_change_full_charge": "dimensionless",
    "li_partial_molar_volume": "molar_volume",
    "active_volume_fraction": "dimensionless",
    "initial_lithiation": "dimensionless",
    "molar_mass": "molar_mass",
    "solid_diffusivity": "diffusivity",
    "particle_radius": "length",
    "exchange_current_density": "current_density",
    "thermal_expansion": "thermal_expansion",
    "findley_coefficient": "dimensionless",
    "findley_time": "time",
    "findley_exponent": "dimensionless",
    # compaction of a pressed powder (fem.mechanics.compaction_law)
    "heckel_yield_pressure": "pressure",
    "heckel_intercept": "dimensionless",
    "pressing_pressure": "pressure",
    "unloading_modulus": "pressure",
    "hertz_exponent": "dimensionless",
    "critical_state_slope": "dimensionless",
    "porous_poissons_ratio": "dimensionless",
}

#: The named (non-numeric) entries a card or case may set, and what they name.
CHOICES: dict[str, str] = {
    "ocv_table": "the open-circuit potential table of the active material "
                 "(fem.electrochemistry.ocv.TABLES)",
}

#: Parameters that must be strictly positive / within [0, 1] / within (-1, 0.5).
_POSITIVE = {
    "findley_time", "findley_exponent",
    "youngs_modulus", "density", "molar_volume", "creep_exponent", "creep_reference_rate",
    "creep_reference_stress", "creep_reference_temperature", "anand_rate_prefactor",
    "anand_rate_sensitivity", "anand_initial_resistance", "anand_saturation_coefficient",
    "ionic_conductivity", "specific_capacity", "li_partial_molar_volume", "solid_diffusivity",
    "particle_radius", "exchange_current_density", "heckel_yield_pressure", "pressing_pressure",
    "unloading_modulus", "critical_state_slope",
}
_FRACTION = {"relative_density", "active_mass_fraction", "first_cycle_efficiency",
             "active_volume_fraction"}


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
    """Convert one parameter to SI and check its range; raise :class:`CaseError` if invalid."""
    path = f"materials.{material}.{key}"
    if key not in PARAMETERS:
        raise CaseError(path, value, "unknown material parameter; allowed: "
                        f"{', '.join([*PARAMETERS, *CHOICES])}")
    v = to_si(value, PARAMETERS[key], path)
    if key in _POSITIVE and not v > 0:
        raise CaseError(path, value, "must be > 0")
    if key in _FRACTION and not 0 < v <= 1:
        raise CaseError(path, value, "must be in (0, 1]")
    if key in ("poissons_ratio", "porous_poissons_ratio") and not -1 < v < 0.5:
        raise CaseError(path, value, "must be in (-1, 0.5)")
    if key == "hertz_exponent" and not 0 <= v < 1:
        raise CaseError(path, value, "must be in [0, 1) (1/3: Hertz contacts, 0: linear)")
    if key == "heckel_intercept" and not v >= 0:
        raise CaseError(path, value, "must be >= 0 (the loose density is 1 - exp(-A))")
    return v


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
    mat = Material(name=card["name"], description=card["description"], model=card["model"])
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
