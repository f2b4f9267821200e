"""The one import point for dolfinx, petsc4py and mpi4py.

The PyPI wheel ``dolfinx-solver-real`` ships MPI inside the wheel: ``import dolfinx_solver``
must run before the first ``import dolfinx`` or ``petsc4py``, or the MPI library is not found.
On the official dolfinx images and conda installs the module does not exist and nothing is
needed. Every module of assb-fem imports dolfinx through here::

    from fem._dolfinx import MPI, PETSc, dolfinx
"""

from __future__ import annotations

import sys

try:  # PyPI wheel: sets up the bundled MPI before dolfinx loads
    import dolfinx_solver  # noqa: F401
except ImportError:  # official images / conda: dolfinx is found as it is
    pass

# dolfinx passes sys.argv to its C++ logging at import; an argument with bytes that are not
# UTF-8 (held as surrogates) cannot cross into C++ and the import fails: hand it a clean copy
_argv = sys.argv
sys.argv = [a.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for a in _argv]
try:
    import dolfinx  # noqa: E402
    import dolfinx.fem.petsc  # noqa: E402,F401
    import dolfinx.io  # noqa: E402,F401
    import dolfinx.mesh  # noqa: E402,F401
    from mpi4py import MPI  # noqa: E402
    from petsc4py import PETSc  # noqa: E402
finally:
    sys.argv = _argv

__all__ = ["MPI", "PETSc", "dolfinx", "release_form_caches"]


def release_form_caches() -> None:
    """Drop what UFL's form transformations keep alive between forms.

    UFL's rule sets dispatch through ``functools.singledispatchmethod``, which in Python
    3.12.x / 3.13.0-3.13.1 caches each bound method in a ``WeakKeyDictionary`` whose value
    refers back to its key: the entry never dies, and with it the Functions, spaces and meshes
    (and their MPI communicators) that the rule set saw. Many simulations in one process (tests,
    notebooks) then run out of MPI communicators (MPICH aborts with MPI_ERR_OTHER, exit code
    15). Clearing the caches is safe at any time: they only memoise bound methods."""
    import functools
    import sys

    for name, module in list(sys.modules.items()):
        if not name.startswith("ufl") or module is None:
            continue
        for obj in list(vars(module).values()):
            if not isinstance(obj, type) or not obj.__module__.startswith("ufl"):
                continue
            for attr in vars(obj).values():
                cache = getattr(attr, "_method_cache", None)
                if isinstance(attr, functools.singledispatchmethod) and cache is not None:
                    cache.clear()


def destroy_problem(problem) -> None:
    """Destroy the PETSc objects of a dolfinx ``NonlinearProblem`` now (collective) and drop
    them, so that its ``__del__`` has nothing left to destroy. Left to the garbage collector,
    the destruction is collective at a moment that differs between ranks (a cyclic collection
    runs when a rank's allocation count says so): one rank blocks in the SNES's destroy while
    the other assembles the next form, a deadlock (seen under ``mpirun -n 2`` with two runs in
    one process)."""
    if problem is None:
        return
    for name in ("_snes", "_A", "_b", "_x", "_P_mat"):
        obj = getattr(problem, name, None)
        if obj is not None:
            obj.destroy()
            setattr(problem, name, None)
