"""Layered cell stacks as gmsh models: the 2D axisymmetric (r, z) section and the 3D cylinder.

Layers are stacked bottom to top from the case (:class:`fem.case.model.Layer`), each a disc of its
own radius (a Li foil may be smaller than the die bore: the space around it is left empty). In 3D
the stack is a full cylinder (``mesh.sector_angle = 360``) or a sector of that angle in degrees
from the x axis (y = 0 plane) counter-clockwise. With a meshed die (``cell.die_meshed``: die
enabled with ``model = "elastic"``; a rigid die is a boundary condition of the mechanics and is
not meshed) the PEEK die wall is a separate body (not merged with the stack) from
``r = R + clearance`` to ``R + clearance + wall_thickness`` over the stack height, so the radial
gap stays open.

Physical groups (look them up by name, :class:`fem.geometry.mesh.CellMesh`):

* volumes: one per layer, named as the layer; ``die``;
* ``bottom``, ``top``: the bottom face of the lowest layer, the top face of the highest;
* ``<lower>_<upper>``: the interface of two neighbouring layers (the disc of the smaller radius);
* ``<layer>_top_free``, ``<layer>_bottom_free``: the part of a layer's top/bottom face not
  covered by its neighbour (the annulus around a smaller neighbour);
* ``outer``: the lateral (cylindrical) faces of all layers;
* ``axis``: r = 0 (2D only);
* ``symmetry_xz`` (y = 0 plane) and ``symmetry_rot`` (the other sector plane), 3D sectors only;
* ``die_inner``, ``die_outer``, ``die_top``, ``die_bottom``: the die's faces.

Mesh sizes: ``mesh.size_min`` on every horizontal face of the stack (interfaces, free faces,
top, bottom; including their rims, where contact edges are), growing linearly with the distance
by ``mesh.grading`` (size per distance) up to ``mesh.size_max``; inside a Li-metal layer at most
its thickness / ``mesh.li_cells``: the creep flow of a foil between sticking faces has its shear
in thin layers at the faces, and its rate converges only with elements through the thickness
(docs/verification.md#li-flow-out-of-a-foil).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fem._dolfinx import MPI
from fem.errors import CaseError
from fem.geometry.mesh import MODEL_UNIT, CellMesh, mesh_on_rank0, scale_to_si

if TYPE_CHECKING:
    from fem.case.model import Case

#: Facet group names that do not come from layer names.
FIXED_FACET_NAMES = ("bottom", "top", "axis", "outer", "symmetry_xz", "symmetry_rot",
                     "die_inner", "die_outer", "die_top", "die_bottom")


@dataclass(frozen=True)
class Body:
    """One axisymmetric body of the stack in metres: a layer disc or the die ring."""

    name: str
    z0: float
    z1: float
    r_in: float
    r_out: float
    is_die: bool = False
    cells_through: int = 0  # > 0: at most thickness / cells_through inside (a Li-metal layer)


@dataclass(frozen=True)
class StackLayout:
    """The validated stack geometry in metres (what :func:`build_stack_mesh` meshes)."""

    bodies: tuple[Body, ...]  # layers bottom to top, then the die if any
    dimension: str  # "axisymmetric" or "3d"
    sector_angle: float  # degrees (3D)
    size_min: float
    size_max: float
    grading: float
    geometry_order: int

    @property
    def layers(self) -> tuple[Body, ...]:
        return tuple(b for b in self.bodies if not b.is_die)

    @property
    def die(self) -> Body | None:
        return next((b for b in self.bodies if b.is_die), None)

    @property
    def full_circle(self) -> bool:
        return self.dimension == "3d" and self.sector_angle >= 360.0 - 1e-9

    def facet_names(self) -> list[str]:
        """Every facet group name this layout produces (the order groups are created in)."""
        layers = self.layers
        names = ["bottom", "top"]
        for lo, up in zip(layers[:-1], layers[1:], strict=True):
            names.append(f"{lo.name}_{up.name}")
            if lo.r_out > up.r_out:
                names.append(f"{lo.name}_top_free")
            elif up.r_out > lo.r_out:
                names.append(f"{up.name}_bottom_free")
        names.append("outer")
        if self.dimension == "axisymmetric":
            names.append("axis")
        elif not self.full_circle:
            names += ["symmetry_xz", "symmetry_rot"]
        if self.die is not None:
            names += ["die_inner", "die_outer", "die_top", "die_bottom"]
        return names


def stack_layout(case: Case) -> StackLayout:
    """Check the case's stack geometry and return it in metres (pure Python, any rank)."""
    cell, m = case.cell, case.mesh
    if m.dimension not in ("axisymmetric", "3d"):
        raise CaseError("mesh.dimension", m.dimension, "allowed values: 'axisymmetric', '3d'")
    if m.dimension == "3d" and not 0.0 < m.sector_angle <= 360.0:
        raise CaseError("mesh.sector_angle", m.sector_angle, "must be in (0, 360] degrees")
    li_cells = int(getattr(m, "li_cells", 0))
    bodies = [Body(la.name, la.z0, la.z1, 0.0, la.radius,
                   cells_through=li_cells if _is_li_metal(case, la.material) else 0)
              for la in cell.layers]
    if cell.die_meshed:
        if cell.die_clearance < 0:
            raise CaseError("cell.die.clearance", cell.die_clearance, "must be >= 0")
        if not cell.die_wall_thickness > 0:
            raise CaseError("cell.die.wall_thickness", cell.die_wall_thickness, "must be > 0")
        r_in = cell.radius + cell.die_clearance
        bodies.append(Body("die", bodies[0].z0, bodies[-1].z1, r_in,
                           r_in + cell.die_wall_thickness, is_die=True))
    layout = StackLayout(tuple(bodies), m.dimension, float(m.sector_angle), m.size_min,
                         m.size_max, getattr(m, "grading", 0.3), getattr(m, "geometry_order", 1))
    names = [b.name for b in bodies] + layout.facet_names()
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CaseError("cell.layers", [b.name for b in layout.layers],
                        f"layer names give duplicate mesh group names {dup}; rename the layers")
    return layout


