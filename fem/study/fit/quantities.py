"""Numbers with units in a fit specification and its data files: read once (:func:`read_quantity`),
converted between the spec's units and SI (:func:`convert`), and the units that column names
carry (:func:`column_unit`: ``time [h]``, ``pressure (MPa)``, ``stack_pressure_MPa``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fem.errors import CaseError

#: Unit suffixes of column names (``stack_pressure_MPa``, ``time_h``), longest first so that
#: ``current_density_mA_cm2`` reads as mA/cm^2. A history column without one is dimensionless.
SUFFIX_UNITS: dict[str, str] = {
    "mAh_cm2": "mAh/cm^2", "mA_cm2": "mA/cm^2", "ohm_cm2": "ohm*cm^2", "A_m2": "A/m^2",
    "degC": "degC", "min": "min", "MPa": "MPa", "GPa": "GPa", "kPa": "kPa", "bar": "bar",
    "mm": "mm", "um": "um", "nm": "nm", "mV": "mV", "kN": "kN", "Pa": "Pa", "s": "s",
    "h": "h", "d": "day", "K": "K", "N": "N", "m": "m", "V": "V",
}
_BRACKETED = re.compile(r"^(?P<name>.*?)\s*[\[(](?P<unit>[^\[\]()]+)[\])]\s*$")


@dataclass(frozen=True)
class Quantity:
    """A value as the spec gives it: ``si`` (SI float), ``unit`` (the spec's unit text, '' for a
    plain number) and ``dims`` (pint's dimensionality, '' when dimensionless)."""

    si: float
    unit: str
    dims: str

    def in_unit(self, si: float) -> float:
        """An SI value of this dimension in the spec's unit."""
        return from_si(si, self.unit)

    def text(self, si: float, digits: int = 6) -> str:
        """An SI value of this dimension as the spec would write it: ``'1.6e+08 N/m'``."""
        v = self.in_unit(si)
        return f"{v:.{digits}g} {self.unit}" if self.unit else f"{v:.{digits}g}"

    def override(self, si: float) -> str:
        """The ``--set`` value of an SI value: exact (repr) in the spec's unit."""
        return f"{self.in_unit(si)!r} {self.unit}" if self.unit else repr(float(si))


def _si_of(q) -> float:
    import pint

    try:
        return float(q.to_base_units().magnitude)
    except pint.errors.OffsetUnitCalculusError:  # degC
        return float(q.to("kelvin").magnitude)


def to_si(value: float, unit: str) -> float:
    """``value`` in ``unit`` ('' for a plain number) -> SI."""
    from fem.units import parse_quantity

    return float(value) if not unit else _si_of(parse_quantity(f"{float(value)!r} {unit}"))


def from_si(si: float, unit: str) -> float:
    """An SI value -> ``unit`` ('' for a plain number)."""
    import pint

    from fem.units import parse_quantity

    if not unit:
        return float(si)
    one = parse_quantity(f"1 {unit}")
    try:
        base = one.to_base_units().units
    except pint.errors.OffsetUnitCalculusError:  # degC
        base = one.to("kelvin").units
    return float(one._REGISTRY.Quantity(si, base).to(one.units).magnitude)


_LEADING_NUMBER = re.compile(r"^\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def read_quantity(value: object, key: str, example: str = "'3e8 N/m'") -> Quantity:
    """A number (dimensionless) or a text ``"<number> <unit>"`` -> :class:`Quantity`; anything
    else is a CaseError naming ``key``."""
    from fem.units import parse_quantity

    allowed = f"expected a number with units, e.g. {example}, or a plain number"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CaseError(key, value, allowed)
    if not isinstance(value, str):
        if not math.isfinite(value):
            raise CaseError(key, value, "must be finite")
        return Quantity(float(value), "", "")
    try:
        q = parse_quantity(value)
        si = _si_of(q)
        dims = str(q.dimensionality)
    except Exception as exc:  # noqa: BLE001 - pint raises many kinds on a garbage unit
        raise CaseError(key, value, f"{allowed}; could not read it ({' '.join(str(exc).split())})"
                        ) from None
    if not math.isfinite(si):
        raise CaseError(key, value, "must be finite")
    unit = value[_LEADING_NUMBER.match(value).end():].strip()
    return Quantity(si, "" if unit in ("", "-") else unit, "" if dims == "dimensionless" else dims)


def unit_dims(unit: str, key: str) -> str:
    """The dimensionality of a unit text ('' when dimensionless); CaseError when unreadable."""
    if unit in ("", "-", "1"):
        return ""
    return read_quantity(f"1 {unit}", key, example="'MPa'").dims


def column_unit(header: str) -> tuple[str, str]:
    """(name, unit) of a column header: ``"time [h]"`` and ``"time (h)"`` -> ('time', 'h'),
    ``"stack_pressure_MPa"`` -> ('stack_pressure_MPa', 'MPa'); ('name', '') without a unit."""
    m = _BRACKETED.match(header)
    if m and m.group("name"):
        return m.group("name").strip(), m.group("unit").strip()
    for suffix in sorted(SUFFIX_UNITS, key=len, reverse=True):
        if header.endswith("_" + suffix) and len(header) > len(suffix) + 1:
            return header, SUFFIX_UNITS[suffix]
    return header, ""
