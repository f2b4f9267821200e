"""Single-point paths of the compaction law (:mod:`fem.mechanics.compaction_law`): the die
compaction that makes a pressed layer's initial state, and the isotropic and die paths the
verification tests compare with closed forms.

Axes: the law's tensors with the die (pressing) axis z = index 2; a die path keeps the lateral
strains zero (eps_rr = eps_tt = 0, the rigid die wall) and drives the axial strain so that
sigma_zz = -P (compression P > 0), by a scalar Newton iteration with the algorithmic tangent
C_zzzz at each load level.

The state of a layer "pressed at P_press" (:func:`pressed_state`): the loose powder (the
Heckel curve at the elastic floor pressure p0, i.e. essentially its intercept density
1 - exp(-A): the tap state the Heckel fit extrapolates to), stress-free, is die-compacted to
P_press in geometric load steps and unloaded to sigma_zz = 0 in the die. What remains is the
density D, the consolidation pressure p_c, the plastic strain and the elastic strain of the
radial stress the die wall keeps (the pellet stays in the die it was pressed in). A layer
without a die is then released to zero stress (:func:`released`).

The layer's relative density after pressing is the build's (the case's layer value, else the
card's): it is what the layer's thickness is computed from, the measured state of the pellet.
The Heckel slope (1/P_y) is the powder's; the intercept A (the starting, tap-like density) is
set so that the die path at P_press ends at that density (:func:`calibrate_intercept`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from fem.mechanics.compaction_law import CompactionLaw

AXIS = 2
#: Load steps of the pressing path (geometric in P from p0 to P_press) and of the unloading.
PRESS_STEPS = 50
UNLOAD_STEPS = 20


@dataclass
class PointState:
    """One material point: elastic strain, plastic strain (tension positive), density."""

    elastic_strain: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    plastic_strain: np.ndarray = field(default_factory=lambda: np.zeros((3, 3)))
    density: float = 0.0

    def copy(self) -> PointState:
        return PointState(self.elastic_strain.copy(), self.plastic_strain.copy(), self.density)


@dataclass
class PathPoint:
    """A converged point of a path: the state, its stress and the total strain."""

    state: PointState
    stress: np.ndarray
    strain: np.ndarray
    plastic: bool


def loose_state(law: CompactionLaw) -> PointState:
    """The stress-free loose powder: D on the Heckel curve at the floor pressure p0."""
    return PointState(density=float(law.hardening.density(law.elasticity.floor_pressure)))


def strain_step(law: CompactionLaw, state: PointState, deps: np.ndarray):
    """The return map of one total-strain increment (3, 3) from ``state``: (new state, result)."""
    trial = state.elastic_strain + deps
    res = law.return_map(trial[None], np.array([state.density]))
    if not res.converged[0]:
        raise RuntimeError("compaction return map did not converge")
    new = PointState(res.elastic_strain[0], state.plastic_strain + trial - res.elastic_strain[0],
                     float(res.density[0]))
    return new, res


def die_step(law: CompactionLaw, state: PointState, pressure: float, guess: float = 0.0,
             tol: float = 1e-12, max_it: int = 50) -> tuple[PointState, float, np.ndarray, bool]:
    """Axial strain increment (lateral strains zero) to sigma_zz = -pressure: (state, d eps_zz,
    stress, plastic). Newton safeguarded by bisection (as rtsafe of Press et al.): sigma_zz
    grows monotonically with eps_zz, and Newton alone cycles where the tangent jumps (elastic
    against plastic), so a step that leaves the bracket or does not halve the last one is a
    bisection."""
    de = guess
    scale = max(abs(pressure), law.elasticity.floor_pressure)
    lo, hi = -np.inf, np.inf  # bracket of the root in d eps_zz
    last = np.inf
    for _ in range(max_it):
        d = np.zeros((3, 3))
        d[AXIS, AXIS] = de
        new, res = strain_step(law, state, d)
        r = res.stress[0, AXIS, AXIS] + pressure
        if abs(r) <= tol * scale:
            return new, de, res.stress[0], bool(res.plastic[0])
        if r > 0:
            hi = min(hi, de)
        else:
            lo = max(lo, de)
        newton = -r / res.tangent[0, AXIS, AXIS, AXIS, AXIS]
        if lo < de + newton < hi and abs(newton) <= 0.5 * last:
            step = newton
        elif np.isfinite(lo + hi):
            step = 0.5 * (lo + hi) - de
        else:  # no bracket yet: go on in the direction of the root
            step = newton if lo < de + newton < hi else -np.sign(r) * 2 * (abs(de) + 1e-6)
        last, de = abs(step), de + step
    raise RuntimeError(f"die path did not converge at {pressure:.6g} Pa")


def die_path(law: CompactionLaw, state: PointState, pressures) -> list[PathPoint]:
    """The die path through the axial pressures ``pressures`` (Pa) from ``state``."""
    out, strain, de = [], np.zeros((3, 3)), 0.0
    for P in pressures:
        state, de, stress, plastic = die_step(law, state, float(P), guess=de)
        strain = strain.copy()
        strain[AXIS, AXIS] += de
        out.append(PathPoint(state, stress, strain, plastic))
    return out


def isotropic_path(law: CompactionLaw, state: PointState, volumetric_strains) -> list[PathPoint]:
    """Strain-driven isotropic path: total strain -e_v/3 I for each e_v (compression +)."""
    out, prev = [], 0.0
    for ev in volumetric_strains:
        state, res = strain_step(law, state, -(ev - prev) / 3.0 * np.eye(3))
        prev = ev
        out.append(PathPoint(state, res.stress[0], -ev / 3.0 * np.eye(3), bool(res.plastic[0])))
    return out


def pressing_loads(law: CompactionLaw, pressure: float) -> np.ndarray:
    """Axial pressures of the pressing (geometric from p0) and the unloading (linear to 0)."""
    p0 = law.elasticity.floor_pressure
    up = np.geomspace(p0, pressure, PRESS_STEPS)
    down = np.linspace(pressure, 0.0, UNLOAD_STEPS + 1)[1:]
    return np.concatenate([up, down])


def pressed_state(law: CompactionLaw, pressure: float, confined: bool = True) -> PointState:
    """The loose powder die-compacted to ``pressure`` and unloaded in the die; released to
    zero stress when the layer sits in no die (``confined`` False). Computed once per law."""
    return _pressed_state(law, pressure, confined).copy()


@lru_cache(maxsize=64)
def _pressed_state(law: CompactionLaw, pressure: float, confined: bool) -> PointState:
    state = die_path(law, loose_state(law), pressing_loads(law, pressure))[-1].state
    return state if confined else released(law, state)


def released(law: CompactionLaw, state: PointState, steps: int = 20) -> PointState:
    """The state unloaded to zero stress along the straight elastic-strain path (the pellet
    ejected from the die); it must stay elastic (inside the cap), else an error."""
    pc = law.hardening.consolidation_pressure(state.density)
    for t in np.linspace(1.0, 0.0, steps + 1):
        s = law.stress((t * state.elastic_strain)[None])[0]
        p = -np.trace(s) / 3.0
        dev = s + p * np.eye(3)
        q = np.sqrt(1.5 * np.sum(dev * dev))
        if law.yield_function(p, q, pc) > 1e-9 * pc**2:
            raise RuntimeError("releasing the pressed layer from its die would yield it again")
    return PointState(np.zeros((3, 3)), state.plastic_strain.copy(), state.density)


def pressed_density(law: CompactionLaw, pressure: float) -> float:
    """Relative density after die pressing at ``pressure`` and unloading."""
    return pressed_state(law, pressure).density


@lru_cache(maxsize=64)
def calibrate_intercept(law: CompactionLaw, pressure: float, density: float,
                        tol: float = 1e-12, max_it: int = 30) -> CompactionLaw:
    """The law with the Heckel intercept A for which pressing at ``pressure`` gives
    ``density``: secant iteration on g(A) = z(A) - z, z = ln(1/(1 - D)) the Heckel variable
    (dz/dA is close to 1: A shifts the curve), started from the law's own A."""
    if not 0 < density < 1:
        raise ValueError(f"a pressed powder's relative density must be in (0, 1), got {density}")
    z_target = -np.log1p(-density)

    def g(A: float) -> float:
        return -np.log1p(-pressed_density(law.with_intercept(A), pressure)) - z_target

    a0 = law.hardening.intercept
    g0 = g(a0)
    a1 = a0 - g0
    for _ in range(max_it):
        g1 = g(a1)
        if abs(g1) <= tol:
            return law.with_intercept(a1)
        slope = (g1 - g0) / (a1 - a0) if a1 != a0 else 1.0
        a0, g0 = a1, g1
        a1 = a1 - g1 / (slope if 0.1 < slope < 10 else 1.0)
    raise ValueError(f"no Heckel intercept gives the relative density {density} after pressing "
                     f"at {pressure / 1e6:.4g} MPa (last miss in ln(1/(1-D)): {g1:.3g})")
