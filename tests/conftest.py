"""Test set-up: dolfinx is imported through the package's one import point first."""

from __future__ import annotations

import copy
import gc
import os
from pathlib import Path

import pytest

import fem._dolfinx  # noqa: F401  (must precede any dolfinx import)
from fem._dolfinx import MPI, PETSc, release_form_caches

ROOT = Path(__file__).resolve().parents[1]

#: A small valid case used throughout the tests (three layers, coarse mesh, short protocol).
BASE_CASE = {
    "name": "test_stack",
    "description": "small three-layer stack for tests",
    "cell": {
        "kind": "full",
        "radius": "5 mm",
        "layers": [
            {"name": "cathode", "role": "cathode", "material": "ncm811_composite",
             "thickness": "100 um"},
            {"name": "separator", "role": "separator", "material": "li6ps5cl",
             "thickness": "700 um"},
            {"name": "li", "role": "li", "material": "li", "thickness": "100 um"},
        ],
        "die": {"enabled": True},  # the 10 mm bore confines the stack (rigid wall)
    },
    # one element through the foil (mesh.li_cells = 1): the tests on this stack check the run's
    # machinery, not the foil's creep flow (tests/test_die_rim.py resolves it)
    "mesh": {"size_min": "100 um", "size_max": "1 mm", "element_degree": 2, "li_cells": 1},
    "holder": {"type": "fixed_gap", "pressure": "5 MPa", "frame_stiffness": "1.6e8 N/m"},
    "platens": {"contact": "bonded"},
    "protocol": {"steps": ["Press at 25 MPa for 10 min", "Release to 5 MPa", "Lock gap",
                           "Charge at 0.5 mA/cm^2 for 1 h", "Rest for 10 min"]},
    "solver": {"dt_initial": "5 min", "dt_max": "30 min"},
    "output": {"plots": True},
    # the short criterion is tested in test_interface_model; elsewhere a predicted short must
    # not end the short test protocols early
    "interface": {"stop_on_short": False},
}


@pytest.fixture(autouse=True)
def _free_mpi_resources():
    """After each test, free what its solvers and forms left behind (collective; every rank
    runs the same tests): MPICH has about 2000 communicators per process, and a full pass
    under mpirun otherwise exhausts them (abort with MPI_ERR_OTHER, exit code 15)."""
    yield
    release_form_caches()
    gc.collect()
    PETSc.garbage_cleanup(MPI.COMM_WORLD)


@pytest.fixture
def base_case() -> dict:
    return copy.deepcopy(BASE_CASE)


@pytest.fixture
def comm():
    return MPI.COMM_WORLD


def serial_only(reason: str = "runs mpirun itself; only in the serial pass"):
    return pytest.mark.skipif(MPI.COMM_WORLD.size > 1, reason=reason)


@pytest.fixture
def shared_tmp(tmp_path_factory, comm):
    """A temporary folder with the same path on every rank."""
    path = None
    if comm.rank == 0:
        path = str(tmp_path_factory.mktemp("shared"))
    path = comm.bcast(path, root=0)
    return Path(path)


def clean_env() -> dict:
    """The environment for a child mpirun: without the parent's PMI/MPI wiring."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("PMI_", "PMIX_", "MPIR_", "HYDRA_", "OMPI_"))}
