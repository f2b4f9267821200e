"""Interface patches for micro-scale studies: flat Li on a rough Li6PS5Cl surface, periodic.

The patch is a periodic plane strip (``patch.dimension = "2d"``, coordinates (x, z)) or a square
patch (``"3d"``, (x, y, z)) of side ``patch.width``. The separator fills
``-separator_thickness <= z <= s(x[, y])``, where ``s`` is the smooth interpolant
(:class:`fem.geometry.roughness.SplineSurface`) of the roughness height map (mean plane z = 0),
minus optional surface pores (flat-bottomed cylinders, in 2D slots, of ``pores.radius`` reaching
``pores.depth`` below the mean plane). The Li is a flat-bottomed slab
``z_li <= z <= z_li + li_thickness`` with ``z_li = max(s) + gap``: with ``gap = 0`` it rests on
the highest asperity. The two bodies are separate (not merged): where they do not touch, the gap
is left open, and they share no nodes.

Physical groups: volumes named as the cell layers they stand for (``patch.separator_layer``,
``patch.li_layer``, e.g. ``separator`` and ``li_top``); facets ``bottom`` (separator bottom),
``top`` (Li top), ``<separator>_contact`` (the rough surface with the pore walls),
``<li>_contact`` (the Li bottom), ``periodic_left`` / ``periodic_right`` (x = 0 / x = width, both
bodies) and in 3D ``periodic_front`` / ``periodic_back`` (y = 0 / y = width). The mesh is
periodic: gmsh copies the left (front) side mesh onto the right (back) side by translation.

Mesh sizes: ``mesh.size_min`` in the contact zone (from the lowest valley to the Li bottom) and
around the pores, growing by ``mesh.grading`` per unit distance up to ``mesh.size_max``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fem._dolfinx import MPI
from fem.errors import CaseError
from fem.geometry.mesh import MODEL_UNIT, CellMesh, mesh_on_rank0
from fem.geometry.roughness import (
    HeightMap,
    SplineSurface,
    read_height_map,
    self_affine,
    sinusoid,
)
from fem.geometry.stack import _relu, generate, set_size_fields

if TYPE_CHECKING:
    from fem.case.model import Case, PatchSettings

#: Facet group names of a patch that do not come from layer names.
FIXED_FACET_NAMES = ("bottom", "top", "periodic_left", "periodic_right", "periodic_front",
                     "periodic_back")


def height_map(patch: PatchSettings) -> HeightMap:
    """The roughness height map of a patch in metres (pure numpy, the same on every rank)."""
    r = patch.roughness
    ndim = 1 if patch.dimension == "2d" else 2
    try:
        if r.type == "flat":
            shape = (r.points,) * ndim
            return HeightMap(np.zeros(shape), patch.width)
        if r.type == "sinusoid":
            return sinusoid(patch.width, r.amplitude, r.wavelength, r.points, ndim)
        if r.type == "self_affine":
            return self_affine(patch.width, r.rms, r.correlation_length, r.hurst, r.seed,
                               r.points, ndim)
        if r.type == "file":
            return read_height_map(r.file, patch.width, r.height_scale, ndim)
    except (ValueError, OSError) as exc:
        key = {"sinusoid": "wavelength", "self_affine": "correlation_length"}.get(r.type, "file")
        value = r.file if key == "file" else getattr(r, key)
        raise CaseError(f"patch.roughness.{key}", value, str(exc)) from None
    raise CaseError("patch.roughness.type", r.type, "unknown roughness type")


@dataclass(frozen=True)
class PatchLayout:
    """The patch geometry in metres (what :func:`build_patch_mesh` meshes)."""

    dimension: str  # "2d" or "3d"
    width: float
    separator: str  # volume names
    li: str
    separator_bottom: float  # z of the separator bottom (negative)
    li_bottom: float  # z of the flat Li bottom
    li_top: float
    surface_min: float
    surface_max: float
    pore_radius: float
    pore_depth: float
    pore_centres: tuple[tuple[float, ...], ...]
    size_min: float
    size_max: float
    grading: float
    geometry_order: int

    @property
    def tdim(self) -> int:
        return 2 if self.dimension == "2d" else 3

    def volume_names(self) -> list[str]:
        return [self.separator, self.li]

    def facet_names(self) -> list[str]:
        """Every facet group name of this patch (the order groups are created in)."""
        names = ["bottom", "top", f"{self.separator}_contact", f"{self.li}_contact",
                 "periodic_left", "periodic_right"]
        if self.dimension == "3d":
            names += ["periodic_front", "periodic_back"]
        return names


def patch_layout(case: Case) -> tuple[PatchLayout, SplineSurface]:
    """Check the case's patch and return its layout and surface interpolant (any rank)."""
    p = case.patch
    if p is None:
        raise CaseError("patch", None, "the case has no [patch] section")
    surf = SplineSurface(height_map(p))
    s_min, s_max = surf.minimum(), surf.maximum()
    if p.pores is not None:
        pr, pd, centres = p.pores.radius, p.pores.depth, tuple(tuple(c) for c in p.pores.positions)
    else:
        pr, pd, centres = 0.0, 0.0, ()
    if s_min <= -p.separator_thickness:
        raise CaseError("patch.separator_thickness", p.separator_thickness,
                        f"must exceed the deepest valley ({-s_min:.3g} m below the mean plane)")
    layout = PatchLayout(p.dimension, p.width, p.separator_layer, p.li_layer,
                         -p.separator_thickness, s_max + p.gap, s_max + p.gap + p.li_thickness,
                         s_min, s_max, pr, pd, centres, case.mesh.size_min, case.mesh.size_max,
                         case.mesh.grading, case.mesh.geometry_order)
    return layout, surf


