"""Wiring of the inelastic model into a stack problem: Li creep, or J2 overstress plasticity
of the Li_xSi anode (the same radial return, :mod:`fem.mechanics.creep`)."""

from __future__ import annotations

import numpy as np

from fem.mechanics.creep import CreepModel
from fem.mechanics.settings import AnodePlasticitySettings, CreepSettings


def attach_creep(mech, settings: CreepSettings | AnodePlasticitySettings | None
                 ) -> CreepModel | None:
    """Attach the radial return to the layers of ``settings`` with its initial law: Li creep
    (:class:`CreepSettings`, the card's law) or the plastic anode
    (:class:`AnodePlasticitySettings`, :class:`fem.mechanics.creep_laws.OverstressPlasticity`
    at the yield strength of the initial lithiation; :class:`fem.mechanics.volume_change
    .VolumeChange` moves it with the lithiation). Returns the model, or None for an elastic
    stack (``settings`` None)."""
    if settings is None:
        return None
    cells = np.concatenate([mech.cm.cells(name) for name in settings.layers]).astype(np.int32)
    model = CreepModel(mech, cells, settings.initial_law(), shear_modulus=settings.shear_modulus,
                       max_increment=settings.max_increment)
    mech.add_creep(model)
    return model