def _is_li_metal(case: Case, material: str) -> bool:
    return case.materials[material].material_class == "li_metal"


# ---------------------------------------------------------------------------------------------
# gmsh model (rank 0)


def _relu(expr: str) -> str:
    return f"(({expr})+abs({expr}))/2"


def _disc_distance(rho: str, z: str, z0: float, r_in: float, r_out: float) -> str:
    """MathEval expression: distance to the annulus r_in <= rho <= r_out at height z0."""
    dr = _relu(f"{r_in!r}-{rho}") if r_in > 0 else "0"
    dr = f"{dr}+{_relu(f'{rho}-{r_out!r}')}"
    return f"sqrt(({dr})^2+({z}-{z0!r})^2)"


def set_size_fields(regions: list[str], size_min: float, size_max: float, grading: float,
                    boxes: tuple[tuple[float, float, float, float, float], ...] = ()) -> None:
    """Background size: ``size_min`` where any distance expression is 0, growing by ``grading``
    per unit distance up to ``size_max`` (model units; ``regions`` are MathEval expressions);
    at most ``h`` inside each box ``(r_max, z0, z1, h, tdim)`` (a layer resolved through its
    thickness)."""
    import gmsh

    fld = gmsh.model.mesh.field
    thresholds = []
    for r_max, z0, z1, h, tdim in boxes:
        b = fld.add("Box")
        fld.setNumber(b, "VIn", h)
        fld.setNumber(b, "VOut", size_max)
        eps = 1e-6 * (z1 - z0)
        zkey, ykey = ("Y", "Z") if tdim == 2 else ("Z", "Y")
        fld.setNumber(b, "XMin", -r_max - eps)
        fld.setNumber(b, "XMax", r_max + eps)
        fld.setNumber(b, f"{ykey}Min", -r_max - eps if tdim == 3 else -1.0)
        fld.setNumber(b, f"{ykey}Max", r_max + eps if tdim == 3 else 1.0)
        fld.setNumber(b, f"{zkey}Min", z0 - eps)
        fld.setNumber(b, f"{zkey}Max", z1 + eps)
        thresholds.append(b)
    dist_max = max((size_max - size_min) / grading, 1e-12)
    for expr in regions:
        f = fld.add("MathEval")
        fld.setString(f, "F", expr)
        t = fld.add("Threshold")
        fld.setNumber(t, "InField", f)
        fld.setNumber(t, "SizeMin", size_min)
        fld.setNumber(t, "SizeMax", size_max)
        fld.setNumber(t, "DistMin", 0.0)
        fld.setNumber(t, "DistMax", dist_max)
        thresholds.append(t)
    if len(thresholds) == 1:
        fld.setAsBackgroundMesh(thresholds[0])
    elif thresholds:
        f = fld.add("Min")
        fld.setNumbers(f, "FieldsList", thresholds)
        fld.setAsBackgroundMesh(f)
    for key in ("MeshSizeExtendFromBoundary", "MeshSizeFromPoints", "MeshSizeFromCurvature"):
        gmsh.option.setNumber(f"Mesh.{key}", 0)
    gmsh.option.setNumber("Mesh.MeshSizeMin", min([size_min, *(b[3] for b in boxes)]))
    gmsh.option.setNumber("Mesh.MeshSizeMax", size_max)


