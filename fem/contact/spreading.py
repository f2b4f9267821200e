"""Spreading (constriction) resistance of conducting contact spots: closed forms and FE solves.

Primary current distribution (no kinetics): the potential phi in a conductor of conductivity
kappa obeys div(kappa grad phi) = 0; the spot(s) are equipotential, phi = V (the metal contact),
the rest of the contact face is insulating (voids), and the far face is held at phi = 0.
R = V / I with the current I = int kappa |grad phi|^2 dV / V (the FE energy, exact for the
discrete solution and free of the edge singularity of the flux).

Closed forms (docs/references.md#derived-constriction; Holm #holm1967, Newman #newman1966,
Cooper et al. #cooper1969):

* isolated circular spot of radius a on a half-space (Holm; Newman, J. Electrochem. Soc. 113
  (1966) 501), equipotential spot:                       R = 1 / (4 kappa a);
  with primary current density i(r) / i_avg = 1 / (2 sqrt(1 - (r/a)^2)).
* periodic array of spots of radius a covering the area fraction f, area-specific constriction
  resistance (flux-tube correction, Cooper-Mikic-Yovanovich type):
                                                         R'' = pi a / (4 kappa f) (1 - sqrt f)^1.5.

FE models (axisymmetric (r, z), weight 2 pi r, so R is the full 3D value):

* single spot: a quarter disc of radius L >> a (:func:`fem.contact.meshes.spot_disc_mesh`) with
  phi = 0 on the arc. Far from the spot the half-space potential is that of a point source,
  phi ~ I / (2 pi kappa rho), so grounding the hemisphere rho = L removes the resistance beyond
  it: R_L = 1/(4 kappa a) - 1/(2 pi kappa L) + O(a^2 / (kappa L^3)). :func:`single_spot` reports
  R_L and R_L + 1/(2 pi kappa L), the half-space value.
* spot array: the unit-cell (flux-tube) approximation of the square or hexagonal array: a
  cylinder of radius b = a / sqrt(f) with an insulating side wall (the symmetry condition, exact
  for a cell of the same area up to the cell shape), height H, phi = 0 on the top. The
  constriction part is R_tube - H / (kappa pi b^2); times the cell area pi b^2 it is R''.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ufl

from fem._dolfinx import MPI, PETSc, dolfinx
from fem.contact.meshes import flux_tube_mesh, spot_disc_mesh
from fem.geometry.mesh import CellMesh
from fem.mechanics.linear_solver import DIRECT


def holm_resistance(kappa: float, a: float) -> float:
    """R = 1 / (4 kappa a): equipotential circular spot on a half-space (ohm)."""
    return 1.0 / (4.0 * kappa * a)


def array_constriction_resistance(kappa: float, a: float, f: float) -> float:
    """R'' = pi a / (4 kappa f) (1 - sqrt f)^1.5 (ohm m^2), spots of radius a, area fraction f."""
    return math.pi * a / (4.0 * kappa * f) * (1.0 - math.sqrt(f)) ** 1.5


def hemisphere_correction(kappa: float, radius: float) -> float:
    """1 / (2 pi kappa L): half-space resistance beyond the hemisphere of radius L (ohm)."""
    return 1.0 / (2.0 * math.pi * kappa * radius)


def spot_resistance(cm: CellMesh, kappa: float, degree: int = 2) -> float:
    """R = V / I of the axisymmetric mesh ``cm``: phi = 1 on ``spot``, 0 on ``far`` (ohm)."""
    msh = cm.mesh
    V = dolfinx.fem.functionspace(msh, ("Lagrange", degree))
    phi, w = ufl.TrialFunction(V), ufl.TestFunction(V)
    r = ufl.SpatialCoordinate(msh)[0]
    weight = 2.0 * math.pi * r
    a = kappa * ufl.inner(ufl.grad(phi), ufl.grad(w)) * weight * ufl.dx
    L = dolfinx.fem.Constant(msh, 0.0) * w * weight * ufl.dx
    fdim = msh.topology.dim - 1
    bcs = []
    for name, value in (("spot", 1.0), ("far", 0.0)):
        dofs = dolfinx.fem.locate_dofs_topological(V, fdim, cm.facets(name))
        bcs.append(dolfinx.fem.dirichletbc(PETSc.ScalarType(value), dofs, V))
    problem = dolfinx.fem.petsc.LinearProblem(a, L, bcs=bcs, petsc_options=dict(DIRECT),
                                              petsc_options_prefix="assb_spreading_")
    ph = problem.solve()
    energy = dolfinx.fem.assemble_scalar(
        dolfinx.fem.form(kappa * ufl.inner(ufl.grad(ph), ufl.grad(ph)) * weight * ufl.dx))
    current = msh.comm.allreduce(energy, op=MPI.SUM)  # I = energy / V with V = 1
    return 1.0 / current


@dataclass
class SingleSpot:
    """FE resistance of one spot in a grounded hemisphere of radius L, and the half-space value."""

    resistance_truncated: float
    resistance_half_space: float
    holm: float


def single_spot(comm: MPI.Comm, kappa: float, a: float, radius_factor: float = 50.0,
                edge_factor: float = 2e-3, grading: float = 0.2) -> SingleSpot:
    """Spreading resistance of one spot of radius ``a`` (element size ``edge_factor a`` at its edge)."""
    L = radius_factor * a
    cm = spot_disc_mesh(comm, a, L, edge_factor * a, L / 8.0, grading)
    r_l = spot_resistance(cm, kappa)
    return SingleSpot(r_l, r_l + hemisphere_correction(kappa, L), holm_resistance(kappa, a))


@dataclass
class SpotArray:
    """FE constriction resistance of a spot array (flux-tube cell) and the closed form."""

    fraction: float
    area_resistance: float
    closed_form: float


def spot_array(comm: MPI.Comm, kappa: float, a: float, f: float, height_factor: float = 3.0,
               edge_factor: float = 2e-3, grading: float = 0.2) -> SpotArray:
    """Area-specific constriction resistance R'' (ohm m^2) of spots of radius ``a`` at fraction ``f``."""
    b = a / math.sqrt(f)
    H = height_factor * b
    cm = flux_tube_mesh(comm, a, b, H, edge_factor * a, b / 8.0, grading)
    r_tube = spot_resistance(cm, kappa)
    area = math.pi * b**2
    r_c = r_tube - H / (kappa * area)
    return SpotArray(f, r_c * area, array_constriction_resistance(kappa, a, f))
