"""Lab measurements drawn over the history plots of the validation cases (the lab study,
docs/lab-study.md).

Each entry places points on the stack-pressure panel relative to an event in the run's
history, so the overlay follows the protocol of the run rather than fixed clock times.
"""

from __future__ import annotations

#: case name -> list of (anchor, offset in s, pressure in MPa, label)
#: anchors: "hold_start" (start of the first rest step), "end_first_charge".
LAB_PRESSURE: dict[str, list[tuple[str, float, float, str]]] = {
    "li_symmetric_hold": [
        ("hold_start", 1800.0, 23.0, "lab, 30 min at 25 MPa (lab study, contact hold)"),
        ("hold_start", 86400.0, 21.1, "lab, 24 h at 25 MPa (lab study, contact hold)"),
    ],
    "ncm811_li_fixed_gap": [
        ("end_first_charge", 0.0, 6.96, "lab, end of first charge, current ramp (lab study, full cell)"),
    ],
}


#: the 25 MPa contact-hold calibration points: time into the hold (s) -> pressure (MPa)
HOLD_POINTS: dict[float, float] = {
    offset: p for _, offset, p, _ in LAB_PRESSURE["li_symmetric_hold"]
}


def _anchor(hist: dict, anchor: str) -> float | None:
    t, labels = hist["time_s"], hist.get("step_label", [])
    if anchor == "hold_start":
        for i, lab in enumerate(labels):
            if str(lab).lower().startswith("rest") and i > 0:
                return float(t[i - 1])
        return None
    if anchor == "end_first_charge":
        cur, cyc = hist.get("current_density_mA_cm2", []), hist.get("cycle", [])
        idx = [i for i in range(len(t)) if float(cur[i]) > 0 and float(cyc[i]) <= 1]
        return float(t[idx[-1]]) if idx else None
    raise ValueError(anchor)


def lab_points(case: str, hist: dict) -> list[tuple[float, float, str]]:
    """(time in s, pressure in MPa, label) of the lab points for this case's run."""
    out = []
    for anchor, offset, p, label in LAB_PRESSURE.get(case, []):
        t0 = _anchor(hist, anchor)
        if t0 is not None and t0 + offset <= float(hist["time_s"][-1]) + 1e-6:
            out.append((t0 + offset, p, label))
    return out
