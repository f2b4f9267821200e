"""The settings sections of a case (mesh, holder, platens, mechanics, solver, output,
interface), each resolved to SI with its own rules."""

from __future__ import annotations

import math
from typing import Any

from fem.case.model import (
    Cell,
    HolderSettings,
    InterfaceSettings,
    MechanicsSettings,
    MeshSettings,
    OutputSettings,
    PatchSettings,
    SolverSettings,
)
from fem.case.patch import patch_sizes
from fem.case.ranges import RANGES
from fem.case.schema import SCHEMA
from fem.errors import CaseError
from fem.materials.holder_cards import HolderCard, frame_compliance, load_holder_card
from fem.units import to_si


def resolve_mesh(raw: dict, cell: Cell, patch: PatchSettings | None) -> MeshSettings:
    """``[mesh]``; the element sizes default to the thinnest layer / 4 and the radius / 10 (a
    patch: its roughness and pores, :func:`fem.case.patch.patch_sizes`)."""
    m = raw.get("mesh", {})
    thinnest = min(layer.thickness for layer in cell.layers)
    h_min, h_max = patch_sizes(patch) if patch else (thinnest / 4, cell.radius / 10)
    mesh = MeshSettings(
        dimension=m.get("dimension", "axisymmetric"),
        size_min=to_si(m["size_min"], "length", "mesh.size_min") if "size_min" in m
        else h_min,
        size_max=to_si(m["size_max"], "length", "mesh.size_max") if "size_max" in m
        else h_max,
        element_degree=int(m.get("element_degree", 2)),  # the schema's enum lets 2.0 through
        sector_angle=float(m.get("sector_angle", 90.0)),
        geometry_order=int(m.get("geometry_order", 1)),
        grading=float(m.get("grading", 0.3)),
        li_cells=int(m.get("li_cells", 4)),
        refine=int(m.get("refine", 0)),
    )
    if mesh.refine and (patch is not None or mesh.geometry_order != 1):
        raise CaseError("mesh.refine", m["refine"], "only for a cell stack with straight-sided "
                        "elements (mesh.geometry_order = 1); 0 here")
    if mesh.size_min > mesh.size_max:
        if "size_min" in m or "size_max" in m or patch is not None:
            raise CaseError("mesh.size_min", m.get("size_min"), "must be <= mesh.size_max")
        # the defaults: the thinnest layer / 4 against the radius / 10
        raise CaseError("cell.radius", raw["cell"]["radius"],
                        f"too small for the layers: the default element sizes (thinnest layer "
                        f"/ 4 = {h_min:.3g} m, radius / 10 = {h_max:.3g} m) do not fit; a "
                        "wider cell, or set mesh.size_min and mesh.size_max")
    if patch is not None and patch.width / mesh.size_min > 2e3:
        raise CaseError("mesh.size_min", m.get("size_min"),
                        "too small for the patch (more than 2e3 elements across)")
    if patch is None and (cell.radius / mesh.size_min > 5e4 or cell.height / mesh.size_min > 5e4):
        raise CaseError("mesh.size_min", m.get("size_min"),
                        "too small for the cell (more than 5e4 elements across)")
    return mesh


def _holder_card(h: dict, stack_height: float) -> tuple[HolderCard | None, float | None]:
    """The case's holder card and its frame's elastic stiffness (N/m), or (None, None)."""
    if "card" not in h:
        if "card_values" in h:
            raise CaseError("holder.card_values", h["card_values"], "needs holder.card")
        return None, None
    if "frame_stiffness" in h:
        raise CaseError("holder.frame_stiffness", h["frame_stiffness"],
                        f"give either holder.card ('{h['card']}': the frame's parts) or "
                        "holder.frame_stiffness, not both")
    card = load_holder_card(h["card"], h.get("card_values"))
    return card, 1.0 / frame_compliance(card, stack_height)


def _card_springs(h: dict, card: HolderCard | None) -> dict:
    """The spring keys of a spring holder: the case's, else its holder card's."""
    out = {k: h[k] for k in ("spring_count", "spring_rate", "spring_max_load") if k in h}
    if card is not None and h["type"] == "spring":
        out.setdefault("spring_count", int(card["spring_count"]))
        out.setdefault("spring_rate", f"{card['spring_rate']} N/m")
        out.setdefault("spring_max_load", f"{card['spring_max_load']} N")
    return out


