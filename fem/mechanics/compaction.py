"""Compaction of the porous (pressed-powder) layers of the stack, the separator and the
composite cathode: a stress update of :class:`fem.mechanics.stack.StackMechanics` with the
cap model of :mod:`fem.mechanics.compaction_law` at the quadrature points.

The stress of a porous cell is a function of its elastic strain, not an increment of the
dense elastic trial stress of the other layers (equation (1) of :mod:`fem.mechanics.stack`)::

    eps_e,tr = eps_e,n + d,   d = eps(du) - d eps_0           (d eps_0: eigenstrain increment)
    (sigma, C, eps_e, D) = return map (eps_e,tr, D_n)          (numpy, before every assembly)

The residual uses the linearised local solution

    sigma_lin = sigma_q + C_q : (d - d_q),

with sigma_q, C_q (the algorithmic tangent) and d_q stored at the quadrature points of the
current iterate, so that sigma_lin = sigma_q there and ``ufl.derivative`` of the residual is
the consistent tangent (as in :mod:`fem.mechanics.creep`); on the other cells the stress
passes through (an indicator chi selects the porous cells).

Initial state (:func:`fem.mechanics.compaction_paths.pressed_state`): each layer as pressed
at its pressing pressure and unloaded in the die (density, consolidation pressure, plastic
strain, and the elastic strain of the radial stress the die keeps, with the same stress in the
stack's ``sigma_n``), or released to zero stress when the stack has no die.
"""

from __future__ import annotations

import basix.ufl
import numpy as np
import ufl

from fem._dolfinx import dolfinx
from fem.mechanics.compaction_paths import AXIS, pressed_state
from fem.mechanics.settings import CompactionSettings


def _to_mesh(t: np.ndarray, iz: int) -> np.ndarray:
    """A tensor of the law's axes (pressing axis 2) in the mesh's (axis iz: (r, z, theta) or
    (x, y, z))."""
    perm = [0, 1, 2]
    perm[iz], perm[AXIS] = AXIS, iz
    return t[np.ix_(perm, perm)]


