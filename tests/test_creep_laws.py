"""Local creep integrators (fem.mechanics.creep_laws): residuals, consistent tangent, Masias rate,
Narayan-Anand steady state and backward-Euler convergence
(docs/references.md#derived-norton-fit, #anand2019, #derived-anand-steady-state)."""

import math

import numpy as np
import pytest
from conftest import serial_only

from fem.errors import CaseError
from fem.materials import load_material
from fem.mechanics.creep_laws import (
    GAS_CONSTANT,
    CreepLaw,
    NarayanAnandCreep,
    NortonCreep,
    creep_law_from_material,
)

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")

G_LI = 7.82e9 / (2 * (1 + 0.38))  # Pa, Li shear modulus (docs/references.md#masias2019)
SEQ_GRID = np.concatenate([[0.0], np.logspace(-2, 9, 111)])  # Pa, 0 and 1e-2 .. 1e9
DT_GRID = np.logspace(-6, 6, 13)  # s


@pytest.fixture(scope="module")
def norton() -> NortonCreep:
    return creep_law_from_material(load_material("li"), "norton")


@pytest.fixture(scope="module")
def anand() -> NarayanAnandCreep:
    return creep_law_from_material(load_material("li"), "narayan_anand")


def _norton_reference(law: NortonCreep, s: np.ndarray, G: float, dt: float, T: float) -> np.ndarray:
    """dp by bisection in extended precision (independent of the Newton solver)."""
    ld = np.longdouble
    A = ld(law.A_ref) * np.exp(-ld(law.Q) / ld(GAS_CONSTANT) * (1 / ld(T) - 1 / ld(law.T_ref)))
    t = s.astype(ld) / ld(law.sigma_ref)
    k = 3 * ld(G) * ld(dt) * A / ld(law.sigma_ref)
    lo, hi = np.zeros_like(t), t.copy()
    for _ in range(400):
        mid = 0.5 * (lo + hi)
        g = mid + k * mid ** ld(law.n) - t
        lo, hi = np.where(g < 0, mid, lo), np.where(g < 0, hi, mid)
    y = 0.5 * (lo + hi)
    return (ld(dt) * A * y ** ld(law.n)).astype(float)


def test_laws_follow_the_protocol(norton, anand):
    for law, n in ((norton, 0), (anand, 1)):
        assert isinstance(law, CreepLaw)
        assert law.n_state == n and law.initial_state(4).shape == (4, n)
    assert np.all(anand.initial_state(3) == anand.S0)
    with pytest.raises(CaseError):
        creep_law_from_material(load_material("li"), "sinh")


def test_norton_residual_and_reference_over_wide_grid(norton):
    """The returned dp solves seq = seq_tr - 3 G dp, dp = dt rate(seq) to ~1e-13 relative (the
    residual scaled by the Newton derivative, i.e. the size of the next correction relative to dp),
    for seq_tr from 0 to 1e9 Pa and dt from 1e-6 to 1e6 s, and matches an extended-precision
    bisection."""
    T = 313.15
    worst, worst_ref = 0.0, 0.0
    for dt in DT_GRID:
        dp, beta, state = norton.return_map(SEQ_GRID, G_LI, dt, T, norton.initial_state(SEQ_GRID.size))
        assert state.shape == (SEQ_GRID.size, 0)
        assert np.all(np.isfinite(dp)) and np.all(np.isfinite(beta))
        assert dp[0] == 0.0 and beta[0] == 0.0  # seq_tr = 0 exactly: no flow, finite tangent
        assert np.all(dp[1:] > 0) and np.all(3 * G_LI * dp <= SEQ_GRID * (1 + 1e-15))
        assert np.all((beta >= 0) & (beta <= 1 / (3 * G_LI)))
        seq = SEQ_GRID - 3 * G_LI * dp
        rate = norton.rate(seq, None, T)
        res = dp - dt * rate
        slope = 1 + 3 * G_LI * dt * norton.n * rate / np.where(seq > 0, seq, 1.0)
        rel = np.abs(res[1:]) / (dp[1:] * slope[1:])
        worst = max(worst, rel.max())
        ref = _norton_reference(norton, SEQ_GRID, G_LI, dt, T)
        worst_ref = max(worst_ref, np.max(np.abs(dp[1:] - ref[1:]) / ref[1:]))
    assert worst < 1e-12, worst
    if np.finfo(np.longdouble).eps < np.finfo(float).eps:
        assert worst_ref < 1e-12, worst_ref
    # The grid spans the slow (dp ~ dt rate(seq_tr)) and the stiff (seq << seq_tr) regime.
    dp_slow, *_ = norton.return_map(np.array([1e5]), G_LI, 1e-6, T, None)
    dp_stiff, *_ = norton.return_map(np.array([1e9]), G_LI, 1e6, T, None)
    assert dp_slow[0] == pytest.approx(1e-6 * norton.rate(np.array([1e5]), None, T)[0], rel=1e-12)
    assert 1e9 - 3 * G_LI * dp_stiff[0] < 1e-3 * 1e9


