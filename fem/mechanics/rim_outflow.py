"""The Li rims of the stack mechanics: each Li layer's face at the die bore (r = R) carries the
uniform pressure p_e of its outflow law (:mod:`fem.mechanics.die_rim`), one more scalar unknown
of the bordered Newton step of :mod:`fem.mechanics.stack` per rim.

With the rim load vectors b_k (b_k . v = int v . n r dA over rim k, the same functional gives
the outflow volume V_k = V_k,n + b_k . du), the Newton correction of a step is

    du = corr + dX w + sum_k dp_k z_k,     K corr = -R,   K z_k = -b_k   (homogeneous BCs),

w the platen mode. The scalars (dX, dp_1, ...) solve the small linear system of the linearised
holder equation and rim laws:

    holder:  c_p (dp/dX dX + sum_k dp/dp_k dp_k) - c_U dX = -h,   dp/dp_k = -(b_k . w)/A
    rim k:   g_k + dg/dp dp_k + dg/dV (b_k . corr + dX b_k . w + sum_j dp_j b_k . z_j) = 0

(the reaction on the platen does not see z_k: w^T K z_k = 0 for the symmetric tangent).
Axisymmetric rigid platen without friction only; the rim face is free radially (the rigid die
wall holds the other layers' outer faces).
"""

from __future__ import annotations

import numpy as np
import ufl

from fem._dolfinx import PETSc, dolfinx
from fem.mechanics.die_rim import RimLaw, RimSettings

fpetsc = dolfinx.fem.petsc


