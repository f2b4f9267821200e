"""Case -> typed solver settings: the one module that reads a :class:`fem.case.model.Case` on
behalf of the physics packages (which receive only the dataclasses built here).

Every card value comes from the card of the layer that has the role (a Li layer's card,
whatever its name) through :meth:`fem.case.model.Case.card_value`, which names the layer, the
card and the parameter when it is missing; the case checks the same values when it is resolved
(:func:`fem.case.checks.check_card_values`), before any mesh or solve.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from fem.case.model import Case, Layer
from fem.constants import FARADAY, GAS_CONSTANT, T_REF
from fem.electrochemistry import settings as es
from fem.electrochemistry.ocv import TABLES as OCV_TABLES
from fem.electrochemistry.ocv import TAIL_MAX, OcvTable
from fem.errors import CaseError, ProtocolError
from fem.interface.contact_state import InterfaceParameters
from fem.interface.parameters import DEFAULTS as INTERFACE_DEFAULTS
from fem.interface.settings import InterfaceLayout
from fem.materials.holder_cards import insulator_compliance, thermal_opening
from fem.mechanics.compaction_law import CompactionLaw, HeckelHardening, HertzElasticity
from fem.mechanics.compaction_paths import calibrate_intercept
from fem.mechanics.creep_laws import creep_law_from_material
from fem.mechanics.die_rim import RimSettings
from fem.mechanics.holder import Holder
from fem.mechanics.holder_sizing import LI_MOLAR_VOLUME, SizingInputs
from fem.mechanics.linear_solver import check_petsc_options
from fem.mechanics.settings import (
    AnodePlasticitySettings,
    AnodeSwelling,
    CathodeBreathing,
    CompactionLayer,
    CompactionSettings,
    CreepSettings,
    DieSettings,
    LayerMechanics,
    LinearSolverSettings,
    PlatenSettings,
    PlatingLayer,
    StackMechanicsSettings,
    ThermalLayer,
    VolumeChangeSettings,
    YieldStrength,
)
from fem.mechanics.viscoelastic import KelvinChain


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


# ---------------------------------------------------------------------------- mechanics
def layer_mechanics(case: Case, layer: Layer) -> LayerMechanics:
    """A layer with the elastic constants of its card."""
    return LayerMechanics(layer.name, layer.role, layer.z0, layer.thickness,
                          case.card_value(layer, "youngs_modulus", "elasticity"),
                          case.card_value(layer, "poissons_ratio", "elasticity"))


def stack_mechanics_settings(case: Case) -> StackMechanicsSettings:
    """What :class:`fem.mechanics.stack.StackMechanics` needs: layers, mesh degree, platens,
    die, linear solver and kinematics."""
    cell = case.cell
    return StackMechanicsSettings(
        layers=tuple(layer_mechanics(case, la) for la in cell.layers),
        radius=cell.radius,
        element_degree=case.mesh.element_degree,
        sector_angle=case.mesh.sector_angle,
        size_min=case.mesh.size_min,
        large_deformation=case.mechanics.large_deformation,
        platen=PlatenSettings(case.mechanics.platen_model, case.platen_contact,
                              case.platen_friction),
        die=DieSettings(cell.die_enabled, cell.die_model, cell.die_friction),
        linear_solver=LinearSolverSettings(case.solver.linear_solver,
                                           MappingProxyType(dict(case.solver.petsc_options))),
        rims=rim_settings(case),
    )


def rim_settings(case: Case) -> tuple[RimSettings, ...]:
    """The outflow law of every Li layer's rim at the die bore: with a rigid die in the
    axisymmetric model and a holder card (its die clearance, the plungers' edge chamfer and the
    materials of die and plunger), the Li card's Norton law (no multiplier); none otherwise."""
    cell, card = case.cell, case.holder.card
    if (card is None or not cell.die_enabled or cell.die_model != "rigid"
            or case.mesh.dimension != "axisymmetric"):
        return ()
    if case.mechanics.large_deformation:
        raise CaseError("mechanics.large_deformation", True,
                        "the Li outflow at the die (a rigid die with a holder card) is a flux "
                        "through the fixed rim of the bore: set mechanics.large_deformation = "
                        "false (the updated mesh would carry the foil's rim out into the die)")
    alpha = {k: card.materials[k]["thermal_expansion"] for k in ("die", "plunger")}
    out = []
    for la in cell.layers_with_role("li"):
        why = "the Li outflow at the die"
        out.append(RimSettings(
            layer=la.name, radius=la.radius,
            pocket_volume=math.pi * la.radius * card["edge_chamfer"] ** 2,
            clearance=card["die_clearance"],
            clearance_expansion=(alpha["die"] - alpha["plunger"]) * la.radius,
            entrance_length=card["entrance_length"],
            creep_exponent=case.card_value(la, "creep_exponent", why),
            creep_reference_rate=case.card_value(la, "creep_reference_rate", why),
            creep_reference_stress=case.card_value(la, "creep_reference_stress", why),
            creep_reference_temperature=case.card_value(la, "creep_reference_temperature", why),
            creep_activation_energy=case.card_value(la, "creep_activation_energy", why),
            reference_temperature=T_REF))
    return tuple(out)


