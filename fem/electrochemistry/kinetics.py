"""Charge-transfer kinetics: Butler-Volmer, its linearisation, its inverse, and the mechanical shift.

Butler-Volmer (Newman & Thomas-Alyea, Electrochemical Systems, 3rd ed., eq. 8.6;
docs/references.md#newman2004, docs/references.md#derived-charge-transfer-resistance)::

    i = i0 [exp(alpha_a F eta/(R T)) - exp(-alpha_c F eta/(R T))],   eta = phi_s - phi_e - U

i > 0 is anodic (oxidation: Li stripping at the Li electrode, delithiation of a cathode).
Linearised about eta = 0 it is i = eta / R_ct with the area-specific charge-transfer resistance
(25.7 Ohm cm^2 at 1 mA/cm^2, docs/references.md#derived-charge-transfer-resistance)::

    R_ct = R T / (F i0 (alpha_a + alpha_c))

Inverse eta(i): for alpha_a = alpha_c = alpha the closed form
eta = R T/(alpha F) asinh(i / (2 i0)); otherwise a safeguarded Newton iteration on the monotone
function i(eta).

Mechanical shift of the Li equilibrium potential (docs/references.md#derived-pressure-shift)::

    dU = -V_Li p / F          (p > 0 compressive normal stress on the Li side; -0.135 mV/MPa)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem.constants import FARADAY, GAS_CONSTANT

#: Molar volume of Li metal, m^3/mol (13.0 cm^3/mol; li.toml, docs/references.md#derived-li-molar-volume).
LI_MOLAR_VOLUME = 13.0e-6

KINETIC_MODELS = ("butler_volmer", "linear")


def butler_volmer(eta, i0, T: float, alpha_a: float = 0.5, alpha_c: float = 0.5):
    """Butler-Volmer current density (A/m^2, anodic positive) for overpotential ``eta`` (V); numpy."""
    f = FARADAY / (GAS_CONSTANT * T)
    eta = np.asarray(eta, dtype=float)
    return i0 * (np.exp(alpha_a * f * eta) - np.exp(-alpha_c * f * eta))


def butler_volmer_ufl(eta, i0, T, alpha_a: float = 0.5, alpha_c: float = 0.5):
    """Butler-Volmer current density as a UFL expression (``eta``, ``i0``, ``T`` may be UFL)."""
    import ufl

    f = FARADAY / (GAS_CONSTANT * T)
    return i0 * (ufl.exp(alpha_a * f * eta) - ufl.exp(-alpha_c * f * eta))


def charge_transfer_resistance(i0, T: float, alpha_a: float = 0.5, alpha_c: float = 0.5):
    """Area-specific R_ct = R T / (F i0 (alpha_a + alpha_c)) in Ohm m^2 (slope of BV at eta = 0)."""
    return GAS_CONSTANT * T / (FARADAY * i0 * (alpha_a + alpha_c))


def exchange_current_from_resistance(r_ct, T: float, alpha_a: float = 0.5, alpha_c: float = 0.5):
    """i0 = R T / (F R_ct (alpha_a + alpha_c)): the inverse of :func:`charge_transfer_resistance`."""
    return GAS_CONSTANT * T / (FARADAY * r_ct * (alpha_a + alpha_c))


def overpotential(i, i0, T: float, alpha_a: float = 0.5, alpha_c: float = 0.5,
                  tol: float = 1e-14, max_it: int = 100):
    """Overpotential eta (V) that carries current density ``i`` under Butler-Volmer (vectorised).

    Symmetric factors: eta = R T/(alpha F) asinh(i/(2 i0)) exactly. Otherwise Newton on
    g(eta) = BV(eta) - i, started from the symmetric estimate with alpha = (alpha_a + alpha_c)/2.
    g is strictly increasing and convex for eta > 0 (concave for eta < 0), so Newton is safeguarded
    by halving steps that would overshoot past eta = 0.
    """
    i = np.asarray(i, dtype=float)
    f = FARADAY / (GAS_CONSTANT * T)
    if alpha_a == alpha_c:
        return np.arcsinh(i / (2.0 * i0)) / (alpha_a * f)
    a_mean = 0.5 * (alpha_a + alpha_c)
    eta = np.arcsinh(i / (2.0 * i0)) / (a_mean * f)
    for _ in range(max_it):
        g = butler_volmer(eta, i0, T, alpha_a, alpha_c) - i
        dg = i0 * f * (alpha_a * np.exp(alpha_a * f * eta) + alpha_c * np.exp(-alpha_c * f * eta))
        step = g / dg
        new = eta - step
        # never cross eta = 0 in one step (the convex/concave branches are on either side)
        cross = np.sign(new) * np.sign(eta) < 0
        new = np.where(cross, 0.5 * eta, new)
        done = np.abs(new - eta) <= tol * (1.0 + np.abs(eta)) / f
        eta = new
        if np.all(done):
            return eta
    raise RuntimeError("Butler-Volmer inversion did not converge")


def mechanical_potential_shift(pressure, molar_volume: float = LI_MOLAR_VOLUME):
    """dU = -V_Li p / F (V): shift of the Li equilibrium potential under compressive stress p (Pa).

    docs/references.md#derived-pressure-shift: a compressive normal stress p on the Li side raises the
    Li chemical potential by V_Li p, so the Li/Li+ equilibrium potential falls by 0.135 mV per MPa (the
    exchange current density is unchanged). Use it as U_eq in eta = phi_s - phi_e - U_eq (works with
    numpy and UFL).
    """
    return -molar_volume * pressure / FARADAY


@dataclass
class Kinetics:
    """Interfacial kinetics: Butler-Volmer or its linearisation, with exchange current density i0.

    ``i0`` in A/m^2 of *true* contact area (float or UFL expression); ``model`` is
    ``"butler_volmer"`` or ``"linear"`` (i = eta / R_ct, R_ct = RT/(F i0 (alpha_a + alpha_c))).
    """

    i0: object
    alpha_a: float = 0.5
    alpha_c: float = 0.5
    model: str = "butler_volmer"

    def __post_init__(self) -> None:
        if self.model not in KINETIC_MODELS:
            raise ValueError(f"kinetic model must be one of {KINETIC_MODELS}, got {self.model!r}")

    def resistance(self, T: float):
        """Area-specific charge-transfer resistance R_ct (Ohm m^2)."""
        return charge_transfer_resistance(self.i0, T, self.alpha_a, self.alpha_c)

    def current(self, eta, T: float):
        """Current density (A/m^2, anodic positive) at overpotential ``eta``; numpy."""
        if self.model == "linear":
            return np.asarray(eta, dtype=float) / self.resistance(T)
        return butler_volmer(eta, self.i0, T, self.alpha_a, self.alpha_c)

    def current_ufl(self, eta, T):
        """Current density as a UFL expression."""
        if self.model == "linear":
            return eta * (FARADAY * self.i0 * (self.alpha_a + self.alpha_c)) / (GAS_CONSTANT * T)
        return butler_volmer_ufl(eta, self.i0, T, self.alpha_a, self.alpha_c)

    def overpotential(self, i, T: float):
        """Overpotential (V) carrying current density ``i`` (the inverse of :meth:`current`)."""
        if self.model == "linear":
            return np.asarray(i, dtype=float) * self.resistance(T)
        return overpotential(i, self.i0, T, self.alpha_a, self.alpha_c)
