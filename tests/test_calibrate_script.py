"""scripts/calibrate.py writes a fit's values into a copy of the holder card: the value in the
fit's unit, the source naming the fit and its interval, the old source's prior range kept; the
calibration spec in calibration/ reads (every key checked, no run)."""

from __future__ import annotations

import importlib.util
import shutil
import tomllib

from conftest import ROOT, serial_only

#: no MPI code path here: the results cannot depend on the rank count, so only the serial pass
pytestmark = serial_only("rank-independent pure Python: only in the serial pass")


def _script():
    spec = importlib.util.spec_from_file_location("calibrate", ROOT / "scripts" / "calibrate.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_fitted_values_go_into_the_card(tmp_path):
    cal = _script()
    card = tmp_path / "card.toml"
    shutil.copy(cal.CARD, card)
    cal.CARD = card
    old = tomllib.loads(card.read_text())["parameters"]
    fit = {"created": "2026-12-07T06:30:00+00:00", "uncertainty": {"confidence": 0.95},
           "parameters": [
               {"path": "holder.card_values.die_clearance", "value": 41.2, "unit": "um",
                "ci": [35.0, 48.1]},
               {"path": "holder.card_values.load_cell_compliance", "value": 7.1e-8,
                "unit": "m/N", "ci": [None, None]}]}
    assert cal.write_card(fit) == ["die_clearance = 41.2 um", "load_cell_compliance = 7.1e-08 m/N"]
    new = tomllib.loads(card.read_text())["parameters"]
    assert new["die_clearance"]["value"] == "41.2 um"
    src = new["die_clearance"]["source"]
    assert src.startswith("fitted (assb-fem fit, calibration/lab_peek_ti.toml, 2026-12-07: "
                          "95 % CI 35-48.1 um")
    assert src.endswith(old["die_clearance"]["source"].split("); ", 1)[1])
    assert "not identified" in new["load_cell_compliance"]["source"]
    assert new["edge_chamfer"] == old["edge_chamfer"]  # not in the fit: untouched


def test_an_old_fit_or_provisional_note_is_replaced():
    cal = _script()
    assert cal._meaning("provisional (a 0-D model (same equations)): leg of the edge break; "
                        "prior 0.05-0.5 mm") == "leg of the edge break; prior 0.05-0.5 mm"
    assert cal._meaning("fitted (assb-fem fit, x.toml, 2026-12-07: 95 % CI 1-2 um; f.md); "
                        "radial gap (ISO 286)") == "radial gap (ISO 286)"
    assert cal._meaning("radial gap (ISO 286); prior 5-100 um") == \
        "radial gap (ISO 286); prior 5-100 um"


def test_the_calibration_spec_reads():
    from fem.study.fit.spec import read_spec

    spec = read_spec(ROOT / "calibration" / "lab_peek_ti.toml")
    assert {p.path for p in spec.parameters} == {
        "holder.card_values.die_clearance", "holder.card_values.edge_chamfer",
        "holder.card_values.screw_thermal_expansion", "holder.card_values.load_cell_compliance"}
    for p in spec.parameters:
        assert p.prior is not None and p.prior_source
        assert p.lower < p.prior[0] <= p.start <= p.prior[1] < p.upper or \
            p.lower <= p.prior[0] <= p.start <= p.prior[1] <= p.upper
