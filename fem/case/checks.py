"""Cross-checks of a resolved case: rules that tie sections together, the protocol against the
cell, and warnings on dubious input."""

from __future__ import annotations

import warnings

from fem.case.model import Case, CaseWarning, Cell
from fem.errors import CaseError
from fem.protocol.steps import Galvanostatic, Potentiostatic, ProtocolEntry


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


def warn_dubious(case: Case) -> None:
    for layer in case.cell.layers:
        if layer.role == "li" and layer.thickness > 2e-3:
            warnings.warn(f"Li layer '{layer.name}' is {layer.thickness * 1e3:.3g} mm thick; "
                          "lab foils are 20-200 um", CaseWarning, stacklevel=3)
    pressures = [getattr(e.step, "pressure", 0.0) for e in case.protocol] + [case.holder.pressure]
    if max(pressures) > 500e6:
        warnings.warn(f"stack pressure {max(pressures) / 1e6:.4g} MPa exceeds 500 MPa "
                      "(above separator fabrication pressures)", CaseWarning, stacklevel=3)


def check_protocol(protocol: list[ProtocolEntry], case_cap: float | None, kind: str,
                    echem: bool = False) -> None:
    for e in protocol:
        st = e.step
        if isinstance(st, Galvanostatic):
            if st.c_rate is not None and case_cap is None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a C-rate needs a cathode; give the current in mA/cm^2")
            if st.until_voltage is not None and not echem:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a voltage cut-off needs the electrochemistry model: set "
                                "electrochemistry.enabled = true, or use 'for <duration>'")
        if isinstance(st, Potentiostatic):
            if not echem:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a constant-voltage hold needs the electrochemistry model: set "
                                "electrochemistry.enabled = true")
            if st.until_c_rate is not None and case_cap is None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a C-rate needs a cathode; give the end current in mA/cm^2")
