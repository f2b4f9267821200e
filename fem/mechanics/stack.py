"""Mechanics of the cell stack between a rigid platen (top) and a fixed base (bottom).

Unknowns: the displacement field u (Lagrange, degree from the case) and the platen's axial
displacement U, a global scalar. The top face carries u_z = U (flat rigid platen; lateral
displacement free for frictionless platens, zero for bonded ones); the bottom u_z = 0.

Newton with bordering (exact for the rigid platen, and friendly to iterative solvers):
each iteration solves the tangent system twice with the same operator,

    K du_a = -R     (du_a = 0 on all Dirichlet dofs)
    K w    =  0     (w_z = 1 on the platen, 0 on the other Dirichlet dofs),

so du = du_a + dU w. The platen reaction is Phi(u) = R(u)[w] (the virtual work of the residual
on w: the sum of the nodal reactions on the platen at equilibrium); the stack pressure is
p = -Phi / A and its tangent dp/dU = -K(w, w) / A. dU follows from the holder equation
(:mod:`fem.mechanics.holder`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import ufl

from fem._dolfinx import MPI, PETSc, dolfinx
from fem.errors import SolverError
from fem.geometry.mesh import CellMesh
from fem.mechanics.elasticity import elastic_stress, lame_fields
from fem.mechanics.holder import Holder
from fem.mechanics.kinematics import axial_index, strain, von_mises, weight
from fem.mechanics.linear_solver import default_options, make_ksp

fpetsc = dolfinx.fem.petsc


class NewtonFailure(SolverError):
    """Newton did not converge (the time stepper cuts the step back)."""

    def __init__(self, message: str, residuals: list[float]):
        super().__init__(message)
        self.residuals = residuals


@dataclass
class NewtonResult:
    iterations: int
    residuals: list[float]
    pressure: float  # stack pressure (Pa) at the converged state


class StackMechanics:
    """The stack's mechanical problem (see the module docstring)."""

    def __init__(self, cm: CellMesh, case, holder: Holder, log=None):
        self.cm = cm
        self.case = case
        self.holder = holder
        self.comm = cm.comm
        msh = cm.mesh
        self.axisym = cm.axisymmetric
        self.gdim = msh.geometry.dim
        self.iz = axial_index(self.axisym)
        deg = case.mesh.element_degree
        self.V = dolfinx.fem.functionspace(msh, ("Lagrange", deg, (self.gdim,)))
        self.u = dolfinx.fem.Function(self.V, name="u")
        self.u_n = dolfinx.fem.Function(self.V)  # last converged step
        self.u_nm1 = dolfinx.fem.Function(self.V)  # the one before (predictor)
        self.w = dolfinx.fem.Function(self.V, name="platen_mode")
        self.du = dolfinx.fem.Function(self.V)
        self.U = self.U_n = self.U_nm1 = 0.0
        self.area = case.cell.area
        self.x = ufl.SpatialCoordinate(msh)
        self.wt = weight(self.x, self.axisym)
        self.dx = ufl.Measure("dx", domain=msh, subdomain_data=cm.cell_tags,
                              metadata={"quadrature_degree": 2 * deg})
        self.mu, self.lmbda = lame_fields(cm, case.cell.layers, case.materials)
        T0 = dolfinx.fem.functionspace(msh, ("DG", 0, (3, 3)))
        self.eigenstrain = dolfinx.fem.Function(T0, name="eigenstrain")
        self.eps = strain(self.u, self.x, self.axisym)
        self.sigma = elastic_stress(self.eps - self.eigenstrain, self.mu, self.lmbda)
        v = ufl.TestFunction(self.V)
        du = ufl.TrialFunction(self.V)
        F = ufl.inner(self.sigma, strain(v, self.x, self.axisym)) * self.wt * self.dx
        J = ufl.derivative(F, self.u, du)
        self.F_form = dolfinx.fem.form(F)
        self.J_form = dolfinx.fem.form(J)
        self.kt_form = dolfinx.fem.form(ufl.action(ufl.action(J, self.w), self.w))
        self._dirichlet()
        self.A = fpetsc.create_matrix(self.J_form)
        self.b = fpetsc.create_vector(self.V)
        self.b_w = fpetsc.create_vector(self.V)
        ndofs = self.V.dofmap.index_map.size_global * self.V.dofmap.index_map_bs
        self.ndofs = ndofs
        opts = default_options(case.solver.linear_solver, self.gdim, ndofs)
        opts.update(case.solver.petsc_options)
        self.ksp = make_ksp(self.comm, opts)
        self._w_ready = False
        self.log = log

    # ------------------------------------------------------------------ boundary conditions
    def _dirichlet(self) -> None:
        cm, V, fdim = self.cm, self.V, self.cm.mesh.topology.dim - 1
        iz = self.iz
        bonded = self.case.platen_contact == "bonded"

        def dofs(name: str, comp: int) -> np.ndarray:
            return dolfinx.fem.locate_dofs_topological(V.sub(comp), fdim, cm.facets(name))

        fixed: list[tuple[np.ndarray, int]] = [(dofs("bottom", iz), iz)]
        lateral = [i for i in range(self.gdim) if i != iz]
        if bonded:
            fixed += [(dofs(face, i), i) for face in ("bottom", "top") for i in lateral]
        if self.axisym and cm.has("axis"):
            fixed.append((dofs("axis", 0), 0))
        if self.case.cell.die_enabled:
            if not self.axisym:
                raise SolverError("a rigid die wall is only available in the axisymmetric model")
            fixed.append((dofs("outer", 0), 0))
        for name, comp in (("symmetry_xz", 1), ("symmetry_yz", 0)):
            if not self.axisym and cm.has(name):
                fixed.append((dofs(name, comp), comp))
        top = dofs("top", iz)
        self.bcs0 = [dolfinx.fem.dirichletbc(0.0, d, V.sub(c)) for d, c in fixed]
        self.bcs0.append(dolfinx.fem.dirichletbc(0.0, top, V.sub(iz)))
        self.bcs_w = [dolfinx.fem.dirichletbc(0.0, d, V.sub(c)) for d, c in fixed]
        self.bcs_w.append(dolfinx.fem.dirichletbc(1.0, top, V.sub(iz)))

    # ------------------------------------------------------------------ assembly helpers
    def _assemble_residual(self) -> None:
        with self.b.localForm() as loc:
            loc.set(0.0)
        fpetsc.assemble_vector(self.b, self.F_form)
        self.b.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)

    def _assemble_jacobian(self) -> None:
        self.A.zeroEntries()
        fpetsc.assemble_matrix(self.A, self.J_form, bcs=self.bcs0)
        self.A.assemble()
        self.ksp.setOperators(self.A)

    def _solve(self, rhs: PETSc.Vec, out: dolfinx.fem.Function) -> None:
        self.ksp.solve(rhs, out.x.petsc_vec)
        reason = self.ksp.getConvergedReason()
        if reason < 0:
            raise NewtonFailure(f"linear solver failed (KSP reason {reason})", [])
        out.x.scatter_forward()

    def _solve_platen_mode(self) -> None:
        """w: K w = 0 with w_z = 1 on the platen (the rigid-platen lifting mode)."""
        with self.b_w.localForm() as loc:
            loc.set(0.0)
        fpetsc.apply_lifting(self.b_w, [self.J_form], bcs=[self.bcs_w])
        self.b_w.ghostUpdate(addv=PETSc.InsertMode.ADD, mode=PETSc.ScatterMode.REVERSE)
        fpetsc.set_bc(self.b_w, self.bcs_w)
        self._solve(self.b_w, self.w)
        self._w_ready = True

    def _scalar(self, form) -> float:
        return self.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)

    def reaction_pressure(self) -> float:
        """Stack pressure p = -R(u)[w] / A from the residual assembled in self.b."""
        return -self.b.dot(self.w.x.petsc_vec) / self.area

    # ------------------------------------------------------------------ hooks for physics
    def update_state(self) -> None:
        """Refresh internal variables at the current iterate (creep overrides this)."""

    # ------------------------------------------------------------------ Newton
    def solve(self, rtol: float, atol: float, max_it: int) -> NewtonResult:
        """Newton-bordering solve of one time step; raises :class:`NewtonFailure`."""
        if not self._w_ready:
            self.update_state()
            self._assemble_jacobian()
            self._solve_platen_mode()
        residuals: list[float] = []
        r0 = None
        for it in range(max_it + 1):
            self.update_state()
            self._assemble_residual()
            p = self.reaction_pressure()
            g = self.holder.residual(p, self.U)
            p_scale = max(abs(self.holder.p_ref), abs(p), 1e5)
            f_abs = atol * p_scale * self.area
            fpetsc.set_bc(self.b, self.bcs0)
            rnorm = self.b.norm()
            residuals.append(rnorm)
            r0 = rnorm if r0 is None else r0
            g_tol = (rtol * p_scale if self.holder.mode == "force"
                     else rtol * max(abs(self.U), 1e-9) + 1e-15)
            if it > 0 and rnorm <= max(rtol * r0, f_abs) and abs(g) <= g_tol:
                return NewtonResult(it, residuals, p)
            if it == max_it or not np.isfinite(rnorm):
                break
            self._assemble_jacobian()
            self._solve_platen_mode()
            # the reaction and its tangent with the new platen mode
            self._assemble_residual()
            p = self.reaction_pressure()
            fpetsc.set_bc(self.b, self.bcs0)
            self.b.scale(-1.0)
            self._solve(self.b, self.du)
            kt = self._scalar(self.kt_form)
            dU = self.holder.increment(p, self.U, -kt / self.area)
            self.u.x.array[:] += self.du.x.array + dU * self.w.x.array
            self.U += dU
        raise NewtonFailure(
            f"Newton did not converge in {max_it} iterations (residual history "
            + ", ".join(f"{r:.3e}" for r in residuals) + ")", residuals)

    # ------------------------------------------------------------------ time step bookkeeping
    def predict(self, ratio: float) -> None:
        """Linear extrapolation predictor u <- u_n + ratio (u_n - u_{n-1}) (same for U)."""
        self.u.x.array[:] = self.u_n.x.array + ratio * (self.u_n.x.array - self.u_nm1.x.array)
        self.U = self.U_n + ratio * (self.U_n - self.U_nm1)

    def commit(self) -> None:
        """Accept the current iterate as the converged step."""
        self.u_nm1.x.array[:] = self.u_n.x.array
        self.u_n.x.array[:] = self.u.x.array
        self.U_nm1, self.U_n = self.U_n, self.U

    def restore(self) -> None:
        """Return to the last converged step (after a failed solve)."""
        self.u.x.array[:] = self.u_n.x.array
        self.U = self.U_n

    # ------------------------------------------------------------------ results
    def pressure(self) -> float:
        """Current stack pressure (Pa) from the platen reaction."""
        self.update_state()
        self._assemble_residual()
        return self.reaction_pressure()

    def stress_expressions(self) -> dict[str, ufl.core.expr.Expr]:
        """UFL expressions of the output stresses."""
        return {"von_mises": von_mises(self.sigma), "stress_zz": self.sigma[self.iz, self.iz]}
