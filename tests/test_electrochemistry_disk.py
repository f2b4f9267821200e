"""Primary current distribution to a disk electrode (issue 5, check 3;
docs/references.md#derived-constriction).

An equipotential disk of radius a on the insulating bottom plane of an axisymmetric electrolyte
(Newman, J. Electrochem. Soc. 113 (1966) 501): spreading resistance R = 1/(4 kappa a) in a
half-space, current density i(r)/i_avg = 1/(2 sqrt(1 - (r/a)^2)).

Set-up: the electrolyte is a quarter disc of radius R = 50 a in the (r, z) plane (a hemisphere in
3D), graded from a/200 at the disk edge to R/8 far away (gmsh), P2. The disk is the Li interface,
made a partial contact by the contact fraction f_c = 1 for r < a and 0 beyond (so the rest of the
bottom is insulating); the counter electrode is the hemisphere r^2 + z^2 = R^2. Both carry
linearised kinetics with a Wagner number kappa R_ct / a = 1e-5, i.e. practically ideal (primary)
contacts. The finite domain is accounted for with the far-field potential of the disk,
I/(2 pi kappa R), which an equipotential hemisphere at R removes from the half-space resistance
(the next correction is O((a/R)^3)); the kinetic resistances of the disk and of the hemisphere,
R_ct/(pi a^2) and R_ct/(2 pi R^2), are added::

    R_expected = 1/(4 kappa a) - 1/(2 pi kappa R) + R_ct/(pi a^2) + R_ct/(2 pi R^2)

Asserted: R within 0.2 %, and i(r)/i_avg within 2 % of the primary distribution for r < 0.8 a.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np
import ufl

from fem._dolfinx import MPI
from fem.constants import T_REF
from fem.electrochemistry.kinetics import Kinetics, exchange_current_from_resistance
from fem.electrochemistry.potential import ChargeConservation, PlanarElectrode
from fem.geometry.mesh import from_gmsh_model, gmsh_session

A_DISK = 1.0      # disk radius (any unit: the problem is linear and scale-free)
R_FAR = 50.0      # counter electrode radius
KAPPA = 1.0
WAGNER = 1e-5     # kappa R_ct / a


def quarter_disc(h_edge: float, h_disk: float, h_far: float):
    """gmsh quarter disc (r, z): groups electrolyte (cells), bottom, far, axis (facets); rank 0."""
    import gmsh

    geo = gmsh.model.geo
    p0 = geo.addPoint(0, 0, 0)
    p1 = geo.addPoint(A_DISK, 0, 0)
    p2 = geo.addPoint(R_FAR, 0, 0)
    p3 = geo.addPoint(0, R_FAR, 0)
    disk, void = geo.addLine(p0, p1), geo.addLine(p1, p2)
    arc, axis = geo.addCircleArc(p2, p0, p3), geo.addLine(p3, p0)
    surf = geo.addPlaneSurface([geo.addCurveLoop([disk, void, arc, axis])])
    geo.synchronize()
    gmsh.model.addPhysicalGroup(2, [surf], 1, name="electrolyte")
    gmsh.model.addPhysicalGroup(1, [disk, void], 11, name="bottom")
    gmsh.model.addPhysicalGroup(1, [arc], 12, name="far")
    gmsh.model.addPhysicalGroup(1, [axis], 13, name="axis")
    f = gmsh.model.mesh.field
    d_edge = f.add("Distance")
    f.setNumbers(d_edge, "PointsList", [p1])
    t_edge = f.add("Threshold")
    f.setNumber(t_edge, "InField", d_edge)
    for k, v in (("SizeMin", h_edge), ("SizeMax", h_far), ("DistMin", 0.0), ("DistMax", 0.5 * R_FAR)):
        f.setNumber(t_edge, k, v)
    d_disk = f.add("Distance")
    f.setNumbers(d_disk, "CurvesList", [disk])
    f.setNumber(d_disk, "Sampling", 200)
    t_disk = f.add("Threshold")
    f.setNumber(t_disk, "InField", d_disk)
    for k, v in (("SizeMin", h_disk), ("SizeMax", h_far), ("DistMin", 0.2 * A_DISK),
                 ("DistMax", 0.5 * R_FAR)):
        f.setNumber(t_disk, k, v)
    fmin = f.add("Min")
    f.setNumbers(fmin, "FieldsList", [t_edge, t_disk])
    f.setAsBackgroundMesh(fmin)
    for opt in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints", "Mesh.MeshSizeFromCurvature"):
        gmsh.option.setNumber(opt, 0)
    gmsh.model.mesh.generate(2)
    return gmsh.model


def solve_disk():
    """The disk problem: (V / I, expected resistance, radii and i / i_avg at the owned interface
    nodes). Collective."""
    comm = MPI.COMM_WORLD
    with gmsh_session("disk") if comm.rank == 0 else contextlib.nullcontext():
        model = quarter_disc(A_DISK / 200, A_DISK / 30, R_FAR / 8) if comm.rank == 0 else None
        cm = from_gmsh_model(model, comm, 2, "axisymmetric")
    x = ufl.SpatialCoordinate(cm.mesh)
    r_ct = WAGNER * A_DISK / KAPPA
    kin = Kinetics(exchange_current_from_resistance(r_ct, T_REF), model="linear")
    solver = ChargeConservation.from_cell_mesh(
        cm, {"separator": "electrolyte", "li_interface": "bottom", "counter": "far"},
        kappa_separator=KAPPA, li_kinetics=kin, counter=PlanarElectrode(kin, 0.0), degree=2,
        contact_fraction=ufl.conditional(ufl.lt(x[0], A_DISK), 1.0, 0.0))
    I = 1.0
    V = solver.solve(I)
    R_expected = (1 / (4 * KAPPA * A_DISK) - 1 / (2 * math.pi * KAPPA * R_FAR)
                  + r_ct / (math.pi * A_DISK**2) + r_ct / (2 * math.pi * R_FAR**2))
    coords, i_if = solver.interface_current_density()
    i_avg = I / (math.pi * A_DISK**2)
    return V / I, R_expected, coords[:, 0], -i_if / i_avg


def test_disk_spreading_resistance_and_primary_distribution():
    comm = MPI.COMM_WORLD
    R, R_expected, r, i_rel = solve_disk()
    err_R = abs(R - R_expected) / R_expected
    inner = r < 0.8 * A_DISK
    primary = 1 / (2 * np.sqrt(1 - (r[inner] / A_DISK) ** 2))
    local = np.max(np.abs(i_rel[inner] - primary) / primary, initial=0.0)
    err_i = comm.allreduce(local, op=MPI.MAX)
    n_inner = comm.allreduce(int(inner.sum()), op=MPI.SUM)
    print(f"disk: R = {R:.6f}, expected {R_expected:.6f} (rel. error {err_R:.2e}); "
          f"i/i_avg max rel. error {err_i:.2e} at {n_inner} nodes with r < 0.8 a")
    assert n_inner >= 20
    assert err_R < 2e-3
    assert err_i < 0.02
