"""Running a case: the protocol drivers (cell stacks: :mod:`fem.run.stack_run`; interface
patches: :mod:`fem.run.patch_run`), their shared time-step control (:mod:`fem.run.controller`)
and run-folder lifecycle (:mod:`fem.run.lifecycle`), and checkpoints.

:func:`run_case` picks the driver; the command line, the sweeps and the Python API call it.
"""

from __future__ import annotations

from pathlib import Path

from fem._dolfinx import MPI
from fem.case.model import Case


def run_case(case: Case, outdir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD,
             overwrite: bool = False, progress: bool = False,
             mesh_cache: str | Path = "meshes", accept_cost: bool = False) -> Path:
    """Run ``case`` (collective on ``comm``) into ``outdir`` and return the finished folder.
    A case whose cost estimate (:mod:`fem.run.cost`) is above the limits is refused with a
    CaseError before anything is written, unless ``accept_cost``."""
    from fem.cellstack.settings import check_settings
    from fem.run.cost import check_cost

    check_settings(case)
    check_cost(case, comm.size, accept_cost)
    if case.patch is not None:  # the micro-scale contact model (fem/contact)
        from fem.run.patch_run import PatchRun

        return PatchRun(case, comm, progress).run(outdir, overwrite)
    from fem.run.stack_run import StackRun

    return StackRun(case, comm, progress, mesh_cache).run(outdir, overwrite)


def restart_run(outdir: str | Path, comm: MPI.Comm = MPI.COMM_WORLD, progress: bool = False,
                case: Case | None = None) -> Path:
    """Continue the run kept in or beside ``outdir`` from its newest good checkpoint (any number
    of ranks); ``case``, when given, must be the one it was started with."""
    from fem.run.stack_run import StackRun

    return StackRun.from_checkpoint(outdir, comm, progress, case).run(outdir)
