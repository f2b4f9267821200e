"""Preconditioners for the 3D creep tangent of the stack (issue 4).

Builds the 3D flagship stack (``cases/ncm811_li_fixed_gap.toml`` with ``mesh.dimension = 3d``),
solves the elastic press step (25 MPa, creep switched off by a tiny dt), then switches the Li
creep on with a realistic step (``--dt``, default 30 min) and assembles the consistent creep
tangent K at that iterate (the first Newton iteration of a creep step). K x = b is then solved
with each candidate preconditioner, b the Newton right-hand side (-R) and the platen-mode
right-hand side; Krylov iterations and wall times are printed.

    mpirun -n 2 python scripts/benchmark_3d_iterative.py --size-min 150um --size-max 2mm \
        --degree 1 --candidates gamg_default gamg_tuned bddc

With ``--run``, the protocol's press step instead runs for ``--steps`` time steps with the
default solver of ``fem.mechanics.linear_solver`` (iterative above 3e5 unknowns in 3D), and the
Newton iterations, Krylov iterations per linear solve and wall time per step are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

import numpy as np

from fem._dolfinx import MPI, PETSc, dolfinx
from fem.case import load_case
from fem.cellstack import CellStack
from fem.geometry import load_or_build_mesh
from fem.mechanics.linear_solver import DIRECT, configure_matrix, make_ksp
from fem.run.stack_run import StackRun

fpetsc = dolfinx.fem.petsc

BASE = {"ksp_rtol": 1e-8, "ksp_atol": 1e-50, "ksp_max_it": 400, "ksp_norm_type": "unpreconditioned"}
CANDIDATES = {
    # what linear_solver.ITERATIVE did before (no near-nullspace was set then; here it is)
    "gamg_default": {"ksp_type": "cg", "pc_type": "gamg", "pc_gamg_threshold": 0.01,
                     "pc_gamg_agg_nsmooths": 1, "ksp_norm_type": "preconditioned"},
    "gamg_tuned": {"ksp_type": "fgmres", "ksp_gmres_restart": 200, "pc_type": "gamg",
                   "pc_gamg_threshold": 0.05, "pc_gamg_agg_nsmooths": 1,
                   "pc_gamg_square_graph": 1, "mg_levels_ksp_type": "chebyshev",
                   "mg_levels_ksp_max_it": 3, "mg_levels_pc_type": "sor"},
    "gamg_thr02_sor": {"ksp_type": "fgmres", "ksp_gmres_restart": 200, "pc_type": "gamg",
                       "pc_gamg_threshold": 0.02, "pc_gamg_agg_nsmooths": 1,
                       "mg_levels_ksp_type": "chebyshev", "mg_levels_ksp_max_it": 3,
                       "mg_levels_pc_type": "sor"},
    "gamg_asm_ilu": {"ksp_type": "fgmres", "ksp_gmres_restart": 200, "pc_type": "gamg",
                     "pc_gamg_threshold": 0.05, "pc_gamg_agg_nsmooths": 1,
                     "mg_levels_ksp_type": "richardson", "mg_levels_ksp_max_it": 2,
                     "mg_levels_pc_type": "asm", "mg_levels_sub_pc_type": "ilu"},
    # BDDC on a MATIS matrix: one subdomain per rank, exact (MUMPS) subdomain solves
    "bddc": {"ksp_type": "fgmres", "ksp_gmres_restart": 200, "pc_type": "bddc",
             "pc_bddc_dirichlet_pc_type": "lu",
             "pc_bddc_dirichlet_pc_factor_mat_solver_type": "mumps",
             "pc_bddc_neumann_pc_type": "lu",
             "pc_bddc_neumann_pc_factor_mat_solver_type": "mumps"},
    "bddc_cg": {"ksp_type": "cg", "pc_type": "bddc",
                "pc_bddc_dirichlet_pc_type": "lu",
                "pc_bddc_dirichlet_pc_factor_mat_solver_type": "mumps",
                "pc_bddc_neumann_pc_type": "lu",
                "pc_bddc_neumann_pc_factor_mat_solver_type": "mumps",
                "ksp_norm_type": "preconditioned"},
    "mumps": dict(DIRECT),
}


def rss_gb() -> float:
    """Peak resident memory of this process (GB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def run_steps(args, comm, say) -> None:
    """A few time steps of the real press step (creep on) with the default linear solver."""
    import tempfile

    from fem.mechanics.stack import StackMechanics

    overrides = ["mesh.dimension=3d", f"mesh.size_min={args.size_min}",
                 f"mesh.size_max={args.size_max}", f"mesh.element_degree={args.degree}",
                 "output.fields=false", "output.plots=false", "electrochemistry.enabled=false",
                 f'protocol.steps=["Press at 25 MPa for {args.press_minutes} min"]',
                 "protocol.repeat=0"] + args.set
    case = load_case(args.case, overrides)
    krylov: list[int] = []
    newton: list[int] = []
    walls: list[float] = []
    solve0 = StackMechanics._solve

    def counted(self, rhs, out):
        solve0(self, rhs, out)
        krylov.append(self.ksp.getIterationNumber())

    StackMechanics._solve = counted
    step0 = CellStack.solve

    class Enough(Exception):
        pass

    def step(self, dt, drive):
        if len(newton) >= args.steps:
            raise Enough
        t0 = time.perf_counter()
        out = step0(self, dt, drive)
        its = out.iterations
        walls.append(time.perf_counter() - t0)
        newton.append(its)
        k = krylov[-2 * its:] if its else []
        say(f"step {len(newton)}: dt {dt:.3g} s, {its} Newton its, Krylov its per solve {k}, "
            f"{walls[-1]:.1f} s, KSP {self.mech.ksp.getType()}/{self.mech.ksp.getPC().getType()}",
            flush=True)
        return out

    CellStack.solve = step
    sim = StackRun(case, comm=comm, progress=False, mesh_cache="/tmp/b3d/meshes")
    out = tempfile.mkdtemp(prefix="b3d_run_") + "/run" if comm.rank == 0 else None
    out = comm.bcast(out, root=0)
    t0 = time.perf_counter()
    try:
        sim.run(out)
    except Enough:
        pass
    total = time.perf_counter() - t0
    n = sim.stack.mech.ndofs
    mem = comm.allreduce(rss_gb(), op=MPI.SUM)
    nsolve = len(krylov)
    row = {"mode": "run", "ndofs": n, "degree": args.degree, "ranks": comm.size,
           "steps": len(newton), "newton_its": newton, "wall_per_step_s": [round(w, 1) for w in walls],
           "krylov_per_solve_mean": round(sum(krylov) / max(nsolve, 1), 1),
           "krylov_per_solve_max": max(krylov, default=0),
           "krylov_per_newton_it_mean": round(sum(krylov) / max(sum(newton), 1), 1),
           "total_s": round(total, 1), "peak_rss_gb_sum": round(mem, 2),
           "kb_per_unknown": round(mem * 1024**2 / n, 2)}
    say(json.dumps(row))
    if args.json and comm.rank == 0:
        with open(args.json, "a") as f:
            f.write(json.dumps(row) + "\n")


def stack_arguments(description: str) -> argparse.ArgumentParser:
    """The options both 3D benchmarks share: the case and its 3D mesh."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--case", default="cases/ncm811_li_fixed_gap.toml")
    ap.add_argument("--size-min", default="150 um")
    ap.add_argument("--size-max", default="2 mm")
    ap.add_argument("--degree", type=int, default=1)
    ap.add_argument("--set", action="append", default=[], help="extra case overrides")
    return ap


def main() -> None:
    ap = stack_arguments(__doc__.splitlines()[0])
    ap.add_argument("--dt", type=float, default=1800.0, help="creep step (s)")
    ap.add_argument("--press", default="25e6", help="press pressure (Pa)")
    ap.add_argument("--candidates", nargs="+", default=["gamg_default", "gamg_tuned", "bddc"])
    ap.add_argument("--json", default=None, help="append the results to this JSON-lines file")
    ap.add_argument("--run", action="store_true", help="run time steps (see the docstring)")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--press-minutes", type=int, default=30)
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    say = print if comm.rank == 0 else (lambda *a, **k: None)
    if args.run:
        run_steps(args, comm, say)
        return

    overrides = ["mesh.dimension=3d", f"mesh.size_min={args.size_min}",
                 f"mesh.size_max={args.size_max}", f"mesh.element_degree={args.degree}",
                 "output.fields=false", "output.plots=false",
                 "solver.linear_solver=iterative",
                 # the elastic press solve: CG + GAMG (the elastic tangent is fine for AMG)
                 "solver.petsc_options.ksp_rtol=1e-10"] + args.set
    case = load_case(args.case, overrides)
    t0 = time.perf_counter()
    stack = CellStack(load_or_build_mesh(case, comm, "/tmp/b3d/meshes"), case, case.temperature)
    mech, creep = stack.mech, stack.creep
    n = mech.ndofs
    say(f"setup {time.perf_counter() - t0:.1f} s: {n} displacement unknowns (P{args.degree}), "
        f"{comm.size} rank(s), creep cells {comm.allreduce(creep.cells.size, op=MPI.SUM)}")

    # elastic press step (creep off: dt tiny)
    t0 = time.perf_counter()
    stack.holder.set_pressure(float(args.press))
    creep.dt, creep.T = 1e-12, case.temperature
    mech.begin_step(0.0)
    res = mech.solve(1e-8, 1e-10, 10)
    its = mech.ksp.getIterationNumber()
    say(f"elastic press: {res.iterations} Newton its, p = {res.pressure / 1e6:.3f} MPa, "
        f"last KSP its {its} ({mech.ksp.getType()}/{mech.ksp.getPC().getType()}), "
        f"{time.perf_counter() - t0:.1f} s")

    # creep on: the tangent at this iterate with dt = args.dt
    creep.dt = args.dt
    mech._update_local()
    mech._assemble_residual()
    fpetsc.set_bc(mech.b, mech.bcs0)
    mech.b.scale(-1.0)
    t0 = time.perf_counter()
    mech._assemble_jacobian()
    t_asm = time.perf_counter() - t0
    d = creep.dofs.reshape(-1)
    dp = creep.dp_q.x.array[d]
    q = creep.qtr_q.x.array[d]
    # creep-reduced shear modulus of the tangent: G_eff / G = 1 - 3 G dp / q (radial part)
    red = 1.0 - 3.0 * creep.G * dp / q
    mn = comm.allreduce(float(red.min()) if red.size else 1.0, op=MPI.MIN)
    # along the flow direction: d q / d q_tr = 1 - 3 G beta
    red_n = 1.0 - 3.0 * creep.G * creep.beta_q.x.array[d]
    mn_n = comm.allreduce(float(red_n.min()) if red_n.size else 1.0, op=MPI.MIN)
    med = comm.allreduce(float(np.median(red_n)) if red_n.size else 1.0, op=MPI.MIN)
    say(f"creep tangent (dt = {args.dt:g} s): assembly {t_asm:.2f} s; G_eff/G min {mn:.2e}, "
        f"along the flow direction min {mn_n:.2e} (median {med:.2e}), "
        f"rhs norm {mech.b.norm():.3e}")
    K_aij = mech.A
    rhs = [("newton", mech.b.copy())]
    with mech.b_w.localForm() as loc:
        loc.set(0.0)
    fpetsc.apply_lifting(mech.b_w, [mech.J_form], bcs=[mech.bcs_w])
    mech.b_w.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
    fpetsc.set_bc(mech.b_w, mech.bcs_w)
    rhs.append(("platen", mech.b_w.copy()))

    K_is = None
    results = []
    for name in args.candidates:
        opts = dict(BASE)
        opts.update(CANDIDATES[name])
        if name.startswith("bddc"):
            if K_is is None:
                t0 = time.perf_counter()
                K_is = fpetsc.create_matrix(mech.J_form, "is")
                fpetsc.assemble_matrix(K_is, mech.J_form, bcs=mech.bcs0)
                K_is.assemble()
                say(f"MATIS assembly {time.perf_counter() - t0:.2f} s")
            K = K_is
        else:
            K = K_aij
        configure_matrix(K, mech.V, opts)
        ksp = make_ksp(comm, opts, prefix="bench")
        ksp.setOperators(K)
        x = K_aij.createVecRight()
        t0 = time.perf_counter()
        try:
            ksp.setUp()
        except PETSc.Error as exc:
            say(f"{name}: set-up failed ({exc})")
            continue
        t_setup = time.perf_counter() - t0
        for label, b in rhs:
            x.set(0.0)
            t0 = time.perf_counter()
            ksp.solve(b, x)
            t_solve = time.perf_counter() - t0
            r = b.duplicate()
            K_aij.mult(x, r)
            r.aypx(-1.0, b)
            rel = r.norm() / b.norm()
            row = {"candidate": name, "rhs": label, "ndofs": n, "degree": args.degree,
                   "ranks": comm.size, "its": ksp.getIterationNumber(),
                   "reason": int(ksp.getConvergedReason()), "setup_s": round(t_setup, 3),
                   "solve_s": round(t_solve, 3), "true_rel_res": float(f"{rel:.2e}"),
                   "peak_rss_gb_sum": round(comm.allreduce(rss_gb(), op=MPI.SUM), 2)}
            results.append(row)
            say(json.dumps(row))
        ksp.destroy()
    if args.json and comm.rank == 0:
        with open(args.json, "a") as f:
            for row in results:
                f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
