"""Rigid counter-surfaces for unilateral contact, given as height functions ``z = s(x[, y])``.

A rigid surface only has to return its height at given in-plane points (numpy, the same on
every rank): the contact formulation (:mod:`fem.contact.rigid_contact`) samples it at the nodes
of the contact face, which are also the quadrature points of the contact integral, so no UFL
expression of the surface is needed and any height map works.

* :class:`SinusoidSurface`: ``s = offset + h cos(2 pi x / lambda)`` (profile; in 3D a ridged
  surface independent of y) or ``offset + h cos(2 pi x / lambda) cos(2 pi y / lambda)``
  (``egg_crate=True``, 3D). The crest is at x = 0
  and the profile is symmetric about x = 0 and x = lambda/2: a half wavelength with roller
  (symmetry) sides is an exact unit cell of the periodic problem.
* :class:`HeightMapSurface`: the smooth interpolant (:class:`fem.geometry.roughness.SplineSurface`)
  of a periodic :class:`fem.geometry.roughness.HeightMap`, repeated periodically.
* :class:`FlatSurface`: a rigid flat ``s = offset``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from fem.geometry.roughness import HeightMap, SplineSurface, _basis


class RigidSurface(Protocol):
    """A rigid surface ``z = s(x[, y])`` below the deformable body."""

    def height(self, lateral: np.ndarray) -> np.ndarray:
        """Heights at the in-plane points ``lateral`` of shape (npoints, gdim - 1)."""
        ...

    @property
    def amplitude(self) -> float:
        """Half the peak-to-valley height (the natural scale of gaps and penetrations)."""
        ...


@dataclass(frozen=True)
class FlatSurface:
    """A rigid flat ``s = offset``."""

    offset: float = 0.0

    def height(self, lateral: np.ndarray) -> np.ndarray:
        return np.full(lateral.shape[0], self.offset)

    @property
    def amplitude(self) -> float:
        return 0.0


@dataclass(frozen=True)
class SinusoidSurface:
    """``s = offset + h cos(2 pi x / lambda) [cos(2 pi y / lambda)]`` (crest at the origin)."""

    h: float
    wavelength: float
    offset: float = 0.0
    egg_crate: bool = False

    def height(self, lateral: np.ndarray) -> np.ndarray:
        k = 2.0 * math.pi / self.wavelength
        s = np.cos(k * lateral[:, 0])
        if self.egg_crate:
            s = s * np.cos(k * lateral[:, 1])
        return self.offset + self.h * s

    @property
    def amplitude(self) -> float:
        return self.h


class HeightMapSurface:
    """A periodic height map (spline interpolant, period ``hm.width``) shifted by ``offset``."""

    def __init__(self, hm: HeightMap, offset: float = 0.0):
        self.spline = SplineSurface(hm)
        self.width = hm.width
        self.offset = offset
        samples = self.spline.sample()
        self._amplitude = 0.5 * float(samples.max() - samples.min())

    def height(self, lateral: np.ndarray) -> np.ndarray:
        u = np.mod(lateral / self.width, 1.0)
        sp = self.spline
        bx = _basis(sp._sx.full, u[:, 0])
        if sp._sy is None:
            return self.offset + bx @ sp.control
        by = _basis(sp._sy.full, u[:, 1])
        return self.offset + np.einsum("ij,jk,ik->i", by, sp.control, bx)

    @property
    def amplitude(self) -> float:
        return self._amplitude
