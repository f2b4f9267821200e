"""Units at the edge: conversion to SI and dimension errors."""

import pytest
from conftest import serial_only

from fem.errors import CaseError
from fem.units import to_si

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


@pytest.mark.parametrize(
    ("text", "dim", "si"),
    [
        ("600 um", "length", 600e-6),
        ("5 MPa", "pressure", 5e6),
        ("25.5 mg/cm^2", "areal_mass", 0.255),
        ("40 degC", "temperature", 313.15),
        ("0.5 mA/cm^2", "current_density", 5.0),
        ("30 min", "time", 1800.0),
        ("1 h", "time", 3600.0),
        ("4 mAh/cm^2", "areal_capacity", 144000.0),
        ("5.5 lbf/mm", "stiffness", 5.5 * 4.4482216152605 / 1e-3),
        ("2 MPa/um", "areal_stiffness", 2e12),
        ("2.2 mS/cm", "conductivity", 0.22),
        ("37 kJ/mol", "energy_per_mol", 37e3),
        ("1e-3 1/s", "strain_rate", 1e-3),
        ("0.38", "dimensionless", 0.38),
    ],
)
def test_to_si(text, dim, si):
    assert to_si(text, dim, "k") == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize(
    ("value", "dim", "fragment"),
    [
        ("5 mA", "pressure", "dimension [current]"),
        ("abc", "length", "could not read"),
        (5, "length", "bare number has no units"),
        (True, "length", "expected a length"),
        ("5 furlongs per fortnight", "pressure", "expected a pressure"),
        ([1, 2], "time", "expected a time"),
    ],
)
def test_errors_name_key_value_and_allowed(value, dim, fragment):
    with pytest.raises(CaseError) as info:
        to_si(value, dim, "holder.pressure")
    msg = str(info.value)
    assert "holder.pressure" in msg and repr(value) in msg and fragment in msg
