"""summary.json of a cell-stack run: status, provenance, cost, and the key results (pressure
extremes and swing per cycle, capacity, Li thickness change, the Li inventory per cycle, the
predicted short and the critical current density of a CCD ramp)."""

from __future__ import annotations

from typing import Any

import numpy as np

from fem.case.model import Case
from fem.constants import MA_CM2, MAH_CM2
from fem.output.history import History
from fem.run.controller import time_label


def _cycle_rows(cyc: list, cy: int) -> list[int]:
    """The rows of cycle ``cy`` preceded by the row before its first one (its start state)."""
    rows = [k for k, ci in enumerate(cyc) if ci == cy]
    return ([rows[0] - 1] if rows[0] > 0 else []) + rows


def stack_summary(case: Case, h: History, state, short, stack, mesh_info: dict, ranks: int,
                  wall: float, timing: dict, versions: dict) -> dict[str, Any]:
    """The summary of a stack run after its last accepted step."""
    p = h.column("stack_pressure_MPa")
    cyc = h.column("cycle")
    cycles = sorted({cy for cy in cyc if cy > 0})
    swing = {}
    for cy in cycles:
        pc = [p[k] for k in _cycle_rows(cyc, cy)]
        swing[str(cy)] = max(pc) - min(pc)
    out = {
        "status": "completed",
        "case": case.name,
        "description": case.description,
        "case_source": case.source,
        "case_sha256": case.digest,
        "ranks": ranks,
        "restarts": state.restarts,
        "wall_time_s": wall,
        "wall_time_split_s": timing,
        "versions": versions,
        "mesh": mesh_info,
        "steps_accepted": state.accepted,
        "steps_failed": state.failed,
        "steps_shortened": state.shortened,
        "newton_iterations": state.newton_total,
        "simulated_time_s": state.t,
        "results": {
            "final_stack_pressure_MPa": p[-1],
            "max_stack_pressure_MPa": max(p),
            "min_stack_pressure_MPa": min(p),
            "pressure_swing_per_cycle_MPa": swing,
            "final_capacity_mAh_cm2": h.column("capacity_mAh_cm2")[-1],
            "final_li_thickness_change_um": h.column("li_thickness_change_um")[-1],
            "areal_capacity_mAh_cm2": (case.areal_capacity or 0.0) * MAH_CM2,
        },
    }
    if case.output.milestones:
        out["results"]["pressure_at_milestones_MPa"] = milestone_pressures(
            h, case.output.milestones)
    if stack is not None and stack.echem is not None:
        out["results"]["lithium_inventory"] = inventory(h, cycles, stack.echem)
    if stack is not None and stack.stations is not None:
        out["results"].update(short_summary(case, h, short))
        if short is not None and case.interface.stop_on_short:
            out["status"] = "short_predicted"
    return out


def short_summary(case: Case, h: History, short) -> dict[str, Any]:
    """The predicted short (or None) and, for a protocol with a CCD ramp, the critical
    current density: the level on which the short came, else a lower bound."""
    out = {"short": short.as_dict() if short is not None else None,
           "min_contact_fraction": min(h.column("min_contact_fraction")),
           "min_void_margin": min(h.column("min_void_margin")),
           "max_focused_current_density_mA_cm2": max(h.column("focused_current_density_mA_cm2")),
           "max_extrusion_depth_um": max(h.column("extrusion_depth_um")),
           "max_flaw_pressure_MPa": max(h.column("flaw_pressure_MPa")),
           "max_flaw_pressure_ratio": max(h.column("flaw_pressure_ratio"))}
    if any(e.cycle > 0 for e in case.protocol):
        out.update(cycling_summary(case, h, short))
    ramp = [e.step for e in case.protocol if getattr(e.step, "ccd_level", None)]
    if ramp:
        ccd = lower = None
        if short is not None:
            ccd = getattr(case.protocol[short.protocol_step].step, "ccd_level", None)
        if ccd is None:
            done = set(h.column("step_label"))
            reached = [st.ccd_level for st in ramp if st.text in done]
            lower = max(reached) * MA_CM2 if reached else None
        out["ccd_mA_cm2"] = ccd * MA_CM2 if ccd is not None else None
        out["ccd_lower_bound_mA_cm2"] = lower
    return out


def inventory(h: History, cycles: list[int], echem) -> dict[str, dict[str, Any]]:
    """Charge and discharge capacity per cycle (mAh/cm^2), Coulombic efficiency, and where
    the lithium not returned went. In a Li metal cell the Li reservoir is in excess: what
    the discharge does not return stays in the Li (plated) because the cathode cannot take
    it back (its first-cycle irreversibility, card first_cycle_efficiency)."""
    q, cyc = h.column("capacity_mAh_cm2"), h.column("cycle")
    leaking = echem.leak_conductance > 0
    leak = h.column("self_discharge_mAh_cm2") if leaking else [0.0] * len(q)
    out = {}
    for cy in cycles:
        rows = _cycle_rows(cyc, cy)
        first, last = [k for k in rows if cyc[k] == cy][0], rows[-1]
        steps = np.diff([q[k] for k in rows])
        q_ch, q_dis = float(steps[steps > 0].sum()), float(-steps[steps < 0].sum())
        entry = {"charge_mAh_cm2": q_ch, "discharge_mAh_cm2": q_dis,
                 "coulombic_efficiency": q_dis / q_ch if q_ch > 0 else float("nan"),
                 "lost_mAh_cm2": q_ch - q_dis}
        if leaking:  # the ionic charge the terminals did not see
            before = leak[first - 1] if first > 0 else 0.0
            entry["self_discharge_mAh_cm2"] = leak[last] - before
        if echem.anode is None:
            entry["lost_to"] = "cathode irreversibility (the Li stays plated on the Li metal)"
        else:
            entry.update(echem.anode_inventory((q[last] - leak[last]) / MAH_CM2))
            entry["lost_to"] = "Li left in the Li_xSi anode (see the split)"
        out[str(cy)] = entry
    return out


def milestone_pressures(h: History, milestones: tuple[float, ...]) -> dict[str, float | None]:
    """The stack pressure at each milestone the run reached (the steps land on them), keyed
    '1min', '30min', '24h' (None for one the run did not reach)."""
    t, p = h.column("time_s"), h.column("stack_pressure_MPa")
    out = {}
    for m in milestones:
        hit = [k for k, tk in enumerate(t) if abs(tk - m) <= 1e-9 * m]
        out[time_label(m)] = p[hit[-1]] if hit else None
    return out


def cycling_summary(case: Case, h: History, short) -> dict[str, Any]:
    """Long cycling: the cycle the short came in (None: no short in a cycle) and the cycles run
    to their end before it (``cycles_completed``; without a short, a lower bound of the cycles
    to short). A cycle is complete when the run went past its last step, or ended on it after
    the protocol's last step."""
    if short is not None:
        return {"short_cycle": short.cycle or None, "cycles_completed": max(short.cycle - 1, 0)}
    last = {}
    for e in case.protocol:
        if e.cycle > 0:
            last[e.cycle] = e.index
    steps = h.column("step")
    reached = max(steps) if steps else -1
    final = case.protocol[-1].index
    done = [c for c, i in last.items() if i < reached or (i == reached == final)]
    return {"short_cycle": None, "cycles_completed": len(done)}
