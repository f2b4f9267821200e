"""Strong and weak scaling of the 3D stack's Newton iteration and of the 3D interface patch.

Runs the project's own benchmarks under ``mpirun -n p`` for each rank count p and writes a
table (``scaling.csv``, ``scaling.md``) and a figure (``scaling.png``) into ``--out``:

* **stack** (`scripts/benchmark_newton_3d.py`): the 3D flagship's press step, wall time per
  Newton iteration (the figure issue 19 scales);
* **patch** (`scripts/benchmark_patch_3d.py`): the 3D interface patch pressed by the
  ``--patch-protocol`` step, wall time of the mechanics per Newton iteration.

Strong scaling keeps the mesh and adds ranks: efficiency E_p = T_1 / (p T_p). Weak scaling
grows the mesh with the ranks, the element sizes divided by p^(1/3) (tetrahedra and
hexahedra: about p times the unknowns), or as ``--weak-set`` says per rank count (the stack's
element count follows the cells through the Li foil more than the sizes:
``--weak-set mesh.li_cells=2 mesh.li_cells=3`` is 73k and 186k unknowns). A mesh never has
exactly p times the unknowns, so the weak efficiency is taken per unknown on each rank:
E_p = (T_1 / N_1) / (T_p p / N_p), T the time per Newton iteration and N the unknowns; this
charges the growth of the cost per unknown with the mesh (more Krylov iterations) to the
ranks, as a user adding ranks for a larger mesh would see it.

    python scripts/scaling_study.py --ranks 1 2 --out results/scaling            # here
    python scripts/scaling_study.py --ranks 1 2 4 8 16 --size-min "150 um" \\
        --size-max "1 mm" --problems stack --out results/scaling16                # 16 cores

Prints one line per figure (``name: value``). Needs no MPI itself: it starts the runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _length(text: str, factor: float) -> str:
    """'300 um' scaled by ``factor`` (the unit kept)."""
    m = re.fullmatch(r"\s*([0-9.eE+-]+)\s*(\S+)\s*", text)
    if m is None:
        raise SystemExit(f"--size-min/--size-max: {text!r} is not '<number> <unit>'")
    return f"{float(m.group(1)) * factor:.6g} {m.group(2)}"


def _mpirun(ranks: int, script: str, args: list[str]) -> str:
    """Run ``script`` under ``mpirun -n ranks`` (the venv's launcher) and return its stdout."""
    launcher = Path(sys.executable).with_name("mpirun")
    cmd = [str(launcher) if launcher.exists() else "mpirun", "-n", str(ranks),
           sys.executable, str(HERE / script), *args]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE.parent)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def stack_point(ranks: int, size_min: str, size_max: str, args, extra: list[str]) -> dict:
    """One run of the 3D stack benchmark: unknowns and seconds per Newton iteration."""
    with tempfile.TemporaryDirectory() as tmp:
        rows = Path(tmp) / "rows.jsonl"
        _mpirun(ranks, "benchmark_newton_3d.py", [
            "--size-min", size_min, "--size-max", size_max, "--steps", str(args.steps),
            "--mesh-cache", args.mesh_cache, "--json", str(rows),
            *[f"--set={s}" for s in [*args.set, *extra]]])
        row = json.loads(rows.read_text().splitlines()[-1])
    return {"unknowns": row["ndofs"], "seconds": row["wall_per_newton_it_s"],
            "newton_its": sum(row["newton_its"])}


def patch_point(ranks: int, size_min: str, args) -> dict:
    """One run of the 3D patch benchmark: unknowns and mechanics seconds per Newton
    iteration."""
    out = _mpirun(ranks, "benchmark_patch_3d.py", [
        "--size-min", size_min, "--protocol", args.patch_protocol])
    mesh = re.search(r"'displacement_dofs': (\d+)", out)  # the summary's mesh line
    each = re.search(r"Newton iterations (\d+) \(([0-9.]+) s each\)", out)
    if mesh is None or each is None:
        raise SystemExit(f"benchmark_patch_3d.py printed no size or timing:\n{out}")
    return {"unknowns": int(mesh.group(1)), "seconds": float(each.group(2)),
            "newton_its": int(each.group(1))}


