"""Rough surfaces for interface patches: generation, statistics and smooth interpolation.

A rough surface is a periodic :class:`HeightMap`: heights on a uniform grid over one period
``width`` (a profile ``h[i]`` at ``x = i*width/n`` for a 2D strip, a map ``h[j, i]`` at
``(x, y) = (i*dx, j*dy)`` for a 3D patch; the periodic end sample is not stored). Three sources:

* :func:`sinusoid`: ``A sin(2 pi x / lambda)`` (profile) or ``A sin(2 pi x / lambda) sin(2 pi y /
  lambda)`` (surface); ``width`` must hold a whole number of wavelengths.
* :func:`self_affine`: a random self-affine surface with a roll-off power spectral density
  ``C(q) = C0`` for ``q < q_r`` and ``C0 (q/q_r)^-(2H+1)`` (profile) or ``^-(2H+2)`` (surface)
  above, up to the grid's Nyquist wavenumber. The Fourier amplitudes are exactly ``sqrt(C)``
  and only the phases are random (seeded), so the RMS height and the autocorrelation function
  of every realisation are the requested ones; ``q_r`` is solved for so that the
  autocorrelation falls to 1/e at the requested correlation length.
* :func:`read_height_map`: a CSV file of heights.

Statistics (:func:`surface_statistics`): RMS height, correlation length (lag at which the
periodic autocorrelation function first falls below 1/e; for a surface the mean of the x and y
axis functions), Hurst exponent from the PSD slope above the roll-off, extremes.

:class:`SplineSurface` interpolates a height map by a clamped cubic B-spline (not-a-knot end
conditions) whose control net gmsh's OpenCASCADE kernel takes as is (``addBSpline`` /
``addBSplineSurface``), so the meshed surface passes through the samples and its opposite
edges are exact translates of each other (needed for periodic meshes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The autocorrelation level that defines the correlation length.
ACF_LEVEL = 1.0 / math.e


@dataclass
class HeightMap:
    """Periodic heights over one period: shape ``(n,)`` (profile) or ``(ny, nx)`` (surface).

    ``heights[j, i]`` is the height at ``x = i * width / nx``, ``y = j * width / ny``. The
    sample at ``x = width`` equals the one at ``x = 0`` and is not stored.
    """

    heights: np.ndarray
    width: float

    @property
    def ndim(self) -> int:
        """1 for a profile (2D strip), 2 for a surface (3D patch)."""
        return self.heights.ndim

    @property
    def spacing(self) -> tuple[float, ...]:
        """Grid spacing along each axis, ``(dx,)`` or ``(dy, dx)`` (array axis order)."""
        return tuple(self.width / n for n in self.heights.shape)

    def closed(self) -> np.ndarray:
        """Heights with the periodic end sample(s) repeated: shape ``(n+1,)`` or ``(ny+1, nx+1)``."""
        h = self.heights
        if h.ndim == 1:
            return np.append(h, h[0])
        h = np.concatenate([h, h[:1, :]], axis=0)
        return np.concatenate([h, h[:, :1]], axis=1)


# ---------------------------------------------------------------------------------------------
# generation


def sinusoid(width: float, amplitude: float, wavelength: float, points: int,
             ndim: int) -> HeightMap:
    """A sinusoidal profile (``ndim=1``) or egg-crate surface (``ndim=2``) of peak ``amplitude``."""
    periods = width / wavelength
    if abs(periods - round(periods)) > 1e-6 * max(periods, 1.0) or round(periods) < 1:
        raise ValueError(f"width {width:g} m must hold a whole number of wavelengths "
                         f"({wavelength:g} m); it holds {periods:.6g}")
    x = np.arange(points) * width / points
    s = np.sin(2 * np.pi * x / wavelength)
    h = amplitude * s if ndim == 1 else amplitude * np.outer(s, s)
    return HeightMap(h, width)


def _wavenumbers(points: int, width: float, ndim: int) -> np.ndarray:
    """|q| on the FFT grid (rad/m), shape ``(n,)`` or ``(n, n)``."""
    q1 = 2 * np.pi * np.fft.fftfreq(points, d=width / points)
    if ndim == 1:
        return np.abs(q1)
    qx, qy = np.meshgrid(q1, q1, indexing="xy")
    return np.hypot(qx, qy)


def _rolloff_psd(q: np.ndarray, q_r: float, hurst: float, ndim: int) -> np.ndarray:
    """Roll-off self-affine PSD (arbitrary scale), zero at q = 0."""
    exponent = 2 * hurst + ndim
    c = np.ones_like(q)
    tail = q >= q_r
    c[tail] = (q[tail] / q_r) ** (-exponent)
    c[q == 0] = 0.0
    return c


def _acf_from_power(power: np.ndarray) -> np.ndarray:
    """Normalised periodic autocorrelation function from |F|^2 (Wiener-Khinchin)."""
    acf = np.real(np.fft.ifftn(power))
    return acf / acf.flat[0]


def _crossing(acf_axis: np.ndarray, spacing: float, level: float = ACF_LEVEL) -> float:
    """First lag (linear interpolation) at which a 1D ACF (lags 0, dx, ...) falls below level."""
    half = acf_axis[: len(acf_axis) // 2 + 1]
    below = np.nonzero(half < level)[0]
    if below.size == 0:
        return math.inf
    k = int(below[0])
    a0, a1 = half[k - 1], half[k]
    return spacing * (k - 1 + (a0 - level) / (a0 - a1))


def _axis_correlation_length(acf: np.ndarray, spacing: float) -> float:
    """Correlation length of an ACF: the 1/e lag, averaged over the x and y axes for a surface."""
    if acf.ndim == 1:
        return _crossing(acf, spacing)
    return 0.5 * (_crossing(acf[0, :], spacing) + _crossing(acf[:, 0], spacing))


def self_affine(width: float, rms: float, correlation_length: float, hurst: float, seed: int,
                points: int, ndim: int) -> HeightMap:
    """A random periodic self-affine surface with the given RMS height and correlation length.

    The spectrum is the roll-off PSD of the module docstring with exact amplitudes and random
    phases from ``numpy.random.default_rng(seed)``; the roll-off wavenumber is found by bisection
    so that the autocorrelation falls to 1/e at ``correlation_length``. Raises ``ValueError``
    when the length cannot be reached on this grid (too close to the spacing or to the width).
    """
    if not 0.0 < hurst < 1.0:
        raise ValueError(f"Hurst exponent {hurst} must be in (0, 1)")
    dx = width / points
    q = _wavenumbers(points, width, ndim)

    def length(log_qr: float) -> float:
        return _axis_correlation_length(
            _acf_from_power(_rolloff_psd(q, math.exp(log_qr), hurst, ndim)), dx)

    lo, hi = math.log(2 * np.pi / width * 0.999), math.log(np.pi / dx)  # long, short lengths
    l_lo, l_hi = length(lo), length(hi)
    if not l_hi <= correlation_length <= l_lo:
        raise ValueError(f"correlation length {correlation_length:g} m is outside what a "
                         f"{points}-point grid over {width:g} m can represent "
                         f"({l_hi:.3g} to {l_lo:.3g} m): change width, points or the length")
    for _ in range(80):  # the length decreases with q_r
        mid = 0.5 * (lo + hi)
        if length(mid) > correlation_length:
            lo = mid
        else:
            hi = mid
    power = _rolloff_psd(q, math.exp(0.5 * (lo + hi)), hurst, ndim)
    rng = np.random.default_rng(seed)
    noise = np.fft.fftn(rng.standard_normal(q.shape))
    phase = noise / np.maximum(np.abs(noise), 1e-300)  # Hermitian, |phase| = 1
    h = np.real(np.fft.ifftn(np.sqrt(power) * phase))
    h -= h.mean()
    h *= rms / np.sqrt(np.mean(h**2))
    return HeightMap(h, width)


def read_height_map(path: str | Path, width: float, height_scale: float, ndim: int) -> HeightMap:
    """Read heights from a CSV file (comma or whitespace separated numbers, ``#`` comments).

    A 2D strip takes a profile: one row or one column (of a matrix, the first row). A 3D patch
    takes a matrix, rows along y and columns along x. Values are multiplied by ``height_scale``
    (m per file unit) and taken as one period over ``width`` (no repeated end sample); the mean
    is removed.
    """
    text = Path(path).read_text()
    rows = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            rows.append([float(v) for v in line.replace(",", " ").split()])
    if not rows or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError(f"{path}: expected a rectangular table of numbers")
    data = np.asarray(rows, dtype=float)
    if ndim == 1:
        data = data.ravel() if 1 in data.shape else data[0]
        if data.size < 4:
            raise ValueError(f"{path}: a profile needs at least 4 heights")
    elif min(data.shape) < 4:
        raise ValueError(f"{path}: a 3D patch needs a matrix of at least 4 x 4 heights")
    h = data * height_scale
    return HeightMap(h - h.mean(), width)


# ---------------------------------------------------------------------------------------------
# statistics


def rms_height(hm: HeightMap) -> float:
    """Root-mean-square height about the mean."""
    h = hm.heights - hm.heights.mean()
    return float(np.sqrt(np.mean(h**2)))


def autocorrelation(hm: HeightMap) -> np.ndarray:
    """Normalised periodic autocorrelation function of the heights (lag 0 first, FFT order)."""
    h = hm.heights - hm.heights.mean()
    return _acf_from_power(np.abs(np.fft.fftn(h)) ** 2)


def correlation_length(hm: HeightMap) -> float:
    """Lag at which the autocorrelation first falls below 1/e (mean over x and y for a surface)."""
    return _axis_correlation_length(autocorrelation(hm), hm.spacing[-1])


def hurst_exponent(hm: HeightMap, q_min: float) -> float:
    """Hurst exponent from a log-log fit of the PSD over ``q_min <= q <= q_nyquist / 2``."""
    h = hm.heights - hm.heights.mean()
    n = h.shape[-1]
    q = _wavenumbers(n, hm.width, hm.ndim) if h.shape == (n,) * h.ndim else None
    if q is None:
        raise ValueError("hurst_exponent needs a square grid")
    power = np.abs(np.fft.fftn(h)) ** 2
    sel = (q >= q_min) & (q <= 0.5 * np.pi * n / hm.width) & (power > 0)
    if np.count_nonzero(sel) < 3:
        raise ValueError("too few wavenumbers above q_min for a PSD fit")
    slope = np.polyfit(np.log(q[sel]), np.log(power[sel]), 1)[0]
    return float(-slope - hm.ndim) / 2.0


def surface_statistics(hm: HeightMap) -> dict[str, float]:
    """RMS height, correlation length, mean, min, max and peak-to-valley of the samples (m)."""
    h = hm.heights
    return {
        "rms": rms_height(hm),
        "correlation_length": correlation_length(hm),
        "mean": float(h.mean()),
        "min": float(h.min()),
        "max": float(h.max()),
        "peak_to_valley": float(h.max() - h.min()),
    }


# ---------------------------------------------------------------------------------------------
# smooth interpolation (clamped cubic B-spline, not-a-knot)


def _knots(n_intervals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Knot vector of the interpolating cubic on ``n_intervals + 1`` uniform sites in [0, 1].

    Returns (full knot vector, unique knots, multiplicities). Interior knots at 2/N .. (N-2)/N
    (de Boor's averaging for uniform sites = not-a-knot).
    """
    n = n_intervals
    interior = np.arange(2, n - 1) / n
    full = np.concatenate([np.zeros(4), interior, np.ones(4)])
    unique = np.concatenate([[0.0], interior, [1.0]])
    mult = np.concatenate([[4], np.ones(interior.size, dtype=int), [4]])
    return full, unique, mult


def _basis(full: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cubic B-spline basis functions (Cox-de Boor), shape ``(len(t), n_ctrl)``."""
    p = 3
    t = np.asarray(t, dtype=float)
    n_ctrl = full.size - p - 1
    # degree 0, with the right end of [0, 1] in the last non-empty span
    b = np.zeros((t.size, full.size - 1))
    for i in range(full.size - 1):
        if full[i] < full[i + 1]:
            b[:, i] = (full[i] <= t) & (t < full[i + 1])
    last = np.nonzero(full[:-1] < full[1:])[0][-1]
    b[t >= full[-1], last] = 1.0
    for d in range(1, p + 1):
        nb = np.zeros((t.size, full.size - 1 - d))
        for i in range(full.size - 1 - d):
            den1 = full[i + d] - full[i]
            den2 = full[i + d + 1] - full[i + 1]
            if den1 > 0:
                nb[:, i] += (t - full[i]) / den1 * b[:, i]
            if den2 > 0:
                nb[:, i] += (full[i + d + 1] - t) / den2 * b[:, i + 1]
        b = nb
    return b[:, :n_ctrl]


@dataclass
class _Spline1D:
    full: np.ndarray
    unique: np.ndarray
    mult: np.ndarray
    greville: np.ndarray
    solve: np.ndarray  # inverse collocation matrix: control values = solve @ samples


def _spline1d(n_intervals: int) -> _Spline1D:
    if n_intervals < 4:
        raise ValueError("an interpolating cubic needs at least 4 intervals (points >= 4)")
    full, unique, mult = _knots(n_intervals)
    greville = np.array([full[k + 1: k + 4].mean() for k in range(n_intervals + 1)])
    a = _basis(full, np.arange(n_intervals + 1) / n_intervals)
    return _Spline1D(full, unique, mult, greville, np.linalg.inv(a))


class SplineSurface:
    """The smooth periodic-edged interpolant ``z = s(x)`` / ``z = s(x, y)`` of a height map.

    ``control`` holds the B-spline control heights (shape ``(nx+1,)`` or ``(ny+1, nx+1)``) and
    ``control_xy`` the matching in-plane control coordinates (Greville abscissae times width),
    which make the parameterisation exactly ``x = width * u``.
    """

    def __init__(self, hm: HeightMap):
        self.width = hm.width
        self.ndim = hm.ndim
        closed = hm.closed()
        if hm.ndim == 1:
            self._sx = _spline1d(closed.size - 1)
            self._sy = None
            self.control = self._sx.solve @ closed
        else:
            self._sy = _spline1d(closed.shape[0] - 1)
            self._sx = _spline1d(closed.shape[1] - 1)
            self.control = self._sy.solve @ closed @ self._sx.solve.T

    @property
    def knots_x(self) -> tuple[list[float], list[int]]:
        """Unique knots and multiplicities along x (gmsh ``knots``/``multiplicities``)."""
        return self._sx.unique.tolist(), self._sx.mult.tolist()

    @property
    def knots_y(self) -> tuple[list[float], list[int]]:
        """Unique knots and multiplicities along y (surface only)."""
        assert self._sy is not None
        return self._sy.unique.tolist(), self._sy.mult.tolist()

    @property
    def control_x(self) -> np.ndarray:
        """In-plane x coordinates of the control points along x."""
        return self.width * self._sx.greville

    @property
    def control_y(self) -> np.ndarray:
        """In-plane y coordinates of the control points along y (surface only)."""
        assert self._sy is not None
        return self.width * self._sy.greville

    def __call__(self, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
        """Heights at ``x`` (profile) or on the tensor grid ``y`` x ``x`` (surface), x, y in [0, width]."""
        bx = _basis(self._sx.full, np.clip(np.asarray(x) / self.width, 0.0, 1.0))
        if self._sy is None:
            return bx @ self.control
        by = _basis(self._sy.full, np.clip(np.asarray(y) / self.width, 0.0, 1.0))
        return by @ self.control @ bx.T

    def sample(self, refine: int = 8) -> np.ndarray:
        """Heights on a grid ``refine`` times finer than the control net (incl. both ends)."""
        nx = (self.control.shape[-1] - 1) * refine + 1
        x = np.linspace(0.0, self.width, nx)
        if self._sy is None:
            return self(x)
        ny = (self.control.shape[0] - 1) * refine + 1
        return self(x, np.linspace(0.0, self.width, ny))

    def maximum(self, refine: int = 16) -> float:
        """Highest point of the interpolant (dense sampling, the control net bounds the rest)."""
        return float(self.sample(refine).max())

    def minimum(self, refine: int = 16) -> float:
        """Lowest point of the interpolant (dense sampling)."""
        return float(self.sample(refine).min())

    def integral(self) -> float:
        """Exact integral of the interpolant over the period (m^2 for a profile, m^3 for a surface)."""
        wx = (self._sx.full[4:] - self._sx.full[:-4]) / 4.0 * self.width
        if self._sy is None:
            return float(wx @ self.control)
        wy = (self._sy.full[4:] - self._sy.full[:-4]) / 4.0 * self.width
        return float(wy @ self.control @ wx)
