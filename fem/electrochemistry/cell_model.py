"""The electrochemistry of a cell case, stepped with the mechanics (staggered coupling).

On the separator and cathode cells of the stack mesh (a submesh: the Li | separator interface is
then a boundary) :class:`~fem.electrochemistry.potential.ChargeConservation` solves, every time
step, the ionic and electronic potentials and the cell voltage at the applied current:

* separator: Li6PS5Cl ionic conductivity kappa(T) of its card, Arrhenius (physics.md 3.1);
* composite cathode: effective ionic / electronic conductivities (Minnmann 2021, physics.md 3.1),
  volumetric Butler-Volmer reaction with specific area a = 3 phi_active / r_particle, and a local
  state of charge ``soc`` (DG0) whose open-circuit voltage comes from the active material's table
  (:mod:`fem.electrochemistry.ocv`, extended linearly beyond its ends), evaluated at the
  particle surface with ``electrochemistry.particle_diffusion`` (parabolic profile,
  :mod:`fem.electrochemistry.particle`: soc + tau_p dsoc/dt). The first-charge
  irreversibility (card ``first_cycle_efficiency`` eta, lab-data.md 4): a cell of the cathode
  that reached soc_max can take back only eta * soc_max; below soc_max (1 - eta) its OCV falls
  with the slope ``TAIL_SLOPE``, so a discharge ends at its voltage cut-off with the lost capacity;
* Li metal | separator: Butler-Volmer on the true contact, i.e. with the nominal exchange
  current density f i0 where f is the contact fraction of the interface model
  (:mod:`fem.interface`, the previous step's, as a profile along the radius; 1 without it), with
  the mechanical shift -V_Li p / F of the mean interface pressure (physics.md 3.4); a symmetric
  cell's lower Li | separator interface is the counter electrode with its own f (its plating
  current is taken as the mirror image of the upper interface's profile);
* Li_xSi | separator (Si cells): the same kinetics with the Li_xSi open-circuit potential at the
  x of the separator face, from the lithiation profile through the layer
  (:class:`fem.electrochemistry.silicon.SiliconAnode`: concentration-dependent diffusion, the
  front that leaves the collector side unreacted), and the electronic drop i R_e of the layer
  (R_e from the conductivity against x along the profile).

Coupling (staggered, first order in dt): each step solves the electrochemistry with the state of
the previous step (SOC, interface pressure), then the mechanics with the local plating current
of this solve; the SOC advances with the local reaction rate once the step is accepted. The
mechanics -> electrochemistry coupling is weak (0.135 mV/MPa) and the charge-conservation
problem is quasi-static, so a monolithic solve would buy nothing; the first-order convergence in
dt is tested (tests/test_cell_electrochemistry.py). The electrochemistry is solved on the
reference geometry of separator and cathode (their strains stay below 1 %).
"""

from __future__ import annotations

import math

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.constants import FARADAY, MAH_CM2
from fem.electrochemistry.conductivity import arrhenius
from fem.electrochemistry.kinetics import Kinetics, mechanical_potential_shift
from fem.electrochemistry.ocv import TABLES, OcvTable
from fem.electrochemistry.parameters import DEFAULTS
from fem.electrochemistry.particle import relaxation_time
from fem.electrochemistry.potential import ChargeConservation, CompositeElectrode, PlanarElectrode
from fem.electrochemistry.silicon import X_MAX, SiliconAnode

#: OCV drop (V per unit SOC) below the reversible limit of the first charge [D: a steep tail
#: that ends a discharge at its cut-off; 1 V per 2 % of capacity] ...
TAIL_SLOPE = 50.0
#: ... capped at this drop (V), so that a fully lithiated region cannot drive absurd internal
#: currents (its OCV stays above U(floor) - TAIL_MAX; discharge cut-offs lie well within)
TAIL_MAX = 1.5
#: history.csv columns of the electrochemistry, and those a Li_xSi anode adds.
COLUMNS = ["voltage_V", "max_local_current_density_mA_cm2", "cathode_soc"]
ANODE_COLUMNS = ["anode_face_x", "anode_mean_x", "anode_front_um", "anode_reacted_fraction",
                 "anode_electronic_drop_mV"]
#: ... and those the separator's electronic leakage adds.
LEAK_COLUMNS = ["leakage_current_density_mA_cm2", "self_discharge_mAh_cm2"]
#: Active-material OCV table of each cathode card.
CATHODE_TABLES = {"ncm811_composite": "ncm811", "lco_composite": "lco"}
#: Radius of the cathode active particles (m) and their exchange current density (A/m^2).
CATHODE_PARTICLE_RADIUS = 2.5e-6  # NCM811 / LCO secondary particles, d ~ 5 um [U]
CATHODE_EXCHANGE_CURRENT = 1.0  # A/m^2, oxide | sulfide interface, order of magnitude [U]


