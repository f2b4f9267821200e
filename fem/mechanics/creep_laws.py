"""Local creep integrators for the J2 radial return of Li (pure numpy, vectorised over points).

The finite-element code computes, at every quadrature point, the elastic trial von Mises stress
``seq_tr`` (Pa). A creep law then solves the backward-Euler radial return (small strain, J2,
isochoric flow along the trial deviator; Simo & Hughes 1998, docs/references.md#simo1998)::

    seq = seq_tr - 3 G dp,         dp = dt * rate(seq, state_{n+1}, T)

for the equivalent creep strain increment ``dp`` and returns it with the consistent tangent
``beta = d(dp)/d(seq_tr)`` (the exact total derivative of the converged local solution, including
the dependence through the internal state) and the updated internal state.

Two laws (docs/references.md#derived-norton-fit, docs/references.md#anand2019):

* :class:`NortonCreep` (docs/references.md#derived-norton-fit: fit to Masias et al. 2019)::

      rate = A_ref (seq/sigma_ref)^n exp(-Q/R (1/T - 1/T_ref))

* :class:`NarayanAnandCreep` (docs/references.md#anand2019: the law's form follows Narayan &
  Anand 2018, #narayan2018; its temperature dependence, rate-dependent saturation and the li
  card's parameter set are those of the ecmLab/continuum decks, #ecmlab-continuum, probably
  Anand & Narayan, JES 2019 [U], not the 2018 paper's set)::

      rate   = nu0 exp(-Q/RT) (seq/S)^(1/m)
      S_dot  = H0 |1 - S/S*|^a sign(1 - S/S*) rate,   S(0) = S0
      S*     = S_tilde (rate/(nu0 exp(-Q/RT)))^n_s  = S_tilde (seq/S)^(n_s/m)

Numerics. For a fixed resistance the return is the scalar equation (normalised, y = seq/S,
t = seq_tr/S, k = 3 G dt r(T)/S, p the stress exponent)::

    g(y) = y + k y^p - t = 0

which is convex and increasing for y >= 0 (p >= 1). Newton started from the upper bound
``y0 = min(t, (t/k)^(1/p))`` (both satisfy g >= 0) converges monotonically from above, and the root
lies within a factor 2 of y0 (either y >= t/2 or k y^p >= t/2), so a handful of iterations give
machine precision for any t in [0, 1e3] and k in [0, 1e12] (n = 6.6 makes g very stiff). The
unknown is the new stress (not dp), which is computed to ~1 ulp relative in both the slow and the
stiff regime; ``dp = dt rate(seq)`` then has a relative error of about p ulp.

For Narayan-Anand the coupled pair (seq, S) is reduced to one scalar equation in S (for each trial
S the stress comes from the monotone solve above)::

    F(S) = S - S_n - H0 phi(S/S*) dt rate(seq(S), S) = 0,   phi(w) = |1 - w|^a sign(1 - w)

and F is solved per point by Newton in log S safeguarded by bisection on a bracket that is known a
priori: the root lies between S_n and the saturation value S_eq (where S = S*), since S/S* grows
with S. ``beta`` follows from the implicit function theorem on F.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import numpy as np

from fem.constants import GAS_CONSTANT
from fem.errors import CaseError
from fem.mechanics.li_size_effect import SizeEffect

_EPS = np.finfo(float).eps


@runtime_checkable
class CreepLaw(Protocol):
    """A local creep law for the J2 backward-Euler radial return (see the module docstring)."""

    n_state: int  # internal scalars per point (Norton 0, Narayan-Anand 1: S)

    def initial_state(self, npoints: int) -> np.ndarray:
        """The internal state before any flow, shape ``(npoints, n_state)``."""
        ...

    def rate(self, seq: np.ndarray, state: np.ndarray, T: float) -> np.ndarray:
        """Equivalent creep strain rate (1/s) at equivalent stress ``seq`` (Pa), temperature T (K)."""
        ...

    def return_map(self, seq_tr: np.ndarray, G: float, dt: float, T: float, state: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(dp, beta, new_state)`` of the backward-Euler return from the trial stress ``seq_tr``."""
        ...


