"""Verification of the Li creep mechanics (issue: stack mechanics) against closed forms.

All runs use a homogeneous Li cylinder between frictionless rigid platens with a free outer
surface, so the stress is uniaxial and uniform:

1. constant stress: the FE strain rate equals A sigma^n exp(-Q/RT) (1e-6, two temperatures);
2. relaxation in a fixed gap with a holder of stiffness k (Maxwell-Norton series):
   sigma(t) = [sigma0^(1-n) + (n-1) A E_eff t]^(1/(1-n)), 1/E_eff = 1/E + A_c/(k H), within 1 %
   over four decades of time;
3. large-strain constant-load compression to 30 %: with the true stress F/A and A L = A0 L0,
   d ln(L0/L)/dt = A (p0 L/L0)^n, so ln(L0/L) = ln(1 + n A p0^n t)/n (the true stress falls
   as the area grows in compression), within 2 %;
4. first-order convergence of the implicit update in the time step.
"""

import copy
import math

import numpy as np
import pytest
from conftest import BASE_CASE

from fem._dolfinx import MPI
from fem.case import load_case_dict
from fem.cellstack.settings import inelastic_settings, stack_mechanics_settings
from fem.geometry import build_stack_mesh
from fem.mechanics.creep_setup import attach_creep
from fem.mechanics.holder import Holder
from fem.mechanics.stack import StackMechanics

H = 1e-3  # cylinder height (m)
RADIUS = 5e-3


@pytest.fixture(autouse=True)
def _homogeneous_li_column(monkeypatch):
    """A homogeneous Li column: the middle layer (role separator, for the cell kind) is made of
    the Li card too, which a cell may not be (fem.case.roles.ROLE_CLASSES): allowed here."""
    from fem.case.roles import ROLE_CLASSES

    monkeypatch.setitem(ROLE_CLASSES, "separator", (*ROLE_CLASSES["separator"], "li_metal"))


def _cylinder(large_deformation: bool, holder: dict):
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"] = {"kind": "symmetric", "radius": f"{RADIUS * 1e3} mm", "layers": [
        {"name": "li_bottom", "role": "li", "material": "li", "thickness": "300 um"},
        {"name": "separator", "role": "separator", "material": "li", "thickness": "400 um"},
        {"name": "li_top", "role": "li", "material": "li", "thickness": "300 um"}]}
    raw["platens"] = {"contact": "frictionless"}
    raw["mechanics"] = {"large_deformation": large_deformation, "creep_law": "norton"}
    # uniform fields: no foil shear layers to resolve (mesh.li_cells = 1 keeps the coarse mesh)
    raw["mesh"] = {"size_min": "500 um", "size_max": "5 mm", "element_degree": 2, "li_cells": 1}
    raw["holder"] = holder
    raw["interface"] = {"enabled": False}  # (the Li "separator" has no ionic conductivity)
    case = load_case_dict(raw)
    cm = build_stack_mesh(case, MPI.COMM_WORLD)
    hold = Holder(area=case.cell.area, stiffness=case.holder.stiffness, kind=case.holder.type)
    mech = StackMechanics(cm, stack_mechanics_settings(case), hold)
    creep = attach_creep(mech, inelastic_settings(case))
    mech.setup()
    return case, mech, hold, creep


def _step(mech, creep, dt: float, T: float = 298.15) -> None:
    creep.dt, creep.T = dt, T
    mech.begin_step(0.0)
    mech.solve(1e-11, 1e-12, 30)
    mech.commit()


def _load(mech, hold, creep, p: float) -> None:
    hold.set_pressure(p)
    _step(mech, creep, 1e-12)


@pytest.mark.parametrize("T", [298.15, 313.15])
def test_uniaxial_norton_rate_at_constant_stress(T):
    case, mech, hold, creep = _cylinder(False, {"type": "constant_pressure", "pressure": "0.5 MPa"})
    p = 0.5e6
    _load(mech, hold, creep, p)
    li = case.materials["li"]
    A_ref, n = li["creep_reference_rate"], li["creep_exponent"]
    Q, T_ref, s_ref = li["creep_activation_energy"], li["creep_reference_temperature"], 1e6
    expected = A_ref * (p / s_ref) ** n * math.exp(-Q / 8.314462618 * (1 / T - 1 / T_ref))
    for dt in (1.0, 10.0):
        U0 = mech.U
        _step(mech, creep, dt, T)
        rate = -(mech.U - U0) / H / dt
        assert rate == pytest.approx(expected, rel=1e-6)


