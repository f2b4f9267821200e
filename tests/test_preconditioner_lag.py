"""The lagged preconditioner of the stack's iterative solver (fem.mechanics.linear_solver):
kept over new operators while it stays good, set up again when it goes stale, and never
changing the solution the Krylov solver converges to."""

import numpy as np

from fem._dolfinx import MPI, PETSc
from fem.mechanics.linear_solver import ForcingTerm, PreconditionerLag

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
    """The coarse 3D sector of the test stack pressed, locked and charged (the Li creeping)
    with FGMRES + GAMG, the preconditioner kept over Newton iterations and steps, the platen
    mode kept while the residual halves and the Newton corrections solved inexactly
    (Eisenstat-Walker), gives the direct solver's pressure history to 1e-6. The time steps
    are held at 60 s (the inexact Newton takes more, cheaper iterations, and the step
    controller would otherwise choose other steps). Before the constrained values were set
    after each solve, the loose corrections moved the platen's dofs and the pressure drifted
    by 5e-6 over the charge."""
    from fem.case.loader import apply_overrides, load_case_dict
    from fem.output.history import read_history
    from fem.run.stack_run import StackRun

    base_case["output"] = {"plots": False, "fields": False}
    base_case["protocol"] = {"steps": ["Press at 25 MPa for 5 min", "Lock gap",
                                       "Charge at 1 mA/cm^2 for 10 min"]}
    pressures = {}
    for kind in ("direct", "iterative"):
        raw = apply_overrides(base_case, [
            "mesh.dimension=3d", "mesh.size_min=400 um", "mesh.size_max=2 mm",
            "mesh.element_degree=1", f"solver.linear_solver={kind}", "solver.dt_initial=60 s",
            "solver.dt_max=60 s", "solver.target_iterations=50"])
        out = StackRun(load_case_dict(raw), comm, progress=False).run(shared_tmp / kind)
        pressures[kind] = np.asarray(read_history(out / "history.csv")["stack_pressure_MPa"])
    assert pressures["direct"].shape == pressures["iterative"].shape
    assert pressures["iterative"][-1] > 26.0  # the charge in the locked gap raised it
    assert np.allclose(pressures["iterative"], pressures["direct"], rtol=1e-6)


def test_forcing_term_follows_eisenstat_walker_choice_2():
    """eta_max at a step's first iteration; then 0.9 (r_k / r_k-1)^2; the safeguard
    0.9 eta_k-1^2 while that is above 0.1; never below 0.5 floor / r_k (no oversolving) nor
    the solver's rtol, never above eta_max."""
    f = ForcingTerm(rtol=1e-10, eta_max=0.1)
    assert f.eta == 1e-10  # tight until the first residual
    assert f.update(1.0, 1e-9, first=True) == 0.1
    assert np.isclose(f.update(0.01, 1e-9, first=False), 0.9 * 0.01 ** 2)  # safeguard 0.009
    assert np.isclose(f.update(1e-3, 1e-9, first=False), 0.9 * 0.1 ** 2)
    assert np.isclose(f.update(1e-7, 1e-9, first=False), 0.5 * 1e-9 / 1e-7)  # floor guard
    g = ForcingTerm(rtol=1e-10, eta_max=0.5)
    g.update(1.0, 0.0, first=True)
    assert np.isclose(g.update(0.3, 0.0, first=False), 0.9 * 0.5 ** 2)  # safeguard wins
    assert g.update(1e-30, 0.0, first=False) >= 1e-10
    assert g.update(1.0, 10.0, first=False) == 0.5  # a floor above r: at most eta_max


def test_an_inexact_solve_stops_at_the_forcing_term_and_an_exact_one_at_rtol():
    """With the forcing term set, a solve stops near eta ||b||; with exact=True (the platen
    modes) it converges to the solver's rtol; a direct solver has no forcing term."""
    A = _matrix(np.full(N, 2.001))
    ksp = _ksp(A, {"ksp_type": "gmres", "pc_type": "jacobi"})
    lag = PreconditionerLag(ksp, {"ksp_type": "gmres"})
    b = A.createVecLeft()
    b.set(1.0)
    lag.newton_residual(1.0, 0.0, first=True)  # eta = 0.1
    x = b.duplicate()
    lag.solve(b, x)
    r = b.duplicate()
    A.mult(x, r)
    r.aypx(-1.0, b)
    assert 1e-3 * b.norm() < r.norm() <= 0.1 * b.norm()
    lag.solve(b, x, exact=True)
    A.mult(x, r)
    r.aypx(-1.0, b)
    assert r.norm() <= 1e-12 * b.norm() * 1.01
    assert PreconditionerLag(ksp, {"ksp_type": "preonly"}).forcing is None
    ksp.destroy()
    A.destroy()
    b.destroy()
