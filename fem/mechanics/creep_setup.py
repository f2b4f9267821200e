"""Wiring of the creep model into a stack problem."""

from __future__ import annotations

import numpy as np

from fem.mechanics.creep import CreepModel


def attach_creep(mech, case) -> CreepModel | None:
    """Attach creep to the layers whose material card has ``model = "creep"`` (Li), unless the
    case sets ``mechanics.creep_law = "none"``; or, with ``mechanics.anode_model = "plastic"``,
    J2 overstress plasticity to the Li_xSi anode layers (the same radial return). Returns the
    model or None."""
    if getattr(case.mechanics, "anode_model", "elastic") == "plastic":
        return _attach_anode_plasticity(mech, case)
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


def _attach_anode_plasticity(mech, case) -> CreepModel:
    """J2 plasticity (fem.mechanics.creep_laws.OverstressPlasticity) in the anode layers, with
    the yield strength at the initial lithiation (updated with x by VolumeChange)."""
    from fem.mechanics.creep_laws import OverstressPlasticity, anode_yield_strength

    creeping = [la for la in case.cell.layers if case.materials[la.material].model == "creep"
                and la.role != "anode"]
    if creeping and case.mechanics.creep_law != "none":  # (no cell kind has both today)
        raise NotImplementedError("Li creep and a plastic anode in one stack")
    layers = case.cell.layers_with_role("anode")
    mat = case.materials[layers[0].material]
    x0 = mat.values.get("initial_lithiation", 0.0)
    law = OverstressPlasticity(anode_yield_strength(mat, x0, case.mechanics.anode_yield_strength))
    cells = np.concatenate([mech.cm.cells(la.name) for la in layers]).astype(np.int32)
    model = CreepModel(mech, cells, law, shear_modulus=mat.lame[0],
                       max_increment=case.mechanics.creep_max_increment)
    mech.add_creep(model)
    mech.anode_plasticity = law
    return model