# ---------------------------------------------------------------------------------------------
# gmsh model (rank 0)


def _separator_shape(lay: PatchLayout, surf: SplineSurface) -> tuple[int, int]:
    """The separator body (model units) below the spline surface, before the pores."""
    import gmsh

    occ = gmsh.model.occ
    u = MODEL_UNIT
    w, zb = lay.width / u, lay.separator_bottom / u
    cx = surf.control_x / u
    c = surf.control / u
    kx, mx = surf.knots_x
    if lay.dimension == "2d":
        ctrl = [occ.addPoint(x, z, 0.0) for x, z in zip(cx, c, strict=True)]
        top = occ.addBSpline(ctrl, degree=3, knots=kx, multiplicities=mx)
        p0, p1 = occ.addPoint(0.0, zb, 0.0), occ.addPoint(w, zb, 0.0)
        lines = [occ.addLine(p0, p1), occ.addLine(p1, ctrl[-1]), top, occ.addLine(ctrl[0], p0)]
        loop = occ.addCurveLoop(lines)
        sep = occ.addPlaneSurface([loop])
        occ.remove([(0, t) for t in ctrl[1:-1]])
        return (2, sep)
    cy = surf.control_y / u
    ky, my = surf.knots_y
    ctrl = [occ.addPoint(cx[i], cy[j], c[j, i]) for j in range(len(cy)) for i in range(len(cx))]
    top = occ.addBSplineSurface(ctrl, len(cx), degreeU=3, degreeV=3, knotsU=kx, knotsV=ky,
                                multiplicitiesU=mx, multiplicitiesV=my)
    occ.remove([(0, t) for t in ctrl])
    height = (lay.li_bottom - lay.separator_bottom) / u + w
    box = occ.addBox(0.0, 0.0, zb, w, w, height)
    _, omap = occ.fragment([(3, box)], [(2, top)])
    vols = [dt for dt in omap[0] if dt[0] == 3]
    zc = [occ.getCenterOfMass(*v)[2] for v in vols]
    if len(vols) != 2:
        raise RuntimeError(f"the rough surface split the box into {len(vols)} volumes, not 2")
    sep = vols[int(np.argmin(zc))]
    occ.remove([v for v in vols if v != sep] + [(2, top)], recursive=True)
    return sep


def _pore_shapes(lay: PatchLayout) -> list[tuple[int, int]]:
    import gmsh

    occ = gmsh.model.occ
    u = MODEL_UNIT
    r, z0 = lay.pore_radius / u, -lay.pore_depth / u
    h = lay.surface_max / u - z0 + 1.0  # a tool: reaches above the highest asperity
    out = []
    for c in lay.pore_centres:
        if lay.dimension == "2d":
            out.append((2, occ.addRectangle(c[0] / u - r, z0, 0.0, 2 * r, h)))
        else:
            out.append((3, occ.addCylinder(c[0] / u, c[1] / u, z0, 0.0, 0.0, h, r)))
    return out