def resolve_holder(raw: dict, stack_height: float = 0.0) -> HolderSettings:
    card, card_stiffness = _holder_card(raw["holder"], stack_height)
    h = {**raw["holder"], **_card_springs(raw["holder"], card)}
    t = h["type"]
    p = to_si(h.get("pressure", "5 MPa"), "pressure", "holder.pressure")
    fs = h.get("frame_stiffness", "inf")
    if fs.strip().lower() in ("inf", "infinite", "rigid"):
        kf = math.inf
    else:
        try:
            kf = to_si(fs, "stiffness", "holder.frame_stiffness")
        except CaseError:
            kf = None
        if kf is None:
            try:  # areal stiffness (MPa/um) times the cell area
                r = to_si(raw["cell"]["radius"], "length", "cell.radius")
                kf = to_si(fs, "areal_stiffness", "holder.frame_stiffness") * math.pi * r**2
            except CaseError:
                raise CaseError("holder.frame_stiffness", fs,
                                'expected a stiffness, e.g. "1.6e8 N/m", "2 MPa/um" or "inf"') from None
        RANGES["holder.frame_stiffness"].check(kf, "holder.frame_stiffness", fs)
    if card_stiffness is not None:
        kf = card_stiffness
    hs = HolderSettings(t, p, kf, card=card)
    spring_keys = ("spring_count", "spring_rate", "spring_max_load")
    if t == "spring":
        for k in ("spring_count", "spring_rate"):
            if k not in h:
                raise CaseError(f"holder.{k}", None, "required for a spring holder")
        hs.spring_count = h["spring_count"]
        hs.spring_rate = to_si(h["spring_rate"], "stiffness", "holder.spring_rate")
        if "spring_max_load" in h:
            hs.spring_max_load = to_si(h["spring_max_load"], "force", "holder.spring_max_load")
            r = to_si(raw["cell"]["radius"], "length", "cell.radius")
            per_spring = p * math.pi * r**2 / hs.spring_count
            if per_spring > hs.spring_max_load:
                raise CaseError("holder.pressure", h.get("pressure", "5 MPa"),
                                f"needs {per_spring:.4g} N per spring, more than "
                                f"holder.spring_max_load ({h['spring_max_load']}); "
                                "use more or stronger springs or a lower pressure")
    else:
        for k in spring_keys:
            if k in h:
                raise CaseError(f"holder.{k}", h[k], f"only allowed for type = 'spring', not '{t}'")
    if t == "constant_pressure" and ("frame_stiffness" in h or card is not None):
        raise CaseError("holder.frame_stiffness" if card is None else "holder.card",
                        fs if card is None else h["card"], "not used by a constant_pressure holder")
    return hs


def resolve_solver(raw: dict) -> SolverSettings:
    s = raw.get("solver", {})
    out = SolverSettings()
    for k in ("dt_initial", "dt_min", "dt_max"):
        if k in s:
            setattr(out, k, to_si(s[k], "time", f"solver.{k}"))
    for k in ("newton_rtol", "newton_atol", "newton_max_it", "target_iterations",
              "linear_solver", "petsc_options"):
        if k in s:
            setattr(out, k, s[k])
    if not out.dt_min <= out.dt_initial <= out.dt_max:
        raise CaseError("solver.dt_initial", s.get("dt_initial", f"{out.dt_initial} s"),
                        "need dt_min <= dt_initial <= dt_max")
    return out


def resolve_mechanics(raw: dict) -> MechanicsSettings:
    """``[mechanics]`` and the platen model of ``[platens]``."""
    m = raw.get("mechanics", {})
    out = MechanicsSettings(
        large_deformation=m.get("large_deformation", True),
        creep_law=m.get("creep_law", "norton"),
        creep_max_increment=m.get("creep_max_increment", 0.05),
        platen_model=raw.get("platens", {}).get("model", "rigid"),
        anode_model=m.get("anode_model", "elastic"),
        porous_layers=m.get("porous_layers", "elastic"),
    )
    if "anode_yield_strength" in m:
        if out.anode_model != "plastic":
            raise CaseError("mechanics.anode_yield_strength", m["anode_yield_strength"],
                            "only used with mechanics.anode_model = 'plastic'")
        out.anode_yield_strength = to_si(m["anode_yield_strength"], "pressure",
                                         "mechanics.anode_yield_strength")
    return out


def platen_friction(raw: dict[str, Any]) -> float:
    """platens.friction_coefficient: required for contact = 'coulomb', refused otherwise."""
    pl = raw.get("platens", {})
    contact = pl.get("contact", "bonded")
    if contact == "coulomb":
        if "friction_coefficient" not in pl:
            raise CaseError("platens.friction_coefficient", None,
                            "required for contact = 'coulomb' (a number >= 0, e.g. 0.3)")
        return float(pl["friction_coefficient"])
    if "friction_coefficient" in pl:
        raise CaseError("platens.friction_coefficient", pl["friction_coefficient"],
                        f"only used with contact = 'coulomb', not '{contact}'")
    return 0.0



def resolve_output(raw: dict) -> OutputSettings:
    """``[output]``: fields, plots and checkpoints."""
    o = raw.get("output", {})
    return OutputSettings(
        o.get("fields", True), o.get("field_interval", 1), o.get("plots", True),
        o.get("checkpoint_every_steps", 0),
        to_si(o["checkpoint_every"], "time", "output.checkpoint_every")
        if "checkpoint_every" in o else 1800.0,
        o.get("checkpoint_keep", 2),
        tuple(sorted(to_si(v, "time", f"output.milestones[{i}]")
                     for i, v in enumerate(o.get("milestones", [])))))


#: The ``[interface]`` keys that override a parameter of the interface model, with their
#: quantity dimension (the schema lists them with :data:`fem.interface.parameters.DEFAULTS`).
INTERFACE_PARAMETERS: dict[str, str] = {
    k: v["quantity"]["dimension"]
    for k, v in SCHEMA["properties"]["interface"]["properties"].items() if "quantity" in v}


def resolve_interface(raw: dict, cell: Cell) -> InterfaceSettings:
    """``[interface]``: on by default where a Li metal layer touches the separator."""
    sec = raw.get("interface", {})
    roles = [la.role for la in sorted(cell.layers, key=lambda la: la.z0)]
    has_li = any(a == "li" and b == "separator" or a == "separator" and b == "li"
                 for a, b in zip(roles, roles[1:], strict=False))
    enabled = sec.get("enabled", has_li)
    if enabled and not has_li:
        raise CaseError("interface.enabled", True,
                        "needs a Li metal layer on the separator; this cell has "
                        + " | ".join(roles))
    overrides = {k: to_si(v, INTERFACE_PARAMETERS[k], f"interface.{k}") for k, v in sec.items()
                 if k in INTERFACE_PARAMETERS}
    return InterfaceSettings(enabled=enabled, stop_on_short=sec.get("stop_on_short", True),
                             overrides=overrides)
