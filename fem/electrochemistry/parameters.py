"""Default electrochemical parameters of the stack, each with value (SI), unit and source.

The values are the recommendations of physics.md section 3 and of the material cards; the tags
[P]/[S]/[D]/[U] are those of physics.md (primary/secondary source, derived, unverified). Cases
that need other values pass them to the solvers directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from fem.electrochemistry.conductivity import EV_PER_PARTICLE_IN_J_PER_MOL


@dataclass(frozen=True)
class Parameter:
    """A default value in SI units with its unit and citation."""

    value: float
    unit: str
    source: str


DEFAULTS: dict[str, Parameter] = {
    "lpscl_ionic_conductivity": Parameter(
        0.22, "S/m", "lab-data.md 4 (35 ohm, 13 mm, 300 mg pellet: 2.2 mS/cm); physics.md 3.1 "
        "recommends 0.2 S/m at 25 degC (Singh 2022 [P], Doux 2020 [S])"),
    "lpscl_ionic_activation_energy": Parameter(
        0.36 * EV_PER_PARTICLE_IN_J_PER_MOL, "J/mol", "0.36 eV, Singh 2022 [P] (physics.md 3.1)"),
    "lpscl_electronic_conductivity": Parameter(
        1.8e-6, "S/m", "lab-data.md 4 (DC polarisation 1.8e-8 S/cm); physics.md 3.2 default 1e-7 S/m"),
    "composite_ionic_conductivity": Parameter(
        1.7e-2, "S/m", "Minnmann et al., JES (2021) doi:10.1149/1945-7111/abf8d7, 42 vol% NCM622-LPSCl, "
        "sigma_ion,eff = 1.7e-4 S/cm [S] (physics.md 3.1)"),
    "composite_electronic_conductivity": Parameter(
        5.6e-2, "S/m", "Minnmann 2021, sigma_el,eff = 5.6e-4 S/cm [S] (physics.md 3.1)"),
    "composite_ionic_tortuosity_factor": Parameter(
        4.3, "1", "Minnmann 2021, tau^2_ion = 4.3 [S] (physics.md 3.1)"),
    "li_exchange_current_density": Parameter(
        50.0, "A/m^2", "physics.md 3.3 recommendation i0,true = 5 mA/cm^2 (sweep 1-50 mA/cm^2) [D]"),
    "li_transfer_coefficient": Parameter(0.5, "1", "alpha_a = alpha_c = 0.5 (physics.md 3.3) [U]"),
    "li_molar_volume": Parameter(13.0e-6, "m^3/mol", "li.toml; Duan 2023 [P] (physics.md 4.1)"),
    "si_first_cycle_efficiency": Parameter(
        0.80, "1", "lab-data.md 4: Si half cell first-cycle efficiency about 80 % (the share of "
        "the inserted Li that comes back out; the rest is trapped)"),
    "lixsi_diffusivity": Parameter(
        1e-16, "m^2/s", "physics.md 3.6 default; literature spread 1e-18 ... 1e-14 m^2/s [U]"),
    "lixsi_electronic_conductivity": Parameter(
        1e2, "S/m", "physics.md 3.6 default for prelithiated Li_xSi (sweep 1 ... 1e4 S/m) [U]; "
        "lab-data.md 4: 1e-2 S/m (x = 0) to 1e3 S/m (x = 2)"),
}
