"""Default electrochemical parameters of the stack, each with value (SI), unit and source.

The values are those of docs/references.md (entries #derived-lpscl-conductivity,
#derived-exchange-current, #minnmann2021, #lixsi-background) and of the material cards; tags
[P]/[S]/[D]/[U]: docs/references.md#evidence-tags (primary/secondary source, derived,
unverified). Cases that need other values pass them to the solvers directly.

The cell model (:mod:`fem.electrochemistry.cell_model`) reads none of these: every property it
needs comes from the material cards through its settings. These serve the solvers used on
their own (the interface model, the contact patch runs, the validation scripts).
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
        0.22, "S/m", "docs/lab-study.md#silicon-cells (35 ohm, 13 mm, 300 mg pellet: 2.2 mS/cm); "
        "docs/references.md#derived-lpscl-conductivity: 0.2 S/m at 25 degC (Singh 2022 [P], "
        "Doux 2020 [S])"),
    "lpscl_ionic_activation_energy": Parameter(
        0.36 * EV_PER_PARTICLE_IN_J_PER_MOL, "J/mol",
        "0.36 eV, Singh 2022 [P] (docs/references.md#derived-lpscl-conductivity)"),
    "composite_ionic_tortuosity_factor": Parameter(
        4.3, "1", "Minnmann 2021, tau^2_ion = 4.3 [S] (docs/references.md#minnmann2021)"),
    "li_exchange_current_density": Parameter(
        50.0, "A/m^2", "i0,true = 5 mA/cm^2 (sweep 1-50 mA/cm^2), "
        "docs/references.md#derived-exchange-current [D]"),
    "li_transfer_coefficient": Parameter(
        0.5, "1", "alpha_a = alpha_c = 0.5 (docs/references.md#derived-charge-transfer-resistance) [U]"),
    "li_molar_volume": Parameter(
        13.0e-6, "m^3/mol", "li.toml; Duan 2023 [P] (docs/references.md#derived-li-molar-volume, "
        "docs/references.md#duan2023)"),
}
