"""What a cell stack shows: its history columns and row, and its fields for the XDMF file.

Units at the edge: the row converts SI to the units in the column names.
"""

from __future__ import annotations

from fem._dolfinx import dolfinx
from fem.constants import MPA, UM
from fem.output.fields import FieldWriter

#: History columns of the mechanics probes (after fem.output.history.BASE_COLUMNS).
PROBE_COLUMNS = ["li_thickness_change_um", "li_separator_pressure_MPa", "max_creep_strain",
                 "creep_strain_q995"]
#: History columns of the interface model (fem.interface.stations.InterfaceStations.scalars).
INTERFACE_COLUMNS = ["contact_fraction", "min_contact_fraction", "min_void_margin",
                     "focused_current_density_mA_cm2", "extrusion_depth_um",
                     "flaw_pressure_MPa", "flaw_pressure_ratio"]
#: Cell fields of the interface model (SI: 1, 1, A/m^2, m, 1; zero off the interfaces).
INTERFACE_FIELDS = ("contact_fraction", "void_margin", "focused_current_density",
                    "extrusion_depth", "flaw_pressure_ratio")


class StackOutputs:
    """History row and field file contents of a :class:`fem.cellstack.CellStack`."""

    def __init__(self, stack):
        self.stack = stack
        self.interface_fields: dict[str, dolfinx.fem.Function] = {}

    def columns(self) -> list[str]:
        """The stack's history columns after the base columns, in order."""
        s = self.stack
        cols = list(PROBE_COLUMNS)
        if s.stations is not None:
            cols += INTERFACE_COLUMNS
        if s.echem is not None:
            cols += s.echem.history_columns()
        if s.mech.rims is not None:
            cols += list(s.mech.rims.scalars())
        return cols

    def row(self) -> dict[str, float]:
        """The stack's part of a history row after a committed step (collective)."""
        s = self.stack
        row = {
            "stack_pressure_MPa": s.pressure * MPA,
            "stack_strain": s.mech.U / s.height,
            "platen_displacement_um": s.mech.U * UM,
            "li_thickness_change_um": s.li_probe.change() * UM,
            "li_separator_pressure_MPa": s.interface_probe.value() * MPA,
            "max_creep_strain": s.creep.max_total() if s.creep is not None else 0.0,
            # exceeded at 0.5 % of the creeping points only (not held by a singular corner)
            "creep_strain_q995": s.creep.strain_measure() if s.creep is not None else 0.0,
        }
        if s.stations is not None:
            row.update(s.stations.scalars())
        if s.echem is not None:
            row.update(s.echem.history_values())
        if s.mech.rims is not None:
            row.update(s.mech.rims.scalars())
        return row

    def register(self, writer: FieldWriter) -> None:
        """Add the stack's fields to ``writer``: displacement, stresses (and creep), the
        electrochemistry's and the interface model's cell fields."""
        s = self.stack
        writer.add_vector("displacement", s.mech.u)
        pts = s.mech.QT.element.interpolation_points
        for name, expr in s.mech.output_expressions().items():
            writer.add_cell_scalar(name, expr, pts)
        if s.echem is not None:
            for name, f in s.echem.output_fields(s.cm.mesh).items():
                writer.add_cell_scalar(name, f, pts)
        self.interface_fields = {}
        if s.stations is not None:
            Q0 = dolfinx.fem.functionspace(s.cm.mesh, ("DG", 0))
            for name in INTERFACE_FIELDS:
                f = self.interface_fields[name] = dolfinx.fem.Function(Q0, name=name)
                writer.add_cell_scalar(name, f, pts)

    def update(self) -> None:
        """Refresh the fields that are not expressions of the state (before a write)."""
        s = self.stack
        if s.echem is not None:
            s.echem.update_output_fields()
        n = s.cm.mesh.topology.index_map(s.cm.mesh.topology.dim).size_local
        for name, f in self.interface_fields.items():
            f.x.array[f.function_space.dofmap.list[:n, 0]] = s.stations.cell_values(name, n)
            f.x.scatter_forward()
