"""Reduced model of the Li | separator interface: contact fraction, voids and extrusion.

State per interface point (numpy arrays; the cell-scale run evaluates it at the interface
facets, :mod:`fem.interface.stations`):

* contact fraction f (true / nominal contact area). Instantaneous plastic contact
  f >= min(p / H, f_max) with H = c sigma_y (Tabor 1951; docs/references.md#derived-plastic-contact).
  Creep fills the gaps at the indentation-creep rate d(f^n)/dt = 2 n eps_c(p / c)
  (docs/references.md#derived-creep-contact-growth) with
  eps_c(s) = eps_ref (s / s_ref)^n exp(-Q/R (1/T - 1/T_ref)), i.e. df/dt = 2 eps_c(p/c) f^(1-n).
* voids on stripping (docs/references.md#derived-stripping-supply, gap-volume balance on two scales):
  the gap volume per nominal area is h (1 - f) for gaps of height h (the foil's and pellet's roughness).
  Stripping at current density i_s removes Li from the contact spots at v_s = i_s V_Li / F;
  stress-driven self-diffusion over the spot scale L_s resupplies them at
  v_spot = D V_Li (p/f) / (R T L_s), and what it cannot replace opens gaps. Creep (h df/dt above)
  and diffusion over the gap height, v_heal = D V_Li (p/f) / (R T h), close gaps. Together

      df/dt = 2 eps_c(p/c) f^(1-n) + v_heal(f) / h - max(v_s - v_spot(f), 0) / h
              + (1 - f) v_p / h,                                                       (1)

  integrated by backward Euler (the right side falls monotonically in f, so the step has one
  root, found by bisection in ln f: unconditionally stable for the stiff f^(1-n)). The two
  scales are why a well-pressed interface takes a large stripping current without voids
  (sub-micrometre paths) while gaps left by a short hold close only slowly at a few MPa
  (micrometre paths), as the lab's hold-time dependence of the CCD shows
  (docs/lab-study.md#critical-current-density).
  Plating at i_p > 0 restores contact: the Li deposited on the spots at v_p = i_p V_Li / F
  spreads into the open gaps next to them, in proportion to the open share 1 - f (the last
  term; the same two-scale picture, the deposit goes where the gaps are; an assumption [U]
  of this model, not a measured law: the lab data only show that cells recover on plating).
* extrusion of Li into the separator's surface pores of radius r_p (Doux et al. 2020,
  docs/references.md#doux2020: Li creeps into the pellet's porosity at high stack pressure;
  rate: docs/references.md#derived-creep-contact-growth): indentation creep of a punch
  of radius r_p under the contact pressure, dd/dt = f r_p eps_c(p / c) (only the contacting Li
  feeds the pores); d never decreases.

Indicators (the short-circuit criterion is :mod:`fem.interface.short_circuit`):

* void margin 1 - v_s / (v_c + v_heal + v_spot), with v_c = 2 h eps_c(p/c) f^(1-n) the creep
  supply the contact can give: negative means voids grow (supply short of the stripping flux),
  zero at the steady state of (1);
* focused plating current i_p beta / f at the true contact, with beta = 1 + d / r_p the
  current focusing at Li extruded a depth d into a pore (a protrusion of height d and tip
  radius r_p; hemisphere-on-post field enhancement, order of magnitude [D]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem.constants import FARADAY, GAS_CONSTANT
from fem.interface.parameters import DEFAULTS

#: void margins below this are reported as this (no supply at all: zero pressure)
MIN_MARGIN = -1e3


@dataclass(frozen=True)
class InterfaceParameters:
    """Everything the reduced interface model needs, SI."""

    creep_reference_rate: float
    creep_exponent: float
    creep_reference_stress: float
    creep_activation_energy: float
    creep_reference_temperature: float
    li_molar_volume: float
    critical_local_current_density: float = DEFAULTS["critical_local_current_density"].value
    tabor_constraint: float = DEFAULTS["tabor_constraint"].value
    flow_stress: float = DEFAULTS["flow_stress"].value
    max_instant_contact_fraction: float = DEFAULTS["max_instant_contact_fraction"].value
    roughness_height: float = DEFAULTS["roughness_height"].value
    pore_radius: float = DEFAULTS["pore_radius"].value
    li_self_diffusivity: float = DEFAULTS["li_self_diffusivity"].value
    spot_diffusion_length: float = DEFAULTS["spot_diffusion_length"].value
    min_contact_fraction: float = DEFAULTS["min_contact_fraction"].value
    #: area-specific resistances (ohm m^2) of the separator and of the charge transfer at full
    #: contact, for the share of the current each point takes (:func:`current_share`)
    separator_resistance: float = 0.0
    charge_transfer_resistance: float = 0.0

    def creep_rate(self, stress: np.ndarray, temperature: float) -> np.ndarray:
        """eps_c(s) = eps_ref (s / s_ref)^n exp(-Q/R (1/T - 1/T_ref)) (1/s), s >= 0."""
        arr = np.exp(-self.creep_activation_energy / GAS_CONSTANT
                     * (1.0 / temperature - 1.0 / self.creep_reference_temperature))
        s = np.maximum(np.asarray(stress, dtype=float), 0.0) / self.creep_reference_stress
        return self.creep_reference_rate * s ** self.creep_exponent * arr

    def strip_velocity(self, i_strip: np.ndarray) -> np.ndarray:
        """v_s = i_s V_Li / F (m/s): 1 mA/cm^2 -> 1.35e-9 m/s
        (docs/references.md#derived-li-thickness-per-capacity)."""
        return np.maximum(i_strip, 0.0) * self.li_molar_volume / FARADAY

    def diffusion_velocity(self, pressure: np.ndarray, f: np.ndarray, temperature: float,
                           length: float) -> np.ndarray:
        """D V_Li (p / f) / (R T L): stress-driven self-diffusion of Li over a path L under the
        contact stress p / f (docs/references.md#derived-stripping-supply; c_Li V_Li = 1)."""
        return (self.li_self_diffusivity * self.li_molar_volume * np.maximum(pressure, 0.0)
                / (f * GAS_CONSTANT * temperature * length))

    def supply_velocities(self, pressure, f, temperature) -> tuple[np.ndarray, np.ndarray]:
        """(v_heal, v_spot): diffusion over the gap height h and over the spot scale L_s."""
        return (self.diffusion_velocity(pressure, f, temperature, self.roughness_height),
                self.diffusion_velocity(pressure, f, temperature, self.spot_diffusion_length))


def current_share(f: np.ndarray, params: InterfaceParameters) -> np.ndarray:
    """Relative local current 1 / (R_sep + R_ct / f), before normalising to the mean: each
    point of the interface is a separator path in series with charge transfer through its true
    contact (kinetic conductance scaled by f, docs/references.md#derived-contact-kinetics). Poor
    contact draws less current, so a void region does not carry the applied current alone."""
    return 1.0 / (params.separator_resistance + params.charge_transfer_resistance / f)


class ContactState:
    """Contact fraction and extrusion depth at ``n`` interface points, with the step's
    indicators. ``advance`` computes a trial step; ``commit`` accepts it."""

    def __init__(self, params: InterfaceParameters, n: int):
        self.p = params
        self.f = np.full(n, params.min_contact_fraction)
        self.depth = np.zeros(n)
        self.f_new, self.depth_new = self.f.copy(), self.depth.copy()
        self.void_margin = np.ones(n)
        self.focused_current = np.zeros(n)
        self.pressure = np.zeros(n)

    # ------------------------------------------------------------------ pieces of (1)
    def instant_contact(self, pressure: np.ndarray) -> np.ndarray:
        """min(p / (c sigma_y), f_max): the plastic contact reached on loading."""
        pr = self.p
        return np.minimum(np.maximum(pressure, 0.0) / (pr.tabor_constraint * pr.flow_stress),
                          pr.max_instant_contact_fraction)

    def creep_growth(self, pressure: np.ndarray, temperature: float) -> np.ndarray:
        """g = 2 eps_c(p / c) (1/s), the coefficient of f^(1-n) in (1)."""
        return 2.0 * self.p.creep_rate(np.asarray(pressure) / self.p.tabor_constraint, temperature)

    def _rate(self, f: np.ndarray, g: np.ndarray, pressure: np.ndarray, v_s: np.ndarray,
              temperature: float, v_p: np.ndarray | float = 0.0) -> np.ndarray:
        n, h = self.p.creep_exponent, self.p.roughness_height
        v_heal, v_spot = self.p.supply_velocities(pressure, f, temperature)
        return (g * f ** (1.0 - n) + (v_heal - np.maximum(v_s - v_spot, 0.0)) / h
                + (1.0 - f) * v_p / h)

    # ------------------------------------------------------------------ one step
    def advance(self, pressure: np.ndarray, plating_current: np.ndarray, dt: float,
                temperature: float) -> None:
        """Trial step of dt (s) under the local pressure (Pa) and plating current density
        (A/m^2; negative = stripping). Sets f_new, depth_new and the indicators."""
        pr = self.p
        pressure = np.maximum(np.asarray(pressure, dtype=float), 0.0)
        i = np.asarray(plating_current, dtype=float)
        f0 = np.maximum(self.f, self.instant_contact(pressure))
        g = self.creep_growth(pressure, temperature)
        v_s = pr.strip_velocity(-i)
        v_p = pr.strip_velocity(i)  # deposition velocity of plating (zero when stripping)
        f_new = (f0 if dt <= 0.0 else
                 self._backward_euler(f0, g, pressure, v_s, dt, temperature, v_p))
        f_new = np.clip(np.maximum(f_new, self.instant_contact(pressure)),
                        pr.min_contact_fraction, 1.0)
        self.f_new = f_new
        eps = pr.creep_rate(pressure / pr.tabor_constraint, temperature)
        self.depth_new = self.depth + max(dt, 0.0) * f_new * pr.pore_radius * eps
        v_heal, v_spot = pr.supply_velocities(pressure, f_new, temperature)
        supply = pr.roughness_height * g * f_new ** (1.0 - pr.creep_exponent) + v_heal + v_spot
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(v_s > 0.0, 1.0 - v_s / supply, 1.0)
        self.void_margin = np.clip(np.nan_to_num(margin, neginf=MIN_MARGIN), MIN_MARGIN, 1.0)
        beta = 1.0 + self.depth_new / pr.pore_radius
        self.focused_current = np.maximum(i, 0.0) * beta / f_new
        self.pressure = pressure

    def _backward_euler(self, f0, g, pressure, v_s, dt, temperature, v_p=0.0,
                        iterations: int = 60):
        """Root of f - f0 - dt rate(f) = 0 in [f_min, f_hi] by bisection in ln f (the residual
        rises monotonically in f). A root above 1 means full contact (clipped by the caller)."""
        pr = self.p
        lo = np.full_like(f0, np.log(pr.min_contact_fraction))
        hi = np.log(np.maximum(f0, 1.0) * 2.0)

        def residual(lnf):
            f = np.exp(lnf)
            return f - f0 - dt * self._rate(f, g, pressure, v_s, temperature, v_p)

        r_lo = residual(lo)
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            neg = residual(mid) < 0.0
            lo, hi = np.where(neg, mid, lo), np.where(neg, hi, mid)
        # no root above the floor: the interface is (numerically) lost
        return np.where(r_lo >= 0.0, pr.min_contact_fraction, np.exp(0.5 * (lo + hi)))

    def commit(self) -> None:
        self.f, self.depth = self.f_new.copy(), self.depth_new.copy()

    def restore(self) -> None:
        self.f_new, self.depth_new = self.f.copy(), self.depth.copy()

    def initialise(self, pressure: np.ndarray) -> None:
        """The contact made when the stack is first loaded: f = min(p/H, f_max)."""
        self.f = np.maximum(self.instant_contact(np.asarray(pressure, dtype=float)),
                            self.p.min_contact_fraction)
        self.restore()
