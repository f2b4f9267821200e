"""Case -> typed solver settings: the one module that reads a :class:`fem.case.model.Case` on
behalf of the physics packages (which receive only the dataclasses built here)."""

from __future__ import annotations

from fem.case.model import Case
from fem.constants import FARADAY, GAS_CONSTANT
from fem.interface.contact_state import InterfaceParameters


def interface_parameters(case: Case) -> InterfaceParameters:
    """The reduced interface model's parameters: the defaults of :mod:`fem.interface.parameters`
    with the case's overrides, the Li card's creep law and molar volume, and the resistances
    the current share needs at full contact: the area-specific separator resistance L / kappa
    and the charge-transfer resistance R T / (F i0) (linearised Butler-Volmer, alpha = 0.5)."""
    from fem.electrochemistry.parameters import DEFAULTS as ECHEM
    from fem.interface.parameters import DEFAULTS

    li = case.materials[next(la for la in case.cell.layers if la.role == "li").material]
    sep = next(la for la in case.cell.layers if la.role == "separator")
    mat = case.materials[sep.material]
    kappa = mat["ionic_conductivity"]
    i0 = ECHEM["li_exchange_current_density"].value
    values = {k: p.value for k, p in DEFAULTS.items()}
    values.update(case.interface.overrides)
    values.update({"separator_resistance": sep.thickness / kappa,
                   "charge_transfer_resistance": GAS_CONSTANT * case.temperature / (FARADAY * i0)})
    return InterfaceParameters(
        creep_exponent=li["creep_exponent"], creep_reference_stress=li["creep_reference_stress"],
        creep_activation_energy=li["creep_activation_energy"],
        creep_reference_temperature=li["creep_reference_temperature"],
        li_molar_volume=li["molar_volume"], **values)
