"""Linear solver choice for the stack mechanics (PETSc KSP), overridable from the case.

Defaults (dolfinx-notes.md section 3): direct MUMPS LU for 2D and for 3D up to 3e5 unknowns;
CG + GAMG with the rigid-body near-nullspace beyond (elastic problems only). Options are written
into the PETSc options database under a private prefix and kept there, because options PETSc
reads lazily would otherwise be lost (dolfinx-notes.md 1.6).
"""

from __future__ import annotations

import itertools

from fem._dolfinx import PETSc

_counter = itertools.count()

DIRECT = {
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
    "mat_mumps_icntl_14": 80,
}
ITERATIVE = {
    "ksp_type": "cg",
    "ksp_rtol": 1e-10,
    "ksp_atol": 1e-30,
    "ksp_max_it": 2000,
    "pc_type": "gamg",
    "pc_gamg_threshold": 0.01,
    "pc_gamg_agg_nsmooths": 1,
}


def default_options(kind: str, gdim: int, ndofs: int) -> dict:
    """The option set for ``kind`` in {"auto", "direct", "iterative"}."""
    if kind == "direct" or (kind == "auto" and (gdim == 2 or ndofs <= 300_000)):
        return dict(DIRECT)
    return dict(ITERATIVE)


def make_ksp(comm, options: dict, prefix: str = "mech") -> PETSc.KSP:
    """A KSP configured from ``options`` under a unique prefix."""
    pre = f"assb_{prefix}{next(_counter)}_"
    db = PETSc.Options()
    for k, v in options.items():
        db[pre + k] = v
    ksp = PETSc.KSP().create(comm)
    ksp.setOptionsPrefix(pre)
    ksp.setFromOptions()
    return ksp
