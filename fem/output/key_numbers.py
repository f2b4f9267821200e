"""The key numbers of a run in words: a label with its unit and the value as a person reads it
("pressure swing, cycle 1" -> "2.14 MPa"; a short that was not predicted -> "no short
predicted"). Used by the report and written into summary.json as ``key_numbers``."""

from __future__ import annotations

import math
import re
from typing import Any

#: Known result keys: (label, unit, factor). Keys with a cycle number use {n}.
LABELS: dict[str, tuple[str, str, float]] = {
    "final_stack_pressure_MPa": ("stack pressure at the end", "MPa", 1.0),
    "max_stack_pressure_MPa": ("highest stack pressure", "MPa", 1.0),
    "min_stack_pressure_MPa": ("lowest stack pressure", "MPa", 1.0),
    "pressure_swing_per_cycle_MPa.{n}": ("pressure swing, cycle {n}", "MPa", 1.0),
    "final_capacity_mAh_cm2": ("charge passed at the end", "mAh/cm²", 1.0),
    "areal_capacity_mAh_cm2": ("areal capacity of the cathode", "mAh/cm²", 1.0),
    "final_li_thickness_change_um": ("Li thickness change at the end", "µm", 1.0),
    "lithium_inventory.{n}.charge_mAh_cm2": ("charge capacity, cycle {n}", "mAh/cm²", 1.0),
    "lithium_inventory.{n}.discharge_mAh_cm2": ("discharge capacity, cycle {n}", "mAh/cm²", 1.0),
    "lithium_inventory.{n}.coulombic_efficiency": ("Coulombic efficiency, cycle {n}", "%", 100.0),
    "lithium_inventory.{n}.lost_mAh_cm2": ("capacity lost, cycle {n}", "mAh/cm²", 1.0),
    "lithium_inventory.{n}.self_discharge_mAh_cm2": ("self-discharge, cycle {n}", "mAh/cm²", 1.0),
    "min_contact_fraction": ("lowest Li | separator contact", "%", 100.0),
    "min_void_margin": ("lowest void margin", "", 1.0),
    "max_focused_current_density_mA_cm2": ("highest focused plating current", "mA/cm²", 1.0),
    "max_extrusion_depth_um": ("deepest Li extrusion into the separator", "µm", 1.0),
    "max_flaw_pressure_MPa": ("highest Li pressure in a separator flaw", "MPa", 1.0),
    "max_flaw_pressure_ratio": ("highest flaw pressure / opening pressure", "", 1.0),
    "final_contact_fraction": ("contact fraction at the end", "%", 100.0),
    "final_interface_asr_ohm_cm2": ("interface resistance at the end", "Ω cm²", 1.0),
    "final_contact_spots": ("contact spots at the end", "", 1.0),
    "final_pore_fill_depth_um": ("pore filled to a depth of", "µm", 1.0),
    "pore_depth_um": ("pore depth", "µm", 1.0),
    "final_max_local_current_density_mA_cm2": ("highest local current density at the end",
                                               "mA/cm²", 1.0),
    "probe_current_density_mA_cm2": ("probe current density", "mA/cm²", 1.0),
    "charge_transfer_resistance_ohm_cm2": ("charge-transfer resistance", "Ω cm²", 1.0),
    "max_penetration_um": ("largest contact penetration", "µm", 1.0),
    "penetration_tolerance_um": ("penetration tolerance", "µm", 1.0),
    "max_force_balance_error": ("largest force-balance error", "", 1.0),
    "surface_peak_to_valley_um": ("surface peak to valley", "µm", 1.0),
}


def _fmt(v: Any, unit: str = "", factor: float = 1.0) -> str:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    text = f"{v * factor:.4g}" if isinstance(v, float) or factor != 1.0 else str(v)
    return f"{text} {unit}".strip()


def _flatten(d: dict, prefix: str = "") -> list[tuple[str, Any]]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict) and k not in ("short", "roughness"):
            out += _flatten(v, f"{prefix}{k}.")
        else:
            out.append((f"{prefix}{k}", v))
    return out


def _generic(key: str) -> tuple[str, str, float]:
    """A label for a key no table names: words, and the unit its suffix says."""
    units = {"_MPa": "MPa", "_um": "µm", "_mA_cm2": "mA/cm²", "_mAh_cm2": "mAh/cm²",
             "_ohm_cm2": "Ω cm²", "_s": "s", "_V": "V", "_K": "K"}
    for suffix, unit in units.items():
        if key.endswith(suffix):
            return key[: -len(suffix)].replace("_", " ").replace(".", ", "), unit, 1.0
    return key.replace("_", " ").replace(".", ", "), "", 1.0


