"""What a run will cost, estimated before anything is built: the time steps its protocol needs
at least, the mesh cells and unknowns its sizes give, and the memory they take with the chosen
linear solver, against the memory of this machine. A run above the limits is refused (a case
error naming the key to change) unless the user accepts the cost (``--accept-cost``).

Cells: the mesh size of :func:`fem.geometry.stack.set_size_fields` is h(d) = min(h_max,
h_min + g d) at the distance d from the nearest horizontal face (capped at t / mesh.li_cells
in a Li-metal layer); in a layer of thickness t,
d runs up to t / 2, so a layer of footprint A (area; radial extent in 2D) has about

    N = A * 2 * int_0^{t/2} dz / (c_d h(z)^d),     c_2 = sqrt(3)/4, c_3 = 1/(6 sqrt 2)

cells (equilateral triangles / regular tetrahedra of edge h), with the calibration factor
:data:`CELL_FACTOR` measured on the bundled cases. Nodes per cell of the element (Lagrange):
:data:`NODES_PER_CELL`. Memory per displacement unknown (measured, docs/performance.md):
:data:`BYTES_PER_UNKNOWN`, plus :data:`BASE_BYTES` per rank and gmsh's peak on rank 0
(:data:`GMSH_BYTES_PER_CELL`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from fem.case.model import Case
from fem.errors import CaseError

#: Measured cells / estimated cells (gmsh's triangles and tetrahedra are not equilateral):
#: 2D, the bundled cases 0.79-0.84 of the estimate; 3D, the flagship's stack at 25/250 um
#: (1.08M tetrahedra) and at 18/180 um (2.27M) 0.55, at 150 um/2 mm (23.8k) 0.95.
CELL_FACTOR = {2: 1.2, 3: 0.6}
#: Mesh nodes per cell for element degree 1 and 2 (measured: 2D flagship 2.07 for P2; 3D
#: flagship 1.60 (P2, 23.8k cells), 1.50 (P2, 1.08M cells), 0.205 (P1, 2.27M cells)).
NODES_PER_CELL = {(2, 1): 0.52, (2, 2): 2.07, (3, 1): 0.205, (3, 2): 1.55}
#: Bytes per displacement unknown of a run (all ranks together), measured: 3D FGMRES + GAMG
#: at 1.39M P1 unknowns 11.9 kB; 3D MUMPS at 114k P2 unknowns about 18 kB and growing (MUMPS's
#: fill-in grows like N^(4/3) in 3D: ran out of 24 GB near 300k); 2D MUMPS, fill ~ N log N.
BYTES_PER_UNKNOWN = {("direct", 2): 6e3, ("direct", 3): 18e3, ("iterative", 2): 8e3,
                     ("iterative", 3): 12e3}
#: Reference size of the 3D direct figure (its per-unknown cost grows like (N / N_ref)^(1/3)).
DIRECT_3D_REFERENCE = 114e3
#: Python, dolfinx, PETSc and MPI per rank.
BASE_BYTES = 0.35e9
#: gmsh's peak on rank 0 per cell it generates (9.3 GB for 2.3M tetrahedra).
GMSH_BYTES_PER_CELL = 4.0e3
#: Refuse a run whose memory estimate exceeds this fraction of the available memory, or that
#: needs more time steps than this even at the largest step.
MEMORY_FRACTION = 0.85
MAX_STEPS = 1e5


@dataclass
class CostEstimate:
    """The estimate of one run (SI: bytes, counts)."""

    min_steps: float
    cells: float
    unknowns: float
    solver: str
    memory: float
    available: float
    ranks: int
    problems: list[tuple[str, object, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"at least {self.min_steps:.3g} time steps (protocol durations / solver.dt_max)",
                f"about {self.cells:.3g} cells, {self.unknowns:.3g} displacement unknowns "
                f"({self.solver} solver)",
                f"memory about {self.memory / 1e9:.3g} GB on {self.ranks} rank(s); "
                f"{self.available / 1e9:.3g} GB available"]


def _layer_integral(t: float, h_min: float, h_max: float, g: float, d: int) -> float:
    """2 int_0^{t/2} dz / h(z)^d with h = min(h_max, h_min + g z)."""
    half = 0.5 * t
    if g <= 0 or h_max <= h_min:
        return t / h_min ** d
    z_star = min((h_max - h_min) / g, half)
    h_star = h_min + g * z_star
    if d == 2:
        graded = (1.0 / h_min - 1.0 / h_star) / g
    else:
        graded = (1.0 / h_min ** 2 - 1.0 / h_star ** 2) / (2.0 * g)
    return 2.0 * (graded + (half - z_star) / h_max ** d)


def estimate_cells(case: Case) -> float:
    """Cells of the case's stack mesh (before meshing)."""
    from fem.geometry.stack import stack_layout

    lay = stack_layout(case)
    d = 2 if lay.dimension == "axisymmetric" else 3
    shape = math.sqrt(3) / 4 if d == 2 else 1.0 / (6 * math.sqrt(2))
    total = 0.0
    for b in lay.bodies:
        if d == 2:
            foot = b.r_out - b.r_in
        else:
            foot = math.pi * (b.r_out ** 2 - b.r_in ** 2) * min(lay.sector_angle, 360.0) / 360.0
        h_min, h_max = lay.size_min, lay.size_max
        if b.cells_through > 0:  # a Li-metal layer: at most t / li_cells inside
            cap = (b.z1 - b.z0) / b.cells_through
            h_min, h_max = min(h_min, cap), min(h_max, cap)
        total += foot * _layer_integral(b.z1 - b.z0, h_min, h_max, lay.grading, d) / shape
    return CELL_FACTOR[d] * total


