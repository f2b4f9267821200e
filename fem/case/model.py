"""The resolved case: every value in SI, every default filled in, every rule checked."""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

from fem.errors import CaseError
from fem.materials import Material, bundled_names, load_material
from fem.protocol.parser import parse_protocol
from fem.protocol.steps import Galvanostatic, Potentiostatic, ProtocolEntry
from fem.units import to_si

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
    die_model: str = "rigid"
    die_friction: float = 0.0  # Coulomb coefficient of the rigid die wall (0: frictionless)

    @property
    def die_meshed(self) -> bool:
        """True when the die is a meshed (elastic) body rather than a rigid wall."""
        return self.die_enabled and self.die_model == "elastic"

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
    geometry_order: int = 1
    grading: float = 0.3

    @property
    def gdim(self) -> int:
        return 2 if self.dimension == "axisymmetric" else 3


@dataclass
class Roughness:
    """Separator surface of an interface patch (see fem.geometry.roughness)."""

    type: str = "flat"
    amplitude: float = 0.0
    wavelength: float = 0.0
    rms: float = 0.0
    correlation_length: float = 0.0
    hurst: float = 0.8
    seed: int = 0
    points: int = 0
    file: str | None = None  # absolute path
    height_scale: float = 1.0


@dataclass
class Pores:
    radius: float
    depth: float
    positions: list[list[float]]  # centres in m, [x] (2d) or [x, y] (3d)


@dataclass
class PatchSettings:
    """A periodic Li | rough separator interface patch (fem.geometry.patch)."""

    dimension: str  # "2d" or "3d"
    width: float
    li_thickness: float
    separator_thickness: float
    li_layer: str
    separator_layer: str
    gap: float
    roughness: Roughness
    pores: Pores | None = None


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
class MechanicsSettings:
    large_deformation: bool = True
    creep_law: str = "norton"
    creep_max_increment: float = 0.05
    platen_model: str = "rigid"
    anode_model: str = "elastic"  # Li_xSi: "elastic" or "plastic" (J2, fem.mechanics.creep_laws)
    anode_yield_strength: float = 0.0  # Pa; 0: the anode card's table against lithiation


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
    checkpoint_every_steps: int = 0  # 0: off
    checkpoint_every: float = 1800.0  # s of wall time
    checkpoint_keep: int = 2
    milestones: tuple[float, ...] = ()  # s from the start of the run


@dataclass
class InterfaceSettings:
    """The reduced Li | separator interface model (fem.interface): on or off, whether a
    predicted short stops the run, and the parameters the case overrides (SI)."""

    enabled: bool = True
    stop_on_short: bool = True
    overrides: dict[str, float] = field(default_factory=dict)


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
    mechanics: MechanicsSettings
    temperature: float
    protocol: list[ProtocolEntry]
    solver: SolverSettings
    output: OutputSettings
    raw: dict[str, Any]
    digest: str
    source: str
    patch: PatchSettings | None = None
    electrochemistry: bool = False
    separator_leakage: bool = False  # electronic leakage through the separator (option)
    particle_diffusion: bool = False  # solid diffusion in the cathode particles (option)
    interface: InterfaceSettings | None = None
    platen_friction: float = 0.0  # Coulomb coefficient of the platen faces (contact = coulomb)

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
            **({"platen_friction_coefficient": self.platen_friction}
               if self.platen_contact == "coulomb" else {}),
            "mechanics": asdict(self.mechanics),
            **({"interface": asdict(self.interface)} if self.interface is not None else {}),
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
        if self.patch is not None:
            d["patch"] = {k: v for k, v in asdict(self.patch).items() if v is not None}
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
                die.get("material", "peek"), die.get("model", "rigid"),
                float(die.get("friction_coefficient", 0.0)))
    if cell.die_friction > 0 and not (cell.die_enabled and cell.die_model == "rigid"):
        raise CaseError("cell.die.friction_coefficient", die["friction_coefficient"],
                        "wall friction needs an enabled rigid die (cell.die.enabled = true, "
                        "model = 'rigid')")
    if cell.die_material not in bundled_names():
        raise CaseError("cell.die.material", cell.die_material,
                        f"unknown material; bundled: {', '.join(bundled_names())}")
    if cell.die_enabled and cell.die_clearance > 0:
        raise CaseError("cell.die.clearance", die["clearance"],
                        "a die with clearance needs wall contact, which is not implemented yet; "
                        "use 0 um (confined stack) or disable the die")
    return cell, materials


