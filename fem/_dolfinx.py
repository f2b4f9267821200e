"""The one import point for dolfinx, petsc4py and mpi4py.

The PyPI wheel ``dolfinx-solver-real`` ships MPI inside the wheel: ``import dolfinx_solver``
must run before the first ``import dolfinx`` or ``petsc4py``, or the MPI library is not found.
On the official dolfinx images and conda installs the module does not exist and nothing is
needed. Every module of assb-fem imports dolfinx through here::

    from fem._dolfinx import MPI, PETSc, dolfinx
"""

from __future__ import annotations

try:  # PyPI wheel: sets up the bundled MPI before dolfinx loads
    import dolfinx_solver  # noqa: F401
except ImportError:  # official images / conda: dolfinx is found as it is
    pass

import dolfinx  # noqa: E402
import dolfinx.fem.petsc  # noqa: E402,F401
import dolfinx.io  # noqa: E402,F401
import dolfinx.mesh  # noqa: E402,F401
from mpi4py import MPI  # noqa: E402
from petsc4py import PETSc  # noqa: E402

__all__ = ["MPI", "PETSc", "dolfinx"]
