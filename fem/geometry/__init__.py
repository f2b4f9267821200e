"""Cell geometries: gmsh models of the stacks, loaded in parallel with named regions."""

from fem.geometry.mesh import CellMesh
from fem.geometry.stack import build_stack_mesh

__all__ = ["CellMesh", "build_stack_mesh"]
