"""What a run saves in a checkpoint and how it is put back.

State of a :class:`fem.simulation.Simulation` after an accepted step:

* fields by input cell (:mod:`fem.checkpoint.cellwise`): total displacement, the last
  increment (the predictor of the next step), the stress, the eigenstrain, creep strain
  tensor / equivalent strain / rate and the creep law's internal variables;
* the geometry nodes (the updated-Lagrangian mesh moves) and, to check that a restart reads
  the same mesh, the initial coordinates and the input nodes of every cell;
* scalars: time, temperature, current, charge, step counters, the protocol position (entry,
  time into it, the pressure it started from), the time-step controller, the holder (mode,
  reference pressure and gap), the platen, the electrode strains, the history rows so far,
  and the case itself (its validated input and digest);
* the Li | separator interface state (contact fraction, extrusion depth) by Li cell.

Everything a step computes afresh (the return map, the platen mode, the eigenstrain
increment) is not stored: the restarted step recomputes it from the same state, so a restart
on the same number of ranks reproduces the uninterrupted run to round-off.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from fem._dolfinx import MPI
from fem.checkpoint.cellwise import (
    MeshKeys,
    cell_values,
    gather_cells,
    gather_nodes,
    local_cells,
    local_nodes,
    set_cell_values,
)
from fem.errors import RestartError


def _functions(sim) -> dict[str, Any]:
    funcs = dict(sim.mech.state_functions())
    if sim.creep is not None:
        funcs.update(sim.creep.state_functions())
    return funcs


def _echem_functions(sim) -> dict[str, Any]:
    echem = getattr(sim, "echem", None)
    return echem.state_functions() if echem is not None else {}


def capture(sim) -> tuple[dict[str, Any], dict[str, np.ndarray] | None]:
    """Collective: (meta, arrays) of the simulation's state; arrays only on rank 0."""
    keys: MeshKeys = sim.mesh_keys
    arrays: dict[str, np.ndarray] = {}

    def put(name: str, value: np.ndarray | None) -> None:
        if value is not None:
            arrays[name] = value

    msh = sim.cm.mesh
    put("mesh__cell_nodes", gather_cells(keys, keys.cell_nodes))
    put("mesh__x0", gather_nodes(keys, sim.x0_nodes))
    put("mesh__x", gather_nodes(keys, msh.geometry.x))
    for name, f in _functions(sim).items():
        put(f"field__{name}", gather_cells(keys, cell_values(f)))
    if sim.creep is not None:
        rows = sim.creep.state_rows(len(keys.cells))
        if rows is not None:
            put("creep__state", gather_cells(keys, rows))
    for name, f in _echem_functions(sim).items():  # submesh fields, by parent cell
        sub_rows = cell_values(f)
        rows = np.full((len(keys.cells), sub_rows.shape[1]), np.nan)
        rows[sim.echem.parent_of] = sub_rows
        put(f"echem__{name}", gather_cells(keys, rows))
    stations = getattr(sim, "stations", None)
    if stations is not None:
        put("interface__state", gather_cells(keys, stations.state_rows(len(keys.cells))))
    st = sim.state
    h = sim.holder
    meta = {
        "case": {"raw": sim.case.raw, "digest": sim.case.digest, "source": sim.case.source},
        "ranks": sim.comm.size,
        "state": asdict(st),
        "position": {"entry": sim.position[0], "tau": sim.position[1],
                     "entry_pressure": sim.position[2]},
        "controller": {"dt": sim.ctrl.dt, "last_dt": sim.last_dt, "dt_entry": sim.dt_entry},
        "holder": {"mode": h.mode, "p_ref": h.p_ref, "U_ref": h.U_ref},
        "mechanics": sim.mech.state_scalars(),
        "pressure": sim.pressure,
        "volume": {"eps_cathode": sim.volume.eps_cathode, "eps_anode": sim.volume.eps_anode},
        "echem": (dict(sim.echem.state_scalars(), voltage_last=sim.echem_v_last)
                  if getattr(sim, "echem", None) is not None else None),
        "history": sim.history.rows,
        "fields": {"written_at": sim.fields_written_at, "meshes": sim.xdmf_meshes},
        "wall_time_s": sim.wall_time(),
        "short": (sim.short.as_dict() if getattr(sim, "short", None) is not None else None),
    }
    return meta, (arrays if sim.comm.rank == 0 else None)


def _check_mesh(keys: MeshKeys, x0: np.ndarray, arrays: dict[str, np.ndarray]) -> None:
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


def restore(sim, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Put a checkpoint's state into a simulation set up on the same case (any rank count)."""
    keys: MeshKeys = sim.mesh_keys
    msh = sim.cm.mesh
    _check_mesh(keys, msh.geometry.x, arrays)
    sim.x0_nodes = local_nodes(keys, arrays["mesh__x0"]).copy()
    msh.geometry.x[:] = local_nodes(keys, arrays["mesh__x"])
    for name, f in _functions(sim).items():
        key = f"field__{name}"
        if key not in arrays:
            raise RestartError(f"the checkpoint lacks the field {name!r}")
        set_cell_values(f, local_cells(keys, arrays[key]))
    if sim.creep is not None and "creep__state" in arrays:
        sim.creep.set_state_rows(local_cells(keys, arrays["creep__state"]))
    for name, f in _echem_functions(sim).items():
        key = f"echem__{name}"
        if key not in arrays:
            raise RestartError(f"the checkpoint lacks the electrochemistry field {name!r}")
        set_cell_values(f, local_cells(keys, arrays[key])[sim.echem.parent_of])
    stations = getattr(sim, "stations", None)
    if stations is not None:
        if "interface__state" not in arrays:
            raise RestartError("the checkpoint lacks the interface state")
        stations.set_state_rows(local_cells(keys, arrays["interface__state"]))
        sim._push_contact()  # the electrochemistry's kinetics see the restored contact
    if meta.get("echem"):
        sim.echem.set_state_scalars(meta["echem"])
        sim.echem_v_last = meta["echem"]["voltage_last"]
    for k, v in meta["state"].items():
        setattr(sim.state, k, v)
    pos = meta["position"]
    sim.position = (pos["entry"], pos["tau"], pos["entry_pressure"])
    if meta.get("short"):  # a short predicted (and reported) before the restart
        from fem.interface.short_circuit import ShortPrediction

        sim.short = ShortPrediction(**meta["short"])
    sim.ctrl.dt = meta["controller"]["dt"]
    sim.last_dt = meta["controller"]["last_dt"]
    sim.dt_entry = meta["controller"]["dt_entry"]
    h = meta["holder"]
    sim.holder.mode, sim.holder.p_ref, sim.holder.U_ref = h["mode"], h["p_ref"], h["U_ref"]
    sim.mech.set_state_scalars(meta["mechanics"])
    sim.pressure = meta["pressure"]
    sim.volume.eps_cathode = meta["volume"]["eps_cathode"]
    sim.volume.eps_anode = meta["volume"]["eps_anode"]
