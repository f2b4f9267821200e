"""The Python API: load a case (a file, a bundled case's name or a dict), override values, run
it in this process (serially, or on every rank of ``mpirun -n N python script.py``), and get the
history as arrays and the summary as a dict.

Example (``docs/user-guide.md#python-api``; run by ``tests/test_api.py``)::

    from fem import api

    case = api.load("ncm811_li_fixed_gap", {"holder.pressure": "3 MPa",
                                            "protocol.repeat": 2})
    result = api.run(case, "results/p3", overwrite=True)
    p = result.history["stack_pressure_MPa"]          # numpy array, one value per step
    swing = result.summary["results"]["pressure_swing_per_cycle_MPa"]
    later = api.read("results/p3")                    # the same, from the files

Every rank gets the same :class:`Result`: rank 0 reads the files and broadcasts them. Errors
are the command line's: :class:`fem.errors.CaseError` for bad input (before anything is built),
:class:`fem.errors.SolverError` when a solve fails after all cut-backs, and so on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from fem._dolfinx import MPI
from fem.case import Case, load_case, load_case_dict
from fem.case.bundled import resolve_case_path
from fem.case.loader import apply_overrides
from fem.errors import CaseError
from fem.output.history import read_history

__all__ = ["Case", "Result", "load", "read", "restart", "run"]


@dataclass
class Result:
    """A finished run: its folder, the history by column (numbers as float arrays, the step
    labels as a list of str) and summary.json as a dict."""

    outdir: Path
    history: dict[str, Any]
    summary: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.history[column]

    @property
    def status(self) -> str:
        return self.summary.get("status", "?")


def _override_strings(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[str]:
    """``{"holder.pressure": "3 MPa"}`` (values as they would be written in the case file) or
    ``["holder.pressure=3 MPa"]`` (the command line's --set form)."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        out = []
        for key, value in overrides.items():
            try:
                literal = tomli_w.dumps({"v": value}).split("=", 1)[1].strip()
            except (TypeError, ValueError) as exc:
                raise CaseError(str(key), value, f"not a value a case file can hold ({exc})"
                                ) from None
            out.append(f"{key}={literal}")
        return out
    if isinstance(overrides, str):
        raise CaseError("overrides", overrides, "a mapping {key: value} or a list of "
                        "'key=value' strings")
    return list(overrides)


def load(case: str | Path | Mapping[str, Any] | Case = None,
         overrides: Mapping[str, Any] | Sequence[str] | None = None) -> Case:
    """A validated case in SI: ``case`` is a file path, the name of a bundled case (None: the
    flagship), a dict with the case file's structure, or a Case (returned as it is when there
    are no overrides). Raises :class:`fem.errors.CaseError` for bad input."""
    sets = _override_strings(overrides)
    if isinstance(case, Case):
        if not sets:
            return case
        case = case.raw
    if isinstance(case, Mapping):
        return load_case_dict(apply_overrides(dict(case), sets))
    return load_case(resolve_case_path(case), sets)


def _broadcast_result(outdir: Path, comm: MPI.Comm) -> Result:
    data, err = None, None
    if comm.rank == 0:
        try:
            hist = read_history(outdir / "history.csv")
            summary = json.loads((outdir / "summary.json").read_text())
            data = (hist, summary)
        except (OSError, ValueError) as exc:
            err = f"cannot read the run in {outdir}: {exc}"
    data, err = comm.bcast((data, err), root=0)
    if err:
        raise FileNotFoundError(err)
    hist, summary = data
    history = {k: (v if k == "step_label" else np.asarray(v, dtype=float))
               for k, v in hist.items()}
    return Result(Path(outdir), history, summary)


def read(outdir: str | Path, comm: MPI.Comm | None = None) -> Result:
    """The result of a finished run folder (collective on ``comm``, default COMM_WORLD)."""
    return _broadcast_result(Path(outdir), comm or MPI.COMM_WORLD)


def run(case: str | Path | Mapping[str, Any] | Case = None, outdir: str | Path | None = None, *,
        overrides: Mapping[str, Any] | Sequence[str] | None = None, overwrite: bool = False,
        comm: MPI.Comm | None = None, progress: bool = False,
        mesh_cache: str | Path = "meshes", accept_cost: bool = False) -> Result:
    """Run ``case`` (anything :func:`load` takes) into ``outdir`` (default
    ``results/<case name>``) in this process, collectively on ``comm`` (default COMM_WORLD;
    MPI.COMM_SELF runs it on this rank alone), and return its :class:`Result`."""
    from fem.run import run_case

    comm = comm or MPI.COMM_WORLD
    c = load(case, overrides)
    out = Path(outdir) if outdir is not None else Path("results") / c.name
    final = run_case(c, out, comm, overwrite=overwrite, progress=progress, mesh_cache=mesh_cache,
                     accept_cost=accept_cost)
    return _broadcast_result(final, comm)


def restart(outdir: str | Path, comm: MPI.Comm | None = None, progress: bool = False) -> Result:
    """Continue the interrupted (or failed) run of ``outdir`` from its newest checkpoint, on
    any number of ranks, and return its :class:`Result`."""
    from fem.run import restart_run

    comm = comm or MPI.COMM_WORLD
    final = restart_run(outdir, comm, progress)
    return _broadcast_result(final, comm)
