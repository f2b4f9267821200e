"""The case-file schema (JSON Schema, draft 2020-12) with two extra keywords, ``quantity`` and
``range``.

``"quantity": {"dimension": "pressure"}`` marks a string with units (converted to SI);
``"range": "holder.pressure"`` names the entry of :data:`fem.case.ranges.RANGES` that holds the
value's hard range (outside it: a case error) and its plausible range (outside it: a warning
naming the source), checked in SI. The schema is also the source of the case-file reference in
the docs (scripts/make_docs.py).
"""

from __future__ import annotations

from typing import Any

from fem.case.ranges import RANGES


def Q(dimension: str, description: str, key: str) -> dict[str, Any]:
    """A quantity-with-units property whose hard and plausible ranges are ``RANGES[key]``."""
    RANGES[key]  # noqa: B018 - a key without a range is a developer's error, at import
    return {"type": "string", "quantity": {"dimension": dimension}, "range": key,
            "description": description}


def N(kind: str, description: str, key: str) -> dict[str, Any]:
    """A plain number (``kind``: number or integer) with the ranges ``RANGES[key]``."""
    RANGES[key]  # noqa: B018
    return {"type": kind, "range": key, "description": description}


#: A case name names the output folder results/<name>: a plain file name.
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z"
MAX_NAME = 100


def _obj(props: dict, required: tuple[str, ...] = (), description: str = "") -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False, "description": description}


LAYER = _obj(
    {
        "name": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*\Z", "maxLength": 64,
                 "message": "a region name: lower-case letters, digits and '_', starting with a "
                            "letter, at most 64 characters",
                 "description": "region name (mesh physical group), e.g. li, separator, cathode"},
        "role": {"enum": ["li", "separator", "cathode", "anode", "plunger"],
                 "description": "what the layer is in the cell"},
        "material": {"type": "string", "description": "material card name (assb-fem materials)"},
        "thickness": Q("length", "layer thickness", "cell.layers[].thickness"),
        "areal_mass": Q("areal_mass", "areal loading; thickness = areal_mass/(density*rel. density)",
                        "cell.layers[].areal_mass"),
        "mass": Q("mass", "layer mass; thickness = mass/(area*density*rel. density)",
                  "cell.layers[].mass"),
        "relative_density": N("number", "solid fraction of a pressed powder layer (default: the "
                              "material card's)", "cell.layers[].relative_density"),
        "radius": Q("length", "layer radius (default: cell radius)", "cell.layers[].radius"),
    },
    required=("name", "role", "material"),
    description="one layer of the stack, listed from bottom to top",
)

ROUGHNESS = _obj(
    {
        "type": {"enum": ["flat", "sinusoid", "self_affine", "file"],
                 "description": "how the separator surface is made"},
        "amplitude": Q("length", "sinusoid: peak height", "patch.roughness.amplitude"),
        "wavelength": Q("length", "sinusoid: wavelength (the width holds a whole number)",
                        "patch.roughness.wavelength"),
        "rms": Q("length", "self_affine: RMS height", "patch.roughness.rms"),
        "correlation_length": Q("length", "self_affine: lag where the autocorrelation is 1/e",
                                "patch.roughness.correlation_length"),
        "hurst": N("number", "self_affine: Hurst exponent (default 0.8)", "patch.roughness.hurst"),
        "seed": N("integer", "self_affine: random seed", "patch.roughness.seed"),
        "points": N("integer", "grid points per period (default 128 in 2D, 32 in 3D)",
                    "patch.roughness.points"),
        "file": {"type": "string",
                 "description": "file: CSV height map (relative to the case file)"},
        "height_scale": Q("length", "file: length of one height unit, e.g. '1 um'",
                          "patch.roughness.height_scale"),
    },
    required=("type",),
    description="roughness of the separator surface",
)

