"""Small-strain kinematics for the 2D axisymmetric (r, z) section and for 3D.

Axisymmetric strain (components ordered r, z, theta; Timoshenko & Goodier):
    eps_rr = du_r/dr,  eps_zz = du_z/dz,  eps_rz = (du_r/dz + du_z/dr)/2,  eps_tt = u_r/r.
Integrals over the section carry the weight 2*pi*r, so every assembled quantity is the full
3D value (forces in N, volumes in m^3).
"""

from __future__ import annotations

import math

import ufl


def strain(u, x, axisymmetric: bool):
    """The 3x3 small-strain tensor of ``u`` (sym grad in 3D; (r, z, theta) axisymmetric)."""
    if not axisymmetric:
        return ufl.sym(ufl.grad(u))
    g = ufl.grad(u)
    e_rz = 0.5 * (g[0, 1] + g[1, 0])
    return ufl.as_tensor([[g[0, 0], e_rz, 0.0], [e_rz, g[1, 1], 0.0], [0.0, 0.0, u[0] / x[0]]])


def weight(x, axisymmetric: bool):
    """Integration weight: 2*pi*r for the axisymmetric section, 1 in 3D."""
    return 2.0 * math.pi * x[0] if axisymmetric else ufl.as_ufl(1.0)


def axial_index(axisymmetric: bool) -> int:
    """Index of the stack axis (z) in the displacement vector."""
    return 1 if axisymmetric else 2


def deviator(a):
    """Deviatoric part of a 3x3 tensor: a - tr(a)/3 I."""
    return a - ufl.tr(a) / 3.0 * ufl.Identity(3)


def von_mises(sigma):
    """Equivalent (von Mises) stress sqrt(3/2 s:s)."""
    s = deviator(sigma)
    return ufl.sqrt(1.5 * ufl.inner(s, s))
