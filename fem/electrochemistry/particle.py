"""Solid diffusion inside the cathode's active particles (an option): the surface state of
charge that sets the open-circuit voltage.

Reduced model: the parabolic (two-parameter polynomial) concentration profile of Subramanian,
Diwakar & Tapriyal, J. Electrochem. Soc. 152 (2005) A2002 (PyBaMM's "quadratic profile"
particle). A sphere of radius R with a uniform surface flux j (out of the particle) and a
volume-average concentration c_avg then has the surface concentration

    c_s = c_avg - R j / (5 D_s),      dc_avg/dt = -3 j / R,

so in state-of-charge units (charging removes Li from the cathode particles)

    soc_s = soc + tau_p dsoc/dt,      tau_p = R^2 / (15 D_s),

the exact long-time limit of constant-flux diffusion in a sphere (Carslaw & Jaeger, Conduction
of Heat in Solids, 2nd ed. (1959) sec. 9.3; :func:`exact_surface_offset`). The profile adds no
unknowns: soc_s is an expression of the cell's SOC unknown and enters the OCV monolithically
(backward Euler: dsoc/dt = (soc - soc_n)/dt). Limits: the offset builds up instantly instead of
over ~R^2/D (it overestimates the early surface excursion of each current step, see the test)
and relaxes instantly in a rest; D_s is constant.

Solid diffusivities (card ``solid_diffusivity``): NCM811 4e-15 m^2/s (Chen et al., JES 167
(2020) 080534, as in PyBaMM's Chen2020 set [S]); LiCoO2 1e-14 m^2/s (Ramadass et al., JES 151
(2004) A196, PyBaMM's Ramadass2004 set [S]).
"""

from __future__ import annotations

import math

import numpy as np


def relaxation_time(radius: float, diffusivity: float) -> float:
    """tau_p = R^2 / (15 D_s) (s): soc_s - soc = tau_p dsoc/dt in the parabolic profile."""
    return radius**2 / (15.0 * diffusivity)


def _roots(n: int) -> np.ndarray:
    """The first n positive roots of tan(a) = a (one in each (k pi, (k + 1/2) pi))."""
    out = []
    for k in range(1, n + 1):
        lo, hi = k * math.pi + 1e-12, (k + 0.5) * math.pi - 1e-12
        for _ in range(200):  # bisection on f(a) = sin a - a cos a (same roots, no poles)
            mid = 0.5 * (lo + hi)
            if (math.sin(lo) - lo * math.cos(lo)) * (math.sin(mid) - mid * math.cos(mid)) <= 0:
                hi = mid
            else:
                lo = mid
        out.append(0.5 * (lo + hi))
    return np.asarray(out)


def exact_surface_offset(t: np.ndarray, radius: float, diffusivity: float, flux: float,
                         nterms: int = 200) -> np.ndarray:
    """c_s - c_avg at times t for a sphere from uniform c0 with the constant influx ``flux``
    (mol/(m^2 s), into the particle) from t = 0 (Carslaw & Jaeger sec. 9.3):

        c_s - c_avg = (F R / D) [1/5 - 2 sum_n exp(-a_n^2 D t / R^2) / a_n^2],  tan a_n = a_n.
    """
    a = _roots(nterms)[:, None]
    t = np.atleast_1d(np.asarray(t, dtype=float))[None, :]
    series = np.sum(np.exp(-(a**2) * diffusivity * t / radius**2) / a**2, axis=0)
    return flux * radius / diffusivity * (0.2 - 2.0 * series)
