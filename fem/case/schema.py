"""The case-file schema (JSON Schema, draft 2020-12) with one extra keyword, ``quantity``.

``"quantity": {"dimension": "pressure", "exclusiveMinimum": 0}`` marks a string with units; the
bounds are in SI and checked after conversion. The schema is also the source of the case-file
reference in the docs.
"""

from __future__ import annotations

from typing import Any


def Q(dimension: str, description: str, **bounds: float) -> dict[str, Any]:
    """A quantity-with-units property."""
    return {"type": "string", "quantity": {"dimension": dimension, **bounds},
            "description": description}


def _obj(props: dict, required: tuple[str, ...] = (), description: str = "") -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False, "description": description}


LAYER = _obj(
    {
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$",
                 "description": "region name (mesh physical group), e.g. li, separator, cathode"},
        "role": {"enum": ["li", "separator", "cathode", "anode", "plunger"],
                 "description": "what the layer is in the cell"},
        "material": {"type": "string", "description": "material card name (assb-fem materials)"},
        "thickness": Q("length", "layer thickness", exclusiveMinimum=0.0, maximum=0.1),
        "areal_mass": Q("areal_mass", "areal loading; thickness = areal_mass/(density*rel. density)",
                        exclusiveMinimum=0.0),
        "mass": Q("mass", "layer mass; thickness = mass/(area*density*rel. density)",
                  exclusiveMinimum=0.0),
        "relative_density": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                             "description": "solid fraction of a pressed powder layer "
                                            "(default: the material card's)"},
        "radius": Q("length", "layer radius (default: cell radius)", exclusiveMinimum=0.0),
    },
    required=("name", "role", "material"),
    description="one layer of the stack, listed from bottom to top",
)

ROUGHNESS = _obj(
    {
        "type": {"enum": ["flat", "sinusoid", "self_affine", "file"],
                 "description": "how the separator surface is made"},
        "amplitude": Q("length", "sinusoid: peak height", minimum=0.0),
        "wavelength": Q("length", "sinusoid: wavelength (the width holds a whole number)",
                        exclusiveMinimum=0.0),
        "rms": Q("length", "self_affine: RMS height", minimum=0.0),
        "correlation_length": Q("length", "self_affine: lag where the autocorrelation is 1/e",
                                exclusiveMinimum=0.0),
        "hurst": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1,
                  "description": "self_affine: Hurst exponent (default 0.8)"},
        "seed": {"type": "integer", "minimum": 0, "description": "self_affine: random seed"},
        "points": {"type": "integer", "minimum": 8, "maximum": 1024,
                   "description": "grid points per period (default 128 in 2D, 32 in 3D)"},
        "file": {"type": "string",
                 "description": "file: CSV height map (relative to the case file)"},
        "height_scale": Q("length", "file: length of one height unit, e.g. '1 um'",
                          exclusiveMinimum=0.0),
    },
    required=("type",),
    description="roughness of the separator surface",
)

