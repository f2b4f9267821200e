"""What the cell's electrochemistry writes: its history.csv columns and its cell-wise fields on
the stack mesh."""

from __future__ import annotations

from fem._dolfinx import dolfinx
from fem.constants import MAH_CM2
from fem.electrochemistry import lixsi_electrode

#: history.csv columns of the electrochemistry ...
COLUMNS = ["voltage_V", "max_local_current_density_mA_cm2", "cathode_soc"]
#: ... and those the separator's electronic leakage adds (a Li_xSi anode adds
#: :data:`fem.electrochemistry.lixsi_electrode.COLUMNS`).
LEAK_COLUMNS = ["leakage_current_density_mA_cm2", "self_discharge_mAh_cm2"]


def history_columns(ec) -> list[str]:
    """The columns of :class:`~fem.electrochemistry.cell_model.CellElectrochemistry` ``ec``."""
    return (COLUMNS + (lixsi_electrode.COLUMNS if ec.lixsi is not None else [])
            + (LEAK_COLUMNS if ec.leak_conductance > 0 else []))


def history_values(ec) -> dict[str, float]:
    """The history row's values of ``ec`` (collective: the mean SOC)."""
    row = {"voltage_V": ec.voltage,
           "max_local_current_density_mA_cm2": ec.max_local_current * 0.1,
           "cathode_soc": ec.mean_soc()}
    if ec.leak_conductance > 0:
        row |= {"leakage_current_density_mA_cm2": ec.leak_current * 0.1,
                "self_discharge_mAh_cm2": ec.leaked * MAH_CM2}
    if ec.lixsi is not None:
        row |= ec.lixsi.history_values()
    return row


class OutputFields:
    """Cell-wise (DG0) fields on the parent (stack) mesh of ``ec``, refreshed by
    :meth:`update`: the ionic potential, the solid potential and the SOC of the cathode (0
    outside the separator and cathode), x through a Li_xSi layer at each cell's depth, and the
    local plating current density (A/m^2, > 0 plating) on the working electrode's cells at the
    separator face."""

    def __init__(self, ec, parent_mesh: dolfinx.mesh.Mesh):
        self.ec = ec
        sm, cathode = ec.submesh, ec.composite
        Q0 = dolfinx.fem.functionspace(parent_mesh, ("DG", 0))
        Qs = dolfinx.fem.functionspace(sm.mesh, ("DG", 0))
        names = ["ionic_potential"] + (["solid_potential", "cathode_soc"]
                                       if cathode is not None else [])
        self.fields = {n: dolfinx.fem.Function(Q0, name=n) for n in names}
        self._sub = dolfinx.fem.Function(Qs)
        pts = Qs.element.interpolation_points
        self._expr = {"ionic_potential": dolfinx.fem.Expression(ec.cc.phi_e, pts)}
        if cathode is not None:
            self._expr["solid_potential"] = dolfinx.fem.Expression(ec.cc.phi_s_expr, pts)
            self._expr["cathode_soc"] = dolfinx.fem.Expression(cathode.soc, pts)
        self._dofs = (Q0.dofmap.list[sm.parent_of, 0], Qs.dofmap.list[:, 0])
        if ec.lixsi is not None:
            self.fields["lithiation_x"] = dolfinx.fem.Function(Q0, name="lithiation_x")
        self.fields["interface_current_density"] = dolfinx.fem.Function(
            Q0, name="interface_current_density")

    def update(self) -> None:
        ec = self.ec
        parent_dofs, sub_dofs = self._dofs
        for name, f in self.fields.items():
            if name == "lithiation_x":
                dofs = f.function_space.dofmap.list[ec.lixsi.cells, 0]
                f.x.array[dofs] = ec.lixsi.si.x_at(ec.lixsi.depth)
                continue
            if name == "interface_current_density":
                sm = ec.submesh
                dofs = f.function_space.dofmap.list[sm.iface_cells, 0]
                f.x.array[dofs] = ec.plating_current("", sm.iface_x, ec.ion_current)
                f.x.scatter_forward()
                continue
            self._sub.interpolate(self._expr[name])
            f.x.array[parent_dofs] = self._sub.x.array[sub_dofs]
            f.x.scatter_forward()
