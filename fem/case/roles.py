"""What makes a cell: the material classes each layer role may take, and the stack orders.

A layer's role says what it does in the cell; its card's class (``class`` in the card,
:data:`fem.materials.CLASSES`) says what it is made of. :data:`ROLE_CLASSES` is the one table
of which classes fit which role, checked when the case is resolved, before any mesh: a
separator made of NCM811 or a Li layer made of PEEK is a case error naming the layer, its card
and the classes the role takes.

The order of the layers is that of :data:`CELL_KINDS` (bottom to top, or upside down), with
plungers only at the ends of the stack: a plunger between the Li and the separator (a metal
foil where the interface should be) is not a cell.
"""

from __future__ import annotations

from fem.errors import CaseError
from fem.materials import CLASSES, Material

#: Layer roles each cell kind needs, bottom to top (plungers may wrap them).
CELL_KINDS: dict[str, list[str]] = {
    "symmetric": ["li", "separator", "li"],
    "full": ["cathode", "separator", "li"],
    "silicon": ["cathode", "separator", "anode"],
}

#: The material classes each layer role takes (the die: :data:`DIE_CLASSES`).
ROLE_CLASSES: dict[str, tuple[str, ...]] = {
    "li": ("li_metal",),
    "separator": ("solid_electrolyte",),
    "cathode": ("cathode_composite",),
    "anode": ("anode_alloy",),
    "plunger": ("metal",),
}
#: The material classes a die may be made of.
DIE_CLASSES: tuple[str, ...] = ("polymer", "metal")


def _classes(names: tuple[str, ...]) -> str:
    return " or ".join(f"{c} ({CLASSES[c]})" for c in names)


def check_layer_material(index: int, role: str, mat: Material) -> None:
    """The card of layer ``index`` has a class its role takes (else a CaseError)."""
    allowed = ROLE_CLASSES[role]
    if mat.material_class not in allowed:
        raise CaseError(f"cell.layers[{index}].material", mat.name,
                        f"a {role} layer needs a card of class {_classes(allowed)}; card "
                        f"'{mat.name}' is {mat.material_class} ({CLASSES[mat.material_class]})")


def check_die_material(mat: Material) -> None:
    if mat.material_class not in DIE_CLASSES:
        raise CaseError("cell.die.material", mat.name,
                        f"a die is made of a card of class {_classes(DIE_CLASSES)}; card "
                        f"'{mat.name}' is {mat.material_class}")


def check_stack_order(kind: str, roles: list[str]) -> None:
    """The layer roles (bottom to top) make a cell of ``kind``: its roles in order (or upside
    down), wrapped by plungers at the ends only."""
    want = CELL_KINDS[kind]
    start = 0
    while start < len(roles) and roles[start] == "plunger":
        start += 1
    end = len(roles)
    while end > start and roles[end - 1] == "plunger":
        end -= 1
    core = roles[start:end]
    if core in (want, want[::-1]):
        return
    inner = [i for i in range(start, end) if roles[i] == "plunger"]
    if inner and [r for r in core if r != "plunger"] in (want, want[::-1]):
        i = inner[0]
        raise CaseError(f"cell.layers[{i}].role", "plunger",
                        f"plungers go at the ends of the stack only; this one lies between "
                        f"{roles[i - 1]} and {roles[i + 1]} (layers bottom to top: "
                        f"{' | '.join(roles)})")
    raise CaseError("cell.layers", roles,
                    f"a '{kind}' cell needs the layer roles {want} (bottom to top, or upside "
                    "down; plungers allowed at the ends)")
