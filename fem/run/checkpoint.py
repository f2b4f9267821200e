"""What a stack run saves in a checkpoint and how it is put back: the case (its validated
input and digest), the :class:`fem.run.state.RunState`, the history rows so far, and the
:class:`fem.cellstack.state.StackState` with its cell and node rows gathered by input number
(:mod:`fem.checkpoint.cellwise`), so a checkpoint written on N ranks restarts on M. Nothing else
is stored: the restarted step recomputes everything else from the same state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from fem._dolfinx import MPI
from fem.cellstack.state import StackState
from fem.checkpoint.cellwise import (
    MeshKeys,
    gather_cells,
    gather_nodes,
    local_cells,
    local_nodes,
)
from fem.errors import RestartError


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
                           "(cell numbering or coordinates)")


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