class RimOutflow:
    """The rims of ``mech`` (collective)."""

    def __init__(self, mech, rims: tuple[RimSettings, ...]):
        self.mech, self.laws = mech, [RimLaw(r) for r in rims]
        msh, cm = mech.cm.mesh, mech.cm
        fdim = msh.topology.dim - 1
        msh.topology.create_connectivity(fdim, msh.topology.dim)
        f2c = msh.topology.connectivity(fdim, msh.topology.dim)
        outer = cm.facets("outer")
        facets, tags = [], []
        for k, r in enumerate(rims):
            cells = set(cm.cells(r.layer).tolist())
            mine = [f for f in outer if f2c.links(f)[0] in cells]
            facets += mine
            tags += [k + 1] * len(mine)
        order = np.argsort(facets)
        self.facets = np.asarray(facets, dtype=np.int32)[order]
        self.tags = dolfinx.mesh.meshtags(msh, fdim, self.facets,
                                          np.asarray(tags, dtype=np.int32)[order])
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=self.tags)
        self.n = ufl.FacetNormal(msh)
        self.p = [dolfinx.fem.Constant(msh, 0.0) for _ in rims]
        self.dt, self.T = 0.0, 298.15

    # ------------------------------------------------------------------ forms
    def residual_term(self, v) -> ufl.Form:
        """sum_k p_k int v . n r dA (the rim pressures as external tractions)."""
        m = self.mech
        return sum(p * ufl.dot(v, self.n) * m.wt * self.ds(k + 1) for k, p in enumerate(self.p))

    def compile(self, v) -> None:
        m = self.mech
        self.load_forms = [dolfinx.fem.form(ufl.dot(v, self.n) * m.wt * self.ds(k + 1))
                           for k in range(len(self.laws))]
        self.b = [fpetsc.create_vector(m.V) for _ in self.laws]
        self.b0 = [fpetsc.create_vector(m.V) for _ in self.laws]
        self.z = [dolfinx.fem.Function(m.V) for _ in self.laws]

    def close(self) -> None:
        for vec in getattr(self, "b", []) + getattr(self, "b0", []):
            vec.destroy()
        self.b, self.b0 = [], []

    def begin_step(self, dt: float, T: float) -> None:
        self.dt, self.T = dt, T

    # ------------------------------------------------------------------ Newton pieces
    def assemble_loads(self) -> None:
        """b_k on the current geometry, and -b_k with its Dirichlet rows zeroed (z_k's
        right-hand side)."""
        m = self.mech
        for form, b, b0 in zip(self.load_forms, self.b, self.b0, strict=True):
            with b.localForm() as loc:
                loc.set(0.0)
            fpetsc.assemble_vector(b, form)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            b.copy(b0)
            b0.scale(-1.0)
            fpetsc.set_bc(b0, m.bcs0)

    def volumes(self) -> list[float]:
        """Outflow volume of each rim at the current iterate (collective)."""
        du = self.mech.du.x.petsc_vec
        return [law.V_n + b.dot(du) for law, b in zip(self.laws, self.b, strict=True)]

    def residuals(self, rtol: float) -> tuple[list[float], bool]:
        """g_k at the current iterate and whether every rim law holds."""
        out, ok = [], True
        for law, p, V in zip(self.laws, self.p, self.volumes(), strict=True):
            g, _, _ = law.residual(float(p.value), V, self.dt, self.T)
            out.append(g)
            ok = ok and abs(g) <= law.tolerance(V, rtol)
        return out, ok

    def solve_modes(self) -> None:
        """z_k = K^-1 (-b_k): the displacement of a unit rim pressure."""
        for b0, z in zip(self.b0, self.z, strict=True):
            self.mech._solve(b0, z)

    def step(self, g_h: float, dp_dX: float, c_p: float, c_U: float) -> tuple[float, list[float]]:
        """(dX, [dp_k]) of the bordered system (see the module doc); the holder's residual
        ``g_h`` and coefficients c_p, c_U, the platen's dp/dX."""
        m, nr = self.mech, len(self.laws)
        wv, cv = m.w.x.petsc_vec, m.corr.x.petsc_vec
        bw = [b.dot(wv) for b in self.b]
        bc = [b.dot(cv) for b in self.b]
        bz = [[b.dot(z.x.petsc_vec) for z in self.z] for b in self.b]
        M = np.zeros((nr + 1, nr + 1))
        rhs = np.zeros(nr + 1)
        M[0, 0] = c_p * dp_dX - c_U
        for k in range(nr):
            M[0, k + 1] = -c_p * bw[k] / m.area
        rhs[0] = -g_h
        for k, (law, p, V) in enumerate(zip(self.laws, self.p, self.volumes(), strict=True)):
            g, dg_dp, dg_dV = law.residual(float(p.value), V, self.dt, self.T)
            M[k + 1, 0] = dg_dV * bw[k]
            for j in range(nr):
                M[k + 1, j + 1] = dg_dV * bz[k][j] + (dg_dp if j == k else 0.0)
            rhs[k + 1] = -g - dg_dV * bc[k]
        x = np.linalg.solve(M, rhs)
        return float(x[0]), [float(v) for v in x[1:]]

    def apply(self, dps: list[float]) -> None:
        """du += sum_k dp_k z_k and p_k += dp_k."""
        m = self.mech
        for p, z, dp in zip(self.p, self.z, dps, strict=True):
            m.du.x.array[:] += dp * z.x.array
            p.value = float(p.value) + dp

    # ------------------------------------------------------------------ step bookkeeping
    def commit(self) -> None:
        for law, p, V in zip(self.laws, self.p, self.volumes(), strict=True):
            law.commit(float(p.value), V)

    def restore(self) -> None:
        for law, p in zip(self.laws, self.p, strict=True):
            p.value = law.p_n

    def state(self) -> list[dict]:
        return [{"V_n": law.V_n, "p_n": law.p_n} for law in self.laws]

    def set_state(self, values: list[dict]) -> None:
        for law, p, v in zip(self.laws, self.p, values, strict=True):
            law.V_n, law.p_n = v["V_n"], v["p_n"]
            p.value = law.p_n

    def scalars(self) -> dict[str, float]:
        """History values: outflow (as foil thinning, um), rim pressure (MPa), filled length
        of the clearance (um) of each rim, and the largest ones."""
        out = {}
        for law in self.laws:
            name = law.s.layer
            thin = law.V_n / (np.pi * law.s.radius ** 2)
            out[f"{name}_outflow_um"] = thin * 1e6
            out[f"{name}_rim_pressure_MPa"] = law.p_n * 1e-6
            out[f"{name}_clearance_fill_um"] = law.filled_length(law.V_n, self.T) * 1e6
        return out

