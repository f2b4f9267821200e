"""The fit specification (a TOML file, docs/user-guide.md#fitting-parameters-to-measured-data):
the parameters to fit (:class:`Parameter`), the datasets to fit them to (:class:`Dataset`, read
by :mod:`fem.study.fit.data`) and how (:class:`Options`). :func:`read_spec` checks every key and
converts every value once; anything wrong is a CaseError naming the key, before any run.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fem.errors import CaseError
from fem.study.fit.quantities import Quantity, read_quantity

#: A parameter or dataset name: a plain name (it appears in file names: fit_<dataset>.png).
NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
#: A case key path: ``holder.frame_stiffness``, ``cell.layers[2].thickness``.
PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])*)*$")

TOP_KEYS = ("name", "title", "description", "fit", "parameters", "datasets")
FIT_KEYS = ("fd_step", "jacobian", "max_evaluations", "ftol", "xtol", "gtol", "confidence")
PARAMETER_KEYS = ("path", "start", "bounds", "scale", "prior", "prior_source", "datasets",
                  "fd_step")
DATASET_KEYS = ("name", "case", "set", "data", "points", "time_column", "time_unit", "column",
                "unit", "history", "time_zero_step", "time_offset", "residual", "weight",
                "weight_column", "noise")
POINT_KEYS = ("time", "value", "weight", "from", "to", "statistic")
#: What a point over a time window (``from``, ``to``) compares: the history column's largest
#: value minus its smallest (``swing``), its largest or its smallest over the window.
STATISTICS = ("swing", "max", "min")


@dataclass(frozen=True)
class Options:
    """``[fit]``: finite-difference step of the Jacobian (in the transformed parameter: ln of
    the value on a log scale, value / |start| on a linear one), forward or central differences,
    the stopping rules of scipy.optimize.least_squares, and the confidence level."""

    fd_step: float = 0.01
    jacobian: str = "forward"
    max_evaluations: int = 40
    ftol: float = 1e-4
    xtol: float = 1e-4
    gtol: float = 1e-8
    confidence: float = 0.95


@dataclass(frozen=True)
class Parameter:
    """One fitted value: a case key path (``holder.frame_stiffness``) or a card value
    (``materials.li.creep_reference_rate``), its start, bounds and prior in SI (``quantity``
    keeps the spec's unit), and its scale."""

    name: str
    path: str
    quantity: Quantity
    start: float
    lower: float
    upper: float
    scale: str
    prior: tuple[float, float] | None = None
    prior_source: str = ""
    datasets: tuple[str, ...] | None = None
    fd_step: float | None = None

    def text(self, si: float, digits: int = 6) -> str:
        return self.quantity.text(si, digits)

    def override(self, si: float) -> str:
        """The ``--set`` string that puts ``si`` into a case."""
        return f"{self.path}={self.quantity.override(si)}"

    def applies_to(self, dataset: str) -> bool:
        return self.datasets is None or dataset in self.datasets


@dataclass(frozen=True)
class Dataset:
    """One set of measurements and the case run to compare with them (paths absolute). The
    measured values themselves are read by :func:`fem.study.fit.data.read_observations`."""

    index: int
    name: str
    case_path: Path
    overrides: tuple[str, ...]
    history: str
    data: Path | None = None
    points: tuple[dict, ...] = ()
    time_column: str | None = None
    time_unit: str | None = None
    column: str | None = None
    unit: str | None = None
    weight_column: str | None = None
    time_zero_step: int | str | None = None
    time_offset: float = 0.0
    residual: str = "absolute"
    weight: float = 1.0
    noise: Quantity | None = None

    @property
    def key(self) -> str:
        return f"datasets[{self.index}]"


@dataclass(frozen=True)
class FitSpec:
    """The whole specification, as read from ``path``."""

    path: Path
    name: str
    title: str
    description: str
    options: Options
    parameters: tuple[Parameter, ...]
    datasets: tuple[Dataset, ...]
    raw: dict[str, Any] = field(repr=False, default_factory=dict)

    def protected_paths(self) -> list[Path]:
        """The input files: an output folder must never be or contain one of them."""
        out = [self.path]
        for d in self.datasets:
            out.append(d.case_path)
            if d.data is not None:
                out.append(d.data)
        return out


# ---------------------------------------------------------------------------- helpers
def _table(raw: Any, key: str, allowed: tuple[str, ...]) -> dict:
    if not isinstance(raw, dict):
        raise CaseError(key, raw, "expected a table")
    for k in raw:
        if k not in allowed:
            raise CaseError(f"{key}.{k}" if key else k, raw[k],
                            f"unknown key; allowed keys here: {', '.join(allowed)}")
    return raw


def _text(raw: dict, k: str, key: str, default: str | None = None) -> str | None:
    v = raw.get(k, default)
    if v is not None and (not isinstance(v, str) or not v.strip()):
        raise CaseError(f"{key}.{k}" if key else k, v, "expected a non-empty text")
    return v.strip() if isinstance(v, str) else v


def _number(raw: dict, k: str, key: str, default: float, positive: bool = True) -> float:
    v = raw.get(k, default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) \
            or (positive and not v > 0):
        raise CaseError(f"{key}.{k}", v, "expected a " + ("positive " if positive else "")
                        + "number")
    return float(v)


def _pair(raw: dict, k: str, key: str, like: Quantity) -> tuple[float, float]:
    v = raw[k]
    if not isinstance(v, list) or len(v) != 2:
        raise CaseError(f"{key}.{k}", v, "expected [lower, upper], e.g. ['1e7 N/m', '1e10 N/m']")
    lo, hi = (read_quantity(x, f"{key}.{k}") for x in v)
    for q, x in ((lo, v[0]), (hi, v[1])):
        if q.dims != like.dims:
            raise CaseError(f"{key}.{k}", x, f"must have the dimension of start ({like.dims or 'a '
                            'plain number'}), e.g. '{like.text(like.si)}'")
    if not lo.si < hi.si:
        raise CaseError(f"{key}.{k}", v, "the lower value must be below the upper one")
    return lo.si, hi.si


