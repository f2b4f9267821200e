"""Case -> typed solver settings: the one module that reads a :class:`fem.case.model.Case` on
behalf of the physics packages (which receive only the dataclasses built here)."""

from __future__ import annotations
