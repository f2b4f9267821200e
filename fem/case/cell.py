"""The cell section of a case: layers (thickness from thickness, areal mass or mass), their
material cards, the stacking and the die."""

from __future__ import annotations

import math

from fem.case.model import Cell, Layer
from fem.case.ranges import LAYER_THICKNESS, RANGES
from fem.case.roles import check_die_material, check_layer_material, check_stack_order
from fem.errors import CaseError
from fem.materials import Material, bundled_names, load_material
from fem.units import to_si


def _layer_thickness(i: int, raw: dict, mat: Material, radius: float, rel: float,
                     role: str, radius_key: str) -> float:
    """The thickness of layer ``i`` from its thickness, areal mass or mass, checked against
    the hard range of a layer thickness and the plausible range of its role."""
    key = f"cell.layers[{i}]"
    given = [k for k in ("thickness", "areal_mass", "mass") if k in raw]
    if len(given) != 1:
        raise CaseError(key, {k: raw[k] for k in given} or raw.get("name"),
                        "give exactly one of thickness, areal_mass or mass")
    k = given[0]
    density = mat["density"] * rel if k != "thickness" else 1.0
    try:
        if k == "thickness":
            t = to_si(raw[k], "length", f"{key}.thickness")
        elif k == "areal_mass":
            t = to_si(raw[k], "areal_mass", f"{key}.areal_mass") / density
        else:
            t = to_si(raw[k], "mass", f"{key}.mass") / (math.pi * radius**2 * density)
    except (ZeroDivisionError, OverflowError):
        t = math.inf
    rng = RANGES["cell.layers[].thickness"]
    problem = rng.violation(t)
    if problem is not None:
        what = "" if k == "thickness" else f"gives a thickness of {rng.show(t)}, which "
        if k == "mass":  # the area is the radius's: name it
            what = f"over the area of {radius_key} ({radius:.3g} m) {what}"
        raise CaseError(f"{key}.{k}", raw[k], f"{what}{problem}")
    LAYER_THICKNESS[role].warn(t, f"{key}.{k}", raw[k])
    return t


def _card(materials: dict[str, Material], mname: str, overrides: dict, key: str) -> Material:
    """The card ``mname`` with the case's overrides (loaded once)."""
    if mname not in materials:
        try:
            materials[mname] = load_material(mname, overrides.get(mname))
        except CaseError as exc:
            if exc.key == "material":
                raise CaseError(f"{key}.material", mname, exc.allowed) from None
            raise
    return materials[mname]


def resolve_cell(raw: dict, overrides: dict) -> tuple[Cell, dict[str, Material]]:
    """The cell and the material cards its layers use (with the case's overrides), in SI."""
    c = raw["cell"]
    radius = to_si(c["radius"], "length", "cell.radius")
    materials: dict[str, Material] = {}
    layers: list[Layer] = []
    names = set()
    check_stack_order(c["kind"], [lr["role"] for lr in c["layers"]])
    for i, lr in enumerate(c["layers"]):
        key = f"cell.layers[{i}]"
        if lr["name"] in names:
            raise CaseError(f"{key}.name", lr["name"], "layer names must be unique")
        names.add(lr["name"])
        mat = _card(materials, lr["material"], overrides, key)
        check_layer_material(i, lr["role"], mat)
        lrad = to_si(lr["radius"], "length", f"{key}.radius") if "radius" in lr else radius
        if lrad > radius * (1 + 1e-12):
            raise CaseError(f"{key}.radius", lr["radius"], f"must be <= cell.radius ({c['radius']})")
        rel = float(lr.get("relative_density", mat.values.get("relative_density", 1.0)))
        t = _layer_thickness(i, lr, mat, lrad, rel, lr["role"],
                             f"{key}.radius" if "radius" in lr else "cell.radius")
        layers.append(Layer(lr["name"], lr["role"], lr["material"], t, lrad, rel))
    z = 0.0
    for layer in layers:
        layer.z0 = z
        z += layer.thickness
    for mname in overrides:
        if mname not in materials:
            raise CaseError(f"materials.{mname}", overrides[mname],
                            f"no layer uses this material; used: {', '.join(materials)}")
    die = c.get("die", {})
    cell = Cell(c["kind"], radius, layers, die.get("enabled", False),
                to_si(die.get("clearance", "0 m"), "length", "cell.die.clearance"),
                to_si(die.get("wall_thickness", "2 mm"), "length", "cell.die.wall_thickness"),
                die.get("material", "peek"), die.get("model", "rigid"),
                float(die.get("friction_coefficient", 0.0)))
    if cell.die_friction > 0 and not (cell.die_enabled and cell.die_model == "rigid"):
        raise CaseError("cell.die.friction_coefficient", die["friction_coefficient"],
                        "wall friction needs an enabled rigid die (cell.die.enabled = true, "
                        "model = 'rigid')")
    if cell.die_material not in bundled_names():
        raise CaseError("cell.die.material", cell.die_material,
                        f"unknown material; bundled: {', '.join(bundled_names())}")
    check_die_material(load_material(cell.die_material))
    if cell.die_enabled and cell.die_clearance > 0:
        raise CaseError("cell.die.clearance", die["clearance"],
                        "a die with clearance needs wall contact, which is not implemented yet; "
                        "use 0 um (confined stack) or disable the die")
    return cell, materials