def case_argument(text: str, spec_dir: Path, key: str) -> Path:
    """A dataset's case: a file relative to the spec, else a bundled case name."""
    from fem.case.bundled import bundled_cases_dir

    p = Path(text).expanduser()
    p = p if p.is_absolute() else spec_dir / p
    if p.is_file():
        return p.resolve()
    bundled = bundled_cases_dir() / f"{text}.toml"
    if NAME.match(text) and bundled.is_file():
        return bundled
    raise CaseError(key, text, f"no such case file ({p}) and no bundled case of that name "
                    "(`assb-fem cases` lists them)")


def check_points(raw: Any, key: str) -> list[dict]:
    """The ``points`` list of a dataset: tables with time, value and an optional weight, or
    with a time window (from, to) and a statistic of the history column over it instead of the
    time."""
    if not isinstance(raw, list) or not raw:
        raise CaseError(key, raw, "expected a list of points, e.g. [{time = '30 min', value = "
                        "'23 MPa'}, {time = '24 h', value = '21.1 MPa', weight = 2}]")
    for i, p in enumerate(raw):
        window = isinstance(p, dict) and ("from" in p or "to" in p or "statistic" in p)
        if not isinstance(p, dict) or "value" not in p \
                or (not window and "time" not in p) \
                or (window and ("time" in p or not {"from", "to", "statistic"} <= set(p))):
            raise CaseError(f"{key}[{i}]", p, "expected {time = ..., value = ...[, weight = ...]} "
                            "or, for a statistic over a time window, {from = ..., to = ..., "
                            "statistic = 'swing', value = ...[, weight = ...]}")
        extra = sorted(set(p) - set(POINT_KEYS))
        if extra:
            raise CaseError(f"{key}[{i}].{extra[0]}", p[extra[0]],
                            f"unknown key; allowed keys here: {', '.join(POINT_KEYS)}")
        if window and p["statistic"] not in STATISTICS:
            raise CaseError(f"{key}[{i}].statistic", p["statistic"],
                            f"expected one of {', '.join(STATISTICS)}")
    return raw


