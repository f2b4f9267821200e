"""The rigid Li6PS5Cl surface of an interface patch as a height map with pores.

The separator surface of a patch case (:mod:`fem.geometry.patch`) is the smooth spline
interpolant ``s(x[, y])`` of the case's roughness height map (the same generator, seed, RMS,
correlation length, Hurst exponent and grid as the gmsh patch mesh), minus the surface pores:
flat-bottomed slots (2D) or cylinders (3D) of radius ``r`` whose bottom lies ``depth`` below the
mean plane. As a height function the pore is a depression with vertical walls:

    s_pore(x) = -depth      for |x - x_c| < r      (2D; 3D: distance to the pore axis < r),
    s_pore(x) = s(x)        elsewhere.

In the coordinates of the Li block (flat Li bottom at z = 0 in the reference configuration, as in
:mod:`fem.contact.meshes`) the surface is shifted down by ``max(s) + gap``: with ``gap = 0`` the
Li rests on the highest asperity, as in the patch mesh.

The contact formulation samples the height at the nodes of the Li contact face (nodal quadrature,
:mod:`fem.contact.rigid_contact`), so the discontinuous pore walls need no special treatment; the
gap is measured along z from the reference position of each Li node (small-slope approximation),
so the walls constrain the Li only through the nodes above the pore mouth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem.contact.surfaces import HeightMapSurface
from fem.geometry.patch import height_map
from fem.geometry.roughness import SplineSurface

#: Relative tolerance of the pore rim.
RIM_TOL = 1e-9


@dataclass(frozen=True)
class Pore:
    """A surface pore: centre (in-plane, m), radius (m), depth of its bottom below the mean plane (m)."""

    centre: tuple[float, ...]
    radius: float
    depth: float

    def inside(self, lateral: np.ndarray) -> np.ndarray:
        """Mask of the in-plane points ``lateral`` (npoints, gdim - 1) over the pore mouth.

        A point on the rim (to within 1e-9 of the radius) is outside, whatever the round-off
        of its coordinates (nodes on the rim must not depend on the partition)."""
        d = lateral - np.asarray(self.centre)[None, : lateral.shape[1]]
        return np.sqrt(np.sum(d**2, axis=1)) < self.radius * (1.0 - RIM_TOL)


class PatchSurface:
    """The case's rough, pored separator surface in Li-block coordinates (see the module doc)."""

    def __init__(self, patch):
        hm = height_map(patch)
        spline = SplineSurface(hm)
        self.width = patch.width
        self.mean_plane_max = spline.maximum()  # max(s) above the mean plane
        self.gap = patch.gap
        self.shift = self.mean_plane_max + patch.gap  # patch z = block z + shift
        self.rough = HeightMapSurface(hm, offset=-self.shift)
        self.pores: list[Pore] = []
        if patch.pores is not None:
            for c in patch.pores.positions:
                self.pores.append(Pore(tuple(float(v) for v in c), patch.pores.radius,
                                       patch.pores.depth))
        samples = spline.sample(16)
        lo = min([float(samples.min())] + [-p.depth for p in self.pores])
        self.peak_to_valley = float(samples.max()) - lo
        self.rms = float(np.sqrt(np.mean((hm.heights - hm.heights.mean()) ** 2)))

    def height(self, lateral: np.ndarray) -> np.ndarray:
        """Surface height in block coordinates at the in-plane points ``lateral``."""
        s = self.rough.height(lateral)
        for p in self.pores:
            s = np.where(p.inside(lateral), -p.depth - self.shift, s)
        return s

    def patch_height(self, lateral: np.ndarray) -> np.ndarray:
        """Surface height above the mean plane (patch coordinates)."""
        return self.height(lateral) + self.shift

    @property
    def amplitude(self) -> float:
        """Half the peak-to-valley height including the pores."""
        return 0.5 * self.peak_to_valley
