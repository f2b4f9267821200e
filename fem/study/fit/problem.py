"""The least-squares problem of a fit: parameters in transformed coordinates (:class:`Transform`),
one run per dataset for each parameter vector (:meth:`Problem.evaluate`, all the runs of a
batch at once), the residual vector (:meth:`Problem.fun`) and the finite-difference Jacobian
whose columns are run in parallel (:meth:`Problem.jac`).

Transformed coordinates: u = ln(value / start) on a log scale, u = (value - start) / |start| on
a linear one (the bound span / 10 for a zero start), so that u = 0 at the start and a step of
0.01 changes a value by about 1 %. Collective: every rank calls the same methods with the same
arguments; rank 0 reads the runs' histories and broadcasts what it found, so that
scipy.optimize.least_squares takes the same path on every rank.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fem.errors import CaseError, SolverError
from fem.log import get_logger
from fem.study.fit.data import Observations, model_values
from fem.study.fit.runs import RunTask, execute, failure_message, run_key, run_status
from fem.study.fit.spec import Dataset, FitSpec, Parameter


class Transform:
    """Between values (SI) and the transformed coordinates u of the parameters."""

    def __init__(self, parameters: tuple[Parameter, ...]):
        self.parameters = parameters
        self.typ = np.array([abs(p.start) or (p.upper - p.lower) / 10 for p in parameters])
        self.log = np.array([p.scale == "log" for p in parameters])
        self.start = np.array([p.start for p in parameters])

    def to_u(self, values) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.log, np.log(np.abs(v / self.start)), (v - self.start) / self.typ)

    def to_values(self, u) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        return np.where(self.log, self.start * np.exp(u), self.start + self.typ * u)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = self.to_u([p.lower for p in self.parameters])
        hi = self.to_u([p.upper for p in self.parameters])
        return lo, hi


@dataclass
class Evaluation:
    """One parameter vector: its runs (dataset -> run key), the model values at the data's
    times, the weighted residuals (None when a run failed or did not reach the data: ``reason``)
    and the cost 0.5 sum r^2."""

    index: int
    u: np.ndarray
    values: np.ndarray
    kind: str = "point"
    runs: dict[str, str] = field(default_factory=dict)
    models: dict[str, list[float]] = field(default_factory=dict)
    r: np.ndarray | None = None
    reason: str = ""

    @property
    def cost(self) -> float:
        return 0.5 * float(self.r @ self.r) if self.r is not None else math.inf

    def as_dict(self, spec: FitSpec) -> dict:
        return {"index": self.index, "kind": self.kind, "cost": self.cost if self.r is not None else None,
                "values": {p.name: float(v) for p, v in zip(spec.parameters, self.values,
                                                             strict=True)},
                "runs": {k: f"runs/{v}" for k, v in self.runs.items()},
                **({"failed": self.reason} if self.r is None else {})}


def load_dataset_case(ds: Dataset, spec: FitSpec, values) -> tuple[object, tuple[str, ...]]:
    """The case of ``ds`` at parameter ``values`` (SI), and the overrides that make it."""
    from fem.case import load_case

    over = tuple([*ds.overrides, *(p.override(v) for p, v in zip(spec.parameters, values,
                                                                 strict=True)
                                   if p.applies_to(ds.name))])
    return load_case(ds.case_path, list(over)), over


class Problem:
    """The residuals and the Jacobian of a fit (see the module docstring)."""

    def __init__(self, spec: FitSpec, observations: list[Observations], steps: list[int | None],
                 fitdir: Path, comm, jobs: int = 1, progress: bool = False):
        self.spec, self.obs, self.steps = spec, observations, steps
        self.fitdir, self.comm, self.jobs, self.progress = fitdir, comm, jobs, progress
        self.transform = Transform(spec.parameters)
        self.evaluations: list[Evaluation] = []
        self._cache: dict[bytes, Evaluation] = {}
        self._jac: dict[bytes, np.ndarray] = {}
        self._hist: dict[str, dict] = {}
        self.counts = {"reused": 0, "run": 0, "failed": 0}
        self.size = sum(len(o.t) for o in observations)

    # ------------------------------------------------------------------ evaluations
    def _tasks(self, ev: Evaluation, tasks: dict[str, RunTask]) -> None:
        for ds in self.spec.datasets:
            try:
                case, over = load_dataset_case(ds, self.spec, ev.values)
            except CaseError as exc:
                ev.reason = f"{ds.name}: the case does not load at these values: {exc}"
                return
            key = run_key(case)
            ev.runs[ds.name] = key
            task = tasks.setdefault(key, RunTask(key, case, ds.case_path, over))
            if ds.name not in task.datasets:
                task.datasets.append(ds.name)

    def _history(self, key: str) -> dict | None:
        from fem.output.history import read_history

        if key not in self._hist:
            if run_status(self.fitdir, key) != "completed":
                return None
            self._hist[key] = read_history(self.fitdir / "runs" / key / "history.csv")
        return self._hist[key]

    def _residuals(self, ev: Evaluation) -> None:
        """Rank 0: the model values and residuals of ``ev`` from its runs' histories."""
        parts = []
        for ds, obs, step in zip(self.spec.datasets, self.obs, self.steps, strict=True):
            key = ev.runs[ds.name]
            hist = self._history(key)
            if hist is None:
                why = failure_message(self.fitdir, key) or "it did not finish"
                ev.reason = f"{ds.name}: run runs/{key} failed: {why}"
                return
            model, why = model_values(obs, hist, step)
            if model is None:
                ev.reason = f"{ds.name}: run runs/{key}: {why}"
                return
            ev.models[ds.name] = model.tolist()
            parts.append(obs.residuals(model))
        ev.r = np.concatenate(parts)

    def evaluate(self, us: list[np.ndarray], kind: str = "point") -> list[Evaluation]:
        """Collective: the evaluations of the parameter vectors ``us`` (cached), their new runs
        done as one batch; ``kind`` (point, Jacobian) labels them in the log."""
        new = [u for u in dict.fromkeys(np.asarray(u, dtype=float).tobytes() for u in us)
               if u not in self._cache]
        if new:
            evs = []
            for b in new:
                u = np.frombuffer(b, dtype=float).copy()
                evs.append(Evaluation(len(self.evaluations) + len(evs) + 1, u,
                                      self.transform.to_values(u), kind))
            tasks: dict[str, RunTask] = {}
            for ev in evs:
                self._tasks(ev, tasks)
            counts = execute(list(tasks.values()), self.fitdir, self.comm, self.jobs,
                             self.progress)
            for k, v in counts.items():
                self.counts[k] += v
            if self.comm.rank == 0:
                for ev in evs:
                    if not ev.reason:
                        self._residuals(ev)
            evs = self.comm.bcast(evs if self.comm.rank == 0 else None, root=0)
            for b, ev in zip(new, evs, strict=True):
                self._cache[b] = ev
                self.evaluations.append(ev)
                self._log(ev, counts)
        return [self._cache[np.asarray(u, dtype=float).tobytes()] for u in us]

    def _log(self, ev: Evaluation, counts: dict[str, int]) -> None:
        vals = ", ".join(f"{p.name} = {p.text(v, 4)}" for p, v in zip(self.spec.parameters,
                                                                      ev.values, strict=True))
        what = f"cost {ev.cost:.6g}" if ev.r is not None else f"failed ({ev.reason[:200]})"
        label = "" if ev.kind == "point" else f" ({ev.kind})"
        get_logger().info(f"fit: evaluation {ev.index}{label}: {what}; {vals}")

    # ------------------------------------------------------------------ for least_squares
    def fun(self, u) -> np.ndarray:
        """The weighted residuals at ``u``; NaN where a run failed (least_squares then shrinks
        its trust region), a SolverError at the first point."""
        ev = self.evaluate([u])[0]
        if ev.r is None:
            if ev.index == 1:
                raise SolverError(f"fit: the start values fail: {ev.reason}")
            return np.full(self.size, np.nan)
        return ev.r

    def _steps(self, u: np.ndarray, sign: float) -> list[np.ndarray]:
        lo, hi = self.transform.bounds()
        out = []
        for j, p in enumerate(self.spec.parameters):
            h = sign * (p.fd_step or self.spec.options.fd_step)
            uj = u.copy()
            uj[j] = u[j] + h if lo[j] <= u[j] + h <= hi[j] else u[j] - h
            out.append(uj)
        return out

    def jac(self, u, f=None) -> np.ndarray:  # noqa: ARG002 - least_squares passes f
        """The Jacobian d r / d u by finite differences (forward or central, the steps turned
        round at a bound); all columns' runs in one batch."""
        u = np.asarray(u, dtype=float)
        if u.tobytes() in self._jac:
            return self._jac[u.tobytes()]
        base = self.evaluate([u])[0]
        plus = self._steps(u, 1.0)
        minus = self._steps(u, -1.0) if self.spec.options.jacobian == "central" else []
        self.evaluate([*plus, *minus], "Jacobian")
        cols = []
        for j, p in enumerate(self.spec.parameters):
            mirror = minus[j] if minus else 2 * u - plus[j]
            pairs = [(plus[j], minus[j])] if minus else []
            pairs += [(plus[j], u), (u, mirror)]
            for a, b in pairs:  # central, else forward, else the other side
                ea, eb = self.evaluate([a, b], "Jacobian")
                if ea.r is not None and eb.r is not None:
                    cols.append((ea.r - eb.r) / (a[j] - b[j]))
                    break
            else:
                bad = ea if ea.r is None else eb
                raise SolverError(f"fit: the Jacobian column of {p.name} cannot be computed at "
                                  f"evaluation {base.index}: {bad.reason}")
        J = np.column_stack(cols)
        self._jac[u.tobytes()] = J
        return J

    def check_sensitivity(self, J: np.ndarray) -> None:
        """A parameter whose column is zero does not change any run: a CaseError naming it."""
        for j, p in enumerate(self.spec.parameters):
            if not np.any(J[:, j]):
                raise CaseError(f"parameters.{p.name}.path", p.path, "no run changes with it (its "
                                "column of the Jacobian is zero): is it a key the case uses?")