def _norton_A(li, T: float = 298.15) -> float:
    """A of eps_dot = A sigma^n at temperature T (Pa^-n s^-1), from the Li card."""
    n = li["creep_exponent"]
    arrhenius = math.exp(-li["creep_activation_energy"] / 8.314462618
                         * (1 / T - 1 / li["creep_reference_temperature"]))
    return li["creep_reference_rate"] * arrhenius / li["creep_reference_stress"] ** n


def _relaxation(n_steps_per_decade: int | None = None, uniform_dt: float | None = None,
                t_end: float = 1e4):
    """Relax from sigma0 = 1 MPa in a spring-locked holder; returns (t, sigma) arrays and the
    closed form's parameters."""
    case, mech, hold, creep = _cylinder(False, {"type": "fixed_gap", "pressure": "1 MPa",
                                                "frame_stiffness": "2e6 N/m"})
    sigma0 = 1e6
    _load(mech, hold, creep, sigma0)
    hold.lock(sigma0, mech.U)
    li = case.materials["li"]
    n = li["creep_exponent"]
    A = _norton_A(li)
    E = li["youngs_modulus"]
    E_eff = 1.0 / (1.0 / E + case.cell.area / (hold.stiffness * H))
    ts, ps, t = [], [], 0.0
    if uniform_dt is not None:
        steps = [uniform_dt] * int(round(t_end / uniform_dt))
    else:
        grid = np.logspace(-3, math.log10(t_end), int(7 * n_steps_per_decade) + 1)
        steps = np.diff(np.concatenate([[0.0], grid]))
    for dt in steps:
        _step(mech, creep, dt)
        t += dt
        ts.append(t)
        ps.append(mech.p_n)
    exact = (sigma0 ** (1 - n) + (n - 1) * A * E_eff * np.array(ts)) ** (1 / (1 - n))
    return np.array(ts), np.array(ps), exact


def test_stress_relaxation_in_fixed_gap_holder():
    t, p, exact = _relaxation(n_steps_per_decade=25)
    window = (t >= 1.0) & (t <= 1e4)  # four decades
    assert p[window][-1] < 0.5 * p[window][0]  # it really relaxes
    err = np.max(np.abs(p[window] / exact[window] - 1))
    assert err < 0.01, err


def test_first_order_convergence_in_time_step():
    errors = []
    for dt in (40.0, 20.0, 10.0):
        _, p, exact = _relaxation(uniform_dt=dt, t_end=400.0)
        errors.append(abs(p[-1] / exact[-1] - 1))
    rates = [math.log2(errors[i] / errors[i + 1]) for i in range(2)]
    assert all(0.85 < r < 1.15 for r in rates), (errors, rates)


def test_large_strain_constant_load_compression():
    case, mech, hold, creep = _cylinder(True, {"type": "constant_pressure", "pressure": "0.5 MPa"})
    p0 = 0.5e6
    _load(mech, hold, creep, p0)
    li = case.materials["li"]
    n = li["creep_exponent"]
    A = _norton_A(li)
    t, L0 = 0.0, H + mech.U
    dt = 1.0
    worst = 0.0
    while (H + mech.U) / L0 > 0.7:
        _step(mech, creep, dt)
        t += dt
        strain = math.log(L0 / (H + mech.U))
        exact = math.log(1 + n * A * p0**n * t) / n
        worst = max(worst, abs(strain / exact - 1))
        dt = min(dt * 1.1, 200.0)
    assert math.log(L0 / (H + mech.U)) > 0.35  # 30 % engineering strain reached
    assert worst < 0.02, worst


def test_a_step_past_the_creep_increment_bound_is_shortened_not_failed(shared_tmp):
    """The creep increment bound (mechanics.creep_max_increment) is an accuracy control: a step
    that breaks it is retried at the bound over the increment of its dt, counted as shortened,
    not as a failed solve (the bundled hold's press: six failed solves before)."""
    from fem import api
    from fem.run.stack_run import StackRun

    case = api.load("li_symmetric_hold", ["protocol.steps=['Press at 25 MPa for 20 s']",
                                          "solver.dt_initial='20 s'", "output.fields=false",
                                          "output.plots=false"])
    sim = StackRun(case, progress=False)
    sim.run(shared_tmp / "short", overwrite=True)
    assert sim.state.failed == 0
    assert sim.state.shortened >= 1
