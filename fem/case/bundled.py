"""The bundled cases (``cases/*.toml``) and how a case argument names one."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

#: What a bundled case name looks like (anything else is taken as a file path).
_BUNDLED_NAME = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")

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
    try:
        exists = p.exists() or p.is_symlink()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return p  # read_case_file says what is wrong with it
    if exists or p.suffix == ".toml" or not _BUNDLED_NAME.fullmatch(str(name)):
        return p
    return bundled_cases_dir() / f"{name}.toml"
