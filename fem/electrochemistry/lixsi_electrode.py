"""The Li_xSi anode as an electrode of the cell: its Li bookkeeping and potential.

The lithiation profile through the layer is :class:`fem.electrochemistry.silicon.SiliconAnode`;
this module adds what the cell needs of it:

* the mean lithiation after a charge q (C/m^2): x = x0 + q / (F n_Si), n_Si = L rho rho_rel / M
  the Si per area and x0 the prelithiation (card ``initial_lithiation``);
* the open-circuit potential at the x of the separator face (the card's OCV table), with the
  first-cycle trapping: of the Li inserted beyond x0 a fraction 1 - eta_Si stays in the Si
  (card ``first_cycle_efficiency``), so the potential rises with ``TAIL_SLOPE`` V per unit of
  the mean x once it falls below x_trap = (1 - eta_Si) (x_max - x0) [D];
* the electronic drop i R_e of the layer (the face's potential is i R_e above the collector's
  on charge);
* x at the depth of each anode cell of the stack mesh (for the volume change and the output).
"""

from __future__ import annotations

import numpy as np

from fem._dolfinx import dolfinx
from fem.constants import FARADAY, MAH_CM2
from fem.electrochemistry.ocv import TAIL_MAX, TAIL_SLOPE, extended
from fem.electrochemistry.settings import LayerGeometry, SiliconAnodeSettings
from fem.electrochemistry.silicon import X_MAX, SiliconAnode

#: history.csv columns a Li_xSi anode adds.
COLUMNS = ["anode_face_x", "anode_mean_x", "anode_front_um", "anode_reacted_fraction",
           "anode_electronic_drop_mV"]


class LixSiElectrode:
    """The Li_xSi anode of a cell (module docstring), on the anode layer of the stack mesh
    ``cm``, above or below the ``separator``."""

    def __init__(self, cm, settings: SiliconAnodeSettings, separator: LayerGeometry):
        self.settings = settings
        self.si = SiliconAnode.from_settings(settings)  # lithiation profile through the layer
        self.x_max = self.mean_x(0.0)  # the largest mean x reached (committed)
        self._x_pending = self.x_max
        self.drop = 0.0  # electronic drop i R_e of the layer in the last solve (V)
        self._saturation_warned = False
        # anode cells of the stack mesh and their depth below the separator face
        tdim = cm.mesh.topology.dim
        iz = 1 if cm.axisymmetric else 2
        self.cells = np.sort(cm.cells(settings.layer.name))
        z = dolfinx.mesh.compute_midpoints(cm.mesh, tdim, self.cells)[:, iz]
        face = separator.z1 if settings.layer.z0 >= separator.z1 - 1e-12 else separator.z0
        self.depth = np.abs(z - face)

    def mean_x(self, charge: float) -> float:
        """Mean x of the Li_xSi electrode after ``charge`` C/m^2 (x0 the prelithiation)."""
        s = self.settings
        return s.initial_lithiation + charge / (FARADAY * s.si_per_area)

    def potential(self, charge: float, x_face: float | None = None) -> float:
        """Open-circuit potential at the x of the separator face ``x_face`` (the mean x when
        None) with the first-cycle trapping (module docstring): a prelithiation reservoir
        x0 > x_trap keeps the cell cathode-limited."""
        s = self.settings
        x = self.mean_x(charge)
        x_trap = (1.0 - s.first_cycle_efficiency) * max(self.x_max - s.initial_lithiation, 0.0)
        u = float(extended(s.ocv, x if x_face is None else x_face))
        return u + min(TAIL_SLOPE * max(x_trap - x, 0.0), TAIL_MAX)

    def inventory(self, charge: float) -> dict[str, float]:
        """Where the Li of a Li_xSi cell went after ``charge`` C/m^2 net (mAh/cm^2): the Li
        left in the anode (x - x0: what the cell lost), the Li the model traps in the Si
        (1 - eta_Si of the inserted), and the prelithiation reservoir that replaced trapped Li
        (x0 > 0 keeps the cell cathode-limited)."""
        s = self.settings
        x0 = s.initial_lithiation
        to_mah = FARADAY * s.si_per_area * MAH_CM2
        trapped = (1.0 - s.first_cycle_efficiency) * max(self.x_max - x0, 0.0) * to_mah
        left = (self.mean_x(charge) - x0) * to_mah
        reservoir = x0 * to_mah
        short_of = max(trapped - left, 0.0)  # trapped Li that came from the reservoir
        return {"li_left_in_anode_mAh_cm2": left, "trapped_in_si_mAh_cm2": trapped,
                "prelithiation_used_mAh_cm2": min(short_of, reservoir),
                "limited_by": ("anode (Si trapping)" if short_of >= reservoir - 1e-6
                               and trapped > 0 else "cathode")}

    # ------------------------------------------------------------------ one step
    def step(self, i_ion: float, charge: float, dt: float) -> float:
        """The anode at the end of a step dt at the ionic current density i_ion (A/m^2,
        + charge) after ``charge`` C/m^2: advance the profile (a trial) and return the face's
        potential against the collector, U(x_face) - i R_e."""
        charge = charge + i_ion * dt
        self._x_pending = max(self.x_max, self.mean_x(charge))
        self.si.step(dt, i_ion)
        # the face's potential is i R_e above the collector's on charge (silicon.py)
        self.drop = i_ion * self.si.electronic_resistance()
        return self.potential(charge, self.si.surface_x) - self.drop

    def commit(self) -> None:
        self.x_max = self._x_pending
        self.si.commit()

    def restore(self) -> None:
        self.si.restore()

    def x_of(self, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """x at the depth of the anode cells ``cells`` (stack mesh) before and after the step
        being solved. Local (no communication)."""
        depth = self.depth[np.searchsorted(self.cells, cells)]
        return self.si.x_at(depth, committed=True), self.si.x_at(depth)

    # ------------------------------------------------------------------ output and checkpoint
    def history_values(self) -> dict[str, float]:
        """The anode's history columns (:data:`COLUMNS`); warns once when the face passes
        x = X_MAX."""
        si = self.si
        if si.surface_x > X_MAX and not self._saturation_warned:
            self._saturation_warned = True
            from fem.log import get_logger

            get_logger().warning(
                f"the Li_xSi face is lithiated beyond x = {X_MAX} (x = {si.surface_x:.2f}): "
                "Li metal would plate on the Si there (not modelled); transport in the "
                "layer limits at this current")
        return {"anode_face_x": si.surface_x, "anode_mean_x": si.mean_x,
                "anode_front_um": si.front_depth() * 1e6,
                "anode_reacted_fraction": si.reacted_fraction(),
                "anode_electronic_drop_mV": self.drop * 1e3}

    def set_state(self, x_max: float, profile: list[float] | None) -> None:
        """A checkpoint's largest mean x and (when given) the committed profile."""
        self.x_max = self._x_pending = x_max
        if profile is not None:
            self.si.set_state(profile)
