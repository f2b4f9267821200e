"""Command line: ``assb-fem run|check|mesh|holder|plot|report|sweep|fit|cases|version``.

Errors in the input end in one message naming the key, the value and what is allowed, and a
non-zero exit status, before any mesh or solver is touched and without writing anything.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import warnings
from pathlib import Path

from fem.case.bundled import FLAGSHIP, bundled_cases_dir, resolve_case_path
from fem.errors import AssbError, CaseError, SolverError


def _rank() -> int:
    from fem._dolfinx import MPI

    return MPI.COMM_WORLD.rank


def _print(*args) -> None:
    if _rank() == 0:
        print(*args, flush=True)


def cmd_cases(args) -> int:
    d = bundled_cases_dir()
    rows = []
    for p in sorted(d.glob("*.toml")):
        with p.open("rb") as f:
            rows.append((p.stem, tomllib.load(f).get("description", "")))
    width = max((len(n) for n, _ in rows), default=10)
    for n, desc in rows:
        _print(f"{n:<{width}}  {desc}")
    return 0


def cmd_version(args) -> int:
    from fem.output.summary import versions

    for k, v in versions().items():
        _print(f"{k:<9} {v}")
    return 0


def _load(args, checked: bool = False):
    """The case of ``args``; ``checked``: also what `run` checks before any mesh (cards, PETSc
    options, voltages: fem.cellstack.settings.check_settings). The warnings on dubious values
    come only when the case passes (an error is the one line on stderr)."""
    from fem.case import load_case

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        case = load_case(resolve_case_path(args.case), args.set)
        if checked:
            from fem.cellstack.settings import check_settings

            check_settings(case)
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return case


def cmd_check(args) -> int:
    import tomli_w

    from fem._dolfinx import MPI
    from fem.output.summary import _toml_safe
    from fem.run.cost import estimate

    case = _load(args, checked=True)
    _print(f"# {case.name}: valid. Resolved values in SI.")
    est = estimate(case, MPI.COMM_WORLD.size)
    for line in est.lines():
        _print(f"# cost: {line}")
    for key, value, why in est.problems:
        _print(f"# cost: too large ({key} = {value}): {why}; `run` refuses it without "
               "--accept-cost")
    _print(tomli_w.dumps(_toml_safe(case.resolved_dict())))
    return 0


def cmd_mesh(args) -> int:
    from fem import geometry
    from fem._dolfinx import MPI

    case = _load(args)
    outdir = Path(args.output or "meshes")
    if hasattr(geometry, "write_mesh"):
        info = geometry.write_mesh(case, MPI.COMM_WORLD, outdir)
        for k, v in info.items():
            _print(f"{k}: {v}")
        return 0
    cm = geometry.build_stack_mesh(case, MPI.COMM_WORLD)
    n = cm.mesh.topology.index_map(cm.mesh.topology.dim).size_global
    _print(f"{case.name}: {n} cells; groups: {', '.join(sorted(cm.groups))}")
    return 0


def cmd_run(args) -> int:
    from fem._dolfinx import MPI
    from fem.run import restart_run, run_case

    if args.restart:
        if args.output or args.overwrite or args.set:
            raise CaseError("--restart", args.restart, "continues a run as it was started: "
                            "-o, --overwrite and --set do not apply")
        case = _load(args) if args.case else None
        restart_run(args.restart, MPI.COMM_WORLD, progress=not args.no_progress, case=case)
        return 0
    case = _load(args, checked=True)
    outdir = args.output if args.output is not None else Path("results") / case.name
    run_case(case, outdir, MPI.COMM_WORLD, args.overwrite, progress=not args.no_progress,
             accept_cost=args.accept_cost)
    return 0


def cmd_holder(args) -> int:
    """Size a spring holder for the case (docs/lab-study.md#cell-build;
    docs/references.md#derived-spring-holder, #derived-fixed-gap-compliance)."""
    from fem.cellstack.settings import holder_sizing_inputs
    from fem.mechanics.holder_sizing import format_report, size_spring_holder

    case = _load(args)
    sizing = size_spring_holder(holder_sizing_inputs(case), target_pressure=args.target_pressure,
                                springs=args.springs, spring_rate=args.spring_rate,
                                max_load=args.max_load, max_swing=args.max_swing,
                                capacity=args.capacity, cathode_contraction=args.cathode_contraction)
    for line in format_report(sizing, case.name):
        _print(line)
    return 0


def cmd_plot(args) -> int:
    """The standard figures of a run's history.csv, into OUTDIR/plots (rank 0 writes)."""
    from fem._dolfinx import MPI
    from fem.output.plots import plot_run
    from fem.output.report import on_rank0

    formats = args.format or ["png", "svg"]
    paths = on_rank0(MPI.COMM_WORLD, plot_run, Path(args.outdir), formats=formats)
    _print(f"assb-fem: {len(paths)} figure files -> {Path(args.outdir) / 'plots'}")
    return 0


def cmd_report(args) -> int:
    """One self-contained HTML page on a run: OUTDIR/report.html (rank 0 writes)."""
    from fem._dolfinx import MPI
    from fem.output.report import on_rank0, write_report

    path = on_rank0(MPI.COMM_WORLD, write_report, Path(args.outdir), args.output)
    _print(f"assb-fem: report -> {path}")
    return 0


def cmd_sweep(args) -> int:
    """Runs of the Cartesian product of the --vary values -> OUTDIR/runs/, sweep.csv, maps."""
    from fem._dolfinx import MPI
    from fem.errors import Interrupted
    from fem.study.sweep import run_sweep

    res = run_sweep(resolve_case_path(args.case), args.set, args.vary, args.output,
                    MPI.COMM_WORLD, jobs=args.jobs, progress=not args.no_progress,
                    overwrite=args.overwrite)
    counts = ", ".join(f"{n} {s}" for s, n in res.statuses.items())
    _print(f"assb-fem: sweep of {sum(res.statuses.values())} runs ({counts}) -> {res.outdir}")
    _print(f"assb-fem: table -> {res.csv}")
    _print(f"assb-fem: definition -> {res.definition}")
    _print(f"assb-fem: {len(res.figures)} figure files -> {res.outdir}")
    for path in res.figures:
        _print(f"  {path}")
    if res.interrupted:
        raise Interrupted(f"sweep interrupted: {len(res.incomplete)} run(s) did not complete "
                          f"({', '.join(res.incomplete)}); see {res.csv}")
    if res.incomplete:
        raise SolverError(f"sweep: {len(res.incomplete)} run(s) did not complete "
                          f"({', '.join(res.incomplete)}); see {res.csv}")
    return 0


def cmd_fit(args) -> int:
    """Least-squares fit of case / card parameters to measured data -> OUTDIR/fit.md etc."""
    from fem._dolfinx import MPI
    from fem.study.fit.driver import run_fit

    res = run_fit(args.spec, args.output, MPI.COMM_WORLD, jobs=args.jobs,
                  progress=not args.no_progress, overwrite=args.overwrite)
    s = res.summary
    _print(f"assb-fem: fit {s['status']} ({s['message']}); {s['runs']['run']} runs done, "
           f"{s['runs']['reused']} reused -> {res.fitdir}")
    conf = round(100 * s["uncertainty"]["confidence"])
    for p in s["parameters"]:
        ci = p["ci"]
        interval = f"{ci[0]:.4g} - {ci[1]:.4g}" if ci[0] is not None else "not identified"
        flags = "".join([f"; at the {p['at_bound']} bound" if p["at_bound"] else "",
                         "; OUTSIDE the prior range" if not p.get("prior", {}).get("inside", 1)
                         else ""])
        _print(f"  {p['name']} ({p['path']}) = {p['value']:.5g} {p['unit']} ({conf} % CI "
               f"{interval} {p['unit']}{flags})")
    for path in res.files:
        _print(f"  {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="assb-fem",
        description="Electro-chemo-mechanics of all-solid-state battery cell stacks (FEniCSx).",
    )
    sub = ap.add_subparsers(dest="command", required=True)

    def with_case(p, optional=False):
        p.add_argument("case", nargs="?" if optional else None, default=None,
                       help="case file or bundled case name" + (
                           f" (default: {FLAGSHIP})" if optional else ""))
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a case value, e.g. --set holder.pressure='3 MPa'")

    p = sub.add_parser("run", help="run a case and write its outputs")
    with_case(p, optional=True)
    p.add_argument("-o", "--output", help="output folder (default: results/<case name>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (batch jobs)")
    p.add_argument("--accept-cost", action="store_true",
                   help="run even when the cost estimate (time steps, memory) is above the limits")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="log every retried solve and checkpoint (default: one line per step)")
    p.add_argument("--restart", metavar="OUTDIR",
                   help="continue the run of OUTDIR (or OUTDIR.interrupted / .failed / a killed "
                   "run's partial folder) from its newest good checkpoint, on any number of "
                   "ranks")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("check", help="validate a case and print it resolved to SI")
    with_case(p)
    p.set_defaults(func=cmd_check)
    p = sub.add_parser("mesh", help="write the case's mesh only")
    with_case(p)
    p.add_argument("-o", "--output", help="mesh folder (default: meshes)")
    p.set_defaults(func=cmd_mesh)
    p = sub.add_parser("holder", help="size a spring holder: force, spring load and compression, "
                                      "pressure swing over a charge")
    with_case(p)
    p.add_argument("--target-pressure", help="stack pressure (default: the case's holder.pressure)")
    p.add_argument("--springs", help="number of springs (default: the case's, else 3 as in the lab)")
    p.add_argument("--spring-rate", help="rate per spring, e.g. '5.5 lbf/mm' (default: the case's, "
                                         "else the lab's 5.5 lbf/mm)")
    p.add_argument("--max-load", help="maximum load per spring, e.g. '53 lbf' (default: the case's, "
                                      "else the lab's 53 lbf)")
    p.add_argument("--max-swing", help="allowed pressure swing, e.g. '0.2 MPa': print the spring rate "
                                       "that keeps the swing below it")
    p.add_argument("--capacity", help="areal capacity plated per charge, e.g. '4 mAh/cm^2' "
                                      "(default: the case's cathode capacity)")
    p.add_argument("--cathode-contraction", help="cathode thickness loss over a charge, e.g. '2 um', "
                                                 "subtracted from the Li growth (default: 0)")
    p.set_defaults(func=cmd_holder)
    p = sub.add_parser("plot", help="standard figures of a run's history.csv -> OUTDIR/plots/")
    p.add_argument("outdir", help="a run's output folder")
    p.add_argument("--format", action="append", choices=["png", "svg", "pdf"],
                   help="file format, repeatable (default: png and svg)")
    p.set_defaults(func=cmd_plot)
    p = sub.add_parser("report", help="one self-contained HTML page on a run -> OUTDIR/report.html")
    p.add_argument("outdir", help="a run's output folder")
    p.add_argument("-o", "--output", help="HTML file (default: OUTDIR/report.html)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("sweep", help="run the Cartesian product of --vary values -> "
                                     "OUTDIR/runs/, sweep.csv, sweep.json and maps")
    with_case(p)
    p.add_argument("--vary", action="append", default=[], metavar="KEY=V1,V2,...",
                   help="a key and its values, repeatable, e.g. --vary holder.pressure='1 MPa,"
                   "3 MPa'; split on the commas outside brackets and quotes")
    p.add_argument("-o", "--output", help="sweep folder (default: results/<case name>-sweep)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="without mpirun: N runs at once in child processes (default 1; under "
                   "mpirun the runs are spread over the ranks)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing sweep folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (batch jobs)")
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("fit", help="fit case or material-card parameters to measured data by "
                                   "least squares over full runs -> OUTDIR/fit.md, fit.json, "
                                   "fitted.toml, fit_<dataset>.png",
                       description="Fit the parameters of a fit specification (a TOML file: "
                       "[parameters.<name>] with path, start, bounds, scale, prior; [[datasets]] "
                       "with a case, data or points, the history column; see the user guide, "
                       "'Fitting parameters to measured data') by least squares over full runs. "
                       "Every run goes into OUTDIR/runs/<hash>/ and is reused: run the same "
                       "command again to continue an interrupted fit.")
    p.add_argument("spec", help="fit specification (TOML)")
    p.add_argument("-o", "--output", help="fit folder (default: results/<spec name>); an "
                   "existing fit folder is continued")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="without mpirun: N runs at once in child processes (default 1; under "
                   "mpirun the runs are spread over the ranks)")
    p.add_argument("--overwrite", action="store_true",
                   help="start afresh: replace an existing fit folder (fit folders only)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (batch jobs)")
    p.set_defaults(func=cmd_fit)
    sub.add_parser("cases", help="list the bundled cases").set_defaults(func=cmd_cases)
    sub.add_parser("version", help="versions of assb-fem and its stack").set_defaults(
        func=cmd_version)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "verbose", False):
        import logging

        from fem.log import get_logger

        get_logger().setLevel(logging.DEBUG)
    if _rank() != 0:
        warnings.simplefilter("ignore")
    else:
        warnings.formatwarning = lambda m, c, *a, **k: f"assb-fem: warning: {m}\n"
    try:
        return args.func(args)
    except AssbError as exc:
        msg = str(exc)
        if not isinstance(exc, SolverError):  # one line, even for a key or path with a newline
            msg = "\\n".join(msg.splitlines())
        if _rank() == 0:
            print(f"assb-fem: {msg}", file=sys.stderr, flush=True)
        return exc.exit_code
    except KeyboardInterrupt:
        if _rank() == 0:
            print("assb-fem: interrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
