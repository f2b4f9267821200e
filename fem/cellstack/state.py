"""The state of a cell stack after an accepted step, as plain data: what a checkpoint stores.

``cells``: arrays with one row per local cell of the stack mesh (owned and ghosts, local
order): the fields of the mechanics and its stress updates, creep and compaction (their
dofs in each cell's order), the updates' internal variables (``<name>__state``, e.g. the
creep law's), the electrochemistry's submesh fields (NaN rows off the submesh) and
the interface stations' state (NaN off the interfaces). ``nodes``: the geometry nodes (the
updated-Lagrangian mesh moves). ``scalars``: JSON-able values (holder, platen, electrode
strains, the electrochemistry's scalars and the Li_xSi profile).

Everything a step computes afresh (the return map, the platen mode, the eigenstrain
increment) is not stored: the restarted step recomputes it from the same state, so a restart
on the same number of ranks reproduces the uninterrupted run to round-off.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fem.checkpoint.cellwise import cell_values, set_cell_values
from fem.errors import RestartError


@dataclass
class StackState:
    scalars: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, np.ndarray] = field(default_factory=dict)
    nodes: dict[str, np.ndarray] = field(default_factory=dict)


def _mechanics_functions(stack) -> dict[str, Any]:
    """The mechanics' fields, those of its stress updates (creep, compaction) included."""
    return dict(stack.mech.state_functions())


def capture(stack) -> StackState:
    """The stack's state (local; no communication)."""
    out = StackState()
    ncells = stack.cm.mesh.topology.index_map(stack.cm.mesh.topology.dim)
    n = ncells.size_local + ncells.num_ghosts
    out.nodes["x"] = stack.cm.mesh.geometry.x.copy()
    for name, f in _mechanics_functions(stack).items():
        out.cells[f"field__{name}"] = cell_values(f)
    for update in stack.mech.stress_updates:
        rows = update.state_rows(n)
        if rows is not None:
            out.cells[f"{update.name}__state"] = rows
    if stack.echem is not None:
        for name, f in stack.echem.state_functions().items():  # submesh fields, by parent cell
            sub_rows = cell_values(f)
            rows = np.full((n, sub_rows.shape[1]), np.nan)
            rows[stack.echem.parent_of] = sub_rows
            out.cells[f"echem__{name}"] = rows
    if stack.stations is not None:
        out.cells["interface__state"] = stack.stations.state_rows(n)
    out.scalars = {
        "holder": stack.holder.state(),
        "mechanics": stack.mech.state_scalars(),
        "pressure": stack.pressure,
        "volume": {"eps_cathode": stack.volume.eps_cathode, "eps_anode": stack.volume.eps_anode,
                   "temperature": stack.volume.temperature,
                   "die_gap": dict(stack.volume.die_gap)},
        "echem": (dict(stack.echem.state_scalars(), voltage_last=stack.voltage_last)
                  if stack.echem is not None else None),
    }
    return out


def _rows(state: StackState, key: str, what: str) -> np.ndarray:
    if key not in state.cells:
        raise RestartError(f"the checkpoint lacks {what}")
    return state.cells[key]


def restore(stack, state: StackState) -> None:
    """Put ``state`` (rows of this rank's local cells and nodes) back into ``stack``."""
    stack.cm.mesh.geometry.x[:] = state.nodes["x"]
    for name, f in _mechanics_functions(stack).items():
        set_cell_values(f, _rows(state, f"field__{name}", f"the field {name!r}"))
    for update in stack.mech.stress_updates:
        if f"{update.name}__state" in state.cells:
            update.set_state_rows(state.cells[f"{update.name}__state"])
    if stack.echem is not None:
        for name, f in stack.echem.state_functions().items():
            rows = _rows(state, f"echem__{name}", f"the electrochemistry field {name!r}")
            set_cell_values(f, rows[stack.echem.parent_of])
    if stack.stations is not None:
        stack.stations.set_state_rows(_rows(state, "interface__state", "the interface state"))
        stack.push_contact()  # the electrochemistry's kinetics see the restored contact
    sc = state.scalars
    if sc.get("echem"):
        stack.echem.set_state_scalars(sc["echem"])
        stack.voltage_last = sc["echem"]["voltage_last"]
    stack.holder.set_state(sc["holder"])
    stack.mech.set_state_scalars(sc["mechanics"])
    stack.pressure = sc["pressure"]
    stack.volume.eps_cathode = sc["volume"]["eps_cathode"]
    stack.volume.eps_anode = sc["volume"]["eps_anode"]
    stack.volume.temperature = sc["volume"]["temperature"]
    stack.volume.die_gap = dict(sc["volume"].get("die_gap", {}))