def _resolve_patch(raw: dict, cell: Cell, source: str) -> PatchSettings | None:
    """The ``patch`` section in SI (None without one)."""
    p = raw.get("patch")
    if p is None:
        return None
    dim = p.get("dimension", "2d")
    width = to_si(p["width"], "length", "patch.width")

    def length(key: str, default: float) -> float:
        return to_si(p[key], "length", f"patch.{key}") if key in p else default

    seps = cell.layers_with_role("separator")
    sep = p.get("separator_layer", seps[0].name if seps else "")
    if sep not in [la.name for la in seps]:
        raise CaseError("patch.separator_layer", sep or None,
                        f"must name a separator layer of the cell: {[la.name for la in seps]}")
    lis = cell.layers_with_role("li")
    if "li_layer" in p:
        li = p["li_layer"]
    else:  # the Li on top of the separator, else the one below
        z1 = cell.layer(sep).z1
        above = [la for la in lis if abs(la.z0 - z1) <= 1e-9 * max(z1, 1e-3)]
        li = (above or lis or [None])[0]
        li = li.name if li is not None else ""
    if li not in [la.name for la in lis]:
        raise CaseError("patch.li_layer", li or None,
                        f"must name a Li layer of the cell: {[la.name for la in lis]}")
    r = p.get("roughness", {"type": "flat"})
    rough = Roughness(type=r["type"], hurst=float(r.get("hurst", 0.8)), seed=int(r.get("seed", 0)),
                      points=int(r.get("points", 128 if dim == "2d" else 32)))
    need = {"sinusoid": ("amplitude", "wavelength"), "self_affine": ("rms", "correlation_length"),
            "file": ("file",), "flat": ()}[rough.type]
    for k in need:
        if k not in r:
            raise CaseError(f"patch.roughness.{k}", None, f"required for type = '{rough.type}'")
    for k in ("amplitude", "wavelength", "rms", "correlation_length"):
        if k in r:
            setattr(rough, k, to_si(r[k], "length", f"patch.roughness.{k}"))
    if rough.type == "sinusoid":
        n = width / rough.wavelength
        if not n < 1e6 or abs(n - round(n)) > 1e-6 * n or round(n) < 1:
            raise CaseError("patch.roughness.wavelength", r["wavelength"],
                            f"the width ({p['width']}) must hold a whole number of wavelengths")
    if rough.type == "self_affine" and not (2 * width / rough.points <= rough.correlation_length
                                            <= width / 4):
        raise CaseError("patch.roughness.correlation_length", r["correlation_length"],
                        "must be between 2 grid spacings (width/points) and width/4")
    if rough.type == "file":
        from pathlib import Path

        try:
            f = Path(r["file"]).expanduser()
        except RuntimeError:  # "~nosuchuser/..."
            f = Path(r["file"])
        if not f.is_absolute() and Path(source).is_file():
            f = Path(source).resolve().parent / f
        if not f.is_file():
            raise CaseError("patch.roughness.file", r["file"], f"no such file ({f})")
        rough.file = str(f.resolve())
        rough.height_scale = to_si(r.get("height_scale", "1 m"), "length",
                                   "patch.roughness.height_scale")
    pores = None
    if "pores" in p:
        q = p["pores"]
        radius = to_si(q["radius"], "length", "patch.pores.radius")
        depth = to_si(q["depth"], "length", "patch.pores.depth")
        ndim = 1 if dim == "2d" else 2
        positions = []
        for i, c in enumerate(q.get("positions", [[0.5] * ndim])):
            c = [c] if isinstance(c, int | float) else list(c)
            if len(c) != ndim:
                raise CaseError(f"patch.pores.positions[{i}]", c,
                                f"expected {ndim} fraction(s) of the width for a {dim} patch")
            if any(not radius <= f * width <= width - radius for f in c):
                raise CaseError(f"patch.pores.positions[{i}]", c,
                                "the pore must lie inside the patch (not across its sides)")
            positions.append([f * width for f in c])
        pores = Pores(radius, depth, positions)
    patch = PatchSettings(dim, width, length("li_thickness", width / 2),
                          length("separator_thickness", width / 2), li, sep,
                          length("gap", 0.0), rough, pores)
    if pores is not None and pores.depth >= patch.separator_thickness:
        raise CaseError("patch.pores.depth", p["pores"]["depth"],
                        "must be smaller than patch.separator_thickness")
    return patch


