"""The lifecycle every physics model of a time step follows (an explicit protocol).

A step is solved (trial state), then either committed (the trial state becomes the state the
next step starts from) or restored (forgotten after a failed or rejected solve). The state
after a commit can be taken out as plain data and put back (checkpoint and restart), and the
model names what it shows (history values, fields).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class PhysicsModel(Protocol):
    """What the drivers and :class:`fem.cellstack.CellStack` rely on."""

    def commit(self, *args: Any) -> None:
        """Accept the solved step."""

    def restore(self, *args: Any) -> None:
        """Forget the solved step."""

    def state(self) -> Any:
        """The state after the last commit, as plain data (local to this rank)."""

    def set_state(self, state: Any) -> None:
        """Put a state taken by :meth:`state` back."""
