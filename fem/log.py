"""Rank-0 logging: only rank 0 prints; every rank may call the logger."""

from __future__ import annotations

import logging
import sys

from fem._dolfinx import MPI

_LOGGER = "assb_fem"


class _StderrHandler(logging.StreamHandler):
    """Writes to the current ``sys.stderr`` (which tests and notebooks may replace)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ assigns it; ignore
        pass


class _QuietHandler(logging.NullHandler):
    """Ranks other than 0: messages are dropped."""


def get_logger() -> logging.Logger:
    """The package logger; it writes to stderr on rank 0 and drops messages elsewhere. Its own
    handler is added once, whatever other handlers (a notebook's, pytest's) the logger has."""
    log = logging.getLogger(_LOGGER)
    if not any(isinstance(h, _StderrHandler | _QuietHandler) for h in log.handlers):
        if MPI.COMM_WORLD.rank == 0:
            h = _StderrHandler()
            h.setFormatter(logging.Formatter("assb-fem: %(message)s"))
        else:
            h = _QuietHandler()
        log.addHandler(h)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


class Progress:
    """A tqdm progress bar over simulated time on rank 0 (a no-op elsewhere or when off).

    The total is the time passed plus the expected time left, which the driver passes with
    each update (steps "until" a cut-off have no fixed length); the bar reaches 100 % only at
    :meth:`close` after the last step."""

    def __init__(self, total_s: float, enabled: bool, comm: MPI.Comm):
        self.bar = None
        self.done = 0.0
        if enabled and comm.rank == 0:
            from tqdm import tqdm

            self.bar = tqdm(total=round(total_s / 3600, 4), unit="h", desc="simulated",
                            bar_format="{l_bar}{bar}| {n:.2f}/{total:.2f} h [{elapsed}] {postfix}",
                            file=sys.stderr, dynamic_ncols=True)

    def update(self, dt_s: float, step: str, remaining_s: float | None = None) -> None:
        """``dt_s`` more simulated; ``remaining_s``: the expected simulated time left."""
        self.done += dt_s
        if self.bar is None:
            return
        self.bar.set_postfix_str(step[:60], refresh=False)
        inc = round(dt_s / 3600, 6)
        total = self.bar.total
        if remaining_s is not None:
            total = round((self.done + remaining_s) / 3600, 4)
        # never full before the end: keep at least 1 % (and what tqdm rounds away) ahead
        total = max(total, (self.bar.n + inc) * 1.01 + 1e-4)
        if total != self.bar.total:
            self.bar.total = total
        self.bar.update(inc)

    def close(self, finished: bool = False) -> None:
        if self.bar is not None:
            if finished:
                self.bar.total = self.bar.n
                self.bar.refresh()
            self.bar.close()
            self.bar = None