def min_steps(case: Case) -> float:
    """Time steps the protocol needs at least: every step's duration (or its longest) over
    solver.dt_max."""
    dt_max = case.solver.dt_max
    total = 0.0
    for e in case.protocol:
        duration = e.step.duration if e.step.duration is not None else getattr(
            e.step, "max_duration", None)
        if duration:
            total += math.ceil(min(duration / dt_max, 1e300))
    return total


def available_memory() -> float:
    """Memory this process may use: MemAvailable, or the cgroup's limit if lower (bytes)."""
    avail = math.inf
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    avail = float(line.split()[1]) * 1024
    except OSError:
        avail = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = open(path).read().strip()
        except OSError:
            continue
        if text.isdigit():
            avail = min(avail, float(text))
    return avail


def estimate(case: Case, ranks: int = 1, available: float | None = None) -> CostEstimate:
    """The cost of running ``case`` on ``ranks`` ranks (patch cases: time steps only)."""
    steps = min_steps(case)
    avail = available_memory() if available is None else available
    if case.patch is not None:
        return CostEstimate(steps, 0.0, 0.0, "direct", ranks * BASE_BYTES, avail, ranks)
    from fem.mechanics.linear_solver import default_options

    d = case.mesh.gdim
    coarse = estimate_cells(case)  # what gmsh meshes on rank 0
    cells = coarse * 2 ** (d * case.mesh.refine)  # after the refinements on the ranks
    unknowns = d * cells * NODES_PER_CELL[(d, case.mesh.element_degree)]
    opts = default_options(case.solver.linear_solver, d, int(min(unknowns, 2**62)))
    solver = "direct" if opts.get("pc_type") == "lu" else "iterative"
    per = BYTES_PER_UNKNOWN[(solver, d)]
    if solver == "direct" and d == 3:
        per *= max(unknowns / DIRECT_3D_REFERENCE, 1.0) ** (1.0 / 3.0)
    memory = ranks * BASE_BYTES + unknowns * per + GMSH_BYTES_PER_CELL * coarse
    est = CostEstimate(steps, cells, unknowns, solver, memory, avail, ranks)
    est.problems = _problems(case, est)
    return est


def _problems(case: Case, est: CostEstimate) -> list[tuple[str, object, str]]:
    out = []
    if est.min_steps > MAX_STEPS:
        out.append(("solver.dt_max", f"{case.solver.dt_max:g} s",
                    f"the protocol needs at least {est.min_steps:.3g} time steps at this largest "
                    f"step (limit {MAX_STEPS:.0e}): raise solver.dt_max or shorten the protocol"))
    if est.memory > MEMORY_FRACTION * est.available:
        m = case.mesh
        factor = (est.memory / (0.5 * est.available)) ** (1.0 / m.gdim)
        out.append(("mesh.size_min", f"{m.size_min * 1e6:g} um",
                    f"{m.dimension} with mesh.size_min {m.size_min * 1e6:g} um and size_max "
                    f"{m.size_max * 1e6:g} um gives about {est.unknowns:.3g} unknowns and "
                    f"needs about {est.memory / 1e9:.3g} GB ({est.solver} solver); this machine "
                    f"has {est.available / 1e9:.3g} GB: set mesh sizes about {factor:.2g}x "
                    f"larger (e.g. mesh.size_min = {m.size_min * factor * 1e6:.3g} um, "
                    f"mesh.size_max = {m.size_max * factor * 1e6:.3g} um), or run on more memory"))
    return out


def check_cost(case: Case, ranks: int = 1, accept: bool = False) -> CostEstimate:
    """The estimate; a CaseError for the first problem unless ``accept``."""
    est = estimate(case, ranks)
    if est.problems and not accept:
        key, value, why = est.problems[0]
        raise CaseError(key, value, why + " (or accept the cost: --accept-cost)")
    return est
