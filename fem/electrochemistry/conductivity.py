"""Ionic/electronic conductivity: Arrhenius temperature dependence and porous-composite corrections.

* Arrhenius (docs/references.md#derived-lpscl-conductivity)::

      sigma(T) = sigma_ref exp(-Ea/R (1/T - 1/T_ref))

  with Ea in J/mol (0.36 eV = 34.7 kJ/mol for Li6PS5Cl, Singh 2022 [P]).
* Effective conductivity of one phase of a composite (Minnmann 2021 [S], docs/references.md#minnmann2021)::

      sigma_eff = sigma eps / tau,     tau = eps^(-b)  (Bruggeman, b = 0.5 by default)

  ``tau`` is the *tortuosity factor* (the ratio sigma eps / sigma_eff; Minnmann 2021 reports it
  as tau^2 = 4.3 for the ionic path of a 42 vol% NCM622 composite). With the Bruggeman default
  sigma_eff = sigma eps^1.5.

Functions accept floats or numpy arrays (and UFL expressions where only arithmetic is used).
"""

from __future__ import annotations

import numpy as np

from fem.constants import GAS_CONSTANT, T_REF

#: 1 eV per particle in J/mol (N_A e).
EV_PER_PARTICLE_IN_J_PER_MOL = 96485.33212


def arrhenius(sigma_ref, activation_energy: float, T, T_ref: float = T_REF):
    """sigma(T) = sigma_ref exp(-Ea/R (1/T - 1/T_ref)); Ea in J/mol, T in K
    (docs/references.md#derived-lpscl-conductivity)."""
    return sigma_ref * np.exp(-activation_energy / GAS_CONSTANT * (1.0 / np.asarray(T) - 1.0 / T_ref))


def bruggeman_tortuosity(volume_fraction, exponent: float = 0.5):
    """Tortuosity factor tau = eps^(-b) of the Bruggeman relation (b = 0.5 for spheres)."""
    eps = np.asarray(volume_fraction, dtype=float)
    if np.any(eps <= 0) or np.any(eps > 1):
        raise ValueError(f"volume fraction must be in (0, 1], got {volume_fraction}")
    return eps ** (-exponent)


def effective_conductivity(sigma, volume_fraction, tortuosity=None):
    """sigma_eff = sigma eps / tau of a conducting phase occupying ``volume_fraction`` eps.

    ``tortuosity`` is the tortuosity factor tau (>= 1); None uses Bruggeman tau = eps^-0.5.
    """
    eps = np.asarray(volume_fraction, dtype=float)
    tau = bruggeman_tortuosity(eps) if tortuosity is None else np.asarray(tortuosity, dtype=float)
    if np.any(tau < 1):
        raise ValueError(f"tortuosity factor must be >= 1, got {tortuosity}")
    return sigma * eps / tau
