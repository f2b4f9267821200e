"""Verification of the cell-scale Li_xSi anode (issue 5, fem/electrochemistry/silicon.py).

1. With a constant diffusivity the lithiation profile through the layer matches the exact
   constant-flux slab solution (Carslaw & Jaeger, see fem.electrochemistry.diffusion) within
   1 % of the rise, and the face x that sets the open-circuit potential with it.
2. Li is conserved through charge, rest and discharge with the card's x-dependent D: the mean
   x equals x0 + q / (F c_Si L) to 1e-10.
3. With the card's D (rising with the lithiation reached), a charge at 0.4 mA/cm^2 leaves the
   current-collector side at x0 (the front of docs/lab-study.md#silicon-cells), the front moves away from the
   separator and is sharp (x back at x0 within twice its half-rise depth).
4. The electronic resistance of a uniform layer is L / sigma(x) (round-off); and through a
   coupled cell solve, the Si cell voltage moves by exactly i R_e when R_e changes.
"""

from __future__ import annotations

import numpy as np
import pytest

from fem._dolfinx import MPI
from fem.constants import FARADAY
from fem.electrochemistry.diffusion import constant_flux_slab
from fem.electrochemistry.silicon import SiliconAnode, log_interp
from fem.materials import load_material

SI = load_material("si")
C_SI = SI["density"] * SI["relative_density"] / SI["molar_mass"]
L = 45e-6  # m, about the 5 mg Si layer of lco_li1si
D_TABLE = SI.tables["li_diffusivity_vs_lithiation"][:2]
S_TABLE = SI.tables["electronic_conductivity_vs_lithiation"][:2]


def anode(x0: float = 1.0, d_table=D_TABLE, s_table=S_TABLE, elements: int = 240):
    return SiliconAnode(L, C_SI, x0, d_table, s_table, elements=elements)


def test_constant_diffusivity_matches_slab_solution():
    D = 1e-14
    a = anode(d_table=([0.0, 3.75], [D, D]), elements=200)
    i = 10.0  # A/m^2
    t, dt = 0.0, 5.0
    worst = 0.0
    for target in (0.02, 0.1, 0.5):  # D t / L^2
        while t < target * L**2 / D * (1 - 1e-12):
            h = min(dt, target * L**2 / D - t)
            a.step(h, i)
            a.commit()
            t += h
            dt *= 1.05
        s, x = a.profile()
        exact = constant_flux_slab(s, t, D, L, a.x0 * C_SI, i / FARADAY) / C_SI
        rise = exact.max() - a.x0
        err = np.max(np.abs(x - exact)) / rise
        worst = max(worst, err)
        assert err < 0.01, (target, err)
        assert abs(a.surface_x - exact[0]) < 0.01 * rise
    print(f"max error {worst:.2e} of the rise")


def test_lithium_is_conserved_through_a_cycle():
    a = anode(x0=1.0)
    q = 0.0
    for i, dt, n in ((4.0, 600.0, 30), (0.0, 600.0, 6), (-4.0, 600.0, 25), (0.0, 900.0, 4)):
        for _ in range(n):
            a.step(dt, i)
            a.commit()
            q += i * dt
            expected = a.x0 + q / (FARADAY * C_SI * L)
            assert abs(a.mean_x - expected) < 1e-10 * expected, (a.mean_x, expected)


def test_lithiation_front_leaves_the_collector_side_unreacted():
    a = anode(x0=1.0)
    i, dt = 4.0, 300.0  # 0.4 mA/cm^2
    fronts = []
    for _ in range(60):  # 5 h: 2 mAh/cm^2
        a.step(dt, i)
        a.commit()
        fronts.append(a.front_depth())
    s, x = a.profile()
    assert abs(x[-1] - a.x0) < 1e-6  # the collector side did not react
    assert np.all(np.diff(fronts[5:]) > 0)  # the front moves away from the separator
    assert a.reacted_fraction() < 0.4
    assert a.surface_x > 3.0
    # a sharp front: at twice the half-rise depth x is back at x0 (1e-3 of the face's rise);
    # a constant D of the lithiated alloy (1e-14 m^2/s) leaves 21 % there
    d = a.front_depth()
    assert a.x_at(np.array([2 * d]))[0] - a.x0 < 1e-3 * (a.surface_x - a.x0)


