"""Uniform refinement of the stack mesh on the ranks (fem.geometry.refine, mesh.refine): the
named regions carried over, the 3D cylinder kept round, and a run on a refined mesh."""

from __future__ import annotations

import math

import numpy as np
import pytest
import ufl

from fem._dolfinx import MPI, dolfinx
from fem.case.loader import apply_overrides, load_case_dict
from fem.errors import CaseError
from fem.geometry import build_stack_mesh
from fem.geometry.files import refined


def _measures(cm) -> dict[str, float]:
    """The size (area or volume) of every named cell and facet group."""
    msh = cm.mesh
    dx = ufl.Measure("dx", domain=msh, subdomain_data=cm.cell_tags)
    ds = ufl.Measure("ds", domain=msh, subdomain_data=cm.facet_tags)
    dS = ufl.Measure("dS", domain=msh, subdomain_data=cm.facet_tags)
    one = dolfinx.fem.Constant(msh, 1.0)
    out = {}
    for name in cm.volume_names():
        out[name] = dolfinx.fem.assemble_scalar(dolfinx.fem.form(one * dx(cm.tag(name))))
    for name in cm.facet_names():
        form = one * ds(cm.tag(name)) + one("+") * dS(cm.tag(name))
        out[name] = dolfinx.fem.assemble_scalar(dolfinx.fem.form(form))
    return {k: msh.comm.allreduce(v, op=MPI.SUM) for k, v in out.items()}


def _cells(cm) -> int:
    return cm.mesh.topology.index_map(cm.mesh.topology.dim).size_global


def test_axisymmetric_refinement_keeps_every_region(base_case):
    """Once refined: 4 x the triangles, every layer's area and every boundary's and
    interface's length the same to round-off (straight boundaries, nothing moved)."""
    case = load_case_dict(apply_overrides(base_case, ["mesh.refine=1"]))
    coarse = build_stack_mesh(case, MPI.COMM_WORLD)
    c0 = _cells(coarse)
    m0 = _measures(coarse)
    fine = refined(coarse, case)
    assert _cells(fine) == 4 * c0
    m1 = _measures(fine)
    assert set(m1) == set(m0)
    for name, v in m0.items():
        assert v > 0 and m1[name] == pytest.approx(v, rel=1e-12), name


def test_3d_refinement_keeps_the_cylinder_round(base_case):
    """A 90 degree sector on a coarse 1.5 mm mesh, refined once: 8 x the tetrahedra; the new
    vertices on the cylinder moved onto r = R (to round-off), so the stack's volume, short of
    pi R^2 H / 4 by the coarse chords, comes at least 3 times closer (the chord's sagitta goes
    as h^2); the flat faces (top, bottom, symmetry planes, interfaces) keep their areas where
    they do not touch the cylinder, and every group survives."""
    case = load_case_dict(apply_overrides(base_case, [
        "mesh.dimension=3d", "mesh.size_min=300 um", "mesh.size_max=1.5 mm",
        "mesh.element_degree=1", "mesh.refine=1"]))
    coarse = build_stack_mesh(case, MPI.COMM_WORLD)
    c0, m0 = _cells(coarse), _measures(coarse)
    fine = refined(coarse, case)
    assert _cells(fine) == 8 * c0
    m1 = _measures(fine)
    assert set(m1) == set(m0)
    R, H = case.cell.radius, case.cell.height
    exact = math.pi * R**2 * H / 4
    v0 = sum(m0[n] for n in coarse.volume_names())
    v1 = sum(m1[n] for n in fine.volume_names())
    assert exact - v0 > 0 and abs(exact - v1) < (exact - v0) / 3
    fdim = fine.mesh.topology.dim - 1
    nodes = dolfinx.mesh.entities_to_geometry(fine.mesh, fdim, fine.facets("outer")).reshape(-1)
    x = fine.mesh.geometry.x[nodes]
    assert np.allclose(np.hypot(x[:, 0], x[:, 1]), R, rtol=1e-12)
    for name in ("symmetry_xz", "symmetry_rot"):  # planes: no vertex moves off them
        assert m1[name] == pytest.approx(m0[name], rel=1e-12)


def test_refine_is_for_straight_sided_stack_meshes(base_case):
    with pytest.raises(CaseError, match="mesh.refine"):
        load_case_dict(apply_overrides(base_case, ["mesh.refine=1", "mesh.geometry_order=2"]))
    with pytest.raises(CaseError, match="mesh.refine"):
        load_case_dict(apply_overrides(base_case, ["mesh.refine=9"]))


def test_a_refined_run_restarts_where_it_stopped(shared_tmp, comm, base_case):
    """The base case's protocol on its mesh refined once: stopped by a signal after step 6
    and restarted on the same rank count (the restart reads the coarse .msh and refines it
    again), its history equals the uninterrupted run's to 1e-10, and the mesh has 4 x the
    cells of the unrefined run."""
    from test_restart import _history_error, _StopAfter

    from fem.errors import Interrupted
    from fem.output.history import read_history
    from fem.run.stack_run import StackRun

    base_case["output"] = {"plots": False}

    def case(refine: int):
        return load_case_dict(apply_overrides(base_case, [f"mesh.refine={refine}"]))

    ref = StackRun(case(1), comm, progress=False)
    ref_out = ref.run(shared_tmp / "ref")
    with pytest.raises(Interrupted, match="checkpoint"):
        _StopAfter(case(1), comm, progress=False).run(shared_tmp / "out")
    out = StackRun.from_checkpoint(shared_tmp / "out", comm, progress=False).run("-")
    if comm.rank == 0:
        assert _history_error(read_history(ref_out / "history.csv"),
                              read_history(out / "history.csv")) < 1e-10
    coarse = build_stack_mesh(case(0), comm)
    assert ref.mesh_info["cells"] == 4 * _cells(coarse)
