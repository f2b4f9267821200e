"""The measurements of a dataset (:func:`read_observations`: a CSV log or points given in the
spec, in the units of the history column they are compared with), where their time zero lies in
a run (:func:`time_zero`), and the residuals of a run (:func:`model_values`, :func:`residuals`).

Residuals (docs/user-guide.md#fitting-parameters-to-measured-data): the run's history column,
interpolated linearly at the data's times (run time = data time + time offset [+ the start of
``time_zero_step``]), minus the data; divided by the data for relative residuals, by the noise
when given; times sqrt(weight x point weight), so that the fit minimises
sum w_d w_i ((model_i - data_i) / s_i)^2.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fem.errors import CaseError
from fem.study.fit.quantities import column_unit, from_si, read_quantity, to_si, unit_dims
from fem.study.fit.spec import Dataset


@dataclass
class Observations:
    """A dataset's points: ``t`` data time (s, from the data's zero; a window's start), ``y`` the
    values in the history column's unit ``unit``, ``w`` the point weights; ``time_unit`` is the
    data's time unit (for the report) and ``noise`` the noise in ``unit`` (a fraction for
    relative residuals), or None; ``t_end`` and ``stat`` the window's end and the statistic
    of points over a time window (a swing: the largest value minus the smallest)."""

    dataset: Dataset
    t: np.ndarray
    y: np.ndarray
    w: np.ndarray
    unit: str
    time_unit: str
    noise: float | None
    #: The end of each point's time window (s; equal to ``t`` for a value at a time).
    t_end: np.ndarray | None = None
    #: Each point's statistic: ``value`` (at ``t``) or one of spec.STATISTICS over the window.
    stat: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.t_end is None:
            self.t_end = self.t.copy()
        if not self.stat:
            self.stat = ("value",) * len(self.t)

    def scale(self) -> np.ndarray:
        """What each difference is divided by: the noise and, for relative residuals, |data|."""
        s = np.abs(self.y) if self.dataset.residual == "relative" else np.ones_like(self.y)
        return s * (self.noise if self.noise is not None else 1.0)

    def residuals(self, model: np.ndarray) -> np.ndarray:
        """Weighted residuals of the model values at the data's times."""
        return (model - self.y) / self.scale() * np.sqrt(self.dataset.weight * self.w)


def _unit_of(header_unit: str, spec_unit: str | None, key: str, header: str) -> str:
    if header_unit and spec_unit and header_unit != spec_unit:
        raise CaseError(key, spec_unit, f"the header of column {header!r} gives the unit "
                        f"{header_unit!r}; leave {key.rsplit('.', 1)[-1]} out or make them agree")
    return header_unit or spec_unit or ""


def _pick(headers: list[str], wanted: str | None, key: str, path: Path) -> int:
    for i, h in enumerate(headers):
        if wanted in (h, column_unit(h)[0]):
            return i
    raise CaseError(key, wanted, f"no such column in {path}; its columns: {', '.join(headers)}")