def test_electronic_resistance_of_a_uniform_layer():
    for x0 in (0.0, 0.7, 2.0, 3.0):
        a = anode(x0=x0)
        sigma = float(log_interp(x0, *S_TABLE))
        assert a.electronic_resistance() == pytest.approx(L / sigma, rel=1e-12)
    assert float(log_interp(0.0, *S_TABLE)) == pytest.approx(1e-2)  # 1e-4 S/cm, lab-study.md#silicon-cells
    assert float(log_interp(2.0, *S_TABLE)) == pytest.approx(1e3)  # 10 S/cm


def test_cell_voltage_carries_the_electronic_drop(shared_tmp):
    """A coupled Si cell solve: the voltage under charge current rises by i (R_e' - R_e) when
    the layer's conductivity table is scaled (the OCV and kinetics unchanged)."""
    import fem._dolfinx  # noqa: F401
    from fem.case import load_case
    from fem.cellstack.settings import electrochemistry_settings
    from fem.cli import resolve_case_path
    from fem.electrochemistry.cell_model import CellElectrochemistry
    from fem.geometry.files import load_or_build_mesh

    case = load_case(resolve_case_path("lco_li1si"), ["mesh.size_min='80 um'",
                                                      "materials.si.initial_lithiation=0"])
    cm = load_or_build_mesh(case, MPI.COMM_WORLD, str(shared_tmp))
    volts = []
    for scale in (1.0, 0.1):
        ec = CellElectrochemistry(cm, electrochemistry_settings(case), 298.15)
        xs, ys = ec.si.s_table
        ec.si.s_table = (xs, [y * scale for y in ys])
        v = ec.solve(4.0, 0.0, 75e6, dt=60.0)
        volts.append((v, ec.anode_drop, ec.si.electronic_resistance()))
    (v1, d1, r1), (v2, d2, r2) = volts
    assert r2 == pytest.approx(10 * r1, rel=1e-12)
    assert d1 == pytest.approx(4.0 * r1, rel=1e-12)
    assert v2 - v1 == pytest.approx(d2 - d1, rel=1e-6)


def test_anode_strain_follows_the_local_lithiation(shared_tmp):
    """In a coupled LiCoO2 | Li1Si run, each anode cell's accumulated eigenstrain follows the
    Li_xSi swelling e at the x of its depth: the increments (e1 - e0)/(1 + e0) compose to the
    stretch 1 + e, so their sum is ln(1 + e) up to the time discretisation (2 % of the largest);
    the lithiated zone at the separator swells, the collector side does not."""
    import tomllib

    from fem.case.loader import load_case_dict
    from fem.cli import resolve_case_path
    from fem.run.stack_run import StackRun

    raw = tomllib.loads(resolve_case_path("lco_li1si").read_text())
    raw["output"] = {"plots": False, "fields": False}
    raw["protocol"] = {"steps": ["Press at 75 MPa for 1 min", "Charge at 2 mA/cm^2 for 30 min"]}
    raw["solver"] = {"dt_initial": "1 min", "dt_max": "1 min"}
    raw["mesh"]["size_min"] = "15 um"
    sim = StackRun(load_case_dict(raw), progress=False)
    sim.run(shared_tmp / "si_local", overwrite=True)
    cm, e, vol = sim.stack.cm, sim.stack.echem, sim.stack.volume
    nloc = cm.mesh.topology.index_map(cm.mesh.topology.dim).size_local
    cells = cm.cells("anode")
    own = cells < nloc
    expected = np.log1p(vol.anode_strain_at_x(e.anode_x_of(cells[own])[1]))
    dofs = sim.stack.mech.eigen_total.function_space.dofmap.list[cells[own], 0]
    eps = sim.stack.mech.eigen_total.x.array.reshape(-1, 9)[dofs, 0]
    comm = cm.comm
    err = comm.allreduce(float(np.max(np.abs(eps - expected), initial=0.0)), op=MPI.MAX)
    top = comm.allreduce(float(np.max(expected, initial=0.0)), op=MPI.MAX)
    low = comm.allreduce(float(np.min(expected, initial=1.0)), op=MPI.MIN)
    assert top > 0.05 and low < 1e-6  # swollen at the separator, untouched at the collector
    print(f"largest strain {top:.3g}, error {err:.2g}")
    assert err < 0.02 * top, (err, top)
