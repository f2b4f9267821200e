"""Case key paths as ``--set`` and the protocol's named values read them:
``cell.layers[2].thickness`` -> ``['cell', 'layers', 2, 'thickness']``."""

from __future__ import annotations

import re

_INDEX = re.compile(r"^(.*)\[(\d+)\]\Z")  # \Z: "layers[1]\n" is not an index


def split_path(path: str) -> list[str | int]:
    """``cell.layers[2].thickness`` -> ['cell', 'layers', 2, 'thickness']."""
    parts: list[str | int] = []
    for token in path.split("."):
        m = _INDEX.match(token)
        while m:
            token, idx = m.group(1), int(m.group(2))
            parts.extend([token] if token else [])
            parts.append(idx)
            token = ""
            m = None
        if token:
            parts.append(int(token) if token.isdigit() else token)
    return parts
