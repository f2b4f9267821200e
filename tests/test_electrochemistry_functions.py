"""Closed-form checks of the pointwise electrochemistry functions (issue 5)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import serial_only

from fem.constants import T_REF
from fem.electrochemistry import conductivity, kinetics, ocv
from fem.electrochemistry.parameters import DEFAULTS

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def test_charge_transfer_resistance_matches_derived_value_and_bv_slope():
    # docs/references.md#derived-charge-transfer-resistance: i0 = 1 mA/cm^2 -> R_ct = 25.7 Ohm cm^2
    assert kinetics.charge_transfer_resistance(10.0, T_REF) * 1e4 == pytest.approx(25.69, abs=0.01)
    for aa, ac in ((0.5, 0.5), (0.7, 0.3)):
        h = 1e-7
        slope = (kinetics.butler_volmer(h, 3.0, T_REF, aa, ac)
                 - kinetics.butler_volmer(-h, 3.0, T_REF, aa, ac)) / (2 * h)
        assert 1 / slope == pytest.approx(kinetics.charge_transfer_resistance(3.0, T_REF, aa, ac), rel=1e-8)


@pytest.mark.parametrize("alphas", [(0.5, 0.5), (0.7, 0.3), (0.3, 0.8)])
def test_overpotential_inverts_butler_volmer(alphas):
    i = np.array([-1e4, -300.0, -1.0, 0.0, 1e-3, 7.0, 500.0, 3e4])
    eta = kinetics.overpotential(i, 5.0, T_REF, *alphas)
    np.testing.assert_allclose(kinetics.butler_volmer(eta, 5.0, T_REF, *alphas), i, rtol=1e-12, atol=1e-12)


def test_mechanical_shift_is_minus_0135_mv_per_mpa():
    assert kinetics.mechanical_potential_shift(1e6) == pytest.approx(-0.1347e-3, rel=1e-3)


def test_arrhenius_and_bruggeman():
    ea = DEFAULTS["lpscl_ionic_activation_energy"].value
    # docs/references.md#derived-lpscl-conductivity: 4.4x from 25 to 60 degC
    assert conductivity.arrhenius(0.2, ea, 333.15) / 0.2 == pytest.approx(4.4, abs=0.1)
    assert conductivity.arrhenius(0.2, ea, T_REF) == pytest.approx(0.2, rel=1e-14)
    assert conductivity.effective_conductivity(1.0, 0.36) == pytest.approx(0.36**1.5, rel=1e-14)
    assert conductivity.effective_conductivity(1.0, 0.4, 4.3) == pytest.approx(0.4 / 4.3, rel=1e-14)
    with pytest.raises(ValueError):
        conductivity.effective_conductivity(1.0, 0.4, 0.5)


def test_ocv_tables():
    soc = np.linspace(0, 1, 101)
    for name in ("ncm811", "lco"):
        u = ocv.open_circuit_potential(name, soc)
        assert np.all(np.diff(u) > 0) and 3.4 < u[0] < 3.8 and 4.2 < u[-1] < 4.3, name
    y = ocv.NCM811_Y_EMPTY + (ocv.NCM811_Y_FULL - ocv.NCM811_Y_EMPTY) * soc
    np.testing.assert_allclose(ocv.open_circuit_potential("ncm811", soc), ocv.ncm811_chen2020(y), atol=5e-3)
    u = ocv.open_circuit_potential("lixsi", np.linspace(0, 3.75, 50))
    assert np.all(np.diff(u) < 0) and 0 < u[-1] < u[0] < 0.7
    assert all(t.source for t in ocv.TABLES.values())