def _check_inputs(seq_tr: np.ndarray, G: float, dt: float, T: float) -> np.ndarray:
    s = np.asarray(seq_tr, dtype=float)
    if s.ndim != 1:
        s = s.reshape(-1)
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("seq_tr must be finite and >= 0 (an equivalent stress)")
    if not (G >= 0 and dt >= 0 and T > 0 and math.isfinite(G) and math.isfinite(dt)):
        raise ValueError(f"need G >= 0, dt >= 0, T > 0 (got G={G}, dt={dt}, T={T})")
    return s


def _power_return(t: np.ndarray, k: np.ndarray, p: float, max_it: int = 100) -> np.ndarray:
    """Solve ``y + k y^p = t`` for y >= 0 (vectorised; t >= 0, k >= 0, p >= 1).

    Newton from the upper bound ``min(t, (t/k)^(1/p))``; g is convex increasing, so the iterates
    decrease monotonically to the root (quadratically once close). Converges to ~1 ulp.
    """
    t, k = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(k, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        y = np.minimum(t, np.where(k > 0, (t / k) ** (1.0 / p), np.inf))
    y = np.where(t > 0, y, 0.0)
    active = (t > 0) & (k > 0)
    for _ in range(max_it):
        if not active.any():
            break
        ya, ka, ta = y[active], k[active], t[active]
        yp1 = ya ** (p - 1.0)
        g = ya + ka * yp1 * ya - ta
        dy = g / (1.0 + p * ka * yp1)
        ynew = ya - dy
        # Monotone from above: never step below 0 (cannot happen in exact arithmetic).
        ynew = np.where(ynew > 0, ynew, 0.5 * ya)
        y[active] = ynew
        still = np.abs(dy) > 4 * _EPS * ynew
        idx = np.flatnonzero(active)
        active[idx[~still]] = False
    if active.any():  # pragma: no cover - Newton from a monotone start always converges
        raise RuntimeError("creep return map did not converge")
    return y


@dataclass
class NortonCreep:
    """Norton power-law creep with an Arrhenius factor (docs/references.md#derived-norton-fit).

    ``rate = A_ref (seq/sigma_ref)^n exp(-Q/R (1/T - 1/T_ref))``; Masias 2019 fit for Li:
    A_ref = 7.73e-3 1/s at sigma_ref = 1 MPa, T_ref = 299.15 K, n = 6.56, Q = 37 kJ/mol.
    """

    A_ref: float  # 1/s, the rate at sigma_ref and T_ref
    n: float  # stress exponent
    sigma_ref: float  # Pa
    T_ref: float  # K
    Q: float  # J/mol

    n_state = 0

    def __post_init__(self) -> None:
        if not (self.A_ref > 0 and self.n >= 1 and self.sigma_ref > 0 and self.T_ref > 0
                and self.Q >= 0):
            raise ValueError(f"invalid Norton parameters {self}")

    def scaled(self, factor: float) -> NortonCreep:
        """The same law with every stress scaled by ``factor`` (the size effect,
        :mod:`fem.mechanics.li_size_effect`): ``rate = A (seq / (factor sigma_ref))^n``."""
        return replace(self, sigma_ref=self.sigma_ref * factor)

    def arrhenius(self, T: float) -> float:
        """exp(-Q/R (1/T - 1/T_ref))."""
        return math.exp(-self.Q / GAS_CONSTANT * (1.0 / T - 1.0 / self.T_ref))

    def initial_state(self, npoints: int) -> np.ndarray:
        return np.zeros((npoints, 0))

    def rate(self, seq: np.ndarray, state: np.ndarray | None = None, T: float | None = None
             ) -> np.ndarray:
        """``A_ref (seq/sigma_ref)^n exp(-Q/R (1/T - 1/T_ref))`` (T defaults to T_ref)."""
        T = self.T_ref if T is None else T
        return self.A_ref * self.arrhenius(T) * (np.asarray(seq, dtype=float) / self.sigma_ref) ** self.n

    def return_map(self, seq_tr: np.ndarray, G: float, dt: float, T: float,
                   state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backward-Euler return: ``seq + 3 G dt rate(seq) = seq_tr``, ``dp = dt rate(seq)``.

        ``beta = d(dp)/d(seq_tr) = dt r'(seq) / (1 + 3 G dt r'(seq))`` with
        ``r' = n rate/seq`` (finite: 0 at seq_tr = 0 for n > 1, dt A/sigma_ref/(1+3 G dt A/sigma_ref)
        for n = 1); it tends to 1/(3G) in the stiff limit.
        """
        s = _check_inputs(seq_tr, G, dt, T)
        A = self.A_ref * self.arrhenius(T)
        k = 3.0 * G * dt * A / self.sigma_ref
        y = _power_return(s / self.sigma_ref, np.full_like(s, k), self.n)
        yn1 = y ** (self.n - 1.0)
        dp = dt * A * yn1 * y
        drate = self.n * A / self.sigma_ref * yn1  # d rate / d seq
        beta = dt * drate / (1.0 + 3.0 * G * dt * drate)
        new_state = np.zeros((s.size, 0)) if state is None else np.array(state, dtype=float, copy=True)
        return dp, beta, new_state


@dataclass
class NarayanAnandCreep:
    """Anand-type elastic-viscoplastic Li with rate-dependent saturation
    (docs/references.md#anand2019). The form follows Narayan & Anand 2018 (#narayan2018, an
    isothermal law with a constant saturation); the temperature dependence, the rate-dependent
    saturation and the li card's parameter set are those of the ecmLab/continuum decks
    (#ecmlab-continuum), probably Anand & Narayan, JES 2019 [U]. State: the flow resistance
    S (Pa), S(0) = S0.

    ``rate = nu0 exp(-Q/RT) (seq/S)^(1/m)``,
    ``S_dot = H0 |1 - S/S*|^a sign(1 - S/S*) rate``,
    ``S* = S_tilde (rate/(nu0 exp(-Q/RT)))^n_s``.
    Steady state (S = S*): ``rate = nu0 exp(-Q/RT) (seq/S_tilde)^(1/(m + n_s))``.
    """

    nu0: float  # 1/s
    Q: float  # J/mol
    m: float  # rate sensitivity
    S0: float  # Pa, initial resistance
    H0: float  # Pa, hardening modulus
    S_tilde: float  # Pa, saturation coefficient
    n_s: float  # saturation exponent
    a: float  # hardening exponent

    n_state = 1

    def __post_init__(self) -> None:
        if not (self.nu0 > 0 and self.Q >= 0 and 0 < self.m <= 1 and self.S0 > 0 and self.H0 >= 0
                and self.S_tilde > 0 and self.n_s >= 0 and self.a >= 1):
            raise ValueError(f"invalid Narayan-Anand parameters {self} (need 0 < m <= 1, a >= 1)")

    def scaled(self, factor: float) -> NarayanAnandCreep:
        """The same law with every stress scaled by ``factor`` (the size effect,
        :mod:`fem.mechanics.li_size_effect`): S0, H0 and S_tilde times ``factor``, so the flow
        stress at any rate and hardening state is ``factor`` times the unscaled one."""
        return replace(self, S0=self.S0 * factor, H0=self.H0 * factor,
                       S_tilde=self.S_tilde * factor)

    def nu(self, T: float) -> float:
        """``nu0 exp(-Q/(R T))`` (1/s)."""
        return self.nu0 * math.exp(-self.Q / (GAS_CONSTANT * T))

    def initial_state(self, npoints: int) -> np.ndarray:
        return np.full((npoints, 1), self.S0)

    def rate(self, seq: np.ndarray, state: np.ndarray, T: float) -> np.ndarray:
        """``nu0 exp(-Q/RT) (seq/S)^(1/m)`` with S = ``state[:, 0]``."""
        S = np.asarray(state, dtype=float).reshape(-1)
        return self.nu(T) * (np.asarray(seq, dtype=float) / S) ** (1.0 / self.m)

    def steady_state_rate(self, seq: np.ndarray, T: float) -> np.ndarray:
        """Closed form at S = S* (docs/references.md#derived-anand-steady-state):
        ``nu0 exp(-Q/RT) (seq/S_tilde)^(1/(m+n_s))``."""
        return self.nu(T) * (np.asarray(seq, dtype=float) / self.S_tilde) ** (1.0 / (self.m + self.n_s))

    # -- the scalar equation F(S) = 0 and its partial derivatives --------------------------------
    def _eval(self, S: np.ndarray, s: np.ndarray, Sn: np.ndarray, c: float, dtnu: float
              ) -> tuple[np.ndarray, ...]:
        """At trial S: y = seq/S from the monotone solve, dp, F and the partials of F and dp
        with respect to S and to seq_tr (for Newton and for beta)."""
        p, q, a = 1.0 / self.m, self.n_s / self.m, self.a
        y = _power_return(s / S, c / S, p)
        yp1 = y ** (p - 1.0)
        dp = dtnu * yp1 * y
        # Implicit derivatives of y from  S y + c y^p = s:
        den = S + c * p * yp1
        y_S = -y / den  # dy/dS at fixed seq_tr
        y_s = 1.0 / den  # dy/dseq_tr at fixed S
        dp_y = dtnu * p * yp1  # d dp/dy
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            w = S / (self.S_tilde * y**q)  # S/S*, S* = S_tilde y^q
            u = 1.0 - w
            phi = np.abs(u) ** a * np.sign(u)
            dphi_dw = -a * np.abs(u) ** (a - 1.0)
            # dw = w (dS/S - q dy/y)
            w_S = w * (1.0 / S - q * y_S / y)
            w_s = -w * q * y_s / y
            F = S - Sn - self.H0 * phi * dp
            F_S = 1.0 - self.H0 * (dphi_dw * w_S * dp + phi * dp_y * y_S)
            F_s = -self.H0 * (dphi_dw * w_s * dp + phi * dp_y * y_s)
        zero = y <= 0  # seq_tr = 0: no flow, F = S - S_n (limits of the products above are 0)
        if zero.any():
            F = np.where(zero, S - Sn, F)
            F_S = np.where(zero, 1.0, F_S)
            F_s = np.where(zero, 0.0, F_s)
        return y, dp, F, F_S, F_s, dp_y * y_S, dp_y * y_s

    def return_map(self, seq_tr: np.ndarray, G: float, dt: float, T: float, state: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Backward-Euler return for (seq, S) (see the module docstring for the method).

        ``beta = d dp/d seq_tr = dp_s + dp_S dS/dseq_tr``, ``dS/dseq_tr = -F_s/F_S``
        (implicit function theorem on F(S; seq_tr) = 0).
        """
        s = _check_inputs(seq_tr, G, dt, T)
        Sn = np.asarray(state, dtype=float).reshape(-1).copy()
        if Sn.shape != s.shape or np.any(~(Sn > 0)):
            raise ValueError("state must have shape (npoints, 1) with S > 0")
        dtnu = dt * self.nu(T)
        c = 3.0 * G * dtnu
        p, q = 1.0 / self.m, self.n_s / self.m

        # Bracket [S_lo, S_hi] with F(S_lo) <= 0 <= F(S_hi): the root lies between S_n and S_eq
        # (S = S*). A priori bounds on S_eq from seq_new <= seq_tr and from
        # seq_new/S >= min(seq_tr/S, (seq_tr/c)^(1/p))/2 (the bound used in _power_return):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            St = self.S_tilde
            hi_eq = St ** (1.0 / (1.0 + q)) * s ** (q / (1.0 + q))
            b1 = St * (0.5 * np.where(c > 0, (s / c) ** (1.0 / p), np.inf)) ** q
            b2 = St ** (1.0 / (1.0 + q)) * (0.5 * s) ** (q / (1.0 + q))
            lo_eq = 0.5 * np.minimum(b1, b2)
        *_, Fn, _, _, _, _ = self._eval(Sn, s, Sn, c, dtnu)
        S_lo = np.where(Fn < 0, Sn, np.minimum(Sn, lo_eq))
        S_hi = np.where(Fn < 0, np.maximum(Sn, 2.0 * hi_eq), Sn)
        done = (Fn == 0) | (s == 0)
        S_lo = np.where(done, Sn, S_lo)
        S_hi = np.where(done, Sn, S_hi)
        # Make sure of the bracket (the bounds above are proved; this only guards round-off).
        for _ in range(60):
            *_, Flo, _, _, _, _ = self._eval(S_lo, s, Sn, c, dtnu)
            bad = (Flo > 0) & ~done
            if not bad.any():
                break
            S_lo = np.where(bad, 0.25 * S_lo, S_lo)
        for _ in range(60):
            *_, Fhi, _, _, _, _ = self._eval(S_hi, s, Sn, c, dtnu)
            bad = (Fhi < 0) & ~done
            if not bad.any():
                break
            S_hi = np.where(bad, 4.0 * S_hi, S_hi)

        # Safeguarded Newton in u = log S (bisection in log S when Newton leaves the bracket).
        S = np.clip(Sn, S_lo, S_hi)
        S = np.where(done, Sn, S)
        active = ~done
        converged_once = np.zeros_like(active)
        for _ in range(200):
            if not active.any():
                break
            idx = np.flatnonzero(active)
            Sa, lo, hi = S[idx], S_lo[idx], S_hi[idx]
            _, _, F, F_S, _, _, _ = self._eval(Sa, s[idx], Sn[idx], c, dtnu)
            lo = np.where(F <= 0, Sa, lo)
            hi = np.where(F >= 0, Sa, hi)
            dF_du = F_S * Sa
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                du = -F / dF_du
                S_new = Sa * np.exp(du)  # multiplicative: keeps S to ~1 ulp relative
            tiny = np.abs(du) <= 1e-13  # at round-off level: accept even on the bracket's edge
            outside = (S_new < lo) | (S_new > hi) | ((S_new == lo) | (S_new == hi)) & ~tiny
            bisect = ~np.isfinite(S_new) | ~(dF_du > 0) | outside
            S_new = np.where(bisect, np.sqrt(lo * hi), S_new)
            S_new = np.where(F == 0, Sa, S_new)
            S[idx], S_lo[idx], S_hi[idx] = S_new, lo, hi
            small = (~bisect & tiny) | (hi <= lo * (1 + 8 * _EPS)) | (F == 0)
            # One extra Newton step after the first small update polishes to machine precision.
            finished = small & converged_once[idx]
            converged_once[idx] = converged_once[idx] | small
            active[idx[finished]] = False
        if active.any():
            raise RuntimeError(
                f"Narayan-Anand return map did not converge at {int(active.sum())} points")

        y, dp, _, F_S, F_s, dp_S, dp_s = self._eval(S, s, Sn, c, dtnu)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = dp_s - dp_S * F_s / F_S
        # seq_tr = 0: the limit of the first term (F_s = 0 there).
        beta = np.where(s == 0, dtnu * p * 0.0 ** (p - 1.0) / (Sn + c * p * 0.0 ** (p - 1.0)), beta)
        return dp, beta, S.reshape(-1, 1)


@dataclass
class OverstressPlasticity:
    """J2 plasticity of Li_xSi as a Perzyna overstress law (docs/references.md#lixsi-background, [U];
    Perzyna 1966, #perzyna1966; Simo & Hughes 1998 sec. 2.7, #simo1998), used by the same radial return
    as Li creep::

        rate = <seq/sigma_y - 1> / tau       (<x> = max(x, 0))

    Backward Euler, seq = seq_tr - 3 G dp, dp = dt rate(seq), has the closed form::

        dp = <seq_tr - sigma_y> / (3 G + sigma_y tau / dt),   beta = 1/(3 G + sigma_y tau/dt)

    (beta on the plastic side, 0 on the elastic side). The converged stress is
    seq = sigma_y (1 + tau dp/dt): the overstress is tau times the plastic strain rate, so for
    steps much longer than tau (tau = 1 s; lithiation strain rates are ~1e-4 1/s) the law is the
    rate-independent J2 return (dp = (seq_tr - sigma_y)/(3 G) as dt/tau -> inf) with a relative
    overstress of ~1e-4. ``sigma_y`` may be changed between steps (yield strength against the
    lithiation x, fem.mechanics.volume_change).
    """

    sigma_y: float  # Pa
    tau: float = 1.0  # s, relaxation time of the overstress

    n_state = 0

    def __post_init__(self) -> None:
        if not (self.sigma_y > 0 and self.tau > 0):
            raise ValueError(f"invalid overstress plasticity parameters {self}")

    def initial_state(self, npoints: int) -> np.ndarray:
        return np.zeros((npoints, 0))

    def rate(self, seq: np.ndarray, state: np.ndarray | None = None, T: float | None = None
             ) -> np.ndarray:
        """``max(seq/sigma_y - 1, 0) / tau`` (1/s)."""
        return np.maximum(np.asarray(seq, dtype=float) / self.sigma_y - 1.0, 0.0) / self.tau

    def return_map(self, seq_tr: np.ndarray, G: float, dt: float, T: float,
                   state: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s = _check_inputs(seq_tr, G, dt, T)
        with np.errstate(divide="ignore"):
            c = 1.0 / (3.0 * G + self.sigma_y * self.tau / dt) if dt > 0 else 0.0
        over = s - self.sigma_y
        plastic = over > 0
        dp = np.where(plastic, over * c, 0.0)
        beta = np.where(plastic, c, 0.0)
        new_state = np.zeros((s.size, 0)) if state is None else np.array(state, dtype=float, copy=True)
        return dp, beta, new_state


def creep_law_from_material(material, law: str = "norton",
                            feature_size: float | None = None) -> CreepLaw:
    """Build a creep law from a material card (``fem.materials.load_material("li")``).

    With ``feature_size`` (m) the law carries the card's size effect (size_effect_length,
    size_effect_exponent; :mod:`fem.mechanics.li_size_effect`): its stresses times S(l).

    ``law = "norton"``: creep_reference_rate, creep_exponent, creep_reference_stress,
    creep_reference_temperature, creep_activation_energy (docs/references.md#derived-norton-fit).
    ``law = "narayan_anand"`` (or ``"anand"``): anand_* and creep_activation_energy
    (docs/references.md#anand2019).
    """
    base = _bulk_law(material, law)
    if feature_size is None:
        return base
    return base.scaled(size_effect_from_material(material).factor(feature_size))


def size_effect_from_material(material) -> SizeEffect:
    """The size effect of a card (size_effect_length, size_effect_exponent)."""
    return SizeEffect(length=material["size_effect_length"],
                      exponent=material["size_effect_exponent"])


def _bulk_law(material, law: str) -> CreepLaw:
    key = law.strip().lower().replace("-", "_")
    v = material
    if key == "norton":
        return NortonCreep(A_ref=v["creep_reference_rate"], n=v["creep_exponent"],
                           sigma_ref=v["creep_reference_stress"],
                           T_ref=v["creep_reference_temperature"], Q=v["creep_activation_energy"])
    if key in ("narayan_anand", "anand"):
        return NarayanAnandCreep(nu0=v["anand_rate_prefactor"], Q=v["creep_activation_energy"],
                                 m=v["anand_rate_sensitivity"], S0=v["anand_initial_resistance"],
                                 H0=v["anand_hardening_modulus"],
                                 S_tilde=v["anand_saturation_coefficient"],
                                 n_s=v["anand_saturation_exponent"],
                                 a=v["anand_hardening_exponent"])
    raise CaseError("creep law", law, "expected 'norton' or 'narayan_anand'")
