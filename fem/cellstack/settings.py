"""Case -> typed solver settings: the one module that reads a :class:`fem.case.model.Case` on
behalf of the physics packages (which receive only the dataclasses built here).

Every card value comes from the card of the layer that has the role (a Li layer's card,
whatever its name) through :meth:`fem.case.model.Case.card_value`, which names the layer, the
card and the parameter when it is missing; the case checks the same values when it is resolved
(:func:`fem.case.checks.check_card_values`), before any mesh or solve.
"""

from __future__ import annotations

from types import MappingProxyType

from fem.case.model import Case, Layer
from fem.constants import FARADAY, GAS_CONSTANT
from fem.interface.contact_state import InterfaceParameters
from fem.interface.parameters import DEFAULTS as INTERFACE_DEFAULTS
from fem.interface.settings import InterfaceLayout
from fem.mechanics.creep_laws import creep_law_from_material
from fem.mechanics.holder_sizing import LI_MOLAR_VOLUME, SizingInputs
from fem.mechanics.settings import (
    AnodePlasticitySettings,
    AnodeSwelling,
    CathodeBreathing,
    CreepSettings,
    DieSettings,
    LayerMechanics,
    LinearSolverSettings,
    PlatenSettings,
    PlatingLayer,
    StackMechanicsSettings,
    VolumeChangeSettings,
    YieldStrength,
)


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
    )


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


# ---------------------------------------------------------------------------- volume change
def volume_change_settings(case: Case) -> VolumeChangeSettings:
    """The eigenstrain sources for :class:`fem.mechanics.volume_change.VolumeChange`."""
    cell = case.cell
    li = tuple(PlatingLayer(la.name, la.z0, la.thickness,
                            case.card_value(la, "molar_volume", "Li plating and stripping"))
               for la in cell.layers_with_role("li"))
    return VolumeChangeSettings(li, _cathode_breathing(case), _anode_swelling(case))


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
    case's ``[interface]`` overrides, the Li card's creep law and molar volume, and the
    area-specific resistances of the separator, L / kappa (the separator card's ionic
    conductivity), and of the charge transfer at full contact, R T / (F i0) (physics.md 3.3,
    linearised Butler-Volmer with alpha = 0.5), for the current share of the interface model."""
    from fem.electrochemistry.parameters import DEFAULTS as ECHEM

    li = case.cell.layers_with_role("li")[0]
    sep = case.cell.layers_with_role("separator")[0]
    values = {k: p.value for k, p in INTERFACE_DEFAULTS.items()}
    values.update(case.interface.overrides)
    why = "the interface model"
    kappa = case.card_value(sep, "ionic_conductivity", why + "'s separator resistance")
    i0 = ECHEM["li_exchange_current_density"].value
    values.update(separator_resistance=sep.thickness / kappa,
                  charge_transfer_resistance=GAS_CONSTANT * case.temperature / (FARADAY * i0))
    return InterfaceParameters(
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
