"""Confidence intervals and correlations of fitted parameters from the Jacobian at the solution.

Linearised least squares (Seber & Wild, Nonlinear Regression, 1989, ch. 5; Bates & Watts 1988):
in the transformed coordinates u, cov(u) = s^2 (J^T J)^-1 with J = d r / d u the Jacobian of the
weighted residuals. s^2 = 1 when every dataset states its noise (the residuals are then in units
of the noise), else the residual variance s^2 = sum r^2 / (m - n) (m points of non-zero weight,
n parameters). The interval is u +- q sd(u) with q the (1 + c)/2 quantile of the normal
distribution (noise given) or of Student's t with m - n degrees of freedom, mapped back to the
values: start exp(u) on a log scale (an interval symmetric in ln), start + |start| u on a
linear one. (J^T J)^-1 is taken through the singular values of J; a direction with a singular
value below 1e-10 of the largest is not identified: every parameter in it gets an unbounded
interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Singular values of J below this fraction of the largest count as zero.
RANK_TOLERANCE = 1e-10


@dataclass
class Uncertainty:
    """What the Jacobian at the solution says: the standard deviations of u (inf where not
    identified), the correlation matrix, s^2 and where it comes from, the quantile, degrees of
    freedom and the condition number of J."""

    sd: np.ndarray
    correlation: np.ndarray
    s2: float
    basis: str
    quantile: float
    dof: int
    condition: float
    rank: int

    def interval_u(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        half = self.quantile * self.sd
        return u - half, u + half


def uncertainty(J: np.ndarray, r: np.ndarray, points: int, noise_given: bool,
                confidence: float) -> Uncertainty:
    """The uncertainty of the fit (see the module docstring); ``points`` counts the residuals
    of non-zero weight."""
    from scipy import stats

    n = J.shape[1]
    dof = points - n
    if noise_given:
        s2, basis = 1.0, "noise"
        q = float(stats.norm.ppf(0.5 + confidence / 2))
    elif dof > 0:
        s2, basis = float(r @ r) / dof, "residual variance"
        q = float(stats.t.ppf(0.5 + confidence / 2, dof))
    else:
        s2, basis, q = math.nan, "undetermined: no more points than parameters, and no noise", \
            math.nan
    _, S, Vt = np.linalg.svd(J, full_matrices=False)
    smax = float(S.max()) if S.size else 0.0
    ok = S > RANK_TOLERANCE * smax if smax > 0 else np.zeros_like(S, dtype=bool)
    inv = np.where(ok, 1.0 / np.where(ok, S, 1.0) ** 2, 0.0)
    cov = (Vt.T * inv) @ Vt * s2
    sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    free = np.zeros(n, dtype=bool)
    for k in np.flatnonzero(~ok):
        free |= np.abs(Vt[k]) > 1e-6
    sd[free] = math.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[free, :] = math.nan
    corr[:, free] = math.nan
    np.fill_diagonal(corr, 1.0)
    cond = float(smax / S.min()) if S.size and S.min() > 0 else math.inf
    return Uncertainty(sd, corr, s2, basis, q, dof, cond, int(ok.sum()))
