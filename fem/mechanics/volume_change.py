"""Volume change of the electrodes as eigenstrains driven by the state of charge.

* Li plating / stripping (docs/references.md#derived-li-thickness-per-capacity): a current
  density i (A/m^2, local) plates Li at the Li | separator interface at the rate v = i V_Li / F
  (1 mA/cm^2 -> 4.85 um/h; V_Li: docs/references.md#derived-li-molar-volume). The Li layer
  grows in thickness only: d eps_zz = i V_Li dt / (F h_Li). In a full cell charging plates Li;
  in a symmetric cell charging plates the upper Li layer and strips the lower one.
* Cathode composite breathing (Koerver et al. 2018, docs/references.md#koerver2018; SOC shape:
  docs/references.md#jousseaume2024): isotropic strain
  eps = f(SOC) * (dV/V)_active,full * phi_active / 3, with f the card's
  ``volume_change_vs_soc`` table, phi_active the active volume fraction of the composite and
  SOC the charge passed over the areal capacity.
* Li_xSi swelling (docs/references.md#derived-lixsi-swelling): J(x) = 1 + (Omega_Li / V_Si) x, isotropic
  stretch (J(x)/J(x0))^(1/3) relative to the as-pressed electrode at x0; x rises by q / (F n_Si) on
  charge with n_Si the Si moles per area.

Until the electrochemistry model supplies the local current (``current_density`` hook), the
plating rate is the protocol current spread uniformly. With the electrochemistry, the cathode
strain follows the local state of charge of each cell (``cathode_soc`` hook) and the Li_xSi
strain the local x at each cell's depth in the layer (``anode_lithiation`` hook: the lithiation
front of :mod:`fem.electrochemistry.silicon`); without it both follow the charge passed
(uniform).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from fem._dolfinx import dolfinx
from fem.constants import FARADAY
from fem.mechanics.boundary import move_die_wall
from fem.mechanics.creep import CreepModel
from fem.mechanics.creep_laws import OverstressPlasticity
from fem.mechanics.settings import VolumeChangeSettings

#: Cathode state of charge of parent cells (before, after the step): cells -> (soc_n, soc).
CellSoc = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: Li_xSi lithiation of parent anode cells (before, after the step): cells -> (x_n, x).
CellLithiation = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

#: Local current density at the interface of Li layer ``layer`` as a function of the
#: cell-centre coordinates x (shape (3, n)) and the applied current (A/m^2): returns i (A/m^2,
#: + = plating on charge; the lower Li of a symmetric cell applies its own sign).
CurrentDistribution = Callable[[str, np.ndarray, float], np.ndarray]


def uniform_current(layer: str, x: np.ndarray, i_app: float) -> np.ndarray:  # noqa: ARG001
    """The default: the applied current everywhere on the interface."""
    return np.full(x.shape[1], i_app)


def die_wall_step(gap: float, dT: float, alpha_layer: float, alpha_die: float,
                  radius: float) -> tuple[float, float]:
    """(u_r, gap') of a layer at a rigid frictionless die wall on a temperature change dT:
    the bore grows by d = alpha_die R dT, the free layer by f = alpha_layer R dT; the layer
    expands freely while it stays off the wall, gap' = gap + d - f >= 0, else the wall takes it
    to d + gap and gap' = 0 (:meth:`VolumeChange._move_die_wall`)."""
    d, f = alpha_die * radius * dT, alpha_layer * radius * dT
    return (f, gap + d - f) if gap + d - f >= 0.0 else (d + gap, 0.0)


class VolumeChange:
    """Fills ``mech.deigen`` (the DG0 eigenstrain increment) for each time step from the
    sources of ``settings``. ``creep``: the stack's inelastic model
    (:func:`fem.mechanics.creep_setup.attach_creep`); with a plastic anode
    (``settings.anode.yield_strength`` set) its yield strength follows the lithiation."""

    def __init__(self, mech, settings: VolumeChangeSettings,
                 current_density: CurrentDistribution = uniform_current,
                 cathode_soc: CellSoc | None = None,
                 anode_lithiation: CellLithiation | None = None,
                 creep: CreepModel | None = None):
        self.mech, self.settings = mech, settings
        self.current_density = current_density
        self.cathode_soc = cathode_soc
        self.anode_lithiation_of = anode_lithiation
        msh = mech.cm.mesh
        tdim = msh.topology.dim
        self.iz = mech.iz
        self.dofs = mech.deigen.function_space.dofmap.list  # (ncells, 1) block dofs
        self.li = [(la, mech.cm.cells(la.name)) for la in settings.li_layers]
        # in a symmetric cell, charging plates the upper Li layer and strips the lower one
        self.li_sign = {la.name: 1.0 for la, _ in self.li}
        if len(self.li) == 2:
            lower = min(self.li, key=lambda t: t[0].z0)[0].name
            self.li_sign[lower] = -1.0
        self.cathode, self.anode = settings.cathode, settings.anode
        self.cathode_cells = ([mech.cm.cells(n) for n in self.cathode.layers]
                              if self.cathode is not None else [])
        self.anode_cells = ([mech.cm.cells(n) for n in self.anode.layers]
                            if self.anode is not None else [])
        self.plasticity = self._plastic_law(creep)
        self.centres = {la.name: dolfinx.mesh.compute_midpoints(msh, tdim, cells).T
                        for la, cells in self.li}
        self.eps_cathode = 0.0  # current isotropic strain of the cathode
        self.eps_anode = 0.0
        self.thermal = [(mech.cm.cells(t.name), t.thermal_expansion) for t in settings.thermal]
        self.temperature = settings.reference_temperature  # of the last committed step
        self.die_gap: dict[str, float] = {}  # radial gap of each layer to the die wall (m)
        self.alpha = {t.name: t.thermal_expansion for t in settings.thermal}

    def _plastic_law(self, creep: CreepModel | None) -> OverstressPlasticity | None:
        """The plastic anode's law (its yield strength follows x), None for an elastic one."""
        if self.anode is None or self.anode.yield_strength is None:
            return None
        if creep is None or not isinstance(creep.law, OverstressPlasticity):
            raise ValueError("a plastic anode needs its creep model (attach_creep) here")
        return creep.law

    def _set(self, cells: np.ndarray, comp: tuple[int, int] | None, values) -> None:
        arr = self.mech.deigen.x.array.reshape(-1, 9)
        d = self.dofs[cells, 0]
        if comp is None:  # isotropic
            for k in (0, 4, 8):
                arr[d, k] = values
        else:
            arr[d, comp[0] * 3 + comp[1]] = values

    def cathode_strain(self, charge: float) -> float:
        """Isotropic strain of the cathode composite at the charge passed (C/m^2)."""
        if self.cathode is None:
            return 0.0
        return float(self.cathode_strain_at_soc(charge / self.cathode.areal_capacity))

    def cathode_strain_at_soc(self, soc):
        """Isotropic strain of the cathode composite at the state of charge ``soc`` (array)."""
        c = self.cathode
        f = np.interp(np.clip(soc, 0.0, 1.0), *c.volume_change_vs_soc)
        return f * c.volume_change_full_charge * c.active_volume_fraction / 3.0

    def anode_lithiation(self, charge: float) -> float:
        """Lithiation x (Li per Si) of the Li_xSi layer after ``charge`` C/m^2."""
        return max(self.anode.initial_lithiation + charge / (FARADAY * self.anode.si_moles), 0.0)

    def anode_strain(self, charge: float) -> float:
        """Isotropic strain of the Li_xSi layer relative to its as-pressed state."""
        if self.anode is None:
            return 0.0
        return float(self.anode_strain_at_x(self.anode_lithiation(charge)))

    def anode_strain_at_x(self, x):
        """Isotropic strain of Li_xSi at lithiation x (array) relative to the as-pressed x0."""
        ratio, x0 = self.anode.expansion_ratio, self.anode.initial_lithiation
        return ((1 + ratio * np.maximum(x, 0.0)) / (1 + ratio * x0)) ** (1.0 / 3.0) - 1.0

    def step(self, i_app: float, dt: float, charge_after: float,
             temperature: float | None = None) -> None:
        """Set the eigenstrain increment of a step of length dt at applied current i_app
        (A/m^2, + = charge) that ends with ``charge_after`` C/m^2 passed and at
        ``temperature`` (K; None: unchanged): each layer also expands by alpha dT."""
        self.mech.deigen.x.array[:] = 0.0
        charge_before = charge_after - i_app * dt
        for la, cells in self.li:
            if cells.size == 0:  # (the hook gives the ionic current, also at rest)
                continue
            sign, v_li = self.li_sign[la.name], la.molar_volume
            h = la.thickness + sign * charge_before * v_li / FARADAY  # at the step start
            i_loc = self.current_density(la.name, self.centres[la.name], i_app)
            self._set(cells, (self.iz, self.iz), sign * i_loc * v_li / FARADAY * dt / h)
        eps_c = self.cathode_strain(charge_after)
        for cells in self.cathode_cells:
            if self.cathode_soc is not None:  # local SOC
                e0, e1 = (self.cathode_strain_at_soc(s) for s in self.cathode_soc(cells))
                self._set(cells, None, (e1 - e0) / (1 + e0))
            else:
                self._set(cells, None, (eps_c - self.eps_cathode) / (1 + self.eps_cathode))
        eps_a = self.anode_strain(charge_after)
        if self.plasticity is not None:  # plastic Li_xSi: yield strength at the new x
            self.plasticity.sigma_y = self.anode.yield_strength.at(
                self.anode_lithiation(charge_after))
        for cells in self.anode_cells:
            if self.anode_lithiation_of is not None:  # local x at each cell's depth
                e0, e1 = (self.anode_strain_at_x(x) for x in self.anode_lithiation_of(cells))
                self._set(cells, None, (e1 - e0) / (1 + e0))
            else:
                self._set(cells, None, (eps_a - self.eps_anode) / (1 + self.eps_anode))
        T = self.temperature if temperature is None else temperature
        if T != self.temperature:
            arr = self.mech.deigen.x.array.reshape(-1, 9)
            for cells, alpha in self.thermal:
                d = self.dofs[cells, 0]
                for k in (0, 4, 8):
                    arr[d, k] += alpha * (T - self.temperature)
        self.mech.deigen.x.scatter_forward()
        gaps = self._move_die_wall(T - self.temperature)
        self._pending = (eps_c, eps_a, T, gaps)

    def _move_die_wall(self, dT: float) -> dict[str, float]:
        """The rigid die's bore on a temperature change dT, layer by layer (:func:`die_wall_step`:
        free radial expansion while the PEEK bore outgrows the layer, the bore's once the gap
        is used up), set anew every step (the predictor would carry the last step's over).
        Without it a heated layer stays at u_r = 0, confined as if the die were cold (the full
        cell heated by 15 K: +0.123 MPa at the end of its rest against +0.107 MPa with it). A
        holder without a card keeps its wall. The bonded platen faces stay at u_t = 0: letting
        them follow the Ti plungers' expansion moved that pressure by another 0.01 MPa only,
        and the step that heats took 30 cut-backs more (the bonded Li rim corner dragged
        outwards). Returns the gaps after the step (m)."""
        gaps = dict(self.die_gap)
        a_die = self.settings.die_expansion
        radial = {}  # a layer not named here keeps u_r: no increment
        if a_die is not None and dT != 0.0:
            R = self.mech.settings.radius
            for name in self.mech.die_wall:
                radial[name], gaps[name] = die_wall_step(
                    gaps.get(name, 0.0), dT, self.alpha.get(name, a_die), a_die, R)
        move_die_wall(self.mech, radial)
        return gaps

    def commit(self) -> None:
        self.eps_cathode, self.eps_anode, self.temperature, self.die_gap = self._pending
