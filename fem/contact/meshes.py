"""Small graded gmsh meshes for the contact and constriction verification problems.

Geometry is built on rank 0 in micrometres (:data:`fem.geometry.mesh.MODEL_UNIT`), meshed with
a background size ``min(size_max, size_min + grading * d)``, where ``d`` is the distance from the
feature that needs resolution (the contact face, or the edge of a conducting spot), scaled to
metres and distributed (:func:`fem.geometry.mesh.mesh_on_rank0`).

* :func:`block_mesh`: the body of a contact problem, ``[0, Lx] (x [0, Ly]) x [0, thickness]``,
  with the contact face at the bottom (z = 0). Groups: ``body``; facets ``contact``, ``top``,
  ``left`` / ``right`` (x = 0 / Lx) and in 3D ``front`` / ``back`` (y = 0 / Ly).
* :func:`hex_block_mesh`: the same 3D block as a structured mesh of trilinear hexahedra (the 3D
  patch run: quadrilateral contact faces have a positive nodal (trapezoidal / GLL) rule, and
  hexahedra with selectively reduced integration do not lock under incompressible creep).
  Uniform in x and y, graded in z with the same size law; same group names.
* :func:`spot_disc_mesh`: axisymmetric (r, z) quarter disc ``r^2 + z^2 <= L^2, z >= 0`` for one
  conducting spot ``r <= a`` on the face z = 0. Facets ``spot``, ``insulated``, ``far`` (the arc)
  and ``axis``.
* :func:`flux_tube_mesh`: axisymmetric unit cell ``[0, b] x [0, height]`` of a periodic spot array
  (flux-tube approximation). Facets ``spot`` (z = 0, r <= a), ``insulated`` (z = 0, r > a),
  ``far`` (z = height), ``axis`` (r = 0) and ``side`` (r = b).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.geometry.mesh import MODEL_UNIT, CellMesh, mesh_on_rank0, scale_to_si

#: Bounding-box tolerance (model units, um) for classifying OCC entities.
_TOL = 1e-3


def _size_field(distance: str, size_min: float, size_max: float, grading: float) -> None:
    """Background size ``min(size_max, size_min + grading * distance)`` (model units)."""
    import gmsh

    fld = gmsh.model.mesh.field
    f = fld.add("MathEval")
    fld.setString(f, "F", f"min({size_max!r}, {size_min!r} + {grading!r}*({distance}))")
    fld.setAsBackgroundMesh(f)
    for key in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{key}", 0)


def _in_box(dim: int, lo: Sequence[float], hi: Sequence[float]) -> list[int]:
    import gmsh

    return [t for _, t in gmsh.model.getEntitiesInBoundingBox(
        lo[0] - _TOL, lo[1] - _TOL, lo[2] - _TOL, hi[0] + _TOL, hi[1] + _TOL, hi[2] + _TOL, dim)]


def block_mesh(comm: MPI.Comm, widths: Sequence[float], thickness: float, size_surface: float,
               size_max: float, grading: float = 0.3, degree: int = 1,
               fine_width: float | None = None) -> CellMesh:
    """The block ``[0, Lx] (x [0, Ly]) x [0, thickness]`` (metres), refined towards z = 0.

    ``widths`` is ``(Lx,)`` (2D plane, coordinates (x, z)) or ``(Lx, Ly)`` (3D). The element size
    is ``size_surface`` on the contact face (only on its part x <= ``fine_width`` if given) and
    grows by ``grading`` per unit distance up to ``size_max``. ``degree`` is the geometry order
    (straight-sided blocks need 1).
    """
    import gmsh

    u = MODEL_UNIT
    gdim = len(widths) + 1
    w = [x / u for x in widths]
    t = thickness / u

    def build() -> None:
        occ = gmsh.model.occ
        if gdim == 2:
            occ.addRectangle(0.0, 0.0, 0.0, w[0], t)
            top3 = (w[0], t, 0.0)
        else:
            occ.addBox(0.0, 0.0, 0.0, w[0], w[1], t)
            top3 = (w[0], w[1], t)
        occ.synchronize()
        fdim = gdim - 1
        z = gdim - 1  # index of the normal axis

        def face(axis: int, value: float) -> list[int]:
            lo, hi = [0.0, 0.0, 0.0], list(top3)
            lo[axis] = hi[axis] = value
            return _in_box(fdim, lo, hi)

        gmsh.model.addPhysicalGroup(gdim, [e for _, e in gmsh.model.getEntities(gdim)], 1, name="body")
        names = {"contact": (z, 0.0), "top": (z, top3[z]), "left": (0, 0.0), "right": (0, w[0])}
        if gdim == 3:
            names |= {"front": (1, 0.0), "back": (1, w[1])}
        for i, (name, (axis, value)) in enumerate(names.items()):
            gmsh.model.addPhysicalGroup(fdim, face(axis, value), 11 + i, name=name)
        var = "y" if gdim == 2 else "z"
        if fine_width is not None:
            dx = f"(x-{fine_width / u!r})"
            var = f"sqrt((({dx})+abs({dx}))^2/4+{var}^2)"
        _size_field(var, size_surface / u, size_max / u, grading)
        gmsh.model.mesh.generate(gdim)
        if degree > 1:
            gmsh.model.mesh.setOrder(degree)
        scale_to_si()

    return mesh_on_rank0(build, comm, gdim, "plane" if gdim == 2 else "3d", name="contact_block")


def graded_levels(thickness: float, size_surface: float, size_max: float,
                  grading: float) -> np.ndarray:
    """Node heights ``0 = z_0 < ... < z_n = thickness`` whose spacing follows the size law
    ``h(z) = min(size_max, size_surface + grading * z)``, rescaled to end on ``thickness``."""
    z = [0.0]
    while z[-1] < thickness:
        z.append(z[-1] + min(size_max, size_surface + grading * z[-1]))
    levels = np.asarray(z)
    if len(levels) > 2 and (levels[-1] - thickness) > 0.5 * (levels[-1] - levels[-2]):
        levels = levels[:-1]  # nearer to end one level early and stretch
    return levels * (thickness / levels[-1])


def hex_block_mesh(comm: MPI.Comm, widths: Sequence[float], thickness: float,
                   size_surface: float, size_max: float, grading: float = 0.3) -> CellMesh:
    """The block ``[0, Lx] x [0, Ly] x [0, thickness]`` (metres) as trilinear hexahedra.

    ``ceil(L / size_surface)`` cells across each width (so the contact-face nodes form a regular
    grid), z levels from :func:`graded_levels`. Ghosted by shared facet like the gmsh meshes.
    """
    lx, ly = widths
    n = [max(1, math.ceil(w / size_surface * (1 - 1e-9))) for w in (lx, ly)]
    levels = graded_levels(thickness, size_surface, size_max, grading)
    nz = len(levels) - 1
    msh = dolfinx.mesh.create_box(comm, [[0.0, 0.0, 0.0], [lx, ly, thickness]], [*n, nz],
                                  dolfinx.mesh.CellType.hexahedron,
                                  ghost_mode=dolfinx.mesh.GhostMode.shared_facet)
    x = msh.geometry.x
    k = x[:, 2] / thickness * nz  # uniform level index of each node
    x[:, 2] = np.interp(k, np.arange(nz + 1), levels)
    tdim = 3
    fdim = tdim - 1
    planes = {"contact": (2, 0.0), "top": (2, thickness), "left": (0, 0.0), "right": (0, lx),
              "front": (1, 0.0), "back": (1, ly)}
    tol = 1e-9 * min(lx, ly, thickness)
    groups, facets, values = {"body": (tdim, 1)}, [], []
    for i, (name, (axis, value)) in enumerate(planes.items()):
        f = dolfinx.mesh.locate_entities_boundary(
            msh, fdim, lambda p, a=axis, v=value: np.abs(p[a] - v) < tol)
        groups[name] = (fdim, 11 + i)
        facets.append(f)
        values.append(np.full(len(f), 11 + i, dtype=np.int32))
    f = np.concatenate(facets)
    order = np.argsort(f, kind="stable")
    facet_tags = dolfinx.mesh.meshtags(msh, fdim, f[order], np.concatenate(values)[order])
    facet_tags.name = "facet_tags"
    ncells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    cells = np.arange(ncells, dtype=np.int32)
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, cells, np.ones(ncells, dtype=np.int32))
    cell_tags.name = "cell_tags"
    msh.topology.create_connectivity(fdim, tdim)
    return CellMesh(msh, cell_tags, facet_tags, groups, "3d")


def _axisymmetric(comm: MPI.Comm, build_geometry, edge_r: float, size_edge: float, size_max: float,
                  grading: float) -> CellMesh:
    """Mesh a (r, z) section built by ``build_geometry`` (geo kernel, model units), refined
    towards the spot edge (edge_r, 0)."""
    import gmsh

    def build() -> None:
        build_geometry(gmsh.model.geo)
        gmsh.model.geo.synchronize()
        _size_field(f"sqrt((x-{edge_r!r})^2+y^2)", size_edge, size_max, grading)
        gmsh.model.mesh.generate(2)
        scale_to_si()

    return mesh_on_rank0(build, comm, 2, "axisymmetric", name="spreading")


def spot_disc_mesh(comm: MPI.Comm, a: float, radius: float, size_edge: float, size_max: float,
                   grading: float = 0.25) -> CellMesh:
    """Quarter disc of ``radius`` around one spot of radius ``a`` (axisymmetric, metres)."""
    import gmsh

    u = MODEL_UNIT
    A, L = a / u, radius / u

    def geometry(geo) -> None:
        p0, pa, pl, pt = (geo.addPoint(0, 0, 0), geo.addPoint(A, 0, 0), geo.addPoint(L, 0, 0),
                          geo.addPoint(0, L, 0))
        spot, ins = geo.addLine(p0, pa), geo.addLine(pa, pl)
        arc, axis = geo.addCircleArc(pl, p0, pt), geo.addLine(pt, p0)
        s = geo.addPlaneSurface([geo.addCurveLoop([spot, ins, arc, axis])])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(2, [s], 1, name="body")
        for i, (name, c) in enumerate({"spot": spot, "insulated": ins, "far": arc, "axis": axis}.items()):
            gmsh.model.addPhysicalGroup(1, [c], 11 + i, name=name)

    return _axisymmetric(comm, geometry, A, size_edge / u, size_max / u, grading)


def flux_tube_mesh(comm: MPI.Comm, a: float, b: float, height: float, size_edge: float,
                   size_max: float, grading: float = 0.25) -> CellMesh:
    """Cylindrical unit cell (radius ``b``, ``height``) with a spot of radius ``a`` (metres)."""
    import gmsh

    u = MODEL_UNIT
    A, B, H = a / u, b / u, height / u

    def geometry(geo) -> None:
        p = [geo.addPoint(0, 0, 0), geo.addPoint(A, 0, 0), geo.addPoint(B, 0, 0),
             geo.addPoint(B, H, 0), geo.addPoint(0, H, 0)]
        lines = [geo.addLine(p[i], p[(i + 1) % 5]) for i in range(5)]
        s = geo.addPlaneSurface([geo.addCurveLoop(lines)])
        geo.synchronize()
        gmsh.model.addPhysicalGroup(2, [s], 1, name="body")
        names = ["spot", "insulated", "side", "far", "axis"]
        for i, (name, c) in enumerate(zip(names, lines, strict=True)):
            gmsh.model.addPhysicalGroup(1, [c], 11 + i, name=name)

    return _axisymmetric(comm, geometry, A, size_edge / u, size_max / u, grading)
