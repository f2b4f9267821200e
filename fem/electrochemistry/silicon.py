"""The Li_xSi anode at the cell scale: the lithiation front through the layer and its
electronic resistance.

Li transport (1D through the thickness, in the as-pressed (reference) coordinates of the layer;
docs/references.md#lixsi-background): with c = x c_Si the Li per unit reference volume, c_Si = rho_rel
rho / M the Si per unit volume and s the depth below the Si | separator face,

    dc/dt = d/ds (D(x) dc/ds)            0 < s < L
    -D dc/ds = i / F                     s = 0 (the separator face; i > 0 lithiates, on charge)
    dc/ds = 0                            s = L (the current collector)

solved by :class:`fem.electrochemistry.diffusion.LithiumDiffusion` on an interval mesh (backward
Euler, P1, Newton; the scheme conserves Li exactly). The diffusivity rises with the lithiation
the material has reached, D = D(max(x, x_peak)) with x_peak(s) the largest x each point has seen
(the card table ``li_diffusivity_vs_lithiation``, interpolated in log D): Li entering a
little-lithiated layer piles up behind a front that moves away from the separator, so at a high
N/P ratio the collector side stays unreacted (docs/lab-study.md#silicon-cells); once lithiated, the
alloy keeps its fast transport when it delithiates (the first lithiation turns the Si into the amorphous
alloy [D]; without this memory a depleted, slow skin at the face would block every discharge). The Si |
separator interface current is taken as uniform over the face (the layer is laterally uniform at the
cell scale), so x depends on the depth only; the swelling of the layer is not fed back into the
diffusion distances.

Open-circuit potential: the Li_xSi table at the face, U(x(0)) (the reaction happens there).

Electronic resistance: electrons reach the reacting face from the collector through the layer,

    R_e = int_0^L ds / sigma(x(s))      (ohm m^2),

with sigma(x) the card table ``electronic_conductivity_vs_lithiation`` (docs/lab-study.md#silicon-cells:
1e-4 S/cm at x = 0 to 10 S/cm at x = 2, interpolated in log sigma, constant beyond its ends). The anode's
solid potential at the face is i R_e above the collector's on charge, so the cell voltage rises
by i R_e on charge and falls by |i| R_e on discharge.

Both laws are per card (``tables``); D(x) is an assumption within the literature range
(docs/references.md#lixsi-background, 1e-18 ... 1e-14 m^2/s, [U]) and is not temperature dependent here.
"""

from __future__ import annotations

import numpy as np

from fem._dolfinx import MPI, dolfinx
from fem.constants import FARADAY
from fem.electrochemistry.diffusion import LithiumDiffusion
from fem.electrochemistry.settings import SiliconAnodeSettings, Table

#: Largest x of Li_xSi (Li15Si4); a face lithiated beyond it would plate Li metal (not modelled).
X_MAX = 3.75
#: Elements through the layer of the 1D transport problem.
ELEMENTS = 240


def log_interp(x, xs, ys):
    """Piecewise-linear interpolation of log(y) in x, constant beyond the table's ends (numpy)."""
    return np.exp(np.interp(x, xs, np.log(ys)))


def log_interp_ufl(x, xs, ys):
    """The UFL form of :func:`log_interp` (for the diffusivity inside the Newton residual)."""
    import ufl

    ly = np.log(np.asarray(ys, dtype=float))
    expr = ufl.as_ufl(float(ly[0]))
    for k in range(len(xs) - 1):  # add each segment's slope over its part of x
        slope = (ly[k + 1] - ly[k]) / (xs[k + 1] - xs[k])
        expr = expr + slope * (ufl.min_value(ufl.max_value(x, xs[k]), xs[k + 1]) - xs[k])
    return ufl.exp(expr)


