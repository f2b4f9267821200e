"""fields.xdmf (+ .h5): the time series of the fields for ParaView.

XDMF stores P1 and DG0 data: the displacement is interpolated to P1, stresses and other cell
quantities are evaluated per cell (DG0). Collective on the mesh's communicator.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import ufl

from fem._dolfinx import dolfinx


class _CellAverage:
    """Evaluates an expression at quadrature points and stores the cell mean in a DG0 field."""

    def __init__(self, expr: dolfinx.fem.Expression, Q0):
        msh = Q0.mesh
        self.expr = expr
        self.cells = np.arange(msh.topology.index_map(msh.topology.dim).size_local, dtype=np.int32)
        self.dofs = Q0.dofmap.list[self.cells, 0]

    def fill(self, out: dolfinx.fem.Function) -> None:
        vals = self.expr.eval(out.function_space.mesh, self.cells)
        out.x.array[self.dofs] = vals.reshape(len(self.cells), -1).mean(axis=1)


class FieldWriter:
    """Writes the registered fields at chosen times into one XDMF file.

    A restarted run appends to the file of the run it continues (``append``): the steps after
    the checkpoint time are dropped from the file, the mesh is written again under a new name
    (a restart may partition it differently: the data of each step follows its own
    partition), and on :meth:`close` every step points at the mesh it was written with.
    """

    def __init__(self, path: Path, mesh: dolfinx.mesh.Mesh, cell_tags=None,
                 meshes: list[list] | None = None):
        """``meshes``: [[mesh grid name, start time], ...] of the runs so far, the last one
        this run's (None: a new file)."""
        self.mesh, self.path = mesh, Path(path)
        self.meshes = meshes or [[mesh.name, 0.0]]
        if meshes is None:
            self.xdmf = dolfinx.io.XDMFFile(mesh.comm, str(path), "w")
            self.xdmf.write_mesh(mesh)
            if cell_tags is not None:
                cell_tags.name = "regions"
                self.xdmf.write_meshtags(cell_tags, mesh.geometry)
        else:
            name, t_start = self.meshes[-1]
            problem = None
            if mesh.comm.rank == 0:  # a run killed outright can leave it empty or cut short
                try:
                    trim_xdmf(self.path, t_start)
                except Exception as exc:  # noqa: BLE001 - any unreadable file: set it aside
                    problem = f"{self.path.name}: {exc}"
            problem = mesh.comm.bcast(problem, root=0)
            if problem is not None:  # on every rank, before any collective open
                raise RuntimeError(f"cannot continue {problem}")
            self.xdmf = dolfinx.io.XDMFFile(mesh.comm, str(path), "a")
            old, mesh.name = mesh.name, name
            try:
                self.xdmf.write_mesh(mesh)
            finally:
                mesh.name = old
        self._items: list[tuple[dolfinx.fem.Function, object]] = []

    def add_vector(self, name: str, u: dolfinx.fem.Function) -> None:
        """A vector field, written as P1 (interpolated from u's space)."""
        gdim = self.mesh.geometry.dim
        V1 = dolfinx.fem.functionspace(self.mesh, ("Lagrange", 1, (gdim,)))
        out = dolfinx.fem.Function(V1, name=name)
        self._items.append((out, u))

    def add_cell_scalar(self, name: str, expr: ufl.core.expr.Expr, points: np.ndarray) -> None:
        """A scalar expression averaged over the quadrature ``points`` of each cell (DG0);
        the expression may hold quadrature-space functions (internal variables)."""
        Q0 = dolfinx.fem.functionspace(self.mesh, ("DG", 0))
        out = dolfinx.fem.Function(Q0, name=name)
        self._items.append((out, _CellAverage(dolfinx.fem.Expression(expr, points), Q0)))

    def write(self, t: float) -> None:
        for out, src in self._items:
            if isinstance(src, _CellAverage):
                src.fill(out)
            else:
                out.interpolate(src)
            out.x.scatter_forward()
            self.xdmf.write_function(out, t)

    def close(self) -> None:
        self.xdmf.close()
        if len(self.meshes) > 1:
            if self.mesh.comm.rank == 0:
                retarget_xdmf(self.path, self.meshes)
            self.mesh.comm.barrier()


