"""Spring-holder sizing (fem.mechanics.holder_sizing, ``assb-fem holder``): the lab's hand sizing
(docs/lab-study.md#cell-build), the plating growth and pressure swing
(docs/references.md#derived-li-thickness-per-capacity, #derived-fixed-gap-compliance,
#derived-spring-holder) and the inverse."""

import math

import pytest

from fem.case import load_case_dict
from fem.cellstack.settings import holder_sizing_inputs
from fem.cli import main
from fem.errors import CaseError
from fem.mechanics.holder_sizing import (
    FARADAY,
    LAB_SPRING_COUNT,
    LAB_SPRING_MAX_LOAD,
    LAB_SPRING_RATE,
    LBF,
    SpringHolderSizing,
    format_report,
    plating_growth,
    pressure_swing,
    series_stiffness,
    size_spring_holder,
    spring_rate_for_swing,
)

MM = 1e-3
MAH_CM2 = 3.6e4  # C/m^2


def size_from_case(case, **options):
    return size_spring_holder(holder_sizing_inputs(case), **options)


@pytest.fixture
def spring_case(base_case):
    base_case["holder"] = {"type": "spring", "pressure": "5 MPa", "frame_stiffness": "1.6e8 N/m",
                           "spring_count": 3, "spring_rate": "5.5 lbf/mm",
                           "spring_max_load": "53 lbf"}
    return load_case_dict(base_case)


def test_lab_hand_sizing_numbers():
    """docs/lab-study.md#cell-build, docs/references.md#derived-spring-holder: 5 MPa on 0.785 cm^2
    = 392.5 N = 88.2 lbf in all, 29.4 lbf per spring, reached at 5.35 mm of spring compression
    (5.5 lb/mm springs, 53 lb maximum each)."""
    sz = SpringHolderSizing(target_pressure=5e6, area=0.785e-4, spring_count=3,
                            spring_rate=5.5 * LBF / MM, spring_max_load=53 * LBF)
    assert sz.total_force == pytest.approx(392.5, rel=1e-12)
    assert round(sz.total_force / LBF, 1) == 88.2
    assert round(sz.load_per_spring / LBF, 1) == 29.4
    assert round(sz.compression / MM, 2) == 5.35
    assert sz.margin / LBF == pytest.approx(53 - 88.24 / 3, abs=0.01)
    assert sz.max_compression / MM == pytest.approx(53 / 5.5, rel=1e-12)
    assert (LAB_SPRING_COUNT, LAB_SPRING_RATE, LAB_SPRING_MAX_LOAD) == (3, sz.spring_rate,
                                                                       sz.spring_max_load)


def test_sizing_from_a_spring_case(spring_case):
    """The same sizing from a case: the cell area is pi (5 mm)^2 = 0.7854 cm^2, so the numbers match
    the lab's within its rounding of the area."""
    sz = size_from_case(spring_case)
    assert sz.area == pytest.approx(math.pi * 25e-6, rel=1e-12)
    assert sz.total_force == pytest.approx(392.5, rel=1e-3)
    assert sz.total_force / LBF == pytest.approx(88.2, abs=0.1)
    assert sz.load_per_spring / LBF == pytest.approx(29.4, abs=0.05)
    assert sz.compression / MM == pytest.approx(5.35, abs=0.005)
    assert sz.spring_rate == pytest.approx(5.5 * 4.4482216152605 / 1e-3, rel=1e-12)
    assert sz.note == ""
    # options override the case, parsed with units
    sz2 = size_from_case(spring_case, target_pressure="3 MPa", springs="4",
                         spring_rate="10 N/mm", max_load="100 N")
    assert (sz2.target_pressure, sz2.spring_count, sz2.spring_rate, sz2.spring_max_load) == (
        3e6, 4, pytest.approx(1e4), pytest.approx(100.0))
    assert sz2.compression == pytest.approx(3e6 * sz2.area / 4 / 1e4, rel=1e-12)


def test_plating_growth_from_molar_volume():
    """4.85 um per mAh/cm^2 from V_Li = 13.0 cm^3/mol and F
    (docs/references.md#derived-li-thickness-per-capacity)."""
    assert plating_growth(MAH_CM2) == pytest.approx(4.85e-6, abs=0.005e-6)
    assert plating_growth(0.3 * MAH_CM2) == pytest.approx(1.45e-6, abs=0.01e-6)  # Singh 2022
    assert plating_growth(MAH_CM2, 2 * 13e-6) == pytest.approx(2 * plating_growth(MAH_CM2))


