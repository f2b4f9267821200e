"""Linear solver choice for the stack mechanics (PETSc KSP), overridable from the case.

Defaults (dolfinx-notes.md section 3, docs/performance.md "3D iterative solver"): direct MUMPS LU
for 2D and for 3D up to 3e5 unknowns; beyond, FGMRES + GAMG with the rigid-body near-nullspace
and block size set on the matrix (:func:`configure_matrix`), aggregation threshold 0.02 and
Chebyshev/SOR smoothing, which stays at 10-60 Krylov iterations on the Li creep tangent where
the plain CG + GAMG (Chebyshev/Jacobi) set took hundreds. The aggregation is unsmoothed
(``pc_gamg_agg_nsmooths 0``): the smoothed prolongator's Galerkin products made the coarse
operators dense, and at 1.31M unknowns on 2 ranks one set-up took 248 s and the run 20.7 GB;
unsmoothed, 2.5 s and 9.5 GB, for a few more Krylov iterations (docs/performance.md).
Iterative solves follow the Newton iteration (:class:`PreconditionerLag`: the preconditioner
kept while it stays good; :class:`ForcingTerm`: the corrections solved inexactly,
Eisenstat-Walker). Any option can be overridden from the case's ``solver.petsc_options``.
Options are written into the PETSc options database under a private prefix and kept there,
because options PETSc reads lazily would otherwise be lost (dolfinx-notes.md 1.6).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping

from fem._dolfinx import PETSc
from fem.errors import CaseError

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
    "pc_gamg_agg_nsmooths": 0,
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


#: What the PETSc error codes a bad option value gives mean (petscerror.h).
_PETSC_ERRORS = {56: "not supported here", 62: "a wrong argument", 63: "a value out of range or "
                 "not a number of the right kind", 86: "an unknown type",
                 92: "no such factorization (solver package)"}
_OPTION_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _refused(options: Mapping[str, object]) -> PETSc.Error | None:
    """Set ``options`` on a throw-away KSP with a 4 x 4 matrix on COMM_SELF, set it up and
    solve once: the PETSc error that gives, or None. The options are removed afterwards."""
    pre = f"assb_check{next(_counter)}_"
    db = PETSc.Options()
    A = PETSc.Mat().createAIJ([4, 4], nnz=3, comm=PETSc.COMM_SELF)
    ksp = PETSc.KSP().create(PETSc.COMM_SELF)
    try:
        for k, v in options.items():
            db[pre + k] = v
        for i in range(4):
            A[i, i] = 2.0
            if i:
                A[i, i - 1] = A[i - 1, i] = -1.0
        A.assemble()
        ksp.setOptionsPrefix(pre)
        ksp.setOperators(A)
        ksp.setFromOptions()
        b, x = A.createVecLeft(), A.createVecRight()
        b.set(1.0)
        ksp.solve(b, x)
        return None
    except PETSc.Error as exc:
        return exc
    finally:
        for k in options:
            db.delValue(pre + k)
        ksp.destroy()
        A.destroy()


def check_petsc_options(options: Mapping[str, object], kind: str, gdim: int,
                        key: str = "solver.petsc_options") -> None:
    """Raise a CaseError naming the first of the case's PETSc ``options`` that PETSc refuses
    (an unknown type, a value that is not a number, a missing solver package), with the
    default options of every solver ``kind`` may choose (:func:`default_options`), before any
    mesh: on a throw-away 4 x 4 system (:func:`_refused`), not at the first solve."""
    for k in options:
        if not _OPTION_KEY.fullmatch(k):
            raise CaseError(f"{key}.{k}", options[k], "a PETSc option name without the "
                            "leading '-': letters, digits and '_', e.g. ksp_type")
    sets = {"direct": [DIRECT], "iterative": [ITERATIVE]}.get(
        kind, [DIRECT] if gdim == 2 else [DIRECT, ITERATIVE])
    for base in sets:
        if _refused({**base, **options}) is None:
            continue
        chosen: dict[str, object] = dict(base)
        for k, v in options.items():
            chosen[k] = v
            exc = _refused(chosen)
            if exc is not None:
                what = _PETSC_ERRORS.get(exc.ierr, f"PETSc error code {exc.ierr}")
                solver = "direct (MUMPS)" if base is DIRECT else "iterative (FGMRES + GAMG)"
                raise CaseError(f"{key}.{k}", v, f"PETSc refuses it ({what}) with the {solver} "
                                "solver's defaults; see the PETSc manual pages of the option")


class ForcingTerm:
    """The inexact-Newton forcing term of Eisenstat and Walker (1996, choice 2): the Krylov
    solves of Newton iteration k are converged only to a relative residual

        eta_k = gamma (||F_k|| / ||F_k-1||)^alpha,   gamma = 0.9, alpha = 2,

    kept >= gamma eta_k-1^alpha while that is above 0.1 (the safeguard against a forcing that
    falls faster than the residual), at most ``eta_max``, never below what the Newton
    tolerance needs, eta_k >= 0.5 floor / ||F_k|| (no oversolving of the last iteration), nor
    below the solver's own ``rtol``. The first iteration of a time step uses ``eta_max``. Far
    from the solution a loose solve costs a fraction of the Krylov iterations and the Newton
    step is nearly as good; near it the forcing tightens with the square of the residual's
    decrease, so the convergence stays fast (superlinear)
    (docs/references.md#eisenstat1996)."""

    def __init__(self, rtol: float, eta_max: float = 0.1, gamma: float = 0.9,
                 alpha: float = 2.0):
        self.rtol, self.eta_max, self.gamma, self.alpha = rtol, eta_max, gamma, alpha
        self.eta = rtol  # the tolerance of the next solve (tight until the first update)
        self._last: float | None = None

    def update(self, rnorm: float, floor: float, first: bool) -> float:
        """The tolerance for the solves that follow the residual ``rnorm`` of a Newton
        iteration (``first``: the first of a time step) whose convergence floor is
        ``floor``."""
        if first or not self._last:
            eta = self.eta_max
        else:
            eta = self.gamma * (rnorm / self._last) ** self.alpha
            kept = self.gamma * self.eta ** self.alpha
            if kept > 0.1:
                eta = max(eta, kept)
        eta = min(eta, self.eta_max)
        if rnorm > 0.0:
            eta = max(eta, min(0.5 * floor / rnorm, self.eta_max))
        self._last, self.eta = rnorm, max(eta, self.rtol)
        return self.eta


class PreconditionerLag:
    """Keeps an iterative solver's preconditioner over new operators (Newton iterations, time
    steps) while it stays good, and sets it up again only when it has gone stale: a lagged
    preconditioner (PETSc's PCSetReusePreconditioner). The Krylov solve still converges to
    its tolerance with the older preconditioner, so the Newton step is the same; only its
    Krylov iterations change. The set-up is redone, and the system solved again, when a solve
    fails or takes more than ``growth`` times (plus ``slack``) the iterations per decade of
    residual reduction of the first solve after the last set-up (per decade: the solves of an
    inexact Newton iteration converge to different tolerances, :class:`ForcingTerm`, which
    ``inexact`` switches on). Direct solvers (``preonly``: the factorisation is the solve) are
    set up for every new operator, as before, and solve exactly."""

    def __init__(self, ksp: PETSc.KSP, options: Mapping[str, object], growth: float = 2.0,
                 slack: int = 5, inexact: bool = True):
        self.ksp, self.growth, self.slack = ksp, growth, slack
        self.enabled = options.get("ksp_type") != "preonly"
        self.fresh: float | None = None  # Krylov its per decade, first solve after a set-up
        self.reusing = False
        self.rtol = ksp.getTolerances()[0]
        self.forcing = ForcingTerm(self.rtol) if self.enabled and inexact else None
        ksp.setConvergenceHistory(reset=True)

    @property
    def inexact(self) -> bool:
        """The Newton corrections are solved to the forcing term (iterative solvers)."""
        return self.forcing is not None

    def reuse(self, flag: bool) -> None:
        """Keep (True) or set up anew at the next solve (False) the preconditioner."""
        self.reusing = flag
        self.ksp.getPC().setReusePreconditioner(flag)

    def new_operator(self) -> None:
        """After KSPSetOperators: keep the preconditioner if there is a good one."""
        self.reuse(self.enabled and self.fresh is not None)

    def newton_residual(self, rnorm: float, floor: float, first: bool) -> None:
        """The Newton iteration's residual norm and convergence floor: sets the tolerance of
        the solves that follow (:class:`ForcingTerm`; nothing for exact solves)."""
        if self.forcing is not None:
            self.forcing.update(rnorm, floor, first)

    def _decades(self) -> float:
        """Decades the last solve reduced its residual by (from its first residual)."""
        h = self.ksp.getConvergenceHistory()
        if len(h) < 2 or h[-1] <= 0.0 or h[0] <= 0.0:
            return 0.0
        return max(math.log10(h[0] / h[-1]), 0.0)

    def solve(self, rhs: PETSc.Vec, x: PETSc.Vec, guess: bool = False,
              exact: bool = False) -> None:
        """Solve; set the preconditioner up again and solve again if the kept one is stale.
        ``guess``: start the Krylov iteration from ``x`` (iterative solvers; the platen mode
        changes little from one Newton iteration to the next), else from zero. ``exact``: to
        the solver's own tolerance, not the Newton iteration's forcing term."""
        ksp, kept = self.ksp, self.reusing
        if self.forcing is not None:
            ksp.setTolerances(rtol=self.rtol if exact else self.forcing.eta)
        guess = guess and self.enabled
        if guess and not math.isfinite(x.norm()):  # (a failed solve left it)
            x.set(0.0)
        ksp.setInitialGuessNonzero(guess)
        ksp.solve(rhs, x)
        its, ok = ksp.getIterationNumber(), ksp.getConvergedReason() > 0
        if kept:
            if ok and its <= self.growth * (self.fresh or 0.0) * self._decades() + self.slack:
                return
            self.reuse(False)  # stale: set it up for this operator
            ksp.solve(rhs, x)
            its, ok = ksp.getIterationNumber(), ksp.getConvergedReason() > 0
        self.fresh = its / max(self._decades(), 1.0) if ok else None
        self.reuse(self.enabled and ok)
