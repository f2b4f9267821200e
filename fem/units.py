"""Units at the edge: every physical value in a case file is a string with units.

Strings such as ``"600 um"``, ``"5 MPa"``, ``"25.5 mg/cm^2"``, ``"40 degC"``,
``"0.5 mA/cm^2"`` or ``"30 min"`` are converted once, on input, to SI base units
(m, kg, s, A, K) with pint. Everything inside assb-fem is SI.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

import pint

from fem.errors import CaseError, CaseWarning, quoted

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
    "fracture_toughness": "[mass] / [length] ** 0.5 / [time] ** 2",  # Pa m^0.5
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
    "fracture_toughness": '"0.23 MPa*m^0.5"',
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
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range
            number = math.inf
        if not math.isfinite(number):
            raise CaseError(key, value, allowed + "; the value must be finite")
        return number
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
        "diffusivity": "m^2/s",
        "thermal_expansion": "1/K",
        "compliance": "m/N",
        "dimensionless": "",
    }[dimension]
    return f"{value:.10g} {unit}".strip()


# ---------------------------------------------------------------------------- ranges
@dataclass(frozen=True)
class Range:
    """The physical sense of one parameter, in SI: a hard range (outside it the input is a
    :class:`~fem.errors.CaseError`: impossible, or meaningless for the model) and a plausible
    range inside it (outside it a :class:`~fem.errors.CaseWarning`: legal but dubious).

    ``why`` is the source of the plausible range (a key of docs/references.md or a physical
    argument), ``hard_why`` the reason for the hard bounds; ``unit`` and ``scale`` (SI per
    unit) say how the bounds are shown. ``lo_open`` / ``hi_open`` exclude a hard bound."""

    lo: float
    hi: float
    plausible: tuple[float, float]
    why: str
    hard_why: str = ""
    unit: str = ""
    scale: float = 1.0
    lo_open: bool = False
    hi_open: bool = False

    def __post_init__(self) -> None:
        p_lo, p_hi = self.plausible
        if not (self.lo <= p_lo <= p_hi <= self.hi):
            raise ValueError(f"plausible range {self.plausible} outside the hard range "
                             f"[{self.lo}, {self.hi}]")

    def show(self, value: float) -> str:
        """``value`` (SI) in the range's unit: ``5 MPa``, ``10000 um``, ``1e-300 MPa``."""
        x = value / self.scale
        text = f"{x:.6g}" if x == 0 or 1e-4 <= abs(x) < 1e7 else f"{x:.3g}"
        return f"{text} {self.unit}".strip()

    def hard_text(self) -> str:
        """The hard range as an interval: ``(0 MPa, 2000 MPa]``."""
        return (f"{'(' if self.lo_open else '['}{self.show(self.lo)}, {self.show(self.hi)}"
                f"{')' if self.hi_open else ']'}")

    def plausible_text(self) -> str:
        return f"[{self.show(self.plausible[0])}, {self.show(self.plausible[1])}]"

    def schema(self) -> dict[str, float]:
        """The hard bounds as JSON-schema keywords (SI)."""
        return {"exclusiveMinimum" if self.lo_open else "minimum": self.lo,
                "exclusiveMaximum" if self.hi_open else "maximum": self.hi}

    def violation(self, value: float) -> str | None:
        """What is wrong with ``value`` (SI) against the hard range, or None."""
        ok_lo = value > self.lo if self.lo_open else value >= self.lo
        ok_hi = value < self.hi if self.hi_open else value <= self.hi
        if ok_lo and ok_hi:
            return None
        why = f": {self.hard_why}" if self.hard_why else ""
        return f"must be in {self.hard_text()}{why}"

    def implausibility(self, value: float) -> str | None:
        """Why ``value`` (SI) is dubious, or None when it lies in the plausible range."""
        lo, hi = self.plausible
        if lo <= value <= hi:
            return None
        side = "below" if value < lo else "above"
        return (f"{self.show(value)} is {side} the plausible range {self.plausible_text()} "
                f"({self.why})")

    def check(self, value: float, key: str, given: object = None) -> float:
        """``value`` (SI) if inside the hard range (a CaseWarning when implausible), else a
        CaseError naming ``key`` and the value as ``given``."""
        problem = self.violation(value)
        if problem is not None:
            raise CaseError(key, value if given is None else given, problem)
        self.warn(value, key, given)
        return value

    def warn(self, value: float, key: str, given: object = None) -> None:
        """A CaseWarning when ``value`` (SI) is outside the plausible range."""
        note = self.implausibility(value)
        if note is not None:
            shown = value if given is None else given
            warnings.warn(f"{key} = {quoted(shown)}: {note}", CaseWarning, stacklevel=3)
