"""Cost of one Newton iteration of the 3D stack against one elastic solve of the same mesh.

Issue 19 asks that a Newton iteration of the 3D stack (both linear solves of the bordered step
included) cost at most one elastic solve (assembly + preconditioner set-up + one solve) of the
same mesh. This script measures both in one run:

1. the protocol's press step (25 MPa, the Li creeping) for ``--steps`` time steps with the
   case's linear solver (iterative FGMRES + GAMG above 3e5 unknowns in 3D), every part of each
   Newton iteration timed: the local stress update (the creep return map), the residual and
   Jacobian assemblies, the preconditioner set-up, the Krylov solves (platen mode and Newton
   correction), the rest (line search bookkeeping, bordering, the platen and rim scalars);
2. then, on the same mesh and matrix, one elastic solve: the tangent assembled with the creep
   frozen (dt = 1e-12 s), a fresh preconditioner set-up and one solve of the residual.

    mpirun -n 2 python scripts/benchmark_newton_3d.py --size-min "40 um" --size-max "400 um"

Prints one line per figure (``name: value``) and, with ``--json``, appends the row to a file.
"""

from __future__ import annotations

import json
import resource
import tempfile
import time
from collections import defaultdict

from benchmark_3d_iterative import stack_arguments

from fem._dolfinx import MPI, dolfinx
from fem.case import load_case
from fem.cellstack import CellStack
from fem.mechanics import linear_solver
from fem.mechanics.stack import StackMechanics
from fem.run.stack_run import StackRun

PARTS = ("_update_local", "_assemble_residual", "_assemble_jacobian")


class Enough(Exception):
    """Raised to stop the run after the requested number of time steps."""


def instrument(times: dict, counts: dict, krylov: list):
    """Wrap StackMechanics' leaf methods with wall-clock timers (collective calls, so the
    times are those of rank 0 and the slowest rank waits inside them); returns the plain
    linear solve."""
    for name in PARTS:
        original = getattr(StackMechanics, name)

        def timed(self, *a, _f=original, _n=name, **k):
            t0 = time.perf_counter()
            out = _f(self, *a, **k)
            times[_n] += time.perf_counter() - t0
            counts[_n] += 1
            return out

        setattr(StackMechanics, name, timed)

    solve0 = StackMechanics._solve

    def solve(self, rhs, out, bcs, mode=False):
        t0 = time.perf_counter()
        self.ksp.setUp()  # a no-op unless the operator changed (or reuse is off)
        t1 = time.perf_counter()
        solve0(self, rhs, out, bcs, mode)
        t2 = time.perf_counter()
        times["pc_setup"] += t1 - t0
        counts["pc_setups"] += int(t1 - t0 > 0.02)  # a set-up done here (reuse: none)
        times["krylov_solve"] += t2 - t1
        counts["krylov_solve"] += 1
        krylov.append(self.ksp.getIterationNumber())

    StackMechanics._solve = solve
    return solve0


def elastic_reference(mech: StackMechanics, plain_solve) -> dict:
    """One elastic solve on the run's mesh and matrix: assemble the tangent with the creep
    frozen, set the preconditioner up afresh, solve once (seconds; Krylov iterations)."""
    for update in mech.stress_updates:
        if hasattr(update, "dt"):
            update.dt = 1e-12  # the creep frozen: the elastic tangent
    mech._update_local()
    mech.comm.barrier()
    t0 = time.perf_counter()
    mech._assemble_jacobian()
    t1 = time.perf_counter()
    mech.lag.reuse(False)  # a fresh set-up
    if mech.lag.forcing is not None:
        mech.lag.forcing.eta = mech.lag.rtol  # solved to the solver's own tolerance
    mech.ksp.setUp()
    t2 = time.perf_counter()
    mech._assemble_residual()
    mech.b.scale(-1.0)
    dolfinx.fem.petsc.set_bc(mech.b, mech.bcs0)
    t3 = time.perf_counter()
    plain_solve(mech, mech.b, mech.corr, mech.bcs0)
    t4 = time.perf_counter()
    return {"assembly_s": t1 - t0, "pc_setup_s": t2 - t1, "solve_s": t4 - t3,
            "krylov_its": mech.ksp.getIterationNumber()}