def _patch_sizes(patch: PatchSettings) -> tuple[float, float]:
    """Default (size_min, size_max) of a patch mesh: resolve the roughness and the pores."""
    r = patch.roughness
    feature = {"sinusoid": r.wavelength / 8, "self_affine": r.correlation_length / 8,
               "file": 2 * patch.width / max(r.points, 8), "flat": patch.width / 10}[r.type]
    if r.type != "flat":
        feature = min(feature, 2 * patch.width / r.points)
    if patch.pores is not None:
        feature = min(feature, patch.pores.radius / 3)
    size_max = max(feature, min(patch.width, patch.li_thickness, patch.separator_thickness) / 4)
    return feature, size_max


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
            r = to_si(raw["cell"]["radius"], "length", "cell.radius")
            per_spring = p * math.pi * r**2 / hs.spring_count
            if per_spring > hs.spring_max_load:
                raise CaseError("holder.pressure", h.get("pressure", "5 MPa"),
                                f"needs {per_spring:.4g} N per spring, more than "
                                f"holder.spring_max_load ({h['spring_max_load']}); "
                                "use more or stronger springs or a lower pressure")
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


def _check_protocol(protocol: list[ProtocolEntry], case_cap: float | None, kind: str,
                    echem: bool = False) -> None:
    for e in protocol:
        st = e.step
        if isinstance(st, Galvanostatic):
            if st.c_rate is not None and case_cap is None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a C-rate needs a cathode; give the current in mA/cm^2")
            if st.until_voltage is not None and not echem:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a voltage cut-off needs the electrochemistry model: set "
                                "electrochemistry.enabled = true, or use 'for <duration>'")
        if isinstance(st, Potentiostatic):
            if not echem:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a constant-voltage hold needs the electrochemistry model: set "
                                "electrochemistry.enabled = true")
            if st.until_c_rate is not None and case_cap is None:
                raise CaseError(f"protocol step {e.index}", st.text,
                                "a C-rate needs a cathode; give the end current in mA/cm^2")


def _resolve_interface(raw: dict, cell: Cell) -> InterfaceSettings:
    """``[interface]``: on by default where a Li metal layer touches the separator."""
    from fem.interface.parameters import DEFAULTS

    sec = raw.get("interface", {})
    roles = [la.role for la in sorted(cell.layers, key=lambda la: la.z0)]
    has_li = any(a == "li" and b == "separator" or a == "separator" and b == "li"
                 for a, b in zip(roles, roles[1:], strict=False))
    enabled = sec.get("enabled", has_li)
    if enabled and not has_li:
        raise CaseError("interface.enabled", True,
                        "needs a Li metal layer on the separator; this cell has "
                        + " | ".join(roles))
    overrides = {k: to_si(v, DEFAULTS[k].kind, f"interface.{k}") for k, v in sec.items()
                 if k in DEFAULTS}
    return InterfaceSettings(enabled=enabled, stop_on_short=sec.get("stop_on_short", True),
                             overrides=overrides)