def _shear_modulus(case: Case, layer: Layer) -> float:
    return layer_mechanics(case, layer).lame[0]


def inelastic_settings(case: Case) -> CreepSettings | AnodePlasticitySettings | None:
    """The inelastic region for :func:`fem.mechanics.creep_setup.attach_creep`: the plastic
    Li_xSi anode (``mechanics.anode_model = "plastic"``), else Li creep in the layers whose
    card has ``model = "creep"`` (unless ``mechanics.creep_law = "none"``), else None."""
    m = case.mechanics
    creeping = [la for la in case.cell.layers if case.materials[la.material].model == "creep"]
    if m.anode_model == "plastic":
        return _anode_plasticity(case, creeping)
    if m.creep_law == "none" or not creeping:
        return None
    names = {la.material for la in creeping}
    if len(names) > 1:  # one law per model; several creeping materials would need one each
        raise NotImplementedError(f"creep in more than one material: {sorted(names)}")
    law = creep_law_from_material(case.materials[creeping[0].material], m.creep_law)
    return CreepSettings(tuple(la.name for la in creeping), law,
                         _shear_modulus(case, creeping[0]), m.creep_max_increment)


def _yield_strength(case: Case, anode: Layer) -> YieldStrength:
    """The case's fixed yield strength, else the anode card's table against lithiation."""
    if case.mechanics.anode_yield_strength > 0:
        return YieldStrength(fixed=case.mechanics.anode_yield_strength)
    xs, ys = case.card_table(anode, "yield_strength_vs_lithiation", "the plastic anode")
    return YieldStrength(table=(tuple(xs), tuple(ys)))


def _anode_plasticity(case: Case, creeping: list[Layer]) -> AnodePlasticitySettings:
    if any(la.role != "anode" for la in creeping) and case.mechanics.creep_law != "none":
        raise NotImplementedError("Li creep and a plastic anode in one stack")  # (no cell kind)
    anodes = case.cell.layers_with_role("anode")
    return AnodePlasticitySettings(
        tuple(la.name for la in anodes), _yield_strength(case, anodes[0]),
        case.card_value(anodes[0], "initial_lithiation", "the Li_xSi swelling"),
        _shear_modulus(case, anodes[0]), case.mechanics.creep_max_increment)


# ---------------------------------------------------------------------------- porous layers
#: The roles of the pressed-powder layers (the Li_xSi anode is not modelled as one).
POROUS_ROLES = ("separator", "cathode")


