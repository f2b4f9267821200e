"""The mesh of a cell with its named regions, loaded in parallel from a gmsh model.

Geometry is built with gmsh on rank 0 only, in model units of micrometres (:data:`MODEL_UNIT`:
OpenCASCADE's fixed precision of 1e-7 model units would otherwise be 0.1 um, the size of the
roughness features of an interface patch), meshed, scaled to metres and handed to
``dolfinx.io.gmsh.model_to_mesh``, which distributes it over the communicator.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.errors import CaseError

#: Length of one gmsh model unit in metres (geometry is built in micrometres).
MODEL_UNIT = 1e-6

#: ``CellMesh.dimension`` values: (r, z) section, plane (x, z) strip, 3D.
DIMENSIONS = ("axisymmetric", "plane", "3d")


@dataclass
class CellMesh:
    """A dolfinx mesh with cell and facet tags and the gmsh physical-group names.

    ``groups[name] = (dim, tag)``; look regions up by name, never by integer tag.
    ``dimension`` is ``"axisymmetric"`` ((r, z) coordinates), ``"plane"`` ((x, z) coordinates,
    2D interface strips) or ``"3d"``.
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

    def interface_name(self, a: str, b: str) -> str | None:
        """The facet group between volumes ``a`` and ``b`` ("a_b" or "b_a"), None if absent."""
        for name in (f"{a}_{b}", f"{b}_{a}"):
            if self.has(name):
                return name
        return None

    def interface_cells(self, a: str, b: str, owned: bool = False
                        ) -> tuple[np.ndarray, np.ndarray]:
        """(facets, cells): the local facets of the interface between volumes ``a`` and ``b``
        and, for each, its cell in ``a`` (owned cells only when ``owned``); empty without the
        interface group."""
        name = self.interface_name(a, b)
        empty = np.zeros(0, dtype=np.int32)
        if name is None:
            return empty, empty
        msh = self.mesh
        tdim = msh.topology.dim
        msh.topology.create_connectivity(tdim - 1, tdim)
        f2c = msh.topology.connectivity(tdim - 1, tdim)
        limit = msh.topology.index_map(tdim).size_local if owned else np.iinfo(np.int32).max
        in_a = set(self.cells(a).tolist())
        pairs = [(f, c) for f in self.facets(name) for c in f2c.links(f)
                 if c in in_a and c < limit]
        return (np.array([f for f, _ in pairs], dtype=np.int32),
                np.array([c for _, c in pairs], dtype=np.int32))

    def volume_names(self) -> list[str]:
        """Names of the volume (cell) groups."""
        tdim = self.mesh.topology.dim
        return [n for n, (d, _) in self.groups.items() if d == tdim]

    def facet_names(self) -> list[str]:
        """Names of the facet groups (boundaries and interfaces)."""
        tdim = self.mesh.topology.dim
        return [n for n, (d, _) in self.groups.items() if d == tdim - 1]


def from_gmsh_model(model, comm: MPI.Comm, gdim: int, dimension: str) -> CellMesh:
    """Distribute a gmsh model built on rank 0 (``model`` may be None on other ranks).

    The mesh is ghosted with ``GhostMode.shared_facet`` (each rank also holds the cells across
    its process-boundary facets), so interior-facet (``dS``) integrals over interfaces work in
    parallel.
    """
    from dolfinx.io import gmsh as gmshio

    partitioner = dolfinx.mesh.create_cell_partitioner(dolfinx.mesh.GhostMode.shared_facet, 2)
    md = gmshio.model_to_mesh(model, comm, 0, gdim=gdim, partitioner=partitioner)
    groups = {name: (pg.dim, pg.tag) for name, pg in md.physical_groups.items()}
    tdim = md.mesh.topology.dim
    md.mesh.topology.create_connectivity(tdim - 1, tdim)
    md.cell_tags.name = "cell_tags"
    md.facet_tags.name = "facet_tags"
    return CellMesh(md.mesh, md.cell_tags, md.facet_tags, groups, dimension)


@contextlib.contextmanager
def gmsh_session(name: str) -> Iterator[None]:
    """A fresh gmsh model named ``name`` (initialises gmsh if needed, cleans up after)."""
    import gmsh

    owner = not gmsh.isInitialized()
    if owner:
        gmsh.initialize(interruptible=False)
    gmsh.option.setNumber("General.Terminal", 0)
    gmsh.model.add(name)
    try:
        yield
    finally:
        if owner:
            gmsh.finalize()
        else:
            gmsh.model.remove()


def scale_to_si() -> None:
    """Scale the nodes of the current gmsh mesh from model units to metres (rank 0)."""
    import gmsh

    s = MODEL_UNIT
    gmsh.model.mesh.affineTransform([s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0])


def write_msh_atomic(path: Path) -> None:
    """Write the current gmsh mesh to ``path`` (.msh 4.1) via a temporary file (rank 0)."""
    import gmsh

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp{os.getpid()}.msh")
    gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
    gmsh.option.setNumber("Mesh.SaveAll", 0)
    gmsh.write(str(tmp))
    os.replace(tmp, path)


def _raise_everywhere(comm: MPI.Comm, exc: BaseException | None) -> None:
    """Collective: re-raise a rank-0 exception on every rank (CaseErrors keep their fields)."""
    info = None
    if exc is not None:
        if isinstance(exc, CaseError):
            info = ("case", (exc.key, repr(exc.value), exc.allowed))
        else:
            info = ("other", f"{type(exc).__name__}: {exc}")
    info = comm.bcast(info, root=0)
    if info is None:
        return
    if exc is not None:
        raise exc
    if info[0] == "case":
        raise CaseError(*info[1])
    raise RuntimeError(f"mesh generation failed on rank 0: {info[1]}")


def mesh_on_rank0(build: Callable[[], None], comm: MPI.Comm, gdim: int, dimension: str,
                  name: str, msh_path: Path | None = None) -> CellMesh:
    """Collective: run ``build`` (creates, meshes and scales the gmsh model) on rank 0, optionally
    write the .msh there, and distribute the mesh over ``comm``.

    An exception on rank 0 is re-raised on every rank before any collective call, so a failed
    build cannot leave the other ranks waiting.
    """
    import gmsh

    with contextlib.ExitStack() as stack:
        error: BaseException | None = None
        model = None
        if comm.rank == 0:
            stack.enter_context(gmsh_session(name))
            try:
                build()
                if msh_path is not None:
                    write_msh_atomic(msh_path)
                model = gmsh.model
            except Exception as exc:  # re-raised on all ranks below
                error = exc
        _raise_everywhere(comm, error)
        return from_gmsh_model(model, comm, gdim, dimension)


def read_msh(path: Path, comm: MPI.Comm, gdim: int, dimension: str) -> CellMesh:
    """Collective: read a .msh file on rank 0 with ``gmsh.open`` and distribute its mesh."""
    import gmsh

    def build() -> None:
        gmsh.open(str(path))

    return mesh_on_rank0(build, comm, gdim, dimension, name=Path(path).stem)
