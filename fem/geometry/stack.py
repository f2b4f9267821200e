"""Layered cell stacks as gmsh models: the 2D axisymmetric (r, z) section.

Layers are stacked bottom to top from the case (:class:`fem.case.model.Layer`). Physical groups:
one volume per layer (named as the layer), the boundaries ``bottom``, ``top``, ``axis``,
``outer`` and one interface per pair of neighbouring layers, ``<lower>_<upper>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fem._dolfinx import MPI

if TYPE_CHECKING:
    from fem.case.model import Case

from fem.geometry.mesh import CellMesh, from_gmsh_model


def _axisymmetric_model(case: Case):
    """Build the (r, z) section of the stack in gmsh (rank 0 only); returns the gmsh model."""
    import gmsh

    cell = case.cell
    R = cell.radius
    geo = gmsh.model.geo
    z = [layer.z0 for layer in cell.layers] + [cell.layers[-1].z1]
    h_min, h_max = case.mesh.size_min, case.mesh.size_max
    pts_axis = [geo.addPoint(0.0, zi, 0.0, h_min) for zi in z]
    pts_out = [geo.addPoint(R, zi, 0.0, h_min) for zi in z]
    horiz = [geo.addLine(pts_axis[i], pts_out[i]) for i in range(len(z))]
    axis = [geo.addLine(pts_axis[i + 1], pts_axis[i]) for i in range(len(z) - 1)]
    outer = [geo.addLine(pts_out[i], pts_out[i + 1]) for i in range(len(z) - 1)]
    surfaces = []
    for i in range(len(z) - 1):
        loop = geo.addCurveLoop([horiz[i], outer[i], -horiz[i + 1], axis[i]])
        surfaces.append(geo.addPlaneSurface([loop]))
    geo.synchronize()
    for i, layer in enumerate(cell.layers):
        gmsh.model.addPhysicalGroup(2, [surfaces[i]], name=layer.name)
    gmsh.model.addPhysicalGroup(1, [horiz[0]], name="bottom")
    gmsh.model.addPhysicalGroup(1, [horiz[-1]], name="top")
    gmsh.model.addPhysicalGroup(1, axis, name="axis")
    gmsh.model.addPhysicalGroup(1, outer, name="outer")
    for i in range(1, len(z) - 1):
        lo, up = cell.layers[i - 1].name, cell.layers[i].name
        gmsh.model.addPhysicalGroup(1, [horiz[i]], name=f"{lo}_{up}")
    # graded sizes: fine at interfaces (points carry h_min), coarse inside, capped by h_max
    gmsh.option.setNumber("Mesh.MeshSizeMin", h_min)
    gmsh.option.setNumber("Mesh.MeshSizeMax", h_max)
    gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 1)
    gmsh.model.mesh.generate(2)
    return gmsh.model


def build_stack_mesh(case: Case, comm: MPI.Comm) -> CellMesh:
    """Generate the case's stack with gmsh on rank 0 and distribute it over ``comm``."""
    import gmsh

    if case.mesh.dimension != "axisymmetric":
        from fem.errors import CaseError

        raise CaseError("mesh.dimension", case.mesh.dimension, "only 'axisymmetric' is available yet")
    model = None
    if comm.rank == 0:
        gmsh.initialize(interruptible=False)
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add(case.name)
        model = _axisymmetric_model(case)
    try:
        return from_gmsh_model(model, comm, gdim=2, dimension="axisymmetric")
    finally:
        if comm.rank == 0:
            gmsh.finalize()
