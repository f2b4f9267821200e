"""The state of a run besides the physics: where it is in the protocol, what drives the cell,
the step counters and the time-step control. One dataclass, checkpointed as it is."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class RunState:
    """Scalars of a run after its last accepted step (SI)."""

    t: float = 0.0
    #: what drives the cell: temperature (K), current density (A/m^2, + charge) and the charge
    #: passed since the start (C/m^2, signed)
    temperature: float = 298.15
    #: a temperature change under way: [from (K), start time (s), ramp time (s)] (None: none)
    heating: list[float] | None = None
    current: float = 0.0
    charge: float = 0.0
    #: step counters
    accepted: int = 0
    failed: int = 0
    #: steps retried shorter for an accuracy bound (the creep increment), not failed solves
    shortened: int = 0
    newton_total: int = 0
    step_walltime: list[float] = field(default_factory=list)
    #: protocol position: entry index, time into it, stack pressure at its start
    entry: int = -1
    tau: float = 0.0
    entry_pressure: float = 0.0
    #: time-step control: the next step, the last accepted one, the entry's first one
    dt: float = 0.0
    last_dt: float = 0.0
    dt_entry: float = 0.0
    #: the last accepted current of a running constant-voltage hold (None outside one)
    hold_current: float | None = None
    #: restarts so far, wall time of the runs continued, fields written at, XDMF meshes
    restarts: int = 0
    wall_before: float = 0.0
    fields_written_at: float | None = None
    xdmf_meshes: list[list] | None = None

    def set_temperature(self, temperature: float, ramp: float) -> None:
        """A 'Set temperature' step: reach ``temperature`` linearly over ``ramp`` s from now."""
        if temperature != self.temperature:
            self.heating = [self.temperature_at(self.t), self.t, ramp]
            self.temperature = temperature

    def advance_time(self, dt: float) -> None:
        """The time after an accepted step of dt; a temperature ramp ends when it is done."""
        self.t += dt
        if self.heating is not None and self.t >= self.heating[1] + self.heating[2] * (1 - 1e-12):
            self.heating = None

    def temperature_at(self, t: float) -> float:
        """The cell temperature at time t (K): the set temperature, reached linearly from the
        last one over the ramp of its 'Set temperature' step. A step without a ramp is eased in
        over the first time step after it (dt_initial / 4, the step a jump starts with), so
        that a step cut back after a failed solve takes a part of the thermal load, not all of
        it (li_symmetric_ccd after a 1 min hold at 1 MPa: the whole 15 K at once failed down to
        dt = 1 ms at the Li rims' bonded plunger corners)."""
        if self.heating is None:
            return self.temperature
        T0, t0, ramp = self.heating
        return T0 + (self.temperature - T0) * min(max((t - t0) / ramp, 0.0), 1.0)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunState:
        return cls(**values)
