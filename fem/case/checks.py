"""Cross-checks of a resolved case: rules that tie sections together and the card values each
layer's role needs (the protocol against the cell: :mod:`fem.case.protocol_checks`; the
ranges of single values: :mod:`fem.case.ranges`)."""

from __future__ import annotations

from fem.case.model import Case, Cell, Layer
from fem.errors import CaseError

#: Card parameters of each creep law (fem.mechanics.creep_laws.creep_law_from_material).
CREEP_LAW_PARAMETERS: dict[str, tuple[str, ...]] = {
    "norton": ("creep_reference_rate", "creep_exponent", "creep_reference_stress",
               "creep_reference_temperature", "creep_activation_energy"),
    "narayan_anand": ("anand_rate_prefactor", "creep_activation_energy", "anand_rate_sensitivity",
                      "anand_initial_resistance", "anand_hardening_modulus",
                      "anand_saturation_coefficient", "anand_saturation_exponent",
                      "anand_hardening_exponent"),
}

#: Card values every layer of a role needs, and what for.
ROLE_VALUES: dict[str, tuple[tuple[str, str], ...]] = {
    "li": (("molar_volume", "Li plating and stripping"),),
    "cathode": (("density", "the areal capacity"), ("active_mass_fraction", "the areal capacity"),
                ("specific_capacity", "the areal capacity"),
                ("volume_change_full_charge", "the cathode volume change"),
                ("active_volume_fraction", "the cathode volume change")),
    "anode": (("density", "the Li_xSi swelling"), ("molar_mass", "the Li_xSi swelling"),
              ("li_partial_molar_volume", "the Li_xSi swelling"),
              ("initial_lithiation", "the Li_xSi swelling")),
}
#: Card tables every layer of a role needs, and what for.
ROLE_TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "cathode": (("volume_change_vs_soc", "the cathode volume change"),),
}
#: What the interface model (fem.interface) takes from the Li card.
INTERFACE_LI_VALUES = ("creep_reference_rate", "creep_exponent", "creep_reference_stress",
                       "creep_activation_energy", "creep_reference_temperature",
                       "size_effect_length", "size_effect_exponent", "molar_volume",
                       "exchange_current_density")


def required_card_values(case: Case) -> list[tuple[Layer, str, str]]:
    """(layer, card value, what for) of everything the physics reads from the cards."""
    need = [(la, k, "elasticity") for la in case.cell.layers
            for k in ("youngs_modulus", "poissons_ratio")]
    need += [(la, k, why) for la in case.cell.layers for k, why in ROLE_VALUES.get(la.role, ())]
    if case.mechanics.creep_law != "none" and case.mechanics.anode_model != "plastic":
        law = case.mechanics.creep_law
        need += [(la, k, f"the {law} creep law") for la in case.cell.layers
                 if case.materials[la.material].model == "creep" for k in CREEP_LAW_PARAMETERS[law]]
    if case.interface is not None and case.interface.enabled:
        li = case.cell.layers_with_role("li")[0]
        sep = case.cell.layers_with_role("separator")[0]
        need += [(li, k, "the interface model") for k in INTERFACE_LI_VALUES]
        need.append((sep, "ionic_conductivity", "the interface model's separator resistance"))
    return need


def check_card_values(case: Case) -> None:
    """Every card value and table the physics needs is there (:meth:`Case.card_value`)."""
    for layer, key, why in required_card_values(case):
        case.card_value(layer, key, why)
    for la in case.cell.layers:
        for name, why in ROLE_TABLES.get(la.role, ()):
            case.card_table(la, name, why)


def check_friction_and_anode(case: Case) -> None:
    """Cross-field rules of platen / die friction and of the plastic anode."""
    if case.mesh.dimension == "3d" and case.cell.die_friction > 0:
        raise CaseError("cell.die.friction_coefficient", case.cell.die_friction,
                        "die-wall friction is only implemented for mesh.dimension = "
                        "'axisymmetric' (the 3D die wall is a frictionless penalty)")
    if case.platen_contact == "coulomb" and case.mechanics.platen_model != "rigid":
        raise CaseError("platens.model", case.mechanics.platen_model,
                        "Coulomb friction needs the rigid platen model")
    if case.mechanics.anode_model == "plastic":
        anodes = case.cell.layers_with_role("anode")
        if not anodes:
            raise CaseError("mechanics.anode_model", "plastic",
                            "needs an anode layer (cell.kind = 'silicon')")
        mat = case.materials[anodes[0].material]
        if (case.mechanics.anode_yield_strength == 0.0
                and "yield_strength_vs_lithiation" not in mat.tables):
            raise CaseError("mechanics.anode_yield_strength", None,
                            f"material '{mat.name}' has no yield_strength_vs_lithiation table; "
                            "give the yield strength here")


def check_electrochemistry(case: Case) -> None:
    """The electrochemistry options against the cell (layers, cathode card)."""
    if case.electrochemistry:
        _check_echem_layers(case.cell)
    for key in ("separator_leakage", "particle_diffusion"):
        if getattr(case, key) and not case.electrochemistry:
            raise CaseError(f"electrochemistry.{key}", True,
                            "needs the electrochemistry model: set electrochemistry.enabled = true")
    if case.particle_diffusion:
        cath = case.cell.layers_with_role("cathode")
        if not cath:
            raise CaseError("electrochemistry.particle_diffusion", True,
                            "needs a cathode layer (the particles are the cathode's)")
        name = cath[0].material
        if "solid_diffusivity" not in case.materials[name].values:
            raise CaseError(f"materials.{name}.solid_diffusivity", None,
                            "electrochemistry.particle_diffusion needs the cathode card's solid "
                            f"diffusivity: add it in [materials.{name}] (e.g. '4e-15 m^2/s')")


def _check_echem_layers(cell: Cell) -> None:
    """The cell-scale electrochemistry needs a separator with Li metal (or Li_xSi) on top and a
    cathode or a second Li layer below it."""
    layers = sorted(cell.layers, key=lambda la: la.z0)
    roles = [la.role for la in layers]
    ok = roles.count("separator") == 1
    if ok:
        k = roles.index("separator")
        ok = (k + 1 < len(roles) and roles[k + 1] in ("li", "anode") and k > 0
              and roles[k - 1] in ("cathode", "li"))
    if not ok:
        raise CaseError("electrochemistry.enabled", True,
                        "needs layers cathode (or Li) | separator | Li (or Li_xSi anode) from "
                        f"bottom to top; this cell has {' | '.join(roles)}")