PATCH = _obj(
    {
        "dimension": {"enum": ["2d", "3d"],
                      "description": "periodic plane strip (2d) or square patch (3d)"},
        "width": Q("length", "period: strip length / square side", "patch.width"),
        "li_thickness": Q("length", "Li layer thickness (default width/2)", "patch.li_thickness"),
        "separator_thickness": Q("length", "separator thickness below the mean surface "
                                 "(default width/2)", "patch.separator_thickness"),
        "li_layer": {"type": "string",
                     "description": "cell layer the Li is taken from (default: the Li layer "
                                    "on the separator)"},
        "separator_layer": {"type": "string",
                            "description": "cell layer the separator is taken from"},
        "gap": Q("length", "gap between the highest asperity and the flat Li (default 0)",
                 "patch.gap"),
        "li_feature_size": Q("length", "feature size of the Li law's size effect (micrometre Li "
                             "is harder, fem.mechanics.li_size_effect; the cell-scale interface "
                             "law uses interface.asperity_size); default: none, the bulk law",
                             "patch.li_feature_size"),
        "roughness": ROUGHNESS,
        "pores": _obj(
            {
                "radius": Q("length", "pore radius", "patch.pores.radius"),
                "depth": Q("length", "pore depth below the mean surface", "patch.pores.depth"),
                "positions": {"type": "array",
                              "items": {"type": ["number", "array"],
                                        "items": {"type": "number"}},
                              "description": "pore centres as fractions of the width: x "
                                             "(2d) or [x, y] (3d); default: the centre"},
            },
            required=("radius", "depth"),
            description="surface pores in the separator",
        ),
    },
    required=("width",),
    description="periodic interface patch of Li on a rough separator (micro-scale study)",
)