def _check_echem_layers(cell: Cell) -> None:
    """The cell-scale electrochemistry needs a separator with Li metal (or Li_xSi) on top and a
    cathode or a second Li layer below it."""
    layers = sorted(cell.layers, key=lambda la: la.z0)
    roles = [la.role for la in layers]
    ok = roles.count("separator") == 1
    if ok:
        k = roles.index("separator")
        ok = (k + 1 < len(roles) and roles[k + 1] in ("li", "anode") and k > 0
              and roles[k - 1] in ("cathode", "li"))
    if not ok:
        raise CaseError("electrochemistry.enabled", True,
                        "needs layers cathode (or Li) | separator | Li (or Li_xSi anode) from "
                        f"bottom to top; this cell has {' | '.join(roles)}")


def _warn_dubious(case: Case) -> None:
    for layer in case.cell.layers:
        if layer.role == "li" and layer.thickness > 2e-3:
            warnings.warn(f"Li layer '{layer.name}' is {layer.thickness * 1e3:.3g} mm thick; "
                          "lab foils are 20-200 um", CaseWarning, stacklevel=3)
    pressures = [getattr(e.step, "pressure", 0.0) for e in case.protocol] + [case.holder.pressure]
    if max(pressures) > 500e6:
        warnings.warn(f"stack pressure {max(pressures) / 1e6:.4g} MPa exceeds 500 MPa "
                      "(above separator fabrication pressures)", CaseWarning, stacklevel=3)


def _platen_friction(raw: dict[str, Any]) -> float:
    """platens.friction_coefficient: required for contact = 'coulomb', refused otherwise."""
    pl = raw.get("platens", {})
    contact = pl.get("contact", "bonded")
    if contact == "coulomb":
        if "friction_coefficient" not in pl:
            raise CaseError("platens.friction_coefficient", None,
                            "required for contact = 'coulomb' (a number >= 0, e.g. 0.3)")
        return float(pl["friction_coefficient"])
    if "friction_coefficient" in pl:
        raise CaseError("platens.friction_coefficient", pl["friction_coefficient"],
                        f"only used with contact = 'coulomb', not '{contact}'")
    return 0.0


def _check_friction_and_anode(case: Case) -> None:
    """Cross-field rules of platen / die friction and of the plastic anode."""
    m = case.raw.get("mechanics", {})
    if case.mesh.dimension == "3d" and case.cell.die_friction > 0:
        raise CaseError("cell.die.friction_coefficient", case.cell.die_friction,
                        "die-wall friction is only implemented for mesh.dimension = "
                        "'axisymmetric' (the 3D die wall is a frictionless penalty)")
    if case.platen_contact == "coulomb" and case.mechanics.platen_model != "rigid":
        raise CaseError("platens.model", case.mechanics.platen_model,
                        "Coulomb friction needs the rigid platen model")
    if "anode_yield_strength" in m:
        if case.mechanics.anode_model != "plastic":
            raise CaseError("mechanics.anode_yield_strength", m["anode_yield_strength"],
                            "only used with mechanics.anode_model = 'plastic'")
        case.mechanics.anode_yield_strength = to_si(m["anode_yield_strength"], "pressure",
                                                    "mechanics.anode_yield_strength")
    if case.mechanics.anode_model == "plastic":
        anodes = case.cell.layers_with_role("anode")
        if not anodes:
            raise CaseError("mechanics.anode_model", "plastic",
                            "needs an anode layer (cell.kind = 'silicon')")
        mat = case.materials[anodes[0].material]
        if (case.mechanics.anode_yield_strength == 0.0
                and "yield_strength_vs_lithiation" not in mat.tables):
            raise CaseError("mechanics.anode_yield_strength", None,
                            f"material '{mat.name}' has no yield_strength_vs_lithiation table; "
                            "give the yield strength here")


