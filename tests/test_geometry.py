"""Cell-stack and interface-patch geometries: named groups, measures, parallel consistency,
roughness statistics and the mesh cache.

Runs serially and under ``mpirun -n 2 python -m mpi4py -m pytest tests/test_geometry.py``: every
test is collective (same tests in the same order on every rank).
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import ufl

from fem._dolfinx import MPI, dolfinx  # noqa: I001 - must come before ufl / numpy users of MPI
from fem.case import load_case, load_case_dict
from fem.errors import CaseError
from fem.geometry import (
    build_mesh,
    geometry_hash,
    load_or_build_mesh,
    mesh_quality,
    write_mesh,
)
from fem.geometry import roughness as rg
from fem.geometry.mesh import CellMesh
from fem.geometry.patch import patch_layout
from fem.geometry.stack import stack_layout

COMM = MPI.COMM_WORLD
CASES = Path(__file__).resolve().parents[1] / "cases"
REL = 1e-6  # nominal measures, exact geometry (straight 2D, order-2 3D)

# ---------------------------------------------------------------------------------------------
# case builders

LAYERS = {
    "symmetric": [
        {"name": "plunger_bottom", "role": "plunger", "material": "ti", "thickness": "1 mm"},
        {"name": "li_bottom", "role": "li", "material": "li", "thickness": "200 um",
         "radius": "4.5 mm"},
        {"name": "separator", "role": "separator", "material": "li6ps5cl", "thickness": "600 um"},
        {"name": "li_top", "role": "li", "material": "li", "thickness": "200 um",
         "radius": "4.5 mm"},
        {"name": "plunger_top", "role": "plunger", "material": "ti", "thickness": "1 mm"},
    ],
    "full": [
        {"name": "cathode", "role": "cathode", "material": "ncm811_composite",
         "thickness": "300 um"},
        {"name": "separator", "role": "separator", "material": "li6ps5cl", "thickness": "600 um"},
        {"name": "li", "role": "li", "material": "li", "thickness": "200 um", "radius": "4.8 mm"},
    ],
    "silicon": [
        {"name": "cathode", "role": "cathode", "material": "lco_composite", "thickness": "300 um"},
        {"name": "separator", "role": "separator", "material": "li6ps5cl", "thickness": "600 um"},
        {"name": "anode", "role": "anode", "material": "si", "thickness": "200 um"},
    ],
}


def stack_raw(kind: str, dimension: str, **mesh) -> dict:
    """A coarse test case of a stack kind (SI strings as in a case file)."""
    coarse = ({"size_min": "100 um", "size_max": "500 um"} if dimension == "axisymmetric"
              else {"size_min": "250 um", "size_max": "1.25 mm", "geometry_order": 2})
    coarse["li_cells"] = 1  # (the Li-metal refinement: test_li_layers_resolved_through_thickness)
    return {
        "name": f"test_{kind}",
        "cell": {"kind": kind, "radius": "5 mm", "layers": copy.deepcopy(LAYERS[kind])},
        "mesh": {"dimension": dimension, **coarse, **mesh},
        "holder": {"type": "fixed_gap", "pressure": "5 MPa"},
        "protocol": {"steps": ["Press at 5 MPa for 1 min"]},
    }


def stack_case(kind: str, dimension: str, die: tuple[float, float] | None = None, **mesh):
    """Case object; ``die = (clearance, wall)`` in m makes a meshed (elastic) die, set on the
    resolved cell (the resolver rejects a clearance > 0 for runs, the geometry supports it)."""
    case = load_case_dict(stack_raw(kind, dimension, **mesh))
    if die is not None:
        case.cell.die_enabled, case.cell.die_model = True, "elastic"
        case.cell.die_clearance, case.cell.die_wall_thickness = die
        assert stack_layout(case).die is not None
    return case


def patch_raw(dimension: str, roughness: dict, pores: dict | None = None, **extra) -> dict:
    raw = stack_raw("symmetric", "axisymmetric")
    raw["name"] = f"test_patch_{dimension}"
    raw["cell"]["layers"] = raw["cell"]["layers"][1:4]
    raw["mesh"] = {}
    raw["patch"] = {"dimension": dimension, "width": "20 um", "li_thickness": "8 um",
                    "separator_thickness": "10 um", "roughness": roughness, **extra}
    if pores is not None:
        raw["patch"]["pores"] = pores
    return raw


# ---------------------------------------------------------------------------------------------
# measures


def _measure_form(cm: CellMesh, dim: int, entities: np.ndarray, kind: str, weighted: bool):
    """Integral of 1 (2 pi r in axisymmetry) over local ``entities`` with one tag; the tag is
    always 1 so one compiled form serves every group."""
    msh = cm.mesh
    ent = np.unique(entities).astype(np.int32)
    mt = dolfinx.mesh.meshtags(msh, dim, ent, np.ones(ent.size, dtype=np.int32))
    x = ufl.SpatialCoordinate(msh)
    one = dolfinx.fem.Constant(msh, dolfinx.default_scalar_type(1.0))
    w = 2 * math.pi * x[0] if (weighted and cm.axisymmetric) else one
    if kind == "dx":
        integrand, meas = w, ufl.Measure("dx", domain=msh, subdomain_data=mt)
    elif kind == "ds":
        integrand, meas = w, ufl.Measure("ds", domain=msh, subdomain_data=mt)
    else:
        integrand = ufl.avg(w) if w is not one else one("+")
        meas = ufl.Measure("dS", domain=msh, subdomain_data=mt)
    value = dolfinx.fem.assemble_scalar(dolfinx.fem.form(integrand * meas(1)))
    return msh.comm.allreduce(value, op=MPI.SUM)


def measure(cm: CellMesh, name: str, weighted: bool = True) -> float:
    """Volume (cells) or area (facets; exterior by ds, interior by dS) of a named group."""
    msh = cm.mesh
    tdim = msh.topology.dim
    dim, _ = cm.groups[name]
    if dim == tdim:
        return _measure_form(cm, tdim, cm.cells(name), "dx", weighted)
    facets = cm.facets(name)
    exterior = np.isin(facets, dolfinx.mesh.exterior_facet_indices(msh.topology))
    return (_measure_form(cm, tdim - 1, facets[exterior], "ds", weighted)
            + _measure_form(cm, tdim - 1, facets[~exterior], "dS", weighted))


def counts(cm: CellMesh) -> dict[str, int]:
    """Global cell/facet/vertex counts and owned entities per group."""
    msh = cm.mesh
    tdim = msh.topology.dim
    msh.topology.create_entities(tdim - 1)
    out = {"cells": msh.topology.index_map(tdim).size_global,
           "facets": msh.topology.index_map(tdim - 1).size_global,
           "vertices": msh.topology.index_map(0).size_global}
    for name, (dim, _) in cm.groups.items():
        n_owned = msh.topology.index_map(dim).size_local
        ent = cm.cells(name) if dim == tdim else cm.facets(name)
        out[name] = cm.comm.allreduce(int(np.count_nonzero(ent < n_owned)), op=MPI.SUM)
    return out


def nominal_stack(case) -> dict[str, float]:
    """Analytic volumes and areas of every group of a stack (axisymmetric: 2 pi r weighted;
    3D sector: times the sector fraction)."""
    lay = stack_layout(case)
    frac = 1.0 if lay.dimension == "axisymmetric" else min(lay.sector_angle, 360.0) / 360.0
    layers = lay.layers
    out: dict[str, float] = {}
    for b in layers:
        out[b.name] = math.pi * b.r_out**2 * (b.z1 - b.z0) * frac
    out["bottom"] = math.pi * layers[0].r_out ** 2 * frac
    out["top"] = math.pi * layers[-1].r_out ** 2 * frac
    for lo, up in zip(layers[:-1], layers[1:], strict=True):
        r_small, r_big = sorted((lo.r_out, up.r_out))
        out[f"{lo.name}_{up.name}"] = math.pi * r_small**2 * frac
        if lo.r_out > up.r_out:
            out[f"{lo.name}_top_free"] = math.pi * (r_big**2 - r_small**2) * frac
        elif up.r_out > lo.r_out:
            out[f"{up.name}_bottom_free"] = math.pi * (r_big**2 - r_small**2) * frac
    out["outer"] = sum(2 * math.pi * b.r_out * (b.z1 - b.z0) for b in layers) * frac
    plane = sum(b.r_out * (b.z1 - b.z0) for b in layers)
    if lay.die is not None:
        d = lay.die
        h = d.z1 - d.z0
        ring = math.pi * (d.r_out**2 - d.r_in**2) * frac
        out.update(die=ring * h, die_top=ring, die_bottom=ring,
                   die_inner=2 * math.pi * d.r_in * h * frac,
                   die_outer=2 * math.pi * d.r_out * h * frac)
        plane += (d.r_out - d.r_in) * h
    if lay.dimension == "3d" and not lay.full_circle:
        out["symmetry_xz"] = out["symmetry_rot"] = plane
    if lay.dimension == "axisymmetric":
        out["axis"] = 0.0  # weighted by r = 0; its length is checked separately
    return out


def assert_measures(cm: CellMesh, nominal: dict[str, float], rel: float) -> None:
    assert set(cm.groups) == set(nominal), (sorted(cm.groups), sorted(nominal))
    scale = max(v for k, v in nominal.items() if cm.groups[k][0] == cm.mesh.topology.dim - 1)
    for name, want in nominal.items():
        got = measure(cm, name)
        tol = rel * (abs(want) if want else scale)
        assert abs(got - want) <= tol, f"{name}: {got!r} != {want!r} (rel {rel})"


# ---------------------------------------------------------------------------------------------
# stacks

STACKS = [
    # kind, dimension, die (clearance, wall), extra mesh settings
    ("symmetric", "axisymmetric", None, {}),
    ("symmetric", "3d", None, {"sector_angle": 90}),
    ("full", "axisymmetric", (50e-6, 1e-3), {}),
    ("full", "3d", (50e-6, 1e-3), {"sector_angle": 360}),
    ("silicon", "axisymmetric", (0.0, 1e-3), {}),
    ("silicon", "3d", None, {"sector_angle": 180}),
]


@pytest.mark.parametrize(("kind", "dimension", "die", "mesh"), STACKS,
                         ids=[f"{k}-{d}-{'die' if die else 'nodie'}" for k, d, die, _ in STACKS])
def test_stack_groups_and_measures(kind, dimension, die, mesh):
    case = stack_case(kind, dimension, die, **mesh)
    cm = build_mesh(case, COMM)
    assert cm.dimension == dimension
    assert cm.has("die") == (die is not None)
    assert_measures(cm, nominal_stack(case), REL)
    if dimension == "axisymmetric":
        length = measure(cm, "axis", weighted=False)
        assert length == pytest.approx(case.cell.height, rel=REL)
    q = mesh_quality(cm)
    assert q["cells"] == sum(q["cells_per_region"].values())
    assert q["jacobian_ratio_min"] > 0.5
    assert q["radius_ratio_min"] > 0.1


def test_li_layers_resolved_through_thickness():
    """mesh.li_cells: every cell of a Li-metal layer is at most thickness / li_cells tall (with
    gmsh's tolerance), whatever size_min says; the other layers keep the graded sizes."""
    heights = {}
    for n in (1, 4):
        cm = build_mesh(stack_case("full", "axisymmetric", li_cells=n), MPI.COMM_WORLD)
        msh = cm.mesh
        x = msh.geometry.x
        dofs = msh.geometry.dofmap
        for name in ("li", "separator"):
            cells = cm.cells(name)
            z = x[dofs[cells]][:, :, 1]
            local = float(np.max(z.max(axis=1) - z.min(axis=1), initial=0.0))
            heights[n, name] = msh.comm.allreduce(local, op=MPI.MAX)
    assert heights[4, "li"] <= 1.3 * 200e-6 / 4 < heights[1, "li"]
    assert heights[4, "separator"] == pytest.approx(heights[1, "separator"], rel=0.3)


def test_stack_3d_linear_geometry_default():
    """Default (order-1) 3D geometry: the facetted cylinder is within its chord error."""
    case = stack_case("full", "3d", None)
    case.mesh.geometry_order = 1
    cm = build_mesh(case, COMM)
    assert_measures(cm, nominal_stack(case), 5e-3)


def test_parallel_matches_serial():
    """Global counts and measures on COMM_WORLD equal those of a mesh built on COMM_SELF."""
    for kind, dimension, die, mesh in (STACKS[0], STACKS[3]):
        case = stack_case(kind, dimension, die, **mesh)
        world = build_mesh(case, COMM)
        alone = build_mesh(case, MPI.COMM_SELF)
        assert counts(world) == counts(alone)
        for name in world.groups:
            assert measure(world, name) == pytest.approx(measure(alone, name), rel=1e-12,
                                                         abs=1e-18)


def test_stack_rejections():
    raw = stack_raw("full", "axisymmetric")
    raw["cell"]["die"] = {"enabled": True, "clearance": "50 um"}
    with pytest.raises(CaseError, match="clearance"):
        load_case_dict(raw)  # runs keep rejecting a die gap (no wall contact yet)
    raw = stack_raw("full", "3d")
    case = load_case_dict(raw)
    case.mesh.sector_angle = 0.0
    with pytest.raises(CaseError, match="sector_angle"):
        build_mesh(case, COMM)


# ---------------------------------------------------------------------------------------------
# patches


def _vertices(cm: CellMesh, name: str) -> np.ndarray:
    """Coordinates of the vertices of a named group's entities, gathered on every rank."""
    msh = cm.mesh
    tdim = msh.topology.dim
    dim = cm.groups[name][0]
    ent = cm.cells(name) if dim == tdim else cm.facets(name)
    ent = ent[ent < msh.topology.index_map(dim).size_local]
    msh.topology.create_connectivity(dim, 0)
    verts = dolfinx.mesh.entities_to_geometry(msh, dim, ent).ravel()
    x = msh.geometry.x[np.unique(verts)]
    return np.vstack(COMM.allgather(x))


def _match(a: np.ndarray, b: np.ndarray, tol: float) -> bool:
    a = np.unique(np.round(a / tol).astype(np.int64), axis=0)
    b = np.unique(np.round(b / tol).astype(np.int64), axis=0)
    return a.shape == b.shape and bool(np.all(a == b))


PORE = {"radius": "2 um", "depth": "3 um"}


@pytest.mark.parametrize("dimension", ["2d", "3d"])
def test_patch_groups_measures_periodicity(dimension):
    rough = {"type": "self_affine", "rms": "0.3 um", "correlation_length": "2.5 um",
             "seed": 3, "points": 64 if dimension == "2d" else 16}
    raw = patch_raw(dimension, rough, PORE, gap="0.1 um")
    raw["mesh"] = {"size_min": "0.5 um", "size_max": "2.5 um"} if dimension == "2d" else \
        {"size_min": "1 um", "size_max": "4 um"}
    case = load_case_dict(raw)
    lay, surf = patch_layout(case)
    cm = build_mesh(case, COMM)
    assert cm.dimension == ("plane" if dimension == "2d" else "3d")
    assert set(cm.groups) == set(lay.volume_names() + lay.facet_names())
    assert set(lay.volume_names()) == {"separator", "li_top"}
    w, t_li, t_sep = lay.width, lay.li_top - lay.li_bottom, -lay.separator_bottom
    area = w if dimension == "2d" else w * w
    r, d = lay.pore_radius, lay.pore_depth
    # pore volume below the surface (dense quadrature of the spline over the pore)
    n = 801
    xs = np.linspace(0.0, w, n)
    if dimension == "2d":
        inside = np.abs(xs - lay.pore_centres[0][0]) <= r
        pore = np.trapezoid(np.where(inside, surf(xs) + d, 0.0), xs)
    else:
        hx = surf(xs, xs)
        xx, yy = np.meshgrid(xs, xs)
        cx, cy = lay.pore_centres[0]
        inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        pore = np.trapezoid(np.trapezoid(np.where(inside, hx + d, 0.0), xs, axis=1), xs)
    # the facetted (order-1) surface and the pore wall approximations: 1e-3 of the volume
    assert measure(cm, "li_top") == pytest.approx(area * t_li, rel=1e-9)
    sep = area * t_sep + surf.integral() - pore
    assert measure(cm, "separator") == pytest.approx(sep, rel=1e-3)
    for name in ("top", "bottom", "li_top_contact"):
        assert measure(cm, name) == pytest.approx(area, rel=1e-9)
    assert measure(cm, "separator_contact") > area
    # the Li rests at max(surface) + gap, above every separator vertex
    xl = _vertices(cm, "li_top")
    xs_ = _vertices(cm, "separator")
    z = cm.mesh.geometry.dim - 1
    assert xl[:, z].min() == pytest.approx(lay.li_bottom, abs=1e-12)
    assert lay.li_bottom - 0.1e-6 == pytest.approx(lay.surface_max, abs=1e-12)
    assert xs_[:, z].max() <= lay.li_bottom - 0.1e-6 + 1e-9
    assert xs_[:, z].max() > lay.surface_max - 0.1 * (lay.surface_max - lay.surface_min)
    # periodic sides: the right (back) side nodes are the left (front) ones moved by the width
    pairs = [("periodic_left", "periodic_right", 0)]
    if dimension == "3d":
        pairs.append(("periodic_front", "periodic_back", 1))
    for master, slave, axis in pairs:
        a, b = _vertices(cm, master), _vertices(cm, slave)
        shift = np.zeros(a.shape[1])
        shift[axis] = w
        assert _match(a + shift, b, 1e-12), f"{slave} is not {master} shifted"
        assert measure(cm, master) == pytest.approx(measure(cm, slave), rel=1e-9)


def test_patch_sinusoid_flat_and_file(tmp_path_factory):
    raw = patch_raw("2d", {"type": "sinusoid", "amplitude": "0.5 um", "wavelength": "5 um"})
    case = load_case_dict(raw)
    lay, surf = patch_layout(case)
    assert lay.surface_max == pytest.approx(0.5e-6, rel=1e-3)
    cm = build_mesh(case, COMM)
    # a sinusoid over whole periods has zero mean: separator = width * thickness
    assert measure(cm, "separator") == pytest.approx(20e-6 * 10e-6, rel=1e-4)
    # flat surface with a gap: separator_contact is flat, the pore adds its walls
    raw = patch_raw("2d", {"type": "flat"}, PORE, gap="1 um")
    cm = build_mesh(load_case_dict(raw), COMM)
    assert measure(cm, "separator_contact") == pytest.approx(20e-6 + 2 * 3e-6, rel=1e-9)
    assert measure(cm, "separator") == pytest.approx(20e-6 * 10e-6 - 4e-6 * 3e-6, rel=1e-9)
    # height map from CSV: the same heights as the generator that wrote it
    folder = COMM.bcast(str(tmp_path_factory.mktemp("hm")) if COMM.rank == 0 else None)
    hm = rg.self_affine(20e-6, 0.2e-6, 2e-6, 0.7, 5, 64, 1)
    path = Path(folder) / "profile.csv"
    if COMM.rank == 0:
        np.savetxt(path, hm.heights[None, :] * 1e6, delimiter=",")
    COMM.barrier()
    raw = patch_raw("2d", {"type": "file", "file": str(path), "height_scale": "1 um",
                           "points": 64})
    case = load_case_dict(raw)
    lay, surf = patch_layout(case)
    assert np.allclose(surf(np.arange(64) * 20e-6 / 64), hm.heights, atol=1e-15)
    assert len(build_mesh(case, COMM).groups) == 8


def test_patch_rejections():
    with pytest.raises(CaseError, match="wavelength"):
        load_case_dict(patch_raw("2d", {"type": "sinusoid", "amplitude": "1 um",
                                        "wavelength": "3 um"}))
    with pytest.raises(CaseError, match="inside the patch"):
        load_case_dict(patch_raw("3d", {"type": "flat"},
                                 {"radius": "2 um", "depth": "1 um", "positions": [[0.05, 0.5]]}))
    with pytest.raises(CaseError, match="required"):
        load_case_dict(patch_raw("2d", {"type": "self_affine", "rms": "1 um"}))


@pytest.mark.parametrize(("ndim", "points"), [(1, 256), (2, 128)])
def test_roughness_statistics(ndim, points):
    """Requested RMS, correlation length and Hurst exponent are met: exactly (1 %) by the
    samples, within 5 % by the smooth surface that is meshed."""
    w, rms, xi, hurst = 50e-6, 0.4e-6, 4e-6, 0.7
    hm = rg.self_affine(w, rms, xi, hurst, seed=11, points=points, ndim=ndim)
    st = rg.surface_statistics(hm)
    assert st["rms"] == pytest.approx(rms, rel=1e-6)
    assert st["correlation_length"] == pytest.approx(xi, rel=1e-2)
    assert st["mean"] == pytest.approx(0.0, abs=1e-12 * rms)
    assert rg.hurst_exponent(hm, q_min=2 * np.pi / xi) == pytest.approx(hurst, abs=0.02)
    fine = rg.SplineSurface(hm).sample(4)
    fine = fine[:-1] if ndim == 1 else fine[:-1, :-1]
    hf = rg.HeightMap(fine, w)
    assert rg.rms_height(hf) == pytest.approx(rms, rel=0.05)
    assert rg.correlation_length(hf) == pytest.approx(xi, rel=0.05)
    # another seed: another surface with the same statistics
    hm2 = rg.self_affine(w, rms, xi, hurst, seed=12, points=points, ndim=ndim)
    assert not np.allclose(hm.heights, hm2.heights)
    assert rg.correlation_length(hm2) == pytest.approx(xi, rel=1e-2)
    # sinusoid: rms A/sqrt(2) (profile) or A/2 (egg crate)
    sn = rg.sinusoid(w, 1e-6, 10e-6, points, ndim)
    assert rg.rms_height(sn) == pytest.approx(1e-6 / (math.sqrt(2) if ndim == 1 else 2))


def test_spline_interpolates_and_is_periodic():
    hm = rg.self_affine(20e-6, 0.3e-6, 2e-6, 0.8, 1, 16, 2)
    s = rg.SplineSurface(hm)
    x = np.arange(16) * 20e-6 / 16
    assert np.allclose(s(x, x), hm.heights, atol=1e-18)
    assert np.allclose(s.control[:, 0], s.control[:, -1]) and np.allclose(s.control[0], s.control[-1])
    assert s.integral() == pytest.approx(s.sample(16)[:-1, :-1].mean() * 400e-12, abs=1e-20)


# ---------------------------------------------------------------------------------------------
# files, cache, quality, bundled cases


def test_write_and_cache():
    folder = Path(COMM.bcast(tempfile.mkdtemp() if COMM.rank == 0 else None))
    case = stack_case("full", "axisymmetric")
    files = write_mesh(case, COMM, folder)
    digest = geometry_hash(case)
    assert files.msh == folder / f"test_full-{digest}.msh"
    for p in (files.msh, files.xdmf, files.groups, files.xdmf.with_suffix(".h5")):
        assert p.is_file()
    with dolfinx.io.XDMFFile(COMM, str(files.xdmf), "r") as f:
        msh = f.read_mesh()
        msh.topology.create_entities(msh.topology.dim - 1)
        ft = f.read_meshtags(msh, "facet_tags")
    assert COMM.allreduce(ft.indices.size, op=MPI.SUM) >= 1
    ref = counts(files.cell_mesh)
    # geometry-neutral edits keep the hash; the cached file is read back (any case name)
    raw = stack_raw("full", "axisymmetric")
    raw["name"] = "renamed"
    raw["holder"] = {"type": "constant_pressure", "pressure": "25 MPa"}
    raw["protocol"] = {"steps": ["Press at 25 MPa for 1 h"]}
    other = load_case_dict(raw)
    assert geometry_hash(other) == digest
    cached = load_or_build_mesh(other, COMM, folder)
    assert counts(cached) == ref
    assert set(cached.groups) == set(files.cell_mesh.groups)
    assert measure(cached, "separator") == pytest.approx(measure(files.cell_mesh, "separator"),
                                                         rel=1e-12)
    assert not list(folder.glob("renamed-*.msh"))  # read, not rebuilt
    # a geometry edit changes the hash and builds a new file
    raw["cell"]["layers"][2]["thickness"] = "150 um"
    thin = load_case_dict(raw)
    assert geometry_hash(thin) != digest
    load_or_build_mesh(thin, COMM, folder)
    COMM.barrier()
    assert (folder / f"renamed-{geometry_hash(thin)}.msh").is_file()


def test_mesh_quality_report():
    cm = build_mesh(stack_case("symmetric", "axisymmetric"), COMM)
    q = mesh_quality(cm)
    for key in ("cells", "vertices", "facets", "min_angle_deg", "radius_ratio_min",
                "aspect_ratio_max", "jacobian_ratio_min", "cells_per_region"):
        assert key in q
    assert q["cells"] == counts(cm)["cells"]
    assert q["min_angle_deg"] > 20.0 and q["max_angle_deg"] < 140.0
    assert q["jacobian_ratio_min"] == pytest.approx(1.0)


BUNDLED = ["ncm811_li_fixed_gap", "ncm811_li_spring", "li_symmetric_hold", "lco_li1si",
           "li_lpscl_rough_patch_2d", "li_lpscl_rough_patch_3d"]


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_cases_load(name):
    case = load_case(CASES / f"{name}.toml")
    assert case.name == name
    if case.patch is None:
        stack_layout(case)
    else:
        patch_layout(case)
