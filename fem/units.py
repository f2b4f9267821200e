"""Units at the edge: every physical value in a case file is a string with units.

Strings such as ``"600 um"``, ``"5 MPa"``, ``"25.5 mg/cm^2"``, ``"40 degC"``,
``"0.5 mA/cm^2"`` or ``"30 min"`` are converted once, on input, to SI base units
(m, kg, s, A, K) with pint. Everything inside assb-fem is SI.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pint

from fem.errors import CaseError

# Named dimensions the case schema refers to, as pint dimensionality strings.
DIMENSIONS: dict[str, str] = {
    "length": "[length]",
    "pressure": "[mass] / [length] / [time] ** 2",
    "time": "[time]",
    "temperature": "[temperature]",
    "mass": "[mass]",
    "areal_mass": "[mass] / [length] ** 2",
    "density": "[mass] / [length] ** 3",
    "current_density": "[current] / [length] ** 2",
    "areal_capacity": "[current] * [time] / [length] ** 2",
    "specific_capacity": "[current] * [time] / [mass]",
    "voltage": "[mass] * [length] ** 2 / [current] / [time] ** 3",
    "stiffness": "[mass] / [time] ** 2",  # N/m
    "areal_stiffness": "[mass] / [length] ** 2 / [time] ** 2",  # Pa/m (MPa/um)
    "force": "[mass] * [length] / [time] ** 2",
    "conductivity": "[current] ** 2 * [time] ** 3 / [mass] / [length] ** 3",
    "energy_per_mol": "[mass] * [length] ** 2 / [time] ** 2 / [substance]",
    "molar_volume": "[length] ** 3 / [substance]",
    "molar_mass": "[mass] / [substance]",
    "strain_rate": "1 / [time]",
    "area": "[length] ** 2",
    "diffusivity": "[length] ** 2 / [time]",
    "thermal_expansion": "1 / [temperature]",
    "compliance": "[time] ** 2 / [mass]",  # m/N
    "dimensionless": "",
}

EXAMPLES: dict[str, str] = {
    "length": '"600 um"',
    "pressure": '"5 MPa"',
    "time": '"30 min"',
    "temperature": '"40 degC"',
    "mass": '"75 mg"',
    "areal_mass": '"25.5 mg/cm^2"',
    "density": '"1.64 g/cm^3"',
    "current_density": '"0.5 mA/cm^2"',
    "areal_capacity": '"4 mAh/cm^2"',
    "specific_capacity": '"200 mAh/g"',
    "voltage": '"4.3 V"',
    "stiffness": '"1.6e8 N/m" or "5.5 lbf/mm"',
    "areal_stiffness": '"2 MPa/um"',
    "force": '"392.5 N"',
    "conductivity": '"2.2 mS/cm"',
    "energy_per_mol": '"37 kJ/mol"',
    "molar_volume": '"13 cm^3/mol"',
    "molar_mass": '"28.0855 g/mol"',
    "strain_rate": '"7.73e-3 1/s"',
    "area": '"0.785 cm^2"',
    "diffusivity": '"1e-14 m^2/s"',
    "thermal_expansion": '"46e-6 1/K"',
    "compliance": '"7.5e-8 m/N"',
    "dimensionless": '"0.38"',
}

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")

#: A unit exponent: a unit name to a small number, ``cm**2``, ``s**-1``, ``m**(0.5)``. Any other
#: ``**`` (``m**2**2**2``, ``((2**99)**99)**99``, ``m**(1/0)``) is refused before pint evaluates
#: it: pint computes with Python integers, and a power tower never finishes.
_EXPONENT = re.compile(r"[A-Za-z_]\s*\*\*\s*(?:[-+]?\d{1,2}(?:\.\d+)?|\(\s*[-+]?\d{1,2}(?:\.\d+)?\s*\))"
                       r"(?![\d.]|\s*\*\*)")
_MAX_UNIT_LENGTH = 64


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """The unit registry, with battery units added (mAh, Ah)."""
    ureg = pint.UnitRegistry()
    for name, definition in (("Ah", "Ah = ampere * hour"), ("mAh", "mAh = milliampere * hour")):
        try:
            ureg.parse_units(name)
        except pint.errors.UndefinedUnitError:
            ureg.define(definition)
    return ureg


def parse_quantity(text: str) -> pint.Quantity:
    """Parse ``"<number> <unit>"`` into a pint quantity (offset units such as degC allowed)."""
    ureg = registry()
    m = _NUMBER.match(text)
    if m is None:
        raise ValueError(f"not a number followed by a unit: {text!r}")
    number, unit = float(m.group(1)), m.group(2)
    unit = unit.replace("^", "**").replace("µ", "u").replace("μ", "u")
    if len(unit) > _MAX_UNIT_LENGTH:
        raise ValueError(f"the unit is longer than {_MAX_UNIT_LENGTH} characters")
    if unit.count("**") != len(_EXPONENT.findall(unit)):
        raise ValueError("a unit exponent must be a small number, e.g. cm^2 or s^-1")
    if unit in ("", "-"):
        return ureg.Quantity(number, "dimensionless")
    return ureg.Quantity(number, ureg.parse_units(unit))


def to_si(value: object, dimension: str, key: str) -> float:
    """Convert a case value with units to an SI float, or raise a :class:`CaseError`.

    ``value`` must be a string ``"<number> <unit>"`` whose unit has the named ``dimension``
    (see :data:`DIMENSIONS`). A bare number is accepted only for ``dimensionless``.
    """
    allowed = f"expected a {dimension.replace('_', ' ')} with units, e.g. {EXAMPLES[dimension]}"
    if isinstance(value, bool):
        raise CaseError(key, value, allowed)
    if isinstance(value, int | float):
        if dimension != "dimensionless":
            raise CaseError(key, value, allowed + " (a bare number has no units)")
        if not math.isfinite(value):
            raise CaseError(key, value, allowed + "; the value must be finite")
        return float(value)
    if not isinstance(value, str):
        raise CaseError(key, value, allowed)
    ureg = registry()
    want = ureg.get_dimensionality(DIMENSIONS[dimension]) if DIMENSIONS[dimension] else {}
    try:
        # pint evaluates the unit with Python's tokenizer: besides its own errors it raises
        # TokenError, ZeroDivisionError, AssertionError, KeyError, ... on garbage units
        q = parse_quantity(value)
        dimensionality = q.dimensionality
        if dimensionality == want:
            try:
                si = float(q.to_base_units().magnitude)
            except pint.errors.OffsetUnitCalculusError:  # pragma: no cover - degC is handled
                si = float(q.to("kelvin").magnitude)
    except Exception as exc:  # noqa: BLE001 - any failure to read a unit is a case error
        msg = " ".join(str(exc).split()) or type(exc).__name__
        raise CaseError(key, value, f"{allowed}; could not read it ({msg})") from None
    if dimensionality != want:
        got = str(dimensionality) or "dimensionless"
        raise CaseError(key, value, f"{allowed}; '{value}' has dimension {got}")
    if not math.isfinite(si):
        raise CaseError(key, value, f"{allowed}; the value in SI ({si}) must be finite")
    return si


def format_si(value: float, dimension: str) -> str:
    """Format an SI float back into a unit string (used for the resolved case)."""
    unit = {
        "length": "m",
        "pressure": "Pa",
        "time": "s",
        "temperature": "K",
        "mass": "kg",
        "areal_mass": "kg/m^2",
        "density": "kg/m^3",
        "current_density": "A/m^2",
        "areal_capacity": "C/m^2",
        "specific_capacity": "C/kg",
        "voltage": "V",
        "stiffness": "N/m",
        "areal_stiffness": "Pa/m",
        "force": "N",
        "conductivity": "S/m",
        "energy_per_mol": "J/mol",
        "molar_volume": "m^3/mol",
        "molar_mass": "kg/mol",
        "strain_rate": "1/s",
        "area": "m^2",
        "dimensionless": "",
    }[dimension]
    return f"{value:.10g} {unit}".strip()
