"""What a stack run saves in a checkpoint and how it is put back: the case (its validated
input and digest), the :class:`fem.run.state.RunState`, the history rows so far, and the
:class:`fem.cellstack.state.StackState` with its cell and node rows gathered by input number
(:mod:`fem.checkpoint.cellwise`), so a checkpoint written on N ranks restarts on M. Nothing else
is stored: the restarted step recomputes everything else from the same state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fem._dolfinx import MPI
from fem.case.model import Case, OutputSettings
from fem.cellstack.state import StackState
from fem.checkpoint import CheckpointStore, find_restart_folder
from fem.checkpoint.cellwise import (
    MeshKeys,
    gather_cells,
    gather_nodes,
    local_cells,
    local_nodes,
)
from fem.checkpoint.store import load
from fem.errors import RestartError


@dataclass
class Resume:
    """The run a restart continues: its folder (and final name), the checkpoint file and
    what it holds, and the case it was started with."""

    folder: Path
    final: Path
    path: Path
    meta: dict[str, Any]
    arrays: dict[str, np.ndarray]
    case: Case


def find_resume(outdir: str | Path, comm: MPI.Comm, case: Case | None = None) -> Resume:
    """Collective: the newest good checkpoint of the run in or beside ``outdir`` (see
    :func:`fem.checkpoint.find_restart_folder`); a ``case`` given must be the run's."""
    from fem.case.loader import load_case_dict

    found, err = None, None
    if comm.rank == 0:
        try:
            found = find_restart_folder(outdir)
        except RestartError as exc:
            err = str(exc)
    found, err = comm.bcast((found, err), root=0)
    if err:
        raise RestartError(err)
    folder, final = found
    path = CheckpointStore(folder / "checkpoints", comm).latest_valid()
    meta, arrays = load(path)
    # every rank has read it before rank 0 moves the folder (RunDirectory.resume): a slower
    # rank would otherwise find the file gone (seen in CI on a 1 -> 2 rank restart)
    comm.barrier()
    saved = meta["case"]
    if case is not None and case.digest != saved["digest"]:
        raise RestartError(f"the case given ({case.source}) differs from the one the run in "
                           f"{folder} was started with ({saved['source']}); leave it out to "
                           "continue that run")
    return Resume(folder, final, path, meta, arrays,
                  load_case_dict(saved["raw"], saved["digest"], saved["source"]))


class Checkpointer:
    """When and where a stack run writes its checkpoints (collective): every
    ``output.checkpoint_every_steps`` steps, after ``output.checkpoint_every`` seconds of wall
    time (rank 0's clock), and when the driver asks (signals, failures, the end)."""

    def __init__(self, folder: Path, comm: MPI.Comm, output: OutputSettings, keys: MeshKeys,
                 x0: np.ndarray, mesh_file: Path | None):
        self.store = CheckpointStore(folder, comm, output.checkpoint_keep)
        self.comm, self.output, self.keys, self.x0 = comm, output, keys, x0
        self.mesh_file = mesh_file
        self.last = time.perf_counter()

    def write(self, number: int, meta: dict[str, Any], stack: StackState) -> Path:
        meta, arrays = capture(self.keys, self.x0, stack, meta)
        self.store.save_mesh(self.mesh_file)
        path = self.store.write(number, meta, arrays)
        self.last = time.perf_counter()
        return path

    def due(self, accepted: int) -> bool:
        o = self.output
        every = bool(o.checkpoint_every_steps) and accepted % o.checkpoint_every_steps == 0
        late = time.perf_counter() - self.last >= o.checkpoint_every
        return every or self.comm.bcast(late, root=0)


def capture(keys: MeshKeys, x0: np.ndarray, stack: StackState, meta: dict[str, Any]
            ) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Collective: (meta with the stack's scalars, arrays on rank 0) of a checkpoint; ``x0``
    are the initial node coordinates (to check the mesh on restart)."""
    arrays: dict[str, np.ndarray | None] = {
        "mesh__cell_nodes": gather_cells(keys, keys.cell_nodes),
        "mesh__x0": gather_nodes(keys, x0),
    }
    for name, x in stack.nodes.items():
        arrays[f"mesh__{name}"] = gather_nodes(keys, x)
    for name, rows in stack.cells.items():
        arrays[name] = gather_cells(keys, rows)
    meta = dict(meta, stack=stack.scalars, ranks=keys.comm.size)
    if keys.comm.rank != 0:
        return meta, None
    return meta, {k: v for k, v in arrays.items() if v is not None}


def check_mesh(keys: MeshKeys, x0: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
    """The mesh read for the restart must be the checkpoint's (input numbering, coordinates)."""
    stored = arrays["mesh__cell_nodes"]
    ok = stored.shape[0] == keys.n_cells and np.array_equal(local_cells(keys, stored),
                                                            keys.cell_nodes)
    if ok:
        ref = local_nodes(keys, arrays["mesh__x0"])
        scale = float(np.abs(arrays["mesh__x0"]).max(initial=1.0))
        ok = bool(np.allclose(ref, x0, rtol=0.0, atol=1e-9 * scale))
    ok = keys.comm.allreduce(ok, op=MPI.LAND)
    if not ok:
        raise RestartError("the mesh read for the restart differs from the checkpoint's "
                           "(cell numbering or coordinates); a mesh refined on the ranks "
                           "(mesh.refine > 0) is numbered by its partition: restart such a "
                           "run on the rank count that wrote it")


def stack_state(keys: MeshKeys, meta: dict[str, Any], arrays: dict[str, np.ndarray]
                ) -> tuple[StackState, np.ndarray]:
    """(this rank's StackState, its initial node coordinates) from a checkpoint."""
    state = StackState(scalars=meta["stack"])
    for name, value in arrays.items():
        if name.startswith("mesh__"):
            if name not in ("mesh__cell_nodes", "mesh__x0"):
                state.nodes[name.removeprefix("mesh__")] = local_nodes(keys, value)
        else:
            state.cells[name] = local_cells(keys, value)
    return state, local_nodes(keys, arrays["mesh__x0"]).copy()