def open_field_file(path: Path, cm, meshes: list[list] | None, restarts: int
                    ) -> tuple[FieldWriter, list[list]]:
    """fields.xdmf of a run on the mesh ``cm``: a new file (``meshes`` None), or the file of
    the run a restart continues. A run killed outright (SIGKILL, node failure) can leave it
    unreadable: it is then kept as fields.damaged-<restarts>.* and the field output starts
    afresh (history and state come from the checkpoint and are intact). Collective; returns
    the writer and its mesh list."""
    try:
        writer = FieldWriter(path, cm.mesh, cm.cell_tags, meshes=meshes)
    except RuntimeError as exc:  # HDF5 cannot reopen a file its writer was killed on
        if meshes is None:
            raise
        _set_aside(path, restarts, cm.mesh.comm)
        from fem.log import get_logger

        get_logger().warning(f"{path.name} of the interrupted run cannot be reopened ({exc}); "
                             f"kept as {path.stem}.damaged-{restarts}.*, the fields from the "
                             "restart on go into a new fields.xdmf")
        writer = FieldWriter(path, cm.mesh, cm.cell_tags)
    return writer, writer.meshes


def _set_aside(path: Path, restarts: int, comm) -> None:
    comm.barrier()
    if comm.rank == 0:
        for suffix in (".xdmf", ".h5"):
            src = path.with_suffix(suffix)
            if src.exists():
                src.replace(path.with_name(f"{path.stem}.damaged-{restarts}{suffix}"))
    comm.barrier()


_XI = "http://www.w3.org/2001/XInclude"
_HEADER = '<?xml version="1.0"?>\n<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>\n'


def _temporal_steps(root):
    """(collection, grid, time) of every step of every temporal collection."""
    for coll in root.iter("Grid"):
        if coll.get("CollectionType") != "Temporal":
            continue
        for g in list(coll.findall("Grid")):
            t = g.find("Time")
            if t is not None:
                yield coll, g, float(t.get("Value"))


def _xinclude_namespace(path: Path) -> str:
    """The XInclude namespace URI the file declares (dolfinx writes https://...)."""
    import re

    m = re.search(r'xmlns:xi="([^"]+)"', path.read_text()[:2000])
    return m.group(1) if m else _XI


def _edit_xdmf(path: Path, edit) -> None:
    import xml.etree.ElementTree as ET

    ET.register_namespace("xi", _xinclude_namespace(path))
    tree = ET.parse(path)
    edit(tree.getroot())
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(_HEADER + ET.tostring(tree.getroot(), encoding="unicode") + "\n")
    tmp.replace(path)


def trim_xdmf(path: Path, t_max: float) -> None:
    """Drop the steps after ``t_max`` (written by a run after its last checkpoint)."""
    def edit(root) -> None:
        for coll, g, t in list(_temporal_steps(root)):
            if t > t_max + 1e-12 * max(abs(t_max), 1.0):
                coll.remove(g)

    _edit_xdmf(path, edit)


def retarget_xdmf(path: Path, meshes: list[list]) -> None:
    """Point each step at the mesh of the run that wrote it: the mesh of the last run whose
    start time is before the step's time (dolfinx points every step at the first mesh)."""
    xi = _xinclude_namespace(path)

    def edit(root) -> None:
        for _, g, t in _temporal_steps(root):
            name = meshes[0][0]
            for mesh_name, t_start in meshes[1:]:
                if t > t_start + 1e-12 * max(abs(t_start), 1.0):
                    name = mesh_name
            inc = g.find(f"{{{xi}}}include")
            if inc is not None:
                inc.set("xpointer", f"xpointer(/Xdmf/Domain/Grid[@Name='{name}']"
                        "/*[self::Topology or self::Geometry])")

    _edit_xdmf(path, edit)
