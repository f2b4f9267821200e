"""The outputs of a fit (rank 0 writes, into the fit folder only): ``fit.json`` (everything,
:func:`summary`), ``fit.md`` (the same, readable: :func:`markdown`), ``fitted.toml`` (the fitted
values as a case / card override block: :func:`fitted_toml`) and a figure per dataset
(:mod:`fem.study.fit.figures`)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from fem.study.fit.problem import Evaluation, Problem
from fem.study.fit.spec import Parameter
from fem.study.fit.stats import Uncertainty


def _clean(obj: Any) -> Any:
    """JSON has no NaN or infinity: None instead; numpy numbers as Python ones."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, np.floating | float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def _at_bound(p: Parameter, v: float) -> str | None:
    span = (math.log(p.upper / p.lower) if p.scale == "log" else p.upper - p.lower)
    d_lo = math.log(v / p.lower) if p.scale == "log" else v - p.lower
    d_hi = math.log(p.upper / v) if p.scale == "log" else p.upper - v
    return "lower" if d_lo <= 1e-6 * span else "upper" if d_hi <= 1e-6 * span else None


def _parameter(p: Parameter, j: int, u: np.ndarray, unc: Uncertainty, problem: Problem) -> dict:
    tr = problem.transform
    value = float(tr.to_values(u)[j])
    lo_u, hi_u = unc.interval_u(u)
    ci = [float(tr.to_values(np.where(np.arange(len(u)) == j, lo_u, u))[j]),
          float(tr.to_values(np.where(np.arange(len(u)) == j, hi_u, u))[j])]
    if not all(math.isfinite(c) for c in ci) or math.isinf(unc.sd[j]):
        ci = [math.nan, math.nan]
    q = p.quantity
    out = {"name": p.name, "path": p.path, "unit": q.unit, "scale": p.scale,
           "start": q.in_unit(p.start), "value": q.in_unit(value),
           "ci": [q.in_unit(c) if math.isfinite(c) else math.nan for c in ci],
           "bounds": [q.in_unit(p.lower), q.in_unit(p.upper)],
           "at_bound": _at_bound(p, value),
           "sd_transformed": float(unc.sd[j]),
           "si": {"start": p.start, "value": value, "ci": ci, "bounds": [p.lower, p.upper]},
           "datasets": list(p.datasets) if p.datasets is not None else "all"}
    if p.scale == "log" and math.isfinite(unc.sd[j]):
        out["ci_factor"] = math.exp(unc.quantile * unc.sd[j])
    if p.prior is not None:
        inside = p.prior[0] <= value <= p.prior[1]
        out["prior"] = {"range": [q.in_unit(p.prior[0]), q.in_unit(p.prior[1])],
                        "source": p.prior_source, "inside": inside}
    return out


def _dataset(problem: Problem, i: int, start: Evaluation, final: Evaluation) -> dict:
    ds, obs = problem.spec.datasets[i], problem.obs[i]
    from fem.study.fit.quantities import from_si

    fitted = np.asarray(final.models[ds.name])
    first = np.asarray(start.models.get(ds.name, [math.nan] * len(obs.t)))
    diff = fitted - obs.y
    res = obs.residuals(fitted)
    t_unit = obs.time_unit or "s"
    points = [{"time": from_si(t, t_unit), "data": y, "fitted": f, "start": s0,
               "difference": d, "residual": r, "weight": w}
              for t, y, f, s0, d, r, w in zip(obs.t, obs.y, fitted, first, diff, res, obs.w,
                                              strict=True)]
    for p, te, st in zip(points, obs.t_end, obs.stat, strict=True):
        if st != "value":  # a statistic over a time window: "time" is the window's start
            p.update({"to": from_si(te, t_unit), "statistic": st})
    return {"name": ds.name, "case": str(ds.case_path), "set": list(ds.overrides),
            "data": str(ds.data) if ds.data is not None else "points in the spec",
            "history": ds.history, "unit": obs.unit, "time_unit": t_unit,
            "time_zero_step": ds.time_zero_step, "time_offset_s": ds.time_offset,
            "residual": ds.residual, "weight": ds.weight, "noise": obs.noise,
            "run_start": f"runs/{start.runs.get(ds.name, '')}",
            "run_fitted": f"runs/{final.runs[ds.name]}",
            "rms_difference": float(np.sqrt(np.mean(diff ** 2))),
            "max_abs_difference": float(np.max(np.abs(diff))),
            "cost": 0.5 * float(res @ res), "points": points}


