"""Linear viscoelastic creep of a holder part (PEEK): a Kelvin chain fitted to a Findley power
law, with an exact update over a time step.

Findley's law for the creep compliance of a glassy polymer under constant stress,

    J(t) / J0 = 1 + beta (t / t1)^m,                                             (1)

(Findley, Lai & Onaran 1976; PEEK: Maksimov & Kubat 1997, docs/references.md#maksimov1997) is
written as a Prony series of Kelvin elements, J(t)/J0 = 1 + sum_j a_j (1 - exp(-t / tau_j)),
with relaxation times tau_j spaced over 0.1 s ... 1e9 s and non-negative weights a_j fitted by
non-negative least squares on the relative error (:func:`findley_prony`). Under a force F(t)
the part's creep extension is u = sum_j u_j with

    tau_j du_j/dt = a_j C F - u_j,                                               (2)

C the part's elastic compliance. With F constant over a step at its end value F_{n+1}, (2) has
the exact solution u_j,n+1 = d_j u_j,n + (1 - d_j) a_j C F_{n+1}, d_j = exp(-dt / tau_j(T)),
so the holder equation stays linear in the force (the bordered Newton of
:mod:`fem.mechanics.stack` is unchanged). Temperature shifts every relaxation time
(thermorheologically simple below the glass transition, Maksimov & Kubat 1997):
tau_j(T) = tau_j exp(E_a / R (1/T - 1/T_ref)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fem.constants import GAS_CONSTANT

#: Relaxation times of the Prony series (s): three per decade from 0.1 s to 1e9 s.
RELAXATION_TIMES = tuple(float(t) for t in np.logspace(-1, 9, 31))


def findley_prony(beta: float, t1: float, m: float,
                  taus: tuple[float, ...] = RELAXATION_TIMES) -> np.ndarray:
    """Weights a_j of the Prony series of (1): non-negative least squares on the relative error
    of beta (t/t1)^m at 400 times from 0.03 s to 3e8 s."""
    from scipy.optimize import nnls

    tau = np.asarray(taus)
    t = np.logspace(-1.5, 8.5, 400)
    target = beta * (t / t1) ** m
    basis = 1.0 - np.exp(-t[:, None] / tau[None, :])
    w = 1.0 / np.maximum(target, 1e-6)
    a, _ = nnls(basis * w[:, None], target * w)
    return a


@dataclass(frozen=True)
class KelvinChain:
    """A creeping part: elastic compliance C (m/N), Prony weights a_j of the relaxation times
    tau_j at T_ref, and the activation energy of the time shift (J/mol)."""

    compliance: float
    weights: tuple[float, ...]
    taus: tuple[float, ...]
    activation_energy: float
    reference_temperature: float

    @classmethod
    def from_findley(cls, compliance: float, beta: float, t1: float, m: float,
                     activation_energy: float, reference_temperature: float) -> KelvinChain:
        a = findley_prony(beta, t1, m)
        return cls(compliance, tuple(float(x) for x in a), RELAXATION_TIMES, activation_energy,
                   reference_temperature)

    def decay(self, dt: float, T: float) -> np.ndarray:
        """d_j = exp(-dt / tau_j(T)) of a step of ``dt`` at temperature T."""
        shift = math.exp(self.activation_energy / GAS_CONSTANT
                         * (1.0 / T - 1.0 / self.reference_temperature))
        return np.exp(-dt / (np.asarray(self.taus) * shift))

    def step_compliance(self, dt: float, T: float) -> float:
        """The creep compliance the force of a step acts through: sum (1 - d_j) a_j C."""
        return float(np.dot(1.0 - self.decay(dt, T), self.weights)) * self.compliance

    def advance(self, u: np.ndarray, force: float, dt: float, T: float) -> np.ndarray:
        """u_j after a step of ``dt`` at the end force ``force`` (N): the exact update of (2)."""
        d = self.decay(dt, T)
        return d * u + (1.0 - d) * np.asarray(self.weights) * self.compliance * force

    def creep_function(self, t: np.ndarray | float) -> np.ndarray:
        """sum_j a_j (1 - exp(-t / tau_j)) at T_ref: the fitted J(t)/J0 - 1."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return (1.0 - np.exp(-t[:, None] / np.asarray(self.taus)[None, :])) @ np.asarray(
            self.weights)
