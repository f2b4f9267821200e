"""Reduced model of the Li | separator interface: contact fraction, voids and extrusion.

State per interface point (numpy arrays; the cell-scale run evaluates it at the interface
facets, :mod:`fem.interface.stations`):

* contact fraction f (true / nominal contact area) of Li on the rough separator surface.
  On loading the Li touches elastically: Persson's theory for a rigid rough surface against an
  elastic half-space, f_el = erf(sqrt(2) p / (E* s_q)) (E* = E / (1 - nu^2) of Li, RMS slope
  s_q; small-load limit sqrt(8/pi) p / (E* s_q); docs/references.md#persson2001), below 1 % at
  25 MPa. The rest is creep of the Li around the asperities (size l_a): the contacts carry
  c sigma_flow (Tabor, c = 3), with the Li law of the card at the asperity's size
  (:mod:`fem.mechanics.li_size_effect`: micrometre Li is 10-100 times stronger than bulk Li),
  d(f^n)/dt = 2 n eps_c(p / c; l_a) (docs/references.md#derived-creep-contact-growth), i.e.
  df/dt = 2 eps_c(p / c; l_a) f^(1-n), where eps_c(s; l) = A (s / (S(l) s_ref))^n
  exp(-Q/R (1/T - 1/T_ref)). Contact at 1 MPa stays at a few percent; at 25 MPa it grows over
  minutes (docs/validation.md).
* voids on stripping (docs/references.md#derived-stripping-supply, gap-volume balance on two scales):
  the gap volume per nominal area is h (1 - f) for gaps of height h (the foil's and pellet's roughness).
  Stripping at current density i_s removes Li from the contact spots at v_s = i_s V_Li / F;
  stress-driven self-diffusion over the spot scale L_s resupplies them at
  v_spot = D V_Li (p/f) / (R T L_s), and what it cannot replace opens gaps. Creep (h df/dt above)
  and diffusion over the gap height, v_heal = D V_Li (p/f) / (R T h), close gaps. Together

      df/dt = 2 eps_c(p/c; l_a) f^(1-n) + v_heal(f) / h - max(v_s - v_spot(f), 0) / h,  (1)

  integrated by backward Euler (the right side falls monotonically in f, so the step has one
  root, found by bisection in ln f: unconditionally stable for the stiff f^(1-n)). The two
  scales are why a well-pressed interface takes a large stripping current without voids
  (sub-micrometre paths) while gaps left by a short hold close only slowly at a few MPa
  (micrometre paths), as the lab's hold-time dependence of the CCD shows
  (docs/lab-study.md#critical-current-density).
  Plating deposits Li on the contact spots, where the current passes, and moves the foil as a
  whole: it does not fill the gaps (until 2026-12-07 the model assumed, without data, that the
  deposit spread into them at (1 - f) v_p / h; over the many plating half cycles of a CCD ramp
  that erased the voids a short hold leaves, against the lab's hold-time dependence of the CCD,
  docs/validation.md).
* extrusion of Li into the separator's largest surface flaw of radius a (Doux et al. 2020,
  docs/references.md#doux2020: Li creeps into the pellet's porosity at high stack pressure;
  rate: docs/references.md#derived-creep-contact-growth): indentation creep of a punch
  of radius a under the contact pressure, dd/dt = f a eps_c(p / c; a) (only the contacting Li
  feeds the flaw, and Li in a flaw of size a is S(a) times harder than bulk Li); d never
  decreases.

Indicators (the short-circuit criterion is :mod:`fem.interface.short_circuit`):

* void margin 1 - v_s / (v_c + v_heal + v_spot), with v_c = 2 h eps_c(p/c; l_a) f^(1-n) the
  creep supply the contact can give: negative means voids grow (supply short of the stripping
  flux), zero at the steady state of (1);
* plating current i_p / f at the true contact;
* the Li pressure in a Li-filled flaw under a contact spot: the Li's pressure p (the filled flaw
  is connected to the foil; the stress concentration p / f at asperity tips does not reach
  into it, an assumption [D]) plus, while plating, the pressure the plating overpotential can
  build in a confined deposit,
  (F / V_Li) eta = (2 R T / V_Li) asinh(i_p / (2 f i0)) (Butler-Volmer with alpha = 1/2 at the
  true contact, exchange current density i0 of the Li card; Porz 2017, Monroe-Newman form,
  docs/references.md#derived-flaw-pressure), against the pressure that opens a penny-shaped
  flaw of radius a + d, p_c = K_Ic sqrt(pi) / (2 sqrt(a + d)) (Sneddon's K_I = 2 p sqrt(a / pi)
  for a penny crack under internal pressure; docs/references.md#derived-flaw-pressure).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import erf

from fem.constants import FARADAY, GAS_CONSTANT
from fem.electrochemistry.kinetics import overpotential
from fem.interface.parameters import DEFAULTS
from fem.mechanics.creep_laws import NortonCreep
from fem.mechanics.li_size_effect import SizeEffect

#: void margins below this are reported as this (no supply at all: zero pressure)
MIN_MARGIN = -1e3


@dataclass(frozen=True)
class InterfaceParameters:
    """Everything the reduced interface model needs, SI. The Li values (Norton law, size
    effect, moduli, molar volume, exchange current density) are the Li card's."""

    creep_reference_rate: float
    creep_exponent: float
    creep_reference_stress: float
    creep_activation_energy: float
    creep_reference_temperature: float
    size_effect_length: float
    size_effect_exponent: float
    li_molar_volume: float
    li_plane_strain_modulus: float
    exchange_current_density: float
    asperity_size: float = DEFAULTS["asperity_size"].value
    flaw_radius: float = DEFAULTS["flaw_radius"].value
    fracture_toughness: float = DEFAULTS["fracture_toughness"].value
    surface_rms_slope: float = DEFAULTS["surface_rms_slope"].value
    tabor_constraint: float = DEFAULTS["tabor_constraint"].value
    roughness_height: float = DEFAULTS["roughness_height"].value
    li_self_diffusivity: float = DEFAULTS["li_self_diffusivity"].value
    spot_diffusion_length: float = DEFAULTS["spot_diffusion_length"].value
    min_contact_fraction: float = DEFAULTS["min_contact_fraction"].value
    #: area-specific resistances (ohm m^2) of the separator and of the charge transfer at full
    #: contact, for the share of the current each point takes (:func:`current_share`)
    separator_resistance: float = 0.0
    charge_transfer_resistance: float = 0.0

    def li_law(self, feature_size: float) -> NortonCreep:
        """The Li card's Norton law at a feature of size l: stresses times S(l)
        (:mod:`fem.mechanics.li_size_effect`, the law the patch runs use too)."""
        bulk = NortonCreep(A_ref=self.creep_reference_rate, n=self.creep_exponent,
                           sigma_ref=self.creep_reference_stress,
                           T_ref=self.creep_reference_temperature,
                           Q=self.creep_activation_energy)
        size = SizeEffect(self.size_effect_length, self.size_effect_exponent)
        return bulk.scaled(size.factor(feature_size))

    def creep_rate(self, stress: np.ndarray, temperature: float, feature_size: float
                   ) -> np.ndarray:
        """eps_c(s; l) = A (s / (S(l) s_ref))^n exp(-Q/R (1/T - 1/T_ref)) (1/s), s >= 0."""
        s = np.maximum(np.asarray(stress, dtype=float), 0.0)
        return self.li_law(feature_size).rate(s, T=temperature)

    def elastic_contact(self, pressure: np.ndarray) -> np.ndarray:
        """Persson's elastic contact of a rough rigid surface on Li:
        f = erf(sqrt(2) p / (E* s_q)) (docs/references.md#persson2001)."""
        p = np.maximum(np.asarray(pressure, dtype=float), 0.0)
        return erf(math.sqrt(2.0) * p / (self.li_plane_strain_modulus * self.surface_rms_slope))

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

    def plating_pressure(self, true_current: np.ndarray, temperature: float) -> np.ndarray:
        """(F / V_Li) eta = (2 R T / V_Li) asinh(i / (2 i0)): the pressure a deposit confined in
        a flaw can reach at the plating overpotential of the true-contact current i
        (docs/references.md#derived-flaw-pressure)."""
        i = np.maximum(np.asarray(true_current, dtype=float), 0.0)
        eta = overpotential(i, self.exchange_current_density, temperature)
        return FARADAY / self.li_molar_volume * eta

    def critical_flaw_pressure(self, depth: np.ndarray | float) -> np.ndarray:
        """Internal pressure that opens a penny-shaped flaw of radius a + d:
        p_c = K_Ic sqrt(pi) / (2 sqrt(a + d)) (docs/references.md#derived-flaw-pressure)."""
        radius = self.flaw_radius + np.maximum(np.asarray(depth, dtype=float), 0.0)
        return self.fracture_toughness * math.sqrt(math.pi) / (2.0 * np.sqrt(radius))


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
        self.flaw_pressure = np.zeros(n)
        self.flaw_ratio = np.zeros(n)
        self.pressure = np.zeros(n)

    # ------------------------------------------------------------------ pieces of (1)
    def instant_contact(self, pressure: np.ndarray) -> np.ndarray:
        """The elastic contact reached on loading (Persson)."""
        return self.p.elastic_contact(pressure)

    def creep_growth(self, pressure: np.ndarray, temperature: float) -> np.ndarray:
        """g = 2 eps_c(p / c; l_a) (1/s), the coefficient of f^(1-n) in (1)."""
        pr = self.p
        return 2.0 * pr.creep_rate(np.asarray(pressure) / pr.tabor_constraint, temperature,
                                   pr.asperity_size)

    def _rate(self, f: np.ndarray, g: np.ndarray, pressure: np.ndarray, v_s: np.ndarray,
              temperature: float) -> np.ndarray:
        n, h = self.p.creep_exponent, self.p.roughness_height
        v_heal, v_spot = self.p.supply_velocities(pressure, f, temperature)
        return g * f ** (1.0 - n) + (v_heal - np.maximum(v_s - v_spot, 0.0)) / h

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
        f_new = (f0 if dt <= 0.0 else
                 self._backward_euler(f0, g, pressure, v_s, dt, temperature))
        f_new = np.clip(np.maximum(f_new, self.instant_contact(pressure)),
                        pr.min_contact_fraction, 1.0)
        self.f_new = f_new
        eps = pr.creep_rate(pressure / pr.tabor_constraint, temperature, pr.flaw_radius)
        self.depth_new = self.depth + max(dt, 0.0) * f_new * pr.flaw_radius * eps
        v_heal, v_spot = pr.supply_velocities(pressure, f_new, temperature)
        supply = pr.roughness_height * g * f_new ** (1.0 - pr.creep_exponent) + v_heal + v_spot
        with np.errstate(divide="ignore", invalid="ignore"):
            margin = np.where(v_s > 0.0, 1.0 - v_s / supply, 1.0)
        self.void_margin = np.clip(np.nan_to_num(margin, neginf=MIN_MARGIN), MIN_MARGIN, 1.0)
        self.focused_current = np.maximum(i, 0.0) / f_new
        self.flaw_pressure = pressure + pr.plating_pressure(self.focused_current, temperature)
        self.flaw_ratio = self.flaw_pressure / pr.critical_flaw_pressure(self.depth_new)
        self.pressure = pressure

    def _backward_euler(self, f0, g, pressure, v_s, dt, temperature, iterations: int = 60):
        """Root of f - f0 - dt rate(f) = 0 in [f_min, f_hi] by bisection in ln f (the residual
        rises monotonically in f). A root above 1 means full contact (clipped by the caller)."""
        pr = self.p
        lo = np.full_like(f0, np.log(pr.min_contact_fraction))
        hi = np.log(np.maximum(f0, 1.0) * 2.0)

        def residual(lnf):
            f = np.exp(lnf)
            return f - f0 - dt * self._rate(f, g, pressure, v_s, temperature)

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
        """The contact made when the stack is first loaded (elastic, Persson)."""
        self.f = np.maximum(self.instant_contact(np.asarray(pressure, dtype=float)),
                            self.p.min_contact_fraction)
        self.restore()
