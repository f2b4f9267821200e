"""The physical sense of every numeric case parameter: one table, :data:`RANGES`, keyed by the
case-file key (``[]`` for any item of an array), of a hard range (outside it the case is a
:class:`~fem.errors.CaseError`) and a plausible range (outside it a
:class:`~fem.errors.CaseWarning` that names the source of the range: a paper or data sheet of
docs/references.md, or a physical argument). Bounds in SI; ``unit`` is how they are shown.

The schema (:mod:`fem.case.schema`) takes its bounds from here (its ``range`` keyword), so the
two never disagree; the layer thickness has a plausible range per role
(:data:`LAYER_THICKNESS`) because a Li foil and a plunger differ by a factor 100. The
protocol's quantities have their own table (:data:`fem.protocol.ranges.STEP_RANGES`); the card
parameters theirs (:data:`fem.materials.parameters.RANGES`).
"""

from __future__ import annotations

from fem.protocol.ranges import STACK_PRESSURE, STEP_RANGES
from fem.units import Range

_REF = "docs/references.md#"
_UM, _MM, _S = ("um", 1e-6), ("mm", 1e-3), ("s", 1.0)
_CONTINUUM = "below 0.1 um (a few hundred atomic layers) a continuum model does not hold"
_SOLVER = "a setting of the numerics, not of the cell: the defaults are tested"


def _r(lo: float, hi: float, plausible: tuple[float, float], why: str, hard_why: str,
       unit: tuple[str, float] = ("", 1.0), lo_open: bool = False, hi_open: bool = False) -> Range:
    return Range(lo, hi, plausible, why, hard_why, unit[0], unit[1], lo_open, hi_open)


_LAYER_RADIUS = _r(
    10e-6, 0.5, (1e-3, 50e-3),
    "pellet cells have 6-13 mm bores (10 mm in " + _REF + "park2025); stacked pouch formats "
    "reach a few cm",
    "a stack narrower than 10 um is not a cell (use a [patch] for the micro scale); a die "
    "bore wider than 1 m is not a lab cell", _MM)
_FRICTION = _r(
    0.0, 10.0, (0.0, 1.0),
    "dry friction of metals, ceramics and polymers: 0.1-0.8 (" + _REF + "johnson1985)",
    "a friction coefficient is >= 0; above 10 the contact is bonded")
_SMALL_LENGTH = _r(
    0.0, 1e-3, (0.0, 50e-6),
    "micrometre features of pressed pellets and foils (" + _REF + "singh2022)",
    "a surface feature is >= 0 and smaller than 1 mm (thicker than any layer)", _UM)
_FEATURE = _r(
    1e-9, 1e-3, (0.05e-6, 500e-6),
    "micrometre features of pressed pellets and foils (" + _REF + "singh2022)",
    "must be > 1 nm (atomic) and below 1 mm (thicker than any layer)", _UM)
_PATCH_LENGTH = _r(
    0.1e-6, 1e-3, (1e-6, 500e-6),
    "interface patches resolve micrometre roughness over tens of micrometres",
    _CONTINUUM + "; a patch wider than 1 mm is a cell", _UM)
_MESH_SIZE = _r(
    1e-9, 0.1, (0.1e-6, 10e-3),
    "element sizes of micrometres (patches) to millimetres (cells)",
    "an element is > 1 nm and smaller than 0.1 m", _UM)
_TIME_STEP = _r(
    1e-6, 3.2e7, (1e-4, 86400.0),
    "time steps from a fraction of a second (a cut-off) to a day (a long rest)",
    "below 1 us nothing in the stack moves; above a year no protocol step lasts", _S)
_WALL_TIME = _r(
    1.0, 3.2e7, (60.0, 86400.0),
    "checkpoints every minutes to a day of wall time",
    "at least 1 s, at most a year", _S)
_COUNT = _r(1, 10**6, (1, 1000), "a count of steps or files", "at least 1, at most a million")