def test_pressure_swing_formula(spring_case):
    """dp = k delta / A with 1/k = 1/(n k_s) + 1/k_frame (docs/references.md#derived-fixed-gap-compliance,
    #derived-spring-holder)."""
    assert pressure_swing(5e-6, 1e5, 1e-4) == pytest.approx(5e3, rel=1e-12)  # derived-spring-holder
    sz = size_from_case(spring_case)
    k_s, kf, A = 5.5 * LBF / MM, 1.6e8, math.pi * 25e-6
    k = 1 / (1 / (3 * k_s) + 1 / kf)
    assert sz.stiffness == pytest.approx(k, rel=1e-12)
    assert sz.stiffness == pytest.approx(spring_case.holder.stiffness, rel=1e-12)  # case's series value
    q = spring_case.areal_capacity
    delta = q * 13.0e-6 / FARADAY
    assert sz.growth == pytest.approx(delta, rel=1e-12)
    assert sz.swing == pytest.approx(k * delta / A, rel=1e-12)
    assert sz.load_per_spring_at_peak == pytest.approx((5e6 + sz.swing) * A / 3, rel=1e-12)
    # springs take almost all of the compliance: the swing is ~1/2000 of the fixed-gap one
    assert sz.swing < 1e-3 * pressure_swing(delta, kf, A)
    assert series_stiffness(3, k_s) == pytest.approx(3 * k_s)
    # --capacity and --cathode-contraction
    sz4 = size_from_case(spring_case, capacity="4 mAh/cm^2", cathode_contraction="2 um")
    assert sz4.growth == pytest.approx(4 * plating_growth(MAH_CM2) - 2e-6, rel=1e-12)
    assert sz4.swing == pytest.approx(k * sz4.growth / A, rel=1e-12)


def test_inverse_rate_for_a_swing_gives_back_that_swing(spring_case):
    delta, A = 20e-6, math.pi * 25e-6
    for kf in (math.inf, 1.6e8):
        for dp_max in (0.01e6, 0.2e6, 1e6):
            k_s = spring_rate_for_swing(dp_max, delta, A, 3, kf)
            assert 0 < k_s < math.inf
            assert pressure_swing(delta, series_stiffness(3, k_s, kf), A) == pytest.approx(
                dp_max, rel=1e-12)
    assert spring_rate_for_swing(0.2e6, delta, A, 3) == pytest.approx(0.2e6 * A / delta / 3, rel=1e-12)
    # the frame alone keeps the swing below the limit: any spring rate
    assert spring_rate_for_swing(100e6, delta, A, 3, 1.6e8) == math.inf
    sz = size_from_case(spring_case, max_swing="0.005 MPa")
    assert pressure_swing(sz.growth, series_stiffness(3, sz.rate_for_max_swing, 1.6e8), sz.area) == (
        pytest.approx(5e3, rel=1e-12))
    assert sz.rate_for_max_swing < sz.spring_rate  # the lab's springs swing more than 5 kPa


@pytest.mark.parametrize(("option", "value", "key"), [
    ("target_pressure", "5 mA", "--target-pressure"),
    ("target_pressure", "-5 MPa", "--target-pressure"),
    ("springs", "2.5", "--springs"),
    ("springs", "0", "--springs"),
    ("spring_rate", "5 MPa", "--spring-rate"),
    ("max_load", "53", "--max-load"),
    ("max_swing", "0 MPa", "--max-swing"),
])
def test_bad_options_are_case_errors(spring_case, option, value, key):
    with pytest.raises(CaseError) as err:
        size_from_case(spring_case, **{option: value})
    assert err.value.key == key and err.value.value == value and err.value.allowed


def test_report_without_capacity_or_max_load(base_case):
    base_case["cell"]["kind"] = "symmetric"
    base_case["cell"]["layers"][0].update(role="li", material="li", name="li_bottom")
    case = load_case_dict(base_case)
    sz = size_from_case(case)
    assert case.areal_capacity is None and sz.growth is None and sz.swing is None
    assert "fixed_gap" in sz.note and sz.spring_rate == LAB_SPRING_RATE
    text = "\n".join(format_report(sz, case.name))
    assert "n/a (no cathode capacity" in text and "5.35 mm" in text
    sz = size_from_case(case, capacity="1 mAh/cm^2")
    assert sz.growth == pytest.approx(plating_growth(MAH_CM2))


def test_cli_holder(capsys, comm):
    assert main(["holder", "ncm811_li_fixed_gap", "--max-swing", "0.005 MPa"]) == 0
    out = capsys.readouterr().out
    if comm.rank == 0:
        for fragment in ("392.7 N = 88.28 lbf", "29.43 lbf", "5.35 mm", "margin to max load",
                         "pressure swing", "4.85 um per mAh/cm^2", "swing <= 0.005 MPa",
                         "fixed_gap holder"):
            assert fragment in out, fragment
    else:
        assert out == ""
    spring = ["--set", "holder.type=spring", "--set", "holder.spring_count=3",
              "--set", 'holder.spring_rate="11 lbf/mm"', "--set", 'holder.spring_max_load="53 lbf"']
    assert main(["holder", "ncm811_li_fixed_gap", *spring]) == 0
    out = capsys.readouterr().out
    assert ("3 x 11 lbf/mm" in out and "2.675 mm" in out and "note" not in out) == (comm.rank == 0)
    assert main(["holder", "ncm811_li_fixed_gap", "--spring-rate", "5 MPa"]) == 2
    err = capsys.readouterr().err
    if comm.rank == 0:
        assert "--spring-rate = '5 MPa': expected a stiffness" in err and err.count("\n") == 1
