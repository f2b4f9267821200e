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
            },
            description="mesh settings",
        ),
        "holder": _obj(
            {
                "type": {"enum": ["fixed_gap", "spring", "constant_pressure"]},
                "pressure": Q("pressure", "initial / constant stack pressure",
                              exclusiveMinimum=0.0),
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
                "contact": {"enum": ["bonded", "frictionless"],
                            "description": "condition between the stack and the platens"},
            },
            description="platen (plunger face) contact",
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
            },
            description="what to write",
        ),
    },
    required=("name", "cell", "holder", "protocol"),
    description="an assb-fem case",
)