def generate(tdim: int, geometry_order: int) -> None:
    """Mesh the current gmsh model (order 1 or 2 geometry) and scale it to metres."""
    import gmsh

    if tdim == 3:  # HXT: no slivers in thin layers where Delaunay + optimiser left some
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)
    gmsh.model.mesh.generate(tdim)
    if geometry_order > 1:
        gmsh.model.mesh.setOrder(geometry_order)
    scale_to_si()


def _body_shape(b: Body, tdim: int, angle: float) -> tuple[int, int]:
    """Create the OCC shape of a body in model units; returns its (dim, tag)."""
    import gmsh

    occ = gmsh.model.occ
    u = MODEL_UNIT
    z0, h, r_in, r_out = b.z0 / u, (b.z1 - b.z0) / u, b.r_in / u, b.r_out / u
    if tdim == 2:
        return (2, occ.addRectangle(r_in, z0, 0.0, r_out - r_in, h))
    outer = occ.addCylinder(0, 0, z0, 0, 0, h, r_out, angle=angle)
    if r_in <= 0:
        return (3, outer)
    inner = occ.addCylinder(0, 0, z0, 0, 0, h, r_in, angle=angle)
    out, _ = occ.cut([(3, outer)], [(3, inner)])
    return out[0]


def _face_radius(dim: int, tag: int) -> float:
    """Radius of a cylindrical face: the largest radius of its boundary points."""
    import gmsh

    pts = gmsh.model.getBoundary([(dim, tag)], combined=False, recursive=True)
    return max(math.hypot(*gmsh.model.getValue(0, p, [])[:2]) for _, p in pts)


