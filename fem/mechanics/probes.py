"""Scalar probes of the stack for the history: Li thickness change, interface pressure (the
layers are those of the mechanics' settings, :class:`fem.mechanics.settings.StackMechanicsSettings`)."""

from __future__ import annotations

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx


class LiThickness:
    """Mean axial thickness change of the Li layer (the upper one in a symmetric cell):
    the mean z-displacement of its upper face minus that of its lower face."""

    def __init__(self, mech):
        self.mech = mech
        layers = mech.settings.bottom_to_top()
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


class InterfacePressure:
    """Mean normal pressure on the Li | separator interface(s): -sigma_zz of the Li cells that
    touch the interface (cell means of the quadrature stress), averaged with the 2 pi r weight
    over the interface facets."""

    def __init__(self, mech):
        self.mech = mech
        cm = mech.cm
        msh = cm.mesh
        roles = {la.name: la.role for la in mech.settings.layers}
        names = [n for n in cm.groups
                 if "_" in n and cm.groups[n][0] == msh.topology.dim - 1
                 and sorted(roles.get(p) for p in _split(n, roles)) == ["li", "separator"]]
        self.forms = None
        if not names:
            return
        Q0 = dolfinx.fem.functionspace(msh, ("DG", 0))
        self.chi = dolfinx.fem.Function(Q0)
        li = np.concatenate([cm.cells(la.name) for la in mech.settings.with_role("li")])
        self.chi.x.array[Q0.dofmap.list[li, 0]] = 1.0
        self.szz = dolfinx.fem.Function(Q0)
        self.owned = np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)
        self.dofs = Q0.dofmap.list[self.owned, 0]
        pts = mech.QT.element.interpolation_points
        self.expr = dolfinx.fem.Expression(mech.sigma_n[mech.iz, mech.iz], pts)
        dS = ufl.Measure("dS", domain=msh, subdomain_data=cm.facet_tags)
        wt = mech.wt
        tags = tuple(cm.tag(n) for n in names)
        p = -(self.chi("+") * self.szz("+") + self.chi("-") * self.szz("-"))
        self.forms = (dolfinx.fem.form(p * wt("+") * dS(tags)),
                      dolfinx.fem.form(wt("+") * dS(tags)))

    def value(self) -> float:
        """Mean interface pressure in Pa (0 without a Li | separator interface)."""
        if self.forms is None:
            return 0.0
        vals = self.expr.eval(self.mech.cm.mesh, self.owned)
        self.szz.x.array[self.dofs] = vals.reshape(len(self.owned), -1).mean(axis=1)
        self.szz.x.scatter_forward()
        comm = self.mech.comm
        num = comm.allreduce(dolfinx.fem.assemble_scalar(self.forms[0]), op=MPI.SUM)
        den = comm.allreduce(dolfinx.fem.assemble_scalar(self.forms[1]), op=MPI.SUM)
        return num / den


def _split(name: str, roles: dict) -> list[str]:
    """The two layer names of an interface group ``<lower>_<upper>`` (layer names may hold _)."""
    for i in range(1, len(name)):
        if name[i - 1] == "_" and name[: i - 1] in roles and name[i:] in roles:
            return [name[: i - 1], name[i:]]
    return []
