"""The lagged preconditioner of the stack's iterative solver (fem.mechanics.linear_solver):
kept over new operators while it stays good, set up again when it goes stale, and never
changing the solution the Krylov solver converges to."""

import numpy as np

from fem._dolfinx import MPI, PETSc
from fem.mechanics.linear_solver import PreconditionerLag

N = 400  # global size of the test system


def _matrix(diagonal: np.ndarray) -> PETSc.Mat:
    """A 1D Laplacian-like tridiagonal matrix, distributed over the ranks, with the given
    diagonal (global values, each > 2)."""
    A = PETSc.Mat().createAIJ([N, N], nnz=3, comm=MPI.COMM_WORLD)
    lo, hi = A.getOwnershipRange()
    for i in range(lo, hi):
        A[i, i] = diagonal[i]
        if i > 0:
            A[i, i - 1] = -1.0
        if i < N - 1:
            A[i, i + 1] = -1.0
    A.assemble()
    return A


def _ksp(A: PETSc.Mat, options: dict) -> PETSc.KSP:
    ksp = PETSc.KSP().create(MPI.COMM_WORLD)
    ksp.setOperators(A)
    ksp.setType(options["ksp_type"])
    ksp.getPC().setType(options["pc_type"])
    ksp.setTolerances(rtol=1e-12, atol=1e-30, max_it=2000)
    return ksp


def _exact(A: PETSc.Mat, b: PETSc.Vec) -> np.ndarray:
    """The solution of A x = b by LU (gathered to every rank)."""
    ksp = PETSc.KSP().create(MPI.COMM_WORLD)
    ksp.setOperators(A)
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    x = b.duplicate()
    ksp.solve(b, x)
    out = np.concatenate(MPI.COMM_WORLD.allgather(x.getArray().copy()))
    ksp.destroy()
    x.destroy()
    return out


def _solve(lag: PreconditionerLag, A: PETSc.Mat, b: PETSc.Vec) -> np.ndarray:
    lag.ksp.setOperators(A)
    lag.new_operator()
    x = b.duplicate()
    lag.solve(b, x)
    assert lag.ksp.getConvergedReason() > 0
    return np.concatenate(MPI.COMM_WORLD.allgather(x.getArray().copy()))


def test_kept_over_a_small_change_and_set_up_again_when_stale():
    """Jacobi (the diagonal) on a tridiagonal matrix: a 1 % change of the operator keeps the
    preconditioner (the kept one is the old diagonal, the solution still the new system's to
    the solver's tolerance); a diagonal that changes by a factor up to 1e4 across the domain
    makes the kept one stale: the set-up is redone (the preconditioner's diagonal is the new
    one) and the solution is again the exact one."""
    rng = np.random.default_rng(0)
    d0 = 2.5 + rng.random(N)
    A = _matrix(d0)
    ksp = _ksp(A, {"ksp_type": "gmres", "pc_type": "jacobi"})
    lag = PreconditionerLag(ksp, {"ksp_type": "gmres"})
    b = A.createVecLeft()
    b.set(1.0)
    x = _solve(lag, A, b)
    assert np.allclose(x, _exact(A, b), rtol=1e-9, atol=1e-12)
    fresh = lag.fresh
    assert fresh is not None and lag.reusing

    def diagonal_of_pc() -> np.ndarray:
        v = A.createVecLeft()
        v.set(1.0)
        y = v.duplicate()
        ksp.getPC().apply(v, y)
        return np.concatenate(MPI.COMM_WORLD.allgather(1.0 / y.getArray()))

    A.scale(1.01)  # a small change: kept
    x = _solve(lag, A, b)
    assert np.allclose(x, _exact(A, b), rtol=1e-9, atol=1e-12)
    assert np.allclose(diagonal_of_pc(), d0)  # still the old diagonal

    d1 = d0 * np.logspace(0, 4, N)  # a large change: stale
    A.destroy()
    A = _matrix(d1)
    x = _solve(lag, A, b)
    assert np.allclose(x, _exact(A, b), rtol=1e-9, atol=1e-12)
    assert np.allclose(diagonal_of_pc(), d1)  # set up again for the new operator
    ksp.destroy()
    A.destroy()
    b.destroy()


def test_a_direct_solver_factorises_every_new_operator():
    """preonly + LU: the factorisation is the solve, so nothing is kept."""
    A = _matrix(np.full(N, 3.0))
    ksp = PETSc.KSP().create(MPI.COMM_WORLD)
    ksp.setOperators(A)
    ksp.setType("preonly")
    ksp.getPC().setType("lu")
    ksp.getPC().setFactorSolverType("mumps")
    lag = PreconditionerLag(ksp, {"ksp_type": "preonly"})
    b = A.createVecLeft()
    b.set(1.0)
    _solve(lag, A, b)
    assert not lag.reusing
    A.scale(2.0)
    x = _solve(lag, A, b)
    assert not lag.reusing
    assert np.allclose(x, _exact(A, b), rtol=1e-12)
    ksp.destroy()
    A.destroy()
    b.destroy()


def test_a_3d_stack_solved_iteratively_matches_the_direct_solver(shared_tmp, comm, base_case):
    """The coarse 3D sector of the test stack pressed, released, locked and charged (the Li
    creeping) with FGMRES + GAMG, the preconditioner kept over Newton iterations and steps and
    the platen mode started from the last one, gives the direct solver's pressure history
    to 1e-6 (the Krylov tolerance is 1e-10)."""
    from fem.case.loader import apply_overrides, load_case_dict
    from fem.output.history import read_history
    from fem.run.stack_run import StackRun

    base_case["output"] = {"plots": False, "fields": False}
    base_case["protocol"] = {"steps": ["Press at 25 MPa for 5 min", "Release to 5 MPa",
                                       "Lock gap", "Charge at 1 mA/cm^2 for 20 min"]}
    pressures = {}
    for kind in ("direct", "iterative"):
        raw = apply_overrides(base_case, [
            "mesh.dimension=3d", "mesh.size_min=400 um", "mesh.size_max=2 mm",
            "mesh.element_degree=1", f"solver.linear_solver={kind}"])
        out = StackRun(load_case_dict(raw), comm, progress=False).run(shared_tmp / kind)
        pressures[kind] = np.asarray(read_history(out / "history.csv")["stack_pressure_MPa"])
    assert pressures["direct"].shape == pressures["iterative"].shape
    assert np.allclose(pressures["iterative"], pressures["direct"], rtol=1e-6)
