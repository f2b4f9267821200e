"""Solid diffusion in the cathode particles (issue 5 option, fem/electrochemistry/particle.py).

1. The exact constant-flux sphere solution (Carslaw & Jaeger sec. 9.3) that the parabolic
   profile is built on: its surface offset tends to F R / (5 D) (1e-9 at D t / R^2 = 2), the
   parabolic profile is within 1 % of it from D t / R^2 = 0.3 on, and at early times it is the
   semi-infinite 2 F sqrt(t / (pi D)) - 3 F t / R (1 %).
2. In a coupled cell solve with particle diffusion, the OCV the cathode reaction sees is the
   table's at the particle-surface SOC soc + tau_p (soc - soc_n)/dt (1e-5 V, the re-linearisation
   tolerance), and a charge step ends at a higher voltage than without it.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from conftest import BASE_CASE

from fem.electrochemistry.particle import exact_surface_offset, relaxation_time

R, D, F = 2.5e-6, 4e-15, 1e-5  # m, m^2/s, mol/(m^2 s)


def test_exact_sphere_solution_and_the_parabolic_profile():
    tau = R**2 / D
    long = exact_surface_offset(2.0 * tau, R, D, F)[0]
    assert long == pytest.approx(F * R / (5 * D), rel=1e-9)
    t = np.array([0.3, 0.5, 1.0]) * tau
    assert np.all(np.abs(exact_surface_offset(t, R, D, F) / (F * R / (5 * D)) - 1) < 0.01)
    early = 1e-4 * tau
    semi = 2 * F * math.sqrt(early / (math.pi * D)) - 3 * F * early / R
    assert exact_surface_offset(early, R, D, F, nterms=4000)[0] == pytest.approx(semi, rel=0.01)
    # in SOC units the parabolic offset is tau_p dsoc/dt with tau_p = R^2 / (15 D)
    c_rate = 3 * F / R  # dc_avg/dt of the flux
    assert relaxation_time(R, D) * c_rate == pytest.approx(F * R / (5 * D), rel=1e-12)


def _echem(tmp, particle: bool):
    from fem._dolfinx import MPI
    from fem.case.loader import load_case_dict
    from fem.cellstack.settings import electrochemistry_settings
    from fem.electrochemistry.cell_model import CellElectrochemistry
    from fem.geometry.files import load_or_build_mesh

    raw = copy.deepcopy(BASE_CASE)
    raw["electrochemistry"] = {"enabled": True, "particle_diffusion": particle}
    raw["mesh"] = {"size_min": "25 um", "size_max": "1 mm", "element_degree": 2}
    case = load_case_dict(raw)
    cm = load_or_build_mesh(case, MPI.COMM_WORLD, str(tmp))
    return CellElectrochemistry(cm, electrochemistry_settings(case), 298.15)


def test_cell_sees_the_ocv_at_the_particle_surface(shared_tmp):
    import dolfinx

    from fem._dolfinx import MPI
    from fem.electrochemistry.ocv import extended

    volts = {}
    for particle in (False, True):
        ec = _echem(shared_tmp / "mesh", particle)
        i_app, dt = 40.0, 600.0  # 4 mA/cm^2 (about 1C) for 10 min
        volts[particle] = ec.solve(i_app, 0.0, 5e6, dt)
        cat = ec.composite
        d = cat.owned
        soc, soc_n = cat.soc.x.array[d], cat.soc_n.x.array[d]
        tau = float(cat.tau_p.value)
        surface = cat.surface_soc(d)
        assert np.allclose(surface, soc + tau * (soc - soc_n) / dt, rtol=0, atol=1e-14)
        Q0 = cat.soc.function_space
        ocv = dolfinx.fem.Function(Q0)
        ocv.interpolate(dolfinx.fem.Expression(cat.ocv, Q0.element.interpolation_points))
        err = float(np.max(np.abs(ocv.x.array[d] - extended(cat.table, surface)), initial=0.0))
        assert MPI.COMM_WORLD.allreduce(err, op=MPI.MAX) < 1e-5
        if particle:
            assert tau == pytest.approx(relaxation_time(2.5e-6, 4e-15))
            lift = MPI.COMM_WORLD.allreduce(float(np.min(surface - soc, initial=1.0)),
                                            op=MPI.MIN)
            assert lift > 0.01  # the surface is well ahead of the mean at this rate
    assert volts[True] > volts[False] + 1e-3
