"""What the cell-scale electrochemistry needs to know about a cell: typed, frozen settings (SI).

The electrochemistry never reads a case: :func:`fem.cellstack.settings.electrochemistry_settings`
builds these from one (and fails there, before any mesh or solve, when a material card lacks a
property). Layers are listed from the cell's bottom: a composite cathode (or the counter Li of a
symmetric cell) under the separator, Li metal (or a Li_xSi anode) on top of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fem.electrochemistry.ocv import OcvTable

#: A card table (x, y) against the lithiation x, values in SI.
Table = tuple[tuple[float, ...], tuple[float, ...]]
#: The Li_xSi anode card's tables: Li diffusivity and electronic conductivity against x.
DIFFUSIVITY_TABLE = "li_diffusivity_vs_lithiation"
CONDUCTIVITY_TABLE = "electronic_conductivity_vs_lithiation"


@dataclass(frozen=True)
class LayerGeometry:
    """A layer of the stack: its name (the mesh's tag name) and extent (m)."""

    name: str
    z0: float
    thickness: float
    radius: float

    @property
    def z1(self) -> float:
        """Top coordinate (m)."""
        return self.z0 + self.thickness


@dataclass(frozen=True)
class SeparatorSettings:
    """The solid-electrolyte separator (conductivities at the reference temperature T_REF)."""

    layer: LayerGeometry
    ionic_conductivity: float  # S/m
    #: J/mol; the Arrhenius factor of the separator scales every conductivity and exchange
    #: current of the cell (set_temperature)
    ionic_activation_energy: float
    #: S/m, the parallel electronic path (only with ``separator_leakage``; else None)
    electronic_conductivity: float | None


@dataclass(frozen=True)
class LiMetalSettings:
    """A Li metal electrode on the separator (working electrode, or the counter of a symmetric
    cell)."""

    layer: LayerGeometry
    exchange_current_density: float  # A/m^2 of true contact area, at T_REF


@dataclass(frozen=True)
class CathodeSettings:
    """The composite cathode: its active material's OCV and first-cycle efficiency, the
    effective conductivities of its two phases and the reaction between them."""

    layer: LayerGeometry
    ocv: OcvTable  # U(soc) of the active material
    first_cycle_efficiency: float  # share of the first charge a discharge can take back
    active_volume_fraction: float
    particle_radius: float  # m; specific area a = 3 phi_active / r
    exchange_current_density: float  # A/m^2 of active surface, at T_REF
    ionic_conductivity: float  # S/m, effective (electrolyte phase), at T_REF
    electronic_conductivity: float  # S/m, effective (solid phase)
    areal_capacity: float  # C/m^2 of the first charge
    #: m^2/s, the Li diffusivity in the particles (only with ``particle_diffusion``; else None)
    solid_diffusivity: float | None

    @property
    def specific_area(self) -> float:
        """Active interface area per volume a = 3 phi_active / r_particle (1/m)."""
        return 3.0 * self.active_volume_fraction / self.particle_radius

    @property
    def volumetric_capacity(self) -> float:
        """Capacity per cathode volume q_v (C/m^3)."""
        return self.areal_capacity / self.layer.thickness


@dataclass(frozen=True)
class SiliconAnodeSettings:
    """A Li_xSi anode on the separator: Si content, lithiation, OCV and the transport tables
    (:mod:`fem.electrochemistry.silicon`)."""

    layer: LayerGeometry
    density: float  # kg/m^3 of the solid
    relative_density: float  # solid fraction of the pressed layer
    molar_mass: float  # kg/mol of Si
    initial_lithiation: float  # x0 (prelithiation)
    first_cycle_efficiency: float  # eta_Si: share of the inserted Li that comes back out
    exchange_current_density: float  # A/m^2, at T_REF
    ocv: OcvTable  # U(x) of Li_xSi
    diffusivity: Table  # D (m^2/s) against x
    conductivity: Table  # sigma (S/m) against x

    @property
    def si_per_volume(self) -> float:
        """Si per unit volume of the layer c_Si = rho_rel rho / M (mol/m^3)."""
        return self.density * self.relative_density / self.molar_mass

    @property
    def si_per_area(self) -> float:
        """Si per unit area of the layer n_Si = L rho rho_rel / M (mol/m^2)."""
        return self.layer.thickness * self.density * self.relative_density / self.molar_mass


@dataclass(frozen=True)
class ElectrochemistrySettings:
    """Everything :class:`fem.electrochemistry.cell_model.CellElectrochemistry` reads.

    Exactly one of ``cathode`` / ``counter`` (below the separator) and one of ``li`` /
    ``anode`` (above it) is set.
    """

    separator: SeparatorSettings
    cathode: CathodeSettings | None
    counter: LiMetalSettings | None
    li: LiMetalSettings | None
    anode: SiliconAnodeSettings | None
    cell_height: float  # m, the whole stack (sets the tolerance of the face search)
    separator_leakage: bool  # electronic leakage through the separator
    particle_diffusion: bool  # solid diffusion in the cathode particles

    def __post_init__(self) -> None:
        if (self.cathode is None) == (self.counter is None):
            raise ValueError("need exactly one of a cathode and a counter Li under the separator")
        if (self.li is None) == (self.anode is None):
            raise ValueError("need exactly one of Li metal and a Li_xSi anode on the separator")

    @property
    def upper(self) -> LayerGeometry:
        """The working electrode's layer (Li metal or Li_xSi) on top of the separator."""
        return (self.anode or self.li).layer

    @property
    def lower(self) -> LayerGeometry:
        """The layer under the separator (the cathode, or the counter Li)."""
        return (self.cathode or self.counter).layer
