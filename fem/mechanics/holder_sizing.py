"""Spring-holder sizing, the way the lab does it by hand (docs/lab-study.md#cell-build;
docs/references.md#derived-spring-holder, #derived-fixed-gap-compliance).

A spring ("constant pressure") holder has ``n`` springs of rate ``k_s`` between the top plate and
the nuts of the screws. For a target stack pressure ``p`` on the cell area ``A``:

* total force                 F = p A                            (5 MPa on 0.785 cm^2 = 392.5 N)
* load per spring             F_s = F / n                         (88.2 lbf / 3 = 29.4 lbf)
* spring compression needed   x = F_s / k_s                       (29.4 lbf / 5.5 lbf/mm = 5.35 mm)
* margin to the maximum load  F_max - F_s                          (53 lbf - 29.4 lbf)

During charge the stack grows by the plated Li
(docs/references.md#derived-li-thickness-per-capacity)::

    delta = q V_Li / F_Faraday        (q: areal capacity in C/m^2; 4.85 um per mAh/cm^2)

optionally less a cathode contraction given by the user. The holder answers with the series
stiffness of the springs (in parallel, n k_s) and the frame
(docs/references.md#derived-fixed-gap-compliance, #derived-spring-holder)::

    1/k = 1/(n k_s) + 1/k_frame,      dp = k delta / A

(the stack's own compliance is left out, so dp is an upper bound; for springs it is negligible).
The inverse gives the largest spring rate that keeps the swing below ``dp_max``::

    n k_s = 1 / (A/(dp_max delta) - 1/k_frame)     (any rate if the frame alone keeps dp <= dp_max)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from fem.constants import FARADAY
from fem.errors import CaseError
from fem.units import to_si

#: Li molar volume, m^3/mol (docs/references.md#derived-li-molar-volume; li.toml molar_volume).
LI_MOLAR_VOLUME = 13.0e-6
#: One pound-force in newtons (exact by definition).
LBF = 4.4482216152605
#: mAh/cm^2 in C/m^2.
MAH_PER_CM2 = 3.6e4

#: The lab's spring holder (docs/lab-study.md#cell-build): three springs of 5.5 lbf/mm, 53 lbf maximum each.
LAB_SPRING_COUNT = 3
LAB_SPRING_RATE = 5.5 * LBF / 1e-3  # N/m
LAB_SPRING_MAX_LOAD = 53.0 * LBF  # N


def plating_growth(areal_capacity: float, molar_volume: float = LI_MOLAR_VOLUME) -> float:
    """Stack growth (m) from plating ``areal_capacity`` (C/m^2) of dense Li: ``q V_Li / F``
    (4.85 um per mAh/cm^2, docs/references.md#derived-li-thickness-per-capacity)."""
    return areal_capacity * molar_volume / FARADAY


def series_stiffness(spring_count: int, spring_rate: float, frame_stiffness: float = math.inf) -> float:
    """Holder stiffness (N/m): ``1/k = 1/(n k_s) + 1/k_frame``
    (docs/references.md#derived-fixed-gap-compliance, #derived-spring-holder); springs in
    parallel, in series with the frame (``inf``: rigid frame)."""
    inv = 1.0 / (spring_count * spring_rate) if spring_rate < math.inf else 0.0
    if not math.isinf(frame_stiffness):
        inv += 1.0 / frame_stiffness
    return math.inf if inv == 0.0 else 1.0 / inv


def pressure_swing(growth: float, stiffness: float, area: float) -> float:
    """Stack pressure rise (Pa) for a stack growth ``growth`` (m) against a holder of stiffness
    ``stiffness`` (N/m) on ``area`` (m^2): ``dp = k delta / A``
    (docs/references.md#derived-spring-holder)."""
    return stiffness * growth / area


def spring_rate_for_swing(max_swing: float, growth: float, area: float, spring_count: int,
                          frame_stiffness: float = math.inf) -> float:
    """Largest rate per spring (N/m) for which ``dp <= max_swing``: with ``k_max = dp_max A/delta``,
    ``n k_s = 1/(1/k_max - 1/k_frame)``; ``inf`` if the frame alone already keeps the swing below
    ``max_swing`` (or nothing grows)."""
    if growth <= 0:
        return math.inf
    inv = growth / (max_swing * area)  # 1/k_max
    if not math.isinf(frame_stiffness):
        inv -= 1.0 / frame_stiffness
    if inv <= 0:
        return math.inf
    return 1.0 / (inv * spring_count)


@dataclass(frozen=True)
class SpringHolderSizing:
    """A sized spring holder (SI: Pa, m^2, N, N/m, m)."""

    target_pressure: float
    area: float
    spring_count: int
    spring_rate: float  # per spring
    spring_max_load: float  # per spring; 0: not given
    frame_stiffness: float = math.inf
    areal_capacity: float | None = None  # C/m^2 plated per charge; None: unknown
    molar_volume: float = LI_MOLAR_VOLUME  # m^3/mol of Li
    cathode_contraction: float = 0.0  # m, subtracted from the Li growth
    max_swing: float | None = None  # allowed pressure swing (Pa) for the inverse
    note: str = ""  # where the spring data came from, printed with the report

    @property
    def growth(self) -> float | None:
        """Stack growth over a charge (m): ``q V_Li / F - cathode contraction``."""
        if self.areal_capacity is None:
            return None
        return plating_growth(self.areal_capacity, self.molar_volume) - self.cathode_contraction

    @property
    def total_force(self) -> float:
        """``F = p A``."""
        return self.target_pressure * self.area

    @property
    def load_per_spring(self) -> float:
        """``F / n``."""
        return self.total_force / self.spring_count

    @property
    def compression(self) -> float:
        """Spring compression to reach the target: ``F / (n k_s)``."""
        return self.load_per_spring / self.spring_rate

    @property
    def margin(self) -> float | None:
        """Load margin per spring to its maximum load (N); None without a maximum load."""
        return self.spring_max_load - self.load_per_spring if self.spring_max_load > 0 else None

    @property
    def max_compression(self) -> float | None:
        """Compression at the maximum load (m)."""
        return self.spring_max_load / self.spring_rate if self.spring_max_load > 0 else None

    @property
    def stiffness(self) -> float:
        """Series holder stiffness (N/m), :func:`series_stiffness`."""
        return series_stiffness(self.spring_count, self.spring_rate, self.frame_stiffness)

    @property
    def swing(self) -> float | None:
        """Pressure swing (Pa) over the growth, :func:`pressure_swing`."""
        if self.growth is None:
            return None
        return pressure_swing(self.growth, self.stiffness, self.area)

    @property
    def load_per_spring_at_peak(self) -> float | None:
        """Load per spring at the end of the growth: ``(p + dp) A / n``."""
        sw = self.swing
        return None if sw is None else (self.target_pressure + sw) * self.area / self.spring_count

    @property
    def rate_for_max_swing(self) -> float | None:
        """Largest rate per spring (N/m) that keeps the swing below ``max_swing``."""
        if self.max_swing is None or self.growth is None:
            return None
        return spring_rate_for_swing(self.max_swing, self.growth, self.area, self.spring_count,
                                     self.frame_stiffness)


def _positive(value: object, dimension: str, key: str) -> float:
    v = to_si(value, dimension, key)
    if not v > 0 or math.isinf(v):
        raise CaseError(key, value, "must be > 0 and finite")
    return v


@dataclass(frozen=True)
class SizingInputs:
    """What the sizing takes from a case where no option overrides it (SI): the holder type,
    target pressure, cell area and frame stiffness; the springs of a spring holder; the areal
    capacity (None without a cathode) and the molar volume of the plated Li (the Li layer's
    card), with ``note`` saying where anything not from the case came from."""

    holder_type: str
    target_pressure: float
    area: float
    frame_stiffness: float
    molar_volume: float
    spring_count: int = 0
    spring_rate: float = 0.0
    spring_max_load: float = 0.0
    areal_capacity: float | None = None
    note: str = ""


def size_spring_holder(base: SizingInputs, target_pressure: str | None = None,
                       springs: int | str | None = None, spring_rate: str | None = None,
                       max_load: str | None = None, max_swing: str | None = None,
                       capacity: str | None = None, cathode_contraction: str | None = None
                       ) -> SpringHolderSizing:
    """Size a spring holder. Option strings carry units (``"5 MPa"``, ``"5.5 lbf/mm"``, ``"53 lbf"``,
    ``"4 mAh/cm^2"``, ``"2 um"``); anything not given comes from ``base`` (the case's pressure, spring
    holder settings, areal capacity, frame stiffness, Li molar volume:
    :func:`fem.cellstack.settings.holder_sizing_inputs`) or, for a case without springs, from the lab's
    holder (docs/lab-study.md#cell-build). Invalid options raise :class:`CaseError` naming the option.
    """
    p = (_positive(target_pressure, "pressure", "--target-pressure")
         if target_pressure is not None else base.target_pressure)
    spring_case = base.holder_type == "spring"
    if springs is not None:
        try:
            n = int(springs)
            if str(springs).strip() != str(n) or n < 1:
                raise ValueError
        except (TypeError, ValueError):
            raise CaseError("--springs", springs, "expected a whole number of springs >= 1") from None
    else:
        n = base.spring_count if spring_case else LAB_SPRING_COUNT
    defaulted = not spring_case and (springs is None or spring_rate is None or max_load is None)
    notes = [f"the case has a {base.holder_type} holder: springs not given on the command line "
             "are the lab's (3 x 5.5 lbf/mm, 53 lbf max; docs/lab-study.md#cell-build)"] if defaulted else []
    if base.note:
        notes.append(base.note)
    if spring_rate is not None:
        k_s = _positive(spring_rate, "stiffness", "--spring-rate")
    else:
        k_s = base.spring_rate if spring_case else LAB_SPRING_RATE
    if max_load is not None:
        f_max = _positive(max_load, "force", "--max-load")
    else:
        f_max = base.spring_max_load if spring_case else LAB_SPRING_MAX_LOAD
    dp_max = _positive(max_swing, "pressure", "--max-swing") if max_swing is not None else None
    q = (_positive(capacity, "areal_capacity", "--capacity") if capacity is not None
         else base.areal_capacity)
    dc = (to_si(cathode_contraction, "length", "--cathode-contraction")
          if cathode_contraction is not None else 0.0)
    return SpringHolderSizing(target_pressure=p, area=base.area, spring_count=n,
                              spring_rate=k_s, spring_max_load=f_max,
                              frame_stiffness=base.frame_stiffness, areal_capacity=q,
                              molar_volume=base.molar_volume, cathode_contraction=dc,
                              max_swing=dp_max, note="; ".join(notes))


def _n(x: float) -> str:
    return f"{x:.4g}"


def _stiff(k: float) -> str:
    return "rigid" if math.isinf(k) else f"{k:.4g} N/m"


def format_report(sz: SpringHolderSizing, name: str = "") -> list[str]:
    """The sizing as printable lines (SI and the lab's lbf / mm)."""
    lines = [f"# {name + ': ' if name else ''}spring holder sizing (docs/lab-study.md#cell-build; "
             "docs/references.md#derived-spring-holder, #derived-fixed-gap-compliance)"]
    row = "  {:<22}{}".format
    if sz.note:
        lines.append(row("note", sz.note))
    lines.append(row("target pressure", f"{_n(sz.target_pressure / 1e6)} MPa on "
                                        f"{_n(sz.area * 1e4)} cm^2"))
    lines.append(row("total force", f"{_n(sz.total_force)} N = {_n(sz.total_force / LBF)} lbf"))
    lines.append(row("springs", f"{sz.spring_count} x {_n(sz.spring_rate * 1e-3 / LBF)} lbf/mm "
                                f"({_n(sz.spring_rate * 1e-3)} N/mm)"))
    lines.append(row("load per spring", f"{_n(sz.load_per_spring)} N = "
                                        f"{_n(sz.load_per_spring / LBF)} lbf"))
    lines.append(row("compression needed", f"{_n(sz.compression * 1e3)} mm"))
    if sz.margin is not None:
        lines.append(row("margin to max load",
                         f"{_n(sz.margin / LBF)} lbf ({_n(sz.margin)} N) of "
                         f"{_n(sz.spring_max_load / LBF)} lbf: load at "
                         f"{_n(100 * sz.load_per_spring / sz.spring_max_load)} % of the maximum, "
                         f"reached at {_n(sz.max_compression * 1e3)} mm"))
        if sz.margin < 0:
            lines.append(row("", "WARNING: the target load exceeds the springs' maximum load"))
    else:
        lines.append(row("margin to max load", "n/a (no maximum spring load given)"))
    lines.append(row("holder stiffness", f"{_stiff(sz.spring_count * sz.spring_rate)} springs, frame "
                                         f"{_stiff(sz.frame_stiffness)}: {_stiff(sz.stiffness)} in series"))
    if sz.growth is None:
        lines.append(row("pressure swing", "n/a (no cathode capacity; give --capacity)"))
        return lines
    per = plating_growth(MAH_PER_CM2, sz.molar_volume)
    lines.append(row("areal capacity", f"{_n(sz.areal_capacity / MAH_PER_CM2)} mAh/cm^2"))
    extra = (f" less {_n(sz.cathode_contraction * 1e6)} um cathode contraction"
             if sz.cathode_contraction else "")
    lines.append(row("stack growth", f"{_n(sz.growth * 1e6)} um over a charge (plated Li, "
                                     f"q V_Li/F = {_n(per * 1e6)} um per mAh/cm^2{extra})"))
    sw = sz.swing
    lines.append(row("pressure swing", f"{sw / 1e6:+.4g} MPa ({_n(100 * sw / sz.target_pressure)} % of "
                                       f"the target); load per spring at the peak "
                                       f"{_n(sz.load_per_spring_at_peak / LBF)} lbf"))
    if not math.isinf(sz.frame_stiffness):
        fixed = pressure_swing(sz.growth, sz.frame_stiffness, sz.area)
        lines.append(row("", f"(the frame alone, fixed gap: {fixed / 1e6:+.4g} MPa)"))
    if sz.max_swing is not None:
        k = sz.rate_for_max_swing
        if math.isinf(k):
            lines.append(row(f"swing <= {_n(sz.max_swing / 1e6)} MPa", "any spring rate (the frame alone "
                                                                       "keeps the swing below it)"))
        else:
            lines.append(row(f"swing <= {_n(sz.max_swing / 1e6)} MPa",
                             f"spring rate <= {_n(k * 1e-3 / LBF)} lbf/mm ({_n(k * 1e-3)} N/mm) each; "
                             f"compression then {_n(sz.load_per_spring / k * 1e3)} mm"))
    return lines
