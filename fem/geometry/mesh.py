"""The mesh of a cell with its named regions, loaded in parallel from a gmsh model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.errors import CaseError


@dataclass
class CellMesh:
    """A dolfinx mesh with cell and facet tags and the gmsh physical-group names.

    ``groups[name] = (dim, tag)``; look regions up by name, never by integer tag.
    ``dimension`` is ``"axisymmetric"`` ((r, z) coordinates) or ``"3d"``.
    """

    mesh: dolfinx.mesh.Mesh
    cell_tags: dolfinx.mesh.MeshTags
    facet_tags: dolfinx.mesh.MeshTags
    groups: dict[str, tuple[int, int]]
    dimension: str

    @property
    def comm(self) -> MPI.Comm:
        return self.mesh.comm

    @property
    def axisymmetric(self) -> bool:
        return self.dimension == "axisymmetric"

    def tag(self, name: str) -> int:
        try:
            return self.groups[name][1]
        except KeyError:
            raise CaseError("mesh group", name, f"not in the mesh; groups: {sorted(self.groups)}") from None

    def has(self, name: str) -> bool:
        return name in self.groups

    def cells(self, name: str) -> np.ndarray:
        """Local cell indices of a named volume."""
        return self.cell_tags.find(self.tag(name))

    def facets(self, name: str) -> np.ndarray:
        """Local facet indices of a named boundary or interface."""
        return self.facet_tags.find(self.tag(name))


def from_gmsh_model(model, comm: MPI.Comm, gdim: int, dimension: str) -> CellMesh:
    """Distribute a gmsh model built on rank 0 (``model`` may be None on other ranks)."""
    from dolfinx.io import gmsh as gmshio

    md = gmshio.model_to_mesh(model, comm, 0, gdim=gdim)
    groups = {name: (pg.dim, pg.tag) for name, pg in md.physical_groups.items()}
    tdim = md.mesh.topology.dim
    md.mesh.topology.create_connectivity(tdim - 1, tdim)
    return CellMesh(md.mesh, md.cell_tags, md.facet_tags, groups, dimension)