def extended(table: OcvTable, x: np.ndarray) -> np.ndarray:
    """The table's OCV, continued linearly with its end slopes outside its range."""
    x = np.asarray(x, dtype=float)
    u = table(x)
    lo, hi = table.x[0], table.x[-1]
    s_lo = (table.U[1] - table.U[0]) / (table.x[1] - table.x[0])
    s_hi = (table.U[-1] - table.U[-2]) / (table.x[-1] - table.x[-2])
    return np.where(x < lo, table.U[0] + s_lo * (x - lo),
                    np.where(x > hi, table.U[-1] + s_hi * (x - hi), u))


def segment_slope(table: OcvTable, x: np.ndarray, upward: bool) -> np.ndarray:
    """dU/dx of the table's segment at x (the segment above a node when ``upward``, below
    otherwise), with the end slopes outside the table."""
    m = np.diff(table.U) / np.diff(table.x)
    k = np.searchsorted(table.x, x, side="right" if upward else "left") - 1
    return m[np.clip(k, 0, len(m) - 1)]


def _interface_z(case, lower_role: str, upper_role: str) -> float | None:
    layers = sorted(case.cell.layers, key=lambda la: la.z0)
    for a, b in zip(layers, layers[1:], strict=False):
        if a.role == lower_role and b.role == upper_role:
            return b.z0
    return None


