"""The mesh the cell's charge conservation is solved on: the separator and cathode cells of the
stack mesh as a submesh of their own, tagged for
:class:`~fem.electrochemistry.potential.ChargeConservation`.

On the submesh the Li (or Li_xSi) | separator interface is a boundary: its flat top face
(facet tag 1, group "li_interface"); the bottom face (tag 2) is the current collector under the
cathode ("collector"), or the counter Li under the separator of a symmetric cell ("counter").
The submesh cells map to the parent (stack-mesh) cells both ways, so that fields pass between
the two meshes cell by cell.
"""

from __future__ import annotations

import numpy as np

from fem._dolfinx import dolfinx
from fem.electrochemistry.settings import ElectrochemistrySettings


class EchemSubmesh:
    """Separator and cathode cells of a :class:`fem.geometry.mesh.CellMesh` (module docstring).

    Attributes: ``mesh`` (the submesh), ``parent_of`` (submesh cell -> parent cell, owned and
    ghost cells), ``sub_of`` (parent cell -> submesh cell or -1), ``cell_tags`` / ``facet_tags``
    and ``groups`` (region name -> tag, for ChargeConservation), ``iface_cells`` /
    ``iface_x`` (the working electrode's parent cells on the separator and their midpoints
    (3, n): where the local interface current is written as a field).
    """

    def __init__(self, cm, settings: ElectrochemistrySettings):
        msh = cm.mesh
        tdim = msh.topology.dim
        self.axisymmetric = cm.axisymmetric
        self.iz = 1 if cm.axisymmetric else 2
        s = settings
        names = [s.separator.layer.name] + ([s.cathode.layer.name] if s.cathode else [])
        parent_cells = np.unique(np.concatenate([cm.cells(n) for n in names])).astype(np.int32)
        nloc = msh.topology.index_map(tdim).size_local
        sub, emap, _, _ = dolfinx.mesh.create_submesh(msh, tdim, parent_cells[parent_cells < nloc])
        self.mesh = sub
        nsub = sub.topology.index_map(tdim).size_local + sub.topology.index_map(tdim).num_ghosts
        self.parent_of = np.asarray(emap.sub_topology_to_topology(np.arange(nsub, dtype=np.int32),
                                                                  False), dtype=np.int32)
        npar = nloc + msh.topology.index_map(tdim).num_ghosts
        self.sub_of = np.full(npar, -1, dtype=np.int32)  # parent cell -> submesh cell (or -1)
        self.sub_of[self.parent_of] = np.arange(nsub, dtype=np.int32)
        self.iface_cells, self.iface_x = self._interface_cells(cm, settings)
        self.cell_tags, self.groups = self._cell_tags(cm, names, settings)
        self.facet_tags, facet_groups = self._facet_tags(settings)
        self.groups.update(facet_groups)

    def radius(self, x: np.ndarray) -> np.ndarray:
        """Distance from the cell axis of points ``x`` (first axis: the coordinates)."""
        return x[0] if self.axisymmetric else np.hypot(x[0], x[1])

    def _interface_cells(self, cm, settings) -> tuple[np.ndarray, np.ndarray]:
        upper, sep = settings.upper.name, settings.separator.layer.name
        cells = np.unique(cm.interface_cells(upper, sep)[1])
        tdim = cm.mesh.topology.dim
        return cells, dolfinx.mesh.compute_midpoints(cm.mesh, tdim, cells).T

    def _cell_tags(self, cm, names, settings) -> tuple[dolfinx.mesh.MeshTags, dict]:
        """The parent's cell tags of the separator (and cathode) on the submesh."""
        tdim = self.mesh.topology.dim
        parent_tags = np.zeros(cm.mesh.topology.index_map(tdim).size_local
                               + cm.mesh.topology.index_map(tdim).num_ghosts, dtype=np.int32)
        for n in names:
            parent_tags[cm.cells(n)] = cm.tag(n)
        values = parent_tags[self.parent_of]
        idx = np.arange(len(values), dtype=np.int32)
        tags = dolfinx.mesh.meshtags(self.mesh, tdim, idx, values)
        groups = {"separator": cm.tag(settings.separator.layer.name)}
        if settings.cathode is not None:
            groups["cathode"] = cm.tag(settings.cathode.layer.name)
        return tags, groups

    def _facet_tags(self, settings) -> tuple[dolfinx.mesh.MeshTags, dict]:
        """Tag the submesh's flat boundary faces: the Li (or Li_xSi) interface on top of the
        separator, the collector under the cathode or the counter Li under the separator."""
        sub, iz = self.mesh, self.iz
        tdim = sub.topology.dim
        sub.topology.create_connectivity(tdim - 1, tdim)
        tol = 1e-6 * settings.cell_height

        def at(z, radius):
            def where(x):
                return (np.abs(x[iz] - z) < tol) & (self.radius(x) <= radius * (1 + 1e-9))
            return dolfinx.mesh.locate_entities_boundary(sub, tdim - 1, where)

        upper, lower, sep = settings.upper, settings.lower, settings.separator.layer
        top = sep.z1
        bottom = lower.z0 if settings.cathode is not None else sep.z0
        f_top, f_bot = at(top, upper.radius), at(bottom, lower.radius)
        idx = np.concatenate([f_top, f_bot]).astype(np.int32)
        val = np.concatenate([np.full(len(f_top), 1), np.full(len(f_bot), 2)]).astype(np.int32)
        order = np.argsort(idx)
        tags = dolfinx.mesh.meshtags(sub, tdim - 1, idx[order], val[order])
        groups = {"li_interface": 1,
                  ("collector" if settings.cathode is not None else "counter"): 2}
        return tags, groups
