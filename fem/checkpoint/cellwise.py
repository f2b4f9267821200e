"""Distributed data keyed by the mesh's input numbering (N-to-M checkpointing).

A mesh read from the same .msh file has the same input (original) cell and node numbers on
any number of ranks, whatever the partition. Every field of assb-fem lives in a space whose
degrees of freedom belong to cells without orientation-dependent permutations (P1/P2 Lagrange,
DG, quadrature), so a field is stored as the values of each cell's dofs in the cell's local
order, one row per input cell, and read back by taking the row of each local cell. The same
holds for point-wise internal state (creep hardening variables) and for the geometry nodes
(the updated-Lagrangian mesh moves).

Writing gathers the owned rows on rank 0 (collective); reading needs the whole array on every
rank (each rank reads the file itself).
"""

from __future__ import annotations

import numpy as np

from fem._dolfinx import MPI, dolfinx


class MeshKeys:
    """Input cell and node numbers of the local part of ``msh`` (owned and ghost entities)."""

    def __init__(self, msh: dolfinx.mesh.Mesh):
        tdim = msh.topology.dim
        im = msh.topology.index_map(tdim)
        self.comm = msh.comm
        self.n_owned = im.size_local
        self.n_cells = im.size_global
        self.cells = np.asarray(msh.topology.original_cell_index, dtype=np.int64)
        self.nodes = np.asarray(msh.geometry.input_global_indices, dtype=np.int64)
        self.n_nodes = int(self.comm.allreduce(int(self.nodes.max(initial=-1)) + 1, op=MPI.MAX))
        self.cell_nodes = self.nodes[msh.geometry.dofmaps[0]]  # (local cells, nodes per cell)


def _dof_index(f: dolfinx.fem.Function) -> np.ndarray:
    """(local cells, dofs per cell * block size): the positions in ``f.x.array`` of each cell's
    values, in the cell's local order."""
    dm = f.function_space.dofmap
    bs = dm.bs
    dofs = dm.list
    return (dofs[:, :, None] * bs + np.arange(bs)).reshape(dofs.shape[0], -1)


def cell_values(f: dolfinx.fem.Function) -> np.ndarray:
    """The values of ``f`` per local cell (rows in local cell order)."""
    return f.x.array[_dof_index(f)]


def set_cell_values(f: dolfinx.fem.Function, rows: np.ndarray) -> None:
    """Set ``f`` from per-cell rows (local cell order) and update its ghosts."""
    f.x.array[_dof_index(f)] = rows
    f.x.scatter_forward()


def _missing(dtype) -> float | int:
    """The fill value of entries no rank wrote: NaN, or -1 for integers."""
    return -1 if np.issubdtype(dtype, np.integer) else np.nan


def _gather(comm, index: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray | None:
    """Collective: ``rows`` placed at ``index`` of one array of ``n`` rows on rank 0."""
    parts = comm.gather((index, np.ascontiguousarray(rows)), root=0)
    if comm.rank != 0:
        return None
    out = np.full((n, *rows.shape[1:]), _missing(rows.dtype), dtype=rows.dtype)
    for i, r in parts:
        out[i] = r
    return out


def gather_cells(keys: MeshKeys, rows: np.ndarray) -> np.ndarray | None:
    """Collective: the rows of the owned cells as one array indexed by input cell number,
    on rank 0 (None elsewhere). Rows of cells that no rank filled stay NaN (-1 for integers)."""
    return _gather(keys.comm, keys.cells[: keys.n_owned], rows[: keys.n_owned], keys.n_cells)


def gather_nodes(keys: MeshKeys, x: np.ndarray) -> np.ndarray | None:
    """Collective: geometry node values (rows in local node order) indexed by input node
    number, on rank 0. Nodes shared by ranks carry the same value on each."""
    return _gather(keys.comm, keys.nodes, x, keys.n_nodes)


def local_cells(keys: MeshKeys, stored: np.ndarray) -> np.ndarray:
    """The rows of the local cells (owned and ghosts) from an array by input cell number."""
    return stored[keys.cells]


def local_nodes(keys: MeshKeys, stored: np.ndarray) -> np.ndarray:
    """The rows of the local geometry nodes from an array by input node number."""
    return stored[keys.nodes]
