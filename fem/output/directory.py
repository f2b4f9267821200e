"""The run's output folder, written atomically.

Everything is written into a hidden sibling ``.<name>.partial-<id>`` and moved into place when
the run ends. A run that stops with an error is moved to ``<name>.failed`` with a ``FAILED``
file holding the message, so an unfinished run is never mistaken for a finished one.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from fem._dolfinx import MPI
from fem.errors import OutputError


class RunDirectory:
    """Collective on ``comm``: every rank gets the same paths; only rank 0 touches the disk."""

    def __init__(self, outdir: str | Path, comm: MPI.Comm, overwrite: bool = False):
        try:
            self.final = Path(outdir).resolve()
        except (OSError, ValueError) as exc:  # e.g. a NUL byte in the name
            raise OutputError(f"invalid output folder {str(outdir)!r}: {exc}") from None
        self.comm = comm
        err = None
        tmp = None
        if comm.rank == 0:
            try:
                if self.final.exists() and not overwrite:
                    raise OutputError(f"output folder {self.final} exists; use --overwrite or -o")
                if self.final.exists() and not self.final.is_dir():  # caught now, not after the run
                    raise OutputError(f"output folder {self.final} exists and is not a folder; "
                                      "--overwrite replaces folders only")
                self.final.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.final.parent / f".{self.final.name}.partial-{uuid.uuid4().hex[:8]}"
                tmp.mkdir()
            except OutputError as exc:
                err = str(exc)
            except OSError as exc:
                where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(self.final) else ""
                err = f"cannot create the output folder {self.final}: {exc.strerror or exc}{where}"
        err, tmp = comm.bcast((err, tmp), root=0)
        if err:
            raise OutputError(err)
        self.path = Path(tmp)

    @classmethod
    def resume(cls, folder: Path, final: Path, comm: MPI.Comm) -> RunDirectory:
        """Collective: continue the run kept in ``folder`` (``final``.interrupted, .failed, a
        killed run's partial folder, or ``final`` itself): it becomes the partial folder
        again, without its INTERRUPTED / FAILED marker."""
        self = cls.__new__(cls)
        self.final, self.comm = Path(final), comm
        err, tmp = None, None
        if comm.rank == 0:
            try:
                if self.final.exists() and Path(folder).resolve() != self.final:
                    raise OutputError(f"cannot restart into {self.final}: it exists (a finished "
                                      "run?); move it away first")
                tmp = self.final.parent / f".{self.final.name}.partial-{uuid.uuid4().hex[:8]}"
                os.replace(folder, tmp)
                for marker in ("INTERRUPTED", "FAILED"):
                    (tmp / marker).unlink(missing_ok=True)
            except OutputError as exc:
                err = str(exc)
            except OSError as exc:
                err = f"cannot reopen {folder} for the restart: {exc.strerror or exc}"
        err, tmp = comm.bcast((err, tmp), root=0)
        if err:
            raise OutputError(err)
        self.path = Path(tmp)
        return self

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def finish(self) -> Path:
        """Move the finished run into place (collective)."""
        self.comm.barrier()
        err = None
        if self.comm.rank == 0:
            try:
                if self.final.exists():
                    shutil.rmtree(self.final)
                os.replace(self.path, self.final)
            except OSError as exc:
                err = f"cannot move the results into {self.final}: {exc}"
        err = self.comm.bcast(err, root=0)
        if err:
            raise OutputError(err)
        return self.final

    def fail(self, message: str, suffix: str = "failed") -> Path:
        """Mark the run as failed (or interrupted) and move it to ``<name>.<suffix>`` with a
        ``FAILED`` (``INTERRUPTED``) file holding the message (collective)."""
        self.comm.barrier()
        failed = self.final.with_name(self.final.name + "." + suffix)
        if self.comm.rank == 0:
            try:
                (self.path / suffix.upper()).write_text(message + "\n")
                if failed.exists():
                    shutil.rmtree(failed)
                os.replace(self.path, failed)
            except OSError:
                pass
        self.comm.barrier()
        return failed

    def discard(self) -> None:
        """Remove the partial folder (collective)."""
        self.comm.barrier()
        if self.comm.rank == 0:
            shutil.rmtree(self.path, ignore_errors=True)
        self.comm.barrier()
