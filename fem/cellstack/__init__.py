"""The cell stack: the one place where the physics meet (mechanics, creep, electrochemistry,
volume change, interface stations, holder and probes).

``settings`` turns a resolved case into the typed settings each solver receives; the solvers
themselves never see the case.
"""

from fem.cellstack.cell_stack import CellStack, Drive, StepOutcome, StepTooLong
from fem.cellstack.lifecycle import PhysicsModel
from fem.cellstack.outputs import StackOutputs
from fem.cellstack.state import StackState

__all__ = ["CellStack", "Drive", "PhysicsModel", "StackOutputs", "StackState", "StepOutcome",
           "StepTooLong"]
