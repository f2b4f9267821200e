"""SNES Newton solver set-up shared by the contact problems.

Semismooth Newton (full steps) and MUMPS LU (dolfinx-notes.md section 3: the direct solver
is the robust choice for 2D mechanics, and the contact Jacobian changes its active set between
iterations). Options are written into the PETSc options database under a unique prefix and kept
there (dolfinx-notes.md 1.6), then read by ``setFromOptions``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from fem._dolfinx import PETSc, dolfinx
from fem.mechanics.linear_solver import DIRECT, configure_matrix

_counter = itertools.count()


def newton_problem(F, u, bcs, atol: float, rtol: float = 1e-10, max_it: int = 60,
                   prefix: str = "contact", before_residual: Callable[[], None] | None = None,
                   line_search: str = "basic", linear_options: dict | None = None):
    """A ``NonlinearProblem`` for the residual ``F`` in ``u`` (SNES newtonls + MUMPS).

    ``line_search="basic"``: full (semismooth) Newton steps. Backtracking (``"bt"``) slows the
    active-set changes of elastic contact down (measured 40 instead of 10 iterations per load
    step on the Westergaard problem). ``atol`` is the absolute residual tolerance (in the
    units of the residual, e.g. N); the relative step test is disabled because the unknowns
    mix scales.
    ``before_residual`` runs at every residual evaluation once ``u`` holds the iterate (the
    creep return map, dolfinx-notes.md 1.5); SNES evaluates the residual at each new iterate
    before the Jacobian, so the Jacobian sees the same local state.
    ``linear_options``: the KSP/PC options (default: MUMPS LU); with GAMG the Jacobian gets the
    block size and the rigid-body near-nullspace (:func:`fem.mechanics.linear_solver.
    configure_matrix`).
    """
    pre = f"assb_{prefix}{next(_counter)}_"
    linear = dict(DIRECT) if linear_options is None else dict(linear_options)
    opts = linear | {
        "snes_type": "newtonls",
        "snes_linesearch_type": line_search,
        "snes_rtol": rtol,
        "snes_atol": atol,
        "snes_stol": 0.0,
        "snes_max_it": max_it,
    }
    db = PETSc.Options()
    for k, v in opts.items():
        db[pre + k] = v
    problem = dolfinx.fem.petsc.NonlinearProblem(F, u, bcs=bcs, petsc_options_prefix=pre)
    configure_matrix(problem.A, u.function_space, linear)
    problem.solver.setFromOptions()
    if before_residual is not None:
        ctx = {"u": problem.u, "residual": problem.F, "jacobian": problem.J, "bcs": bcs}

        def residual(snes, x, b) -> None:
            dolfinx.la.petsc._ghost_update(x, PETSc.InsertMode.INSERT, PETSc.ScatterMode.FORWARD)
            dolfinx.fem.petsc.assign(x, problem.u)
            before_residual()
            dolfinx.fem.petsc.assemble_residual(snes, x, b, **ctx)

        problem.solver.setFunction(residual, problem.b)
    return problem


def solve(problem) -> int:
    """Run Newton; return the iteration count, raise ``RuntimeError`` if it did not converge."""
    problem.solve()
    reason = problem.solver.getConvergedReason()
    if reason <= 0:
        raise RuntimeError(f"Newton did not converge (SNES reason {reason})")
    return int(problem.solver.getIterationNumber())
