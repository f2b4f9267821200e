"""Exceptions that the command line turns into one clear message and a non-zero exit."""

from __future__ import annotations


class AssbError(Exception):
    """Base class of the errors assb-fem reports to the user without a traceback."""

    exit_code = 1


class CaseError(AssbError):
    """Invalid case input: names the key, the value and what is allowed."""

    exit_code = 2

    def __init__(self, key: str, value: object, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"case error: {key} = {value!r}: {allowed}")


class ProtocolError(CaseError):
    """A protocol step string that cannot be parsed."""


class OutputError(AssbError):
    """The output folder cannot be written."""

    exit_code = 3


class SolverError(AssbError):
    """The nonlinear solver failed after all time-step cut-backs."""

    exit_code = 4


class Interrupted(AssbError):
    """SIGTERM or SIGINT arrived (a scheduler's wall-time limit, Ctrl-C): the run stopped
    cleanly after the current step."""

    exit_code = 5


class RestartError(AssbError):
    """``--restart`` found no usable checkpoint, or one that does not fit the case or mesh."""

    exit_code = 6
