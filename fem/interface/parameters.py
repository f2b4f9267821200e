"""Parameters of the Li | separator interface model, each with value (SI), unit and source.

Tags [P]/[S]/[D]/[U]: docs/references.md#evidence-tags (primary / secondary source, derived,
unverified).
Cases override any of them in ``[interface]`` (with units); the two calibrated ones are marked
and their calibration is scripts/validation/calibrate_ccd.py ->
docs/validation/ccd_calibration.json. The Li law (Norton creep with its size effect), the Li
moduli and the exchange current density are the Li card's.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Parameter:
    """A default value in SI units with its unit, its case key's quantity kind and source."""

    value: float
    unit: str
    kind: str
    source: str


DEFAULTS: dict[str, Parameter] = {
    "asperity_size": Parameter(
        7.0e-6, "m", "length",
        "CALIBRATED (scripts/validation/calibrate_ccd.py -> docs/validation/ccd_calibration.json; "
        "grid 5/6/7/8/10 um, 7 um best) on the symmetric-cell CCDs after 1 and 30 min holds at "
        "25 MPa (docs/lab-study.md#critical-current-density), inside its range 0.5-20 um: the size of "
        "the separator surface's asperities that the Li creeps around, from the grain size "
        "(0.5 um small-grain to 20-40 um large-grain Li6PS5Cl) and the RMS roughness 1.1-6.5 um "
        "of pressed pellets (Singh 2022 [P], docs/references.md#singh2022). It sets the size "
        "effect of the Li law at the contact (fem/mechanics/li_size_effect.py, "
        "docs/references.md#derived-li-size-effect)"),
    "flaw_radius": Parameter(
        6.82e-6, "m", "length",
        "CALIBRATED with asperity_size (scripts/validation/calibrate_ccd.py), inside its range "
        "1-14 um: radius of the largest Li-filled flaw (pore, crack) at the separator surface: "
        "primary cracks 3-5 um filled by Li (Duan 2023 [P], docs/references.md#duan2023), a 14 um "
        "pre-existing flaw and RMS roughness 1.1-6.5 um (Singh 2022 [P], "
        "docs/references.md#singh2022)"),
    "fracture_toughness": Parameter(
        0.23e6, "Pa m^0.5", "fracture_toughness",
        "K_Ic of Li2S-P2S5 glass 0.23 +- 0.04 MPa m^0.5 (McGrogan 2017, nanoindentation [S] "
        "via Singh 2022 and Duan 2023, docs/references.md#mcgrogan2017); no measured value for "
        "Li6PS5Cl, for which Singh 2022 uses the same proxy"),
    "surface_rms_slope": Parameter(
        0.3, "1", "dimensionless",
        "RMS slope of the separator surface for the elastic (Persson) contact on loading; no "
        "measured power spectrum of Li6PS5Cl pellets (docs/references.md#persson2001): Rq "
        "1.1-6.5 um over grains of 0.5-40 um (Singh 2022 [P]) gives slopes of order 0.1-1; "
        "ASSUMED [U]. The elastic contact at 25 MPa is 1.5 % with it (0.4-9 % over that range); "
        "creep makes the rest"),
    "tabor_constraint": Parameter(
        3.0, "1", "dimensionless",
        "hardness H = c sigma_flow with c = 3 (Tabor); contact-pressure constraint of the "
        "indentation-creep contact law (docs/references.md#derived-plastic-contact, "
        "#derived-creep-contact-growth) [D]"),
    "roughness_height": Parameter(
        10.0e-6, "m", "length",
        "height of the gaps between Li foil and separator after assembly (foil and pellet "
        "roughness and waviness; micrometre features in FIB-SEM profiles, Singh 2022 [P], "
        "docs/references.md#singh2022). ASSUMED [U], set with spot_diffusion_length while "
        "exploring the model against the lab's CCDs (docs/lab-study.md#critical-current-density, "
        "docs/validation.md): with 1-3 um the gaps of a short hold heal within the first ramp "
        "levels and the hold time stops mattering"),
    "spot_diffusion_length": Parameter(
        0.1e-6, "m", "length",
        "diffusion path that resupplies a stripped contact spot (sub-micrometre spots and "
        "grains). ASSUMED [U] with roughness_height (see there); it puts the critical "
        "stripping current at 5 MPa near 2 mA/cm^2 (of order 0.1-1 mA/cm^2 at a few MPa, "
        "Kasemchainan 2019, docs/references.md#kasemchainan2019, numbers unconfirmed)"),
    "li_self_diffusivity": Parameter(
        1.0e-14, "m^2/s", "diffusivity",
        "Li self-diffusivity at RT 1e-15 ... 1e-14 m^2/s [U]; the Masias digest implies 9e-15 "
        "[S] (docs/references.md#masias2019, docs/references.md#derived-stripping-supply)"),
    "min_contact_fraction": Parameter(
        1.0e-3, "1", "dimensionless",
        "floor of the contact fraction (numerical: the focused current stays finite); below "
        "it the interface is reported as lost"),
}
