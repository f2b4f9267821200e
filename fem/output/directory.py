"""The run's output folder: written atomically, and never anything but a run folder of ours.

Everything is written into a hidden sibling ``.<name>.partial-<id>`` and moved into place when
the run ends. A run that stops with an error is moved to ``<name>.failed`` with a ``FAILED``
file holding the message, so an unfinished run is never mistaken for a finished one.

Every folder a run makes carries the marker file :data:`MARKER`. An output path is refused
before anything is written when it is, or contains, the working directory or the case file
(a parent of either), and an existing folder is only ever replaced (``--overwrite``) when it
carries the marker: no command deletes or overwrites a user's files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from fem._dolfinx import MPI
from fem.errors import OutputError

#: The file that marks a folder as an assb-fem run folder (written when the folder is made).
MARKER = ".assb-fem-run"


def is_run_folder(path: Path) -> bool:
    """True when ``path`` is a folder that an assb-fem run made (it carries the marker)."""
    return path.is_dir() and not path.is_symlink() and (path / MARKER).is_file()


def require_run_folder(path: Path) -> None:
    """OutputError unless ``path`` is a run folder of ours: what ``plot`` and ``report`` write
    into (its ``plots/``, ``report.html``) must never be a user's folder."""
    if not path.is_dir():
        raise OutputError(f"{path} is not a folder (give a run's output folder)")
    if not is_run_folder(path):
        raise OutputError(f"{path} is not an assb-fem run folder (no {MARKER} marker): "
                          "assb-fem writes only into folders its runs made")


def write_marker(folder: Path, kind: str = "run") -> None:
    """Mark ``folder`` as made by assb-fem (``kind``: run, sweep)."""
    from fem import __version__

    (folder / MARKER).write_text(json.dumps({"made_by": "assb-fem", "kind": kind,
                                             "version": __version__}) + "\n")


def _resolve(path: str | Path, what: str) -> Path:
    text = str(path)
    if not text.strip():
        raise OutputError(f"{what}: empty path; name a folder, e.g. -o results/my_run")
    try:
        return Path(path).expanduser().resolve()
    except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a symlink loop
        raise OutputError(f"invalid {what} {text[:200]!r}: {exc}") from None


def check_output_path(final: Path, protected: Iterable[str | Path] = (), overwrite: bool = False,
                      what: str = "output folder") -> None:
    """Refuse ``final`` (resolved) when it is or contains the working directory or one of the
    ``protected`` paths (the case file), or exists and is not a folder of ours (or is one and
    ``overwrite`` is off). Raises OutputError naming the path and what to do instead."""
    guarded = [Path.cwd().resolve()]
    for p in protected:
        try:
            guarded.append(Path(p).expanduser().resolve())
        except (OSError, ValueError, RuntimeError):
            continue
    for g in guarded:
        if final == g or final in g.parents:
            role = "the working directory" if g == guarded[0] else f"the case file {g}"
            raise OutputError(f"{what} {final} is or contains {role}; a run writes only into a "
                              "folder of its own: choose another -o (default results/<name>)")
    if not (final.exists() or final.is_symlink()):
        return
    if not is_run_folder(final):
        raise OutputError(f"{what} {final} exists and is not an assb-fem run folder (no "
                          f"{MARKER} marker); assb-fem never replaces it: choose another -o")
    if not overwrite:
        raise OutputError(f"{what} {final} exists (an earlier run); use --overwrite to replace "
                          "it, or another -o")


def _replace_ours(path: Path) -> None:
    """Remove ``path`` only when it is a run folder of ours (else OutputError)."""
    if path.exists() or path.is_symlink():
        if not is_run_folder(path):
            raise OutputError(f"{path} appeared during the run and is not an assb-fem run "
                              "folder; it was left alone")
        shutil.rmtree(path)


class RunDirectory:
    """Collective on ``comm``: every rank gets the same paths; only rank 0 touches the disk."""

    def __init__(self, outdir: str | Path, comm: MPI.Comm, overwrite: bool = False,
                 protected: Iterable[str | Path] = ()):
        self.comm = comm
        err, tmp, final = None, None, None
        if comm.rank == 0:
            try:
                final = _resolve(outdir, "output folder")
                check_output_path(final, protected, overwrite)
                final.parent.mkdir(parents=True, exist_ok=True)
                tmp = final.parent / f".{final.name}.partial-{uuid.uuid4().hex[:8]}"
                tmp.mkdir()
                write_marker(tmp)
            except OutputError as exc:
                err = str(exc)
            except OSError as exc:
                where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(final) \
                    else ""
                err = (f"cannot create the output folder {final or str(outdir)[:200]}: "
                       f"{exc.strerror or exc}{where}")
        err, tmp, final = comm.bcast((err, tmp, final), root=0)
        if err:
            raise OutputError(err)
        self.final, self.path = Path(final), Path(tmp)

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
                if not is_run_folder(Path(folder)):
                    raise OutputError(f"cannot restart from {folder}: it is not an assb-fem run "
                                      f"folder (no {MARKER} marker)")
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
                _replace_ours(self.final)
                os.replace(self.path, self.final)
            except OutputError as exc:
                err = f"{exc}; the results are in {self.path}"
            except OSError as exc:
                err = f"cannot move the results into {self.final}: {exc}"
        err = self.comm.bcast(err, root=0)
        if err:
            raise OutputError(err)
        return self.final

    def fail(self, message: str, suffix: str = "failed") -> Path:
        """Mark the run as failed (or interrupted) and move it to ``<name>.<suffix>`` with a
        ``FAILED`` (``INTERRUPTED``) file holding the message (collective). A folder of that
        name that is not ours is left alone, and so is the partial folder (returned)."""
        self.comm.barrier()
        failed = self.final.with_name(self.final.name + "." + suffix)
        where = failed
        if self.comm.rank == 0:
            try:
                (self.path / suffix.upper()).write_text(message + "\n")
                _replace_ours(failed)
                os.replace(self.path, failed)
            except (OSError, OutputError):
                where = self.path if self.path.exists() else failed
        where = self.comm.bcast(where, root=0)
        return where
