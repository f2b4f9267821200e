"""Exceptions that the command line turns into one clear message and a non-zero exit."""

from __future__ import annotations

#: Longest text of a value (or key) a message quotes whole; longer ones are cut in the middle
#: (a 10 MB name must not give 20 MB of stderr).
MAX_QUOTED = 200


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` as it is, or cut to about ``limit`` characters with its length in the middle:
    ``'xxxx ... [200000 characters] ... xxxx'``."""
    if len(text) <= limit:
        return text
    half = max(limit // 2 - 20, 10)
    return f"{text[:half]} ... [{len(text)} characters] ... {text[-half:]}"


def quoted(value: object, limit: int = MAX_QUOTED) -> str:
    """``repr(value)``, cut by :func:`shorten` when long (a huge list or int is not repr'd
    whole either: a 4300-digit int repr raises, a long list is cut)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4 * limit:
        return f"<an integer of about {int(value.bit_length() * 0.30103)} digits>"
    if isinstance(value, list | tuple | dict) and len(value) > limit:
        return f"<a {type(value).__name__} of {len(value)} items>"
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # int digit limit, deeply nested data
        return f"<a {type(value).__name__} too large to print>"
    return shorten(text, limit)


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
        super().__init__(f"case error: {shorten(key)} = {quoted(value)}: "
                         f"{shorten(allowed, 20 * MAX_QUOTED)}")


class CaseWarning(UserWarning):
    """Physically dubious but legal input (outside a plausible range): the message names the
    source of the range."""


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
