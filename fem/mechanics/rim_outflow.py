"""The Li rims of the stack mechanics: each Li layer's face at the die bore (r = R) moves out
as a plug by one scalar xi_k (the Li that leaves the foil there), and carries the pressure p_k
that its outflow law (:mod:`fem.mechanics.die_rim`) asks for: one more scalar unknown of the
bordered Newton step of :mod:`fem.mechanics.stack` per rim.

The rim face is a Dirichlet boundary u_r = xi_k (its corner nodes stay with the bonded plunger
and separator faces and the die wall), the radial analogue of the rigid platen: with the rim
modes W_k (K W_k = 0 on the free dofs, W_k = 1 on rim k's radial dofs, 0 on every other
Dirichlet dof) and the platen mode w, the Newton correction of a step is

    du = corr + dX w + sum_k dxi_k W_k,      K corr = -R   (homogeneous conditions),

the rim pressure is the rim's reaction over its area, p_k = -R(u)[W_k] / A_k (the platen's
p = -R(u)[w] / A likewise), and the scalars (dX, dxi_1, ...) solve the holder equation and the
rim laws with the linear responses

    dp = -(w.K.w dX + sum_k w.K.W_k dxi_k) / A,   dp_k = -(W_k.K.w dX + sum_j W_k.K.W_j dxi_j) / A_k,
    dV_k = sum_j dxi_j b_k . W_j,                  b_k . v = int v . n r dA over rim k,

kept nonlinear in the rim laws (a power law of n ~ 6.6; solved to convergence on these few
scalars by a damped Newton iteration). A plug rim cannot bulge: the creeping Li near a free
rim face answers a rim traction far more steeply than its tangent says, and the global Newton
then diverges (measured on the full cell's charge). Axisymmetric rigid platen, no friction.
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
        self.rim_facets = []
        for r in rims:
            cells = set(cm.cells(r.layer).tolist())
            self.rim_facets.append(np.asarray([f for f in outer if f2c.links(f)[0] in cells],
                                              dtype=np.int32))
        tags = np.concatenate([np.full(f.size, k + 1, np.int32)
                               for k, f in enumerate(self.rim_facets)])
        allf = np.concatenate(self.rim_facets)
        order = np.argsort(allf)
        self.facets = allf[order]
        self.tags = dolfinx.mesh.meshtags(msh, fdim, self.facets, tags[order])
        self.ds = ufl.Measure("ds", domain=msh, subdomain_data=self.tags)
        self.n = ufl.FacetNormal(msh)
        self.dt, self.T = 0.0, 298.15
        self.p = [law.p_n for law in self.laws]  # rim pressures of the current iterate

    # ------------------------------------------------------------------ set-up
    def add_dirichlet(self, fixed_dofs: np.ndarray) -> tuple[list, list]:
        """The rims' radial dofs (without those held by another condition, ``fixed_dofs``):
        homogeneous conditions for bcs0 and the platen mode, and each rim mode's conditions."""
        m = self.mech
        V0 = m.V.sub(0)
        fdim = m.cm.mesh.topology.dim - 1
        self.dofs = [np.setdiff1d(dolfinx.fem.locate_dofs_topological(V0, fdim, f), fixed_dofs)
                     for f in self.rim_facets]
        homogeneous = [dolfinx.fem.dirichletbc(0.0, d, V0) for d in self.dofs]
        self.mode_bcs = []
        for k in range(len(self.laws)):
            self.mode_bcs.append([dolfinx.fem.dirichletbc(1.0 if j == k else 0.0, d, V0)
                                  for j, d in enumerate(self.dofs)])
        return homogeneous, homogeneous

    def compile(self, v, J) -> None:
        m = self.mech
        self.W = [dolfinx.fem.Function(m.V, name=f"rim_mode_{k}") for k in range(len(self.laws))]
        self.load_forms = [dolfinx.fem.form(ufl.dot(v, self.n) * m.wt * self.ds(k + 1))
                           for k in range(len(self.laws))]
        self.area_forms = [dolfinx.fem.form(m.wt * self.ds(k + 1))
                           for k in range(len(self.laws))]
        self.b = [fpetsc.create_vector(m.V) for _ in self.laws]
        self.rhs = fpetsc.create_vector(m.V)
        self.funcs = [m.w, *self.W]
        # J a for each mode a (one vector assembly each; K = b^T J a by dot products)
        self.jforms = [dolfinx.fem.form(ufl.action(J, a)) for a in self.funcs]
        self.jvecs = [fpetsc.create_vector(m.V) for _ in self.funcs]

    def close(self) -> None:
        for vec in [*getattr(self, "b", []), *getattr(self, "jvecs", [])]:
            vec.destroy()
        self.jvecs = []
        if getattr(self, "rhs", None) is not None:
            self.rhs.destroy()
        self.b, self.rhs = [], None

    def begin_step(self, dt: float, T: float) -> None:
        self.dt, self.T = dt, T

    # ------------------------------------------------------------------ Newton pieces
    def assemble_loads(self) -> None:
        """b_k and the rim areas A_k on the current geometry."""
        m = self.mech
        for form, b in zip(self.load_forms, self.b, strict=True):
            with b.localForm() as loc:
                loc.set(0.0)
            fpetsc.assemble_vector(b, form)
            b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        self.areas = [m._scalar(f) for f in self.area_forms]

    def volumes(self) -> np.ndarray:
        """Outflow volume of each rim at the current iterate (collective)."""
        du = self.mech.du.x.petsc_vec
        return np.array([law.V_n + b.dot(du) for law, b in zip(self.laws, self.b, strict=True)])

    def pressures(self) -> None:
        """p_k = -R(u)[W_k] / A_k from the full residual (collective; the modes must be of
        this iterate's tangent; the first iteration uses the last ones)."""
        m = self.mech
        self.p = [-m.b_full.dot(W.x.petsc_vec) / A for W, A in zip(self.W, self.areas,
                                                                    strict=True)]

    def converged(self) -> bool:
        V = self.volumes()
        return all(abs(law.residual(p, Vk, self.dt, self.T)[0]) <= law.tolerance(Vk, 0.0)
                   for law, p, Vk in zip(self.laws, self.p, V, strict=True))

    def solve_modes(self) -> None:
        """W_k: K W_k = 0 with W_k = 1 on rim k's radial dofs (collective)."""
        m = self.mech
        for W, bcs in zip(self.W, self.mode_bcs, strict=True):
            with self.rhs.localForm() as loc:
                loc.set(0.0)
            fpetsc.apply_lifting(self.rhs, [m.J_form], bcs=[m.bcs0_no_rims + bcs])
            self.rhs.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
            fpetsc.set_bc(self.rhs, m.bcs0_no_rims + bcs)
            m._solve(self.rhs, W, m.bcs0_no_rims + bcs, mode=True)

    def _k(self) -> np.ndarray:
        """K[i][j] = f_j^T J f_i for the modes f = (w, W_1, ...) (collective): one vector
        assembly of J f_i per mode and dot products, not (1 + nr)^2 scalar assemblies."""
        for form, vec in zip(self.jforms, self.jvecs, strict=True):
            with vec.localForm() as loc:
                loc.set(0.0)
            fpetsc.assemble_vector(vec, form)
            vec.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        return np.array([[vec.dot(f.x.petsc_vec) for f in self.funcs] for vec in self.jvecs])

    def step(self, h: float, p: float, c_p: float, c_U: float) -> tuple[float, list[float]]:
        """(dX, [dxi_k]) of the bordered system (module doc) for the holder residual ``h`` at
        the platen pressure ``p`` and the holder's coefficients c_p, c_U."""
        m, nr = self.mech, len(self.laws)
        K = self._k()  # (1 + nr)^2: w.K.w, w.K.W_k, W_k.K.W_j
        A = np.array([m.area, *self.areas])
        bW = np.array([[b.dot(W.x.petsc_vec) for W in self.W] for b in self.b])
        p_all = np.array([p, *self.p])
        V0 = self.volumes()

        def system(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            dp_dx = -K / A[:, None]  # row i: pressure i, column j: scalar j
            pr = p_all + dp_dx @ x
            V = V0 + bW @ x[1:]
            F, J = np.zeros(nr + 1), np.zeros((nr + 1, nr + 1))
            F[0] = h + c_p * (pr[0] - p) - c_U * x[0]
            J[0] = c_p * dp_dx[0]
            J[0, 0] -= c_U
            for k, law in enumerate(self.laws):
                g, dg_dp, dg_dV = law.residual(pr[k + 1], V[k], self.dt, self.T)
                F[k + 1] = g
                J[k + 1] = dg_dp * dp_dx[k + 1]
                J[k + 1, 1:] += dg_dV * bW[k]
            return F, J

        return _damped_newton(system, nr + 1)

    def apply(self, dxis: list[float]) -> None:
        """du += sum_k dxi_k W_k."""
        m = self.mech
        for W, dxi in zip(self.W, dxis, strict=True):
            m.du.x.array[:] += dxi * W.x.array

    # ------------------------------------------------------------------ step bookkeeping
    def commit(self) -> None:
        for law, p, V in zip(self.laws, self.p, self.volumes(), strict=True):
            law.commit(p, V)

    def restore(self) -> None:
        self.p = [law.p_n for law in self.laws]

    def state(self) -> list[dict]:
        return [{"V_n": law.V_n, "p_n": law.p_n} for law in self.laws]

    def set_state(self, values: list[dict]) -> None:
        for law, v in zip(self.laws, values, strict=True):
            law.V_n, law.p_n = v["V_n"], v["p_n"]
        self.restore()

    def scalars(self) -> dict[str, float]:
        """History values: outflow (as foil thinning, um), rim pressure (MPa), filled length
        of the clearance (um) of each rim."""
        out = {}
        for law in self.laws:
            name = law.s.layer
            out[f"{name}_outflow_um"] = law.V_n / (np.pi * law.s.radius ** 2) * 1e6
            out[f"{name}_rim_pressure_MPa"] = law.p_n * 1e-6
            out[f"{name}_clearance_fill_um"] = law.filled_length(law.V_n, self.T) * 1e6
        return out


def _damped_newton(system, n: int, max_it: int = 60) -> tuple[float, list[float]]:
    """Solve system(x) = 0 from x = 0 (a few scalars): Newton with backtracking on the norm of
    the residual, rows scaled by their Jacobian (units of the unknowns)."""
    x = np.zeros(n)
    F, J = system(x)
    scale = np.maximum(np.max(np.abs(J), axis=1), 1e-300)
    for _ in range(max_it):
        dx = np.linalg.lstsq(J, -F, rcond=None)[0]
        t, norm0 = 1.0, np.linalg.norm(F / scale)
        while t > 1e-4:
            F1, J1 = system(x + t * dx)
            if np.linalg.norm(F1 / scale) < (1 - 1e-4 * t) * norm0:
                break
            t *= 0.5
        x, F, J = x + t * dx, F1, J1
        if np.linalg.norm(t * dx / np.maximum(np.abs(x), 1e-300)) <= 1e-12 or not norm0:
            break
    return float(x[0]), [float(v) for v in x[1:]]
