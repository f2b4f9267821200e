"""A validated case dict -> :class:`fem.case.model.Case`: each section resolved to SI
(:mod:`~fem.case.cell`, :mod:`~fem.case.patch`, :mod:`~fem.case.sections`), then the rules that
tie them together (:mod:`~fem.case.checks`)."""

from __future__ import annotations

from typing import Any

from fem.case.cell import resolve_cell
from fem.case.checks import check_card_values, check_electrochemistry, check_friction_and_anode
from fem.case.model import Case
from fem.case.patch import resolve_patch
from fem.case.protocol_checks import check_protocol
from fem.case.protocol_values import filled_protocol
from fem.case.sections import (
    platen_friction,
    resolve_holder,
    resolve_interface,
    resolve_mechanics,
    resolve_mesh,
    resolve_output,
    resolve_solver,
)
from fem.protocol.parser import parse_protocol
from fem.units import to_si


def resolve(raw: dict[str, Any], digest: str, source: str) -> Case:
    """Resolve a schema-valid case dict into a :class:`Case` (raises CaseError)."""
    cell, materials = resolve_cell(raw, raw.get("materials", {}))
    patch = resolve_patch(raw, cell, source)
    mesh = resolve_mesh(raw, cell, patch)
    holder = resolve_holder(raw, cell.height)
    protocol = parse_protocol(filled_protocol(raw))
    temperature = to_si(raw.get("conditions", {}).get("temperature", "25 degC"), "temperature",
                        "conditions.temperature")
    echem = raw.get("electrochemistry", {})
    case = Case(
        name=raw["name"],
        description=raw.get("description", ""),
        cell=cell,
        materials=materials,
        mesh=mesh,
        holder=holder,
        platen_contact=raw.get("platens", {}).get("contact", "bonded"),
        mechanics=resolve_mechanics(raw),
        temperature=temperature,
        protocol=protocol,
        solver=resolve_solver(raw),
        output=resolve_output(raw),
        raw=raw,
        digest=digest,
        source=source,
        patch=patch,
        electrochemistry=echem.get("enabled", False),
        separator_leakage=echem.get("separator_leakage", False),
        particle_diffusion=echem.get("particle_diffusion", False),
        interface=resolve_interface(raw, cell),
        platen_friction=platen_friction(raw),
    )
    check_friction_and_anode(case)
    check_electrochemistry(case)
    check_card_values(case)
    check_protocol(case)
    return case
