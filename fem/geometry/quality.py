"""Mesh quality report: element counts and shape measures of a distributed :class:`CellMesh`."""

from __future__ import annotations

from typing import Any

import numpy as np

from fem._dolfinx import MPI
from fem.geometry.mesh import CellMesh


def _triangle_measures(x: np.ndarray) -> dict[str, np.ndarray]:
    """Angles (deg), radius ratio 2 r_in / r_circ and edge lengths of triangles ``x[c, 3, gdim]``."""
    e = [x[:, (i + 1) % 3] - x[:, i] for i in range(3)]  # edge i: vertex i -> i+1
    lengths = np.stack([np.linalg.norm(v, axis=1) for v in e], axis=1)
    angles = []
    for i in range(3):  # angle at vertex i between edges to i+1 and i-1
        a, b = e[i], -e[(i + 2) % 3]
        c = np.einsum("ij,ij->i", a, b) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
        angles.append(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))
    angles = np.stack(angles, axis=1)
    la, lb, lc = lengths.T
    s = 0.5 * (la + lb + lc)
    area = np.sqrt(np.maximum(s * (s - la) * (s - lb) * (s - lc), 0.0))
    r_in = area / s
    r_circ = la * lb * lc / np.maximum(4 * area, 1e-300)
    return {"angle_min": angles.min(axis=1), "angle_max": angles.max(axis=1),
            "radius_ratio": 2 * r_in / r_circ, "edge_min": lengths.min(axis=1),
            "edge_max": lengths.max(axis=1), "size": area}


def _tet_measures(x: np.ndarray) -> dict[str, np.ndarray]:
    """Dihedral angles (deg), radius ratio 3 r_in / r_circ and edge lengths of tets ``x[c, 4, 3]``."""
    a, b, c, d = (x[:, i] for i in range(4))
    vol = np.abs(np.einsum("ij,ij->i", b - a, np.cross(c - a, d - a))) / 6.0
    faces = [(b, c, d), (a, c, d), (a, b, d), (a, b, c)]  # face i opposite vertex i
    normals, areas = [], []
    for p, q, r in faces:
        n = np.cross(q - p, r - p)
        areas.append(0.5 * np.linalg.norm(n, axis=1))
        normals.append(n / np.maximum(np.linalg.norm(n, axis=1), 1e-300)[:, None])
    centroid = x.mean(axis=1)
    for i, (p, _, _) in enumerate(faces):  # orient outward
        sign = np.sign(np.einsum("ij,ij->i", normals[i], p - centroid))
        normals[i] = normals[i] * sign[:, None]
    dihedral = []
    for i in range(4):
        for j in range(i + 1, 4):
            cosang = -np.einsum("ij,ij->i", normals[i], normals[j])
            dihedral.append(np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0))))
    dihedral = np.stack(dihedral, axis=1)
    r_in = 3 * vol / np.maximum(np.sum(areas, axis=0), 1e-300)
    # circumradius: |a|^2 (b x c) + |b|^2 (c x a) + |c|^2 (a x b) over 12 V, relative to vertex a
    u, v, w = b - a, c - a, d - a
    num = (np.einsum("ij,ij->i", u, u)[:, None] * np.cross(v, w)
           + np.einsum("ij,ij->i", v, v)[:, None] * np.cross(w, u)
           + np.einsum("ij,ij->i", w, w)[:, None] * np.cross(u, v))
    r_circ = np.linalg.norm(num, axis=1) / np.maximum(12 * vol, 1e-300)
    edges = np.stack([np.linalg.norm(x[:, j] - x[:, i], axis=1)
                      for i in range(4) for j in range(i + 1, 4)], axis=1)
    return {"angle_min": dihedral.min(axis=1), "angle_max": dihedral.max(axis=1),
            "radius_ratio": 3 * r_in / np.maximum(r_circ, 1e-300),
            "edge_min": edges.min(axis=1), "edge_max": edges.max(axis=1), "size": vol}


def _dofmap(msh) -> np.ndarray:
    """Cell -> geometry node map (dolfinx 0.11 ``dofmaps[0]``, older ``dofmap``)."""
    g = msh.geometry
    return g.dofmaps[0] if hasattr(g, "dofmaps") else g.dofmap


def _geometry_degree(msh) -> int:
    g = msh.geometry
    return int(g.cmaps[0].degree if hasattr(g, "cmaps") else g.cmap.degree)


def _jacobian_ratio(cm: CellMesh, cells: np.ndarray) -> np.ndarray:
    """min/max of det J over the reference vertices and midpoint of each cell (1 for affine
    cells; <= 0 flags an inverted curved cell)."""
    msh = cm.mesh
    tdim = msh.topology.dim
    ref = np.vstack([np.zeros(tdim), np.eye(tdim), np.full(tdim, 1.0 / (tdim + 1))])
    element = msh.ufl_domain().ufl_coordinate_element().basix_element
    dphi = np.asarray(element.tabulate(1, ref))[1:, :, :, 0]  # (tdim, npts, ndofs)
    xg = msh.geometry.x[_dofmap(msh)[cells]][:, :, :tdim]  # (c, ndofs, tdim)
    jac = np.einsum("kpn,cng->cpgk", dphi, xg)  # J[g, k] = dx_g / dX_k
    det = np.linalg.det(jac)
    amax = np.abs(det).max(axis=1)
    return det.min(axis=1) / np.maximum(amax, 1e-300)


