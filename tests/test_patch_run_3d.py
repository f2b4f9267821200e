"""The 3D micro-scale patch run: trilinear hexahedra with selective reduced integration, nodal
contact on the quadrilateral faces, the 3D separator slab and the spot statistics.

A small square patch derived from cases/li_lpscl_rough_patch_3d.toml (6 um wide, 0.5 um RMS,
1.2 um correlation length, one 1 um radius pore 1 um deep, 3 um Li, 0.5 um elements on the contact
face: about 3.5k unknowns) runs through ``fem.run.patch_run.PatchRun`` in-process (serial, or on every rank
under ``mpirun -n 2``): 5 MPa for 1 min, then 25 MPa for 30 s.

Checks: the selective-reduced-integration residual is the derivative-consistent sum of its parts
(a linear elastic problem converges in one Newton step; the FFCx pitfall it avoids is described
in fem.contact.creep_contact.internal_work); the mesh groups and face grid; contact fraction grows
during the hold; force balance to 1e-8 and penetration below the tolerance at every step; the
3D slab conducts exactly through the mechanical contact; ASR never below R_ct / f; spot labelling
on a grid; P2 in 3D is refused before anything is written.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import ufl
from conftest import ROOT
from test_patch_run import _col, _rows, patch_outputs

from fem._dolfinx import MPI, dolfinx
from fem.case.loader import load_case_dict
from fem.contact.creep_contact import internal_work
from fem.contact.elastic_block import strain3
from fem.contact.meshes import graded_levels, hex_block_mesh
from fem.contact.newton import newton_problem, solve
from fem.contact.patch_model import count_spots_grid
from fem.errors import CaseError
from fem.mechanics.elasticity import elastic_stress
from fem.run.patch_run import PatchRun

HOLD = "Press at 5 MPa for 1 min"
HIGH = "Press at 25 MPa for 30 s"


def small_case_raw() -> dict:
    with (ROOT / "cases" / "li_lpscl_rough_patch_3d.toml").open("rb") as f:
        raw = tomllib.load(f)
    raw["name"] = "small_patch_3d"
    raw["patch"].update({"width": "6 um", "li_thickness": "3 um", "separator_thickness": "4 um"})
    raw["patch"]["roughness"].update({"points": 16, "correlation_length": "1.2 um"})
    raw["patch"]["pores"].update({"radius": "1 um", "depth": "1 um"})
    raw["mesh"] = {"size_min": "0.5 um", "size_max": "1.5 um", "element_degree": 1}
    raw["holder"]["pressure"] = "5 MPa"
    raw["protocol"] = {"steps": [HOLD, HIGH]}
    raw["solver"] = {"dt_initial": "1 s", "dt_min": "1 ms", "dt_max": "30 s"}
    raw["output"] = {"fields": True, "plots": False, "milestones": ["1 min", "30 min"]}
    return raw


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return patch_outputs(tmp_path_factory, small_case_raw(), "patch3d")


def test_selective_integration_is_consistent():
    """A linear elastic block (nu = 0.499) on hexahedra with the selective rule: Newton converges
    in one step (residual and Jacobian agree) and the uniaxial-strain solution is exact."""
    cm = hex_block_mesh(MPI.COMM_WORLD, (2e-6, 2e-6), 2e-6, 0.5e-6, 1e-6, 0.3)
    msh = cm.mesh
    V = dolfinx.fem.functionspace(msh, ("Lagrange", 1, (3,)))
    u, v = dolfinx.fem.Function(V), ufl.TestFunction(V)
    E, nu, P = 5e9, 0.499, 1e6
    G, lmbda = E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))
    dx = ufl.Measure("dx", domain=msh, metadata={"quadrature_degree": 2})
    ds = ufl.Measure("ds", domain=msh, subdomain_data=cm.facet_tags)
    F = (internal_work(elastic_stress(strain3(u, 3), G, lmbda), u, v, 3, lmbda + 2 * G / 3, dx,
                       True, cm) + P * v[2] * ds(cm.tag("top")))
    bcs = []
    for name, comp in (("contact", 2), ("left", 0), ("right", 0), ("front", 1), ("back", 1)):
        dofs = dolfinx.fem.locate_dofs_topological(V.sub(comp), 2, cm.facets(name))
        bcs.append(dolfinx.fem.dirichletbc(0.0, dofs, V.sub(comp)))
    problem = newton_problem(F, u, bcs, atol=1e-12 * P * 4e-12, rtol=1e-10)
    assert solve(problem) == 1
    uz = u.x.array.reshape(-1, 3)[:, 2]
    x = V.tabulate_dof_coordinates()
    top = x[:, 2] > 2e-6 * (1 - 1e-9)
    expected = -P * 2e-6 / (lmbda + 2 * G)
    assert uz[top] == pytest.approx(np.full(top.sum(), expected), rel=1e-8)


def test_hex_mesh_groups_and_grading():
    cm = hex_block_mesh(MPI.COMM_WORLD, (3e-6, 2e-6), 4e-6, 0.5e-6, 1.5e-6, 0.3)
    comm = cm.comm
    for name, area in (("contact", 6e-12), ("top", 6e-12), ("left", 8e-12), ("right", 8e-12),
                       ("front", 12e-12), ("back", 12e-12)):
        ds = ufl.Measure("ds", domain=cm.mesh, subdomain_data=cm.facet_tags)(cm.tag(name))
        a = comm.allreduce(dolfinx.fem.assemble_scalar(dolfinx.fem.form(1.0 * ds)))
        assert a == pytest.approx(area, rel=1e-10), name
    z = graded_levels(4e-6, 0.5e-6, 1.5e-6, 0.3)
    assert z[0] == 0.0 and z[-1] == pytest.approx(4e-6)
    h = np.diff(z)
    assert h[0] == pytest.approx(0.5e-6, rel=0.25) and np.all(np.diff(h) >= -1e-15)


def test_outputs_and_contact_growth(run):
    out, hist, summary = run
    for name in ("history.csv", "summary.json", "fields.xdmf", "case.resolved.toml"):
        assert (out / name).exists(), name
    assert summary["mesh"]["cell_type"] == "hexahedron"
    assert "3D" in summary["model"]
    hold = _rows(hist, HOLD)
    f = _col(hist, "contact_fraction")[hold]
    assert f[-1] > f[0] and np.all(np.diff(f) >= -1e-9)
    assert 0.0 < f[0] < 1.0
    assert np.all(_col(hist, "contact_spots")[hold] >= 1)
    void = _col(hist, "void_area_um2_per_um")[hold]
    assert void[-1] < void[0]


def test_force_balance_and_penetration(run):
    _, hist, summary = run
    assert np.max(_col(hist, "force_balance_error")) < 1e-8
    tol = summary["results"]["penetration_tolerance_um"]
    assert np.max(_col(hist, "max_penetration_um")) <= tol


def test_current_through_the_contact(run):
    """The slab conducts through the mechanical contact (same face grid), the ASR is at least
    the kinetic bound R_ct / f and the peak current at least i_app / f."""
    _, hist, summary = run
    r_ct = summary["results"]["charge_transfer_resistance_ohm_cm2"]
    f = _col(hist, "contact_fraction")
    cf = _col(hist, "conducting_fraction")
    assert np.allclose(cf, f, rtol=1e-12, atol=1e-12)
    asr = _col(hist, "interface_asr_ohm_cm2")
    assert np.all(asr >= r_ct / f * (1 - 1e-9))
    i = _col(hist, "probe_current_density_mA_cm2")
    assert np.all(_col(hist, "max_local_current_density_mA_cm2") >= i / f * (1 - 1e-9))


def test_count_spots_grid():
    xy = np.array([(x, y) for x in range(4) for y in range(3)], dtype=float)
    closed = np.zeros((4, 3), dtype=bool)
    closed[0, 0] = closed[1, 0] = True  # one spot of two nodes
    closed[3, 2] = True  # a second spot
    closed[2, 1] = True  # diagonal neighbour of (3, 2) and (1, 0): its own spot
    n, sizes = count_spots_grid(xy, closed.reshape(-1))
    assert n == 3 and sorted(sizes.tolist()) == [1, 1, 2]
    assert count_spots_grid(xy, np.zeros(12, dtype=bool))[0] == 0
    assert count_spots_grid(xy, np.ones(12, dtype=bool))[0] == 1


def test_quadratic_3d_refused_before_writing(tmp_path_factory):
    comm = MPI.COMM_WORLD
    base = str(tmp_path_factory.mktemp("refused3d")) if comm.rank == 0 else None
    base = comm.bcast(base, root=0)
    raw = small_case_raw()
    raw["mesh"]["element_degree"] = 2
    with pytest.raises(CaseError, match="element_degree"):
        PatchRun(load_case_dict(raw), comm).run(f"{base}/out")
    comm.barrier()
    assert not list(Path(base).iterdir())
