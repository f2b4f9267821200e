"""Electrochemistry of the cell stack: conductivities, kinetics, open-circuit potentials, the
coupled ionic/electronic potential problem and Li transport in Li_xSi (issue 5).

Modules: :mod:`.conductivity`, :mod:`.kinetics`, :mod:`.ocv`, :mod:`.particle`,
:mod:`.parameters` (default values with sources), :mod:`.settings` (what the cell model reads,
built from a case by :func:`fem.cellstack.settings.electrochemistry_settings`),
:mod:`.potential` and :mod:`.diffusion` (dolfinx solvers), :mod:`.silicon` (the Li_xSi
lithiation profile) and the cell model :mod:`.cell_model` with its parts :mod:`.submesh`,
:mod:`.cathode`, :mod:`.lixsi_electrode` and :mod:`.outputs`. The dolfinx modules are imported
on demand.
"""

from fem.constants import FARADAY, GAS_CONSTANT, T_REF, thermal_voltage
from fem.electrochemistry.conductivity import arrhenius, bruggeman_tortuosity, effective_conductivity
from fem.electrochemistry.kinetics import (
    Kinetics,
    butler_volmer,
    charge_transfer_resistance,
    mechanical_potential_shift,
    overpotential,
)
from fem.electrochemistry.ocv import TABLES, OcvTable, open_circuit_potential

__all__ = [
    "FARADAY", "GAS_CONSTANT", "T_REF", "TABLES", "Kinetics", "OcvTable", "arrhenius",
    "bruggeman_tortuosity", "butler_volmer", "charge_transfer_resistance", "effective_conductivity",
    "mechanical_potential_shift", "open_circuit_potential", "overpotential", "thermal_voltage",
]