def mesh_quality(cm: CellMesh) -> dict[str, Any]:
    """Collective: a quality report of the mesh as a plain dict (same on every rank).

    Keys: ``dimension``, ``cells``, ``vertices``, ``facets`` (global counts), ``cell_type``,
    ``geometry_order``, ``cells_per_region`` and ``facets_per_group`` (by group name),
    ``min_angle_deg`` / ``max_angle_deg`` (triangle angles in 2D, dihedral angles of tets in 3D),
    ``radius_ratio_min`` / ``radius_ratio_mean`` (1 for an equilateral cell, 0 for a degenerate
    one; the aspect ratio is its inverse), ``aspect_ratio_max``, ``edge_min`` / ``edge_max`` (m),
    ``jacobian_ratio_min`` (min/max of det J per cell; 1 for straight cells, <= 0 inverted) and
    ``bad_cells`` (radius ratio below 0.1).
    """
    msh = cm.mesh
    comm = msh.comm
    tdim = msh.topology.dim
    msh.topology.create_entities(tdim - 1)
    n_owned = msh.topology.index_map(tdim).size_local
    cells = np.arange(n_owned, dtype=np.int32)
    vert_dofs = _dofmap(msh)[:n_owned, : tdim + 1]
    gdim = msh.geometry.dim
    x = msh.geometry.x[vert_dofs][:, :, :gdim]
    meas = _triangle_measures(x) if tdim == 2 else _tet_measures(x)
    jr = _jacobian_ratio(cm, cells)

    def red(a: np.ndarray, op, empty: float) -> float:
        local = float(op(a)) if a.size else empty
        return comm.allreduce(local, op=MPI.MIN if op is np.min else MPI.MAX)

    rr = meas["radius_ratio"]
    total_rr = comm.allreduce(float(rr.sum()), op=MPI.SUM)
    n_cells = comm.allreduce(n_owned, op=MPI.SUM)
    per_region = {}
    for name in cm.volume_names():
        c = cm.cells(name)
        per_region[name] = comm.allreduce(int(np.count_nonzero(c < n_owned)), op=MPI.SUM)
    n_owned_f = msh.topology.index_map(tdim - 1).size_local
    per_facet = {}
    for name in cm.facet_names():
        f = cm.facets(name)
        per_facet[name] = comm.allreduce(int(np.count_nonzero(f < n_owned_f)), op=MPI.SUM)
    rr_min = red(rr, np.min, np.inf)
    return {
        "dimension": cm.dimension,
        "cell_type": msh.topology.cell_name(),
        "geometry_order": _geometry_degree(msh),
        "cells": n_cells,
        "vertices": msh.topology.index_map(0).size_global,
        "facets": msh.topology.index_map(tdim - 1).size_global,
        "cells_per_region": per_region,
        "facets_per_group": per_facet,
        "min_angle_deg": red(meas["angle_min"], np.min, np.inf),
        "max_angle_deg": red(meas["angle_max"], np.max, -np.inf),
        "radius_ratio_min": rr_min,
        "radius_ratio_mean": total_rr / max(n_cells, 1),
        "aspect_ratio_max": 1.0 / rr_min if rr_min > 0 else float("inf"),
        "edge_min": red(meas["edge_min"], np.min, np.inf),
        "edge_max": red(meas["edge_max"], np.max, -np.inf),
        "jacobian_ratio_min": red(jr, np.min, np.inf),
        "bad_cells": comm.allreduce(int(np.count_nonzero(rr < 0.1)), op=MPI.SUM),
    }


def format_quality(q: dict[str, Any]) -> str:
    """A few human-readable lines of a :func:`mesh_quality` report."""
    lines = [
        f"{q['dimension']} mesh: {q['cells']} {q['cell_type']}s (geometry order "
        f"{q['geometry_order']}), {q['vertices']} vertices, {q['facets']} facets",
        "  cells per region: " + ", ".join(f"{k} {v}" for k, v in q["cells_per_region"].items()),
        f"  angles {q['min_angle_deg']:.1f} .. {q['max_angle_deg']:.1f} deg"
        f"{' (dihedral)' if q['cell_type'] == 'tetrahedron' else ''}; radius ratio min "
        f"{q['radius_ratio_min']:.3f}, mean {q['radius_ratio_mean']:.3f} (aspect ratio max "
        f"{q['aspect_ratio_max']:.3g}); {q['bad_cells']} cells below 0.1",
        f"  edges {q['edge_min']:.3g} .. {q['edge_max']:.3g} m; Jacobian ratio min "
        f"{q['jacobian_ratio_min']:.3f}",
    ]
    return "\n".join(lines)