def _read_rows(path: Path, key: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not path.is_file():
        raise CaseError(f"{key}.data", str(path), "no such data file")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(f"{key}.data", str(path), f"cannot read it: {exc}") from None
    rows = [(n, r) for n, r in enumerate(csv.reader(lines), start=1)
            if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if len(rows) < 2:
        raise CaseError(f"{key}.data", str(path), "expected a header row and at least one data row")
    return [h.strip() for h in rows[0][1]], rows[1:]


def _number(cell: str, key: str, path: Path, line: int, header: str) -> float:
    try:
        v = float(cell)
    except ValueError:
        v = math.nan
    if not math.isfinite(v):
        raise CaseError(f"{key}.data", str(path), f"line {line}, column {header!r}: "
                        f"{cell.strip()!r} is not a finite number")
    return v


def _from_file(ds: Dataset, unit: str, dims: str) -> tuple[list[float], list[float], list[float],
                                                             str]:
    key, path = ds.key, ds.data
    headers, rows = _read_rows(path, key)
    it = _pick(headers, ds.time_column, f"{key}.time_column", path) if ds.time_column else 0
    iw = _pick(headers, ds.weight_column, f"{key}.weight_column", path) \
        if ds.weight_column else None
    if ds.column:
        iv = _pick(headers, ds.column, f"{key}.column", path)
    else:
        same = [i for i, h in enumerate(headers) if column_unit(h)[0] == ds.history]
        rest = [i for i in range(len(headers)) if i not in (it, iw)]
        if not same and len(rest) != 1:
            raise CaseError(f"{key}.column", None, f"name the data column compared with "
                            f"{ds.history} (columns of {path}: {', '.join(headers)})")
        iv = (same or rest)[0]
    t_unit = _unit_of(column_unit(headers[it])[1], ds.time_unit, f"{key}.time_unit", headers[it])
    if not t_unit:
        raise CaseError(f"{key}.time_unit", None, f"the time column {headers[it]!r} gives no unit "
                        "(e.g. 'time [h]' or 'time_s'): state it, e.g. time_unit = 'h'")
    if unit_dims(t_unit, f"{key}.time_unit") != "[time]":
        raise CaseError(f"{key}.time_unit", t_unit, "expected a unit of time, e.g. 's' or 'h'")
    v_unit = _unit_of(column_unit(headers[iv])[1], ds.unit, f"{key}.unit", headers[iv])
    if not v_unit and dims:
        raise CaseError(f"{key}.unit", None, f"the column {headers[iv]!r} gives no unit (e.g. "
                        f"'pressure [MPa]'): state it, e.g. unit = '{unit}'")
    if unit_dims(v_unit, f"{key}.unit") != dims:
        raise CaseError(f"{key}.unit", v_unit, f"{ds.history} is in {unit or 'no unit'}: expected "
                        "a unit of that dimension")
    t, y, w = [], [], []
    for line, row in rows:
        cells = row + [""] * (len(headers) - len(row))
        if not cells[iv].strip():
            continue
        t.append(to_si(_number(cells[it], key, path, line, headers[it]), t_unit))
        y.append(from_si(to_si(_number(cells[iv], key, path, line, headers[iv]), v_unit), unit))
        w.append(_number(cells[iw], key, path, line, headers[iw]) if iw is not None else 1.0)
    return t, y, w, t_unit


def _time(p: dict, name: str, k: str):
    tq = read_quantity(p[name], f"{k}.{name}", "'30 min'")
    if tq.dims != "[time]":
        raise CaseError(f"{k}.{name}", p[name], "expected a time, e.g. '30 min'")
    return tq


def _window_end(p: dict, k: str, start: float) -> tuple[float, str]:
    """The end (s) of point ``p``'s time window and its statistic: (start, "value") for a value
    at a time."""
    if "statistic" not in p:
        return start, "value"
    t1 = _time(p, "to", k).si
    if not t1 > start:
        raise CaseError(f"{k}.to", p["to"], f"expected a time after from = {p['from']!r}")
    return t1, p["statistic"]


def _from_points(ds: Dataset, unit: str, dims: str
                 ) -> tuple[list[float], list[float], list[float], str, list[tuple[float, str]]]:
    """The points' times (a window's start), values, weights, time unit and windows (end,
    statistic)."""
    t, y, w, t_unit, windows = [], [], [], "", []
    for i, p in enumerate(ds.points):
        k = f"{ds.key}.points[{i}]"
        tq = _time(p, "from" if "statistic" in p else "time", k)
        windows.append(_window_end(p, k, tq.si))
        vq = read_quantity(p["value"], f"{k}.value", f"'1 {unit}'" if unit else "0.5")
        if vq.dims != dims:
            raise CaseError(f"{k}.value", p["value"], f"{ds.history} is in {unit or 'no unit'}: "
                            "expected a value of that dimension")
        weight = p.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) \
                or not math.isfinite(weight) or weight < 0:
            raise CaseError(f"{k}.weight", weight, "expected a number >= 0")
        t.append(tq.si)
        y.append(from_si(vq.si, unit))
        w.append(float(weight))
        t_unit = t_unit or tq.unit
    return t, y, w, t_unit, windows


def read_observations(ds: Dataset) -> Observations:
    """The dataset's points in the history column's unit (CaseError naming the key when a file,
    a column or a unit is missing or wrong)."""
    unit = column_unit(ds.history)[1]
    dims = unit_dims(unit, f"{ds.key}.history")
    if ds.data is not None:
        t, y, w, t_unit = _from_file(ds, unit, dims)
        windows = [(ti, "value") for ti in t]
    else:
        t, y, w, t_unit, windows = _from_points(ds, unit, dims)
    if not t:
        raise CaseError(f"{ds.key}.data", str(ds.data), "no data points")
    wa = np.asarray(w, dtype=float)
    if np.any(wa < 0) or not np.any(wa > 0):
        raise CaseError(f"{ds.key}.weight_column", ds.weight_column, "point weights must be >= 0 "
                        "and not all zero")
    ya = np.asarray(y, dtype=float)
    if ds.residual == "relative" and np.any(ya == 0):
        raise CaseError(f"{ds.key}.residual", "relative", "a data value is zero: use absolute "
                        "residuals")
    noise = None
    if ds.noise is not None:
        if ds.residual == "relative":
            noise = ds.noise.si
        elif ds.noise.dims != dims:
            raise CaseError(f"{ds.key}.noise", ds.noise.text(ds.noise.si), f"{ds.history} is in "
                            f"{unit or 'no unit'}: expected a noise of that dimension")
        else:
            noise = from_si(ds.noise.si, unit)
    return Observations(ds, np.asarray(t, dtype=float), ya, wa, unit, t_unit, noise,
                        np.asarray([e for e, _ in windows], dtype=float),
                        tuple(st for _, st in windows))


# ---------------------------------------------------------------------------- time zero
def step_index(ds: Dataset, protocol: list) -> int | None:
    """The 0-based protocol entry whose start is the data's time zero (None: the run's zero)."""
    step = ds.time_zero_step
    if step is None:
        return None
    listing = "; ".join(f"{e.index + 1}: {e.step.text}" for e in protocol[:40])
    if isinstance(step, int):
        if not 1 <= step <= len(protocol):
            raise CaseError(f"{ds.key}.time_zero_step", step, f"the protocol has {len(protocol)} "
                            f"steps ({listing})")
        return step - 1
    norm = " ".join(step.lower().split())
    for e in protocol:
        if " ".join(e.step.text.lower().split()) == norm:
            return e.index
    raise CaseError(f"{ds.key}.time_zero_step", step, f"no protocol step reads so ({listing})")


def planned_start(protocol: list, index: int | None) -> float | None:
    """The start (s) of protocol entry ``index`` when every step before it has a fixed duration
    (None otherwise); 0 for ``index`` None."""
    if index is None:
        return 0.0
    durations = [e.step.duration for e in protocol[:index]]
    return None if any(d is None for d in durations) else float(sum(durations))


def planned_end(protocol: list) -> float | None:
    """The end (s) of the protocol when every step has a fixed duration, else None."""
    return planned_start(protocol, len(protocol))


def time_zero(hist: dict[str, list], index: int | None) -> float | None:
    """The start (s) of protocol entry ``index`` in a run's history: the end of the time step
    before the first row of that entry or a later one (None when the run never got there)."""
    if index is None:
        return 0.0
    for t, k, dt in zip(hist["time_s"], hist["step"], hist["dt_s"], strict=True):
        if k >= index:
            return float(t) - float(dt)
    return None


def model_values(obs: Observations, hist: dict[str, list], index: int | None
                 ) -> tuple[np.ndarray | None, str]:
    """The history column at the data's times (linear interpolation), or (None, why not)."""
    ds = obs.dataset
    if ds.history not in hist:
        cols = [c for c in hist if c not in ("step", "cycle", "step_label", "dt_s")]
        return None, f"the run has no history column {ds.history!r} (it has {', '.join(cols)})"
    t0 = time_zero(hist, index)
    if t0 is None:
        return None, f"the run ended before protocol step {index + 1}"
    times = np.asarray(hist["time_s"], dtype=float)
    tr, te = obs.t + ds.time_offset + t0, obs.t_end + ds.time_offset + t0
    if te.max() > times[-1] * (1 + 1e-12) or tr.min() < times[0]:
        return None, (f"the data reach {te.max():.6g} s of run time but the run covers "
                      f"{times[0]:.6g} to {times[-1]:.6g} s")
    values = np.asarray(hist[ds.history], dtype=float)
    return np.array([window_statistic(times, values, a, b, st)
                     for a, b, st in zip(tr, te, obs.stat, strict=True)]), ""


def window_statistic(times: np.ndarray, values: np.ndarray, t0: float, t1: float,
                     stat: str) -> float:
    """``stat`` of the piecewise-linear history over [t0, t1]: its value at t0 (``value``), its
    largest minus smallest value (``swing``), its largest (``max``) or smallest (``min``); the
    window's ends are interpolated, the rows inside it taken as they are."""
    ends = np.interp([t0, t1], times, values)
    if stat == "value":
        return float(ends[0])
    inside = np.concatenate([ends, values[(times > t0) & (times < t1)]])
    hi, lo = float(inside.max()), float(inside.min())
    return {"swing": hi - lo, "max": hi, "min": lo}[stat]