def compaction_law(case: Case, layer: Layer) -> CompactionLaw:
    """The compaction law of ``layer`` from its card, with the card's Heckel intercept."""
    def v(key: str) -> float:
        return case.card_value(layer, key, "mechanics.porous_layers = 'compaction'")

    elasticity = HertzElasticity.from_unloading_modulus(
        v("unloading_modulus"), v("pressing_pressure"), v("hertz_exponent"),
        v("porous_poissons_ratio"))
    return CompactionLaw(elasticity, HeckelHardening(v("heckel_yield_pressure"),
                                                     v("heckel_intercept")),
                         v("critical_state_slope"))


def compaction_layer(case: Case, layer: Layer) -> CompactionLayer:
    """``layer`` as pressed at its card's pressing pressure to its relative density (the
    case's, else the card's: the build's measured state, from which its thickness is
    computed); the Heckel intercept follows (fem.mechanics.compaction_paths)."""
    law = compaction_law(case, layer)
    pressure = case.card_value(layer, "pressing_pressure", "the pressed state")
    try:
        law = calibrate_intercept(law, pressure, layer.relative_density)
    except ValueError as exc:
        raise CaseError(f"{case.layer_key(layer)}.relative_density", layer.relative_density,
                        f"must be a density that pressing the card '{layer.material}' at "
                        f"{pressure / 1e6:.4g} MPa reaches: {exc}") from None
    return CompactionLayer(layer.name, law, pressure, layer.relative_density,
                           case.card_value(layer, "heckel_intercept", "the pressed state"))


def compaction_settings(case: Case) -> CompactionSettings | None:
    """The porous layers for :func:`fem.mechanics.compaction.attach_compaction` with
    ``mechanics.porous_layers = "compaction"``, else None (elastic)."""
    if case.mechanics.porous_layers != "compaction":
        return None
    layers = [la for la in case.cell.layers if la.role in POROUS_ROLES]
    return CompactionSettings(tuple(compaction_layer(case, la) for la in layers),
                              confined=case.cell.die_enabled)


# ---------------------------------------------------------------------------- volume change
def volume_change_settings(case: Case) -> VolumeChangeSettings:
    """The eigenstrain sources for :class:`fem.mechanics.volume_change.VolumeChange`."""
    cell = case.cell
    li = tuple(PlatingLayer(la.name, la.z0, la.thickness,
                            case.card_value(la, "molar_volume", "Li plating and stripping"))
               for la in cell.layers_with_role("li"))
    thermal = tuple(ThermalLayer(la.name, case.card_value(la, "thermal_expansion",
                                                          "thermal expansion"))
                    for la in cell.layers)
    card = case.holder.card
    die = (card.materials["die"]["thermal_expansion"]
           if card is not None and cell.die_enabled and cell.die_model == "rigid" else None)
    return VolumeChangeSettings(li, _cathode_breathing(case), _anode_swelling(case), thermal,
                                case.temperature, die)


def _cathode_breathing(case: Case) -> CathodeBreathing | None:
    cathodes = case.cell.layers_with_role("cathode")
    if not cathodes:
        return None
    c, why = cathodes[0], "the cathode volume change"
    xs, ys = case.card_table(c, "volume_change_vs_soc", why)
    return CathodeBreathing(tuple(la.name for la in cathodes), case.areal_capacity,
                            case.card_value(c, "volume_change_full_charge", why),
                            case.card_value(c, "active_volume_fraction", why),
                            (tuple(xs), tuple(ys)))


def _anode_swelling(case: Case) -> AnodeSwelling | None:
    """n_Si = t rho phi / M (mol/m^2) and Omega_Li rho / M of the (first) anode layer."""
    anodes = case.cell.layers_with_role("anode")
    if not anodes:
        return None
    la, why = anodes[0], "the Li_xSi swelling"
    rho, molar_mass = case.card_value(la, "density", why), case.card_value(la, "molar_mass", why)
    plastic = case.mechanics.anode_model == "plastic"
    return AnodeSwelling(
        tuple(a.name for a in anodes),
        si_moles=la.thickness * rho * la.relative_density / molar_mass,
        expansion_ratio=case.card_value(la, "li_partial_molar_volume", why) * rho / molar_mass,
        initial_lithiation=case.card_value(la, "initial_lithiation", why),
        yield_strength=_yield_strength(case, la) if plastic else None)


