"""The bundled cases (``cases/*.toml``) and how a case argument names one."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

#: The case ``assb-fem run`` and the Python API run when none is named.
FLAGSHIP = "ncm811_li_fixed_gap"


def bundled_cases_dir() -> Path:
    """The bundled cases: ``fem/_bundled/cases`` in a wheel, ``cases/`` in a source checkout."""
    packaged = resources.files("fem") / "_bundled" / "cases"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "cases"


def resolve_case_path(name: str | Path | None) -> Path:
    """A case argument: a file path, or the name of a bundled case (default: the flagship)."""
    if name is None:
        return bundled_cases_dir() / f"{FLAGSHIP}.toml"
    p = Path(name)
    if p.exists() or p.suffix == ".toml":
        return p
    return bundled_cases_dir() / f"{name}.toml"
