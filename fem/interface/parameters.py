"""Parameters of the Li | separator interface model, each with value (SI), unit and source.

Tags [P]/[S]/[D]/[U]: docs/references.md#evidence-tags (primary / secondary source, derived,
unverified).
Cases override any of them in ``[interface]`` (with units); the two calibrated ones are marked
and their calibration is scripts/validation/calibrate_ccd.py -> docs/validation/ccd.json.
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
    "creep_reference_rate": Parameter(
        1.0e-11, "1/s", "strain_rate",
        "CALIBRATED (scripts/validation/calibrate_ccd.py, grid 3e-12 / 1e-11 / 3e-11 1/s, all "
        "three fit equally, the centre is kept: the two CCDs do not pin it down; "
        "docs/validation/ccd_calibration.json) on the symmetric-cell CCDs after 1 and "
        "30 min holds at 25 MPa (docs/lab-study.md#critical-current-density): the Li strain rate "
        "at 1 MPa that governs flow into micrometre gaps and pores; far below the bulk Norton fit "
        "(7.73e-3 1/s, docs/references.md#derived-norton-fit) because Li is much stronger at the "
        "micrometre scale (sub-um pillars 15-105 MPa, Xu et al. PNAS 2017 [S], "
        "docs/references.md#xu2017). Exponent and activation energy: the Li card's"),
    "critical_local_current_density": Parameter(
        15.2, "A/m^2", "current_density",
        "CALIBRATED (scripts/validation/calibrate_ccd.py; 1.52 mA/cm^2) with "
        "creep_reference_rate on the 1 min / 30 min hold CCDs "
        "(docs/lab-study.md#critical-current-density): plating current density at the true "
        "contact above which a Li filament nucleates"),
    "tabor_constraint": Parameter(
        3.0, "1", "dimensionless",
        "hardness H = c sigma_flow with c = 3 (Tabor); contact-pressure constraint of the "
        "indentation-creep contact law (docs/references.md#derived-plastic-contact, "
        "#derived-creep-contact-growth) [D]"),
    "flow_stress": Parameter(
        0.8e6, "Pa", "pressure",
        "Li 0.2 % offset yield, bulk, RT (Masias 2019 [S], docs/references.md#masias2019): "
        "instantaneous plastic contact f = p / (3 sigma_y)"),
    "max_instant_contact_fraction": Parameter(
        0.3, "1", "dimensionless",
        "the plastic contact law f = p/H holds only for f up to 0.3-0.5 "
        "(docs/references.md#derived-plastic-contact [D]); beyond it contact grows by creep"),
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
    "pore_radius": Parameter(
        0.5e-6, "m", "length",
        "radius of the separator's surface pores that Li extrudes into: 8-18 % porosity pellets "
        "of micrometre particles (Singh 2022 [P], Doux 2020 [S]; docs/references.md#singh2022, "
        "docs/references.md#doux2020); the value is an assumption [U]"),
    "li_self_diffusivity": Parameter(
        1.0e-14, "m^2/s", "diffusivity",
        "Li self-diffusivity at RT 1e-15 ... 1e-14 m^2/s [U]; the Masias digest implies 9e-15 "
        "[S] (docs/references.md#masias2019, docs/references.md#derived-stripping-supply)"),
    "min_contact_fraction": Parameter(
        1.0e-3, "1", "dimensionless",
        "floor of the contact fraction (numerical: the focused current stays finite); below "
        "it the interface is reported as lost"),
}
