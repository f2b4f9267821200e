"""Named values in protocol steps: ``{hold}`` and ``{holder.pressure}``.

A protocol step may name a value instead of writing it out, so that one case file describes a
family of experiments and a sweep varies a value that sits inside a step::

    [holder]
    pressure = "5 MPa"

    [protocol]
    values = { hold = "30 min" }
    steps = ["Press at 25 MPa for {hold}", "Release to {holder.pressure}", "Lock gap"]

    assb-fem sweep case.toml --vary protocol.values.hold='1 min,30 min,2 h' \
                             --vary holder.pressure='1 MPa,5 MPa,10 MPa'

A bare name (``{hold}``) is an entry of ``[protocol.values]``; a dotted name
(``{holder.pressure}``, ``{cell.layers[0].thickness}``) is the case key of that path, so the
release pressure and the holder's pressure cannot disagree. The value is put into the step as
written in the case (a quantity with its unit, or a number), before the step is parsed; the
steps' own checks then apply to it. ``{{`` and ``}}`` stand for literal braces.
"""

from __future__ import annotations

import re
from typing import Any

from fem.case.paths import split_path
from fem.errors import CaseError

#: ``{name}`` or ``{a.b[0].c}``: a placeholder inside a step.
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"^[A-Za-z_]\w*(?:\[\d+\])*(?:\.[A-Za-z_]\w*(?:\[\d+\])*)*$")


def _lookup(raw: dict[str, Any], path: str) -> Any:
    """The case value at ``a.b[0].c`` (KeyError when the path does not exist), the path read
    as ``--set`` reads it (:func:`fem.case.paths.split_path`)."""
    node: Any = raw
    for part in split_path(path):
        if isinstance(part, int) and isinstance(node, list) and part < len(node):
            node = node[part]
        elif isinstance(part, str) and isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(path)
    return node


def _value_text(raw: dict[str, Any], name: str, key: str, step: str) -> str:
    """The text a placeholder stands for, or a CaseError naming the step and what is allowed."""
    values = raw.get("protocol", {}).get("values", {})
    if not _NAME.match(name):
        raise CaseError(key, step, f"{{{name}}} is not a value name: write {{name}} for an entry "
                        "of [protocol.values] or {section.key} for a case key, e.g. "
                        "{holder.pressure}")
    bare = "." not in name and "[" not in name  # a [protocol.values] entry, not a case key
    try:
        value = values[name] if bare else _lookup(raw, name)
    except KeyError:
        known = ", ".join(f"{{{k}}}" for k in sorted(values)) or "none"
        where = "[protocol.values]" if bare else "the case"
        raise CaseError(key, step, f"{{{name}}} is not in {where} (protocol values: {known}; a "
                        "dotted name such as {holder.pressure} is a case key)") from None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        what = ("a table" if isinstance(value, dict) else "a list" if isinstance(value, list)
                else repr(value))
        raise CaseError(key, step, f"{{{name}}} is {what}: a step can use a quantity "
                        "(\"30 min\") or a number, not a table, list or true/false")
    return str(value)


def fill_step(raw: dict[str, Any], text: str, key: str) -> str:
    """``text`` with every ``{name}`` replaced by its value (``{{``/``}}``: literal braces)."""
    if not isinstance(text, str):
        return text
    escaped = text.replace("{{", "\0").replace("}}", "\1")
    filled = _PLACEHOLDER.sub(lambda m: _value_text(raw, m.group(1).strip(), key, text), escaped)
    if "{" in filled or "}" in filled:
        raise CaseError(key, text, "unmatched brace: a value is named as {name} (write {{ or }} "
                        "for a literal brace)")
    return filled.replace("\0", "{").replace("\1", "}")


def filled_protocol(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``[protocol]`` section with the placeholders of ``steps`` and ``cycle`` filled in."""
    section = dict(raw["protocol"])
    for part in ("steps", "cycle"):
        if isinstance(section.get(part), list):
            section[part] = [fill_step(raw, s, f"protocol.{part}[{i}]")
                             for i, s in enumerate(section[part])]
    return section