def efficiencies(points: list[dict], kind: str) -> None:
    """Fill in 'efficiency' (see the module docstring) against the first (fewest ranks)."""
    base = points[0]
    for pt in points:
        p = pt["ranks"] / base["ranks"]
        if kind == "strong":
            pt["efficiency"] = base["seconds"] / (p * pt["seconds"])
        else:
            pt["efficiency"] = ((base["seconds"] / base["unknowns"])
                                / (pt["seconds"] * p / pt["unknowns"]))


def study(args) -> list[dict]:
    rows: list[dict] = []
    for problem in args.problems:
        for kind in args.kinds:
            points = []
            for k, ranks in enumerate(args.ranks):
                f = (ranks / args.ranks[0]) ** (-1.0 / 3.0) if kind == "weak" else 1.0
                extra = []
                if kind == "weak" and args.weak_set:  # the mesh family given per rank count
                    f, extra = 1.0, args.weak_set[k].split(";")
                if problem == "stack":
                    pt = stack_point(ranks, _length(args.size_min, f), _length(args.size_max, f),
                                     args, extra)
                else:
                    pt = patch_point(ranks, _length(args.patch_size_min, f), args)
                pt.update(problem=problem, kind=kind, ranks=ranks)
                points.append(pt)
                print(f"{problem} {kind} {ranks} rank(s): {pt['unknowns']} unknowns, "
                      f"{pt['seconds']:.3g} s per Newton iteration", flush=True)
            efficiencies(points, kind)
            rows += points
    return rows


def write(rows: list[dict], out: Path, machine: str) -> None:
    """scaling.csv, scaling.md (a table) and scaling.png (efficiency against ranks)."""
    out.mkdir(parents=True, exist_ok=True)
    keys = ["problem", "kind", "ranks", "unknowns", "seconds", "newton_its", "efficiency"]
    with open(out / "scaling.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    lines = [f"Machine: {machine}", "",
             "| problem | scaling | ranks | unknowns | s per Newton iteration | efficiency |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['problem']} | {r['kind']} | {r['ranks']} | {r['unknowns']} | "
              f"{r['seconds']:.3g} | {r['efficiency']:.2f} |" for r in rows]
    (out / "scaling.md").write_text("\n".join(lines) + "\n")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4))
    for (problem, kind) in dict.fromkeys((r["problem"], r["kind"]) for r in rows):
        pts = [r for r in rows if r["problem"] == problem and r["kind"] == kind]
        ax.plot([r["ranks"] for r in pts], [r["efficiency"] for r in pts], "o-",
                label=f"{problem}, {kind}")
    ax.axhline(0.8, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("MPI ranks")
    ax.set_ylabel("parallel efficiency")
    ax.set_ylim(0, 1.3)
    ax.legend()
    ax.set_title(machine, fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=130)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--problems", nargs="+", choices=["stack", "patch"], default=["stack"])
    ap.add_argument("--kinds", nargs="+", choices=["strong", "weak"], default=["strong", "weak"])
    ap.add_argument("--size-min", default="400 um", help="stack: smallest element, 1st rank count")
    ap.add_argument("--size-max", default="2.5 mm", help="stack: largest element")
    ap.add_argument("--steps", type=int, default=3, help="stack: solver calls of the press step")
    ap.add_argument("--set", action="append", default=["mesh.li_cells=3"],
                    help="stack: extra case overrides")
    ap.add_argument("--weak-set", nargs="+", default=None,
                    help="stack, weak scaling: the overrides of each rank count's mesh instead "
                    "of the sizes scaled by p^(-1/3), e.g. mesh.li_cells=2 mesh.li_cells=3 "
                    "(the stack's element count follows the Li foil's cells more than the sizes)")
    ap.add_argument("--mesh-cache", default=str(Path(tempfile.gettempdir()) / "scaling_meshes"))
    ap.add_argument("--patch-size-min", default="0.5 um", help="patch: contact-face element")
    ap.add_argument("--patch-protocol", default="Press at 25 MPa for 10 ms")
    ap.add_argument("--machine", default=None, help="the machine, for the table's heading")
    ap.add_argument("--out", default="results/scaling")
    args = ap.parse_args()
    machine = args.machine or (f"{platform.node()}, {os.cpu_count()} cores, "
                               f"{time.strftime('%Y-%m-%d')}")
    rows = study(args)
    write(rows, Path(args.out), machine)
    for r in rows:
        print(f"{r['problem']}_{r['kind']}_efficiency_{r['ranks']}_ranks: {r['efficiency']:.3f}")
    print(f"table: {Path(args.out) / 'scaling.md'}")


if __name__ == "__main__":
    main()
