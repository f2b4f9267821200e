"""Short-circuit criterion on the Li | separator interface, and the terminator that stops a run.

A short is predicted when, anywhere on a Li | separator interface:

1. filament initiation on plating: the plating current density at the true contact,
   i_p beta / f (contact fraction f, focusing beta = 1 + d / r_p at Li extruded a depth d into a
   pore; :mod:`fem.interface.contact_state`), exceeds the critical local current density
   (``interface.critical_local_current_density``, calibrated on the symmetric-cell CCDs of
   the lab study, docs/lab-study.md#critical-current-density). In the lab study the shorts are
   Li filaments grown from the Li electrode. Stripping lowers f (voids,
   docs/references.md#derived-stripping-supply), which focuses the next plating: the mechanism by
   which voids lead to dendrites (Kasemchainan 2019 [U], docs/references.md#kasemchainan2019);
2. extrusion through the separator: Li pushed into its pores at least as deep as the separator
   is thick (docs/lab-study.md#critical-current-density: 10 MPa and more push Li into and
   through the separator).

The contact lost entirely (f at its floor on the whole interface) is reported too, as a failure
of the cell that is not a short (docs/lab-study.md#critical-current-density: at 1 MPa creep is
too slow to keep contact).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fem.constants import MA_CM2


class ShortPredicted(Exception):  # noqa: N818 - a result, not an error
    """Raised by the time loop after the step on which the criterion fired."""

    def __init__(self, prediction: ShortPrediction):
        super().__init__(prediction.message())
        self.prediction = prediction


@dataclass
class ShortPrediction:
    """Where, when and why: the step is the accepted time step (1-based) that fired."""

    step: int
    protocol_step: int
    protocol_label: str
    time_s: float
    current_density_mA_cm2: float
    reason: str
    mechanism: str
    li_layer: str
    radius_mm: float
    focused_current_density_mA_cm2: float
    extrusion_depth_um: float
    min_contact_fraction: float

    def message(self) -> str:
        return (f"short predicted at step {self.step} (t = {self.time_s:.6g} s, protocol step "
                f"{self.protocol_step}: {self.protocol_label!r}), current "
                f"{self.current_density_mA_cm2:.4g} mA/cm^2, because {self.reason}")

    def as_dict(self) -> dict:
        return asdict(self)


class ShortCriterion:
    """Checks the interface stations after each accepted step (collective)."""

    def __init__(self, stations, separator_thickness: float):
        self.stations = stations
        self.params = stations.params
        self.separator_thickness = separator_thickness

    def check(self, step: int, entry, time_s: float, current: float) -> ShortPrediction | None:
        st = self.stations
        i_crit = self.params.critical_local_current_density
        focused, r_f, layer_f = st.worst("focused")
        depth, r_d, layer_d = st.worst("depth")
        scal = st.scalars()
        common = dict(step=step, protocol_step=entry.index, protocol_label=entry.step.text,
                      time_s=time_s, current_density_mA_cm2=current * MA_CM2,
                      focused_current_density_mA_cm2=focused * MA_CM2,
                      extrusion_depth_um=depth * 1e6,
                      min_contact_fraction=scal["min_contact_fraction"])
        if focused > i_crit:
            return ShortPrediction(
                **common, mechanism="filament", li_layer=layer_f, radius_mm=r_f * 1e3,
                reason=(f"the plating current at the true Li | separator contact of {layer_f} "
                        f"(r = {r_f * 1e3:.3g} mm) reached {focused * MA_CM2:.3g} mA/cm^2, above "
                        f"the critical {i_crit * MA_CM2:.3g} mA/cm^2 for filament initiation "
                        f"(contact fraction {scal['min_contact_fraction']:.3g}, Li extruded "
                        f"{depth * 1e6:.3g} um into the separator)"))
        if depth >= self.separator_thickness:
            return ShortPrediction(
                **common, mechanism="extrusion", li_layer=layer_d, radius_mm=r_d * 1e3,
                reason=(f"Li of {layer_d} crept {depth * 1e6:.4g} um into the separator pores at "
                        f"r = {r_d * 1e3:.3g} mm, through the {self.separator_thickness * 1e6:.4g}"
                        " um separator"))
        return None
