"""Westergaard's solution: periodic (sinusoidal) frictionless contact of an elastic half-space.

Johnson, Contact Mechanics (1985), sec. 13.2 (after Westergaard, J. Appl. Mech. 6 (1939) 49):
an elastic half-space with a flat surface pressed by a mean pressure p_bar onto a rigid surface
of profile amplitude h and wavelength lambda (or, equivalently at small slopes, a wavy elastic
surface on a rigid flat), plane strain, contact modulus E* = E / (1 - nu^2) (one body rigid).

* full-contact pressure  p* = pi E* h / lambda;
* contact half-width a around each crest (p_bar < p*):  sin^2(pi a / lambda) = p_bar / p*;
* pressure (|x| <= a, x from the crest):
      p(x) = 2 p_bar / sin^2(pi a / lambda) * cos(pi x / lambda)
             * sqrt(sin^2(pi a / lambda) - sin^2(pi x / lambda));
* full contact (p_bar >= p*):  p(x) = p_bar + p* cos(2 pi x / lambda).
"""

from __future__ import annotations

import math

import numpy as np


def full_contact_pressure(E_star: float, h: float, wavelength: float) -> float:
    """p* = pi E* h / lambda, the mean pressure that just closes the contact."""
    return math.pi * E_star * h / wavelength


def contact_half_width(p_mean: float, p_star: float, wavelength: float) -> float:
    """a from sin^2(pi a / lambda) = p_mean / p*; lambda/2 (full contact) for p_mean >= p*."""
    if p_mean >= p_star:
        return 0.5 * wavelength
    return wavelength / math.pi * math.asin(math.sqrt(p_mean / p_star))


def contact_fraction(p_mean: float, p_star: float) -> float:
    """2 a / lambda (contact length over the period)."""
    return 2.0 * contact_half_width(p_mean, p_star, 1.0)


def pressure(x: np.ndarray, p_mean: float, p_star: float, wavelength: float) -> np.ndarray:
    """Contact pressure p(x), x measured from a crest (periodic in lambda)."""
    x = np.asarray(x, dtype=float)
    if p_mean >= p_star:
        return p_mean + p_star * np.cos(2.0 * math.pi * x / wavelength)
    s2a = p_mean / p_star
    c = np.cos(math.pi * x / wavelength)
    s2 = np.sin(math.pi * x / wavelength) ** 2
    return 2.0 * p_mean / s2a * np.abs(c) * np.sqrt(np.maximum(s2a - s2, 0.0))
