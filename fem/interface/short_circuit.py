"""Short-circuit criterion on the Li | separator interface, and the terminator that stops a run.

A short is predicted when, anywhere on a Li | separator interface:

1. a Li-filled flaw opens (filament initiation): the Li pressure in the separator's largest
   surface flaw under a contact spot, the Li's pressure p plus the pressure the plating
   overpotential at the true contact can build in the confined deposit, reaches the pressure
   that opens a penny-shaped flaw of radius a + d (a the flaw, d the depth Li has crept into
   it; :mod:`fem.interface.contact_state`, docs/references.md#derived-flaw-pressure). The flaw
   size and fracture toughness are material data (``interface.flaw_radius`` calibrated within
   its measured range, ``interface.fracture_toughness``). In the lab study the shorts are Li
   filaments grown from the Li electrode. Stripping lowers f (voids,
   docs/references.md#derived-stripping-supply), which raises both terms on the next plating:
   the mechanism by which voids lead to dendrites (Kasemchainan 2019 [U],
   docs/references.md#kasemchainan2019); a higher stack pressure raises the first (Li pushed
   into flaws, docs/lab-study.md#critical-current-density) and drives Li deeper into the flaw;
2. extrusion through the separator: Li pushed into its flaws at least as deep as the separator
   is thick.

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
    #: the protocol cycle it fell in (0: the steps before the cycles)
    cycle: int = 0

    def message(self) -> str:
        cycle = f", cycle {self.cycle}" if self.cycle else ""
        return (f"short predicted at step {self.step} (t = {self.time_s:.6g} s, protocol step "
                f"{self.protocol_step}: {self.protocol_label!r}{cycle}), current "
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
        ratio, r_f, layer_f = st.worst("flaw")
        depth, r_d, layer_d = st.worst("depth")
        focused = st.worst("focused")[0]
        scal = st.scalars()
        common = dict(step=step, protocol_step=entry.index, protocol_label=entry.step.text,
                      time_s=time_s, current_density_mA_cm2=current * MA_CM2,
                      focused_current_density_mA_cm2=focused * MA_CM2,
                      extrusion_depth_um=depth * 1e6,
                      min_contact_fraction=scal["min_contact_fraction"], cycle=entry.cycle)
        if ratio >= 1.0:
            return ShortPrediction(
                **common, mechanism="filament", li_layer=layer_f, radius_mm=r_f * 1e3,
                reason=(f"the Li pressure in a flaw under a contact spot of {layer_f} "
                        f"(r = {r_f * 1e3:.3g} mm) reached {scal['flaw_pressure_MPa']:.4g} MPa, "
                        f"the pressure that opens the separator's "
                        f"{self.params.flaw_radius * 1e6:.3g} um flaw (contact fraction "
                        f"{scal['min_contact_fraction']:.3g}, plating current at the true "
                        f"contact {focused * MA_CM2:.3g} mA/cm^2, Li crept "
                        f"{depth * 1e6:.3g} um into the flaw)"))
        if depth >= self.separator_thickness:
            return ShortPrediction(
                **common, mechanism="extrusion", li_layer=layer_d, radius_mm=r_d * 1e3,
                reason=(f"Li of {layer_d} crept {depth * 1e6:.4g} um into the separator pores at "
                        f"r = {r_d * 1e3:.3g} mm, through the {self.separator_thickness * 1e6:.4g}"
                        " um separator"))
        return None
