"""summary.json (key results, wall time, ranks, versions, case hash) and case.resolved.toml."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import tomli_w

from fem import __version__


def versions() -> dict[str, str]:
    """Versions of assb-fem and the stack it runs on."""
    from fem._dolfinx import MPI, PETSc, dolfinx

    out = {"assb_fem": __version__, "python": platform.python_version(),
           "dolfinx": dolfinx.__version__}
    v = PETSc.Sys.getVersion()
    out["petsc"] = ".".join(map(str, v))
    out["mpi"] = MPI.Get_library_version().splitlines()[0].strip()
    try:
        import gmsh

        out["gmsh"] = gmsh.__version__
    except Exception:  # pragma: no cover - gmsh import problems are reported, not fatal
        out["gmsh"] = "unavailable"
    return out


def write_summary(path: Path, data: dict) -> None:
    """summary.json: the data as they are, and the same key numbers in words (``key_numbers``:
    label with unit -> value, :mod:`fem.output.key_numbers`)."""
    from fem.output.key_numbers import key_numbers

    data = dict(data, key_numbers=dict(key_numbers(data)))
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n")


def write_resolved_case(path: Path, resolved: dict) -> None:
    path.write_text("# The case as run: every value in SI (see 'units').\n"
                    + tomli_w.dumps(_toml_safe(resolved)))


def _toml_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _toml_safe(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_toml_safe(v) for v in obj if v is not None]
    return obj
