"""The axes and points of a sweep: ``--vary key=v1,v2,...`` parsed into :class:`Axis` objects
(:func:`split_values` splits a value list on the commas that are not inside brackets or quotes;
:func:`si_values` places numeric values at their SI values) and the :class:`Point` of every
combination (:func:`expand`, the first key varies slowest)."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from fem.errors import CaseError

#: Longest slug of a run folder name (after the index).
SLUG_LENGTH = 60

_CLOSE = {"[": "]", "{": "}", "(": ")"}
_VARY_EXAMPLE = "e.g. --vary holder.pressure='1 MPa,3 MPa,5 MPa'"


@dataclass(frozen=True)
class Axis:
    """One ``--vary`` key and its values as given; ``si`` holds the values in SI when they are
    all numbers or quantities of one dimension (``dimension``), else it is None."""

    key: str
    values: tuple[str, ...]
    dimension: str | None = None
    si: tuple[float, ...] | None = None

    @property
    def numeric(self) -> bool:
        return self.si is not None

    @property
    def unit(self) -> str:
        """The SI unit of a numeric axis ('' when dimensionless or categorical)."""
        from fem.units import format_si

        if self.dimension is None:
            return ""
        text = format_si(1.0, self.dimension)
        return text.split(" ", 1)[1] if " " in text else ""


@dataclass(frozen=True)
class Point:
    """One combination: its 1-based index, the value of every axis (as given) and its folder
    name ``<index>-<slug>``."""

    index: int
    keys: tuple[str, ...]
    values: tuple[str, ...]
    name: str

    @property
    def overrides(self) -> list[str]:
        """The ``--set`` strings of this combination."""
        return [f"{k}={v}" for k, v in zip(self.keys, self.values, strict=True)]

    def label(self) -> str:
        return ", ".join(self.overrides)


def split_values(text: str) -> list[str]:
    """Split a ``--vary`` value list on the commas that are not inside brackets ([], {}, ())
    or quotes ('...' or "..."; a backslash escapes the next character in double quotes) and
    strip the blanks around each value. The values keep their brackets and quotes (they are
    read like ``--set`` values). Raises ValueError on an empty value or an unclosed bracket or
    quote."""
    values: list[str] = []
    buf: list[str] = []
    stack: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"' and i + 1 < len(text):
                buf.append(text[i:i + 2])
                i += 2
                continue
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in _CLOSE:
            stack.append(_CLOSE[ch])
        elif ch in _CLOSE.values():
            if not stack or stack.pop() != ch:
                raise ValueError(f"unbalanced {ch!r} at character {i + 1}")
        elif ch == "," and not stack:
            values.append("".join(buf).strip())
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    if quote:
        raise ValueError(f"unclosed quote {quote}")
    if stack:
        raise ValueError(f"unclosed bracket (missing {stack[-1]!r})")
    values.append("".join(buf).strip())
    if any(not v for v in values):
        raise ValueError("empty value in the list")
    return values


def parse_value(text: str) -> Any:
    """A value as ``--set`` reads it: a TOML literal if it is one, else the text."""
    from fem.case.loader import apply_overrides

    return apply_overrides({}, [f"v={text}"])["v"]


def _dimension_of(value: Any) -> str | None:
    """The named dimension (fem.units.DIMENSIONS) of a number or quantity string, else None."""
    from fem.units import DIMENSIONS, parse_quantity, registry

    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if not isinstance(value, str):
        return "dimensionless" if math.isfinite(value) else None
    try:
        dims = parse_quantity(value).dimensionality
    except Exception:  # noqa: BLE001 - not a quantity: a categorical value
        return None
    for name, text in DIMENSIONS.items():
        if (registry().get_dimensionality(text) if text else {}) == dims:
            return name
    return None


def si_values(key: str, values: list[str]) -> tuple[str | None, tuple[float, ...] | None]:
    """The dimension and SI values (via :func:`fem.units.to_si`) of values that are all
    numbers or quantities of one dimension; (None, None) for categorical values."""
    from fem.units import to_si

    parsed = [parse_value(v) for v in values]
    dims = {_dimension_of(p) for p in parsed}
    if len(dims) != 1 or None in dims:
        return None, None
    dim = dims.pop()
    try:
        return dim, tuple(to_si(p, dim, key) for p in parsed)
    except CaseError:
        return None, None


def parse_vary(items: list[str]) -> list[Axis]:
    """The axes of ``--vary key=v1,v2,...`` options (each key once)."""
    if not items:
        raise CaseError("--vary", "", f"give at least one key to vary, {_VARY_EXAMPLE}")
    axes: list[Axis] = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CaseError("--vary", item, f"expected key.path=v1,v2,..., {_VARY_EXAMPLE}")
        if any(a.key == key for a in axes):
            raise CaseError(f"--vary {key}", text, "the key is varied twice; give all its "
                            "values in one --vary")
        try:
            values = split_values(text)
        except ValueError as exc:
            raise CaseError(f"--vary {key}", text, f"{exc}; the values are split on the commas "
                            "that are not inside brackets or quotes") from None
        dup = sorted({v for v in values if values.count(v) > 1})
        if dup:
            raise CaseError(f"--vary {key}", text, f"value {dup[0]!r} is given twice")
        axes.append(Axis(key, tuple(values), *si_values(key, values)))
    return axes


def _slug_part(key: str, value: str) -> str:
    short = re.sub(r"\[(\d+)\]", r"\1", key.split(".")[-1])
    val = re.sub(r"[^A-Za-z0-9.+-]+", "_", value.replace(" ", "").strip("'\"")).strip("_.")
    return f"{short}-{val or 'x'}"


def slug(keys: tuple[str, ...], values: tuple[str, ...], limit: int = SLUG_LENGTH) -> str:
    """A short, file-name-safe text for a combination: ``pressure-1MPa_type-spring``."""
    text = "_".join(_slug_part(k, v) for k, v in zip(keys, values, strict=True))
    return text[:limit].rstrip("_.-") or "run"


def expand(axes: list[Axis]) -> list[Point]:
    """Every combination of the axes' values (the first axis varies slowest)."""
    keys = tuple(a.key for a in axes)
    combos = list(itertools.product(*(a.values for a in axes)))
    width = max(3, len(str(len(combos))))
    return [Point(i, keys, vals, f"{i:0{width}d}-{slug(keys, vals)}")
            for i, vals in enumerate(combos, start=1)]
