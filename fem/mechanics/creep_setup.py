"""Wiring of the creep model into a stack problem."""

from __future__ import annotations

import numpy as np

from fem.mechanics.creep import CreepModel


def attach_creep(mech, case) -> CreepModel | None:
    """Attach creep to the layers whose material card has ``model = "creep"`` (Li), unless the
    case sets ``mechanics.creep_law = "none"``. Returns the creep model or None."""
    if case.mechanics.creep_law == "none":
        return None
    from fem.mechanics.creep_laws import creep_law_from_material

    layers = [la for la in case.cell.layers if case.materials[la.material].model == "creep"]
    if not layers:
        return None
    names = {la.material for la in layers}
    if len(names) > 1:  # one law per model; several creeping materials would need one each
        raise NotImplementedError(f"creep in more than one material: {sorted(names)}")
    mat = case.materials[names.pop()]
    cells = np.concatenate([mech.cm.cells(la.name) for la in layers]).astype(np.int32)
    law = creep_law_from_material(mat, case.mechanics.creep_law)
    creep = CreepModel(mech, cells, law, shear_modulus=mat.lame[0],
                       max_increment=case.mechanics.creep_max_increment)
    mech.add_creep(creep)
    return creep