def summary(problem: Problem, result, unc: Uncertainty, final: Evaluation, wall: float) -> dict:
    """The content of fit.json."""
    from fem.output.summary import versions

    spec = problem.spec
    start = problem.evaluations[0]
    names = [p.name for p in spec.parameters]
    status = "converged" if result.status > 0 else "stopped"
    return _clean({
        "status": status, "message": str(result.message), "name": spec.name,
        "title": spec.title, "description": spec.description, "spec": str(spec.path),
        "spec_sha256": hashlib.sha256(spec.path.read_bytes()).hexdigest(),
        "fit_folder": str(problem.fitdir),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "wall_time_s": wall, "versions": versions(),
        "options": {k: getattr(spec.options, k) for k in spec.options.__dataclass_fields__},
        "method": "scipy.optimize.least_squares (trf, bounds) on ln(value) (log scale) or "
                  "value/|start| (linear scale); Jacobian by finite differences over full runs",
        "residual_evaluations": int(result.nfev), "jacobian_evaluations": int(result.njev),
        "runs": {**problem.counts,
                 "folders": len({k for e in problem.evaluations for k in e.runs.values()})},
        "cost": {"start": start.cost, "final": final.cost},
        "points": problem.size,
        "uncertainty": {"confidence": spec.options.confidence, "basis": unc.basis, "s2": unc.s2,
                        "degrees_of_freedom": unc.dof, "quantile": unc.quantile,
                        "jacobian_condition_number": unc.condition, "jacobian_rank": unc.rank},
        "parameters": [_parameter(p, j, final.u, unc, problem)
                       for j, p in enumerate(spec.parameters)],
        "correlation": {"parameters": names, "matrix": unc.correlation},
        "datasets": [_dataset(problem, i, start, final) for i in range(len(spec.datasets))],
        "evaluations": [e.as_dict(spec) for e in problem.evaluations],
    })


# ---------------------------------------------------------------------------- fit.md
def _g(v, digits: int = 4) -> str:
    return "–" if v is None else f"{v:.{digits}g}"


def _with_unit(v, unit: str, digits: int = 4) -> str:
    return f"{_g(v, digits)} {unit}".strip()


def _md_parameters(s: dict) -> list[str]:
    conf = round(100 * s["uncertainty"]["confidence"])
    lines = [f"| parameter | key | start | fitted | {conf} % interval | bounds | prior range | "
             "prior check |", "|---|---|---|---|---|---|---|---|"]
    for p in s["parameters"]:
        u = p["unit"]
        ci = p["ci"]
        interval = "not identified" if ci[0] is None else \
            f"{_g(ci[0])} – {_g(ci[1])} {u}".strip()
        if p.get("ci_factor"):
            interval += f" (×/÷ {p['ci_factor']:.3g})"
        fitted = _with_unit(p["value"], u, 5) + (f" **at the {p['at_bound']} bound**"
                                                 if p["at_bound"] else "")
        prior, check = "–", "–"
        if "prior" in p:
            pr = p["prior"]
            prior = f"{_g(pr['range'][0])} – {_g(pr['range'][1])} {u}".strip()
            check = "inside" if pr["inside"] else "**OUTSIDE the prior range**"
        lines.append(f"| {p['name']} | `{p['path']}` | {_with_unit(p['start'], u)} | {fitted} | "
                     f"{interval} | {_g(p['bounds'][0])} – {_g(p['bounds'][1])} {u} | {prior} | "
                     f"{check} |")
    sources = [f"* {p['name']}: {p['prior']['source']}" for p in s["parameters"] if "prior" in p]
    if sources:
        lines += ["", "Prior ranges from:", "", *sources]
    return lines


def _md_uncertainty(s: dict) -> list[str]:
    u = s["uncertainty"]
    conf = round(100 * u["confidence"])
    if u["s2"] is None:
        return [f"No {conf} % intervals: {u['basis']}."]
    basis = ("the stated noise (s² = 1: the residuals are in units of the noise), normal "
             f"quantile {u['quantile']:.3g}" if u["basis"] == "noise" else
             f"the residual variance s² = {u['s2']:.4g} ({u['degrees_of_freedom']} degrees of "
             f"freedom), Student's t quantile {u['quantile']:.3g}")
    return [f"The {conf} % intervals come from the Jacobian at the solution: cov = s² (JᵀJ)⁻¹ "
            f"with {basis}. They are linearised: symmetric in ln(value) on a log scale "
            "(×/÷ a factor), in the value on a linear one. Condition number of J: "
            f"{_g(u['jacobian_condition_number'], 3)}."]