SCHEMA: dict[str, Any] = _obj(
    {
        "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": MAX_NAME,
                 "message": "a plain file name (it names the output folder results/<name>): "
                            "letters, digits, '_', '.' and '-', not starting with '.' or '-', "
                            f"at most {MAX_NAME} characters",
                 "description": "the case's name; the default output folder is results/<name>"},
        "description": {"type": "string"},
        "cell": _obj(
            {
                "kind": {"enum": ["symmetric", "full", "silicon"],
                         "description": "Li|LPSCl|Li, Li|LPSCl|cathode, or Li_xSi|LPSCl|LiCoO2"},
                "radius": Q("length", "die bore radius", "cell.radius"),
                "layers": {"type": "array", "items": LAYER, "minItems": 1,
                           "description": "layers from bottom to top"},
                "die": _obj(
                    {
                        "enabled": {"type": "boolean"},
                        "clearance": Q("length", "radial gap between stack and die wall",
                                       "cell.die.clearance"),
                        "wall_thickness": Q("length", "die wall thickness",
                                            "cell.die.wall_thickness"),
                        "material": {"type": "string"},
                        "model": {"enum": ["rigid", "elastic"],
                                  "description": "rigid: a rigid wall at the bore (u_r = 0, "
                                                 "no die mesh; frictionless unless "
                                                 "friction_coefficient); elastic: the PEEK die "
                                                 "is meshed as a body"},
                        "friction_coefficient": N(
                            "number", "Coulomb friction coefficient of the rigid die wall "
                            "(axisymmetric only; default 0: frictionless)",
                            "cell.die.friction_coefficient"),
                    },
                    description="PEEK die around the stack",
                ),
            },
            required=("kind", "radius", "layers"),
            description="the cell stack",
        ),
        "materials": {
            "type": "object",
            "additionalProperties": {"type": "object",
                                     "additionalProperties": {"type": ["string", "number"]}},
            "description": "overrides of material-card parameters: [materials.li] E = ...",
        },
        "mesh": _obj(
            {
                "dimension": {"enum": ["axisymmetric", "3d"]},
                "size_min": Q("length", "smallest element size (at interfaces)", "mesh.size_min"),
                "size_max": Q("length", "largest element size", "mesh.size_max"),
                "element_degree": {"enum": [1, 2], "description": "Lagrange degree of u"},
                "sector_angle": N("number", "3D: 360 for a full cylinder, else a sector (degrees)",
                                  "mesh.sector_angle"),
                "geometry_order": {"enum": [1, 2],
                                   "description": "order of the mesh geometry (2: curved "
                                                  "elements on cylinders; default 1)"},
                "grading": N("number", "growth of the element size per unit distance from interfaces "
                             "(default 0.3)", "mesh.grading"),
                "li_cells": N("integer", "elements through the thickness of every Li-metal layer "
                              "(default 4; the creep flow of a foil converges with it)",
                              "mesh.li_cells"),
                "refine": N("integer", "uniform refinements of the gmsh mesh, done in parallel "
                            "by dolfinx (each halves the element sizes: x8 cells in 3D; default "
                            "0)", "mesh.refine"),
            },
            description="mesh settings",
        ),
        "patch": PATCH,
        "holder": _obj(
            {
                "type": {"enum": ["fixed_gap", "spring", "constant_pressure"]},
                "pressure": Q("pressure", "initial / constant stack pressure", "holder.pressure"),
                "card": {"type": "string",
                         "description": "a holder card (fem/materials/holders): the frame's parts "
                                        "in series with the stack, the die and the springs, "
                                        "each with its source; instead of frame_stiffness"},
                "card_values": {"type": "object",
                                "additionalProperties": {"type": ["string", "number"]},
                                "description": "overrides of the holder card's values, e.g. "
                                               "die_clearance = \"30 um\""},
                "frame_stiffness": {
                    "type": "string", "range": "holder.frame_stiffness",
                    "units_hint": 'a stiffness with units, e.g. "1.6e8 N/m" or "2 MPa/um", or '
                                  '"inf" for a rigid frame',
                    "description": "holder frame stiffness in series with the stack, "
                                   "N/m or MPa/um ('inf' for a rigid frame)",
                },
                "spring_count": N("integer", "number of springs", "holder.spring_count"),
                "spring_rate": Q("stiffness", "rate of one spring, N/m or lbf/mm", "holder.spring_rate"),
                "spring_max_load": Q("force", "maximum load of one spring",
                                     "holder.spring_max_load"),
            },
            required=("type",),
            description="the cell holder",
        ),
        "platens": _obj(
            {
                "contact": {"enum": ["bonded", "frictionless", "coulomb"],
                            "description": "condition between the stack and the platens "
                                           "(coulomb: friction, needs friction_coefficient)"},
                "friction_coefficient": N("number", "Coulomb friction coefficient mu of the platen faces "
                                          "(contact = 'coulomb'): |t_t| <= mu p_n",
                                          "platens.friction_coefficient"),
                "model": {"enum": ["rigid", "uniform_pressure"],
                          "description": "rigid flat platen (default) or uniform pressure "
                                         "with the mean displacement held (comparison only)"},
            },
            description="platen (plunger face) contact",
        ),
        "mechanics": _obj(
            {
                "large_deformation": {"type": "boolean",
                                      "description": "updated-Lagrangian mesh motion"},
                "creep_law": {"enum": ["norton", "narayan_anand", "none"],
                              "description": "Li creep law (docs/references.md#derived-norton-fit, "
                                             "#anand2019)"},
                "creep_max_increment": N("number", "largest equivalent creep strain increment per step "
                                         "before dt is cut", "mechanics.creep_max_increment"),
                "anode_model": {"enum": ["elastic", "plastic"],
                                "description": "Li_xSi anode layer: elastic (default) or J2 "
                                               "plastic flow at the yield strength "
                                               "(docs/references.md#lixsi-background)"},
                "anode_yield_strength": Q("pressure", "plastic anode: constant yield strength "
                                          "(default: the anode card's yield_strength_vs_"
                                          "lithiation table at the current x)",
                                          "mechanics.anode_yield_strength"),
                "porous_layers": {"enum": ["elastic", "compaction"],
                                  "description": "separator and cathode composite: elastic with "
                                                 "the card's dense constants (default) or "
                                                 "pressed powders that compact irreversibly (a "
                                                 "Cam-clay cap hardened by the Heckel curve, "
                                                 "Hertz-type pressure-dependent elasticity; "
                                                 "pressed at the card's pressing_pressure; "
                                                 "docs/theory.md#porous-layers-compaction)"},
            },
            description="mechanics options",
        ),
        "electrochemistry": _obj(
            {"enabled": {"type": "boolean",
                         "description": "solve the current distribution and cell voltage every "
                         "step (fem.electrochemistry.cell_model); needed for voltage cut-offs"},
             "particle_diffusion": {"type": "boolean",
                                    "description": "solid diffusion in the cathode particles "
                                                   "(parabolic profile, card solid_diffusivity): "
                                                   "the OCV at the particle surface (default "
                                                   "false)"},
             "separator_leakage": {"type": "boolean",
                                   "description": "electronic leakage through the separator "
                                                  "(its card's electronic_conductivity): the cell "
                                                  "self-discharges at sigma_e V / L (default "
                                                  "false)"}},
            description="cell-scale electrochemistry (default off: uniform plating current)",
        ),
        "interface": _obj(
            {
                "enabled": {"type": "boolean",
                            "description": "reduced Li | separator interface model (contact "
                                           "fraction, voids, extrusion) and the short-circuit "
                                           "indicators every step (default: on in cells with "
                                           "Li metal, fem.interface)"},
                "stop_on_short": {"type": "boolean",
                                  "description": "stop the run when a short is predicted "
                                                 "(default true)"},
                "asperity_size": Q("length", "size of the separator surface's asperities "
                                   "(sets the Li size effect at the contact; calibrated)",
                                   "interface.asperity_size"),
                "flaw_radius": Q("length", "radius of the largest Li-filled surface flaw of the "
                                 "separator (calibrated)", "interface.flaw_radius"),
                "fracture_toughness": Q("fracture_toughness", "fracture toughness K_Ic of the "
                                        "separator", "interface.fracture_toughness"),
                "surface_rms_slope": Q("dimensionless", "RMS slope of the separator surface "
                                       "(elastic contact on loading)", "interface.surface_rms_slope"),
                "tabor_constraint": Q("dimensionless", "contact pressure / flow stress",
                                      "interface.tabor_constraint"),
                "roughness_height": Q("length", "height of the separator surface's gaps",
                                      "interface.roughness_height"),
                "li_self_diffusivity": Q("diffusivity", "Li self-diffusivity",
                                         "interface.li_self_diffusivity"),
                "spot_diffusion_length": Q("length", "diffusion path resupplying a stripped "
                                           "contact spot", "interface.spot_diffusion_length"),
                "min_contact_fraction": Q("dimensionless", "floor of the contact fraction",
                                          "interface.min_contact_fraction"),
            },
            description="Li | separator interface model and short-circuit criterion",
        ),
        "conditions": _obj(
            {"temperature": Q("temperature", "initial cell temperature", "conditions.temperature")},
            description="operating conditions",
        ),
        "protocol": _obj(
            {
                "steps": {"type": "array", "items": {"type": "string"},
                          "description": "steps run once, e.g. 'Press at 25 MPa for 30 min'"},
                "cycle": {"type": "array", "items": {"type": "string"},
                          "description": "steps of one cycle, run `repeat` times"},
                "repeat": N("integer", "how often the cycle runs (default 1)", "protocol.repeat"),
                "values": {"type": "object",
                           "additionalProperties": {"type": ["string", "number"]},
                           "description": "named values the steps use as {name}, e.g. "
                                          "hold = '30 min' for 'Press at 25 MPa for {hold}'"},
            },
            required=("steps",),
            description="assembly and cycling protocol",
        ),
        "solver": _obj(
            {
                "dt_initial": Q("time", "first time step", "solver.dt_initial"),
                "dt_min": Q("time", "smallest time step before giving up", "solver.dt_min"),
                "dt_max": Q("time", "largest time step", "solver.dt_max"),
                "newton_rtol": N("number", "relative tolerance of the Newton residual",
                                 "solver.newton_rtol"),
                "newton_atol": N("number", "absolute tolerance of the Newton residual",
                                 "solver.newton_atol"),
                "newton_max_it": N("integer", "Newton iterations before the step is cut",
                                   "solver.newton_max_it"),
                "target_iterations": N("integer", "Newton iterations the time step aims at",
                                       "solver.target_iterations"),
                "linear_solver": {"enum": ["auto", "direct", "iterative"]},
                "petsc_options": {"type": "object",
                                  "additionalProperties": {"type": ["string", "number"]}},
            },
            description="time stepping and solver settings",
        ),
        "output": _obj(
            {
                "fields": {"type": "boolean", "description": "write fields.xdmf"},
                "field_interval": N("integer", "write fields every N accepted steps",
                                    "output.field_interval"),
                "plots": {"type": "boolean", "description": "write PNG plots"},
                "checkpoint_every_steps": N("integer", "write a checkpoint every N accepted steps (0: off)",
                                            "output.checkpoint_every_steps"),
                "checkpoint_every": Q("time", "write a checkpoint after this much wall time "
                                      "since the last one (default 30 min)", "output.checkpoint_every"),
                "checkpoint_keep": N("integer", "checkpoints kept (newest first; default 2)",
                                     "output.checkpoint_keep"),
                "milestones": {"type": "array", "items": Q("time", "a time from the start of "
                                                           "the run", "output.milestones[]"),
                               "description": "times the steps land on and the summary reports "
                               "on, e.g. [\"1 min\", \"30 min\"]"},
            },
            description="what to write (checkpoints are also written on SIGTERM / SIGINT, "
            "after a failed solve and at the end)",
        ),
    },
    required=("name", "cell", "holder", "protocol"),
    description="an assb-fem case",
)