# ---------------------------------------------------------------------------- sections
def _options(raw: Any) -> Options:
    r = _table(raw, "fit", FIT_KEYS)
    jac = r.get("jacobian", "forward")
    if jac not in ("forward", "central"):
        raise CaseError("fit.jacobian", jac, "allowed values: 'forward', 'central'")
    n = r.get("max_evaluations", 40)
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 10000:
        raise CaseError("fit.max_evaluations", n, "expected an integer from 1 to 10000")
    conf = _number(r, "confidence", "fit", 0.95)
    if not conf < 1:
        raise CaseError("fit.confidence", conf, "must be between 0 and 1, e.g. 0.95")
    return Options(_number(r, "fd_step", "fit", 0.01), jac, n, _number(r, "ftol", "fit", 1e-4),
                   _number(r, "xtol", "fit", 1e-4), _number(r, "gtol", "fit", 1e-8), conf)


def _parameter(name: str, raw: Any) -> Parameter:
    key = f"parameters.{name}"
    if not NAME.match(name):
        raise CaseError(key, name, "a parameter name is a plain name (letters, digits, _ . -)")
    r = _table(raw, key, PARAMETER_KEYS)
    for k in ("path", "start", "bounds"):
        if k not in r:
            raise CaseError(f"{key}.{k}", None, "required key is missing")
    path = r["path"]
    if not isinstance(path, str) or not PATH.match(path):
        raise CaseError(f"{key}.path", path, "expected a case key path, e.g. "
                        "'holder.frame_stiffness', 'cell.layers[2].thickness' or "
                        "'materials.li.creep_reference_rate'")
    if path.startswith("materials.") and path.count(".") != 2:
        raise CaseError(f"{key}.path", path, "a card value is materials.<card>.<parameter>, "
                        "e.g. 'materials.li.creep_reference_rate'")
    start = read_quantity(r["start"], f"{key}.start")
    lower, upper = _pair(r, "bounds", key, start)
    if not lower < start.si < upper:
        raise CaseError(f"{key}.bounds", r["bounds"], f"must bracket the start value "
                        f"({r['start']}): lower < start < upper")
    scale = r.get("scale", "log" if lower > 0 else "linear")
    if scale not in ("log", "linear"):
        raise CaseError(f"{key}.scale", scale, "allowed values: 'log', 'linear'")
    if scale == "log" and not lower > 0:
        raise CaseError(f"{key}.scale", scale, "a log scale needs a positive lower bound; "
                        "use scale = 'linear'")
    prior, source = None, ""
    if "prior" in r:
        prior = _pair(r, "prior", key, start)
        source = _text(r, "prior_source", key)
        if source is None:
            raise CaseError(f"{key}.prior_source", None, "required with a prior: where the range "
                            "comes from (a reference)")
    elif "prior_source" in r:
        raise CaseError(f"{key}.prior_source", r["prior_source"], "give the prior range too")
    names = r.get("datasets")
    if names is not None and (not isinstance(names, list) or not names
                              or not all(isinstance(n, str) for n in names)):
        raise CaseError(f"{key}.datasets", names, "expected a list of dataset names")
    step = _number(r, "fd_step", key, 0.01) if "fd_step" in r else None
    return Parameter(name, path, start, start.si, lower, upper, scale, prior, source or "",
                     tuple(names) if names is not None else None, step)