@pytest.mark.parametrize("law_name", ["norton", "narayan_anand"])
def test_beta_is_the_derivative_of_dp(law_name, norton, anand):
    """beta = d dp/d seq_tr equals a central finite difference (including, for Narayan-Anand, the
    dependence through S_{n+1})."""
    law = norton if law_name == "norton" else anand
    T = 313.15
    s = np.logspace(2, 8, 25)
    h = 1e-5 * s
    for G, dt in ((G_LI, 1e-4), (G_LI, 1.0), (G_LI, 1e4), (1e6, 10.0), (0.0, 1.0)):
        for S_n in ((None,) if law.n_state == 0 else (0.5e6, 0.95e6, 3e6)):
            state = law.initial_state(s.size) if S_n is None else np.full((s.size, 1), S_n)
            dp, beta, _ = law.return_map(s, G, dt, T, state)
            dpp, _, _ = law.return_map(s + h, G, dt, T, state)
            dpm, _, _ = law.return_map(s - h, G, dt, T, state)
            fd = (dpp - dpm) / (2 * h)
            np.testing.assert_allclose(beta, fd, rtol=1e-6, atol=0)
    # seq_tr = 0: finite limit (0 for a stress exponent > 1), no state change.
    state = np.full((1, law.n_state), 1e6)
    dp, beta, new = law.return_map(np.array([0.0]), G_LI, 10.0, T, state)
    assert dp[0] == 0.0 and beta[0] == 0.0 and np.array_equal(new, state)


def test_beta_through_state_matters(anand):
    """The IFT term through S is not negligible where S evolves much within a step (here
    stress-controlled, G = 0): a tangent with S frozen at S_{n+1} is off by ~40 %."""
    s, T, dt = np.array([1e6]), 313.15, 1.0
    state = anand.initial_state(1)
    dp, beta, S = anand.return_map(s, 0.0, dt, T, state)
    frozen = NortonCreep(A_ref=anand.nu(T), n=1 / anand.m, sigma_ref=S[0, 0], T_ref=T, Q=0.0)
    dp_frozen, beta_frozen, _ = frozen.return_map(s, 0.0, dt, T, None)
    assert dp_frozen[0] == pytest.approx(dp[0], rel=1e-12)
    assert abs(beta[0] - beta_frozen[0]) > 0.2 * beta[0]


def test_norton_rate_at_masias_point_and_arrhenius(norton):
    """li card: 7.73e-3 1/s at 1 MPa and 299.15 K (docs/references.md#derived-norton-fit); the
    temperature ratio is exp(-Q/R (1/T1 - 1/T2))."""
    assert norton.n == pytest.approx(6.56) and norton.Q == pytest.approx(37e3)
    assert norton.rate(np.array([1e6]), None, 299.15)[0] == pytest.approx(7.73e-3, rel=1e-12)
    assert norton.rate(np.array([0.4e6]), None, 299.15)[0] == pytest.approx(
        7.73e-3 * 0.4**6.56, rel=1e-12)
    T1, T2 = 273.15, 333.15
    r1 = norton.rate(np.array([0.5e6]), None, T1)[0]
    r2 = norton.rate(np.array([0.5e6]), None, T2)[0]
    assert r1 / r2 == pytest.approx(math.exp(-37e3 / GAS_CONSTANT * (1 / T1 - 1 / T2)), rel=1e-12)


def test_anand_without_hardening_is_norton(anand):
    """H0 = 0 freezes S = S_n: the return must equal a Norton return with sigma_ref = S_n."""
    soft = NarayanAnandCreep(**{**anand.__dict__, "H0": 0.0})
    T, dt = 298.15, 3.0
    s = np.logspace(3, 8, 30)
    dp, beta, S = soft.return_map(s, G_LI, dt, T, soft.initial_state(s.size))
    ref = NortonCreep(A_ref=soft.nu(T), n=1 / soft.m, sigma_ref=soft.S0, T_ref=T, Q=0.0)
    dp_ref, beta_ref, _ = ref.return_map(s, G_LI, dt, T, None)
    np.testing.assert_allclose(S[:, 0], soft.S0, rtol=1e-15)
    np.testing.assert_allclose(dp, dp_ref, rtol=1e-12)
    np.testing.assert_allclose(beta, beta_ref, rtol=1e-12)


