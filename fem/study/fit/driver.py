"""``assb-fem fit SPEC``: fit case and card parameters to measured data by least squares over
full runs.

1. :func:`fem.study.fit.spec.read_spec` reads the specification and
   :func:`fem.study.fit.data.read_observations` the data; :func:`check_inputs` loads every
   dataset's case at the start values and at each parameter's bounds, builds its solver settings
   and checks its cost and the data's time range: bad input is a CaseError naming the key,
   before any run and before anything is written;
2. :func:`fem.study.fit.runs.open_fit_folder` opens the fit folder (an earlier fit's folder is
   continued: its finished runs are reused);
3. scipy.optimize.least_squares (trust-region reflective, with the bounds) minimises
   0.5 sum r^2 over the transformed parameters (:class:`fem.study.fit.problem.Problem`): each
   residual evaluation runs every dataset's case, each Jacobian the columns' runs in parallel;
4. :func:`fem.study.fit.stats.uncertainty` gives the intervals and correlations from the
   Jacobian at the solution, and rank 0 writes fit.json, fit.md, fitted.toml and the figures
   (:mod:`fem.study.fit.report`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fem.errors import CaseError
from fem.log import get_logger
from fem.study.fit.data import (
    Observations,
    planned_end,
    planned_start,
    read_observations,
    step_index,
)
from fem.study.fit.problem import Problem, load_dataset_case
from fem.study.fit.spec import Dataset, FitSpec, read_spec


@dataclass
class FitResult:
    """What a fit wrote and found (the same on every rank)."""

    fitdir: Path
    files: list[Path]
    summary: dict
    resumed: bool


def _dataset_error(ds: Dataset, exc: CaseError, what: str) -> CaseError:
    return CaseError(f"{ds.key}.{what}", exc.value if what == "set" else str(ds.case_path),
                     f"dataset {ds.name}: {exc.key} = {exc.value!r}: {exc.allowed}")


def _check_parameters(spec: FitSpec, ds: Dataset) -> None:
    """The case of ``ds`` loads with each parameter at its start and at its bounds."""
    starts = [p.start for p in spec.parameters]
    for j, p in enumerate(spec.parameters):
        if not p.applies_to(ds.name):
            continue
        for what, v in (("", p.start), (".bounds", p.lower), (".bounds", p.upper)):
            values = [*starts[:j], v, *starts[j + 1:]]
            try:
                load_dataset_case(ds, spec, values)
            except CaseError as exc:
                value = p.path if not what else [p.text(p.lower), p.text(p.upper)]
                raise CaseError(f"parameters.{p.name}{what}", value,
                                f"dataset {ds.name} ({ds.key}) does not load with "
                                f"{p.path} = {p.text(v)!r}: {exc.key} = {exc.value!r}: "
                                f"{exc.allowed}") from None


def _check_time_range(ds: Dataset, obs: Observations, protocol: list, index: int | None) -> None:
    start, end = planned_start(protocol, index), planned_end(protocol)
    if start is None or end is None:
        return  # steps "until" a cut-off: checked against the start run's history
    t = np.concatenate([obs.t, obs.t_end]) + ds.time_offset + start
    unit = obs.time_unit or "s"
    from fem.study.fit.quantities import from_si

    if t.min() < 0:
        raise CaseError(f"{ds.key}.time_offset", ds.time_offset, f"the data start "
                        f"{from_si(-t.min(), unit):.6g} {unit} before the run does")
    if t.max() > end * (1 + 1e-9):
        raise CaseError(f"{ds.key}.data", str(ds.data or "points"),
                        f"the data reach {from_si(t.max(), unit):.6g} {unit} of run time, the "
                        f"protocol ends at {from_si(end, unit):.6g} {unit}")


def check_inputs(spec: FitSpec) -> tuple[list[Observations], list[int | None]]:
    """Every check that needs no run (see the module docstring): the observations and the
    protocol entry of each dataset's time zero."""
    from fem.case import load_case
    from fem.cellstack.settings import check_settings
    from fem.run.cost import check_cost

    observations, steps = [], []
    for ds in spec.datasets:
        obs = read_observations(ds)
        try:
            load_case(ds.case_path, list(ds.overrides))
        except CaseError as exc:
            raise _dataset_error(ds, exc, "set" if ds.overrides else "case") from None
        _check_parameters(spec, ds)
        case, _ = load_dataset_case(ds, spec, [p.start for p in spec.parameters])
        try:
            check_settings(case)
            check_cost(case, 1, False)
        except CaseError as exc:
            raise _dataset_error(ds, exc, "case") from None
        index = step_index(ds, case.protocol)
        _check_time_range(ds, obs, case.protocol, index)
        observations.append(obs)
        steps.append(index)
    return observations, steps


def _minimise(problem: Problem):
    from scipy.optimize import least_squares

    o = problem.spec.options
    lo, hi = problem.transform.bounds()
    first = [True]

    def jac(u, f=None):
        J = problem.jac(u, f)
        if first[0]:
            problem.check_sensitivity(J)
            first[0] = False
        return J

    return least_squares(problem.fun, np.zeros(len(lo)), jac=jac, bounds=(lo, hi), method="trf",
                         x_scale=1.0, ftol=o.ftol, xtol=o.xtol, gtol=o.gtol,
                         max_nfev=o.max_evaluations)


def run_fit(spec_path: str | Path, outdir: str | Path | None, comm, jobs: int = 1,
            progress: bool = True, overwrite: bool = False) -> FitResult:
    """Collective: check the inputs, fit, and write the report (see the module docstring)."""
    from fem.output.report import on_rank0
    from fem.study.fit.report import summary, write
    from fem.study.fit.runs import open_fit_folder
    from fem.study.fit.stats import uncertainty

    t0 = time.perf_counter()
    if jobs < 1:
        raise CaseError("--jobs", jobs, "must be >= 1")
    if jobs > 1 and comm.size > 1:
        raise CaseError("--jobs", jobs, "under mpirun the runs are spread over the ranks; "
                        "leave --jobs out there (or run without mpirun)")
    spec = read_spec(spec_path)
    observations, steps = check_inputs(spec)
    out = outdir if outdir is not None else Path("results") / spec.name
    fitdir, resumed = open_fit_folder(out, spec.protected_paths(), overwrite, comm)
    log = get_logger()
    mode = (f"{comm.size} MPI ranks" if comm.size > 1 else
            f"{jobs} child processes" if jobs > 1 else "one run at a time")
    log.info(f"fit {spec.name}: {len(spec.parameters)} parameter(s), {len(spec.datasets)} "
             f"dataset(s), {sum(len(o.t) for o in observations)} points; runs {mode} -> "
             f"{fitdir}" + (" (continuing: finished runs are reused)" if resumed else ""))
    problem = Problem(spec, observations, steps, fitdir, comm, jobs, progress)
    result = _minimise(problem)
    final = problem.evaluate([result.x])[0]
    J = problem.jac(result.x)
    points = sum(int(np.count_nonzero(o.w * o.dataset.weight)) for o in observations)
    noise = all(o.noise is not None for o in observations)
    unc = uncertainty(J, final.r, points, noise, spec.options.confidence)
    s = summary(problem, result, unc, final, time.perf_counter() - t0)
    files = on_rank0(comm, write, fitdir, s, problem)
    return FitResult(fitdir, files, s, resumed)
