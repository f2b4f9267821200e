"""Validation of a sweep before anything runs: the case of every combination is loaded and
resolved, and all invalid ones are reported in one :class:`~fem.errors.CaseError` that names the
varied value to blame where it can (exit 2, nothing written)."""

from __future__ import annotations

from pathlib import Path

from fem.errors import CaseError
from fem.study.axes import Axis, Point, parse_value


def _attribute(exc: CaseError, point: Point, axes: list[Axis]) -> tuple[str, str] | None:
    """The (key, value) of the varied value that ``exc`` names, if it names one."""
    for axis, given in zip(axes, point.values, strict=True):
        if exc.key.strip() == axis.key and (exc.value == parse_value(given)
                                            or str(exc.value).strip() == given):
            return axis.key, given
    return None


def _shared_value(indices: list[int], invalid: set[int], points: list[Point],
                  axes: list[Axis]) -> tuple[str, str] | None:
    """A varied value that all these combinations have and whose every combination is
    invalid: the value to blame for a problem that names another key."""
    chosen = [p for p in points if p.index in indices]
    for j, axis in enumerate(axes):
        vals = {p.values[j] for p in chosen}
        if len(vals) == 1 and len(axis.values) > 1:
            v = vals.pop()
            if all(p.index in invalid for p in points if p.values[j] == v):
                return axis.key, v
    return None


def _which(indices: list[int], total: int) -> str:
    word = "combination" if len(indices) == 1 else "combinations"
    return f"{word} {', '.join(map(str, indices))} of {total}"


def validate(case_path: Path, base: list[str], axes: list[Axis], points: list[Point]) -> list:
    """Load and resolve the case of every combination (the ``--set`` overrides ``base`` first,
    then the combination's). Returns the cases; raises ONE CaseError listing every invalid
    combination: ``--vary KEY = VALUE: what is allowed (combinations ...)``."""
    from fem.case import load_case
    from fem.cellstack.settings import check_settings

    cases, problems, first = [], {}, {}
    for p in points:
        try:
            case = load_case(case_path, [*base, *p.overrides])
            check_settings(case)  # what `run` checks before any mesh
            if case.patch is not None:
                raise CaseError("patch", case.name, "interface-patch cases cannot be run yet "
                                "(micro-scale contact model missing)")
            cases.append(case)
        except CaseError as exc:
            what = (exc.key, repr(exc.value), exc.allowed)
            problems.setdefault(what, []).append(p.index)
            first.setdefault(what, (exc, p))
    if not problems:
        return cases
    if len(problems) == 1 and len(next(iter(problems.values()))) == len(points):
        exc, p = next(iter(first.values()))
        if _attribute(exc, p, axes) is None:  # the case itself or --set: as `run` says it
            raise exc
    invalid = {i for ids in problems.values() for i in ids}
    parts = []
    for what, ids in problems.items():
        exc, p = first[what]
        named = _attribute(exc, p, axes)
        if named:
            parts.append((named[0], named[1], f"{exc.allowed} ({_which(ids, len(points))})"))
            continue
        detail = f"{exc.key} = {exc.value!r}: {exc.allowed}"
        shared = _shared_value(ids, invalid, points, axes)
        if shared:
            parts.append((*shared, f"with it {detail} ({_which(ids, len(points))})"))
        else:
            combo = "; ".join(f"{q.index} ({q.label()})" for q in points if q.index in ids)
            parts.append(("combination", combo, f"invalid combination: {detail}"))
    parts.sort(key=lambda part: " with it " in f" {part[2]}")  # values named outright first
    key, value, allowed = parts[0]
    rest = "".join(f"; also --vary {k} = {v!r}: {a}" for k, v, a in parts[1:])
    raise CaseError(f"--vary {key}", value, f"{allowed}{rest}; {len(invalid)} of {len(points)} "
                    "combinations invalid, nothing was run")
