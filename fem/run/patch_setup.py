"""An interface-patch case turned into what the patch run needs: the checks of what the patch
model can do (before anything is written), the pressure it starts from, and the typed settings
of :class:`fem.contact.patch_model.PatchModel`."""

from __future__ import annotations

from fem.case.model import Case
from fem.contact.patch_model import PatchModelSettings
from fem.errors import CaseError
from fem.protocol.steps import LockGap, Press, Release, Rest, SetTemperature

#: Butler-Volmer transfer coefficients of the Li | separator kinetics (alpha_a = alpha_c, the
#: symmetric convention [U]: docs/references.md#derived-charge-transfer-resistance).
TRANSFER_COEFFICIENT = 0.5


def check_patch_case(case: Case) -> None:
    """Raise :class:`CaseError` for what the patch run cannot do (before anything is written)."""
    p = case.patch
    if p is None:
        raise CaseError("patch", None, "the case has no [patch] section")
    if p.dimension == "3d" and case.mesh.element_degree != 1:
        raise CaseError("mesh.element_degree", case.mesh.element_degree,
                        "3D patches run on trilinear hexahedra (selective reduced integration, "
                        "nodal contact on the quadrilateral faces): set mesh.element_degree = 1")
    if case.mechanics.creep_law == "none":
        raise CaseError("mechanics.creep_law", "none", "the patch run models Li creep: use "
                        "'norton' or 'narayan_anand'")
    if case.mesh.element_degree not in (1, 2):
        raise CaseError("mesh.element_degree", case.mesh.element_degree, "must be 1 or 2")
    for e in case.protocol:
        if not isinstance(e.step, Press | Release | Rest | SetTemperature | LockGap):
            raise CaseError("protocol", e.step.text, "a patch run follows the stack pressure "
                            "and temperature only (Press, Release, Rest, Set temperature, "
                            "Lock gap); current steps are not modelled at the patch scale")
    if reference_pressure(case) <= 0:
        raise CaseError("protocol", [e.step.text for e in case.protocol],
                        "needs a positive stack pressure")


def initial_pressure(case: Case) -> float:
    """The pressure of the first Press step if the protocol starts with one (before any step
    that takes time), else the holder pressure."""
    for e in case.protocol:
        if isinstance(e.step, Press):
            return e.step.pressure
        if isinstance(e.step, SetTemperature | LockGap):
            continue
        break
    return case.holder.pressure


def reference_pressure(case: Case) -> float:
    """The largest pressure of the protocol (the contact penalty's scale)."""
    return max([initial_pressure(case)] + [e.step.pressure for e in case.protocol
                                           if isinstance(e.step, Press | Release)])


def patch_model_settings(case: Case) -> PatchModelSettings:
    """The patch model's settings from the case: the Li layer's card (elastic constants, the
    case's creep law, the exchange current) and the separator layer's (ionic conductivity and
    its activation energy)."""
    from fem.mechanics.creep_laws import creep_law_from_material

    p, m = case.patch, case.mesh
    li_layer, sep_layer = case.cell.layer(p.li_layer), case.cell.layer(p.separator_layer)
    li = case.materials[li_layer.material]
    why = "the interface patch"
    return PatchModelSettings(
        patch=p,
        li_youngs_modulus=case.card_value(li_layer, "youngs_modulus", why),
        li_poissons_ratio=case.card_value(li_layer, "poissons_ratio", why),
        creep_law=creep_law_from_material(li, case.mechanics.creep_law,
                                          feature_size=p.li_feature_size),
        ionic_conductivity=case.card_value(sep_layer, "ionic_conductivity", why),
        ionic_activation_energy=case.card_value(sep_layer, "ionic_activation_energy", why),
        exchange_current_density=case.card_value(li_layer, "exchange_current_density", why),
        transfer_coefficient=TRANSFER_COEFFICIENT,
        size_min=m.size_min, size_max=m.size_max, grading=m.grading,
        element_degree=m.element_degree, linear_solver=case.solver.linear_solver,
        petsc_options=dict(case.solver.petsc_options),
        reference_pressure=reference_pressure(case), temperature=case.temperature)
