"""Benchmark the 3D interface patch (cases/li_lpscl_rough_patch_3d.toml): run it at a chosen
contact-face element size and protocol, print unknowns, wall time and its split, Newton
iterations and the time per Newton iteration, and each rank's peak memory, for
docs/performance.md.

    .venv/bin/python scripts/benchmark_patch_3d.py                        # the bundled case
    .venv/bin/mpirun -n 2 .venv/bin/python -m mpi4py scripts/benchmark_patch_3d.py \\
        --size-min "0.2 um" --grading 0.5 --protocol "Press at 25 MPa for 1 min"
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import tempfile
import time

import fem._dolfinx  # noqa: F401
from fem._dolfinx import MPI
from fem.case import load_case
from fem.cli import resolve_case_path
from fem.run import run_case


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-min", help="contact-face element size (e.g. '0.2 um')")
    ap.add_argument("--grading", type=float, help="mesh grading (size growth per unit depth)")
    ap.add_argument("--protocol", help="one protocol step replacing the case's protocol")
    args = ap.parse_args()
    comm = MPI.COMM_WORLD
    overrides = ["output.fields=false", "output.plots=false"]
    if args.size_min:
        overrides.append(f"mesh.size_min='{args.size_min}'")
    if args.grading is not None:
        overrides.append(f"mesh.grading={args.grading}")
    if args.protocol:
        overrides.append(f"protocol.steps=['{args.protocol}']")
    case = load_case(resolve_case_path("li_lpscl_rough_patch_3d"), overrides)
    out = tempfile.mkdtemp() if comm.rank == 0 else None
    out = comm.bcast(out, root=0)
    comm.barrier()
    t0 = time.perf_counter()
    final = run_case(case, f"{out}/run", comm, overwrite=True)
    wall = time.perf_counter() - t0
    peak = comm.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, root=0)
    if comm.rank == 0:
        s = json.loads((final / "summary.json").read_text())
        its = s["newton_iterations"]
        split = s["wall_time_split_s"]
        print(f"machine: {platform.node()} {platform.processor() or platform.machine()}, "
              f"{comm.size} rank(s), {time.strftime('%Y-%m-%d')}")
        print(f"protocol: {[e.step.text for e in case.protocol]}")
        print(f"mesh: {s['mesh']}")
        print(f"wall {wall:.1f} s (mechanics {split['mechanics']:.1f}, ionic {split['ionic']:.1f},"
              f" output {split['output']:.1f}); steps {s['steps_accepted']} accepted, "
              f"{s['steps_failed']} failed; Newton iterations {its} "
              f"({split['mechanics'] / max(its, 1):.2f} s each)")
        r = s["results"]
        print(f"final contact fraction {r['final_contact_fraction']:.4f}, ASR "
              f"{r['final_interface_asr_ohm_cm2']} ohm cm^2, max penetration "
              f"{r['max_penetration_um']:.3g} um (tolerance {r['penetration_tolerance_um']:.3g}),"
              f" force balance {r['max_force_balance_error']:.2g}")
        print("peak memory per rank (GiB): " + ", ".join(f"{m:.2f}" for m in peak))


if __name__ == "__main__":
    main()
