"""Li leaving a foil at the die: the rim outflow law of a Li layer held between a plunger and
the pellet in the die bore.

The foil fills the bore (radius R). Squeezed between sticking faces, its Li flows radially (the
friction hill the finite-element model resolves) and leaves the foil at its rim r = R, first
into the free pocket that the plunger's edge chamfer leaves (a 45 degree break of leg e: volume
V_pk = pi R e^2), then into the annular clearance of width c between the plunger and the die
wall, where it is sheared between sticking walls over the filled length L. The rim carries the
uniform normal pressure p_e that this outflow needs (docs/references.md#derived-squeeze-film):

* pocket (V <= V_pk):  p_e = 0 (a free rim);
* clearance:           Q = 2 pi R q,   q = 2 B/(n + 2) (c/2)^(n+2) (p_e / (s_ref L_e))^n,   (1)

  the power-law (Norton) flow between parallel sticking walls under the pressure gradient
  p_e / L_e, with L_e = L + lambda c (lambda: an entrance length), L = (V - V_pk)/(2 pi R c),
  B = 3^((n+1)/2) A(T) the Norton rate in shear (A(T) the card's Norton prefactor at s_ref,
  Arrhenius in T), and c(T) = c_0 + (alpha_die - alpha_plunger) R (T - T_0) (the PEEK bore
  grows more than the Ti plunger).

V is the volume of Li that has left the foil through r = R, V = int u . n dA over the rim face
(the displacement's flux through it). Each rim adds one scalar unknown p_e to the mechanics
(bordered Newton, :mod:`fem.mechanics.stack`) with the implicit (backward Euler) law

    V - V_n = dt Q(p_e, V)  with p_e > 0,   or   V - V_n <= 0 with p_e = 0,           (2)

(the Li in the clearance is pushed out, never pulled back: a foil that springs back on
unloading leaves the rim free), written as the Fischer-Burmeister function of the pair
a = p_e / s_ref >= 0, b = (dt Q - (V - V_n)) / V_s >= 0, a b = 0:

    g = a + b - sqrt(a^2 + b^2) = 0,                                              (3)

with V_s the volume of 0.1 nm of foil; g = p_e / s_ref while the pocket fills. The filled
length grows with the outflow, so the resistance of (1) grows and the outflow slows: a hold
saturates when the clearance takes no more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fem.constants import GAS_CONSTANT


@dataclass(frozen=True)
class RimSettings:
    """The outflow law of one Li layer's rim (SI)."""

    layer: str
    radius: float
    pocket_volume: float  # m^3, pi R e^2
    clearance: float  # m at reference_temperature
    clearance_expansion: float  # m/K: (alpha_die - alpha_plunger) R
    entrance_length: float  # in clearances
    creep_exponent: float
    creep_reference_rate: float  # 1/s at creep_reference_stress, creep_reference_temperature
    creep_reference_stress: float  # Pa
    creep_reference_temperature: float  # K
    creep_activation_energy: float  # J/mol
    reference_temperature: float = 298.15  # K, where the clearance is c_0


class RimLaw:
    """Equation (2) of one rim: its residual and derivatives, its committed outflow."""

    def __init__(self, settings: RimSettings):
        self.s = settings
        self.V_n = 0.0  # outflow volume of the last committed step (m^3)
        self.p_n = 0.0  # rim pressure of the last committed step (Pa)

    def clearance(self, T: float) -> float:
        s = self.s
        return max(s.clearance + s.clearance_expansion * (T - s.reference_temperature), 1e-9)

    def _shear_rate(self, T: float) -> float:
        """B(T) = 3^((n+1)/2) A(T) (1/s)."""
        s = self.s
        arr = math.exp(-s.creep_activation_energy / GAS_CONSTANT
                       * (1.0 / T - 1.0 / s.creep_reference_temperature))
        return 3.0 ** ((s.creep_exponent + 1) / 2) * s.creep_reference_rate * arr

    def pocket_filling(self) -> bool:
        """The pocket takes this step's outflow (decided at the step's start)."""
        return self.V_n < self.s.pocket_volume

    def flow(self, p: float, V: float, T: float) -> tuple[float, float, float]:
        """(Q, dQ/dp, dQ/dV) of (1) in m^3/s (no flow at p <= 0)."""
        s, n = self.s, self.s.creep_exponent
        if p <= 0.0:
            return 0.0, 0.0, 0.0
        c = self.clearance(T)
        circ = 2 * math.pi * s.radius
        L_e = max(V - s.pocket_volume, 0.0) / (circ * c) + s.entrance_length * c
        k = circ * 2 * self._shear_rate(T) / (n + 2) * (c / 2) ** (n + 2)
        x = p / (s.creep_reference_stress * L_e)
        Q = k * x ** n
        dQ_dp = k * n * x ** (n - 1) / (s.creep_reference_stress * L_e)
        dQ_dV = -n * Q / L_e / (circ * c) if V > s.pocket_volume else 0.0
        return Q, dQ_dp, dQ_dV

    @property
    def volume_scale(self) -> float:
        """V_s of (3): the volume of 0.1 nm of foil (m^3)."""
        return math.pi * self.s.radius ** 2 * 1e-10

    def residual(self, p: float, V: float, dt: float, T: float) -> tuple[float, float, float]:
        """(g, dg/dp, dg/dV) of equation (3) at the rim pressure p and outflow V (m^3)."""
        s_ref = self.s.creep_reference_stress
        if self.pocket_filling() or dt <= 0.0:
            return p / s_ref, 1.0 / s_ref, 0.0
        Q, dQ_dp, dQ_dV = self.flow(p, V, T)
        Vs = self.volume_scale
        a, b = p / s_ref, (dt * Q - (V - self.V_n)) / Vs
        r = math.hypot(a, b)
        ga, gb = (1.0 - a / r, 1.0 - b / r) if r > 0 else (1 - 0.5 ** 0.5, 1 - 0.5 ** 0.5)
        return a + b - r, ga / s_ref + gb * dt * dQ_dp / Vs, gb * (dt * dQ_dV - 1.0) / Vs

    def tolerance(self, V: float, rtol: float) -> float:  # noqa: ARG002
        """|g| below which (3) holds: 1e-4, i.e. the rim pressure to 100 Pa or the outflow to
        1e-5 nm of foil."""
        return 1e-4

    def commit(self, p: float, V: float) -> None:
        self.p_n, self.V_n = p, V

    def filled_length(self, V: float, T: float) -> float:
        """L of the clearance filled with Li (m)."""
        c = self.clearance(T)
        return max(V - self.s.pocket_volume, 0.0) / (2 * math.pi * self.s.radius * c)


def outflow_thinning(V: np.ndarray | float, radius: float) -> np.ndarray | float:
    """The foil thinning that an outflow volume V stands for: V / (pi R^2) (m)."""
    return np.asarray(V) / (math.pi * radius ** 2)