def main() -> None:
    ap = stack_arguments(__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--no-reuse", action="store_true",
                    help="set the preconditioner up at every Newton iteration (the old way)")
    ap.add_argument("--exact", action="store_true",
                    help="every Krylov solve to the solver's rtol and the platen mode at every "
                    "Newton iteration (as before the Eisenstat-Walker forcing term)")
    ap.add_argument("--mesh-cache", default="/tmp/b3d/meshes", help="gmsh meshes kept here")
    ap.add_argument("--json", default=None, help="append the results to this JSON-lines file")
    args = ap.parse_args()
    comm = MPI.COMM_WORLD

    def say(text: str) -> None:
        if comm.rank == 0:
            print(text, flush=True)

    overrides = ["mesh.dimension=3d", f"mesh.size_min={args.size_min}",
                 f"mesh.size_max={args.size_max}", f"mesh.element_degree={args.degree}",
                 "output.fields=false", "output.plots=false", "electrochemistry.enabled=false",
                 'protocol.steps=["Press at 25 MPa for 30 min"]', "protocol.repeat=0",
                 "solver.linear_solver=iterative", *args.set]
    case = load_case(args.case, overrides)
    if args.no_reuse:
        linear_solver.PreconditionerLag.new_operator = lambda self: self.reuse(False)
    if args.exact:  # as before the forcing term: the platen mode at every iteration too
        init = linear_solver.PreconditionerLag.__init__
        linear_solver.PreconditionerLag.__init__ = (
            lambda self, ksp, options, **k: init(self, ksp, options, **{**k, "inexact": False}))
    times: dict = defaultdict(float)
    counts: dict = defaultdict(int)
    krylov: list[int] = []
    plain_solve = instrument(times, counts, krylov)
    newton: list[int] = []
    walls: list[float] = []
    step0 = CellStack.solve

    ref: dict = {}

    def step(self, dt, drive):
        if len(newton) >= args.steps:  # measured before the run closes its solver
            saved, n_krylov = dict(times), len(krylov)
            ref.update(elastic_reference(self.mech, plain_solve))
            times.clear()
            times.update(saved)  # the reference is not a Newton iteration
            del krylov[n_krylov:]
            raise Enough
        t0 = time.perf_counter()
        out = step0(self, dt, drive)
        walls.append(time.perf_counter() - t0)
        newton.append(out.iterations)
        return out

    CellStack.solve = step
    sim = StackRun(case, comm=comm, progress=False, mesh_cache=args.mesh_cache)
    out = tempfile.mkdtemp(prefix="bnewton_") + "/run" if comm.rank == 0 else None
    out = comm.bcast(out, root=0)
    try:
        sim.run(out)
    except Enough:
        pass
    mech = sim.stack.mech
    its = max(sum(newton), 1)
    ref_total = ref["assembly_s"] + ref["pc_setup_s"] + ref["solve_s"]
    per_it = sum(walls) / its
    mem = comm.allreduce(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
                         op=MPI.SUM)
    row = {"ndofs": mech.ndofs, "reuse": not args.no_reuse, "inexact": not args.exact,
           "degree": args.degree, "ranks": comm.size,
           "steps": len(newton), "newton_its": newton,
           "wall_per_step_s": [round(w, 2) for w in walls],
           "wall_per_newton_it_s": round(per_it, 2),
           **{f"{k.strip('_')}_per_it_s": round(v / its, 2) for k, v in times.items()},
           "krylov_its": krylov,
           "pc_setups": counts["pc_setups"], "linear_solves": len(krylov),
           "elastic_total_s": round(ref_total, 2),
           **{f"elastic_{k}": round(v, 2) if isinstance(v, float) else v
              for k, v in ref.items()},
           "newton_it_over_elastic_solve": round(per_it / ref_total, 2),
           "peak_rss_gb_sum": round(mem, 2)}
    for k, v in row.items():
        say(f"{k}: {v}")
    if args.json and comm.rank == 0:
        with open(args.json, "a") as f:
            f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
