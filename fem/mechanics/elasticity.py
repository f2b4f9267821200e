"""Isotropic linear elasticity with cell-wise material fields.

sigma = 2 mu eps_el + lambda tr(eps_el) I, eps_el = eps(u) - eps_0 (eigenstrain),
mu = E / (2 (1 + nu)), lambda = E nu / ((1 + nu)(1 - 2 nu)).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.geometry.mesh import CellMesh
from fem.mechanics.settings import LayerMechanics


def lame_fields(cm: CellMesh, layers: Sequence[LayerMechanics]
                ) -> tuple[dolfinx.fem.Function, dolfinx.fem.Function]:
    """DG0 fields of the Lamé parameters (mu, lambda), set per layer from its elastic constants."""
    Q0 = dolfinx.fem.functionspace(cm.mesh, ("DG", 0))
    mu = dolfinx.fem.Function(Q0, name="mu")
    lmbda = dolfinx.fem.Function(Q0, name="lambda")
    for layer in layers:
        m, lam = layer.lame
        cells = cm.cells(layer.name)
        dofs = Q0.dofmap.list[cells, 0]
        mu.x.array[dofs] = m
        lmbda.x.array[dofs] = lam
    mu.x.scatter_forward()
    lmbda.x.scatter_forward()
    if cm.mesh.comm.allreduce(int(np.any(mu.x.array <= 0)), op=MPI.MAX):
        raise RuntimeError("some cells have no material: every volume must be a layer")
    return mu, lmbda


def elastic_stress(eps_el, mu, lmbda):
    """Hooke's law sigma = 2 mu eps + lambda tr(eps) I (3x3)."""
    return 2.0 * mu * eps_el + lmbda * ufl.tr(eps_el) * ufl.Identity(3)
