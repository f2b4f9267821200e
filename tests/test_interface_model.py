"""Verification of the reduced Li | separator interface model (fem.interface.contact_state)
against closed-form solutions, and of the short criterion / terminator in a run."""

import copy
import json

import numpy as np
import pytest
from conftest import BASE_CASE

from fem.case.loader import load_case_dict
from fem.errors import CaseError
from fem.interface.contact_state import ContactState, InterfaceParameters
from fem.output.history import read_history
from fem.protocol.parser import parse_step
from fem.run.stack_run import StackRun

N, T = 6.56, 298.15


def _params(**kw) -> InterfaceParameters:
    base = dict(creep_reference_rate=3e-12, creep_exponent=N, creep_reference_stress=1e6,
                creep_activation_energy=37e3, creep_reference_temperature=T,
                li_molar_volume=13e-6)
    base.update(kw)
    return InterfaceParameters(**base)


@pytest.mark.parametrize("dt", [1.0, 10.0])
def test_contact_growth_matches_the_closed_form(dt):
    """No current, no diffusion: d(f^n)/dt = 2 n eps_c(p/c) gives
    f(t) = [f0^n + 2 n eps_c t]^(1/n) (docs/references.md#derived-creep-contact-growth). Backward
    Euler in f: first-order error, asserted below 1 % at dt = 10 s and falling with dt."""
    pr = _params(li_self_diffusivity=1e-30)
    st = ContactState(pr, 3)
    p = np.array([15e6, 20e6, 25e6])
    st.initialise(p)
    f0 = st.f.copy()
    assert np.allclose(f0, 0.3)  # p / (3 x 0.8 MPa) above the 0.3 cap
    t = 0.0
    while t < 300.0 - 1e-9:
        st.advance(p, np.zeros(3), dt, T)
        st.commit()
        t += dt
    eps = pr.creep_rate(p / 3.0, T)
    exact = np.minimum((f0 ** N + 2 * N * eps * t) ** (1 / N), 1.0)
    err = np.max(np.abs(st.f - exact) / exact)
    assert err < (1e-2 if dt == 10.0 else 1.5e-3), (st.f, exact)


def test_time_step_convergence_is_first_order():
    pr = _params(li_self_diffusivity=1e-30)
    p = np.array([20e6])
    eps = pr.creep_rate(p / 3.0, T)
    errs = []
    for dt in (20.0, 10.0, 5.0):
        st = ContactState(pr, 1)
        st.initialise(p)
        for _ in range(int(200 / dt)):
            st.advance(p, np.zeros(1), dt, T)
            st.commit()
        exact = (0.3 ** N + 2 * N * eps * 200.0) ** (1 / N)
        errs.append(abs(st.f[0] - exact[0]))
    rates = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(rates > 0.85) and np.all(rates < 1.3), rates


def test_stripping_settles_where_supply_meets_the_flux():
    """Steady stripping: (1) has its fixed point where creep + diffusion supply equal the
    stripping flux, i.e. void margin 0; the integrated state goes there (above the plastic
    floor p / H = 0.21 at 0.5 MPa)."""
    pr = _params()
    st = ContactState(pr, 1)
    p, i = np.array([0.5e6]), np.array([-5.0])  # 0.5 mA/cm^2 stripping
    st.f[:] = 1.0
    for _ in range(3000):  # 3e5 s, fifty time constants
        st.advance(p, i, 100.0, T)
        st.commit()
    f = st.f[0]
    v_heal, v_spot = pr.supply_velocities(p, f, T)
    supply = pr.roughness_height * 2 * pr.creep_rate(p / 3, T) * f ** (1 - N) + v_heal + v_spot
    assert supply[0] == pytest.approx(pr.strip_velocity(-i)[0], rel=1e-6)
    assert abs(st.void_margin[0]) < 1e-5 and 0.21 < f < 1.0


def test_void_margin_sign_and_no_stripping():
    pr = _params()
    st = ContactState(pr, 3)
    st.f[:] = 0.9
    st.advance(np.full(3, 5e6), np.array([0.0, 5.0, -100.0]), 1.0, T)
    assert st.void_margin[0] == 1.0 and st.void_margin[1] == 1.0  # no stripping
    assert st.void_margin[2] < 0  # 10 mA/cm^2 stripping outruns the supply


def test_plating_restores_contact_at_the_deposition_rate():
    """No pressure (no creep, no diffusion supply): plating alone closes the gaps,
    d(1 - f)/dt = -(v_p / h)(1 - f), so 1 - f = (1 - f0) exp(-v_p t / h); backward Euler
    within 0.5 % at 60 steps per time constant; stripping at the same current then opens them
    again (f falls)."""
    pr = _params()
    st = ContactState(pr, 1)
    st.f[:] = 0.4
    i = np.array([10.0])  # 1 mA/cm^2 plating
    tau = pr.roughness_height / pr.strip_velocity(i)[0]
    dt = tau / 60.0
    for _ in range(120):
        st.advance(np.zeros(1), i, dt, T)
        st.commit()
    exact = 1.0 - 0.6 * np.exp(-2.0)
    assert st.f[0] == pytest.approx(exact, rel=5e-3)
    assert st.void_margin[0] == 1.0  # plating: no stripping margin
    f_plated = st.f[0]
    st.advance(np.zeros(1), -i, dt, T)
    assert st.f_new[0] < f_plated


