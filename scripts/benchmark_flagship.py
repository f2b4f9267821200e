"""Benchmark the flagship case (ncm811_li_fixed_gap), mechanics only and with the coupled
electrochemistry: wall time of the whole run and its split, time per
accepted step, and the ratio of one time step to one linear elastic solve (assembly +
factorisation + solve with the same linear solver) on the same mesh: the floor of any
implicit step. Prints the figures for docs/performance.md.

    .venv/bin/python scripts/benchmark_flagship.py            # serial
    .venv/bin/mpirun -n 2 .venv/bin/python scripts/benchmark_flagship.py
"""

from __future__ import annotations

import platform
import tempfile
import time

import numpy as np

import fem._dolfinx  # noqa: F401
from fem._dolfinx import MPI, PETSc, dolfinx
from fem.case import load_case
from fem.cli import resolve_case_path
from fem.run.stack_run import StackRun


def elastic_solve_time(sim: StackRun, repeats: int = 3) -> float:
    """Assemble the elastic tangent, factorise and solve once (best of ``repeats``)."""
    mech = sim.stack.mech
    mech.setup()  # the run closed its PETSc objects (StackMechanics.close): rebuild them
    best = np.inf
    for _ in range(repeats):
        mech.comm.barrier()
        t0 = time.perf_counter()
        mech._assemble_jacobian()
        mech.ksp.setOperators(mech.A)
        mech.ksp.setUp()  # new numeric factorisation
        x = mech.A.createVecRight()
        mech.ksp.solve(mech.b, x)
        mech.comm.barrier()
        best = min(best, time.perf_counter() - t0)
    return best


#: The mechanics-only variant (issue 4's benchmark): no electrochemistry, so the cycle runs on
#: durations instead of voltage cut-offs.
MECHANICS_ONLY = ["electrochemistry.enabled=false",
                  "protocol.cycle=['Charge at C/10 for 10 h', 'Rest for 30 min', "
                  "'Discharge at C/10 for 10 h', 'Rest for 30 min']"]


def main() -> None:
    for label, extra in (("mechanics only", MECHANICS_ONLY), ("coupled electrochemistry", [])):
        run(label, extra)


def run(label: str, extra: list[str]) -> None:
    comm = MPI.COMM_WORLD
    case = load_case(resolve_case_path("ncm811_li_fixed_gap"),
                     ["output.fields=false", "output.plots=false", *extra])
    out = tempfile.mkdtemp() if comm.rank == 0 else None
    out = comm.bcast(out, root=0)
    sim = StackRun(case, comm, progress=False)
    t0 = time.perf_counter()
    sim.run(f"{out}/flagship", overwrite=True)
    wall = time.perf_counter() - t0
    steps = np.array(sim.state.step_walltime)
    el = elastic_solve_time(sim)
    its = sim.state.newton_total / max(sim.state.accepted, 1)
    if comm.rank == 0:
        print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
              f"{comm.size} rank(s); PETSc {'.'.join(map(str, PETSc.Sys.getVersion()))}, "
              f"dolfinx {dolfinx.__version__}")
        print(f"mesh: {sim.mesh_info['cells']} cells, {sim.mesh_info['displacement_dofs']} dofs")
        print(f"== {label}")
        timing = dict(sim.stack.timing, output=sim.output_time)
        split = ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())
        print(f"wall time split: {split}")
        print(f"flagship wall time: {wall:.1f} s ({sim.state.accepted} steps, "
              f"{sim.state.failed} cut back, {its:.2f} Newton its/step)")
        print(f"time per accepted step: mean {steps.mean():.3f} s, median {np.median(steps):.3f} s")
        print(f"one linear elastic solve (assemble + factor + solve): {el:.3f} s")
        print(f"ratio step / elastic solve: mean {steps.mean() / el:.2f}, "
              f"median {np.median(steps) / el:.2f}")


if __name__ == "__main__":
    main()
