"""Li leaving a foil at the die (fem.mechanics.die_rim, fem.mechanics.rim_outflow).

* The rim law: the clearance flow (1) of fem.mechanics.die_rim against the power-law slit
  formula computed here, and its derivatives against finite differences.
* The finite-element squeeze flow of a foil with a free rim (the pocket phase) against the
  closed-form squeeze estimate for a Norton disc between sticking faces (lubrication theory,
  docs/references.md#derived-squeeze-film):

      h_dot = 4 B / (n + 2) ((3n + 1)/n)^n (h/2)^(n+2) p^n / R^(n+1),   B = 3^((n+1)/2) A(T)

  within a factor 1.5, and its pressure exponent within 0.7 of n (the estimate neglects the
  elastic layers, the corners and the flow near the rim), at the default resolution of the
  foil (``mesh.li_cells = 4`` quadratic elements through it); with 2 elements through it the
  rate is far lower (measured when this test was written: 0.35, 0.80, 0.85 of the closed form with 2, 4,
  8 elements; no longer re-run by the test, for the suite's time): the shear of a Norton flow
  between sticking faces sits in thin layers at the faces.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from conftest import BASE_CASE

from fem.case.loader import load_case_dict
from fem.constants import GAS_CONSTANT
from fem.mechanics.die_rim import RimLaw, RimSettings
from fem.output.history import read_history
from fem.run.stack_run import StackRun

N, A_REF, Q, T_REF = 6.56, 7.73e-3, 37e3, 299.15  # the li card's Norton law


def _law(**kw) -> RimLaw:
    s = dict(layer="li", radius=5e-3, pocket_volume=1e-9, clearance=40e-6,
             clearance_expansion=2e-7, entrance_length=1.0, creep_exponent=N,
             creep_reference_rate=A_REF, creep_reference_stress=1e6,
             creep_reference_temperature=T_REF, creep_activation_energy=Q)
    s.update(kw)
    return RimLaw(RimSettings(**s))


def test_slit_flow_formula():
    """Q = 2 pi R 2B/(n+2) (c/2)^(n+2) (p / (s_ref L_e))^n with L_e = L + lambda c."""
    law = _law()
    law.V_n = 2e-9  # past the pocket: L = 1e-9 / (2 pi R c)
    T, p, dt = 313.15, 4e6, 60.0
    c = 40e-6 + 2e-7 * (T - 298.15)
    L_e = 1e-9 / (2 * math.pi * 5e-3 * c) + c
    B = 3 ** ((N + 1) / 2) * A_REF * math.exp(-Q / GAS_CONSTANT * (1 / T - 1 / T_REF))
    Q_ref = 2 * math.pi * 5e-3 * 2 * B / (N + 2) * (c / 2) ** (N + 2) * (p / 1e6 / L_e) ** N
    assert law.flow(p, 2e-9, T)[0] == pytest.approx(Q_ref, rel=1e-12, abs=0.0)
    assert law.flow(-p, 2e-9, T) == (0.0, 0.0, 0.0)  # the clearance never pushes Li back
    # (3): zero where the step's outflow is the slit flow (V = V_n + dt Q(p, V), by iteration),
    # positive when less left the foil (the rim holds it back), negative when more did
    V = law.V_n
    for _ in range(20):
        V = law.V_n + dt * law.flow(p, V, T)[0]
    assert abs(law.residual(p, V, dt, T)[0]) < 1e-9  # round-off of V ~ V_n: 1e-11
    assert law.residual(p, law.V_n, dt, T)[0] > 0 > law.residual(p, 2 * V - law.V_n + 1e-14,
                                                                 dt, T)[0]


def test_rim_law_derivatives():
    law = _law()
    law.V_n = 2e-9
    T, dt, p, V = 303.15, 30.0, 3e6, 2.5e-9
    g, dg_dp, dg_dV = law.residual(p, V, dt, T)
    hp, hV = 1e-3 * p, 1e-6 * V
    fd_p = (law.residual(p + hp, V, dt, T)[0] - law.residual(p - hp, V, dt, T)[0]) / (2 * hp)
    fd_V = (law.residual(p, V + hV, dt, T)[0] - law.residual(p, V - hV, dt, T)[0]) / (2 * hV)
    assert dg_dp == pytest.approx(fd_p, rel=1e-6)
    assert dg_dV == pytest.approx(fd_V, rel=1e-6)
    law.V_n = 0.0  # the pocket fills: a free rim
    assert law.residual(2e6, 1e-10, dt, T)[0] == pytest.approx(2.0)


def _squeeze_case(pressure_mpa: float, seconds: float, li_cells: int = 4) -> dict:
    raw = copy.deepcopy(BASE_CASE)
    raw["name"] = "squeeze"
    raw["cell"] = {"kind": "symmetric", "radius": "5 mm", "die": {"enabled": True},
                   "layers": [
                       {"name": "li_bottom", "role": "li", "material": "li", "thickness": "100 um"},
                       {"name": "separator", "role": "separator", "material": "li6ps5cl",
                        "thickness": "700 um"},
                       {"name": "li_top", "role": "li", "material": "li", "thickness": "100 um"}]}
    raw["mesh"] = {"size_min": "50 um", "size_max": "500 um", "element_degree": 2,
                   "li_cells": li_cells}
    raw["mechanics"] = {"large_deformation": False}
    # a pocket far larger than the outflow: the rim stays free (the squeeze alone)
    raw["holder"] = {"type": "fixed_gap", "pressure": "5 MPa", "card": "lab_peek_ti",
                     "card_values": {"edge_chamfer": "2 mm"}}
    raw["protocol"] = {"steps": [f"Press at {pressure_mpa} MPa for {seconds} s"]}
    raw["solver"] = {"dt_initial": "0.1 s", "dt_min": "1 ms", "dt_max": "20 s"}
    raw["output"] = {"fields": False, "plots": False}
    raw["interface"] = {"enabled": False}
    return raw


def _closed_form(p: float, T: float = 298.15, h: float = 100e-6, R: float = 5e-3) -> float:
    B = 3 ** ((N + 1) / 2) * A_REF * math.exp(-Q / GAS_CONSTANT * (1 / T - 1 / T_REF))
    return 4 * B / (N + 2) * ((3 * N + 1) / N) ** N * (h / 2) ** (N + 2) * (p / 1e6) ** N \
        / R ** (N + 1)


def _fe_rate(shared_tmp, comm, pressure_mpa, t0, t1, li_cells: int = 4) -> float:
    raw = _squeeze_case(pressure_mpa, t1, li_cells)
    out = StackRun(load_case_dict(raw), comm, progress=False).run(
        shared_tmp / f"squeeze{pressure_mpa}-{li_cells}")
    h = read_history(out / "history.csv")
    t = np.asarray(h["time_s"])
    thin = np.asarray(h["li_top_outflow_um"]) * 1e-6
    a, b = np.interp([t0, t1], t, thin)
    return (b - a) / (t1 - t0)


@pytest.mark.slow
def test_fe_squeeze_flow_against_the_closed_form(shared_tmp, comm):
    fast = _fe_rate(shared_tmp, comm, 25.0, 20.0, 60.0)
    slow = _fe_rate(shared_tmp, comm, 12.5, 200.0, 400.0)
    for rate, p in ((fast, 25e6), (slow, 12.5e6)):
        assert 1 / 1.5 < rate / _closed_form(p) < 1.5, (rate, _closed_form(p))
    exponent = math.log(fast / slow) / math.log(2.0)
    assert abs(exponent - N) < 0.7, exponent
