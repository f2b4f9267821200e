"""What the stack mechanics needs, typed and in SI: the solvers of :mod:`fem.mechanics` receive
these (built from a case by :mod:`fem.cellstack.settings`), never the case itself.

* :class:`StackMechanicsSettings`: the layers with their elastic constants, the element degree,
  the platens, the die, the linear solver and the kinematics (:class:`fem.mechanics.stack.StackMechanics`);
* :class:`CreepSettings` / :class:`AnodePlasticitySettings`: the inelastic region of the stack
  (:func:`fem.mechanics.creep_setup.attach_creep`);
* :class:`VolumeChangeSettings`: the eigenstrain sources, Li plating, cathode breathing and
  Li_xSi swelling (:class:`fem.mechanics.volume_change.VolumeChange`);
* :class:`CompactionSettings`: the porous (pressed-powder) layers with their compaction law
  (:func:`fem.mechanics.compaction.attach_compaction`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from fem.mechanics.compaction_law import CompactionLaw
from fem.mechanics.creep_laws import CreepLaw, OverstressPlasticity
from fem.mechanics.die_rim import RimSettings

#: A card table (x, y), piecewise linear, clamped at the ends.
Table = tuple[tuple[float, ...], tuple[float, ...]]


# ---------------------------------------------------------------------------- the stack
@dataclass(frozen=True)
class LayerMechanics:
    """One layer of the stack: its name (mesh group) and role, bottom coordinate and thickness
    (m), and the elastic constants of its material card."""

    name: str
    role: str
    z0: float
    thickness: float
    youngs_modulus: float  # Pa
    poissons_ratio: float

    @property
    def lame(self) -> tuple[float, float]:
        """Lamé parameters (mu, lambda): mu = E/(2(1+nu)), lambda = E nu/((1+nu)(1-2nu))."""
        E, nu = self.youngs_modulus, self.poissons_ratio
        return E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))


@dataclass(frozen=True)
class PlatenSettings:
    """The platens: ``model`` "rigid" (flat rigid body) or "uniform_pressure"; ``contact``
    "bonded", "frictionless" or "coulomb" (with the Coulomb coefficient ``friction``)."""

    model: str = "rigid"
    contact: str = "bonded"
    friction: float = 0.0


@dataclass(frozen=True)
class DieSettings:
    """The die around the stack: on or off, "rigid" or "elastic" (meshed), and the Coulomb
    coefficient of a rigid axisymmetric die wall (0: frictionless)."""

    enabled: bool = False
    model: str = "rigid"
    friction: float = 0.0

    @property
    def meshed(self) -> bool:
        """True when the die is a meshed (elastic) body rather than a rigid wall."""
        return self.enabled and self.model == "elastic"


@dataclass(frozen=True)
class LinearSolverSettings:
    """The linear solver of the Newton iterations (:mod:`fem.mechanics.linear_solver`):
    ``kind`` "auto", "direct" or "iterative", and PETSc options that override its defaults."""

    kind: str = "auto"
    petsc_options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class StackMechanicsSettings:
    """Everything :class:`fem.mechanics.stack.StackMechanics` reads (SI). ``sector_angle`` is
    the angle (degrees) of a 3D sector model; ``size_min`` the smallest element size, which
    sets the 3D die-wall penalty."""

    layers: tuple[LayerMechanics, ...]
    radius: float
    element_degree: int = 2
    sector_angle: float = 90.0
    size_min: float = 0.0
    large_deformation: bool = True
    platen: PlatenSettings = PlatenSettings()
    die: DieSettings = DieSettings()
    linear_solver: LinearSolverSettings = LinearSolverSettings()
    #: the Li layers whose rim at the die bore has an outflow law (fem.mechanics.die_rim)
    rims: tuple[RimSettings, ...] = ()

    @property
    def area(self) -> float:
        """Nominal cell area pi R^2 (the stack pressure is the platen force over it)."""
        return math.pi * self.radius**2

    @property
    def max_youngs_modulus(self) -> float:
        return max(la.youngs_modulus for la in self.layers)

    def bottom_to_top(self) -> list[LayerMechanics]:
        return sorted(self.layers, key=lambda la: la.z0)

    def with_role(self, role: str) -> list[LayerMechanics]:
        return [la for la in self.layers if la.role == role]


# ---------------------------------------------------------------------------- inelastic region
@dataclass(frozen=True)
class YieldStrength:
    """Yield strength of Li_xSi against its lithiation x (docs/references.md#lixsi-background,
    [U]): the case's fixed value (``fixed`` > 0) or the card's ``yield_strength_vs_lithiation``
    table."""

    fixed: float = 0.0  # Pa
    table: Table | None = None

    def __post_init__(self) -> None:
        if not (self.fixed > 0 or self.table is not None):
            raise ValueError("a yield strength needs a fixed value > 0 or a table")

    def at(self, x: float) -> float:
        """sigma_y(x) in Pa (the table interpolated linearly, clamped at its ends)."""
        if self.fixed > 0:
            return self.fixed
        return float(np.interp(x, *self.table))


@dataclass(frozen=True)
class CreepSettings:
    """Li creep in the layers ``layers`` (those whose card has ``model = "creep"``, one card):
    the law built from the card, the card's shear modulus and the largest creep-strain
    increment per step (time-step control)."""

    layers: tuple[str, ...]
    law: CreepLaw
    shear_modulus: float
    max_increment: float = 0.05

    def initial_law(self) -> CreepLaw:
        return self.law


@dataclass(frozen=True)
class AnodePlasticitySettings:
    """J2 overstress plasticity of the Li_xSi anode layers (fem.mechanics.creep_laws
    .OverstressPlasticity), with the yield strength at the initial lithiation."""

    layers: tuple[str, ...]
    yield_strength: YieldStrength
    initial_lithiation: float
    shear_modulus: float
    max_increment: float = 0.05

    def initial_law(self) -> OverstressPlasticity:
        return OverstressPlasticity(self.yield_strength.at(self.initial_lithiation))


# ---------------------------------------------------------------------------- volume change
@dataclass(frozen=True)
class PlatingLayer:
    """A Li metal layer: Li plates or strips at its interface with the separator, at the
    rate i V_Li / F with V_Li the molar volume of its card."""

    name: str
    z0: float
    thickness: float
    molar_volume: float  # m^3/mol


@dataclass(frozen=True)
class CathodeBreathing:
    """The composite cathode's isotropic strain against its state of charge (Koerver et al.
    2018, docs/references.md#koerver2018; SOC shape: docs/references.md#jousseaume2024):
    eps = f(SOC) (dV/V)_active,full phi_active / 3, with f the card's ``volume_change_vs_soc``
    table and SOC the charge passed over the areal capacity (C/m^2)."""

    layers: tuple[str, ...]
    areal_capacity: float
    volume_change_full_charge: float
    active_volume_fraction: float
    volume_change_vs_soc: Table


@dataclass(frozen=True)
class AnodeSwelling:
    """Li_xSi swelling (docs/references.md#derived-lixsi-swelling): J(x) = 1 + (Omega_Li rho / M) x
    with ``expansion_ratio`` Omega_Li rho / M; x rises by q / (F n_Si) on charge, ``si_moles`` n_Si
    the Si moles per area of the (first) anode layer. ``yield_strength`` is set for a plastic anode."""

    layers: tuple[str, ...]
    si_moles: float  # mol/m^2
    expansion_ratio: float
    initial_lithiation: float
    yield_strength: YieldStrength | None = None


@dataclass(frozen=True)
class ThermalLayer:
    """A layer's linear thermal expansion (1/K): an isotropic eigenstrain alpha dT."""

    name: str
    thermal_expansion: float


@dataclass(frozen=True)
class VolumeChangeSettings:
    """The eigenstrain sources of the stack (:class:`fem.mechanics.volume_change.VolumeChange`):
    plating, cathode breathing, Li_xSi swelling and thermal expansion from the temperature
    ``reference_temperature`` the stack is built at."""

    li_layers: tuple[PlatingLayer, ...] = ()
    cathode: CathodeBreathing | None = None
    anode: AnodeSwelling | None = None
    thermal: tuple[ThermalLayer, ...] = ()
    reference_temperature: float = 298.15
    #: linear thermal expansion of the rigid die's bore (1/K; None: the bore does not move)
    die_expansion: float | None = None


# ---------------------------------------------------------------------------- porous layers
@dataclass(frozen=True)
class CompactionLayer:
    """A pressed-powder layer: its compaction law (fem.mechanics.compaction_law) with the
    Heckel intercept set so that pressing at ``pressing_pressure`` (Pa) gives the layer's
    ``relative_density`` (fem.mechanics.compaction_paths.calibrate_intercept), and the card's
    own intercept for the record."""

    name: str
    law: CompactionLaw
    pressing_pressure: float
    relative_density: float
    card_intercept: float


@dataclass(frozen=True)
class CompactionSettings:
    """The porous layers of ``mechanics.porous_layers = "compaction"``. ``confined``: pressed in
    the stack's die, which keeps the radial stress left by the pressing (else the layer starts
    stress-free, released from the die it was pressed in)."""

    layers: tuple[CompactionLayer, ...]
    confined: bool = True