def test_extrusion_depth_grows_at_the_indentation_creep_rate():
    """At full contact dd/dt = r_p eps_c(p / c): linear in time, to round-off."""
    pr = _params()
    st = ContactState(pr, 1)
    st.f[:] = 1.0
    p = np.array([25e6])
    for _ in range(10):
        st.advance(p, np.zeros(1), 360.0, T)
        st.commit()
    exact = pr.pore_radius * pr.creep_rate(p / 3.0, T)[0] * 3600.0
    assert st.depth[0] == pytest.approx(exact, rel=1e-12)
    beta = 1 + st.depth[0] / pr.pore_radius
    st.advance(p, np.array([10.0]), 1.0, T)
    assert st.focused_current[0] == pytest.approx(10.0 * (1 + st.depth_new[0] / pr.pore_radius))
    assert beta > 1.0


def test_ccd_ramp_parses():
    steps = parse_step("CCD ramp from 0.1 to 0.3 mA/cm^2 in steps of 0.1 mA/cm^2 with "
                       "0.1 mAh/cm^2 per half cycle")
    assert [s.direction for s in steps] == [1, -1] * 3
    assert [s.ccd_level for s in steps] == pytest.approx([1, 1, 2, 2, 3, 3])
    assert [s.duration for s in steps] == pytest.approx([3600, 3600, 1800, 1800, 1200, 1200])
    with pytest.raises(CaseError, match="areal capacity"):
        parse_step("CCD ramp from 0.1 to 0.3 mA/cm^2 in steps of 0.1 mA/cm^2 with 3 MPa per "
                   "half cycle")


def _symmetric(i_crit: str, shorts: bool) -> dict:
    raw = copy.deepcopy(BASE_CASE)
    raw["cell"]["kind"] = "symmetric"
    raw["cell"]["layers"] = [
        {"name": "li_bottom", "role": "li", "material": "li", "thickness": "100 um"},
        {"name": "separator", "role": "separator", "material": "li6ps5cl",
         "thickness": "700 um"},
        {"name": "li_top", "role": "li", "material": "li", "thickness": "100 um"}]
    raw["mesh"] = {"li_cells": 1, "size_min": "100 um", "size_max": "1 mm", "element_degree": 2}
    raw["mechanics"] = {"large_deformation": False}
    raw["interface"] = {"critical_local_current_density": i_crit}
    raw["protocol"]["steps"] = [
        "Press at 25 MPa for 1 min", "Release to 5 MPa", "Lock gap",
        "CCD ramp from 0.2 to 1 mA/cm^2 in steps of 0.2 mA/cm^2 with 0.05 mAh/cm^2 per half "
        "cycle"]
    raw["solver"] = {"dt_initial": "10 s", "dt_max": "5 min"}
    raw["output"] = {"plots": False, "fields": not shorts}
    return raw


def test_terminator_stops_at_the_first_step_over_the_criterion(shared_tmp, comm):
    """A cell built to short (low critical current) stops on the first accepted step whose
    focused plating current exceeds it: that step is the last history row, no earlier row
    exceeds it, and summary.json reports the step, the current and the reason."""
    out = StackRun(load_case_dict(_symmetric("0.5 mA/cm^2", True)), comm,
                     progress=False).run(shared_tmp / "short")
    if comm.rank != 0:
        return
    summary = json.loads((out / "summary.json").read_text())
    h = read_history(out / "history.csv")
    short = summary["results"]["short"]
    assert summary["status"] == "short_predicted" and short["mechanism"] == "filament"
    foc = np.asarray(h["focused_current_density_mA_cm2"])
    assert foc[-1] > 0.5 and np.all(foc[:-1] <= 0.5)
    assert short["step"] == len(foc) - 1  # rows: the initial load, then one per step
    assert short["focused_current_density_mA_cm2"] == pytest.approx(foc[-1])
    assert h["step_label"][-1] == short["protocol_label"]
    assert summary["results"]["ccd_mA_cm2"] == pytest.approx(
        float(short["protocol_label"].rsplit("[", 1)[1].split()[0]))
    assert "critical 0.5 mA/cm^2" in short["reason"]


def test_cell_built_not_to_short_does_not(shared_tmp, comm):
    out = StackRun(load_case_dict(_symmetric("500 mA/cm^2", False)), comm,
                     progress=False).run(shared_tmp / "safe")
    if comm.rank != 0:
        return
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["results"]["short"] is None
    assert summary["results"]["ccd_mA_cm2"] is None
    assert summary["results"]["ccd_lower_bound_mA_cm2"] == pytest.approx(1.0)
    h = read_history(out / "history.csv")
    assert min(h["min_contact_fraction"]) > 0 and max(h["contact_fraction"]) <= 1.0
    assert (out / "fields.xdmf").read_text().count('Name="contact_fraction"') > 1


def test_interface_needs_li_on_the_separator():
    import tomllib

    from conftest import ROOT

    raw = tomllib.loads((ROOT / "cases/lco_li1si.toml").read_text())
    raw["interface"] = {"enabled": True}
    with pytest.raises(CaseError, match="interface.enabled"):
        load_case_dict(raw)