# ---------------------------------------------------------------------------- interface
def interface_layout(case: Case) -> InterfaceLayout:
    """The separator and the Li layers (bottom to top) of the cell-scale interfaces."""
    sep = case.cell.layers_with_role("separator")[0]
    lis = sorted(case.cell.layers_with_role("li"), key=lambda la: la.z0)
    return InterfaceLayout(sep.name, sep.thickness, tuple(la.name for la in lis))


def interface_parameters(case: Case) -> InterfaceParameters:
    """The interface model's parameters: the defaults (fem.interface.parameters) with the
    case's ``[interface]`` overrides, the Li card's creep law with its size effect, moduli,
    molar volume and exchange current density, and the
    area-specific resistances of the separator, L / kappa (the separator card's ionic
    conductivity), and of the charge transfer at full contact, R T / (F i0) with the Li card's
    exchange current density (linearised Butler-Volmer with alpha = 0.5,
    docs/references.md#derived-charge-transfer-resistance), for the current share of the
    interface model."""
    li = case.cell.layers_with_role("li")[0]
    sep = case.cell.layers_with_role("separator")[0]
    values = {k: p.value for k, p in INTERFACE_DEFAULTS.items()}
    values.update(case.interface.overrides)
    why = "the interface model"
    kappa = case.card_value(sep, "ionic_conductivity", why + "'s separator resistance")
    i0 = case.card_value(li, "exchange_current_density", why + "'s charge-transfer resistance")
    values.update(separator_resistance=sep.thickness / kappa,
                  charge_transfer_resistance=GAS_CONSTANT * case.temperature / (FARADAY * i0))
    E, nu = (case.card_value(li, k, why) for k in ("youngs_modulus", "poissons_ratio"))
    return InterfaceParameters(
        creep_reference_rate=case.card_value(li, "creep_reference_rate", why),
        size_effect_length=case.card_value(li, "size_effect_length", why),
        size_effect_exponent=case.card_value(li, "size_effect_exponent", why),
        li_plane_strain_modulus=E / (1.0 - nu * nu), exchange_current_density=i0,
        creep_exponent=case.card_value(li, "creep_exponent", why),
        creep_reference_stress=case.card_value(li, "creep_reference_stress", why),
        creep_activation_energy=case.card_value(li, "creep_activation_energy", why),
        creep_reference_temperature=case.card_value(li, "creep_reference_temperature", why),
        li_molar_volume=case.card_value(li, "molar_volume", why), **values)


# ---------------------------------------------------------------------------- holder sizing
def holder_sizing_inputs(case: Case) -> SizingInputs:
    """What ``assb-fem holder`` takes from the case (:func:`fem.mechanics.holder_sizing
    .size_spring_holder`). The plated Li's molar volume is the Li layer's card's; a cell
    without Li metal takes dense Li (:data:`fem.mechanics.holder_sizing.LI_MOLAR_VOLUME`) and
    says so in the note."""
    h = case.holder
    lis = case.cell.layers_with_role("li")
    if lis:
        vm, note = case.card_value(lis[0], "molar_volume", "the plating growth"), ""
    else:
        vm = LI_MOLAR_VOLUME
        note = (f"no Li metal layer: the plating growth takes dense Li, V_Li = "
                f"{LI_MOLAR_VOLUME * 1e6:g} cm^3/mol")
    return SizingInputs(h.type, h.pressure, case.cell.area, h.frame_stiffness, vm,
                        h.spring_count, h.spring_rate, h.spring_max_load, case.areal_capacity,
                        note)