def resolve(raw: dict[str, Any], digest: str, source: str) -> Case:
    """Resolve a schema-valid case dict into a :class:`Case` (raises CaseError)."""
    cell, materials = _resolve_cell(raw, raw.get("materials", {}))
    patch = _resolve_patch(raw, cell, source)
    m = raw.get("mesh", {})
    thinnest = min(layer.thickness for layer in cell.layers)
    h_min, h_max = _patch_sizes(patch) if patch else (thinnest / 4, cell.radius / 10)
    mesh = MeshSettings(
        dimension=m.get("dimension", "axisymmetric"),
        size_min=to_si(m["size_min"], "length", "mesh.size_min") if "size_min" in m
        else h_min,
        size_max=to_si(m["size_max"], "length", "mesh.size_max") if "size_max" in m
        else h_max,
        element_degree=int(m.get("element_degree", 2)),  # the schema's enum lets 2.0 through
        sector_angle=float(m.get("sector_angle", 90.0)),
        geometry_order=int(m.get("geometry_order", 1)),
        grading=float(m.get("grading", 0.3)),
    )
    if mesh.size_min > mesh.size_max:
        raise CaseError("mesh.size_min", m.get("size_min"), "must be <= mesh.size_max")
    if patch is not None and patch.width / mesh.size_min > 2e3:
        raise CaseError("mesh.size_min", m.get("size_min"),
                        "too small for the patch (more than 2e3 elements across)")
    if patch is None and (cell.radius / mesh.size_min > 5e4 or cell.height / mesh.size_min > 5e4):
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
        mechanics=MechanicsSettings(
            large_deformation=raw.get("mechanics", {}).get("large_deformation", True),
            creep_law=raw.get("mechanics", {}).get("creep_law", "norton"),
            creep_max_increment=raw.get("mechanics", {}).get("creep_max_increment", 0.05),
            platen_model=raw.get("platens", {}).get("model", "rigid"),
            anode_model=raw.get("mechanics", {}).get("anode_model", "elastic"),
        ),
        temperature=temperature,
        protocol=protocol,
        solver=_resolve_solver(raw),
        output=OutputSettings(
            o.get("fields", True), o.get("field_interval", 1), o.get("plots", True),
            o.get("checkpoint_every_steps", 0),
            to_si(o["checkpoint_every"], "time", "output.checkpoint_every")
            if "checkpoint_every" in o else 1800.0,
            o.get("checkpoint_keep", 2),
            tuple(sorted(to_si(v, "time", f"output.milestones[{i}]")
                         for i, v in enumerate(o.get("milestones", []))))),
        raw=raw,
        digest=digest,
        source=source,
        patch=patch,
        electrochemistry=raw.get("electrochemistry", {}).get("enabled", False),
        separator_leakage=raw.get("electrochemistry", {}).get("separator_leakage", False),
        particle_diffusion=raw.get("electrochemistry", {}).get("particle_diffusion", False),
        interface=_resolve_interface(raw, cell),
        platen_friction=_platen_friction(raw),
    )
    _check_friction_and_anode(case)
    if case.electrochemistry:
        _check_echem_layers(cell)
    for key in ("separator_leakage", "particle_diffusion"):
        if getattr(case, key) and not case.electrochemistry:
            raise CaseError(f"electrochemistry.{key}", True,
                            "needs the electrochemistry model: set electrochemistry.enabled = true")
    if case.particle_diffusion:
        cath = cell.layers_with_role("cathode")
        if not cath:
            raise CaseError("electrochemistry.particle_diffusion", True,
                            "needs a cathode layer (the particles are the cathode's)")
        name = cath[0].material
        if "solid_diffusivity" not in case.materials[name].values:
            raise CaseError(f"materials.{name}.solid_diffusivity", None,
                            "electrochemistry.particle_diffusion needs the cathode card's solid "
                            f"diffusivity: add it in [materials.{name}] (e.g. '4e-15 m^2/s')")
    _check_protocol(protocol, case.areal_capacity, cell.kind, case.electrochemistry)
    _warn_dubious(case)
    return case