PATCH = _obj(
    {
        "dimension": {"enum": ["2d", "3d"],
                      "description": "periodic plane strip (2d) or square patch (3d)"},
        "width": Q("length", "period: strip length / square side", exclusiveMinimum=0.0),
        "li_thickness": Q("length", "Li layer thickness (default width/2)",
                          exclusiveMinimum=0.0),
        "separator_thickness": Q("length", "separator thickness below the mean surface "
                                 "(default width/2)", exclusiveMinimum=0.0),
        "li_layer": {"type": "string",
                     "description": "cell layer the Li is taken from (default: the Li layer "
                                    "on the separator)"},
        "separator_layer": {"type": "string",
                            "description": "cell layer the separator is taken from"},
        "gap": Q("length", "gap between the highest asperity and the flat Li (default 0)",
                 minimum=0.0),
        "roughness": ROUGHNESS,
        "pores": _obj(
            {
                "radius": Q("length", "pore radius", exclusiveMinimum=0.0),
                "depth": Q("length", "pore depth below the mean surface", exclusiveMinimum=0.0),
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
        "name": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
        "description": {"type": "string"},
        "cell": _obj(
            {
                "kind": {"enum": ["symmetric", "full", "silicon"],
                         "description": "Li|LPSCl|Li, Li|LPSCl|cathode, or Li_xSi|LPSCl|LiCoO2"},
                "radius": Q("length", "die bore radius", exclusiveMinimum=0.0, maximum=0.5),
                "layers": {"type": "array", "items": LAYER, "minItems": 1,
                           "description": "layers from bottom to top"},
                "die": _obj(
                    {
                        "enabled": {"type": "boolean"},
                        "clearance": Q("length", "radial gap between stack and die wall",
                                       minimum=0.0),
                        "wall_thickness": Q("length", "die wall thickness",
                                            exclusiveMinimum=0.0),
                        "material": {"type": "string"},
                        "model": {"enum": ["rigid", "elastic"],
                                  "description": "rigid: a rigid wall at the bore (u_r = 0, "
                                                 "no die mesh; frictionless unless "
                                                 "friction_coefficient); elastic: the PEEK die "
                                                 "is meshed as a body"},
                        "friction_coefficient": {
                            "type": "number", "minimum": 0, "maximum": 10,
                            "description": "Coulomb friction coefficient of the rigid die wall "
                                           "(axisymmetric only; default 0: frictionless)"},
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
                "size_min": Q("length", "smallest element size (at interfaces)",
                              exclusiveMinimum=0.0),
                "size_max": Q("length", "largest element size", exclusiveMinimum=0.0),
                "element_degree": {"enum": [1, 2], "description": "Lagrange degree of u"},
                "sector_angle": {"type": "number", "exclusiveMinimum": 0, "maximum": 360,
                                 "description": "3D: 360 for a full cylinder, else a sector"},
                "geometry_order": {"enum": [1, 2],
                                   "description": "order of the mesh geometry (2: curved "
                                                  "elements on cylinders; default 1)"},
                "grading": {"type": "number", "exclusiveMinimum": 0, "maximum": 10,
                            "description": "growth of the element size per unit distance from "
                                           "interfaces (default 0.3)"},
            },
            description="mesh settings",
        ),
        "patch": PATCH,
        "holder": _obj(
            {
                "type": {"enum": ["fixed_gap", "spring", "constant_pressure"]},
                "pressure": Q("pressure", "initial / constant stack pressure",
                              exclusiveMinimum=0.0),
                "card": {"type": "string",
                         "description": "a holder card (fem/materials/holders): the frame's parts "
                                        "in series with the stack, the die and the springs, "
                                        "each with its source; instead of frame_stiffness"},
                "card_values": {"type": "object",
                                "additionalProperties": {"type": ["string", "number"]},
                                "description": "overrides of the holder card's values, e.g. "
                                               "die_clearance = \"30 um\""},
                "frame_stiffness": {
                    "type": "string",
                    "description": "holder frame stiffness in series with the stack, "
                                   "N/m or MPa/um ('inf' for a rigid frame)",
                },
                "spring_count": {"type": "integer", "minimum": 1, "maximum": 100},
                "spring_rate": Q("stiffness", "rate of one spring, N/m or lbf/mm",
                                 exclusiveMinimum=0.0),
                "spring_max_load": Q("force", "maximum load of one spring",
                                     exclusiveMinimum=0.0),
            },
            required=("type",),
            description="the cell holder",
        ),
        "platens": _obj(
            {
                "contact": {"enum": ["bonded", "frictionless", "coulomb"],
                            "description": "condition between the stack and the platens "
                                           "(coulomb: friction, needs friction_coefficient)"},
                "friction_coefficient": {"type": "number", "minimum": 0, "maximum": 10,
                                         "description": "Coulomb friction coefficient mu of "
                                                        "the platen faces (contact = "
                                                        "'coulomb'): |t_t| <= mu p_n"},
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
                "creep_max_increment": {"type": "number", "exclusiveMinimum": 0,
                                        "maximum": 1,
                                        "description": "largest equivalent creep strain "
                                                       "increment per step before dt is cut"},
                "anode_model": {"enum": ["elastic", "plastic"],
                                "description": "Li_xSi anode layer: elastic (default) or J2 "
                                               "plastic flow at the yield strength "
                                               "(docs/references.md#lixsi-background)"},
                "anode_yield_strength": Q("pressure", "plastic anode: constant yield strength "
                                          "(default: the anode card's yield_strength_vs_"
                                          "lithiation table at the current x)",
                                          exclusiveMinimum=0.0),
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
                "creep_reference_rate": Q("strain_rate", "Li strain rate at 1 MPa for flow "
                                          "into micrometre gaps and pores (calibrated)",
                                          exclusiveMinimum=0.0),
                "critical_local_current_density": Q(
                    "current_density", "plating current density at the true contact that "
                    "nucleates a filament (calibrated)", exclusiveMinimum=0.0),
                "tabor_constraint": Q("dimensionless", "contact pressure / flow stress",
                                      exclusiveMinimum=1.0, maximum=10.0),
                "flow_stress": Q("pressure", "Li flow stress for the instantaneous contact",
                                 exclusiveMinimum=0.0),
                "max_instant_contact_fraction": Q("dimensionless", "cap of p / H",
                                                  exclusiveMinimum=0.0, maximum=1.0),
                "roughness_height": Q("length", "height of the separator surface's gaps",
                                      exclusiveMinimum=0.0, maximum=1e-3),
                "pore_radius": Q("length", "radius of the separator's surface pores",
                                 exclusiveMinimum=0.0, maximum=1e-3),
                "li_self_diffusivity": Q("diffusivity", "Li self-diffusivity",
                                         exclusiveMinimum=0.0),
                "spot_diffusion_length": Q("length", "diffusion path resupplying a stripped "
                                           "contact spot", exclusiveMinimum=0.0, maximum=1e-3),
                "min_contact_fraction": Q("dimensionless", "floor of the contact fraction",
                                          exclusiveMinimum=0.0, maximum=0.5),
            },
            description="Li | separator interface model and short-circuit criterion",
        ),
        "conditions": _obj(
            {"temperature": Q("temperature", "initial cell temperature",
                              exclusiveMinimum=200.0, exclusiveMaximum=500.0)},
            description="operating conditions",
        ),
        "protocol": _obj(
            {
                "steps": {"type": "array", "items": {"type": "string"},
                          "description": "steps run once, e.g. 'Press at 25 MPa for 30 min'"},
                "cycle": {"type": "array", "items": {"type": "string"},
                          "description": "steps of one cycle, run `repeat` times"},
                "repeat": {"type": "integer", "minimum": 0, "maximum": 100000},
            },
            required=("steps",),
            description="assembly and cycling protocol",
        ),
        "solver": _obj(
            {
                "dt_initial": Q("time", "first time step", exclusiveMinimum=0.0),
                "dt_min": Q("time", "smallest time step before giving up", exclusiveMinimum=0.0),
                "dt_max": Q("time", "largest time step", exclusiveMinimum=0.0),
                "newton_rtol": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                "newton_atol": {"type": "number", "exclusiveMinimum": 0},
                "newton_max_it": {"type": "integer", "minimum": 1, "maximum": 200},
                "target_iterations": {"type": "integer", "minimum": 1, "maximum": 50},
                "linear_solver": {"enum": ["auto", "direct", "iterative"]},
                "petsc_options": {"type": "object",
                                  "additionalProperties": {"type": ["string", "number"]}},
            },
            description="time stepping and solver settings",
        ),
        "output": _obj(
            {
                "fields": {"type": "boolean", "description": "write fields.xdmf"},
                "field_interval": {"type": "integer", "minimum": 1,
                                   "description": "write fields every N accepted steps"},
                "plots": {"type": "boolean", "description": "write PNG plots"},
                "checkpoint_every_steps": {
                    "type": "integer", "minimum": 0,
                    "description": "write a checkpoint every N accepted steps (0: off)"},
                "checkpoint_every": Q("time", "write a checkpoint after this much wall time "
                                      "since the last one (default 30 min)", exclusiveMinimum=0),
                "checkpoint_keep": {"type": "integer", "minimum": 1,
                                    "description": "checkpoints kept (newest first; default 2)"},
                "milestones": {"type": "array", "items": Q("time", "a time from the start of "
                                                           "the run", exclusiveMinimum=0),
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