def _patch_model(lay: PatchLayout, surf: SplineSurface) -> None:
    """Build, tag, make periodic and mesh the patch in the current gmsh model (rank 0)."""
    import gmsh

    occ = gmsh.model.occ
    u = MODEL_UNIT
    tdim = lay.tdim
    zi = tdim - 1
    w = lay.width / u
    sep = _separator_shape(lay, surf)
    if lay.pore_centres:
        out, _ = occ.cut([sep], _pore_shapes(lay))
        if len(out) != 1:
            raise RuntimeError(f"cutting the pores left {len(out)} separator pieces")
        sep = out[0]
    zl, zt = lay.li_bottom / u, lay.li_top / u
    if tdim == 2:
        li = (2, occ.addRectangle(0.0, zl, 0.0, w, zt - zl))
    else:
        li = (3, occ.addBox(0.0, 0.0, zl, w, w, zt - zl))
    occ.synchronize()

    tol = 1e-6 * max(w, zt - lay.separator_bottom / u)
    groups: dict[str, list[int]] = {n: [] for n in lay.facet_names()}
    sides: dict[tuple[int, str], int] = {}  # (body, side) -> facet
    for body, name in ((sep, lay.separator), (li, lay.li)):
        for _, f in gmsh.model.getBoundary([body], oriented=False):
            box = gmsh.model.getBoundingBox(tdim - 1, f)
            lo, hi = box[:3], box[3:]
            side = None
            if hi[0] < tol:
                side = "periodic_left"
            elif lo[0] > w - tol:
                side = "periodic_right"
            elif tdim == 3 and hi[1] < tol:
                side = "periodic_front"
            elif tdim == 3 and lo[1] > w - tol:
                side = "periodic_back"
            if side is not None:
                sides[(body[1], side)] = f
                groups[side].append(f)
            elif body is sep:
                flat_bottom = hi[zi] < lay.separator_bottom / u + tol
                groups["bottom" if flat_bottom else f"{name}_contact"].append(f)
            else:
                groups["top" if lo[zi] > zt - tol else f"{name}_contact"].append(f)
    gmsh.model.addPhysicalGroup(tdim, [sep[1]], name=lay.separator)
    gmsh.model.addPhysicalGroup(tdim, [li[1]], name=lay.li)
    for name, tags in groups.items():
        if not tags:
            raise RuntimeError(f"patch facet group {name!r} came out empty")
        gmsh.model.addPhysicalGroup(tdim - 1, sorted(tags), name=name)

    pairs = [("periodic_right", "periodic_left", (w, 0.0, 0.0))]
    if tdim == 3:
        pairs.append(("periodic_back", "periodic_front", (0.0, w, 0.0)))
    for body in (sep, li):
        for slave, master, (dx, dy, dz) in pairs:
            affine = [1, 0, 0, dx, 0, 1, 0, dy, 0, 0, 1, dz, 0, 0, 0, 1]
            gmsh.model.mesh.setPeriodic(tdim - 1, [sides[(body[1], slave)]],
                                        [sides[(body[1], master)]], affine)

    zc = "y" if tdim == 2 else "z"
    zlo, zhi = lay.surface_min / u, lay.li_bottom / u
    regions = [f"{_relu(f'{zlo!r}-{zc}')}+{_relu(f'{zc}-{zhi!r}')}"]
    r, zp = lay.pore_radius / u, -lay.pore_depth / u
    for c in lay.pore_centres:
        if tdim == 2:
            rho = f"abs(x-{c[0] / u!r})"
        else:
            rho = f"sqrt((x-{c[0] / u!r})^2+(y-{c[1] / u!r})^2)"
        dz = f"{_relu(f'{zp!r}-{zc}')}+{_relu(f'{zc}-{zhi!r}')}"
        regions.append(f"sqrt(({_relu(f'{rho}-{r!r}')})^2+({dz})^2)")
    set_size_fields(regions, lay.size_min / u, lay.size_max / u, lay.grading)
    generate(tdim, lay.geometry_order)


def build_patch_mesh(case: Case, comm: MPI.Comm, msh_path: Path | None = None) -> CellMesh:
    """Collective: the case's periodic interface patch as a distributed mesh with named regions.

    A plane (x, z) strip (``CellMesh.dimension = "plane"``) or a 3D square patch, generated with
    gmsh on rank 0; writes the .msh to ``msh_path`` if given.
    """
    lay, surf = patch_layout(case)
    dimension = "plane" if lay.dimension == "2d" else "3d"
    return mesh_on_rank0(lambda: _patch_model(lay, surf), comm, lay.tdim, dimension,
                         case.name, msh_path)
