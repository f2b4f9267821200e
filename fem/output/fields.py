"""fields.xdmf (+ .h5): the time series of the fields for ParaView.

XDMF stores P1 and DG0 data: the displacement is interpolated to P1, stresses and other cell
quantities are evaluated per cell (DG0). Collective on the mesh's communicator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import ufl

from fem._dolfinx import dolfinx


class _CellAverage:
    """Evaluates an expression at quadrature points and stores the cell mean in a DG0 field."""

    def __init__(self, expr: dolfinx.fem.Expression, Q0):
        msh = Q0.mesh
        self.expr = expr
        self.cells = np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)
        self.dofs = Q0.dofmap.list[self.cells, 0]

    def fill(self, out: dolfinx.fem.Function) -> None:
        vals = self.expr.eval(out.function_space.mesh, self.cells)
        out.x.array[self.dofs] = vals.reshape(len(self.cells), -1).mean(axis=1)


class FieldWriter:
    """Writes the registered fields at chosen times into one XDMF file."""

    def __init__(self, path: Path, mesh: dolfinx.mesh.Mesh, cell_tags=None):
        self.mesh = mesh
        self.xdmf = dolfinx.io.XDMFFile(mesh.comm, str(path), "w")
        self.xdmf.write_mesh(mesh)
        if cell_tags is not None:
            cell_tags.name = "regions"
            self.xdmf.write_meshtags(cell_tags, mesh.geometry)
        self._items: list[tuple[dolfinx.fem.Function, object]] = []

    def add_vector(self, name: str, u: dolfinx.fem.Function) -> None:
        """A vector field, written as P1 (interpolated from u's space)."""
        gdim = self.mesh.geometry.dim
        V1 = dolfinx.fem.functionspace(self.mesh, ("Lagrange", 1, (gdim,)))
        out = dolfinx.fem.Function(V1, name=name)
        self._items.append((out, u))

    def add_cell_scalar(self, name: str, expr: ufl.core.expr.Expr, points: np.ndarray) -> None:
        """A scalar expression averaged over the quadrature ``points`` of each cell (DG0);
        the expression may hold quadrature-space functions (internal variables)."""
        Q0 = dolfinx.fem.functionspace(self.mesh, ("DG", 0))
        out = dolfinx.fem.Function(Q0, name=name)
        self._items.append((out, _CellAverage(dolfinx.fem.Expression(expr, points), Q0)))

    def write(self, t: float) -> None:
        for out, src in self._items:
            if isinstance(src, _CellAverage):
                src.fill(out)
            else:
                out.interpolate(src)
            out.x.scatter_forward()
            self.xdmf.write_function(out, t)

    def close(self) -> None:
        self.xdmf.close()
