"""The resolved case: every value in SI, every default filled in, every rule checked."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from fem.errors import CaseError
from fem.materials import Material, load_material
from fem.protocol.parser import parse_protocol
from fem.protocol.steps import Galvanostatic, ProtocolEntry
from fem.units import to_si

#: Faraday constant, C/mol.
FARADAY = 96485.33212

#: Layer roles each cell kind needs, bottom to top (plungers may wrap them).
CELL_KINDS: dict[str, list[str]] = {
    "symmetric": ["li", "separator", "li"],
    "full": ["cathode", "separator", "li"],
    "silicon": ["cathode", "separator", "anode"],
}


class CaseWarning(UserWarning):
    """Physically dubious but legal input."""


@dataclass
class Layer:
    name: str
    role: str
    material: str
    thickness: float
    radius: float
    relative_density: float
    z0: float = 0.0  # bottom coordinate, filled in by resolve

    @property
    def z1(self) -> float:
        return self.z0 + self.thickness


@dataclass
class Cell:
    kind: str
    radius: float
    layers: list[Layer]
    die_enabled: bool = False
    die_clearance: float = 0.0
    die_wall_thickness: float = 2e-3
    die_material: str = "peek"

    @property
    def height(self) -> float:
        return sum(layer.thickness for layer in self.layers)

    @property
    def area(self) -> float:
        """Nominal cell area pi R^2 (the stack pressure is the platen force over it)."""
        return math.pi * self.radius**2

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def layers_with_role(self, role: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.role == role]


@dataclass
class MeshSettings:
    dimension: str = "axisymmetric"
    size_min: float = 0.0
    size_max: float = 0.0
    element_degree: int = 2
    sector_angle: float = 90.0

    @property
    def gdim(self) -> int:
        return 2 if self.dimension == "axisymmetric" else 3


@dataclass
class HolderSettings:
    type: str
    pressure: float
    frame_stiffness: float  # N/m, math.inf for a rigid frame
    spring_count: int = 0
    spring_rate: float = 0.0
    spring_max_load: float = 0.0

    @property
    def stiffness(self) -> float:
        """Holder stiffness in series with the stack (N/m): 1/k = 1/(n k_s) + 1/k_frame."""
        if self.type == "constant_pressure":
            return 0.0
        inv = 0.0 if math.isinf(self.frame_stiffness) else 1.0 / self.frame_stiffness
        if self.type == "spring":
            inv += 1.0 / (self.spring_count * self.spring_rate)
        return math.inf if inv == 0.0 else 1.0 / inv


@dataclass
class SolverSettings:
    dt_initial: float = 60.0
    dt_min: float = 1e-3
    dt_max: float = 3600.0
    newton_rtol: float = 1e-9
    newton_atol: float = 1e-10
    newton_max_it: int = 25
    target_iterations: int = 6
    linear_solver: str = "auto"
    petsc_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class OutputSettings:
    fields: bool = True
    field_interval: int = 1
    plots: bool = True


@dataclass
class Case:
    """A case resolved to SI. ``raw`` is the validated input (after ``--set`` overrides)."""

    name: str
    description: str
    cell: Cell
    materials: dict[str, Material]
    mesh: MeshSettings
    holder: HolderSettings
    platen_contact: str
    temperature: float
    protocol: list[ProtocolEntry]
    solver: SolverSettings
    output: OutputSettings
    raw: dict[str, Any]
    digest: str
    source: str

    @property
    def areal_capacity(self) -> float | None:
        """Cathode areal capacity in C/m^2 (first charge), or None without a cathode."""
        cats = self.cell.layers_with_role("cathode")
        if not cats:
            return None
        c = cats[0]
        mat = self.materials[c.material]
        areal_mass = c.thickness * mat["density"] * c.relative_density
        return areal_mass * mat["active_mass_fraction"] * mat["specific_capacity"]

    def resolved_dict(self) -> dict[str, Any]:
        """Everything that was run, in SI, for case.resolved.toml and ``assb-fem check``."""
        d = {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "sha256": self.digest,
            "units": "SI (m, kg, s, A, K, Pa, N/m, C/m^2)",
            "cell": {k: v for k, v in asdict(self.cell).items() if k != "layers"},
            "layers": [asdict(layer) for layer in self.cell.layers],
            "mesh": asdict(self.mesh),
            "holder": {**asdict(self.holder), "series_stiffness": self.holder.stiffness},
            "platen_contact": self.platen_contact,
            "temperature": self.temperature,
            "solver": asdict(self.solver),
            "output": asdict(self.output),
            "protocol": [
                {"index": e.index, "cycle": e.cycle, "type": type(e.step).__name__,
                 **{k: v for k, v in asdict(e.step).items() if v is not None}}
                for e in self.protocol
            ],
            "materials": {
                n: {k: {"value": v, "source": m.sources[k]} for k, v in m.values.items()}
                for n, m in self.materials.items()
            },
        }
        cap = self.areal_capacity
        if cap is not None:
            d["cell"]["areal_capacity"] = cap
        return _finite(d)


def _finite(obj: Any) -> Any:
    """Replace inf by the string 'inf' (TOML and JSON have no portable infinity)."""
    if isinstance(obj, float) and math.isinf(obj):
        return "inf"
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _layer_thickness(i: int, raw: dict, mat: Material, radius: float, rel: float) -> float:
    key = f"cell.layers[{i}]"
    given = [k for k in ("thickness", "areal_mass", "mass") if k in raw]
    if len(given) != 1:
        raise CaseError(key, {k: raw[k] for k in given} or raw.get("name"),
                        "give exactly one of thickness, areal_mass or mass")
    k = given[0]
    if k == "thickness":
        return to_si(raw[k], "length", f"{key}.thickness")
    density = mat["density"] * rel
    if k == "areal_mass":
        return to_si(raw[k], "areal_mass", f"{key}.areal_mass") / density
    return to_si(raw[k], "mass", f"{key}.mass") / (math.pi * radius**2 * density)


def _resolve_cell(raw: dict, overrides: dict) -> tuple[Cell, dict[str, Material]]:
    c = raw["cell"]
    radius = to_si(c["radius"], "length", "cell.radius")
    materials: dict[str, Material] = {}
    layers: list[Layer] = []
    names = set()
    for i, lr in enumerate(c["layers"]):
        key = f"cell.layers[{i}]"
        if lr["name"] in names:
            raise CaseError(f"{key}.name", lr["name"], "layer names must be unique")
        names.add(lr["name"])
        mname = lr["material"]
        if mname not in materials:
            try:
                materials[mname] = load_material(mname, overrides.get(mname))
            except CaseError as exc:
                if exc.key == "material":
                    raise CaseError(f"{key}.material", mname, exc.allowed) from None
                raise
        mat = materials[mname]
        lrad = to_si(lr["radius"], "length", f"{key}.radius") if "radius" in lr else radius
        if lrad > radius * (1 + 1e-12):
            raise CaseError(f"{key}.radius", lr["radius"], f"must be <= cell.radius ({c['radius']})")
        rel = float(lr.get("relative_density", mat.values.get("relative_density", 1.0)))
        t = _layer_thickness(i, lr, mat, lrad, rel)
        if not 0 < t <= 0.1:
            raise CaseError(key, lr.get("name"), f"thickness {t:.3g} m must be in (0, 0.1] m")
        layers.append(Layer(lr["name"], lr["role"], mname, t, lrad, rel))
    z = 0.0
    for layer in layers:
        layer.z0 = z
        z += layer.thickness
    roles = [la.role for la in layers if la.role != "plunger"]
    want = CELL_KINDS[c["kind"]]
    if roles != want and roles != want[::-1]:
        raise CaseError("cell.layers", roles,
                        f"a '{c['kind']}' cell needs the layer roles {want} (bottom to top, "
                        "plungers allowed at the ends)")
    for mname in overrides:
        if mname not in materials:
            raise CaseError(f"materials.{mname}", overrides[mname],
                            f"no layer uses this material; used: {', '.join(materials)}")
    die = c.get("die", {})
    cell = Cell(c["kind"], radius, layers, die.get("enabled", False),
                to_si(die.get("clearance", "0 m"), "length", "cell.die.clearance"),
                to_si(die.get("wall_thickness", "2 mm"), "length", "cell.die.wall_thickness"),
                die.get("material", "peek"))
    if cell.die_enabled and cell.die_clearance > 0:
        raise CaseError("cell.die.clearance", die["clearance"],
                        "a die with clearance needs wall contact, which is not implemented yet; "
                        "use 0 um (confined stack) or disable the die")
    return cell, materials


def _resolve_holder(raw: dict) -> HolderSettings:
    h = raw["holder"]
    t = h["type"]
    p = to_si(h.get("pressure", "5 MPa"), "pressure", "holder.pressure")
    fs = h.get("frame_stiffness", "inf")
    if fs.strip().lower() in ("inf", "infinite", "rigid"):
        kf = math.inf
    else:
        try:
            kf = to_si(fs, "stiffness", "holder.frame_stiffness")
        except CaseError:
            kf = None
        if kf is None:
            try:  # areal stiffness (MPa/um) times the cell area
                r = to_si(raw["cell"]["radius"], "length", "cell.radius")
                kf = to_si(fs, "areal_stiffness", "holder.frame_stiffness") * math.pi * r**2
            except CaseError:
                raise CaseError("holder.frame_stiffness", fs,
                                'expected a stiffness, e.g. "1.6e8 N/m", "2 MPa/um" or "inf"') from None
        if not kf > 0:
            raise CaseError("holder.frame_stiffness", fs, "must be > 0 (or 'inf' for a rigid frame)")
    hs = HolderSettings(t, p, kf)
    spring_keys = ("spring_count", "spring_rate", "spring_max_load")
    if t == "spring":
        for k in ("spring_count", "spring_rate"):
            if k not in h:
                raise CaseError(f"holder.{k}", None, "required for a spring holder")
        hs.spring_count = h["spring_count"]
        hs.spring_rate = to_si(h["spring_rate"], "stiffness", "holder.spring_rate")
        if "spring_max_load" in h:
            hs.spring_max_load = to_si(h["spring_max_load"], "force", "holder.spring_max_load")
    else:
        for k in spring_keys:
            if k in h:
                raise CaseError(f"holder.{k}", h[k], f"only allowed for type = 'spring', not '{t}'")
    if t == "constant_pressure" and "frame_stiffness" in h:
        raise CaseError("holder.frame_stiffness", fs, "not used by a constant_pressure holder")
    return hs


def _resolve_solver(raw: dict) -> SolverSettings:
    s = raw.get("solver", {})
    out = SolverSettings()
    for k in ("dt_initial", "dt_min", "dt_max"):
        if k in s:
            setattr(out, k, to_si(s[k], "time", f"solver.{k}"))
    for k in ("newton_rtol", "newton_atol", "newton_max_it", "target_iterations",
              "linear_solver", "petsc_options"):
        if k in s:
            setattr(out, k, s[k])
    if not out.dt_min <= out.dt_initial <= out.dt_max:
        raise CaseError("solver.dt_initial", s.get("dt_initial", f"{out.dt_initial} s"),
                        "need dt_min <= dt_initial <= dt_max")
    return out


def _check_protocol(protocol: list[ProtocolEntry], case_cap: float | None, kind: str) -> None:
    for e in protocol:
        st = e.step
        if isinstance(st, Galvanostatic):
            if st.c_rate is not None and case_cap is None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a C-rate needs a cathode; give the current in mA/cm^2")
            if st.until_voltage is not None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "voltage cut-offs need the electrochemistry model, which is not "
                                "available yet; use 'for <duration>'")


def _warn_dubious(case: Case) -> None:
    for layer in case.cell.layers:
        if layer.role == "li" and layer.thickness > 2e-3:
            warnings.warn(f"Li layer '{layer.name}' is {layer.thickness * 1e3:.3g} mm thick; "
                          "lab foils are 20-200 um", CaseWarning, stacklevel=3)
    pressures = [getattr(e.step, "pressure", 0.0) for e in case.protocol] + [case.holder.pressure]
    if max(pressures) > 500e6:
        warnings.warn(f"stack pressure {max(pressures) / 1e6:.4g} MPa exceeds 500 MPa "
                      "(above separator fabrication pressures)", CaseWarning, stacklevel=3)


def resolve(raw: dict[str, Any], digest: str, source: str) -> Case:
    """Resolve a schema-valid case dict into a :class:`Case` (raises CaseError)."""
    cell, materials = _resolve_cell(raw, raw.get("materials", {}))
    m = raw.get("mesh", {})
    thinnest = min(layer.thickness for layer in cell.layers)
    mesh = MeshSettings(
        dimension=m.get("dimension", "axisymmetric"),
        size_min=to_si(m["size_min"], "length", "mesh.size_min") if "size_min" in m
        else thinnest / 4,
        size_max=to_si(m["size_max"], "length", "mesh.size_max") if "size_max" in m
        else cell.radius / 10,
        element_degree=m.get("element_degree", 2),
        sector_angle=float(m.get("sector_angle", 90.0)),
    )
    if mesh.size_min > mesh.size_max:
        raise CaseError("mesh.size_min", m.get("size_min"), "must be <= mesh.size_max")
    if cell.radius / mesh.size_min > 5e4 or cell.height / mesh.size_min > 5e4:
        raise CaseError("mesh.size_min", m.get("size_min"),
                        "too small for the cell (more than 5e4 elements across)")
    holder = _resolve_holder(raw)
    protocol = parse_protocol(raw["protocol"])
    temperature = to_si(raw.get("conditions", {}).get("temperature", "25 degC"), "temperature",
                        "conditions.temperature")
    o = raw.get("output", {})
    case = Case(
        name=raw["name"],
        description=raw.get("description", ""),
        cell=cell,
        materials=materials,
        mesh=mesh,
        holder=holder,
        platen_contact=raw.get("platens", {}).get("contact", "bonded"),
        temperature=temperature,
        protocol=protocol,
        solver=_resolve_solver(raw),
        output=OutputSettings(o.get("fields", True), o.get("field_interval", 1),
                              o.get("plots", True)),
        raw=raw,
        digest=digest,
        source=source,
    )
    _check_protocol(protocol, case.areal_capacity, cell.kind)
    _warn_dubious(case)
    return case
