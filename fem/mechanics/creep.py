"""Creep of Li metal in the stack: J2 radial return at the quadrature points with a
consistent tangent (the approach of MOOSE's PowerLawCreepStressUpdate).

Backward Euler on the equivalent stress, per quadrature point (Simo & Hughes, Computational
Inelasticity, 1998, ch. 3):

    s_tr = dev(sigma_tr),  q_tr = sqrt(3/2 s_tr : s_tr),
    q = q_tr - 3 G dp,     dp = dt * rate(q, state_{n+1}, T),                  (law: creep_laws)
    sigma = sigma_tr - 3 G dp s_tr / q_tr,    d eps_cr = 3/2 dp s_tr / q_tr.

The local problem is solved in numpy (:mod:`fem.mechanics.creep_laws`) before every residual
assembly; the residual uses the linearised local solution

    dp_lin = dp_q + beta_q (q_tr(du) - q_tr,q),   beta = d dp / d q_tr,

which equals dp_q at the current iterate, so ``ufl.derivative`` of the residual is the exact
algorithmic (consistent) tangent and Newton converges quadratically (dolfinx-notes.md 1.3).
"""

from __future__ import annotations

import basix.ufl
import numpy as np
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.constants import T_REF
from fem.mechanics.kinematics import deviator

#: Regularisation (Pa^2) of q_tr so that its derivative is finite at zero stress.
_Q_EPS2 = 1.0


class CreepModel:
    """Creep in the cells ``cells`` (a region of one material) with the local law ``law``."""

    def __init__(self, mech, cells: np.ndarray, law, shear_modulus: float,
                 max_increment: float = 0.05):
        msh = mech.cm.mesh
        self.law = law
        self.G = shear_modulus
        self.cells = cells
        self.max_increment = max_increment
        qe = basix.ufl.quadrature_element(msh.basix_cell(), value_shape=(), degree=mech.qdeg)
        self.Qs = dolfinx.fem.functionspace(msh, qe)
        self.dp_q = dolfinx.fem.Function(self.Qs, name="dp")
        self.beta_q = dolfinx.fem.Function(self.Qs, name="beta")
        self.qtr_q = dolfinx.fem.Function(self.Qs, name="q_trial")
        self.p_eq = dolfinx.fem.Function(self.Qs, name="creep_strain_eq")
        self.rate_q = dolfinx.fem.Function(self.Qs, name="creep_rate_eq")
        self.ecr = dolfinx.fem.Function(mech.QT, name="creep_strain")
        self.dofs = self.Qs.dofmap.list[cells]  # (ncells, nqp)
        self.state_n = law.initial_state(self.dofs.size)
        self.state_new = self.state_n.copy()
        self.dt = 1.0  # s, and the temperature (K): the driver sets both before each solve
        self.T = T_REF
        pts = self.Qs.element.interpolation_points
        s_tr = deviator(mech.sigma_trial)
        self.q_tr = ufl.sqrt(1.5 * ufl.inner(s_tr, s_tr) + _Q_EPS2)
        self.q_expr = dolfinx.fem.Expression(self.q_tr, pts)
        self.n_expr = dolfinx.fem.Expression(1.5 * s_tr / self.q_tr, pts)
        bs = 9
        self.tdofs = (mech.QT.dofmap.list[cells].reshape(-1)[:, None] * bs
                      + np.arange(bs)).reshape(-1)
        self.comm = msh.comm

    # -- UFL
    def stress(self, sigma_trial, mu):
        """sigma = sigma_tr - 3 G dp_lin s_tr / q_tr (equation (1) of fem.mechanics.stack)."""
        s_tr = deviator(sigma_trial)
        dp_lin = self.dp_q + self.beta_q * (self.q_tr - self.qtr_q)
        return sigma_trial - 3.0 * mu * dp_lin * s_tr / self.q_tr

    # -- local update
    def update(self, mech) -> None:
        """Return map at the current iterate: sets dp_q, beta_q, q_tr,q on the creep cells."""
        if self.cells.size == 0:
            return
        q = self.q_expr.eval(mech.cm.mesh, self.cells).reshape(-1)
        dp, beta, state = self.law.return_map(q, self.G, self.dt, self.T, self.state_n)
        d = self.dofs.reshape(-1)
        self.dp_q.x.array[d] = dp
        self.beta_q.x.array[d] = beta
        self.qtr_q.x.array[d] = q
        self.state_new = state

    def increment_measure(self, fraction: float = 0.005) -> float:
        """The creep increment exceeded at only ``fraction`` of the creep quadrature points
        (all ranks). Used to control the time step: unlike the maximum it is not held down by
        the stress singularity at a free Li corner, where the Norton rate is unbounded."""
        return self._quantile(self.dp_q, fraction)

    def strain_measure(self, fraction: float = 0.005) -> float:
        """The equivalent creep strain exceeded at only ``fraction`` of the creep quadrature
        points (all ranks): the strain of the flowing Li, not of the singular corner where a
        free rim meets a sticking face."""
        return self._quantile(self.p_eq, fraction)

    def _quantile(self, f, fraction: float) -> float:
        dp = f.x.array[self.dofs.reshape(-1)]
        n = self.comm.allreduce(dp.size, op=MPI.SUM)
        k = max(1, int(fraction * n))
        top = np.sort(dp)[-k:]
        merged = np.concatenate(self.comm.allgather(top))
        return float(np.sort(merged)[-k]) if merged.size >= k else 0.0

    def commit(self, mech) -> None:
        """Accumulate the creep strain of the converged step."""
        if self.cells.size == 0:
            return
        d = self.dofs.reshape(-1)
        dp = self.dp_q.x.array[d]
        n = self.n_expr.eval(mech.cm.mesh, self.cells).reshape(-1)
        self.ecr.x.array[self.tdofs] += np.repeat(dp, 9) * n
        self.p_eq.x.array[d] += dp
        self.rate_q.x.array[d] = dp / self.dt
        self.state_n = self.state_new.copy()
        self.dp_q.x.array[d] = 0.0
        self.beta_q.x.array[d] = 0.0

    def state_functions(self) -> dict[str, dolfinx.fem.Function]:
        """The creep fields that carry the state (checkpointed)."""
        return {"creep_strain": self.ecr, "creep_strain_eq": self.p_eq,
                "creep_rate_eq": self.rate_q}

    def state_rows(self, n_local_cells: int) -> np.ndarray | None:
        """The law's internal state per local cell (NaN outside the creeping layers), or None
        when the law has none (Norton)."""
        nstate = self.state_n.shape[1]
        if nstate == 0:
            return None
        rows = np.full((n_local_cells, self.dofs.shape[1] * nstate), np.nan)
        rows[self.cells] = self.state_n.reshape(len(self.cells), -1)
        return rows

    def set_state_rows(self, rows: np.ndarray) -> None:
        self.state_n = rows[self.cells].reshape(self.state_n.shape).copy()
        self.state_new = self.state_n.copy()

    def output_expressions(self) -> dict:
        return {"creep_strain_eq": self.p_eq, "creep_rate_eq": self.rate_q}

    def max_total(self) -> float:
        """Largest accumulated equivalent creep strain (all ranks)."""
        local = float(np.max(self.p_eq.x.array[self.dofs.reshape(-1)], initial=0.0))
        return self.comm.allreduce(local, op=MPI.MAX)