#: Keys with a milestone time in them (patch runs): pattern -> (label, unit, factor).
MILESTONE_LABELS = {
    r"pressure_at_milestones_MPa\.(\w+)$": ("stack pressure at {t}", "MPa", 1.0),
    r"contact_fraction_at_(\w+)$": ("contact fraction at {t}", "%", 100.0),
    r"interface_asr_at_(\w+)_ohm_cm2$": ("interface resistance at {t}", "Ω cm²", 1.0),
}


def _milestone_row(key: str, value: Any) -> tuple[str, str] | None:
    for pattern, (label, unit, factor) in MILESTONE_LABELS.items():
        m = re.match(pattern, key)
        if m:
            t = re.sub(r"(\d)([a-z])", r"\1 \2", m.group(1))
            return label.format(t=t), ("not reached" if value is None
                                       else _fmt(value, unit, factor))
    return None


def _result_row(key: str, value: Any) -> tuple[str, str] | None:
    if key in ("short", "roughness") or key.endswith("lost_to"):
        return None
    if key == "areal_capacity_mAh_cm2" and not value:
        return None  # no cathode
    milestone = _milestone_row(key, value)
    if milestone is not None:
        return milestone
    m = re.search(r"\.(\d+)(\.|$)", key)
    pattern = key.replace(f".{m.group(1)}", ".{n}", 1) if m else key
    label, unit, factor = LABELS.get(pattern) or _generic(key)
    if m:
        label = label.format(n=m.group(1))
    if value is None:
        return label, "not reached"
    return label, _fmt(value, unit, factor)


def _short_rows(results: dict) -> list[tuple[str, str]]:
    if "short" not in results:
        return []
    short = results["short"]
    if short is None:
        rows = [("short circuit", "no short predicted")]
    else:
        rows = [("short circuit", f"predicted at {short.get('time_s', 0) / 3600:.3g} h in step "
                 f"'{short.get('protocol_label', '?')}' ({short.get('mechanism', '?')}): "
                 f"{short.get('reason', '')}")]
    if "cycles_completed" in results:
        n, cy = results["cycles_completed"], results.get("short_cycle")
        rows.append(("cycles run", f"{n} complete, short in cycle {cy}" if cy else
                     f"{n} complete, no short in a cycle"))
    if "ccd_mA_cm2" in results:
        ccd, lower = results.get("ccd_mA_cm2"), results.get("ccd_lower_bound_mA_cm2")
        text = (f"{ccd:.3g} mA/cm²" if ccd is not None else
                f"above {lower:.3g} mA/cm² (no short in the ramp)" if lower is not None
                else "not reached")
        rows.append(("critical current density", text))
    return rows


def key_numbers(summary: dict) -> list[tuple[str, str]]:
    """(label, value as text) of a run's summary, the outcome first."""
    rows: list[tuple[str, str]] = []
    status = summary.get("status", "unknown")
    outcome = {"completed": "completed", "short_predicted": "stopped on a predicted short",
               "interrupted": "interrupted (continue with assb-fem run --restart)",
               "stopped_by_event": "stopped: the state left its physical range"}.get(status,
                                                                                      status)
    rows.append(("outcome", outcome))
    if summary.get("event"):
        rows.append(("why it stopped", summary["event"].get("reason", "")))
    results = summary.get("results", {})
    rows += _short_rows(results)
    for key, value in _flatten(results):
        if key in ("ccd_mA_cm2", "ccd_lower_bound_mA_cm2"):
            continue
        row = _result_row(key, value)
        if row is not None:
            rows.append(row)
    for key, value in _flatten(results):
        if key.endswith("lost_to"):
            n = key.split(".")[1] if "." in key else ""
            rows.append((f"lost capacity went to, cycle {n}".strip(", "), str(value)))
    if "steps_accepted" in summary:
        rows.append(("time steps", f"{summary['steps_accepted']} accepted, "
                                   f"{summary.get('steps_failed', 0)} retried shorter"))
    if "newton_iterations" in summary:
        rows.append(("Newton iterations", str(summary["newton_iterations"])))
    if "simulated_time_s" in summary:
        rows.append(("simulated time", f"{summary['simulated_time_s'] / 3600:.4g} h"))
    if "wall_time_s" in summary:
        rows.append(("wall time", f"{summary['wall_time_s']:.3g} s on "
                                  f"{summary.get('ranks', 1)} MPI rank(s)"))
    mesh = summary.get("mesh", {})
    if mesh:
        cells = mesh.get("cells", mesh.get("li_cells"))
        rows.append(("mesh", f"{cells} cells, {mesh.get('displacement_dofs')} displacement "
                             "unknowns"))
    return rows
