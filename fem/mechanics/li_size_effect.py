"""Size effect of lithium's strength: Li features of a few micrometres are far harder than bulk Li.

Micropillar compression of single-crystal Li (Xu et al. 2017, docs/references.md#xu2017) gives
flow stresses of 105 MPa at 1.39 um and 15 MPa at 9.45 um diameter (room temperature,
5e-3 1/s), where bulk polycrystalline Li flows at about 0.9 MPa at the same rate
(docs/references.md#derived-norton-fit). assb-fem scales the bulk law's stresses by a strength
factor of the feature size l (pillar diameter, asperity or flaw size)::

    S(l) = 1 + (l_s / l)^m,     sigma_flow(rate, l) = S(l) sigma_bulk(rate),

so the Norton law becomes ``rate = A (seq / (S sigma_ref))^n`` (the same law with its reference
stress times S; for Narayan-Anand its resistances times S). S -> 1 for l >> l_s (bulk), and
S ~ (l_s / l)^m for small features. l_s and m are fixed by the two pillar points with the bulk
Norton fit (:func:`size_effect_from_points`, docs/references.md#derived-li-size-effect):
l_s = 127 um, m = 1.04 (the pillar set's overall exponent is 0.68 at room temperature and 1.0 at
90 degC, Xu 2017). The pillars are single crystals; a polycrystalline foil has no size effect
above its grain size, so the law is used for micrometre features (interface asperities,
separator flaws, patch roughness), not for the millimetre foil.

This one law is shared by the micro-scale patch runs (:func:`fem.mechanics.creep_laws
.creep_law_from_material` with a feature size) and the cell-scale interface law
(:mod:`fem.interface.contact_state`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SizeEffect:
    """S(l) = 1 + (l_s / l)^m with the length ``length`` (l_s, m) and the exponent m."""

    length: float
    exponent: float

    def __post_init__(self) -> None:
        if not (self.length > 0.0 and self.exponent > 0.0):
            raise ValueError(f"invalid size effect {self}")

    def factor(self, feature_size: float | np.ndarray) -> float | np.ndarray:
        """The strength factor S(l) >= 1 of a feature of size l (m)."""
        ell = np.asarray(feature_size, dtype=float)
        if np.any(ell <= 0.0):
            raise ValueError(f"feature size must be > 0, got {feature_size}")
        out = 1.0 + (self.length / ell) ** self.exponent
        return float(out) if np.ndim(out) == 0 else out


def size_effect_from_points(points: tuple[tuple[float, float], tuple[float, float]],
                            bulk_stress: float) -> SizeEffect:
    """The S(l) through two measured (size m, flow stress Pa) points at one strain rate, at which
    the bulk law flows at ``bulk_stress`` (Pa): (S_i - 1) = (l_s / l_i)^m solved for l_s, m."""
    (l1, s1), (l2, s2) = points
    e1, e2 = s1 / bulk_stress - 1.0, s2 / bulk_stress - 1.0
    if not (e1 > 0.0 and e2 > 0.0 and l1 != l2):
        raise ValueError("two distinct sizes with flow stresses above the bulk's are needed")
    m = math.log(e1 / e2) / math.log(l2 / l1)
    return SizeEffect(length=l1 * e1 ** (1.0 / m), exponent=m)