class CellElectrochemistry:
    """Cell voltage, local interface current and cathode state of charge of a case."""

    def __init__(self, cm, case, temperature: float):
        self.case = case
        self.comm = cm.comm
        msh = cm.mesh
        tdim = msh.topology.dim
        self.iz = 1 if cm.axisymmetric else 2
        self.axisymmetric = cm.axisymmetric
        layers = case.cell.layers
        self.sep = next(la for la in layers if la.role == "separator")
        self.cathode = next((la for la in layers if la.role == "cathode"), None)
        self.anode = next((la for la in layers if la.role == "anode"), None)
        self.lis = sorted((la for la in layers if la.role == "li"), key=lambda la: la.z0)
        self.anode_x_max = self.anode_x(0.0) if self.anode is not None else 0.0
        #: lithiation profile through the Li_xSi layer (Si cells)
        self.si = SiliconAnode.from_case(case, self.anode) if self.anode is not None else None
        self._saturation_warned = False
        self.anode_drop = 0.0  # electronic drop i R_e of the Li_xSi layer in the last solve (V)
        self._x_pending = self.anode_x_max
        names = [self.sep.name] + ([self.cathode.name] if self.cathode else [])
        parent_cells = np.unique(np.concatenate([cm.cells(n) for n in names])).astype(np.int32)
        nloc = msh.topology.index_map(tdim).size_local
        sub, emap, _, _ = dolfinx.mesh.create_submesh(msh, tdim, parent_cells[parent_cells < nloc])
        self.sub = sub
        nsub = sub.topology.index_map(tdim).size_local + sub.topology.index_map(tdim).num_ghosts
        self.parent_of = np.asarray(emap.sub_topology_to_topology(np.arange(nsub, dtype=np.int32),
                                                                  False), dtype=np.int32)
        npar = nloc + msh.topology.index_map(tdim).num_ghosts
        self.sub_of = np.full(npar, -1, dtype=np.int32)  # parent cell -> submesh cell (or -1)
        self.sub_of[self.parent_of] = np.arange(nsub, dtype=np.int32)
        self._iface_cells, self._iface_x = self._interface_cells(cm)
        if self.anode is not None:  # anode cells and their depth below the separator face
            self._anode_cells = np.sort(cm.cells(self.anode.name))
            z = dolfinx.mesh.compute_midpoints(msh, tdim, self._anode_cells)[:, self.iz]
            face = self.sep.z1 if self.anode.z0 >= self.sep.z1 - 1e-12 else self.sep.z0
            self._anode_depth = np.abs(z - face)
        cell_tags, groups = self._cell_tags(cm, names)
        facet_tags, fgroups, li_z, counter_z = self._facet_tags()
        groups.update(fgroups)
        self.li_z, self.counter_z = li_z, counter_z

        sep_mat = case.materials[self.sep.material]
        # electronic leakage through the separator (option): a parallel electronic path of
        # conductance sigma_e / L_sep per area (S/m^2) across the cell voltage
        self.leak_conductance = (sep_mat["electronic_conductivity"] / self.sep.thickness
                                 if case.separator_leakage else 0.0)
        self.leaked = self._leaked_pending = 0.0  # C/m^2 through the separator, committed
        self.leak_current = 0.0  # A/m^2 of the last solve
        self.voltage_committed = 0.0
        self._i_ion = 0.0
        self.kappa_ref = sep_mat["ionic_conductivity"]
        self.Ea = sep_mat.values.get("ionic_activation_energy",
                                     DEFAULTS["lpscl_ionic_activation_energy"].value)
        self.T = temperature
        self.kappa = dolfinx.fem.Constant(sub, self.kappa_ref)
        self.i0_li = dolfinx.fem.Constant(sub, DEFAULTS["li_exchange_current_density"].value)
        self.shift = dolfinx.fem.Constant(sub, 0.0)
        # true contact fraction of each Li | separator interface (1 until the interface model
        # sets it, set_contact_fraction): i0 is per true contact area, so the nominal exchange
        # current density is f i0 (physics.md 2.3 item 5)
        # continuous (P1): the interface current at a node must not depend on which cell (and so
        # which rank) evaluates it
        Q1 = dolfinx.fem.functionspace(sub, ("Lagrange", 1))
        self.contact = {"li": dolfinx.fem.Function(Q1, name="li_contact_fraction"),
                        "counter": dolfinx.fem.Function(Q1, name="counter_contact_fraction")}
        for fn in self.contact.values():
            fn.x.array[:] = 1.0
        xq = Q1.tabulate_dof_coordinates()
        self._dof_r = xq[:, 0] if cm.axisymmetric else np.hypot(xq[:, 0], xq[:, 1])
        li_kin = Kinetics(self.i0_li)
        counter = None
        comp = None
        if self.cathode is not None:
            comp = self._composite(sub, cell_tags, groups)
        else:  # the lower Li of a symmetric cell: under the same stack pressure (same shift)
            counter = PlanarElectrode(Kinetics(self.i0_li * self.contact["counter"]), self.shift)
        self.cc = ChargeConservation(
            sub, cell_tags, facet_tags, groups, kappa_separator=self.kappa, li_kinetics=li_kin,
            contact_fraction=self.contact["li"],
            cathode=comp, counter=counter, axisymmetric=cm.axisymmetric, temperature=temperature,
            li_potential_shift=self.shift)
        if comp is not None:
            self._add_soc_equation(cell_tags, groups)
        # equilibrium initial guess (Butler-Volmer overflows far from it)
        u_c = float(self.table(0.0)) if self.cathode is not None else 0.0
        self.cc.V.x.array[:] = u_c - self.anode_potential(0.0)
        self.voltage = self.cc.cell_voltage
        self.set_temperature(temperature)
        self._li_profile: tuple[np.ndarray, np.ndarray] | None = None
        self._counter_profile: tuple[np.ndarray, np.ndarray] | None = None
        self.max_local_current = 0.0

    # ------------------------------------------------------------------ set-up helpers
    def _interface_cells(self, cm) -> tuple[np.ndarray, np.ndarray]:
        """The working electrode's cells (Li, or Li_xSi) on its separator interface, and their
        midpoints (3, n): where the local interface current is written as a field."""
        upper = self.anode if self.anode is not None else self.lis[-1]
        cells = np.unique(cm.interface_cells(upper.name, self.sep.name)[1])
        tdim = cm.mesh.topology.dim
        return cells, dolfinx.mesh.compute_midpoints(cm.mesh, tdim, cells).T

    # ------------------------------------------------------------------ set-up helpers
    def _cell_tags(self, cm, names):
        tdim = self.sub.topology.dim
        parent_tags = np.zeros(cm.mesh.topology.index_map(tdim).size_local
                               + cm.mesh.topology.index_map(tdim).num_ghosts, dtype=np.int32)
        for n in names:
            parent_tags[cm.cells(n)] = cm.tag(n)
        values = parent_tags[self.parent_of]
        idx = np.arange(len(values), dtype=np.int32)
        tags = dolfinx.mesh.meshtags(self.sub, tdim, idx, values)
        groups = {"separator": cm.tag(self.sep.name)}
        if self.cathode is not None:
            groups["cathode"] = cm.tag(self.cathode.name)
        return tags, groups

    def _facet_tags(self):
        """Tag the submesh's flat boundary faces: the Li (or Li_xSi) interface on top of the
        separator, the collector under the cathode or the counter Li under the separator."""
        sub, iz = self.sub, self.iz
        tdim = sub.topology.dim
        sub.topology.create_connectivity(tdim - 1, tdim)
        h = self.case.cell.height
        tol = 1e-6 * h

        axisym = self.axisymmetric

        def at(z, radius):
            def where(x):
                r = x[0] if axisym else np.hypot(x[0], x[1])
                return (np.abs(x[iz] - z) < tol) & (r <= radius * (1 + 1e-9))
            return dolfinx.mesh.locate_entities_boundary(sub, tdim - 1, where)

        upper = self.anode if self.anode is not None else self.lis[-1]
        lower = self.cathode if self.cathode is not None else self.lis[0]
        top = self.sep.z1
        bottom = self.cathode.z0 if self.cathode is not None else self.sep.z0
        f_top, f_bot = at(top, upper.radius), at(bottom, lower.radius)
        idx = np.concatenate([f_top, f_bot]).astype(np.int32)
        val = np.concatenate([np.full(len(f_top), 1), np.full(len(f_bot), 2)]).astype(np.int32)
        order = np.argsort(idx)
        tags = dolfinx.mesh.meshtags(sub, tdim - 1, idx[order], val[order])
        groups = {"li_interface": 1, ("collector" if self.cathode is not None else "counter"): 2}
        return tags, groups, top, bottom

    def _composite(self, sub, cell_tags, groups) -> CompositeElectrode:
        la = self.cathode
        mat = self.case.materials[la.material]
        self.table = TABLES[CATHODE_TABLES.get(la.material, "ncm811")]
        self.efficiency = mat.values.get("first_cycle_efficiency", 1.0)
        phi = mat["active_volume_fraction"]
        a = 3.0 * phi / CATHODE_PARTICLE_RADIUS
        Q0 = dolfinx.fem.functionspace(sub, ("DG", 0))
        self.soc = dolfinx.fem.Function(Q0, name="cathode_soc")  # unknown of the step
        self.soc_n = dolfinx.fem.Function(Q0, name="cathode_soc_n")
        self.soc_max = dolfinx.fem.Function(Q0, name="cathode_soc_max")
        self.floor = dolfinx.fem.Function(Q0, name="cathode_soc_floor")
        self.soc_star = dolfinx.fem.Function(Q0, name="cathode_soc_star")
        self.ocv_star = dolfinx.fem.Function(Q0, name="cathode_ocv_star")
        self.slope_star = dolfinx.fem.Function(Q0, name="cathode_ocv_slope")
        self.dt = dolfinx.fem.Constant(sub, 0.0)
        # the SOC at the particle surface (parabolic profile, fem.electrochemistry.particle):
        # soc + tau_p (soc - soc_n) / dt; tau_p = 0 without particle diffusion
        self.tau_p = dolfinx.fem.Constant(sub, 0.0)
        if self.case.particle_diffusion:
            self.tau_p.value = relaxation_time(CATHODE_PARTICLE_RADIUS, mat["solid_diffusivity"])
        self.inv_dt = dolfinx.fem.Constant(sub, 0.0)
        self.soc_surface = self.soc + self.tau_p * self.inv_dt * (self.soc - self.soc_n)
        # U(soc_surface), implicit in the step's SOC: the table's segment about soc* (re-linearised
        # until soc ends in that segment, :meth:`_solve_linearised`) and the irreversible tail
        # below the floor (exact; a discharge sees it within the step)
        import ufl

        self.ocv = (self.ocv_star + self.slope_star * (self.soc_surface - self.soc_star)
                    - TAIL_SLOPE * ufl.min_value(ufl.max_value(self.floor - self.soc, 0.0),
                                                 TAIL_MAX / TAIL_SLOPE))
        cells = cell_tags.find(groups["cathode"])
        self.cathode_dofs = Q0.dofmap.list[cells, 0]
        nloc = sub.topology.index_map(sub.topology.dim).size_local
        self.cathode_owned = self.cathode_dofs[cells < nloc]
        self.q_vol = (self.case.areal_capacity or 0.0) / la.thickness  # C/m^3
        self.kappa_c_ref = DEFAULTS["composite_ionic_conductivity"].value
        self.kappa_c = dolfinx.fem.Constant(sub, self.kappa_c_ref)
        self.i0_c = dolfinx.fem.Constant(sub, CATHODE_EXCHANGE_CURRENT)
        self._update_ocv()
        self.specific_area = a
        return CompositeElectrode(kappa=self.kappa_c,
                                  sigma=DEFAULTS["composite_electronic_conductivity"].value,
                                  specific_area=a, kinetics=Kinetics(self.i0_c), ocv=self.ocv)

    def _add_soc_equation(self, cell_tags, groups) -> None:
        """Backward Euler for the local SOC, solved with the potentials (stable at any dt):
        soc - soc_n - a i_n dt / q_v = 0 in the cathode (q_v: volumetric capacity, C/m^3)."""
        import ufl

        Q0 = self.soc.function_space
        w = ufl.TestFunction(Q0)
        dx = self.cc.dx
        cat = groups["cathode"]
        # weighted like the charge balance (2 pi r in axisymmetry): charge is conserved exactly;
        # scaled by q_v / 1 h, so its rows are currents (A) like those of the potentials
        scale = self.q_vol / 3600.0
        F = scale * (self.soc - self.soc_n - self.specific_area * self.cc.i_n * self.dt
                     / self.q_vol) * w * self.cc.weight * dx(cat) \
            + self.cc._zero * self.soc * w * dx
        n_all = Q0.dofmap.index_map.size_local + Q0.dofmap.index_map.num_ghosts
        outside = np.setdiff1d(np.arange(n_all, dtype=np.int32), self.cathode_dofs)
        bc = dolfinx.fem.dirichletbc(dolfinx.default_scalar_type(0), outside, Q0)
        self.cc.add_field(self.soc, F, [bc])

    # ------------------------------------------------------------------ state
    def _update_ocv(self) -> None:
        """The irreversible limit (1 - eta) soc_max of each cathode cell."""
        d = self.cathode_dofs
        self.floor.x.array[d] = (1.0 - self.efficiency) * self.soc_max.x.array[d]
        self.floor.x.scatter_forward()

    def set_temperature(self, T: float) -> None:
        """Arrhenius conductivities and exchange currents (same activation energy, [U])."""
        self.T = T
        f = float(arrhenius(1.0, self.Ea, T))
        self.kappa.value = self.kappa_ref * f
        self.i0_li.value = DEFAULTS["li_exchange_current_density"].value * f
        if self.cathode is not None:
            self.kappa_c.value = self.kappa_c_ref * f
            self.i0_c.value = CATHODE_EXCHANGE_CURRENT * f
        self.cc.T.value = T

    def set_contact_fraction(self, which: str, r: np.ndarray, f: np.ndarray) -> None:
        """The contact fraction of interface ``which`` ("li": the working Li electrode, "counter":
        the lower Li of a symmetric cell) as the profile f(r) (``r`` sorted, the same on every
        rank), interpolated in r at every node of the submesh (only the interface nodes matter).
        Local (no communication)."""
        fn = self.contact[which]
        fn.x.array[:] = np.interp(self._dof_r, r, f) if len(r) else 1.0

    def anode_x(self, charge: float) -> float:
        """Mean x of the Li_xSi electrode after ``charge`` C/m^2 (x0 the prelithiation)."""
        la = self.anode
        mat = self.case.materials[la.material]
        n_si = la.thickness * mat["density"] * la.relative_density / mat["molar_mass"]
        return mat.values.get("initial_lithiation", 0.0) + charge / (FARADAY * n_si)

    def anode_potential(self, charge: float, x_face: float | None = None) -> float:
        """Open-circuit potential of a Li_xSi electrode at the x of its separator face
        ``x_face`` (its mean x when None; 0 for Li metal), with the first-cycle trapping: of
        the Li inserted beyond the prelithiation x0, a fraction 1 - eta_Si stays in the Si
        (eta_Si: the Si half-cell first-cycle efficiency), so the potential rises with
        ``TAIL_SLOPE`` V per unit of the mean x once it falls below
        x_trap = (1 - eta_Si) (x_max - x0) [D]: a prelithiation reservoir x0 > x_trap keeps the
        cell cathode-limited."""
        if self.anode is None:
            return 0.0
        x = self.anode_x(charge)
        mat = self.case.materials[self.anode.material]
        x0 = mat.values.get("initial_lithiation", 0.0)
        eta = mat.values.get("first_cycle_efficiency",
                             DEFAULTS["si_first_cycle_efficiency"].value)
        x_trap = (1.0 - eta) * max(self.anode_x_max - x0, 0.0)
        u = float(extended(TABLES["lixsi"], x if x_face is None else x_face))
        return u + min(TAIL_SLOPE * max(x_trap - x, 0.0), TAIL_MAX)

    def anode_inventory(self, charge: float) -> dict[str, float]:
        """Where the Li of a Li_xSi cell went after ``charge`` C/m^2 net (mAh/cm^2): the Li
        left in the anode (x - x0: what the cell lost), the Li the model traps in the Si
        (1 - eta_Si of the inserted), and the prelithiation reservoir that replaced trapped Li
        (x0 > 0 keeps the cell cathode-limited)."""
        la = self.anode
        mat = self.case.materials[la.material]
        n_si = la.thickness * mat["density"] * la.relative_density / mat["molar_mass"]
        x0 = mat.values.get("initial_lithiation", 0.0)
        eta = mat.values.get("first_cycle_efficiency",
                             DEFAULTS["si_first_cycle_efficiency"].value)
        to_mah = FARADAY * n_si * MAH_CM2
        trapped = (1.0 - eta) * max(self.anode_x_max - x0, 0.0) * to_mah
        left = (self.anode_x(charge) - x0) * to_mah
        reservoir = x0 * to_mah
        short_of = max(trapped - left, 0.0)  # trapped Li that came from the reservoir
        return {"li_left_in_anode_mAh_cm2": left, "trapped_in_si_mAh_cm2": trapped,
                "prelithiation_used_mAh_cm2": min(short_of, reservoir),
                "limited_by": ("anode (Si trapping)" if short_of >= reservoir - 1e-6
                               and trapped > 0 else "cathode")}

    @property
    def area(self) -> float:
        """Nominal area of the mesh's electrodes (m^2; the modelled sector in 3D)."""
        return self.cc.li_area

    # ------------------------------------------------------------------ one step
    def solve(self, i_app: float, charge: float, pressure: float, dt: float = 0.0) -> float:
        """Cell voltage (V) at the end of a step dt at the applied current density i_app
        (A/m^2, + charge), with the charge passed before it (C/m^2) and the mean Li | separator
        pressure (Pa).

        With the separator's electronic leakage (``electrochemistry.separator_leakage``) the
        terminal current splits into the ionic current of the electrodes and the electronic
        current G V through the separator (G = sigma_e / L_sep; V the last accepted voltage,
        staggered like the rest of the coupling): i_ion = i_app - G V, so at open circuit the
        cell self-discharges at G V."""
        i_ion = self._prepare(i_app, charge, pressure, dt)
        self.voltage = self._solve_linearised(i_ion)
        self._finish()
        return self.voltage

    def solve_voltage(self, voltage: float, charge: float, pressure: float, dt: float,
                      i_guess: float, rtol: float = 1e-8, max_it: int = 20) -> float:
        """Constant-voltage hold: the terminal current density (A/m^2, + charge) at the held
        cell ``voltage`` at the end of a step dt (backward Euler like the galvanostatic steps).

        The charge-conservation problem is solved potentiostatically; a Li_xSi anode's state
        (lithiation profile, electronic drop i R_e) depends on the current, so for Si cells the
        current is iterated to a fixed point (secant on i - i_solved(i), from ``i_guess``, to
        ``rtol`` of the current, at least 1e-9 A/m^2)."""
        def solved(i: float) -> float:
            i_ion = self._prepare(i, charge, pressure, dt)
            self.voltage = self._solve_linearised(i_ion, voltage=voltage)
            return self.cc.li_current() / self.area + self.leak_current

        i0, g0 = i_guess, solved(i_guess) - i_guess
        i1 = i0 + g0
        for _ in range(max_it if self.si is not None else 0):
            g1 = solved(i1) - i1
            if abs(g1) <= max(rtol * abs(i1), 1e-9):
                break
            i0, g0, i1 = i1, g1, (i1 - g1 * (i1 - i0) / (g1 - g0) if g1 != g0 else i1 + g1)
        else:
            if self.si is not None:
                raise RuntimeError("constant-voltage hold: the current did not settle with the "
                                   f"Li_xSi anode ({max_it} iterations)")
        self._finish()
        return i1

    def _prepare(self, i_app: float, charge: float, pressure: float, dt: float) -> float:
        """Set the step's leakage, anode state and Li | separator potential shift for the
        terminal current density i_app; return the ionic current density."""
        if self.cathode is not None:
            self.dt.value = dt
            self.inv_dt.value = 1.0 / dt if dt > 0 else 0.0
        self.leak_current = self.leak_conductance * self.voltage_committed
        self._leaked_pending = self.leaked + self.leak_current * dt
        i_app, charge = i_app - self.leak_current, charge - self.leaked  # ionic
        self._i_ion = i_app
        li_shift = mechanical_potential_shift(pressure) if self.anode is None else 0.0
        anode = 0.0
        if self.anode is not None:  # the anode at the end of the step
            charge = charge + i_app * dt
            self._x_pending = max(self.anode_x_max, self.anode_x(charge))
            self.si.step(dt, i_app)
            # the face's potential is i R_e above the collector's on charge (silicon.py)
            self.anode_drop = i_app * self.si.electronic_resistance()
            anode = self.anode_potential(charge, self.si.surface_x) - self.anode_drop
        self.shift.value = li_shift + anode
        return i_app

    def _finish(self) -> None:
        """The Li interface current profile and its largest value (collective)."""
        self._li_profile = self._profile()
        i_plate = -self._li_profile[1]
        local = float(np.max(np.abs(i_plate), initial=0.0))
        self.max_local_current = self.comm.allreduce(local, op=MPI.MAX)

    def _linearise(self, at: np.ndarray, upward: bool) -> None:
        d = self.cathode_dofs
        self.soc_star.x.array[d] = at
        self.ocv_star.x.array[d] = extended(self.table, at)
        self.slope_star.x.array[d] = segment_slope(self.table, at, upward)
        for f in (self.soc_star, self.ocv_star, self.slope_star):
            f.x.scatter_forward()

    def _solve_linearised(self, i_app: float, tol: float = 1e-5, max_passes: int = 8,
                          voltage: float | None = None) -> float:
        """Solve with the OCV table linearised about soc*, starting at the step's initial SOC,
        and re-linearise about the new SOC until it stays within the segment (the OCV then is
        the table's to ``tol`` volts). Usually one pass; two when a step crosses a node.
        Galvanostatic at the ionic current density i_app, or potentiostatic at ``voltage``
        (then i_app, the expected current, only picks the table segments' side)."""
        def run() -> float:
            if voltage is None:
                return self.cc.solve(current=i_app * self.area)
            return self.cc.solve(voltage=voltage)

        if self.cathode is None:
            return run()
        d = self.cathode_dofs
        at = self.soc_n.x.array[d].copy()
        upward = i_app >= 0.0
        for _ in range(max_passes):
            self._linearise(at, upward)
            v = run()
            soc = self.surface_soc(d)
            lin = self.ocv_star.x.array[d] + self.slope_star.x.array[d] * (soc - at)
            err = float(np.max(np.abs(extended(self.table, soc) - lin), initial=0.0))
            if self.comm.allreduce(err, op=MPI.MAX) <= tol:
                return v
            at = soc.copy()
        return v

    def surface_soc(self, dofs: np.ndarray) -> np.ndarray:
        """The particle-surface SOC at the cathode dofs (the SOC without particle diffusion)."""
        soc, soc_n = self.soc.x.array[dofs], self.soc_n.x.array[dofs]
        return soc + float(self.tau_p.value) * float(self.inv_dt.value) * (soc - soc_n)

    def _profile(self) -> tuple[np.ndarray, np.ndarray]:
        """(coordinate, anodic current density) at the Li interface nodes, all ranks, sorted
        by radius (axisymmetric) for interpolation."""
        xyz, i = self.cc.interface_current_density()
        r = xyz[:, 0] if self.axisymmetric else np.hypot(xyz[:, 0], xyz[:, 1])
        r = np.concatenate(self.comm.allgather(r))
        i = np.concatenate(self.comm.allgather(i))
        order = np.argsort(r)
        return r[order], i[order]

    def plating_current(self, layer: str, x: np.ndarray, i_app: float) -> np.ndarray:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: the local plating current
        density (A/m^2, + plating on charge) at points x of Li layer ``layer``. The upper Li
        takes the interface current of the solve; the counter Li of a symmetric cell carries
        the mirror image (its kinetics equal the upper one's, so the profile is the same)."""
        if self._li_profile is None:
            return np.full(x.shape[1], i_app)
        if self._i_ion == 0.0:  # no ionic current (a rest without leakage)
            return np.zeros(x.shape[1])
        r_nodes, i_nodes = self._li_profile
        r = x[0] if self.axisymmetric else np.hypot(x[0], x[1])
        return -np.interp(r, r_nodes, i_nodes)

    def cathode_soc_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: the state of charge of
        the parent (stack-mesh) cells ``cells`` before and after the step being solved (the
        cells' own local SOC; cells outside the submesh, ghosts only whose values the owner
        overwrites, get no change). Local (no communication)."""
        sub = self.sub_of[cells]
        d = self.soc.function_space.dofmap.list[np.maximum(sub, 0), 0]
        before = self.soc_n.x.array[d]
        after = np.where(sub >= 0, self.soc.x.array[d], before)
        return before, after

    def anode_x_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: x of the Li_xSi layer at
        the depth of the anode cells ``cells`` (parent mesh) before and after the step being
        solved. Local (no communication)."""
        depth = self._anode_depth[np.searchsorted(self._anode_cells, cells)]
        return self.si.x_at(depth, committed=True), self.si.x_at(depth)

    def commit(self) -> None:
        """Accept the step's SOC (solved with the potentials) and the anode's largest x."""
        self.anode_x_max = self._x_pending
        self.leaked = self._leaked_pending
        self.voltage_committed = self.voltage
        if self.si is not None:
            self.si.commit()
        if self.cathode is None:
            return
        d = self.cathode_dofs
        self.soc_n.x.array[:] = self.soc.x.array
        self.soc_max.x.array[d] = np.maximum(self.soc_max.x.array[d], self.soc.x.array[d])
        self.soc_max.x.scatter_forward()
        self._update_ocv()

    def restore(self) -> None:
        """Forget a rejected step's SOC and anode profile."""
        if self.si is not None:
            self.si.restore()
        if self.cathode is not None:
            self.soc.x.array[:] = self.soc_n.x.array

    def mean_soc(self) -> float:
        """Volume-mean cathode state of charge (2 pi r weighted in axisymmetry)."""
        if self.cathode is None:
            return 0.0
        if not hasattr(self, "_soc_forms"):
            import ufl

            w = 2 * math.pi * ufl.SpatialCoordinate(self.sub)[0] if self.axisymmetric else 1.0
            dx = ufl.Measure("dx", domain=self.sub, subdomain_data=self.cc.cell_tags)
            tag = self.cc._cat
            self._soc_forms = (dolfinx.fem.form(self.soc * w * dx(tag)),
                               dolfinx.fem.form(w * dx(tag)))
        num, den = (dolfinx.fem.assemble_scalar(f) for f in self._soc_forms)
        return self.comm.allreduce(num, op=MPI.SUM) / self.comm.allreduce(den, op=MPI.SUM)

    def history_columns(self) -> list[str]:
        return (COLUMNS + (ANODE_COLUMNS if self.si is not None else [])
                + (LEAK_COLUMNS if self.leak_conductance > 0 else []))

    def history_values(self) -> dict[str, float]:
        """The history row's electrochemistry values (collective: the mean SOC)."""
        row = {"voltage_V": self.voltage,
               "max_local_current_density_mA_cm2": self.max_local_current * 0.1,
               "cathode_soc": self.mean_soc()}
        if self.leak_conductance > 0:
            row |= {"leakage_current_density_mA_cm2": self.leak_current * 0.1,
                    "self_discharge_mAh_cm2": self.leaked * MAH_CM2}
        if self.si is not None:
            si = self.si
            row |= {"anode_face_x": si.surface_x, "anode_mean_x": si.mean_x,
                    "anode_front_um": si.front_depth() * 1e6,
                    "anode_reacted_fraction": si.reacted_fraction(),
                    "anode_electronic_drop_mV": self.anode_drop * 1e3}
            if si.surface_x > X_MAX and not self._saturation_warned:
                self._saturation_warned = True
                from fem.log import get_logger

                get_logger().warning(
                    f"the Li_xSi face is lithiated beyond x = {X_MAX} (x = {si.surface_x:.2f}): "
                    "Li metal would plate on the Si there (not modelled); transport in the "
                    "layer limits at this current")
        return row

    def output_fields(self, parent_mesh: dolfinx.mesh.Mesh) -> dict[str, dolfinx.fem.Function]:
        """Cell-wise (DG0) fields on the parent (stack) mesh, refreshed by
        :meth:`update_output_fields`: the ionic potential, the solid potential and the SOC of
        the cathode (0 outside the separator and cathode)."""
        Q0 = dolfinx.fem.functionspace(parent_mesh, ("DG", 0))
        Qs = dolfinx.fem.functionspace(self.sub, ("DG", 0))
        names = ["ionic_potential"] + (["solid_potential", "cathode_soc"]
                                       if self.cathode is not None else [])
        self._out = {n: dolfinx.fem.Function(Q0, name=n) for n in names}
        self._out_sub = dolfinx.fem.Function(Qs)
        pts = Qs.element.interpolation_points
        self._out_expr = {"ionic_potential": dolfinx.fem.Expression(self.cc.phi_e, pts)}
        if self.cathode is not None:
            self._out_expr["solid_potential"] = dolfinx.fem.Expression(self.cc.phi_s_expr, pts)
            self._out_expr["cathode_soc"] = dolfinx.fem.Expression(self.soc, pts)
        self._out_dofs = (Q0.dofmap.list[self.parent_of, 0], Qs.dofmap.list[:, 0])
        if self.si is not None:  # x through the Li_xSi layer, at each cell's depth
            self._out["lithiation_x"] = dolfinx.fem.Function(Q0, name="lithiation_x")
        # the local plating current density (A/m^2, > 0 plating) on the working electrode's
        # cells at the separator face
        self._out["interface_current_density"] = dolfinx.fem.Function(
            Q0, name="interface_current_density")
        return self._out

    def update_output_fields(self) -> None:
        parent_dofs, sub_dofs = self._out_dofs
        for name, f in self._out.items():
            if name == "lithiation_x":
                dofs = f.function_space.dofmap.list[self._anode_cells, 0]
                f.x.array[dofs] = self.si.x_at(self._anode_depth)
                continue
            if name == "interface_current_density":
                dofs = f.function_space.dofmap.list[self._iface_cells, 0]
                f.x.array[dofs] = self.plating_current("", self._iface_x, self._i_ion)
                f.x.scatter_forward()
                continue
            self._out_sub.interpolate(self._out_expr[name])
            f.x.array[parent_dofs] = self._out_sub.x.array[sub_dofs]
            f.x.scatter_forward()

    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        """Submesh fields that carry state (checkpointed through the parent cells): the SOC and
        the last solution (the next solve's initial guess)."""
        out = {"echem_phi_e": self.cc.phi_e}
        if self.cathode is not None:
            out.update({"echem_psi": self.cc.psi, "cathode_soc": self.soc,
                        "cathode_soc_n": self.soc_n, "cathode_soc_max": self.soc_max})
        return out

    def state_scalars(self) -> dict:
        """Scalar state (and the anode's 1D profile, the same on every rank) for checkpoints."""
        out = {"voltage": self.voltage, "anode_x_max": self.anode_x_max,
               "voltage_committed": self.voltage_committed, "leaked": self.leaked}
        if self.si is not None:
            out["anode_profile"] = self.si.state()
        return out

    def set_state_scalars(self, values: dict) -> None:
        self.voltage = values["voltage"]
        if "anode_x_max" in values:  # a checkpoint (not a cut-off's voltage reset)
            self.anode_x_max = self._x_pending = values["anode_x_max"]
            self.voltage_committed = values["voltage_committed"]
            self.leaked = self._leaked_pending = values["leaked"]
        if self.si is not None and "anode_profile" in values:
            self.si.set_state(values["anode_profile"])
        self.cc.V.x.array[:] = self.voltage
        if self.cathode is not None:
            self._update_ocv()