#: Hard and plausible range of every numeric key of the case file (SI), by key.
RANGES: dict[str, Range] = {
    "cell.radius": _LAYER_RADIUS,
    "cell.layers[].thickness": _r(
        0.1e-6, 0.1, (0.1e-6, 0.1), "by role: see LAYER_THICKNESS",
        _CONTINUUM + "; a layer thicker than 0.1 m is not a cell", _UM),
    "cell.layers[].areal_mass": _r(
        1e-6, 1e3, (0.01, 5.0),
        "loadings of electrodes and separators: 1-500 mg/cm^2 (the lab study 25.5 mg/cm^2, "
        "docs/lab-study.md#cell-build)",
        "must be > 0.1 ug/cm^2 (a monolayer) and below 100 g/cm^2 (a 0.1 m layer of lead)",
        ("mg/cm^2", 1e-2)),
    "cell.layers[].mass": _r(
        1e-9, 1.0, (0.1e-6, 10e-3),
        "pellet cells hold 1-300 mg per layer (the lab study: 75 mg of Li6PS5Cl, "
        "docs/lab-study.md#cell-build)",
        "must be > 1 ug (a monolayer) and below 1 kg (no cell stack holds more)", ("mg", 1e-6)),
    "cell.layers[].relative_density": _r(
        0.01, 1.0, (0.5, 1.0),
        "cold-pressed powder layers keep 0.6-0.9 of the solid density (" + _REF +
        "minnmann2021, " + _REF + "doux2020)",
        "the solid fraction of a layer: below 1 % it is no longer a layer; above 1 impossible"),
    "cell.layers[].radius": _LAYER_RADIUS,
    "cell.die.clearance": _r(
        0.0, 1e-3, (0.0, 100e-6),
        "a die bore fits its stack within micrometres to 0.1 mm",
        "a clearance is >= 0 and smaller than 1 mm", _UM),
    "cell.die.wall_thickness": _r(
        10e-6, 0.1, (0.5e-3, 20e-3),
        "PEEK dies have walls of a few mm (" + _REF + "park2025)",
        "a wall is thicker than 10 um and thinner than 0.1 m", _MM),
    "cell.die.friction_coefficient": _FRICTION,
    "patch.width": _PATCH_LENGTH,
    "patch.li_thickness": _PATCH_LENGTH,
    "patch.separator_thickness": _PATCH_LENGTH,
    "patch.gap": _SMALL_LENGTH,
    "patch.li_feature_size": _FEATURE,
    "patch.roughness.amplitude": _SMALL_LENGTH,
    "patch.roughness.wavelength": _FEATURE,
    "patch.roughness.rms": _SMALL_LENGTH,
    "patch.roughness.correlation_length": _FEATURE,
    "patch.roughness.hurst": _r(
        0.0, 1.0, (0.5, 0.95),
        "measured surfaces have Hurst exponents of 0.7-0.9 (" + _REF + "hill1992)",
        "a Hurst exponent lies in (0, 1)", lo_open=True, hi_open=True),
    "patch.roughness.seed": _r(0, 2**32 - 1, (0, 2**32 - 1), "any seed is as good as another",
                               "a 32-bit unsigned seed"),
    "patch.roughness.points": _r(
        8, 1024, (16, 512), "128 (2D) and 32 (3D) points per period resolve the roughness",
        "at least 8 points per period; above 1024 the mesh is too large"),
    "patch.roughness.height_scale": _r(
        1e-12, 1.0, (1e-9, 1e-3),
        "height maps are written in nm, um or mm",
        "one height unit is longer than 1 pm and shorter than 1 m", _UM),
    "patch.pores.radius": _FEATURE,
    "patch.pores.depth": _FEATURE,
    "mesh.size_min": _MESH_SIZE,
    "mesh.size_max": _MESH_SIZE,
    "mesh.sector_angle": _r(
        0.0, 360.0, (5.0, 360.0),
        "sectors of 5-90 degrees for a 3D check, 360 for the full cylinder",
        "an angle in (0, 360] degrees", ("deg", 1.0), lo_open=True),
    "mesh.grading": _r(
        0.0, 10.0, (0.05, 2.0),
        "element sizes growing by 5-200 % per unit distance from an interface",
        "must be > 0 (0: the smallest elements everywhere); above 10 no grading",
        lo_open=True),
    "mesh.li_cells": _r(
        1, 64, (4, 16),
        "4-16 elements through a foil (the squeeze flow of a foil is 0.35 of the closed form "
        "with 2 quadratic elements, 0.80 with 4, 0.85 with 8: "
        "docs/verification.md#li-flow-out-of-a-foil)",
        "at least 1, at most 64"),
    "mesh.refine": _r(
        0, 4, (0, 2),
        "0-2: the gmsh mesh as its sizes give it, or refined once or twice on the ranks "
        "(x8 and x64 cells in 3D)",
        "at least 0, at most 4"),
    "holder.pressure": STACK_PRESSURE,
    "holder.frame_stiffness": _r(
        1e3, 1e15, (1e5, 1e11),
        "holder frames of 1e6-1e9 N/m (calibrated: 9.7e6 and 5.9e8 N/m in the bundled cases, "
        + _REF + "derived-fixed-gap-compliance)",
        "must be > 1e3 N/m (softer than a paper clip) or 'inf' for a rigid frame", ("N/m", 1.0)),
    "holder.spring_count": _r(1, 100, (1, 12), "holders have 1-8 springs (3 in the lab study, "
                              + _REF + "derived-spring-holder)", "at least 1, at most 100"),
    "holder.spring_rate": _r(
        1.0, 1e9, (100.0, 1e7),
        "die springs of 0.1-10000 N/mm (the lab study's 5.5 lbf/mm = 24 N/mm, " + _REF +
        "derived-spring-holder)",
        "a spring rate is > 1 N/m and below 1e9 N/m (stiffer than the frame)", ("N/m", 1.0)),
    "holder.spring_max_load": _r(
        1e-3, 1e6, (1.0, 1e5),
        "die springs carry 10 N to 10 kN (the lab study's 53 lbf = 236 N, " + _REF +
        "derived-spring-holder)",
        "a load > 1 mN and below 1 MN", ("N", 1.0)),
    "platens.friction_coefficient": _FRICTION,
    "mechanics.creep_max_increment": _r(
        0.0, 1.0, (1e-3, 0.2),
        "creep strain increments of 0.1-20 % per step keep the staggered creep update accurate",
        "an increment in (0, 1]", lo_open=True),
    "mechanics.anode_yield_strength": _r(
        1e3, 20e9, (0.1e9, 5e9),
        "lithiated Si yields at about 1-2 GPa (" + _REF + "sethuraman2010)",
        "must be > 1 kPa and below 20 GPa (the ideal strength of Si)", ("GPa", 1e9)),
    "interface.asperity_size": _r(
        1e-8, 1e-3, (0.5e-6, 20e-6),
        "Li6PS5Cl grains 0.5-40 um and RMS roughness 1.1-6.5 um (" + _REF + "singh2022)",
        "must be > 10 nm and below 1 mm", _UM),
    "interface.flaw_radius": _r(
        1e-8, 1e-3, (1e-6, 14e-6),
        "Li-filled cracks 3-5 um (" + _REF + "duan2023), a 14 um flaw (" + _REF + "singh2022)",
        "must be > 10 nm and below 1 mm", _UM),
    "interface.fracture_toughness": _r(
        1e3, 1e8, (0.1e6, 2e6),
        "sulfide glass 0.23 MPa m^0.5 (" + _REF + "mcgrogan2017), LLZO up to 1.5 MPa m^0.5",
        "must be > 1 kPa m^0.5 and below 100 MPa m^0.5 (tough steels)", ("MPa m^0.5", 1e6)),
    "interface.surface_rms_slope": _r(
        1e-4, 10.0, (0.05, 1.0),
        "pressed pellets: RMS roughness 1.1-6.5 um over grains of 0.5-40 um (" + _REF +
        "singh2022)", "a slope in (1e-4, 10]"),
    "interface.tabor_constraint": _r(
        1.0, 10.0, (2.5, 3.5), "hardness / flow stress = 2.8-3 for metals (" + _REF +
        "tabor1951)", "the constraint factor lies in (1, 10]", lo_open=True),
    "interface.roughness_height": _FEATURE,
    "interface.li_self_diffusivity": _r(
        1e-25, 1e-6, (1e-16, 1e-12),
        "Li self-diffusivity at room temperature 1e-15 to 1e-14 m^2/s (" + _REF + "masias2019)",
        "a diffusivity must be > 0; solids diffuse far below 1e-6 m^2/s", ("m^2/s", 1.0)),
    "interface.spot_diffusion_length": _FEATURE,
    "interface.min_contact_fraction": _r(
        0.0, 0.5, (1e-5, 0.05),
        "a numerical floor far below real contact fractions (fem/interface/parameters.py)",
        "a fraction in (0, 0.5]", lo_open=True),
    "conditions.temperature": STEP_RANGES["temperature"],
    "protocol.repeat": _r(0, 100000, (0, 2000),
                          "cycle-life tests run up to about 1000-2000 cycles",
                          "0 (steps only) to 100 000 repeats"),
    "solver.dt_initial": _TIME_STEP,
    "solver.dt_min": _TIME_STEP,
    "solver.dt_max": _r(
        1e-3, 3.2e7, (1.0, 86400.0),
        "time steps from a second (a cut-off) to a day (a long rest)",
        "below 1 ms even a 1-minute step needs 60 000 time steps; above a year no step lasts",
        _S),
    "solver.newton_rtol": _r(
        1e-15, 1e-2, (1e-13, 1e-5), _SOLVER,
        "below 1e-15 (machine precision) Newton never converges; above 1e-2 an iterate far "
        "from the solution is accepted"),
    "solver.newton_atol": _r(
        1e-300, 1e-3, (1e-16, 1e-6), _SOLVER,
        "must be > 0; above 1e-3 (residual norms in N and A) a wrong state passes as converged "
        "(a stack under 5 MPa carries about 400 N)", lo_open=False),
    "solver.newton_max_it": _r(1, 200, (4, 60), _SOLVER, "at least 1, at most 200 iterations"),
    "solver.target_iterations": _r(1, 50, (2, 20), _SOLVER, "at least 1, at most 50"),
    "output.field_interval": _COUNT,
    "output.checkpoint_every_steps": _r(0, 10**6, (0, 10**5), "every 10-1000 steps",
                                        "0 (off) to a million steps"),
    "output.checkpoint_every": _WALL_TIME,
    "output.checkpoint_keep": _r(1, 1000, (1, 20), "the newest few checkpoints",
                                 "at least 1, at most 1000"),
    "output.milestones[]": _r(1e-3, 3.2e8, (1.0, 3.2e7),
                              "milestones of seconds to a year of a protocol",
                              "a time > 1 ms from the start, within 10 years", ("h", 3600.0)),
}

#: Plausible layer thickness by role (the hard range is RANGES["cell.layers[].thickness"]).
LAYER_THICKNESS: dict[str, Range] = {
    "li": _r(0.1e-6, 0.1, (1e-6, 2e-3),
             "lab Li foils are 20-200 um; evaporated films down to a few um",
             _CONTINUUM, _UM),
    "separator": _r(0.1e-6, 0.1, (10e-6, 2e-3),
                    "pressed Li6PS5Cl separators are 30-1000 um (the lab study: 75 mg in a "
                    "10 mm die, about 700 um, docs/lab-study.md#cell-build)", _CONTINUUM, _UM),
    "cathode": _r(0.1e-6, 0.1, (5e-6, 1e-3),
                  "composite cathodes are 20-300 um (the lab study about 100 um, "
                  "docs/lab-study.md#cell-build)", _CONTINUUM, _UM),
    "anode": _r(0.1e-6, 0.1, (1e-6, 1e-3),
                "Si anodes are 5-100 um (docs/lab-study.md#silicon-cells)", _CONTINUUM, _UM),
    "plunger": _r(0.1e-6, 0.1, (0.1e-3, 50e-3),
                  "plungers are mm to cm long (" + _REF + "park2025)", _CONTINUUM, _MM),
}
