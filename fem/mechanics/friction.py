"""Coulomb friction at rigid faces (platens, axisymmetric die wall): node-to-rigid-surface
contact with a penalty-regularised return mapping (Wriggers, Computational Contact Mechanics,
2nd ed. 2006, ch. 5; Simo & Laursen 1992).

The normal gap of a rigid face is closed by a Dirichlet condition (u_n = 0 on the fixed base and
the die wall, u_n = U on the rigid platen). The normal contact force of a face node i is therefore
its reaction, i.e. the assembled internal-force residual on the normal dof (the variationally
consistent nodal traction, which is what a Lagrange multiplier would give):

    N_i = -n R_n,i(u)          (> 0 in compression; n = +1 top / outer, -1 bottom)

The tangential dofs of the face nodes are free, loaded by the friction force T_i (a force on the
body, in the plane of the face) with a backward-Euler return map on the slip increment of the step
Ds_i = du_t,i (the faces do not move tangentially):

    T_tr = T_n - k_i Ds_i,
    stick  |T_tr| <= mu N_i+ :  T = T_tr,
    slip   otherwise         :  T = mu N_i+ T_tr / |T_tr|      (|T| = mu N+, opposing the slip)

with N+ = max(N, 0). The regularisation is the stick stiffness k_i = kappa K_ii (kappa = 10 times
the elastic diagonal stiffness of that dof at the first assembly): the elastic slip before
sliding, |T|/k_i <= mu N_i / k_i, is a tenth of the displacement the force mu N_i would cause on
that node's own elements, and a stuck face reproduces bonded platens to ~1.5e-4 in the stack
pressure. kappa = 1e3 was tried first (1.5e-6): Newton then chatters between stick and slip of
nodes on the cone's edge (a 1e-10 m move changes T by 2 mu N) and long runs fail; kappa = 10
with a backtracking line search (fem.mechanics.stack) runs a full silicon-cell cycle.

The residual of a tangential dof gains -T_i; its consistent tangent (exact, also in the
coupling to the normal force through the Jacobian row of R_n,i):

    stick: dR_t/dDs = k I
    slip : dR_t/dDs = k mu N+/|T_tr| (I - t t),  dR_t/du = ... + mu t n dR_n/du   (t = T_tr/|T_tr|)

The coupling term makes the tangent non-symmetric (LU is fine; the iterative default switches to
GMRES). The friction state T_n (nodal forces) is kept in a displacement-space function so that
it is checkpointed with the other state fields.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fem._dolfinx import PETSc, dolfinx

#: Stick stiffness over the elastic diagonal stiffness of a tangential dof (the regularisation;
#: see the module docstring for why 10 and not 1e3).
STICK_PENALTY = 10.0


@dataclass
class RigidFace:
    """A face with a Dirichlet normal dof: facet tag name, normal component and its sign."""

    facets: str
    normal: int
    sign: float
    tangential: tuple[int, ...]


class Friction:
    """Coulomb friction on rigid faces (see the module docstring)."""

    def __init__(self, mech, faces: list[tuple[RigidFace, float]]):
        V = mech.V
        self.V, self.mech = V, mech
        bs = V.dofmap.index_map_bs
        im = V.dofmap.index_map
        nloc = im.size_local
        fdim = mech.cm.mesh.topology.dim - 1
        fixed = np.zeros((im.size_local + im.num_ghosts) * bs, dtype=bool)
        for bc in mech.bcs0:
            d, _ = bc.dof_indices()
            fixed[d] = True
        nd, td, mask, sign, mu = [], [], [], [], []
        for face, mu_f in faces:
            nodes = dolfinx.fem.locate_dofs_topological(V, fdim, mech.cm.facets(face.facets))
            nodes = nodes[nodes < nloc]
            if nodes.size == 0:
                continue
            t = np.full((nodes.size, 2), -1, dtype=np.int64)
            for j, c in enumerate(face.tangential):
                t[:, j] = nodes * bs + c
            m = (t >= 0) & ~fixed[np.where(t >= 0, t, 0)]
            keep = m.any(axis=1)
            nd.append(nodes[keep] * bs + face.normal)
            td.append(t[keep])
            mask.append(m[keep])
            sign.append(np.full(int(keep.sum()), face.sign))
            mu.append(np.full(int(keep.sum()), mu_f))
        self.ndof = np.concatenate(nd) if nd else np.zeros(0, dtype=np.int64)
        self.tdof = np.concatenate(td) if td else np.zeros((0, 2), dtype=np.int64)
        self.mask = np.concatenate(mask) if mask else np.zeros((0, 2), dtype=bool)
        self.sign = np.concatenate(sign) if sign else np.zeros(0)
        self.mu = np.concatenate(mu) if mu else np.zeros(0)
        self.tsafe = np.where(self.mask, self.tdof, 0)
        n = self.ndof.size
        # global (unrolled) dof numbers of all local dofs, to read PETSc rows
        gb = im.local_to_global(np.arange(nloc + im.num_ghosts, dtype=np.int32))
        self.l2g = (gb[:, None] * bs + np.arange(bs)).reshape(-1).astype(PETSc.IntType)
        self.g2l_sorted = np.argsort(self.l2g)
        self.fixed = fixed
        self.k = np.zeros((n, 2))  # stick stiffness per tangential dof (set at first assembly)
        self._k_ready = False
        self.force = dolfinx.fem.Function(V, name="friction_force")  # T_n, nodal forces
        self.T = np.zeros((n, 2))
        self.N = np.zeros(n)
        self.Ttr = np.zeros((n, 2))
        self.slip = np.zeros(n, dtype=bool)
        self.Jf = None

    # ------------------------------------------------------------------ state
    def _T_n(self) -> np.ndarray:
        return np.where(self.mask, self.force.x.array[self.tsafe], 0.0)

    def evaluate(self, b: PETSc.Vec, du: dolfinx.fem.Function) -> None:
        """Return map at the current iterate; adds -T to the tangential rows of ``b`` (the
        assembled residual, owned entries complete)."""
        if self.ndof.size == 0:
            return
        arr = b.array  # owned part (local indices < size_local * bs)
        self.N = -self.sign * arr[self.ndof]
        ds = np.where(self.mask, du.x.array[self.tsafe], 0.0)
        Ttr = self._T_n() - self.k * ds
        norm = np.sqrt(np.sum(Ttr**2, axis=1))
        lim = self.mu * np.maximum(self.N, 0.0)
        slip = norm > lim  # (|T_tr| = 0 = lim: stick, so that Newton starts from a stuck face)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(slip, np.where(norm > 0, lim / norm, 0.0), 1.0)
        T = Ttr * scale[:, None]
        self.Ttr, self.T, self.slip, self.norm, self.lim = Ttr, T, slip, norm, lim
        rows = self.tdof[self.mask]
        arr[rows] -= T[self.mask]

    def commit(self) -> None:
        """Accept the friction forces of the converged iterate."""
        if self.ndof.size:
            a = self.force.x.array
            a[self.tdof[self.mask]] = self.T[self.mask]

    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        return {"friction_force": self.force}

    # ------------------------------------------------------------------ tangent
    def _local(self, cols_global: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.l2g, cols_global, sorter=self.g2l_sorted)
        return self.g2l_sorted[np.minimum(pos, self.l2g.size - 1)]

    def assemble(self, A_raw: PETSc.Mat, A: PETSc.Mat) -> None:
        """Build the friction tangent ``Jf`` (all columns) from the raw (unconstrained)
        Jacobian and add it to ``A`` without its Dirichlet columns (those enter by lifting)."""
        if self.Jf is None:
            self.Jf = A_raw.duplicate(copy=False)
        Jf = self.Jf
        Jf.zeroEntries()
        if not self._k_ready:  # the stick penalty, from the first (elastic) diagonal
            diag = A_raw.getDiagonal()
            d = diag.array
            self.k = np.where(self.mask, STICK_PENALTY * np.abs(d[self.tsafe]), 0.0)
            self._k_ready = True
            diag.destroy()
        g = self.l2g
        for i in range(self.ndof.size):
            m = self.mask[i]
            trows = self.tdof[i][m]
            if trows.size == 0:
                continue
            gt = g[trows]
            if self.slip[i]:
                if self.norm[i] > 0:
                    t = self.Ttr[i][m] / self.norm[i]
                    kk = self.k[i][m]
                    blk = (self.lim[i] / self.norm[i]) * (np.diag(kk) - np.outer(t, t) * kk[None, :])
                    Jf.setValues(gt, gt, blk.ravel(), addv=PETSc.InsertMode.ADD_VALUES)
                    if self.N[i] > 0 and self.mu[i] > 0:
                        cols, vals = A_raw.getRow(int(g[self.ndof[i]]))
                        c = self.mu[i] * self.sign[i]
                        for tc, row in zip(t, gt, strict=True):
                            Jf.setValues([row], cols, c * tc * vals,
                                         addv=PETSc.InsertMode.ADD_VALUES)
            else:
                kk = self.k[i][m]
                Jf.setValues(gt, gt, np.diag(kk).ravel(), addv=PETSc.InsertMode.ADD_VALUES)
        Jf.assemble()
        # A += Jf without the Dirichlet columns
        for row in np.unique(g[self.tdof[self.mask]]):
            cols, vals = Jf.getRow(int(row))
            if cols.size == 0:
                continue
            keep = ~self.fixed[self._local(cols)]
            A.setValues([int(row)], cols[keep], vals[keep], addv=PETSc.InsertMode.ADD_VALUES)
        A.assemble()

    def lift(self, b_w: PETSc.Vec, w_bc: PETSc.Vec) -> None:
        """b_w -= Jf w_bc (the Dirichlet columns of the friction rows, for the platen mode)."""
        if self.Jf is None:
            return
        tmp = b_w.duplicate()
        self.Jf.mult(w_bc, tmp)
        b_w.axpy(-1.0, tmp)
        tmp.destroy()

    def bilinear(self, a: PETSc.Vec, c: PETSc.Vec) -> float:
        """a . (Jf c) (global)."""
        if self.Jf is None:
            return 0.0
        tmp = a.duplicate()
        self.Jf.mult(c, tmp)
        v = a.dot(tmp)
        tmp.destroy()
        return v
