"""The electrochemistry of a cell case, stepped with the mechanics (staggered coupling).

On the separator and cathode cells of the stack mesh (a submesh: the Li | separator interface is
then a boundary) :class:`~fem.electrochemistry.potential.ChargeConservation` solves, every time
step, the ionic and electronic potentials and the cell voltage at the applied current:

* separator: Li6PS5Cl ionic conductivity kappa(T) of its card, Arrhenius
  (docs/references.md#derived-lpscl-conductivity);
* composite cathode: effective ionic / electronic conductivities (Minnmann 2021,
  docs/references.md#minnmann2021), volumetric Butler-Volmer reaction with specific area
  a = 3 phi_active / r_particle, and a local state of charge ``soc`` (DG0) whose open-circuit
  voltage comes from the active material's table (:mod:`fem.electrochemistry.ocv`, extended
  linearly beyond its ends), evaluated at the particle surface with
  ``electrochemistry.particle_diffusion`` (parabolic profile, :mod:`fem.electrochemistry.particle`:
  soc + tau_p dsoc/dt). The first-charge irreversibility (card ``first_cycle_efficiency`` eta,
  docs/lab-study.md#silicon-cells): a cell of the cathode that reached soc_max can take back only
  eta * soc_max; below soc_max (1 - eta) its OCV falls with the slope ``TAIL_SLOPE``, so a
  discharge ends at its voltage cut-off with the lost capacity;
* Li metal | separator: Butler-Volmer on the true contact, i.e. with the nominal exchange current
  density f i0 where f is the contact fraction of the interface model (:mod:`fem.interface`, the
  previous step's, as a profile along the radius; 1 without it), with the mechanical shift -V_Li p / F
  of the mean interface pressure (docs/references.md#derived-pressure-shift); a symmetric cell's lower
  Li | separator interface is the counter electrode with its own f (its plating current is taken as the
  mirror image of the upper interface's profile);
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

Modules: the submesh and its tags (:mod:`.submesh`), the composite cathode's SOC and OCV
(:mod:`.cathode`), the Li_xSi anode's bookkeeping (:mod:`.lixsi_electrode`), the history columns
and fields (:mod:`.outputs`); this one owns the step: the leakage, the Li | separator kinetics
(contact fraction, mechanical shift, temperature) and the galvanostatic and potentiostatic
solves. It reads only :class:`~fem.electrochemistry.settings.ElectrochemistrySettings`.
"""

from __future__ import annotations

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.electrochemistry.cathode import CompositeCathode
from fem.electrochemistry.conductivity import arrhenius
from fem.electrochemistry.kinetics import Kinetics, mechanical_potential_shift
from fem.electrochemistry.lixsi_electrode import LixSiElectrode
from fem.electrochemistry.outputs import OutputFields, history_columns, history_values
from fem.electrochemistry.potential import ChargeConservation, PlanarElectrode
from fem.electrochemistry.settings import ElectrochemistrySettings
from fem.electrochemistry.submesh import EchemSubmesh


