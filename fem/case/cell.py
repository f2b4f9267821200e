"""The cell section of a case: layers (thickness from thickness, areal mass or mass), their
material cards, the stacking and the die."""

from __future__ import annotations

import math

from fem.case.model import CELL_KINDS, Cell, Layer
from fem.errors import CaseError
from fem.materials import Material, bundled_names, load_material
from fem.units import to_si


def _layer_thickness(i: int, raw: dict, mat: Material, radius: float, rel: float) -> float:
    key = f"cell.layers[{i}]"
    given = [k for k in ("thickness", "areal_mass", "mass") if k in raw]
    if len(given) != 1:
        raise CaseError(key, {k: raw[k] for k in given} or raw.get("name"),
                        "give exactly one of thickness, areal_mass or mass")
    k = given[0]
    if k == "thickness":
        return to_si(raw[k], "length", f"{key}.thickness")
    density = mat["density"] * rel
    if k == "areal_mass":
        return to_si(raw[k], "areal_mass", f"{key}.areal_mass") / density
    return to_si(raw[k], "mass", f"{key}.mass") / (math.pi * radius**2 * density)


def resolve_cell(raw: dict, overrides: dict) -> tuple[Cell, dict[str, Material]]:
    """The cell and the material cards its layers use (with the case's overrides), in SI."""
    c = raw["cell"]
    radius = to_si(c["radius"], "length", "cell.radius")
    materials: dict[str, Material] = {}
    layers: list[Layer] = []
    names = set()
    for i, lr in enumerate(c["layers"]):
        key = f"cell.layers[{i}]"
        if lr["name"] in names:
            raise CaseError(f"{key}.name", lr["name"], "layer names must be unique")
        names.add(lr["name"])
        mname = lr["material"]
        if mname not in materials:
            try:
                materials[mname] = load_material(mname, overrides.get(mname))
            except CaseError as exc:
                if exc.key == "material":
                    raise CaseError(f"{key}.material", mname, exc.allowed) from None
                raise
        mat = materials[mname]
        lrad = to_si(lr["radius"], "length", f"{key}.radius") if "radius" in lr else radius
        if lrad > radius * (1 + 1e-12):
            raise CaseError(f"{key}.radius", lr["radius"], f"must be <= cell.radius ({c['radius']})")
        rel = float(lr.get("relative_density", mat.values.get("relative_density", 1.0)))
        t = _layer_thickness(i, lr, mat, lrad, rel)
        if not 0 < t <= 0.1:
            raise CaseError(key, lr.get("name"), f"thickness {t:.3g} m must be in (0, 0.1] m")
        layers.append(Layer(lr["name"], lr["role"], mname, t, lrad, rel))
    z = 0.0
    for layer in layers:
        layer.z0 = z
        z += layer.thickness
    roles = [la.role for la in layers if la.role != "plunger"]
    want = CELL_KINDS[c["kind"]]
    if roles != want and roles != want[::-1]:
        raise CaseError("cell.layers", roles,
                        f"a '{c['kind']}' cell needs the layer roles {want} (bottom to top, "
                        "plungers allowed at the ends)")
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
    if cell.die_enabled and cell.die_clearance > 0:
        raise CaseError("cell.die.clearance", die["clearance"],
                        "a die with clearance needs wall contact, which is not implemented yet; "
                        "use 0 um (confined stack) or disable the die")
    return cell, materials

