"""The cell stack: mechanics, creep, electrochemistry, volume change, interface stations, holder
and probes, and how they couple within one time step.

One step (staggered; the Li | separator pressure and the contact fraction lag by a step):

1. electrochemistry at the step's current (or held voltage) with the interface pressure of the
   last step: cell voltage, local interface current, cathode SOC (``check`` may stop the step
   here: a voltage cut-off or the end current of a hold was overshot);
2. volume change: the eigenstrain increment of plating / stripping, cathode breathing and Li_xSi
   swelling from that current and SOC;
3. mechanics with creep (bordered Newton with the holder's equation);
4. on :meth:`commit`: the interface stations advance with the committed stress and current, and
   the contact fraction is pushed into the Li kinetics for the next step.

A :class:`CellStack` follows the lifecycle of :class:`fem.cellstack.lifecycle.PhysicsModel`:
``solve`` / ``commit`` / ``restore`` / ``state`` / ``set_state``; what the history and the
field file show comes from :mod:`fem.cellstack.outputs`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fem.case.model import Case
from fem.cellstack.settings import (
    compaction_settings,
    electrochemistry_settings,
    holder_settings,
    inelastic_settings,
    interface_layout,
    interface_parameters,
    stack_mechanics_settings,
    volume_change_settings,
)
from fem.cellstack.state import StackState, capture, restore
from fem.geometry.mesh import CellMesh
from fem.interface.short_circuit import ShortCriterion, ShortPrediction
from fem.interface.stations import InterfaceStations
from fem.log import get_logger
from fem.mechanics.compaction import attach_compaction
from fem.mechanics.creep_setup import attach_creep
from fem.mechanics.probes import InterfacePressure, LiThickness
from fem.mechanics.stack import NewtonFailure, StackMechanics
from fem.mechanics.volume_change import VolumeChange


class StepTooLong(Exception):  # noqa: N818 - a control-flow signal, not an error
    """A solved step broke an accuracy bound (the creep increment): not a failed solve; the
    driver retries it with ``fraction`` of its dt (the bound over the increment: the increment
    grows with dt, at most linearly)."""

    def __init__(self, fraction: float, why: str):
        super().__init__(why)
        self.fraction = fraction


@dataclass
class Drive:
    """What the protocol imposes on a step: the current density (A/m^2, + charge; a hold
    overwrites it with the current it solves for), the held cell voltage of a
    constant-voltage hold (None otherwise), the charge passed before the step (C/m^2), the
    temperature (K) and the predictor ratio of the displacement increment."""

    current: float = 0.0
    charge: float = 0.0
    temperature: float = 298.15
    voltage: float | None = None
    current_guess: float | None = None
    predictor: float = 0.0
    #: called after the electrochemistry with (voltage, previous voltage, current, dt); may
    #: raise fem.run.step_rules.CutOff to retry the step shorter
    check: Callable[[float, float, float, float], None] | None = None


@dataclass
class StepOutcome:
    """The answer of a solved (not yet committed) step."""

    iterations: int
    pressure: float
    current: float
    voltage: float | None
    creep_increment: float


class CellStack:
    """The physics of one cell stack on a mesh (collective on the mesh's communicator)."""

    def __init__(self, cm: CellMesh, case: Case, temperature: float):
        self.cm, self.comm = cm, cm.comm
        self.solver = case.solver
        self.holder = holder_settings(case)
        self.mech = StackMechanics(cm, stack_mechanics_settings(case), self.holder)
        self.creep = attach_creep(self.mech, inelastic_settings(case))
        self.compaction = attach_compaction(self.mech, compaction_settings(case))
        self.echem = None
        hooks = {}
        if case.electrochemistry:
            from fem.electrochemistry.cell_model import CellElectrochemistry

            self.echem = e = CellElectrochemistry(cm, electrochemistry_settings(case), temperature)
            hooks = {"current_density": e.plating_current,
                     "cathode_soc": e.cathode_soc_of if e.cathode is not None else None,
                     "anode_lithiation": e.anode_x_of if e.si is not None else None}
        self.volume = VolumeChange(self.mech, volume_change_settings(case), creep=self.creep,
                                   **hooks)
        self.mech.setup()
        self.stations, self.short_criterion = self._interface(case)
        self.li_probe = LiThickness(self.mech)
        self.interface_probe = InterfacePressure(self.mech)
        self.height = case.cell.height
        #: wall time (s) in the electrochemistry and the mechanics solves
        self.timing = {"electrochemistry": 0.0, "mechanics": 0.0}
        self.pressure = 0.0  # stack pressure of the last solve (Pa)
        self.voltage_last = 0.0  # cell voltage of the last committed step (V)
        self.creep_increment = 0.0

    def _interface(self, case: Case) -> tuple[InterfaceStations | None, ShortCriterion | None]:
        """The reduced Li | separator interface model and the short criterion (fem.interface)."""
        if case.interface is None or not case.interface.enabled:
            return None, None
        layout = interface_layout(case)
        stations = InterfaceStations(self.mech, layout, interface_parameters(case))
        if not stations.active:
            return None, None
        return stations, ShortCriterion(stations, layout.separator_thickness)

    @property
    def ndofs(self) -> int:
        return self.mech.ndofs

    @property
    def voltage(self) -> float | None:
        return self.echem.voltage if self.echem is not None else None

    # ------------------------------------------------------------------ one step
    def solve(self, dt: float, drive: Drive) -> StepOutcome:
        """Solve one step of ``dt`` under ``drive`` (not committed; collective). Raises
        NewtonFailure when a solve fails and whatever ``drive.check`` raises."""
        self.mech.begin_step(drive.predictor)
        self.holder.begin_step(dt, drive.temperature)
        if self.mech.rims is not None:
            self.mech.rims.begin_step(dt, drive.temperature)
        if self.echem is not None:
            t0 = time.perf_counter()
            try:
                self._solve_electrochemistry(dt, drive)
            finally:
                self.timing["electrochemistry"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        self.volume.step(drive.current, dt, drive.charge + drive.current * dt, drive.temperature)
        if self.creep is not None:
            self.creep.dt, self.creep.T = max(dt, 1e-12), drive.temperature
        s = self.solver
        try:
            res = self.mech.solve(s.newton_rtol, s.newton_atol, s.newton_max_it)
        finally:
            self.timing["mechanics"] += time.perf_counter() - t0
        self.creep_increment = 0.0
        if self.creep is not None:
            dp = self.creep_increment = self.creep.increment_measure()
            if dp > 2 * self.creep.max_increment and dt > s.dt_min * (1 + 1e-9):
                raise StepTooLong(self.creep.max_increment / dp,
                                  f"creep increment {dp:.3g} exceeds twice "
                                  f"{self.creep.max_increment:g}")
        self.pressure = res.pressure
        return StepOutcome(res.iterations, res.pressure, drive.current, self.voltage,
                           self.creep_increment)

    def _solve_electrochemistry(self, dt: float, drive: Drive) -> None:
        """The voltage and current distribution of this step (staggered: with the SOC and
        interface pressure of the last step). A hold solves for the current at the held
        voltage and writes it into ``drive.current``."""
        e = self.echem
        e.set_temperature(drive.temperature)
        pressure = self.interface_probe.value()
        try:
            if drive.voltage is not None:
                guess = drive.current_guess if drive.current_guess is not None else drive.current
                drive.current = e.solve_voltage(drive.voltage, drive.charge, pressure, dt, guess)
            else:
                e.solve(drive.current, drive.charge, pressure, dt)
        except RuntimeError as exc:
            raise NewtonFailure(str(exc), []) from None
        if drive.check is not None:
            drive.check(e.voltage, self.voltage_last, drive.current, dt)

    def initialise(self, pressure: float, temperature: float) -> int:
        """The holder's initial pressure on the platen at rest, committed; returns the Newton
        iterations (raises NewtonFailure)."""
        self.holder.set_pressure(pressure)
        self.pressure = 0.0
        its = self.solve(0.0, Drive(temperature=temperature)).iterations
        self.mech.commit()
        self.volume.commit()
        self.holder.commit(self.pressure)
        if self.stations is not None:
            self.stations.initialise()
            self._advance_interface(0.0, 0.0, temperature)
        self._commit_electrochemistry()
        return its

    def commit(self, dt: float, current: float, temperature: float) -> None:
        """Accept the solved step; the interface stations advance with its stress and current."""
        self.mech.commit()
        self.volume.commit()
        self.holder.commit(self.pressure)
        self._advance_interface(dt, current, temperature)
        self._commit_electrochemistry()

    def _commit_electrochemistry(self) -> None:
        if self.echem is not None:
            self.echem.commit()
            self.voltage_last = self.echem.voltage

    def restore(self, reset_voltage: bool = False) -> None:
        """Forget the solved step (after a failure, or a cut-off overshoot: ``reset_voltage``
        also puts the last committed voltage back as the next solve's starting point)."""
        self.mech.restore()
        if self.echem is not None:
            self.echem.restore()
            if reset_voltage:
                self.echem.set_state_scalars({"voltage": self.voltage_last})

    # ------------------------------------------------------------------ interface
    def _advance_interface(self, dt: float, current: float, temperature: float) -> None:
        if self.stations is not None:
            self.stations.advance(self.volume.current_density, current, dt, temperature)
            self.stations.commit()
            self.push_contact()

    def push_contact(self) -> None:
        """The committed contact fraction into the electrochemistry's Li kinetics (f i0) for
        the next step (staggered, as the pressure; collective)."""
        if self.stations is None or self.echem is None:
            return
        self.stations.kinetics_carry_contact = True
        for sign, r, f in self.stations.contact_profiles(self.cm.axisymmetric):
            self.echem.set_contact_fraction("li" if sign > 0 else "counter", r, f)

    def check_short(self, step: int, entry, t: float, current: float) -> ShortPrediction | None:
        """The short criterion after an accepted step (collective); None without the interface
        model or when no short is predicted."""
        if self.short_criterion is None:
            return None
        return self.short_criterion.check(step, entry, t, current)

    # ------------------------------------------------------------------ state
    def state(self) -> StackState:
        """The stack's state after the last commit (local rows; see fem.cellstack.state)."""
        return capture(self)

    def set_state(self, state: StackState) -> None:
        restore(self, state)

    # ------------------------------------------------------------------ holder
    def lock_holder(self) -> None:
        """Engage the holder at the current pressure and platen position."""
        self.holder.lock(self.pressure, self.mech.U)
        get_logger().info(f"  holder locked ({self.holder.kind}) at {self.pressure / 1e6:.4g} MPa")

    def close(self) -> None:
        """Free the solvers' PETSc objects (collective)."""
        self.mech.close()
        if self.echem is not None:
            self.echem.close()

    def mesh_info(self) -> dict[str, int]:
        msh = self.cm.mesh
        return {"cells": msh.topology.index_map(msh.topology.dim).size_global,
                "displacement_dofs": self.mech.ndofs}
