"""Boundary conditions of the stack mechanics (:class:`fem.mechanics.stack.StackMechanics`).

* Dirichlet: the fixed base (u_z = 0), the rigid platen (u_z = U, through the platen mode w with
  w_z = 1 on the top face), bonded platens (u_t = 0 on both faces), the axis (u_r = 0), the
  rigid axisymmetric die wall (u_r = 0), the symmetry planes of a 3D sector and, for 3D sectors
  wider than 90 degrees between frictionless platens, pins against lateral rigid motion.
* The rigid frictionless die wall in 3D: a penalty on the radial displacement,
  k = 1e3 E_max / h_min (the wall yields by about 1e-3 of an element's strain).
* Coulomb friction (:mod:`fem.mechanics.friction`) at the platens (contact = "coulomb") and at
  the rigid axisymmetric die wall (a die friction coefficient > 0).
"""

from __future__ import annotations

import numpy as np
import ufl

from fem._dolfinx import dolfinx
from fem.errors import SolverError
from fem.mechanics.friction import RigidFace


def dirichlet(mech) -> tuple[list, list, list]:
    """(bcs0, bcs_w, bcs0 without the rims): the homogeneous conditions of the Newton
    correction, those of the platen mode w (the same, with w_z = 1 on the rigid platen), and
    the correction's without the rims' plug conditions (the rim modes' own right-hand side)."""
    cm, V, fdim = mech.cm, mech.V, mech.cm.mesh.topology.dim - 1
    iz, st = mech.iz, mech.settings
    bonded = st.platen.contact == "bonded"  # "frictionless" / "coulomb": u_t free

    def dofs(name: str, comp: int) -> np.ndarray:
        return dolfinx.fem.locate_dofs_topological(V.sub(comp), fdim, cm.facets(name))

    fixed: list[tuple[np.ndarray, int]] = [(dofs("bottom", iz), iz)]
    lateral = [i for i in range(mech.gdim) if i != iz]
    if bonded:
        fixed += [(dofs(face, i), i) for face in ("bottom", "top") for i in lateral]
    if mech.axisym and cm.has("axis"):
        fixed.append((dofs("axis", 0), 0))
    if st.die.meshed:
        raise SolverError("an elastic (meshed) die needs wall contact, not available yet; "
                          "use cell.die.model = 'rigid'")
    if st.die.enabled and mech.axisym:  # rigid die: u_r = 0 (3D: penalty, die_penalty)
        outer = cm.facets("outer")
        if mech.rims is not None:  # the Li rims leave through the die's clearance
            outer = np.setdiff1d(outer, mech.rims.facets)
        fixed.append((dolfinx.fem.locate_dofs_topological(V.sub(0), fdim, outer), 0))
        mech.die_wall = _die_wall_dofs(mech, outer)
    if not mech.axisym:
        fixed += _symmetry_planes(mech, dofs, bonded)
    if not mech.axisym and not bonded:
        fixed += _rigid_motion_pins(mech)
    bcs0 = [dolfinx.fem.dirichletbc(0.0, d, V.sub(c)) for d, c in fixed]
    bcs_w = [dolfinx.fem.dirichletbc(0.0, d, V.sub(c)) for d, c in fixed]
    if mech.platen == "rigid":
        top = dofs("top", iz)
        bcs0.append(dolfinx.fem.dirichletbc(0.0, top, V.sub(iz)))
        bcs_w.append(dolfinx.fem.dirichletbc(1.0, top, V.sub(iz)))
    no_rims = list(bcs0)
    if mech.rims is not None:  # the rims move as plugs: u_r = xi_k (fem.mechanics.rim_outflow)
        radial = [d for d, c in fixed if c == 0]
        held = np.unique(np.concatenate(radial)) if radial else np.zeros(0, np.int32)
        rim0, rim_w = mech.rims.add_dirichlet(held)
        bcs0 += rim0
        bcs_w += rim_w
    return bcs0, bcs_w, no_rims


def move_die_wall(mech, radial: dict[str, float]) -> None:
    """Prescribe this step's radial displacement increment (m) of the rigid die wall next to
    each named layer of ``mech`` (after its begin_step, whose predictor it overrides there;
    the Newton corrections keep it: they are homogeneous on the wall)."""
    for name, dofs in mech.die_wall.items():
        mech.du.x.array[dofs] = radial.get(name, 0.0)