class CompactionModel:
    """The compaction update on the layers of ``settings`` (see the module docstring)."""

    name = "compaction"

    def __init__(self, mech, settings: CompactionSettings):
        msh = mech.cm.mesh
        self.comm = msh.comm
        cell = msh.basix_cell()
        Qs = dolfinx.fem.functionspace(msh, basix.ufl.quadrature_element(
            cell, value_shape=(), degree=mech.qdeg))
        Q4 = dolfinx.fem.functionspace(msh, basix.ufl.quadrature_element(
            cell, value_shape=(3, 3, 3, 3), degree=mech.qdeg))
        QT = mech.QT
        # committed state
        self.eps_e = dolfinx.fem.Function(QT, name="compaction_elastic_strain")
        self.eps_p = dolfinx.fem.Function(QT, name="compaction_plastic_strain")
        self.density = dolfinx.fem.Function(Qs, name="relative_density")
        self.pc = dolfinx.fem.Function(Qs, name="consolidation_pressure")
        # the current iterate's local solution
        self.sigma_q = dolfinx.fem.Function(QT, name="compaction_stress")
        self.C_q = dolfinx.fem.Function(Q4, name="compaction_tangent")
        self.d_q = dolfinx.fem.Function(QT, name="compaction_strain_increment")
        self.chi = dolfinx.fem.Function(dolfinx.fem.functionspace(msh, ("DG", 0)),
                                        name="porous")
        self.d = mech.deps - mech.deigen
        self.d_expr = dolfinx.fem.Expression(self.d, QT.element.interpolation_points)
        self.layers = []  # (law, cells, scalar dofs (n,), tensor dofs (n, 9))
        for layer in settings.layers:
            cells = mech.cm.cells(layer.name).astype(np.int32)
            sdofs = Qs.dofmap.list[cells].reshape(-1)
            tdofs = (sdofs[:, None] * 9 + np.arange(9)).reshape(-1)
            cdofs = (sdofs[:, None] * 81 + np.arange(81)).reshape(-1)
            self.layers.append((layer.law, cells, sdofs, tdofs, cdofs))
            self.chi.x.array[self.chi.function_space.dofmap.list[cells, 0]] = 1.0
            self._initial_state(mech, layer, sdofs, tdofs, settings.confined)
        self.chi.x.scatter_forward()
        self._pending: list = []

    def _initial_state(self, mech, layer, sdofs, tdofs, confined: bool) -> None:
        """The pressed state of ``layer`` in its cells, and its stress into ``mech.sigma_n``."""
        st = pressed_state(layer.law, layer.pressing_pressure, confined)
        eps_e = _to_mesh(st.elastic_strain, mech.iz)
        stress = layer.law.stress(eps_e[None])[0]
        n = sdofs.size
        self.eps_e.x.array[tdofs] = np.tile(eps_e.reshape(-1), n)
        self.eps_p.x.array[tdofs] = np.tile(_to_mesh(st.plastic_strain, mech.iz).reshape(-1), n)
        self.density.x.array[sdofs] = st.density
        self.pc.x.array[sdofs] = layer.law.hardening.consolidation_pressure(st.density)
        mech.sigma_n.x.array[tdofs] = np.tile(stress.reshape(-1), n)

    # -- UFL
    def stress(self, sigma, mu):  # noqa: ARG002 (the stress-update interface)
        """(1 - chi) sigma + chi sigma_lin, sigma_lin = sigma_q + C_q : (d - d_q)."""
        i, j, k, l = ufl.indices(4)
        lin = self.sigma_q + ufl.as_tensor(self.C_q[i, j, k, l] * (self.d - self.d_q)[k, l],
                                           (i, j))
        return sigma + self.chi * (lin - sigma)

    # -- local update
    def update(self, mech) -> None:
        """Return map at the current iterate on every porous cell (NaN stress where the local
        Newton fails, so that the global Newton fails and the step is cut)."""
        msh = mech.cm.mesh
        self._pending = []
        for law, cells, sdofs, tdofs, cdofs in self.layers:
            if cells.size == 0:
                self._pending.append(None)
                continue
            d = self.d_expr.eval(msh, cells).reshape(-1, 3, 3)
            trial = self.eps_e.x.array[tdofs].reshape(-1, 3, 3) + d
            res = law.return_map(trial, self.density.x.array[sdofs])
            stress = np.where(res.converged[:, None, None], res.stress, np.nan)
            self.sigma_q.x.array[tdofs] = stress.reshape(-1)
            self.C_q.x.array[cdofs] = res.tangent.reshape(-1)
            self.d_q.x.array[tdofs] = d.reshape(-1)
            self._pending.append((trial, res))

    def commit(self, mech) -> None:  # noqa: ARG002
        """Accept the local solution of the converged iterate as the new state."""
        for (_, cells, sdofs, tdofs, _), pending in zip(self.layers, self._pending, strict=True):
            if pending is None or cells.size == 0:
                continue
            trial, res = pending
            self.eps_p.x.array[tdofs] += (trial - res.elastic_strain).reshape(-1)
            self.eps_e.x.array[tdofs] = res.elastic_strain.reshape(-1)
            self.density.x.array[sdofs] = res.density
            self.pc.x.array[sdofs] = res.consolidation_pressure

    # -- state and output
    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        """The fields that carry the state (checkpointed)."""
        return {f.name: f for f in (self.eps_e, self.eps_p, self.density, self.pc)}

    def state_rows(self, n_local_cells: int) -> None:  # noqa: ARG002
        """No state beyond :meth:`state_functions`."""
        return None

    def set_state_rows(self, rows: np.ndarray) -> None:  # noqa: ARG002
        return None

    def output_expressions(self) -> dict:
        """Relative density, consolidation pressure and plastic volumetric (compaction) strain
        (zero off the porous layers)."""
        return {"relative_density": self.density, "consolidation_pressure": self.pc,
                "compaction_strain": -ufl.tr(self.eps_p)}


def attach_compaction(mech, settings: CompactionSettings | None) -> CompactionModel | None:
    """Attach the compaction update to ``mech`` (before its first solve); None when the porous
    layers are elastic (``settings`` None)."""
    if settings is None or not settings.layers:
        return None
    model = CompactionModel(mech, settings)
    mech.add_stress_update(model)
    return model
