"""Building, writing and caching cell meshes.

* :func:`build_mesh`: the case's mesh (stack or interface patch), generated now.
* :func:`geometry_hash`: a digest of the geometry-relevant parameters only (layers, radii, die,
  mesh settings, patch and its height-map file), so protocol, holder or material edits reuse the
  mesh.
* :func:`write_mesh`: ``<outdir>/<name>-<hash>.msh`` (gmsh 4.1, SI units), the tags as
  ``<name>-<hash>.xdmf`` (+ ``.h5``; mesh, ``cell_tags``, ``facet_tags``) and the group names as
  ``<name>-<hash>.groups.json``.
* :func:`load_or_build_mesh`: reuse a cached ``*-<hash>.msh`` in ``cache_dir`` (read with
  ``gmsh.open`` on rank 0), or build and write it.

MPI: gmsh and file writes happen on rank 0 only; the decision to build or read is taken on
rank 0 and broadcast; every rank takes part in ``model_to_mesh`` and the XDMF write.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fem._dolfinx import MPI, dolfinx
from fem.geometry.mesh import CellMesh, read_msh
from fem.geometry.quality import format_quality, mesh_quality
from fem.geometry.refine import refine_uniformly

if TYPE_CHECKING:
    from fem.case.model import Case

#: Bump when a code change alters the meshes built from the same parameters.
GEOMETRY_VERSION = 1


def _round(obj: Any) -> Any:
    """Floats to 12 significant digits (unit-conversion noise must not change the hash)."""
    if isinstance(obj, float):
        return float(f"{obj:.12g}")
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def geometry_key(case: Case) -> dict[str, Any]:
    """The parameters that determine the mesh (a JSON-able dict)."""
    m = case.mesh
    key: dict[str, Any] = {
        "version": GEOMETRY_VERSION,
        "mesh": {"size_min": m.size_min, "size_max": m.size_max, "grading": m.grading,
                 "geometry_order": m.geometry_order},
    }
    if case.patch is not None:
        p = asdict(case.patch)
        if case.patch.roughness.file is not None:
            data = Path(case.patch.roughness.file).read_bytes()
            p["roughness"]["file"] = hashlib.sha256(data).hexdigest()
        key["patch"] = p
        return _round(key)
    c = case.cell
    from fem.geometry.stack import stack_layout

    key["mesh"]["dimension"] = m.dimension
    key["mesh"]["cells_through"] = [b.cells_through for b in stack_layout(case).layers]
    if m.dimension == "3d":
        key["mesh"]["sector_angle"] = m.sector_angle
    key["cell"] = {
        "layers": [[la.name, la.thickness, la.radius] for la in c.layers],
        "die": ([c.die_clearance, c.die_wall_thickness]
                if getattr(c, "die_meshed", c.die_enabled) else None),
    }
    return _round(key)


def geometry_hash(case: Case) -> str:
    """12 hex digits of the SHA-256 of :func:`geometry_key`."""
    text = json.dumps(geometry_key(case), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def mesh_dimension(case: Case) -> str:
    """``CellMesh.dimension`` of the case's mesh: axisymmetric, plane (2D patch) or 3d."""
    if case.patch is not None:
        return "plane" if case.patch.dimension == "2d" else "3d"
    return case.mesh.dimension


def build_mesh(case: Case, comm: MPI.Comm, msh_path: Path | None = None) -> CellMesh:
    """Collective: the case's mesh, generated now: the interface patch if the case has a
    ``patch`` section, else the cell stack (optionally also written to ``msh_path``)."""
    if case.patch is not None:
        from fem.geometry.patch import build_patch_mesh

        return build_patch_mesh(case, comm, msh_path)
    from fem.geometry.stack import build_stack_mesh

    return build_stack_mesh(case, comm, msh_path)