def _dataset(i: int, raw: Any, spec_dir: Path) -> Dataset:
    key = f"datasets[{i}]"
    r = _table(raw, key, DATASET_KEYS)
    if "case" not in r:
        raise CaseError(f"{key}.case", None, "required key is missing: a case file (relative to "
                        "the spec) or a bundled case name")
    case_text = _text(r, "case", key)
    case_path = case_argument(case_text, spec_dir, f"{key}.case")
    name = r.get("name", Path(case_text).stem)
    if not isinstance(name, str) or not NAME.match(name):
        raise CaseError(f"{key}.name", name, "a dataset name is a plain name (letters, digits, "
                        "_ . -)")
    sets = r.get("set", [])
    if not isinstance(sets, list) or not all(isinstance(s, str) and "=" in s for s in sets):
        raise CaseError(f"{key}.set", sets, "expected a list of 'key.path=value' overrides, "
                        "e.g. [\"holder.pressure='5 MPa'\"]")
    if ("data" in r) == ("points" in r):
        raise CaseError(f"{key}.data", r.get("data"), "give either data (a CSV file) or points "
                        "(a list of {time = ..., value = ...}), not both or neither")
    data = None
    if "data" in r:
        p = Path(_text(r, "data", key)).expanduser()
        data = (p if p.is_absolute() else spec_dir / p).resolve()
    points = tuple(check_points(r["points"], f"{key}.points")) if "points" in r else ()
    step = r.get("time_zero_step")
    if step is not None and not ((isinstance(step, int) and not isinstance(step, bool)
                                  and step >= 1) or (isinstance(step, str) and step.strip())):
        raise CaseError(f"{key}.time_zero_step", step, "the protocol step whose start is the "
                        "data's time zero: its number (1 = the first step) or its text, e.g. "
                        "'Rest for 24 h'")
    offset = read_quantity(r.get("time_offset", 0.0), f"{key}.time_offset", "'10 s'")
    if offset.dims not in ("", "[time]") or (offset.dims == "" and offset.si != 0):
        raise CaseError(f"{key}.time_offset", r["time_offset"], "expected a time, e.g. '10 s'")
    residual = r.get("residual", "absolute")
    if residual not in ("absolute", "relative"):
        raise CaseError(f"{key}.residual", residual, "allowed values: 'absolute', 'relative'")
    noise = None
    if "noise" in r:
        noise = read_quantity(r["noise"], f"{key}.noise", "'0.05 MPa'")
        if not noise.si > 0:
            raise CaseError(f"{key}.noise", r["noise"], "must be > 0")
        if residual == "relative" and noise.dims:
            raise CaseError(f"{key}.noise", r["noise"], "with relative residuals the noise is "
                            "a fraction of the value, e.g. 0.02")
    texts = {k: _text(r, k, key) for k in ("time_column", "time_unit", "column", "unit",
                                           "weight_column")}
    return Dataset(i, name, case_path, tuple(sets), _text(r, "history", key, "stack_pressure_MPa"),
                   data, points, texts["time_column"], texts["time_unit"], texts["column"],
                   texts["unit"], texts["weight_column"],
                   step.strip() if isinstance(step, str) else step, offset.si, residual,
                   _number(r, "weight", key, 1.0), noise)


def read_spec(path: str | Path) -> FitSpec:
    """Read and check a fit specification. Raises CaseError naming the key."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise CaseError("spec", str(path), "no such fit specification file")
    try:
        raw = tomllib.loads(p.read_bytes().decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CaseError("spec", str(path), f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise CaseError("spec", str(path), f"cannot read it: {exc.strerror or exc}") from None
    p = p.resolve()
    _table(raw, "", TOP_KEYS)
    name = raw.get("name", p.stem)
    if not isinstance(name, str) or not NAME.match(name) or name in (".", ".."):
        raise CaseError("name", name, "a plain file name (letters, digits, _ . -): the default "
                        "output folder is results/<name>")
    params = raw.get("parameters")
    if not isinstance(params, dict) or not params:
        raise CaseError("parameters", params, "give at least one [parameters.<name>] table with "
                        "path, start and bounds")
    parameters = tuple(_parameter(n, v) for n, v in params.items())
    sets = raw.get("datasets")
    if not isinstance(sets, list) or not sets:
        raise CaseError("datasets", sets, "give at least one [[datasets]] table with a case and "
                        "data or points")
    datasets = tuple(_dataset(i, d, p.parent) for i, d in enumerate(sets))
    names = [d.name for d in datasets]
    for d in datasets:
        if names.count(d.name) > 1:
            raise CaseError(f"{d.key}.name", d.name, "dataset names must differ (set name = ...)")
    for prm in parameters:
        for n in prm.datasets or ():
            if n not in names:
                raise CaseError(f"parameters.{prm.name}.datasets", n,
                                f"no such dataset; the datasets are {', '.join(names)}")
    paths = [prm.path for prm in parameters]
    for prm in parameters:
        if paths.count(prm.path) > 1:
            raise CaseError(f"parameters.{prm.name}.path", prm.path, "fitted twice")
        for d in datasets:
            if prm.applies_to(d.name) and any(s.split("=", 1)[0].strip() == prm.path
                                              for s in d.overrides):
                raise CaseError(f"{d.key}.set", prm.path, f"the fitted parameter {prm.name} "
                                "sets this key; drop it from set")
    return FitSpec(p, name, _text(raw, "title", "", name) or name,
                   _text(raw, "description", "") or "", _options(raw.get("fit", {})),
                   parameters, datasets, raw)
