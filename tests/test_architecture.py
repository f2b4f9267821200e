"""The shape of the package (docs/architecture.md): layers import only downwards, no import
cycles, the solvers never see the case, and no module or class grows past its size limit."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

FEM = ROOT / "fem"

#: Layer of each package or top-level module; a module may import its own layer and below.
LAYERS = {
    "fem": 0, "fem._dolfinx": 0, "fem.constants": 0, "fem.errors": 0, "fem.log": 0,
    "fem.units": 1, "fem.output": 1,
    "fem.materials": 2, "fem.protocol": 2,
    "fem.case": 3,
    "fem.geometry": 4,
    "fem.mechanics": 5, "fem.electrochemistry": 5, "fem.interface": 5, "fem.contact": 5,
    "fem.cellstack": 6,
    "fem.run": 7,
    "fem.study": 8,
    "fem.api": 9, "fem.cli": 9,
}
#: The physics packages: they receive typed settings, never the case.
SOLVERS = ("fem.mechanics", "fem.electrochemistry", "fem.interface", "fem.contact")
MAX_MODULE_LINES = 500
MAX_CLASS_LINES = 400


def _modules() -> dict[str, Path]:
    out = {}
    for path in FEM.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path) -> set[str]:
    """Every fem module ``path`` imports, at the top or inside a function (not under
    TYPE_CHECKING)."""
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("fem"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("fem"):
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def _layer(module: str) -> tuple[str, int]:
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return best, LAYERS[best]


MODULES = _modules()
IMPORTS = {name: {m for m in _imports(p) if m in MODULES} for name, p in MODULES.items()}


def test_every_module_has_a_layer():
    assert all(_layer(m) for m in MODULES)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_upward_import(module):
    own, level = _layer(module)
    upward = sorted(m for m in IMPORTS[module] if _layer(m)[1] > level)
    assert not upward, f"{module} (layer {level}) imports from above: {upward}"


def test_solvers_do_not_read_the_case():
    bad = sorted((m, i) for m in MODULES if m.startswith(SOLVERS)
                 for i in IMPORTS[m] if i.startswith("fem.case"))
    assert not bad, f"physics modules importing the case: {bad}"


def test_no_import_cycle():
    """Between modules (packages' __init__ re-exports aside)."""
    graph = {m: {i for i in deps if i != m and not MODULES[i].name == "__init__.py"}
             for m, deps in IMPORTS.items() if MODULES[m].name != "__init__.py"}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(m: str, path: list[str]) -> bool:
        state[m] = 1
        for n in graph.get(m, ()):
            if state.get(n) == 1:
                cycle.extend(path[path.index(n):] + [n] if n in path else [m, n])
                return True
            if state.get(n) is None and visit(n, path + [n]):
                return True
        state[m] = 2
        return False

    for m in sorted(graph):
        if state.get(m) is None and visit(m, [m]):
            break
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_sizes(module):
    path = MODULES[module]
    text = path.read_text()
    assert len(text.splitlines()) <= MAX_MODULE_LINES, f"{path}: {len(text.splitlines())} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            n = node.end_lineno - node.lineno + 1
            assert n <= MAX_CLASS_LINES, f"{path}: class {node.name} has {n} lines"
