"""Uniform refinement of a distributed cell mesh in parallel, with its named regions.

A coarse gmsh mesh (built on rank 0 and distributed) is refined ``levels`` times by dolfinx
(``dolfinx.mesh.refine``, Plaza's edge splitting: every edge halved, 4 children per triangle,
8 per tetrahedron, each child on its parent's rank, the ghost layer rebuilt), so no rank ever
holds the fine mesh and gmsh only meshes 1/4 (2D) or 1/8 (3D) of the cells per level. The
cell and facet tags follow the refinement: a child cell takes its parent's tag, a child facet
on a facet of its parent that facet's (dolfinx's own ``transfer_meshtag`` refuses ghosted
meshes, and the stack's are ghosted for its interface integrals).

The vertices a refinement adds on the cylinder r = R of a 3D stack lie on the chords of the
coarse facets, h^2 / (8 R) inside the cylinder for an edge of length h (25 um for 1 mm
elements on a 5 mm cell: a 1 % smaller cross-section). They are moved back radially onto the
cylinder of the layer they belong to (the ``radii`` nearest to them), so that the refined mesh
has the true radius. In the axisymmetric section the boundaries are straight lines and
nothing moves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fem._dolfinx import dolfinx
from fem.geometry.mesh import CellMesh


def refine_uniformly(cm: CellMesh, levels: int, radii: Sequence[float] = ()) -> CellMesh:
    """Collective: ``cm`` refined ``levels`` times, tags carried over; in 3D the new vertices
    on the "outer" facets moved onto the nearest cylinder of ``radii`` (m)."""
    for _ in range(levels):
        cm = _refine_once(cm)
        if cm.dimension == "3d" and radii and cm.has("outer"):
            _snap_to_cylinders(cm, np.asarray(sorted(radii)))
    return cm


def _refine_once(cm: CellMesh) -> CellMesh:
    msh = cm.mesh
    tdim = msh.topology.dim
    msh.topology.create_entities(1)
    msh.topology.create_connectivity(tdim, tdim - 1)
    fine, parent_cell, parent_facet = dolfinx.mesh.refine(
        msh, option=dolfinx.mesh.RefinementOption.parent_cell_and_facet)
    fine.topology.create_entities(tdim - 1)
    fine.topology.create_connectivity(tdim - 1, tdim)
    fine.topology.create_connectivity(tdim, tdim - 1)
    # the parent arrays follow the refined cells' input order: the owned fine cell i is row
    # original_cell_index[i] - (the rank's first input index); the ghosts follow by scatter
    imap = fine.topology.index_map(tdim)
    n = imap.size_local
    row = np.asarray(fine.topology.original_cell_index[:n], dtype=np.int64) - imap.local_range[0]
    if n and (row.min() < 0 or row.max() >= parent_cell.size):
        raise RuntimeError("dolfinx.mesh.refine: the refined cells' input numbering is not the "
                           "rank's own range (a redistributing partitioner?)")
    parents = parent_cell[row]
    cell_values = _local_values(cm.cell_tags, msh.topology.index_map(tdim))[parents]
    cell_tags = _tags(fine, tdim, np.arange(n, dtype=np.int32), cell_values)
    # each owned fine cell's facets on a facet of its parent (local index >= 0) take its tag
    coarse = _local_values(cm.facet_tags, msh.topology.index_map(tdim - 1))
    c2f = _cell_facets(msh)[parents]
    local = parent_facet.reshape(parent_cell.size, -1)[row].astype(np.int64)
    on_parent = local >= 0
    rows = np.nonzero(on_parent)[0]
    values = coarse[c2f[rows, local[on_parent]]]
    facets = _cell_facets(fine)[:n][on_parent]
    facet_tags = _tags(fine, tdim - 1, facets, values)
    cell_tags.name, facet_tags.name = cm.cell_tags.name, cm.facet_tags.name
    return CellMesh(fine, cell_tags, facet_tags, dict(cm.groups), cm.dimension)


def _local_values(tags: dolfinx.mesh.MeshTags, imap) -> np.ndarray:
    """The tag of every local entity (owned and ghost), -1 where untagged."""
    out = np.full(imap.size_local + imap.num_ghosts, -1, dtype=np.int64)
    out[tags.indices] = tags.values
    return out


def _cell_facets(msh: dolfinx.mesh.Mesh) -> np.ndarray:
    """(local cells, facets per cell): each cell's facets in its local facet order."""
    tdim = msh.topology.dim
    c2f = msh.topology.connectivity(tdim, tdim - 1)
    return c2f.array.reshape(-1, tdim + 1)  # simplices: tdim + 1 facets per cell


def _tags(msh: dolfinx.mesh.Mesh, dim: int, entities: np.ndarray,
          values: np.ndarray) -> dolfinx.mesh.MeshTags:
    """MeshTags of ``dim`` from (entity, value) pairs known on some ranks (-1: untagged):
    completed over the ranks that share an entity (a sum of values and of counts sent to the
    owner, then the owner's value to every copy), so owned and ghost entities alike carry
    their tag."""
    imap = msh.topology.index_map(dim)
    total, count = dolfinx.la.vector(imap, 1), dolfinx.la.vector(imap, 1)
    total.array[:] = 0.0
    count.array[:] = 0.0
    keep = values >= 0
    e, v = np.unique(np.stack([entities[keep], values[keep]]), axis=1)
    total.array[e] = v
    count.array[e] = 1.0
    for vec in (total, count):
        vec.scatter_reverse(dolfinx.la.InsertMode.add)
    has = count.array[:imap.size_local] > 0
    total.array[:imap.size_local][has] /= count.array[:imap.size_local][has]
    count.array[:imap.size_local] = has
    for vec in (total, count):
        vec.scatter_forward()
    idx = np.flatnonzero(count.array > 0).astype(np.int32)
    return dolfinx.mesh.meshtags(msh, dim, idx, np.rint(total.array[idx]).astype(np.int32))


def _snap_to_cylinders(cm: CellMesh, radii: np.ndarray) -> None:
    """Move the geometry nodes of the "outer" facets radially onto the nearest radius. A node
    is marked on every rank that has one of its outer facets and the mark is summed over the
    ranks that share the node, so owners and ghosts move it alike."""
    msh = cm.mesh
    fdim = msh.topology.dim - 1
    nodes = dolfinx.mesh.entities_to_geometry(msh, fdim, cm.facets("outer")).reshape(-1)
    imap = msh.geometry.index_map()
    mark = dolfinx.la.vector(imap, 1)
    mark.array[:] = 0.0
    mark.array[np.unique(nodes)] = 1.0
    mark.scatter_reverse(dolfinx.la.InsertMode.add)
    mark.scatter_forward()
    on = np.flatnonzero(mark.array > 0)
    x = msh.geometry.x
    r = np.hypot(x[on, 0], x[on, 1])
    target = radii[np.abs(r[:, None] - radii[None, :]).argmin(axis=1)]
    x[on, :2] *= (target / r)[:, None]  # (no vertex of the cylinder is on the axis)
