"""Verification of the rigid-surface contact (fem.contact) against Westergaard's solution.

Problem: a linear elastic block (plane strain, E = 10 GPa, nu = 0.3) of thickness 2 lambda
pressed by a uniform mean pressure p onto a rigid sinusoid s = h cos(2 pi x / lambda) with
h / lambda = 0.01 (small slope, so the linear half-space theory applies), frictionless. One half
wavelength with roller sides is the exact periodic unit cell (see fem.contact.elastic_block).
P2 elements of size lambda/1000 on the contact face, growing by 0.3 per unit depth. Penalty
10 E*/h_e with augmented-Lagrangian updates until the penetration is below TOL = 1e-4 h.

Westergaard / Johnson (Contact Mechanics, sec. 13.2): p* = pi E* h / lambda,
sin^2(pi a / lambda) = p / p*, p(x) = 2p/sin^2(pi a/lambda) cos(pi x/lambda)
sqrt(sin^2(pi a/lambda) - sin^2(pi x/lambda)); full contact for p >= p*.

Checks:
(1) contact fraction 2a/lambda within 2 % at p/p* = 0.1, 0.3, 0.6 (measured: 0.41 %, 0.18 %,
    0.04 %); pressure distribution: relative L2 error < 1 % and max error < 3 % of the peak
    (measured: L2 0.08 %, 0.04 %, 0.02 %; max 0.7 %, 0.6 %, 0.3 %); full contact at p = 1.2 p*
    (fraction 1, pressure p + p* cos(2 pi x/lambda)) and nearly full at p = p* (> 0.99).
(2) penetration below TOL at every contact-face node (the quadrature points of the contact
    integral) and force balance |int p dGamma / (p lambda/2) - 1| < 1e-8 (measured ~1e-14).
"""

import math

import numpy as np
import pytest

from fem._dolfinx import MPI
from fem.contact import westergaard as wg
from fem.contact.elastic_block import ElasticContactBlock
from fem.contact.meshes import block_mesh
from fem.contact.surfaces import HeightMapSurface, SinusoidSurface
from fem.geometry.roughness import HeightMap

LAM = 100e-6
H = 0.01 * LAM
E, NU = 10e9, 0.3
HS = LAM / 1000
TOL = 1e-4 * H
RATIOS = (0.1, 0.3, 0.6, 1.0, 1.2)


@pytest.fixture(scope="module")
def results():
    cm = block_mesh(MPI.COMM_WORLD, (LAM / 2,), 2 * LAM, HS, LAM / 10, grading=0.3)
    block = ElasticContactBlock(cm, E, NU, SinusoidSurface(H, LAM), HS, degree=2)
    p_star = wg.full_contact_pressure(block.E_star, H, LAM)
    return p_star, {r: block.solve(r * p_star, TOL) for r in RATIOS}


def _profile_errors(res, p_star):
    x = res.state.coordinates[:, 0]
    exact = wg.pressure(x, res.pressure, p_star, LAM)
    err = res.state.pressure - exact
    l2 = math.sqrt(np.trapezoid(err**2, x) / np.trapezoid(exact**2, x))
    return l2, float(np.max(np.abs(err)) / np.max(exact))


@pytest.mark.parametrize("ratio", [0.1, 0.3, 0.6])
def test_partial_contact_width_and_pressure(results, ratio):
    p_star, res = results
    r = res[ratio]
    expected = wg.contact_fraction(r.pressure, p_star)
    assert r.state.contact_fraction == pytest.approx(expected, rel=0.02)
    l2, mx = _profile_errors(r, p_star)
    assert l2 < 0.01
    assert mx < 0.03


def test_full_contact_above_p_star(results):
    p_star, res = results
    assert res[1.2].state.contact_fraction == pytest.approx(1.0, abs=1e-12)
    l2, mx = _profile_errors(res[1.2], p_star)
    assert l2 < 1e-3 and mx < 3e-3
    assert res[1.0].state.contact_fraction > 0.99
    assert res[1.0].state.mean_gap < 1e-3 * H
    # the void shrinks monotonically with the load and vanishes in full contact
    voids = [res[k].state.void for k in RATIOS]
    assert all(a > b for a, b in zip(voids[:3], voids[1:4], strict=True))
    assert voids[-1] == pytest.approx(0.0, abs=1e-9 * H * LAM)


@pytest.mark.parametrize("ratio", RATIOS)
def test_penetration_and_force_balance(results, ratio):
    _, res = results
    r = res[ratio]
    assert r.report.converged
    assert r.state.max_penetration <= TOL
    assert float(np.min(r.state.gap)) >= -TOL
    assert np.all(r.state.pressure >= 0.0)
    load = r.pressure * LAM / 2
    assert abs(r.state.force / load - 1.0) < 1e-8
    # complementarity: no pressure where the gap is open by more than the tolerance
    assert np.all(r.state.pressure[r.state.gap > TOL] == 0.0)


def test_height_map_surface_matches_sinusoid():
    x = np.linspace(0.0, 3 * LAM, 401)[:, None]
    samples = H * np.cos(2 * np.pi * np.arange(128) / 128)
    hm = HeightMapSurface(HeightMap(samples, LAM), offset=0.0)
    exact = SinusoidSurface(H, LAM).height(x)
    assert np.max(np.abs(hm.height(x) - exact)) < 1e-5 * H
    assert hm.amplitude == pytest.approx(H, rel=1e-6)


def test_3d_slab_p1():
    """3D with P1 tetrahedra (vertex-rule contact): a slab of the same problem, lambda/50 deep in
    y with rollers on its front and back faces (plane strain), at p = 0.3 p*. Element size
    lambda/200 on the contact face, lambda/30 in the bulk. Measured: fraction -0.28 %."""
    hs = LAM / 200
    cm = block_mesh(MPI.COMM_WORLD, (LAM / 2, LAM / 50), LAM, hs, LAM / 30, grading=0.15)
    block = ElasticContactBlock(cm, E, NU, SinusoidSurface(H, LAM), hs, degree=1)
    p_star = wg.full_contact_pressure(block.E_star, H, LAM)
    r = block.solve(0.3 * p_star, TOL)
    assert r.state.contact_fraction == pytest.approx(wg.contact_fraction(0.3 * p_star, p_star), rel=0.02)
    assert r.state.max_penetration <= TOL
    assert abs(r.state.force / (0.3 * p_star * LAM / 2 * LAM / 50) - 1.0) < 1e-8
