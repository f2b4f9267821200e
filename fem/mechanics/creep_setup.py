"""Wiring of the creep model and of the Li thickness probe into a stack problem."""

from __future__ import annotations

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
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


class LiThickness:
    """Mean axial thickness change of the Li layer (the upper one in a symmetric cell):
    the mean z-displacement of its upper face minus that of its lower face."""

    def __init__(self, mech, case):
        self.mech = mech
        layers = sorted(case.cell.layers, key=lambda la: la.z0)
        li = [i for i, la in enumerate(layers) if la.role == "li"]
        self.forms = None
        if not li:
            return
        i = li[-1]
        cm, iz, wt = mech.cm, mech.iz, mech.wt
        u = mech.u
        dS = ufl.Measure("dS", domain=cm.mesh, subdomain_data=cm.facet_tags)
        ds = mech.ds

        def face(name: str, exterior: bool):
            if exterior:
                return (u[iz] * wt * ds(cm.tag(name)), wt * ds(cm.tag(name)))
            return (u("+")[iz] * wt("+") * dS(cm.tag(name)), wt("+") * dS(cm.tag(name)))

        upper = ("top", True) if i == len(layers) - 1 else (f"{layers[i].name}_{layers[i + 1].name}", False)
        lower = ("bottom", True) if i == 0 else (f"{layers[i - 1].name}_{layers[i].name}", False)
        self.forms = [tuple(dolfinx.fem.form(f) for f in face(*upper)),
                      tuple(dolfinx.fem.form(f) for f in face(*lower))]

    def _mean(self, pair) -> float:
        comm = self.mech.comm
        num = comm.allreduce(dolfinx.fem.assemble_scalar(pair[0]), op=MPI.SUM)
        den = comm.allreduce(dolfinx.fem.assemble_scalar(pair[1]), op=MPI.SUM)
        return num / den

    def change(self) -> float:
        """Thickness change in m (0 without a Li layer)."""
        if self.forms is None:
            return 0.0
        return self._mean(self.forms[0]) - self._mean(self.forms[1])