def _stack_model(lay: StackLayout) -> None:
    """Build, tag and mesh the stack in the current gmsh model (rank 0)."""
    import gmsh

    occ = gmsh.model.occ
    u = MODEL_UNIT
    tdim = 2 if lay.dimension == "axisymmetric" else 3
    zi = tdim - 1  # index of the axial coordinate
    angle = 2 * math.pi if lay.full_circle else math.radians(lay.sector_angle)
    layers = lay.layers
    shapes = [_body_shape(b, tdim, angle) for b in layers]
    if len(shapes) > 1:
        _, omap = occ.fragment(shapes[:1], shapes[1:])
        shapes = []
        for b, m in zip(layers, omap, strict=True):
            vols = [dt for dt in m if dt[0] == tdim]
            if len(vols) != 1:
                raise RuntimeError(f"layer {b.name!r} became {len(vols)} pieces in the fragment")
            shapes.append(vols[0])
    owner = {tag: b for (_, tag), b in zip(shapes, layers, strict=True)}
    if lay.die is not None:
        owner[_body_shape(lay.die, tdim, angle)[1]] = lay.die
    occ.synchronize()

    scale = max(max(b.r_out for b in lay.bodies), layers[-1].z1 - layers[0].z0) / u
    tol = 1e-6 * scale
    index = {b.name: i for i, b in enumerate(layers)}
    groups: dict[str, list[int]] = {}

    def classify(f: int) -> str:
        up = [v for v in gmsh.model.getAdjacencies(tdim - 1, f)[0] if v in owner]
        bodies = sorted((owner[v] for v in up), key=lambda b: b.z0)
        if len(bodies) == 2:
            return f"{bodies[0].name}_{bodies[1].name}"
        if len(bodies) != 1:
            raise RuntimeError(f"facet {f} bounds {len(bodies)} bodies")
        b = bodies[0]
        box = gmsh.model.getBoundingBox(tdim - 1, f)
        lo, hi = box[:3], box[3:]
        if hi[zi] - lo[zi] < tol:  # horizontal face
            z = 0.5 * (lo[zi] + hi[zi])
            at_bottom = abs(z - b.z0 / u) < tol
            if not at_bottom and abs(z - b.z1 / u) >= tol:
                raise RuntimeError(f"horizontal facet {f} at z = {z} um is not on {b.name!r}")
            if b.is_die:
                return "die_bottom" if at_bottom else "die_top"
            i = index[b.name]
            if at_bottom:
                return "bottom" if i == 0 else f"{b.name}_bottom_free"
            return "top" if i == len(layers) - 1 else f"{b.name}_top_free"
        if tdim == 3 and gmsh.model.getType(2, f) == "Plane":  # sector symmetry plane
            c = occ.getCenterOfMass(2, f)
            phi = math.atan2(c[1], c[0]) % (2 * math.pi)
            if phi < 1e-6 or phi > 2 * math.pi - 1e-6:
                return "symmetry_xz"
            if abs(phi - angle) < 1e-6:
                return "symmetry_rot"
            raise RuntimeError(f"plane facet {f} at angle {math.degrees(phi)} deg")
        r = 0.5 * (lo[0] + hi[0]) if tdim == 2 else _face_radius(2, f)
        if tdim == 2 and r < tol:
            return "axis"
        if b.is_die:
            return "die_inner" if abs(r - b.r_in / u) < tol else "die_outer"
        return "outer"

    for _, f in gmsh.model.getEntities(tdim - 1):
        groups.setdefault(classify(f), []).append(f)

    for b in lay.bodies:
        tags = [t for t, ob in owner.items() if ob is b]
        gmsh.model.addPhysicalGroup(tdim, tags, name=b.name)
    expected = lay.facet_names()
    unknown = sorted(set(groups) - set(expected))
    if unknown:
        raise RuntimeError(f"unexpected facet groups {unknown}")
    for name in expected:
        if name not in groups:
            raise RuntimeError(f"facet group {name!r} came out empty")
        gmsh.model.addPhysicalGroup(tdim - 1, sorted(groups[name]), name=name)

    rho = "x" if tdim == 2 else "sqrt(x^2+y^2)"
    zc = "y" if tdim == 2 else "z"
    levels = [(layers[0].z0, layers[0].r_out)]
    for lo_b, up_b in zip(layers[:-1], layers[1:], strict=True):
        levels.append((lo_b.z1, max(lo_b.r_out, up_b.r_out)))
    levels.append((layers[-1].z1, layers[-1].r_out))
    regions = [_disc_distance(rho, zc, z / u, 0.0, r / u) for z, r in levels]
    boxes = tuple((b.r_out / u, b.z0 / u, b.z1 / u, (b.z1 - b.z0) / u / b.cells_through, tdim)
                  for b in layers if b.cells_through > 0)
    set_size_fields(regions, lay.size_min / u, lay.size_max / u, lay.grading, boxes)
    generate(tdim, lay.geometry_order)


def build_stack_mesh(case: Case, comm: MPI.Comm, msh_path: Path | None = None) -> CellMesh:
    """Collective: the case's stack as a distributed mesh with named regions.

    2D axisymmetric (r, z) section (``mesh.dimension = "axisymmetric"``) or 3D cylinder / sector
    (``"3d"``), generated with gmsh on rank 0; writes the .msh to ``msh_path`` if given.
    """
    lay = stack_layout(case)
    gdim = 2 if lay.dimension == "axisymmetric" else 3
    return mesh_on_rank0(lambda: _stack_model(lay), comm, gdim, lay.dimension, case.name,
                         msh_path)
