"""Case -> typed solver settings: the one module that reads a :class:`fem.case.model.Case` on
behalf of the physics packages (which receive only the dataclasses built here)."""

from __future__ import annotations

from fem.case.model import Case
from fem.constants import FARADAY, GAS_CONSTANT
from fem.electrochemistry import settings as es
from fem.electrochemistry.ocv import TABLES as OCV_TABLES
from fem.electrochemistry.ocv import OcvTable
from fem.errors import CaseError
from fem.interface.contact_state import InterfaceParameters


# ---------------------------------------------------------------------------- electrochemistry
class _EchemCard:
    """The material card of one layer as the electrochemistry reads it: a missing entry is a
    :class:`CaseError` that names the layer, the card and the property."""

    def __init__(self, case, layer, index: int):
        self.layer, self.index = layer, index
        self.mat = case.materials[layer.material]

    def _missing(self, key: str, what: str) -> CaseError:
        la = self.layer
        return CaseError(f"materials.{la.material}.{key}", None,
                         f"layer cell.layers[{self.index}] ('{la.name}', role {la.role}) uses the "
                         f"card '{la.material}', which has no {what} '{key}'; the electrochemistry "
                         f"needs it: add it to the card or to the case's [materials.{la.material}]")

    def value(self, key: str) -> float:
        if key not in self.mat.values:
            raise self._missing(key, "parameter")
        return self.mat.values[key]

    def table(self, key: str) -> tuple[tuple[float, ...], tuple[float, ...]]:
        if key not in self.mat.tables:
            raise self._missing(key, "table")
        xs, ys, _ = self.mat.tables[key]
        return tuple(xs), tuple(ys)

    def ocv(self) -> OcvTable:
        if "ocv_table" not in self.mat.choices:
            raise self._missing("ocv_table", "named entry")
        name = self.mat.choices["ocv_table"][0]
        if name not in OCV_TABLES:
            raise CaseError(f"materials.{self.layer.material}.ocv_table", name,
                            f"unknown OCV table; available: {', '.join(sorted(OCV_TABLES))}")
        return OCV_TABLES[name]

    def geometry(self) -> es.LayerGeometry:
        la = self.layer
        return es.LayerGeometry(la.name, la.z0, la.thickness, la.radius)


def electrochemistry_settings(case) -> es.ElectrochemistrySettings:
    """The electrochemistry's settings of a case with the electrochemistry on (layers cathode
    or Li | separator | Li or Li_xSi, checked by the case), every property from the layers'
    cards: a missing one is a :class:`CaseError` here, before any mesh or solve."""
    layers = case.cell.layers
    cards = {la.role: _EchemCard(case, la, k) for k, la in enumerate(layers)
             if la.role in ("separator", "cathode", "anode")}
    lis = sorted((_EchemCard(case, la, k) for k, la in enumerate(layers) if la.role == "li"),
                 key=lambda c: c.layer.z0)

    def li_metal(c: _EchemCard):
        return es.LiMetalSettings(c.geometry(), c.value("exchange_current_density"))

    s = cards["separator"]
    separator = es.SeparatorSettings(
        s.geometry(), s.value("ionic_conductivity"), s.value("ionic_activation_energy"),
        s.value("electronic_conductivity") if case.separator_leakage else None)
    cathode = None
    if "cathode" in cards:
        c = cards["cathode"]
        for key in ("density", "active_mass_fraction", "specific_capacity"):  # the capacity's
            c.value(key)
        cathode = es.CathodeSettings(
            c.geometry(), c.ocv(), c.value("first_cycle_efficiency"),
            c.value("active_volume_fraction"), c.value("particle_radius"),
            c.value("exchange_current_density"), c.value("ionic_conductivity"),
            c.value("electronic_conductivity"), case.areal_capacity,
            c.value("solid_diffusivity") if case.particle_diffusion else None)
    anode = None
    if "anode" in cards:
        a = cards["anode"]
        anode = es.SiliconAnodeSettings(
            a.geometry(), a.value("density"), a.layer.relative_density, a.value("molar_mass"),
            a.value("initial_lithiation"), a.value("first_cycle_efficiency"),
            a.value("exchange_current_density"), a.ocv(), a.table(es.DIFFUSIVITY_TABLE),
            a.table(es.CONDUCTIVITY_TABLE))
    return es.ElectrochemistrySettings(
        separator, cathode, counter=li_metal(lis[0]) if cathode is None else None,
        li=li_metal(lis[-1]) if anode is None else None, anode=anode,
        cell_height=case.cell.height, separator_leakage=case.separator_leakage,
        particle_diffusion=case.particle_diffusion)


def interface_parameters(case: Case) -> InterfaceParameters:
    """The reduced interface model's parameters: the defaults of :mod:`fem.interface.parameters`
    with the case's overrides, the Li card's creep law and molar volume, and the resistances
    the current share needs at full contact: the area-specific separator resistance L / kappa
    and the charge-transfer resistance R T / (F i0) (linearised Butler-Volmer, alpha = 0.5)."""
    from fem.interface.parameters import DEFAULTS

    li = case.materials[next(la for la in case.cell.layers if la.role == "li").material]
    sep = next(la for la in case.cell.layers if la.role == "separator")
    mat = case.materials[sep.material]
    kappa = mat["ionic_conductivity"]
    i0 = li["exchange_current_density"]
    values = {k: p.value for k, p in DEFAULTS.items()}
    values.update(case.interface.overrides)
    values.update({"separator_resistance": sep.thickness / kappa,
                   "charge_transfer_resistance": GAS_CONSTANT * case.temperature / (FARADAY * i0)})
    return InterfaceParameters(
        creep_exponent=li["creep_exponent"], creep_reference_stress=li["creep_reference_stress"],
        creep_activation_energy=li["creep_activation_energy"],
        creep_reference_temperature=li["creep_reference_temperature"],
        li_molar_volume=li["molar_volume"], **values)


def check_settings(case: Case) -> None:
    """Build every solver's settings once, so that a card without a needed property is a case
    error before any mesh or solve (the stack builds them again on its mesh)."""
    if case.patch is not None:
        return
    if case.electrochemistry:
        electrochemistry_settings(case)
    if case.interface is not None and case.interface.enabled:
        interface_parameters(case)
