"""Physical constants and the unit factors of the outputs: the one place that defines them.

Inside the solver everything is SI (see ``docs/theory.md``); the factors below convert SI
values to the units of the history columns and reports (``mAh/cm^2``, ``mA/cm^2``, ``um``,
``MPa``) at the output edge only.
"""

from __future__ import annotations

#: Faraday constant, C/mol (CODATA 2018, exact: N_A e).
FARADAY = 96485.33212

#: Molar gas constant, J/(mol K) (CODATA 2018, exact: N_A k_B).
GAS_CONSTANT = 8.314462618

#: Reference temperature of the material data, K (25 degC).
T_REF = 298.15

#: 0 degC in kelvin.
ZERO_CELSIUS = 273.15

#: mAh/cm^2 per C/m^2 (1 mAh = 3.6 C, 1 cm^2 = 1e-4 m^2).
MAH_CM2 = 1.0 / 36000.0
#: mA/cm^2 per A/m^2.
MA_CM2 = 0.1
#: micrometres per metre.
UM = 1e6
#: MPa per Pa.
MPA = 1e-6


def thermal_voltage(T: float) -> float:
    """R T / F in volts (25.69 mV at 298.15 K)."""
    return GAS_CONSTANT * T / FARADAY
