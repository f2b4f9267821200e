"""Compaction of a pressed powder (the Li6PS5Cl separator, the composite cathodes): the local
law at one or many material points (pure numpy, vectorised; the finite-element side is
:mod:`fem.mechanics.compaction`, single-point paths :mod:`fem.mechanics.compaction_paths`).

A modified Cam-clay type elliptic cap (Roscoe & Burland 1968, docs/references.md#roscoe1968)
hardened by the Heckel compaction curve (docs/references.md#heckel1961), with the relative
density D as the state, associated flow, and a pressure-dependent (Hertz-type) hyperelastic
elastic branch (Houlsby, Amorosi & Rojas 2005, docs/references.md#houlsby2005). Small strain,
compression positive in the invariants (tensors keep tension positive)::

    p = -tr(sigma)/3,  s = dev(sigma),  q = sqrt(3/2 s:s)
    e_v = -tr(eps_e),  e = dev(eps_e),  e_s = sqrt(2/3 e:e)                (elastic strain)

Elasticity (a potential W, so that no energy is created on a closed elastic cycle)::

    W(e_v, e_s) = (k/a) xi^a - p0 e_v - (k/a) e0^a,   xi^2 = (e_v + e0)^2 + b e_s^2
    p = dW/de_v = k xi^(a-2) (e_v + e0) - p0,   q = dW/de_s = k b xi^(a-2) e_s
    a = (2 - n)/(1 - n),  sigma = -p I + sqrt(2/3) q e/|e|

On an isotropic path (e_s = 0) p + p0 = k (e_v + e0)^(1/(1-n)): the tangent bulk modulus is
K_t = K_ref ((p + p0)/(p_ref + p0))^n, for the Hertz exponent n = 1/3 the unloading of
plastically flattened particle contacts (contact radius ~ P^(1/3); Johnson 1985,
docs/references.md#johnson1985; Mesarovic & Johnson 2000, docs/references.md#mesarovic2000);
n = 0 is linear elasticity (bonded necks). The floor p0 (0.1 MPa) keeps the moduli positive at
zero stress (e0 = (p0/k)^(1-n) makes the origin stress-free) and changes K_t at 5 MPa by 0.7 %.
K_ref = M_0 (1 + nu)/(3 (1 - nu)) with M_0 the card's unloading (constrained) modulus at an
isotropic pressure p_ref = the pressing pressure; b = 9 (1 - 2 nu)/(2 (1 + nu) (1 - n)) gives
the Poisson ratio nu on isotropic states (3 G_t / K_t = b (1 - n)). The closed-form elastic
branch on an isotropic path::

    e_v(p) = ((p + p0)/k)^(1-n) - e0      (n = 1/3: e_v ~ (p + p0)^(2/3))

Yield (the ellipse, with the small tension p_t = p0/2 so that the stress-free state lies
inside), hardening and flow::

    f = q^2/M^2 + (p + p_t)(p - p_c) <= 0
    Heckel:  ln(1/(1 - D)) = p_c / P_y + A      (P_y = 1/K, the mean yield pressure)
    d eps_p = dgamma df/dsigma:  d e_v^p = dgamma (2 p + p_t - p_c),  d e_s^p = dgamma 2 q/M^2
    dD / D = d e_v^p   (= -d tr eps_p: mass conservation of the solid)

so that on isostatic loading (q = 0) p = p_c and D(p) is the Heckel curve.

Return map (closest point in (p, q), Borja & Lee 1990, docs/references.md#borja1990;
de Souza Neto, Peric & Owen 2008 ch. 8, docs/references.md#desouzaneto2008): the deviatoric
direction is that of the trial elastic strain (isotropy), and the unknowns
x = (p_c, e_s, dgamma) solve, with e_v = e_v^tr - ln(D(p_c)/D_n),

    R1 = ln(D(p_c)/D_n) - dgamma (2 p + p_t - p_c) = 0
    R2 = e_s - e_s^tr + dgamma 2 q/M^2            = 0
    R3 = f(p, q, p_c) / s^2                        = 0       (s = p_c,n + p_t)

by Newton with backtracking. The algorithmic tangent follows from the implicit function
theorem, d(p, q)/d(e_v^tr, e_s^tr) = J_pq, and (I_dev = I_sym - I x I / 3, n the unit
deviatoric direction)::

    C = J_pv I x I - sqrt(2/3) (J_ps I x n + J_qv n x I) + 2/3 J_qs n x n
        + 2/3 (q / e_s^tr) (I_dev - n x n)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

_I = np.eye(3)
#: Symmetric fourth-order identity and the deviatoric projector (3, 3, 3, 3).
_I4 = 0.5 * (np.einsum("ik,jl->ijkl", _I, _I) + np.einsum("il,jk->ijkl", _I, _I))
_IDEV = _I4 - np.einsum("ij,kl->ijkl", _I, _I) / 3.0
_SQ23 = math.sqrt(2.0 / 3.0)
#: Below this deviatoric elastic strain the deviatoric direction is taken as undefined.
_ES_TINY = 1e-300


# ---------------------------------------------------------------------------- elasticity
@dataclass(frozen=True)
class HertzElasticity:
    """The hyperelastic potential of the module docstring: K_t = K_ref at the isotropic
    pressure p_ref, Hertz exponent n, Poisson ratio nu (isotropic states) and floor p0 (Pa)."""

    reference_modulus: float  # K_ref, Pa (tangent bulk modulus at p = p_ref, q = 0)
    reference_pressure: float  # p_ref, Pa
    exponent: float = 1.0 / 3.0  # n
    poissons_ratio: float = 0.3
    floor_pressure: float = 0.1e6  # p0, Pa

    def __post_init__(self) -> None:
        if not (0 <= self.exponent < 1 and -1 < self.poissons_ratio < 0.5
                and self.reference_modulus > 0 and self.reference_pressure >= 0
                and self.floor_pressure > 0):
            raise ValueError(f"invalid Hertz elasticity: {self}")

    @classmethod
    def from_unloading_modulus(cls, modulus: float, pressure: float, exponent: float,
                               poissons_ratio: float, floor_pressure: float = 0.1e6
                               ) -> HertzElasticity:
        """From the constrained (oedometric) tangent modulus M_0 = K_t + 4/3 G_t at the
        isotropic pressure ``pressure``: K_ref = M_0 (1 + nu)/(3 (1 - nu))."""
        nu = poissons_ratio
        return cls(modulus * (1 + nu) / (3 * (1 - nu)), pressure, exponent, nu, floor_pressure)

    @property
    def power(self) -> float:
        """a = (2 - n)/(1 - n), the power of xi in W."""
        return (2.0 - self.exponent) / (1.0 - self.exponent)

    @property
    def stiffness(self) -> float:
        """k, with k^(1-n) = (1 - n) K_ref (p_ref + p0)^(-n)."""
        n = self.exponent
        base = (1 - n) * self.reference_modulus * (self.reference_pressure
                                                   + self.floor_pressure) ** (-n)
        return base ** (1.0 / (1.0 - n))

    @property
    def offset(self) -> float:
        """e0 = (p0/k)^(1-n): the shift that makes e_v = 0 stress-free."""
        return (self.floor_pressure / self.stiffness) ** (1.0 - self.exponent)

    @property
    def shear_ratio(self) -> float:
        """b = 9 (1 - 2 nu)/(2 (1 + nu)(1 - n)), so that 3 G_t/K_t = b (1 - n) on isotropic states."""
        nu = self.poissons_ratio
        return 9.0 * (1 - 2 * nu) / (2 * (1 + nu) * (1 - self.exponent))

    def _xi(self, ev, es):
        y = np.asarray(ev, float) + self.offset
        xi = np.sqrt(y * y + self.shear_ratio * np.asarray(es, float) ** 2)
        return y, np.maximum(xi, 1e-300)

    def energy(self, ev, es):
        """W(e_v, e_s) (J/m^3), zero at zero strain."""
        a, k = self.power, self.stiffness
        _, xi = self._xi(ev, es)
        return k / a * (xi**a - self.offset**a) - self.floor_pressure * np.asarray(ev, float)

    def response(self, ev, es):
        """(p, q, p_v, p_s, q_v, q_s): the stress invariants and their derivatives (the
        Hessian of W, symmetric: p_s = q_v) at the elastic strain invariants (e_v, e_s)."""
        a, k, b = self.power, self.stiffness, self.shear_ratio
        y, xi = self._xi(ev, es)
        es = np.asarray(es, float)
        xa = xi ** (a - 2.0)
        xb = xi ** (a - 4.0) * (a - 2.0)
        p = k * xa * y - self.floor_pressure
        q = k * b * xa * es
        p_v = k * (xa + xb * y * y)
        p_s = k * xb * y * b * es
        q_s = k * b * (xa + xb * b * es * es)
        return p, q, p_v, p_s, p_s, q_s

    def volumetric_strain(self, p):
        """The closed-form isotropic branch e_v(p) = ((p + p0)/k)^(1-n) - e0."""
        return ((np.asarray(p, float) + self.floor_pressure) / self.stiffness) ** (
            1.0 - self.exponent) - self.offset

    def bulk_modulus(self, p):
        """Tangent bulk modulus on an isotropic state, K_ref ((p + p0)/(p_ref + p0))^n."""
        p0 = self.floor_pressure
        return self.reference_modulus * ((np.asarray(p, float) + p0)
                                         / (self.reference_pressure + p0)) ** self.exponent

    def constrained_modulus(self, p):
        """Tangent constrained (oedometric) modulus K_t + 4/3 G_t on an isotropic state."""
        nu = self.poissons_ratio
        return self.bulk_modulus(p) * 3 * (1 - nu) / (1 + nu)


# ---------------------------------------------------------------------------- hardening
@dataclass(frozen=True)
class HeckelHardening:
    """The Heckel compaction curve ln(1/(1 - D)) = p_c/P_y + A as the hardening law
    (docs/references.md#heckel1961): P_y = 1/K the mean yield pressure, A the intercept."""

    yield_pressure: float  # P_y, Pa
    intercept: float  # A

    def consolidation_pressure(self, D):
        """p_c(D) = P_y (ln(1/(1 - D)) - A)."""
        return self.yield_pressure * (-np.log1p(-np.asarray(D, float)) - self.intercept)

    def density(self, pc):
        """D(p_c) = 1 - exp(-(A + p_c/P_y))."""
        return -np.expm1(-(self.intercept + np.asarray(pc, float) / self.yield_pressure))

    def log_density_change(self, pc, pc_n, D_n):
        """ln(D(p_c)/D_n) for D_n = D(p_c,n), without the cancellation of the logarithms:
        D - D_n = -(1 - D_n) expm1(-(p_c - p_c,n)/P_y)."""
        dD = -(1.0 - D_n) * np.expm1(-(pc - pc_n) / self.yield_pressure)
        return np.log1p(dD / D_n)

    def log_density_slope(self, pc):
        """d ln D / d p_c = (1 - D)/(P_y D)."""
        D = self.density(pc)
        return (1.0 - D) / (self.yield_pressure * D)


# ---------------------------------------------------------------------------- the law
@dataclass
class LocalResult:
    """The converged local state at n points: stress and algorithmic tangent (tension
    positive), elastic strain, relative density, consolidation pressure, the plastic
    multiplier, which points flowed and which converged."""

    stress: np.ndarray  # (n, 3, 3)
    tangent: np.ndarray  # (n, 3, 3, 3, 3)
    elastic_strain: np.ndarray  # (n, 3, 3)
    density: np.ndarray  # (n,)
    consolidation_pressure: np.ndarray  # (n,)
    multiplier: np.ndarray  # (n,)
    plastic: np.ndarray  # (n,) bool
    converged: np.ndarray  # (n,) bool


def strain_invariants(eps: np.ndarray):
    """(e_v, e_s, n, |e|) of strain tensors (n, 3, 3): e_v = -tr, n the unit deviator."""
    eps = np.asarray(eps, float)
    ev = -np.trace(eps, axis1=1, axis2=2)
    dev = eps + (ev / 3.0)[:, None, None] * _I
    norm = np.sqrt(np.einsum("nij,nij->n", dev, dev))
    safe = np.where(norm > _ES_TINY, norm, 1.0)
    nhat = np.where((norm > _ES_TINY)[:, None, None], dev / safe[:, None, None], 0.0)
    return ev, _SQ23 * norm, nhat, norm


def _tangent(Jpq: np.ndarray, q: np.ndarray, es_tr: np.ndarray, nhat: np.ndarray) -> np.ndarray:
    """C of the module docstring from J_pq (n, 2, 2) = d(p, q)/d(e_v^tr, e_s^tr)."""
    Jpv, Jps, Jqv, Jqs = Jpq[:, 0, 0], Jpq[:, 0, 1], Jpq[:, 1, 0], Jpq[:, 1, 1]
    ratio = np.where(es_tr > 1e-14, q / np.where(es_tr > 1e-14, es_tr, 1.0), Jqs)
    In = np.einsum("ij,nkl->nijkl", _I, nhat)
    nI = np.einsum("nij,kl->nijkl", nhat, _I)
    nn = np.einsum("nij,nkl->nijkl", nhat, nhat)
    II = np.einsum("ij,kl->ijkl", _I, _I)
    return (Jpv[:, None, None, None, None] * II
            - _SQ23 * (Jps[:, None, None, None, None] * In + Jqv[:, None, None, None, None] * nI)
            + (2.0 / 3.0) * Jqs[:, None, None, None, None] * nn
            + (2.0 / 3.0) * ratio[:, None, None, None, None] * (_IDEV - nn))


@dataclass(frozen=True)
class CompactionLaw:
    """The cap model of the module docstring: elasticity, Heckel hardening and the
    critical-state slope M (which sets the die-wall stress ratio K0)."""

    elasticity: HertzElasticity
    hardening: HeckelHardening
    critical_state_slope: float = 1.2  # M

    @property
    def tension(self) -> float:
        """p_t = p0/2: the ellipse's tensile end (inside the elastic floor's range)."""
        return 0.5 * self.elasticity.floor_pressure

    def with_intercept(self, intercept: float) -> CompactionLaw:
        return replace(self, hardening=replace(self.hardening, intercept=intercept))

    def yield_function(self, p, q, pc):
        """f = q^2/M^2 + (p + p_t)(p - p_c)."""
        return q * q / self.critical_state_slope**2 + (p + self.tension) * (p - pc)

    def stress(self, eps_e: np.ndarray) -> np.ndarray:
        """The elastic stress (n, 3, 3) of elastic strains (n, 3, 3)."""
        ev, es, nhat, _ = strain_invariants(eps_e)
        p, q, *_ = self.elasticity.response(ev, es)
        return -p[:, None, None] * _I + _SQ23 * q[:, None, None] * nhat

    def return_map(self, eps_e_trial: np.ndarray, D_n: np.ndarray, tol: float = 1e-13,
                   max_it: int = 60) -> LocalResult:
        """Backward-Euler closest-point return from the trial elastic strains (n, 3, 3) at the
        densities D_n (n,) of the last converged state (see the module docstring)."""
        eps_e_trial = np.asarray(eps_e_trial, float).reshape(-1, 3, 3)
        D_n = np.broadcast_to(np.asarray(D_n, float), (eps_e_trial.shape[0],)).copy()
        ev_tr, es_tr, nhat, _ = strain_invariants(eps_e_trial)
        el = self.elasticity
        p, q, p_v, p_s, q_v, q_s = el.response(ev_tr, es_tr)
        pc_n = self.hardening.consolidation_pressure(D_n)
        scale = np.maximum(pc_n + self.tension, self.tension)
        plastic = self.yield_function(p, q, pc_n) > 1e-12 * scale**2
        Jpq = np.stack([np.stack([p_v, p_s], -1), np.stack([q_v, q_s], -1)], -2)
        ev, es, pc, dgam = ev_tr.copy(), es_tr.copy(), pc_n.copy(), np.zeros_like(ev_tr)
        converged = np.ones(ev.size, bool)
        if np.any(plastic):
            k = np.flatnonzero(plastic)
            sol = self._plastic(ev_tr[k], es_tr[k], D_n[k], pc_n[k], scale[k], tol, max_it)
            ev[k], es[k], pc[k], dgam[k], Jpq[k], converged[k] = sol
            p[k], q[k], *_ = el.response(ev[k], es[k])
        stress = -p[:, None, None] * _I + _SQ23 * q[:, None, None] * nhat
        eps_e = -(ev / 3.0)[:, None, None] * _I + (es / _SQ23)[:, None, None] * nhat
        D = np.where(plastic, self.hardening.density(pc), D_n)
        pc = np.where(plastic, pc, pc_n)
        return LocalResult(stress, _tangent(Jpq, q, es_tr, nhat), eps_e, D, pc, dgam, plastic,
                           converged)

    # ------------------------------------------------------------------ the plastic return
    def _residual(self, x, ev_tr, es_tr, state_n, scale):
        """R (m, 3), its Jacobian (m, 3, 3) and the pieces the tangent needs."""
        M2 = self.critical_state_slope**2
        pc, es, dg = x[:, 0], x[:, 1], x[:, 2]
        h = self.hardening.log_density_change(pc, *state_n)  # plastic volumetric increment
        hp = self.hardening.log_density_slope(pc)
        ev = ev_tr - h
        p, q, p_v, p_s, q_v, q_s = self.elasticity.response(ev, es)
        g_p, g_q = 2 * p + self.tension - pc, 2 * q / M2
        s2 = scale * scale
        R = np.stack([h - dg * g_p, es - es_tr + dg * g_q,
                      self.yield_function(p, q, pc) / s2], -1)
        J = np.empty((x.shape[0], 3, 3))
        J[:, 0] = np.stack([hp + dg * (2 * p_v * hp + 1), -2 * dg * p_s, -g_p], -1)
        J[:, 1] = np.stack([-2 * dg * q_v * hp / M2, 1 + 2 * dg * q_s / M2, g_q], -1)
        J[:, 2] = np.stack([(-(g_p * p_v + g_q * q_v) * hp - (p + self.tension)) / s2,
                            (g_p * p_s + g_q * q_s) / s2, np.zeros_like(pc)], -1)
        parts = (ev, hp, (p_v, p_s, q_v, q_s), g_p, g_q, dg, s2)
        return R, J, parts

    def _plastic(self, ev_tr, es_tr, D_n, pc_n, scale, tol, max_it):
        """Newton on (p_c, e_s, dgamma) from the trial state; the scaled residual must fall
        (backtracking) until it is near round-off, where full steps are taken."""
        state_n = (pc_n, D_n)
        x = np.stack([pc_n, es_tr, np.zeros_like(pc_n)], -1)
        strain = np.maximum(np.abs(ev_tr) + es_tr, 1e-12)
        weights = np.stack([1 / strain, 1 / strain, np.ones_like(strain)], -1)
        R, J, _ = self._residual(x, ev_tr, es_tr, state_n, scale)
        norm = np.max(np.abs(R) * weights, axis=1)
        for _ in range(max_it):
            act = norm > tol
            if not np.any(act):
                break
            dx = np.zeros_like(x)
            dx[act] = -np.linalg.solve(J[act], R[act][..., None])[..., 0]
            alpha = np.ones(x.shape[0])
            for _cut in range(30):
                xt = x + alpha[:, None] * dx
                Rt, Jt, _ = self._residual(xt, ev_tr, es_tr, state_n, scale)
                nt = np.max(np.abs(Rt) * weights, axis=1)
                bad = act & ~(np.isfinite(nt) & ((nt < norm) | (nt <= 1e3 * tol)))
                if not np.any(bad):
                    break
                alpha[bad] *= 0.5
            x, R, J, norm = xt, Rt, Jt, nt
        return (*self._solution(x, ev_tr, es_tr, state_n, scale), norm <= 1e3 * tol)

    def _solution(self, x, ev_tr, es_tr, state_n, scale):
        """(e_v, e_s, p_c, dgamma, J_pq) at the converged x (implicit function theorem)."""
        _, J, parts = self._residual(x, ev_tr, es_tr, state_n, scale)
        ev, hp, (p_v, p_s, q_v, q_s), g_p, g_q, dg, s2 = parts
        M2 = self.critical_state_slope**2
        B = np.zeros((x.shape[0], 3, 2))  # dR/d(e_v^tr, e_s^tr)
        B[:, 0, 0] = -2 * dg * p_v
        B[:, 1, 0] = 2 * dg * q_v / M2
        B[:, 1, 1] = -1.0
        B[:, 2, 0] = (g_p * p_v + g_q * q_v) / s2
        dx = -np.linalg.solve(J, B)  # (m, 3, 2): d(p_c, e_s, dgamma)/d(e_v^tr, e_s^tr)
        d_ev = np.stack([1.0 - hp * dx[:, 0, 0], -hp * dx[:, 0, 1]], -1)  # d e_v / d trial
        d_es = dx[:, 1, :]
        H = np.stack([np.stack([p_v, p_s], -1), np.stack([q_v, q_s], -1)], -2)
        Jpq = H @ np.stack([d_ev, d_es], -2)
        return ev, x[:, 1], x[:, 0], x[:, 2], Jpq