def _md_correlation(s: dict) -> list[str]:
    names = s["correlation"]["parameters"]
    lines = ["| | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for n, row in zip(names, s["correlation"]["matrix"], strict=True):
        lines.append(f"| {n} | " + " | ".join("–" if v is None else f"{v:+.3f}" for v in row)
                     + " |")
    return lines


def _md_dataset(d: dict, max_rows: int = 200) -> list[str]:
    u, tu = d["unit"], d["time_unit"]
    lines = [f"### {d['name']}", "",
             f"Case `{d['case']}`" + (f" with `{'`, `'.join(d['set'])}`" if d["set"] else "")
             + f"; data: `{d['data']}`; compared with `{d['history']}`; fitted run "
             f"`{d['run_fitted']}`, start run `{d['run_start']}`.", "",
             f"![fit of {d['name']}](fit_{d['name']}.png)", "",
             f"RMS difference {_with_unit(d['rms_difference'], u)}, largest "
             f"{_with_unit(d['max_abs_difference'], u)}; weighted cost {_g(d['cost'])}.", "",
             f"| time ({tu}) | data ({u or '-'}) | fitted | start | fitted − data | "
             "weighted residual |", "|---|---|---|---|---|---|"]
    for p in d["points"][:max_rows]:
        when = _g(p["time"], 6) if "statistic" not in p else \
            f"{p['statistic']} {_g(p['time'], 6)} to {_g(p['to'], 6)}"
        lines.append(f"| {when} | {_g(p['data'], 6)} | {_g(p['fitted'], 6)} | "
                     f"{_g(p['start'], 6)} | {_g(p['difference'], 3)} | {_g(p['residual'], 3)} |")
    if len(d["points"]) > max_rows:
        lines.append(f"| … {len(d['points']) - max_rows} more points in fit.json | | | | | |")
    return lines + [""]


def markdown(s: dict) -> str:
    """fit.md: the fit in words and tables."""
    runs = s["runs"]
    head = [f"# Fit: {s['title']}", ""]
    if s["description"]:
        head += [s["description"], ""]
    head += [f"Specification `{s['spec']}`; {s['status']} ({s['message']}) after "
             f"{s['residual_evaluations']} residual and {s['jacobian_evaluations']} Jacobian "
             f"evaluations; {runs['run']} runs done and {runs['reused']} reused in this call "
             f"({runs['failed']} failed), {runs['folders']} run folders in all; cost "
             f"{_g(s['cost']['start'])} at the start, {_g(s['cost']['final'])} fitted; "
             f"{s['wall_time_s']:.0f} s.", "", "## Parameters", ""]
    body = [*_md_parameters(s), "", *_md_uncertainty(s), "", "## Correlation", "",
            *_md_correlation(s), "", "## Datasets", "",
            "| dataset | points | RMS difference | weighted cost |", "|---|---|---|---|"]
    for d in s["datasets"]:
        body.append(f"| {d['name']} | {len(d['points'])} | "
                    f"{_with_unit(d['rms_difference'], d['unit'])} | {_g(d['cost'])} |")
    body.append("")
    for d in s["datasets"]:
        body += _md_dataset(d)
    return "\n".join(head + body) + "\n"


# ---------------------------------------------------------------------------- fitted.toml
_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE.match(k) else json.dumps(k)


def fitted_toml(s: dict) -> str:
    """The fitted values as a case override block (tables per key path; keys with a list
    index as ``--set`` lines in comments). Parsed back before it is returned."""
    conf = round(100 * s["uncertainty"]["confidence"])
    tables: dict[str, list[str]] = {}
    indexed = []
    for p in s["parameters"]:
        text = f"{p['value']:.6g} {p['unit']}".strip()
        value = json.dumps(text) if p["unit"] else f"{p['value']:.6g}"
        ci = p["ci"]
        note = (f"  # {conf} % CI {_g(ci[0])} – {_g(ci[1])} {p['unit']}".rstrip()
                if ci[0] is not None else "  # not identified")
        if "[" in p["path"]:
            indexed.append(f"# --set '{p['path']}={text}'  ({note.strip().lstrip('# ')})")
            continue
        *table, key = p["path"].split(".")
        tables.setdefault(".".join(_toml_key(t) for t in table), []).append(
            f"{_toml_key(key)} = {value}{note}")
    lines = [f"# Fitted by `assb-fem fit` from {s['spec']} ({s['created']}).",
             "# Paste into a case file, or copy the [materials.<card>] values into the cards "
             "(with their source: this fit)."]
    if "" in tables:
        lines += ["", *tables.pop("")]
    for table, entries in tables.items():
        lines += ["", f"[{table}]", *entries]
    if indexed:
        lines += ["", "# Keys with a list index, as --set options:", *indexed]
    text = "\n".join(lines).lstrip("\n") + "\n"
    tomllib.loads(text)
    return text


def write(fitdir: Path, s: dict, problem: Problem) -> list[Path]:
    """Rank 0: fit.json, fit.md, fitted.toml and the figures, into the fit folder."""
    from fem.study.fit.figures import draw

    files = [fitdir / "fit.json", fitdir / "fit.md", fitdir / "fitted.toml"]
    files[0].write_text(json.dumps(s, indent=2) + "\n")
    files[1].write_text(markdown(s), encoding="utf-8")
    files[2].write_text(fitted_toml(s), encoding="utf-8")
    return files + draw(fitdir, s, problem)
