"""Steady charge conservation in a Li | separator | composite-cathode stack (two potentials).

Unknowns (Newman porous-electrode theory, Newman & Thomas-Alyea ch. 22,
docs/references.md#newman2004; kinetics: docs/references.md#derived-charge-transfer-resistance):

* phi_e, the ionic potential, in the separator cells and in the electrolyte phase of the composite
  cathode (effective conductivity kappa_eff there);
* phi_s, the electronic potential of the composite's solid phase (effective sigma_eff);
* V, the cell voltage: the potential of the cathode current collector (Li metal is at 0 V).

Equations (i > 0 anodic; a = specific interface area of the active material, 1/m)::

    -div(kappa grad phi_e) = a i_n          in separator (a = 0) and cathode
    -div(sigma grad phi_s) = -a i_n         in cathode,   i_n = k_c(phi_s - phi_e - U_c)
    kappa grad phi_e . n   = f_c i_Li       on the Li | separator interface (n out of the electrolyte)
                             i_Li = k_Li(0 - phi_e - U_Li),   U_Li = shift (e.g. -V_Li p/F)
    phi_s = V                               on the current collector
    -(2 pi r) int f_c i_Li ds = I           galvanostatic (I > 0: charge, Li plating), or V = V_set

with k the Butler-Volmer (or linearised) kinetics of :mod:`fem.electrochemistry.kinetics`,
f_c the contact fraction (the nominal interface current density is f_c times the kinetic one on
the true contact area) and every other boundary insulating. Instead of a composite cathode a
planar electrode on a facet group ("counter", e.g. a dense thin-film cathode or a far counter
electrode) can close the circuit: kappa grad phi_e . n = i_ctr = k_ctr(V - phi_e - U_ctr) there.

Galvanostatic control, and why this formulation. V is a global scalar unknown in a Real space
(dolfinx 0.11; dolfinx-notes 1.4), and phi_s = psi + V with psi = 0 on the collector, so the
collector stays an exact equipotential without a Lagrange multiplier field. The extra equation is
the current balance at the Li interface. Summing the phi_e equations with the test function 1
(phi_e has no Dirichlet condition) shows that the discrete solution conserves charge exactly:
int a i_n = -int f_c i_Li = I, and the consistent collector current equals the same number. One
Newton solve (SNES, exact Jacobian through UFL, MUMPS LU which handles the zero V-V pivot of the
bordered system) replaces an outer secant iteration on V.

Subdomains: both fields live on the whole mesh (P-k Lagrange); the dofs that touch no cell of a
field's region are pinned to 0 by Dirichlet conditions, so the mesh may also contain Li, platens
or other layers. Geometry: Cartesian 1D/2D/3D, or 2D axisymmetric with x[0] = r and the measure
2 pi r dx (integrals then are physical currents in A).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fem._dolfinx import MPI, PETSc, dolfinx
from fem.constants import T_REF
from fem.electrochemistry.kinetics import Kinetics

_counter = itertools.count()

#: Region names the solver understands (cells: separator, cathode; facets: the rest).
CELL_REGIONS = ("separator", "cathode")
FACET_REGIONS = ("li_interface", "collector", "counter")

DEFAULT_OPTIONS = {
    "snes_type": "newtonls",
    # l2 (a secant minimisation of |F|^2 along the Newton direction), not bt: near the cathode's
    # irreversible floor bt accepted a tenth of each step, the residual fell by 10 % per
    # iteration and the solve ran out of its 50 iterations (the flagship's discharge tail,
    # restarted from one checkpoint: 18 failed solves with bt, none with l2 or full steps)
    "snes_linesearch_type": "l2",
    # (1e-12, not 1e-10: l2's last steps are not quite full Newton steps, and at 1e-10 a 1D
    # Butler-Volmer solve conserved the current to 1.1e-10 only)
    "snes_rtol": 1e-12,
    "snes_atol": 1e-30,
    "snes_stol": 0.0,
    "snes_max_it": 50,
    "ksp_type": "preonly",
    "pc_type": "lu",
    "pc_factor_mat_solver_type": "mumps",
    "mat_mumps_icntl_14": 80,
}


@dataclass
class CompositeElectrode:
    """A porous composite electrode: conductivities of its two phases and the reaction between them.

    kappa (S/m): effective ionic conductivity of the electrolyte phase; sigma (S/m): effective
    electronic conductivity of the solid; specific_area a (1/m): active interface area per volume;
    ocv (V vs Li): equilibrium potential U of the active material (float or UFL expression).
    """

    kappa: object
    sigma: object
    specific_area: object
    kinetics: Kinetics
    ocv: object


@dataclass
class PlanarElectrode:
    """An electronically ideal electrode on a facet group at the cell voltage V (e.g. a counter)."""

    kinetics: Kinetics
    ocv: object = 0.0


def _ids(groups: Mapping[str, object], name: str) -> tuple[int, ...]:
    value = groups[name]
    if isinstance(value, (int, np.integer)):
        return (int(value),)
    return tuple(int(v) for v in value)


def _tagged(tags: dolfinx.mesh.MeshTags, ids: Sequence[int]) -> np.ndarray:
    return np.unique(np.concatenate([tags.find(i) for i in ids])).astype(np.int32)


def region_dofs(V: dolfinx.fem.FunctionSpace, cells: np.ndarray) -> np.ndarray:
    """Local (owned and ghost) dofs of V that belong to at least one of ``cells`` on any rank."""
    mark = dolfinx.fem.Function(V)
    mark.x.array[:] = 0.0
    mark.x.array[V.dofmap.list[cells].ravel()] = 1.0
    mark.x.scatter_reverse(dolfinx.la.InsertMode.add)
    mark.x.scatter_forward()
    return np.flatnonzero(mark.x.array > 0).astype(np.int32)


def real_value(f: dolfinx.fem.Function) -> float:
    """The value of a Real-space function on every rank (owned by one rank)."""
    local = f.x.array[0] if f.function_space.dofmap.index_map.size_local > 0 else 0.0
    return f.function_space.mesh.comm.allreduce(float(local), op=MPI.SUM)


class ChargeConservation:
    """The coupled phi_e / phi_s / V problem (module docstring) on a tagged mesh.

    ``groups`` maps the region names of :data:`CELL_REGIONS` and :data:`FACET_REGIONS` to one tag
    or a list of tags of ``cell_tags``/``facet_tags``. Needed: "separator" (may be empty),
    "li_interface", and either a composite ``cathode`` with "cathode" and "collector", or a planar
    ``counter`` electrode with "counter" (or both).

    ``contact_fraction`` and ``li_potential_shift`` are floats or UFL expressions (e.g. Functions
    updated between solves); the Li kinetics use ``li_kinetics`` on the true contact area.
    """

    def __init__(self, mesh: dolfinx.mesh.Mesh, cell_tags: dolfinx.mesh.MeshTags,
                 facet_tags: dolfinx.mesh.MeshTags, groups: Mapping[str, object], *,
                 kappa_separator: object, li_kinetics: Kinetics,
                 cathode: CompositeElectrode | None = None, counter: PlanarElectrode | None = None,
                 axisymmetric: bool = False, degree: int = 1, temperature: float = T_REF,
                 contact_fraction: object = 1.0, li_potential_shift: object = 0.0,
                 quadrature_degree: int | None = None, petsc_options: dict | None = None) -> None:
        import basix.ufl
        import ufl

        if cathode is None and counter is None:
            raise ValueError("need a composite cathode or a planar counter electrode")
        self.mesh, self.cell_tags, self.facet_tags = mesh, cell_tags, facet_tags
        self.groups = dict(groups)
        self.cathode, self.counter, self.li_kinetics = cathode, counter, li_kinetics
        self.axisymmetric, self.degree = axisymmetric, degree
        tdim = mesh.topology.dim
        mesh.topology.create_connectivity(tdim - 1, tdim)
        qd = quadrature_degree if quadrature_degree is not None else 2 * degree + 2
        md = {"quadrature_degree": qd}
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=cell_tags, metadata=md)
        self.ds = ufl.Measure("ds", domain=mesh, subdomain_data=facet_tags, metadata=md)
        self.dS = ufl.Measure("dS", domain=mesh, subdomain_data=facet_tags, metadata=md)
        self.x = ufl.SpatialCoordinate(mesh)
        self.weight = 2 * math.pi * self.x[0] if axisymmetric else ufl.as_ufl(1.0)
        wt = self.weight

        self.T = dolfinx.fem.Constant(mesh, float(temperature))
        self.current = dolfinx.fem.Constant(mesh, 0.0)        # I (A), > 0 charge
        self.voltage_set = dolfinx.fem.Constant(mesh, 0.0)    # V_set for potentiostatic
        self._gal = dolfinx.fem.Constant(mesh, 1.0)
        self._pot = dolfinx.fem.Constant(mesh, 0.0)
        self.contact_fraction = contact_fraction
        self.li_potential_shift = li_potential_shift

        sep = _ids(self.groups, "separator") if "separator" in self.groups else ()
        cat = _ids(self.groups, "cathode") if cathode is not None else ()
        li = _ids(self.groups, "li_interface")
        self._li, self._cat, self._sep = li, cat, sep

        Ve = dolfinx.fem.functionspace(mesh, ("Lagrange", degree))
        R = dolfinx.fem.functionspace(mesh, basix.ufl.real_element(mesh.basix_cell(), value_shape=()))
        self.phi_e = dolfinx.fem.Function(Ve, name="phi_e")
        self.V = dolfinx.fem.Function(R, name="cell_voltage")
        we, q = ufl.TestFunction(Ve), ufl.TestFunction(R)
        electrolyte_cells = _tagged(cell_tags, sep + cat)
        active_e = region_dofs(Ve, electrolyte_cells)
        inactive_e = np.setdiff1d(np.arange(Ve.dofmap.index_map.size_local
                                            + Ve.dofmap.index_map.num_ghosts, dtype=np.int32), active_e)
        zero = dolfinx.default_scalar_type(0)
        self.bcs = [dolfinx.fem.dirichletbc(zero, inactive_e, Ve)]

        # a zero term on every cell puts the diagonal of pinned dofs into the sparsity pattern
        # (otherwise the Dirichlet diagonal of dofs outside the region is silently dropped)
        self._zero = dolfinx.fem.Constant(mesh, 0.0)
        fc = contact_fraction
        self.i_li = li_kinetics.current_ufl(-self.phi_e - li_potential_shift, self.T)
        F_e = -fc * self.i_li * we * wt * self.ds(li) + self._zero * self.phi_e * we * self.dx
        if sep:
            F_e += kappa_separator * ufl.inner(ufl.grad(self.phi_e), ufl.grad(we)) * wt * self.dx(sep)
        one = dolfinx.fem.Constant(mesh, 1.0)
        self.li_area = self._assemble(one * wt * self.ds(li))
        if self.li_area <= 0:
            raise ValueError("the li_interface facet group is empty")
        self._li_current_form = None  # compiled by li_current()
        # current balance at the Li interface, or V = V_set; scaled by the area to read in A
        F_V = (self._gal * (fc * self.i_li + self.current / self.li_area)
               + self._pot * (self.V - self.voltage_set) / self.li_area) * q * wt * self.ds(li)

        forms, fields = [F_e], [self.phi_e]
        self.psi = None
        if cathode is not None:
            Vs = dolfinx.fem.functionspace(mesh, ("Lagrange", degree))
            self.psi = dolfinx.fem.Function(Vs, name="psi")
            ws = ufl.TestFunction(Vs)
            active_s = region_dofs(Vs, _tagged(cell_tags, cat))
            n_s = Vs.dofmap.index_map.size_local + Vs.dofmap.index_map.num_ghosts
            self._collector_dofs = dolfinx.fem.locate_dofs_topological(
                Vs, tdim - 1, _tagged(facet_tags, _ids(self.groups, "collector")))
            pinned = np.union1d(np.setdiff1d(np.arange(n_s, dtype=np.int32), active_s),
                                self._collector_dofs).astype(np.int32)
            self.bcs.append(dolfinx.fem.dirichletbc(zero, pinned, Vs))
            self.phi_s_expr = self.psi + self.V
            eta = self.phi_s_expr - self.phi_e - cathode.ocv
            self.i_n = cathode.kinetics.current_ufl(eta, self.T)
            a = cathode.specific_area
            F_e += (cathode.kappa * ufl.inner(ufl.grad(self.phi_e), ufl.grad(we))
                    - a * self.i_n * we) * wt * self.dx(cat)
            F_s = (cathode.sigma * ufl.inner(ufl.grad(self.psi), ufl.grad(ws))
                   + a * self.i_n * ws) * wt * self.dx(cat) + self._zero * self.psi * ws * self.dx
            forms.append(F_s)
            fields.append(self.psi)
            self._F_s = F_s
        if counter is not None:
            ctr = _ids(self.groups, "counter")
            self.i_ctr = counter.kinetics.current_ufl(self.V - self.phi_e - counter.ocv, self.T)
            F_e += -self.i_ctr * we * wt * self.ds(ctr)
            self._ctr = ctr
        forms[0] = F_e
        forms.append(F_V)
        fields.append(self.V)
        self.residuals = forms
        self._extra: list = []
        self._fields = fields
        self._petsc_options = dict(DEFAULT_OPTIONS, **(petsc_options or {}))
        self._problem = None
        self.newton_iterations = 0
        # initial guess: equilibrium (zero current)
        self.V.x.array[:] = self._equilibrium_guess()

    # ---------------------------------------------------------------------------------------
    @classmethod
    def from_cell_mesh(cls, cm, names: Mapping[str, str | Sequence[str]], **kwargs) -> ChargeConservation:
        """Build from a :class:`fem.geometry.mesh.CellMesh`; ``names`` maps region -> group name(s)."""
        groups = {}
        for region, value in names.items():
            group_names = [value] if isinstance(value, str) else list(value)
            groups[region] = [cm.tag(n) for n in group_names]
        return cls(cm.mesh, cm.cell_tags, cm.facet_tags, groups,
                   axisymmetric=cm.axisymmetric, **kwargs)

    def add_source(self, field: str, integrand, measure) -> None:
        """Add ``-int integrand * w * weight`` to the equation of ``field`` ("e" or "s") (before solve).

        Used for manufactured solutions; ``measure`` must be built from :attr:`dx`, :attr:`ds`
        or :attr:`dS` (they carry the solver's tags and quadrature degree).
        """
        import ufl

        if self._problem is not None:
            raise RuntimeError("add sources before the first solve")
        k = {"e": 0, "s": 1}[field]
        if k == 1 and self.psi is None:
            raise ValueError("no solid potential without a composite cathode")
        w = ufl.TestFunction(self._fields[k].function_space)
        wt = self.weight
        if measure.integral_type() == "interior_facet":
            w, wt = w("+"), wt("+") if self.axisymmetric else wt
        self.residuals[k] = self.residuals[k] - integrand * w * wt * measure

    def add_field(self, field: dolfinx.fem.Function, residual, bcs=()) -> None:
        """Add an unknown field with its residual form (before the first solve): e.g. the
        cathode state of charge of an implicit time step, on which the OCV depends."""
        if self._problem is not None:
            raise RuntimeError("add fields before the first solve")
        self.residuals.insert(len(self.residuals) - 1, residual)
        self._fields.insert(len(self._fields) - 1, field)
        self.bcs.extend(bcs)

    def _equilibrium_guess(self) -> float:
        if self.cathode is not None and isinstance(self.cathode.ocv, (int, float)):
            return float(self.cathode.ocv)
        if self.counter is not None and isinstance(self.counter.ocv, (int, float)):
            return float(self.counter.ocv)
        return 0.0

    def _assemble(self, form) -> float:
        local = dolfinx.fem.assemble_scalar(dolfinx.fem.form(form))
        return self.mesh.comm.allreduce(local, op=MPI.SUM)

    def _build(self) -> None:
        import dolfinx.fem.petsc as fpetsc

        prefix = f"assb_echem{next(_counter)}_"
        db = PETSc.Options()
        for k, v in self._petsc_options.items():
            db[prefix + k] = v
        self._problem = fpetsc.NonlinearProblem(self.residuals, self._fields, bcs=self.bcs,
                                                kind="mpi", petsc_options_prefix=prefix)
        self._problem.solver.setFromOptions()
        # reset=True: the history holds the norms of the last solve only. petsc4py's default
        # (reset=False, 1000 entries) keeps appending over all the solves of a run and then stops
        # recording: norms[0] was the run's first residual and, once 1000 norms were logged, the
        # last norm a stale one of an old converged solve, so the round-off test of :meth:`solve`
        # accepted any stalled solve (a discharge then ran on at a fixed SOC past the cathode's
        # irreversible limit, the current not conserved, ncm811_li_fixed_gap: CE 187 %)
        self._problem.solver.setConvergenceHistory(reset=True)

    # ---------------------------------------------------------------------------------------
    def solve(self, current: float | None = None, *, voltage: float | None = None) -> float:
        """Solve for a total current I (A, > 0 charge) or a fixed cell voltage; return V (volts)."""
        if (current is None) == (voltage is None):
            raise ValueError("give exactly one of current (galvanostatic) or voltage (potentiostatic)")
        if current is not None:
            self.current.value, self._gal.value, self._pot.value = float(current), 1.0, 0.0
        else:
            self.voltage_set.value, self._gal.value, self._pot.value = float(voltage), 0.0, 1.0
        if self._problem is None:
            self._build()
        snes = self._problem.solver
        # absolute tolerance on the residual (A): 1e-11 of the larger of |I| and i0 * A_Li
        i0 = self.li_kinetics.i0
        if hasattr(i0, "value"):  # a dolfinx Constant
            i0 = float(i0.value)
        i_ref = float(i0) * self.li_area if isinstance(i0, (int, float)) else 0.0
        snes.setTolerances(atol=1e-11 * max(abs(float(self.current.value)) * (current is not None), i_ref))
        self._problem.solve()
        reason = snes.getConvergedReason()
        self.newton_iterations = snes.getIterationNumber()
        norms = snes.getConvergenceHistory()[0]  # this solve's (reset=True, _build)
        # a line search that stalls at the round-off floor after a converged Newton step is fine
        stalled = reason in (PETSc.SNES.ConvergedReason.DIVERGED_LINE_SEARCH,
                             PETSc.SNES.ConvergedReason.DIVERGED_MAX_IT)
        at_floor = stalled and len(norms) > 1 and (
            norms[-1] <= 1e-9 * norms[0]
            # or a current imbalance of 1e-8 of the current scale (A): the round-off floor of
            # a solve that starts next to its solution
            or norms[-1] <= 1e-8 * max(abs(float(self.current.value)), i_ref, 1e-30))
        if reason <= 0 and not at_floor:
            raise RuntimeError(f"charge-conservation Newton did not converge (SNES reason {reason})")
        for f in self._fields:
            f.x.scatter_forward()
        return self.cell_voltage

    def close(self) -> None:
        """Destroy the charge-conservation SNES and its matrices now (collective)."""
        from fem._dolfinx import destroy_problem

        destroy_problem(self._problem)
        self._problem = None

    @property
    def cell_voltage(self) -> float:
        """Cell voltage V = phi_s(collector) - phi_Li (V)."""
        return real_value(self.V)

    def phi_s(self) -> dolfinx.fem.Function:
        """The solid potential psi + V as a Function (0 outside the cathode)."""
        if self.psi is None:
            raise ValueError("no composite cathode")
        out = dolfinx.fem.Function(self.psi.function_space, name="phi_s")
        active = region_dofs(self.psi.function_space, _tagged(self.cell_tags, self._cat))
        out.x.array[active] = self.psi.x.array[active] + self.cell_voltage
        return out

    def li_current(self) -> float:
        """-int f_c i_Li (A, > 0 on charge): the current into the Li electrode; the form is
        compiled once (a constant-voltage hold reads it every solve)."""
        if self._li_current_form is None:
            self._li_current_form = dolfinx.fem.form(
                -self.contact_fraction * self.i_li * self.weight * self.ds(self._li))
        local = dolfinx.fem.assemble_scalar(self._li_current_form)
        return self.mesh.comm.allreduce(local, op=MPI.SUM)

    def integrated_currents(self) -> dict[str, float]:
        """Total currents (A; per unit depth in plane 2D, per unit area in 1D), all > 0 on charge.

        ``li``: -int f_c i_Li (into the Li, plating); ``reaction``: int a i_n over the cathode;
        ``collector``: consistent (residual) current through the collector; ``counter``: current
        out of the planar counter electrode.
        """
        wt = self.weight
        out = {"li": self.li_current()}
        if self.cathode is not None:
            out["reaction"] = self._assemble(self.cathode.specific_area * self.i_n * wt * self.dx(self._cat))
            b = dolfinx.fem.assemble_vector(dolfinx.fem.form(self._F_s))
            b.scatter_reverse(dolfinx.la.InsertMode.add)
            nown = self.psi.function_space.dofmap.index_map.size_local
            dofs = self._collector_dofs[self._collector_dofs < nown]
            out["collector"] = self.mesh.comm.allreduce(float(b.array[dofs].sum()), op=MPI.SUM)
        if self.counter is not None:
            out["counter"] = self._assemble(self.i_ctr * wt * self.ds(self._ctr))
        return out

    def interface_current_density(self) -> tuple[np.ndarray, np.ndarray]:
        """(coordinates, i) at the owned dofs of the Li interface; i = f_c i_Li in A/m^2 of nominal
        area, anodic (stripping) positive, so plating is negative."""
        Ve = self.phi_e.function_space
        if not hasattr(self, "_iface"):  # compiled once
            tdim = self.mesh.topology.dim
            dofs = dolfinx.fem.locate_dofs_topological(Ve, tdim - 1,
                                                       _tagged(self.facet_tags, self._li))
            dofs = dofs[dofs < Ve.dofmap.index_map.size_local]
            expr = dolfinx.fem.Expression(self.contact_fraction * self.i_li,
                                          Ve.element.interpolation_points)
            self._iface = (dolfinx.fem.Function(Ve), expr, dofs,
                           Ve.tabulate_dof_coordinates()[dofs])
        f, expr, dofs, xyz = self._iface
        f.interpolate(expr)
        return xyz, f.x.array[dofs].copy()
