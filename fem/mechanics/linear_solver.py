"""Linear solver choice for the stack mechanics (PETSc KSP), overridable from the case.

Defaults (dolfinx-notes.md section 3, docs/performance.md "3D iterative solver"): direct MUMPS LU
for 2D and for 3D up to 3e5 unknowns; beyond, FGMRES + GAMG with the rigid-body near-nullspace
and block size set on the matrix (:func:`configure_matrix`), aggregation threshold 0.02 and
Chebyshev/SOR smoothing, which stays at about 10 Krylov iterations on the Li creep tangent where
the plain CG + GAMG (Chebyshev/Jacobi) set took hundreds. Any option can be overridden from the
case's ``solver.petsc_options``. Options are written into the PETSc options database under a
private prefix and kept there, because options PETSc reads lazily would otherwise be lost
(dolfinx-notes.md 1.6).
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
    "ksp_type": "fgmres",
    "ksp_gmres_restart": 100,
    "ksp_rtol": 1e-10,
    "ksp_atol": 1e-30,
    "ksp_max_it": 1000,
    "pc_type": "gamg",
    "pc_gamg_threshold": 0.02,
    "pc_gamg_agg_nsmooths": 1,
    "mg_levels_ksp_type": "chebyshev",
    "mg_levels_ksp_max_it": 3,
    "mg_levels_pc_type": "sor",
}


def default_options(kind: str, gdim: int, ndofs: int) -> dict:
    """The option set for ``kind`` in {"auto", "direct", "iterative"}."""
    if kind == "direct" or (kind == "auto" and (gdim == 2 or ndofs <= 300_000)):
        return dict(DIRECT)
    return dict(ITERATIVE)


def make_ksp(comm, options: dict, prefix: str = "mech", A: PETSc.Mat | None = None,
             V=None) -> PETSc.KSP:
    """A KSP configured from ``options`` under a unique prefix; with the operator ``A`` and its
    space ``V``, the matrix is prepared for the preconditioner too (:func:`configure_matrix`)."""
    if A is not None and V is not None:
        configure_matrix(A, V, options)
    pre = f"assb_{prefix}{next(_counter)}_"
    db = PETSc.Options()
    for k, v in options.items():
        db[pre + k] = v
    ksp = PETSc.KSP().create(comm)
    ksp.setOptionsPrefix(pre)
    ksp.setFromOptions()
    return ksp


def rigid_body_modes(V) -> PETSc.NullSpace:
    """The rigid-body modes of a vector Lagrange space (3 in 2D, 6 in 3D), orthonormalised,
    as a PETSc near-nullspace for GAMG (translations, and rotations about the origin)."""
    import numpy as np

    gdim = V.mesh.geometry.dim
    im = V.dofmap.index_map
    bs = V.dofmap.index_map_bs
    n_local = im.size_local
    x = V.tabulate_dof_coordinates()[:n_local]
    nmodes = 3 if gdim == 2 else 6
    basis = []
    for _ in range(nmodes):
        v = PETSc.Vec().createMPI((n_local * bs, PETSc.DECIDE), comm=V.mesh.comm)
        v.setBlockSize(bs)
        basis.append(v)
    arrs = [np.zeros((n_local, bs)) for _ in range(nmodes)]
    for i in range(gdim):
        arrs[i][:, i] = 1.0
    if gdim == 2:
        arrs[2][:, 0], arrs[2][:, 1] = -x[:, 1], x[:, 0]
    else:
        arrs[3][:, 0], arrs[3][:, 1] = -x[:, 1], x[:, 0]
        arrs[4][:, 0], arrs[4][:, 2] = x[:, 2], -x[:, 0]
        arrs[5][:, 1], arrs[5][:, 2] = -x[:, 2], x[:, 1]
    for v, a in zip(basis, arrs, strict=True):
        v.setArray(a.reshape(-1))
    # modified Gram-Schmidt (PETSc requires an orthonormal basis)
    for i, v in enumerate(basis):
        for u in basis[:i]:
            v.axpy(-v.dot(u), u)
        v.normalize()
    return PETSc.NullSpace().create(vectors=basis, comm=V.mesh.comm)


def configure_matrix(A: PETSc.Mat, V, options: dict) -> None:
    """Block size and rigid-body near-nullspace on the tangent matrix when ``options`` use an
    algebraic multigrid (GAMG); a no-op for the direct solvers."""
    if options.get("pc_type") != "gamg":
        return
    bs = V.dofmap.index_map_bs
    if A.getBlockSize() != bs:
        try:
            A.setBlockSize(bs)
        except PETSc.Error:
            pass
    A.setNearNullSpace(rigid_body_modes(V))
