"""Physical constants of electrochemistry (CODATA 2018 exact values, SI)."""

from __future__ import annotations

#: Faraday constant, C/mol (CODATA 2018, exact: N_A e).
FARADAY = 96485.33212

#: Molar gas constant, J/(mol K) (CODATA 2018, exact: N_A k_B).
GAS_CONSTANT = 8.314462618

#: Reference temperature of the material data, K (25 degC).
T_REF = 298.15


def thermal_voltage(T: float) -> float:
    """R T / F in volts (25.69 mV at 298.15 K)."""
    return GAS_CONSTANT * T / FARADAY
