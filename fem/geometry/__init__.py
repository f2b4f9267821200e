"""Cell geometries: gmsh models of the stacks and interface patches, loaded in parallel with
named regions.

* :func:`build_mesh` (any case), :func:`build_stack_mesh` (2D axisymmetric or 3D cell stack),
  :func:`build_patch_mesh` (periodic Li | rough separator patch, 2D or 3D);
* :func:`write_mesh`, :func:`load_or_build_mesh`, :func:`geometry_hash`: .msh / XDMF files and
  the mesh cache;
* :func:`mesh_quality`: element counts and shape measures;
* :mod:`fem.geometry.roughness`: rough-surface generation and statistics.
"""

from fem.geometry.files import (
    MeshFiles,
    build_mesh,
    geometry_hash,
    load_or_build_mesh,
    mesh_dimension,
    write_mesh,
)
from fem.geometry.mesh import CellMesh
from fem.geometry.patch import build_patch_mesh
from fem.geometry.quality import format_quality, mesh_quality
from fem.geometry.stack import build_stack_mesh

__all__ = [
    "CellMesh",
    "MeshFiles",
    "build_mesh",
    "build_patch_mesh",
    "build_stack_mesh",
    "format_quality",
    "geometry_hash",
    "load_or_build_mesh",
    "mesh_dimension",
    "mesh_quality",
    "write_mesh",
]