#: How far a voltage cut-off or hold may lie outside the open-circuit window of the cell (V):
#: above its top by the overpotential of a fast charge, below its bottom by the steep
#: end-of-discharge tail of the OCV (fem.electrochemistry.ocv.TAIL_MAX).
VOLTAGE_MARGIN = (TAIL_MAX, 0.5)


def check_protocol_voltages(case: Case, echem: es.ElectrochemistrySettings) -> None:
    """Every voltage cut-off and constant-voltage hold of the protocol lies in the cell's
    voltage window: the cathode's open-circuit table less the anode's (Li metal: 0 V), widened
    by :data:`VOLTAGE_MARGIN`. Outside it a cut-off is never reached (the step runs to its time
    limit, far past the cathode's capacity) or a hold drives the cell into nonsense."""
    if echem.cathode is None:
        return
    u = echem.cathode.ocv.U
    a = echem.anode.ocv.U if echem.anode is not None else (0.0,)
    lo, hi = min(u) - max(a) - VOLTAGE_MARGIN[0], max(u) - min(a) + VOLTAGE_MARGIN[1]
    seen = set()
    for e in case.protocol:
        v = getattr(e.step, "until_voltage", None) or getattr(e.step, "voltage", None)
        if v is None or e.key in seen or lo <= v <= hi:
            continue
        seen.add(e.key)
        what = "cut-off" if getattr(e.step, "until_voltage", None) else "hold"
        anode = f" less the anode's {min(a):.3g}-{max(a):.3g} V" if echem.anode else ""
        raise ProtocolError(e.key or f"protocol step {e.index}", e.step.text,
                            f"the {what} voltage {v:g} V lies outside the cell's voltage window "
                            f"[{lo:.3g} V, {hi:.3g} V]: the cathode's open-circuit table "
                            f"'{echem.cathode.ocv.name}' spans {min(u):.3g}-{max(u):.3g} V vs "
                            f"Li{anode}, widened by {VOLTAGE_MARGIN[0]:g} V below and "
                            f"{VOLTAGE_MARGIN[1]:g} V above")


def check_settings(case: Case) -> None:
    """Build every solver's settings once, so that a card without a needed property, a PETSc
    option PETSc refuses or a voltage outside the cell's window is a case error before any
    mesh or solve (the stack builds them again on its mesh)."""
    gdim = 3 if case.patch is not None and case.patch.dimension == "3d" else case.mesh.gdim
    check_petsc_options(case.solver.petsc_options, case.solver.linear_solver, gdim)
    if case.patch is not None:
        return
    stack_mechanics_settings(case)
    inelastic_settings(case)
    compaction_settings(case)
    volume_change_settings(case)
    if case.electrochemistry:
        check_protocol_voltages(case, electrochemistry_settings(case))
    if case.interface is not None and case.interface.enabled:
        interface_layout(case)
        interface_parameters(case)


def holder_settings(case: Case) -> Holder:
    """The holder of the case: its series stiffness (frame and springs), and with a holder card
    the creep of its insulator (a Kelvin chain fitted to the insulator card's Findley law,
    :mod:`fem.mechanics.viscoelastic`) and the gap's thermal opening per kelvin
    (docs/references.md#derived-holder-thermal)."""
    h = case.holder
    creep, opening = None, 0.0
    if h.card is not None and h.type != "constant_pressure":
        peek = h.card.materials["insulator"]
        creep = KelvinChain.from_findley(
            insulator_compliance(h.card), peek["findley_coefficient"], peek["findley_time"],
            peek["findley_exponent"], peek["creep_activation_energy"], T_REF)
        opening = thermal_opening(h.card, case.cell.height)
    return Holder(area=case.cell.area, stiffness=h.stiffness, kind=h.type, creep=creep,
                  thermal_opening=opening, T_ref=case.temperature)