class CellElectrochemistry:
    """Cell voltage, local interface current and cathode state of charge of a cell on the
    stack mesh ``cm`` (a :class:`fem.geometry.mesh.CellMesh`) at ``temperature`` (K)."""

    def __init__(self, cm, settings: ElectrochemistrySettings, temperature: float):
        self.settings = s = settings
        self.comm = cm.comm
        self.axisymmetric = cm.axisymmetric
        #: the layers' settings (None where the cell has no such layer)
        self.cathode, self.anode = s.cathode, s.anode
        self.submesh = sm = EchemSubmesh(cm, s)
        self.parent_of = sm.parent_of  # submesh cell -> stack-mesh cell (checkpoints)
        sub = sm.mesh
        #: the Li_xSi anode (Si cells) and its lithiation profile through the layer
        self.lixsi = LixSiElectrode(cm, s.anode, s.separator.layer) if s.anode else None
        self.si = self.lixsi.si if self.lixsi is not None else None
        # electronic leakage through the separator (option): a parallel electronic path of
        # conductance sigma_e / L_sep per area (S/m^2) across the cell voltage
        self.leak_conductance = (s.separator.electronic_conductivity / s.separator.layer.thickness
                                 if s.separator_leakage else 0.0)
        self.leaked = self._leaked_pending = 0.0  # C/m^2 through the separator, committed
        self.leak_current = 0.0  # A/m^2 of the last solve
        self.voltage_committed = 0.0
        self.ion_current = 0.0  # ionic current density of the last solve (A/m^2)
        self.kappa = dolfinx.fem.Constant(sub, s.separator.ionic_conductivity)
        working = s.anode or s.li
        self.i0_li = dolfinx.fem.Constant(sub, working.exchange_current_density)
        self.shift = dolfinx.fem.Constant(sub, 0.0)
        # true contact fraction of each Li | separator interface (1 until the interface model
        # sets it, set_contact_fraction): i0 is per true contact area, so the nominal exchange
        # current density is f i0 (docs/references.md#derived-contact-kinetics)
        # continuous (P1): the interface current at a node must not depend on which cell (and so
        # which rank) evaluates it
        Q1 = dolfinx.fem.functionspace(sub, ("Lagrange", 1))
        self.contact = {"li": dolfinx.fem.Function(Q1, name="li_contact_fraction"),
                        "counter": dolfinx.fem.Function(Q1, name="counter_contact_fraction")}
        for fn in self.contact.values():
            fn.x.array[:] = 1.0
        self._dof_r = sm.radius(Q1.tabulate_dof_coordinates().T)
        self.composite = counter = None
        self.i0_counter = None
        if s.cathode is not None:
            self.composite = CompositeCathode(sub, sm.cell_tags, sm.groups["cathode"], s.cathode,
                                              s.particle_diffusion)
        else:  # the lower Li of a symmetric cell: under the same stack pressure (same shift)
            self.i0_counter = dolfinx.fem.Constant(sub, s.counter.exchange_current_density)
            counter = PlanarElectrode(Kinetics(self.i0_counter * self.contact["counter"]),
                                      self.shift)
        self.cc = ChargeConservation(
            sub, sm.cell_tags, sm.facet_tags, sm.groups, kappa_separator=self.kappa,
            li_kinetics=Kinetics(self.i0_li), contact_fraction=self.contact["li"],
            cathode=self.composite.electrode if self.composite else None, counter=counter,
            axisymmetric=cm.axisymmetric, temperature=temperature, li_potential_shift=self.shift)
        if self.composite is not None:
            self.composite.add_soc_equation(self.cc)
        # equilibrium initial guess (Butler-Volmer overflows far from it)
        u_c = float(self.composite.table(0.0)) if self.composite is not None else 0.0
        self.cc.V.x.array[:] = u_c - (self.lixsi.potential(0.0) if self.lixsi else 0.0)
        self.voltage = self.cc.cell_voltage
        self.set_temperature(temperature)
        self._li_profile: tuple[np.ndarray, np.ndarray] | None = None
        self.max_local_current = 0.0

    # ------------------------------------------------------------------ coupling inputs
    def set_temperature(self, T: float) -> None:
        """Arrhenius conductivities and exchange currents (the separator's activation energy
        for all of them, [U])."""
        f = float(arrhenius(1.0, self.settings.separator.ionic_activation_energy, T))
        s = self.settings
        self.kappa.value = s.separator.ionic_conductivity * f
        self.i0_li.value = (s.anode or s.li).exchange_current_density * f
        if self.i0_counter is not None:
            self.i0_counter.value = s.counter.exchange_current_density * f
        if self.composite is not None:
            self.composite.set_temperature_factor(f)
        self.cc.T.value = T

    def set_contact_fraction(self, which: str, r: np.ndarray, f: np.ndarray) -> None:
        """The contact fraction of interface ``which`` ("li": the working Li electrode, "counter":
        the lower Li of a symmetric cell) as the profile f(r) (``r`` sorted, the same on every
        rank), interpolated in r at every node of the submesh (only the interface nodes matter).
        Local (no communication)."""
        fn = self.contact[which]
        fn.x.array[:] = np.interp(self._dof_r, r, f) if len(r) else 1.0

    @property
    def area(self) -> float:
        """Nominal area of the mesh's electrodes (m^2; the modelled sector in 3D)."""
        return self.cc.li_area

    @property
    def anode_drop(self) -> float:
        """Electronic drop i R_e of the Li_xSi layer in the last solve (V; 0 without one)."""
        return self.lixsi.drop if self.lixsi is not None else 0.0

    def anode_inventory(self, charge: float) -> dict[str, float]:
        """Where the Li of a Li_xSi cell went after ``charge`` C/m^2 net (mAh/cm^2; see
        :meth:`fem.electrochemistry.lixsi_electrode.LixSiElectrode.inventory`)."""
        return self.lixsi.inventory(charge)

    # ------------------------------------------------------------------ one step
    def floor_step_cap(self, dt: float, allowance: float) -> float | None:
        """The longest next step that keeps every composite-cathode cell within ``allowance``
        (SOC) past its irreversible floor (:meth:`CompositeCathode.floor_step_cap`); None
        without a composite cathode or when none approaches its floor (collective)."""
        if self.composite is None:
            return None
        return self.composite.floor_step_cap(dt, allowance, self.comm)

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
        if self.composite is not None:
            self.composite.set_step(dt)
        self.leak_current = self.leak_conductance * self.voltage_committed
        self._leaked_pending = self.leaked + self.leak_current * dt
        i_app, charge = i_app - self.leak_current, charge - self.leaked  # ionic
        self.ion_current = i_app
        if self.lixsi is not None:  # the anode at the end of the step
            self.shift.value = self.lixsi.step(i_app, charge, dt)
        else:  # -V_Li p / F, V_Li = kinetics.LI_MOLAR_VOLUME (the li card's 13.0 cm^3/mol)
            self.shift.value = mechanical_potential_shift(pressure)
        return i_app

    def _finish(self) -> None:
        """The Li interface current profile and its largest value (collective)."""
        self._li_profile = self._profile()
        i_plate = -self._li_profile[1]
        local = float(np.max(np.abs(i_plate), initial=0.0))
        self.max_local_current = self.comm.allreduce(local, op=MPI.MAX)

    def _solve_linearised(self, i_app: float, voltage: float | None = None) -> float:
        """Galvanostatic at the ionic current density i_app, or potentiostatic at ``voltage``
        (then i_app, the expected current, only picks the OCV table segments' side), with the
        cathode's OCV table re-linearised to the solved SOC
        (:meth:`~fem.electrochemistry.cathode.CompositeCathode.solve_linearised`)."""
        def run() -> float:
            if voltage is None:
                return self.cc.solve(current=i_app * self.area)
            return self.cc.solve(voltage=voltage)

        if self.composite is None:
            return run()
        return self.composite.solve_linearised(run, i_app >= 0.0, self.comm)

    def _profile(self) -> tuple[np.ndarray, np.ndarray]:
        """(coordinate, anodic current density) at the Li interface nodes, all ranks, sorted
        by radius (axisymmetric) for interpolation."""
        xyz, i = self.cc.interface_current_density()
        r = self.submesh.radius(xyz.T)
        r = np.concatenate(self.comm.allgather(r))
        i = np.concatenate(self.comm.allgather(i))
        order = np.argsort(r)
        return r[order], i[order]

    # ------------------------------------------------------------------ hooks of the mechanics
    def plating_current(self, layer: str, x: np.ndarray, i_app: float) -> np.ndarray:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: the local plating current
        density (A/m^2, + plating on charge) at points x of Li layer ``layer``. The upper Li
        takes the interface current of the solve; the counter Li of a symmetric cell carries
        the mirror image (the same profile while its kinetics equal the upper one's)."""
        if self._li_profile is None:
            return np.full(x.shape[1], i_app)
        if self.ion_current == 0.0:  # no ionic current (a rest without leakage)
            return np.zeros(x.shape[1])
        r_nodes, i_nodes = self._li_profile
        return -np.interp(self.submesh.radius(x), r_nodes, i_nodes)

    def cathode_soc_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: the state of charge of
        the parent (stack-mesh) cells ``cells`` before and after the step being solved (the
        cells' own local SOC; cells outside the submesh, ghosts only whose values the owner
        overwrites, get no change). Local (no communication)."""
        return self.composite.soc_of(self.submesh.sub_of[cells])

    def anode_x_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Hook of :class:`fem.mechanics.volume_change.VolumeChange`: x of the Li_xSi layer at
        the depth of the anode cells ``cells`` (parent mesh) before and after the step being
        solved. Local (no communication)."""
        return self.lixsi.x_of(cells)

    # ------------------------------------------------------------------ accept / reject
    def close(self) -> None:
        """Destroy the solvers' PETSc objects now (collective; see fem._dolfinx.destroy_problem)."""
        self.cc.close()
        if self.si is not None:
            self.si.transport.close()

    def commit(self) -> None:
        """Accept the step's SOC (solved with the potentials) and the anode's largest x."""
        self.leaked = self._leaked_pending
        self.voltage_committed = self.voltage
        if self.lixsi is not None:
            self.lixsi.commit()
        if self.composite is not None:
            self.composite.commit()

    def restore(self) -> None:
        """Forget a rejected step's SOC and anode profile."""
        if self.lixsi is not None:
            self.lixsi.restore()
        if self.composite is not None:
            self.composite.restore()

    # ------------------------------------------------------------------ output
    def mean_soc(self) -> float:
        """Volume-mean cathode state of charge (2 pi r weighted in axisymmetry; collective)."""
        if self.composite is None:
            return 0.0
        return self.composite.mean_soc(self.cc.cell_tags, self.axisymmetric)

    def history_columns(self) -> list[str]:
        return history_columns(self)

    def history_values(self) -> dict[str, float]:
        """The history row's electrochemistry values (collective: the mean SOC)."""
        return history_values(self)

    def output_fields(self, parent_mesh: dolfinx.mesh.Mesh) -> dict[str, dolfinx.fem.Function]:
        """Cell-wise (DG0) fields on the parent (stack) mesh, refreshed by
        :meth:`update_output_fields` (:class:`fem.electrochemistry.outputs.OutputFields`)."""
        self.outputs = OutputFields(self, parent_mesh)
        return self.outputs.fields

    def update_output_fields(self) -> None:
        self.outputs.update()

    # ------------------------------------------------------------------ checkpoint
    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        """Submesh fields that carry state (checkpointed through the parent cells): the SOC and
        the last solution (the next solve's initial guess)."""
        out = {"echem_phi_e": self.cc.phi_e}
        if self.composite is not None:
            out.update({"echem_psi": self.cc.psi, **self.composite.state_functions()})
        return out

    def state_scalars(self) -> dict:
        """Scalar state (and the anode's 1D profile, the same on every rank) for checkpoints."""
        out = {"voltage": self.voltage,
               "anode_x_max": self.lixsi.x_max if self.lixsi is not None else 0.0,
               "voltage_committed": self.voltage_committed, "leaked": self.leaked}
        if self.lixsi is not None:
            out["anode_profile"] = self.si.state()
        return out

    def set_state_scalars(self, values: dict) -> None:
        """A checkpoint's scalars, or (only ``voltage``) the voltage reset of a cut-off."""
        self.voltage = values["voltage"]
        if "anode_x_max" in values:  # a checkpoint (not a cut-off's voltage reset)
            self.voltage_committed = values["voltage_committed"]
            self.leaked = self._leaked_pending = values["leaked"]
            if self.lixsi is not None:
                self.lixsi.set_state(values["anode_x_max"], values.get("anode_profile"))
        self.cc.V.x.array[:] = self.voltage
        if self.composite is not None:
            self.composite.update_floor()
