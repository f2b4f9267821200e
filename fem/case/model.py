"""The resolved case: every value in SI, every default filled in, every rule checked.

The dataclasses of a case and its sections; :func:`fem.case.resolve.resolve` builds them from
the validated input."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from fem.errors import CaseError, CaseWarning  # noqa: F401 (CaseWarning: re-exported)
from fem.materials import Material
from fem.materials.holder_cards import HolderCard
from fem.protocol.steps import ProtocolEntry


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
    li_cells: int = 4  # cells through the thickness of a Li-metal layer (fem.geometry.stack)
    refine: int = 0  # uniform refinements of the gmsh mesh in parallel (fem.geometry.refine)

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
    #: the feature size of the Li law's size effect (fem.mechanics.li_size_effect); None: bulk
    li_feature_size: float | None = None


@dataclass
class HolderSettings:
    type: str
    pressure: float
    frame_stiffness: float  # N/m, math.inf for a rigid frame
    spring_count: int = 0
    spring_rate: float = 0.0
    spring_max_load: float = 0.0
    #: the holder card (fem/materials/holders), when the case names one: the frame's parts,
    #: the die and the springs; frame_stiffness is then its elastic frame
    card: HolderCard | None = None

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
    porous_layers: str = "elastic"  # separator, cathode: "elastic" or "compaction" (fem.mechanics.compaction)


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

    def layer_key(self, layer: Layer) -> str:
        """The case-file key of ``layer``: ``cell.layers[i]``."""
        return f"cell.layers[{self.cell.layers.index(layer)}]"

    def card_value(self, layer: Layer, key: str, why: str = "") -> float:
        """Parameter ``key`` (SI) of the material card of ``layer``; a CaseError naming the
        layer, the card and the parameter when the card has none."""
        mat = self.materials[layer.material]
        if key not in mat.values:
            raise CaseError(f"{self.layer_key(layer)}.material", layer.material,
                            f"layer '{layer.name}' ({layer.role}) needs the card parameter "
                            f"'{key}'{' for ' + why if why else ''}; card '{mat.name}' has none: "
                            f"add it in [materials.{mat.name}] or use a card that has it")
        return mat.values[key]

    def card_table(self, layer: Layer, name: str, why: str = "") -> tuple[list[float], list[float]]:
        """Table ``name`` (x, y) of the material card of ``layer``; a CaseError naming the layer,
        the card and the table when the card has none."""
        mat = self.materials[layer.material]
        if name not in mat.tables:
            raise CaseError(f"{self.layer_key(layer)}.material", layer.material,
                            f"layer '{layer.name}' ({layer.role}) needs the card table "
                            f"'{name}'{' for ' + why if why else ''}; card '{mat.name}' has none: "
                            "use a card that has it")
        xs, ys, _ = mat.tables[name]
        return xs, ys

    def _holder_dict(self) -> dict[str, Any]:
        h = {k: v for k, v in asdict(self.holder).items() if k != "card"}
        h["series_stiffness"] = self.holder.stiffness
        card = self.holder.card
        if card is not None:
            h["card"] = {"name": card.name, **{k: {"value": v, "source": card.sources[k]}
                                               for k, v in card.values.items()}}
        return h

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
            "holder": self._holder_dict(),
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