def _die_wall_dofs(mech, outer: np.ndarray) -> dict[str, np.ndarray]:
    """The radial dofs of the rigid axisymmetric die wall next to each layer (by the layer's
    name; a dof on the line between two layers goes with one of them)."""
    cm, V, fdim = mech.cm, mech.V, mech.cm.mesh.topology.dim - 1
    cm.mesh.topology.create_connectivity(fdim, fdim + 1)
    f2c = cm.mesh.topology.connectivity(fdim, fdim + 1)
    owner = np.array([f2c.links(f)[0] for f in outer], dtype=np.int32)
    out = {}
    for layer in mech.settings.layers:
        facets = outer[np.isin(owner, cm.cells(layer.name))]
        out[layer.name] = dolfinx.fem.locate_dofs_topological(V.sub(0), fdim, facets)
    return out


def _symmetry_planes(mech, dofs, bonded: bool) -> list[tuple[np.ndarray, int]]:
    """The symmetry planes of a 3D sector: u_y = 0 on y = 0, and u_x = 0 on x = 0 (90 degrees)
    or u_y = 0 again (180 degrees, bonded platens only)."""
    cm, fixed = mech.cm, []
    if cm.has("symmetry_xz"):
        fixed.append((dofs("symmetry_xz", 1), 1))  # y = 0 plane: u_y = 0
    if cm.has("symmetry_rot"):
        angle = mech.settings.sector_angle
        if abs(angle - 90.0) < 1e-9:
            fixed.append((dofs("symmetry_rot", 0), 0))  # x = 0 plane: u_x = 0
        elif abs(angle - 180.0) < 1e-9 and bonded:
            fixed.append((dofs("symmetry_rot", 1), 1))  # y = 0 plane again
        else:  # (180 degrees between frictionless platens does not converge yet)
            raise SolverError(f"3D sectors of {angle:g} degrees are not supported with "
                              f"{mech.settings.platen.contact} platens; use "
                              "mesh.sector_angle = 90 or 360")
    return fixed


def _rigid_motion_pins(mech) -> list[tuple[np.ndarray, int]]:
    """3D sectors wider than 90 degrees between frictionless platens: the symmetry planes
    leave lateral rigid motions free. Pin them where the exact (axisymmetric) solution
    has them zero: u_x = u_y = 0 on the axis, u_y = 0 on the line y = 0, x > 0."""
    angle = mech.settings.sector_angle
    if angle <= 90.0 + 1e-9:
        return []
    tol = 1e-9 * mech.settings.radius + 1e-12

    def on_axis(x):
        return (np.abs(x[0]) < tol) & (np.abs(x[1]) < tol)

    def on_ray(x):
        return (np.abs(x[1]) < tol) & (x[0] > tol)

    pins = []
    for comp, marker in ((0, on_axis), (1, on_axis), (1, on_ray)):
        sub = mech.V.sub(comp)
        d = dolfinx.fem.locate_dofs_geometrical((sub, sub.collapse()[0]), marker)[0]
        pins.append((d, comp))
    return pins


def die_penalty(mech, v):
    """The residual term of the rigid frictionless die wall in 3D (None otherwise): a penalty
    on the radial displacement, k = 1e3 E_max / h_min (the wall yields by about 1e-3 of an
    element's strain)."""
    st = mech.settings
    if not st.die.enabled or mech.axisym:
        return None
    k_pen = 1e3 * st.max_youngs_modulus / st.size_min
    x = mech.x
    n_r = ufl.as_vector((x[0], x[1], 0.0)) / ufl.sqrt(x[0] ** 2 + x[1] ** 2)
    return k_pen * ufl.dot(mech.u + mech.du, n_r) * ufl.dot(v, n_r) * mech.ds(mech.cm.tag("outer"))


def friction_faces(mech) -> list[tuple[RigidFace, float]]:
    """The rigid faces with Coulomb friction and their coefficients: the platens
    (contact = "coulomb") and the rigid axisymmetric die wall (die friction > 0)."""
    st = mech.settings
    faces = []
    lateral = tuple(i for i in range(mech.gdim) if i != mech.iz)
    if st.platen.contact == "coulomb":
        if mech.platen != "rigid":
            raise SolverError("Coulomb platen friction needs the rigid platen model "
                              "(platens.model = 'rigid')")
        mu = st.platen.friction
        faces += [(RigidFace("bottom", mech.iz, -1.0, lateral), mu),
                  (RigidFace("top", mech.iz, 1.0, lateral), mu)]
    if st.die.enabled and st.die.friction > 0:
        if not mech.axisym:
            raise SolverError("die-wall friction is only implemented for the axisymmetric "
                              "model (3D: the die wall is a frictionless penalty)")
        faces.append((RigidFace("outer", 0, 1.0, (mech.iz,)), st.die.friction))
    return faces