class SiliconAnode:
    """Through-thickness lithiation x(s) of the Li_xSi layer (module docstring).

    Every rank solves the same 1D problem (MPI.COMM_SELF): the results do not depend on the
    number of ranks and need no communication. Trial steps (:meth:`step`) start from the
    committed profile, so a rejected or repeated step is harmless; :meth:`commit` accepts it.
    """

    def __init__(self, thickness: float, si_per_volume: float, x0: float,
                 diffusivity: Table, conductivity: Table, elements: int = ELEMENTS):
        self.L = float(thickness)
        self.c_si = float(si_per_volume)
        self.x0 = float(x0)
        self.d_table = diffusivity
        self.s_table = conductivity
        msh = dolfinx.mesh.create_interval(MPI.COMM_SELF, elements, [0.0, self.L])
        fdim = 0
        face = dolfinx.mesh.locate_entities_boundary(msh, fdim, lambda p: np.isclose(p[0], 0.0))
        tags = dolfinx.mesh.meshtags(msh, fdim, face.astype(np.int32),
                                     np.ones(len(face), dtype=np.int32))
        self.transport = LithiumDiffusion(msh, tags, 1, diffusivity=self._diffusivity,
                                          initial_concentration=self.x0 * self.c_si)
        V = self.transport.c.function_space
        self.s = V.tabulate_dof_coordinates()[:, 0]
        self.order = np.argsort(self.s)
        self.committed = self.transport.c.x.array.copy()

    def _diffusivity(self, c):
        """D(max(x, x_peak)) as UFL (creates the nodal x_peak on c's space)."""
        import ufl

        self.x_peak = dolfinx.fem.Function(c.function_space, name="x_peak")
        self.x_peak.x.array[:] = self.x0
        xs, ds = self.d_table
        return log_interp_ufl(ufl.max_value(c / self.c_si, self.x_peak), xs, ds)

    @classmethod
    def from_settings(cls, anode: SiliconAnodeSettings) -> SiliconAnode:
        """The anode of a cell: its layer's thickness, Si per volume, initial lithiation and
        the card's two tables."""
        return cls(anode.layer.thickness, anode.si_per_volume, anode.initial_lithiation,
                   anode.diffusivity, anode.conductivity)

    # ------------------------------------------------------------------ stepping
    def step(self, dt: float, current_density: float, max_halvings: int = 6) -> None:
        """Trial step of dt (s) at the lithiation current density (A/m^2, + on charge) from the
        committed profile; a Newton failure is retried as two half steps (recursively)."""
        t = self.transport
        t.c.x.array[:] = self.committed
        t.c_old.x.array[:] = self.committed
        if dt <= 0.0 or current_density == 0.0 and np.ptp(self.committed) == 0.0:
            return
        self._advance(dt, current_density / FARADAY, max_halvings)

    def _advance(self, dt: float, flux: float, halvings: int) -> None:
        t = self.transport
        start = t.c_old.x.array.copy()
        try:
            t.step(dt, flux)
        except RuntimeError:
            if halvings == 0:
                raise
            t.c.x.array[:] = start
            t.c_old.x.array[:] = start
            self._advance(0.5 * dt, flux, halvings - 1)
            self._advance(0.5 * dt, flux, halvings - 1)

    def commit(self) -> None:
        self.committed = self.transport.c.x.array.copy()
        self.x_peak.x.array[:] = np.maximum(self.x_peak.x.array, self.committed / self.c_si)

    def restore(self) -> None:
        self.transport.c.x.array[:] = self.committed
        self.transport.c_old.x.array[:] = self.committed

    # ------------------------------------------------------------------ state of the trial
    def profile(self) -> tuple[np.ndarray, np.ndarray]:
        """(depth s from the separator face in m, x) sorted by depth."""
        o = self.order
        return self.s[o], self.transport.c.x.array[o] / self.c_si

    def x_at(self, depth: np.ndarray, committed: bool = False) -> np.ndarray:
        """x of the trial (or the committed) profile at the depths ``depth`` (m below the
        separator face; clamped to the layer)."""
        s, x = self.profile()
        if committed:
            x = self.committed[self.order] / self.c_si
        return np.interp(np.clip(depth, 0.0, self.L), s, x)

    @property
    def surface_x(self) -> float:
        """x at the Si | separator face (sets the open-circuit potential)."""
        return float(self.profile()[1][0])

    @property
    def mean_x(self) -> float:
        """Mean x over the layer (trapezoidal rule on the P1 nodes: exact for P1)."""
        s, x = self.profile()
        return float(np.trapezoid(x, s) / self.L)

    def electronic_resistance(self) -> float:
        """R_e = int ds / sigma(x(s)) (ohm m^2), on the profile's nodes (trapezoidal)."""
        s, x = self.profile()
        xs, ys = self.s_table
        return float(np.trapezoid(1.0 / log_interp(x, xs, ys), s))

    def front_depth(self) -> float:
        """Depth (m) where x - x0 falls to half its value at the face: the lithiation front
        (0 when the face is not above x0)."""
        s, x = self.profile()
        rise = x - self.x0
        top = rise[0]
        if top <= 1e-9:
            return 0.0
        below = np.flatnonzero(rise < 0.5 * top)
        if below.size == 0:
            return self.L
        k = below[0]  # rise[k - 1] >= top / 2 > rise[k]: interpolate
        s0, s1, r0, r1 = s[k - 1], s[k], rise[k - 1], rise[k]
        return float(s0 + (0.5 * top - r0) * (s1 - s0) / (r1 - r0))

    def reacted_fraction(self, threshold: float = 0.05) -> float:
        """Fraction of the layer's thickness whose x rose above x0 by more than ``threshold``."""
        s, x = self.profile()
        return float(np.trapezoid((x - self.x0 > threshold).astype(float), s) / self.L)

    # ------------------------------------------------------------------ checkpoint
    def state(self) -> list[float]:
        """The committed nodal concentrations and peak lithiations (one flat list)."""
        return [float(v) for v in np.concatenate([self.committed, self.x_peak.x.array])]

    def set_state(self, values: list[float]) -> None:
        v = np.asarray(values, dtype=float)
        n = len(self.committed)
        self.committed = v[:n].copy()
        self.x_peak.x.array[:] = v[n:]
        self.restore()