def test_anand_wide_grid_is_finite_and_consistent(anand):
    """Robust over seq_tr 0..1e9 Pa, dt 1e-6..1e6 s, S_n from soft to hard: the returned pair
    satisfies both backward-Euler equations."""
    T = 313.15
    for dt in DT_GRID[::2]:
        for S_n in (0.2e6, 0.95e6, 5e6):
            state = np.full((SEQ_GRID.size, 1), S_n)
            dp, beta, S = anand.return_map(SEQ_GRID, G_LI, dt, T, state)
            assert np.all(np.isfinite(dp)) and np.all(np.isfinite(beta)) and np.all(S > 0)
            S = S[:, 0]
            seq = SEQ_GRID - 3 * G_LI * dp
            assert np.all(seq >= -1e-6 * SEQ_GRID)
            rate = anand.rate(np.maximum(seq, 0), S[:, None], T)
            slope = 1 + 3 * G_LI * dt * rate / anand.m / np.where(seq > 0, seq, 1.0)
            rel = np.abs(dp - dt * rate)[1:] / (dp[1:] * slope[1:])
            assert rel.max() < 1e-12, (dt, S_n, rel.max())
            ratio = S[1:] / (anand.S_tilde * (dp[1:] / (dt * anand.nu(T))) ** anand.n_s)  # S/S*
            u = 1 - ratio
            hard = S[1:] - S_n - anand.H0 * np.abs(u) ** anand.a * np.sign(u) * dp[1:]
            assert np.all(np.abs(hard) <= 1e-11 * np.maximum(S[1:], S_n)), (dt, S_n)
            assert S[0] == S_n


def test_anand_steady_state_reproduces_closed_form(anand):
    """Constant-stress creep (G = 0: stress-controlled local update) with many growing steps:
    S -> S* and the late-time rate -> nu0 exp(-Q/RT) (seq/S_tilde)^(1/(m+n_s))
    (docs/references.md#derived-anand-steady-state),
    while the initial rate (S = S0) is far from it."""
    T = 313.15
    seq = np.array([0.5e6, 1e6, 2e6])
    state = anand.initial_state(seq.size)
    rates = []
    for dt in np.geomspace(1e-3, 1e7, 400):
        dp, _, state = anand.return_map(seq, 0.0, dt, T, state)
        rates.append(dp / dt)
    closed = anand.steady_state_rate(seq, T)
    np.testing.assert_allclose(rates[-1], closed, rtol=1e-2)
    assert np.all(np.abs(rates[0] / closed - 1) > 0.5)
    assert closed[1] == pytest.approx(anand.nu(T) * (1e6 / 2e6) ** 5, rel=1e-12)
    # at 298 K, nu0 exp(-Q/RT) = 1.40e-2 1/s (docs/references.md#derived-anand-steady-state)
    assert anand.nu(298.0) == pytest.approx(1.40e-2, rel=1e-2)


def test_maxwell_relaxation_is_first_order(norton):
    """Constant total strain: d seq/dt = -3 G rate(seq). Backward Euler (the return map with
    seq_tr = seq_n) against sigma(t) = [sigma0^(1-n) + (n-1) 3 G A t]^(1/(1-n)),
    A = A_ref/sigma_ref^n: halving dt halves the error."""
    T = norton.T_ref
    n = norton.n
    A = norton.A_ref / norton.sigma_ref**n
    s0 = np.array([1e6, 0.6e6])
    tau = s0[0] / (3 * G_LI * norton.rate(s0[:1], None, T)[0] * (n - 1))
    t_end = 20 * tau
    exact = (s0 ** (1 - n) + (n - 1) * 3 * G_LI * A * t_end) ** (1 / (1 - n))
    assert np.all(exact < 0.9 * s0)  # a real relaxation
    errors = []
    for N in (200, 400, 800):
        s = s0.copy()
        for _ in range(N):
            dp, _, _ = norton.return_map(s, G_LI, t_end / N, T, None)
            s = s - 3 * G_LI * dp
        errors.append(np.abs(s - exact) / exact)
    errors = np.array(errors)
    order = np.log2(errors[:-1] / errors[1:])
    assert np.all((order > 0.9) & (order < 1.1)), order


def test_bad_input_is_rejected(norton, anand):
    with pytest.raises(ValueError):
        norton.return_map(np.array([-1.0]), G_LI, 1.0, 300.0, None)
    with pytest.raises(ValueError):
        norton.return_map(np.array([1.0]), G_LI, -1.0, 300.0, None)
    with pytest.raises(ValueError):
        anand.return_map(np.array([1.0, 2.0]), G_LI, 1.0, 300.0, anand.initial_state(1))
