"""The state of a cell stack after an accepted step, as plain data: what a checkpoint stores.

``cells``: arrays with one row per local cell of the stack mesh (owned and ghosts, local
order): the fields of the mechanics and creep (their dofs in each cell's order), the creep
law's internal variables, the electrochemistry's submesh fields (NaN rows off the submesh) and
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
    funcs = dict(stack.mech.state_functions())
    if stack.creep is not None:
        funcs.update(stack.creep.state_functions())
    return funcs


def capture(stack) -> StackState:
    """The stack's state (local; no communication)."""
    out = StackState()
    ncells = stack.cm.mesh.topology.index_map(stack.cm.mesh.topology.dim)
    n = ncells.size_local + ncells.num_ghosts
    out.nodes["x"] = stack.cm.mesh.geometry.x.copy()
    for name, f in _mechanics_functions(stack).items():
        out.cells[f"field__{name}"] = cell_values(f)
    if stack.creep is not None:
        rows = stack.creep.state_rows(n)
        if rows is not None:
            out.cells["creep__state"] = rows
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
                   "temperature": stack.volume.temperature},
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
    if stack.creep is not None and "creep__state" in state.cells:
        stack.creep.set_state_rows(state.cells["creep__state"])
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