@dataclass
class MeshFiles:
    """What :func:`write_mesh` wrote, the mesh and its quality report (:func:`mesh_quality`).

    ``items()`` gives printable ``(label, value)`` pairs (files, hash, groups, quality).
    """

    cell_mesh: CellMesh
    msh: Path
    xdmf: Path
    groups: Path
    digest: str
    quality: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """Printable summary: paths, geometry hash, group names and the quality report."""
        cm = self.cell_mesh
        return {
            "mesh": str(self.msh),
            "tags": str(self.xdmf),
            "group names": str(self.groups),
            "geometry hash": self.digest,
            "volumes": ", ".join(cm.volume_names()),
            "facets": ", ".join(cm.facet_names()),
            "quality": "\n" + format_quality(self.quality),
        }

    def items(self):
        """``summary().items()`` (lets callers print it like a dict)."""
        return self.summary().items()


def _write_tags(cm: CellMesh, xdmf: Path, groups: Path) -> None:
    """Collective: the mesh and its tags as XDMF, the group names as JSON (rank 0)."""
    with dolfinx.io.XDMFFile(cm.comm, str(xdmf), "w") as f:
        f.write_mesh(cm.mesh)
        f.write_meshtags(cm.cell_tags, cm.mesh.geometry)
        f.write_meshtags(cm.facet_tags, cm.mesh.geometry)
    if cm.comm.rank == 0:
        payload = {"dimension": cm.dimension,
                   "groups": {n: {"dim": d, "tag": t} for n, (d, t) in cm.groups.items()}}
        groups.write_text(json.dumps(payload, indent=1) + "\n")
    cm.comm.barrier()


def write_mesh(case: Case, comm: MPI.Comm, outdir: str | Path = "meshes") -> MeshFiles:
    """Collective: build the case's mesh and write ``<outdir>/<name>-<hash>.msh``, the XDMF of
    its tags and the group-name JSON (overwriting them); returns the paths, the mesh and its
    quality report."""
    outdir = Path(outdir)
    digest = geometry_hash(case)
    base = outdir / f"{case.name}-{digest}"
    msh, xdmf, groups = base.with_suffix(".msh"), base.with_suffix(".xdmf"), \
        base.with_suffix(".groups.json")
    if comm.rank == 0:
        outdir.mkdir(parents=True, exist_ok=True)
    comm.barrier()
    cm = build_mesh(case, comm, msh_path=msh)
    _write_tags(cm, xdmf, groups)
    return MeshFiles(cm, msh, xdmf, groups, digest, mesh_quality(cm))


def cached_msh(case: Case, cache_dir: str | Path) -> Path | None:
    """A .msh in ``cache_dir`` whose name ends in this case's geometry hash (None if none)."""
    d = Path(cache_dir)
    digest = geometry_hash(case)
    exact = d / f"{case.name}-{digest}.msh"
    if exact.is_file():
        return exact
    hits = sorted(d.glob(f"*-{digest}.msh")) if d.is_dir() else []
    return hits[0] if hits else None


def load_or_build_mesh(case: Case, comm: MPI.Comm, cache_dir: str | Path = "meshes") -> CellMesh:
    """Collective: the case's mesh, read from a cached .msh with the same geometry hash in
    ``cache_dir`` if there is one, else built and written there (see :func:`write_mesh`), then
    refined ``mesh.refine`` times on the ranks (the .msh is the coarse mesh)."""
    path = cached_msh(case, cache_dir) if comm.rank == 0 else None
    path = comm.bcast(path, root=0)
    dimension = mesh_dimension(case)
    if path is not None:
        gdim = 3 if dimension == "3d" else 2
        return refined(read_msh(path, comm, gdim, dimension), case)
    return refined(write_mesh(case, comm, cache_dir).cell_mesh, case)


def refined(cm: CellMesh, case: Case) -> CellMesh:
    """Collective: ``cm`` refined ``case.mesh.refine`` times (:mod:`fem.geometry.refine`; the
    3D boundary vertices moved onto the layers' cylinders)."""
    if not case.mesh.refine:
        return cm
    return refine_uniformly(cm, case.mesh.refine, sorted({la.radius for la in case.cell.layers}))
