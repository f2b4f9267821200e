"""Checkpoint files: written atomically, rotated, checked on read.

A checkpoint is one ``.npz`` (a zip with a CRC-32 per array) in ``OUTDIR/checkpoints/``:
the arrays of the state by input cell / node number and a JSON ``meta`` entry (scalars,
history rows, the case). Rank 0 writes it to a hidden temporary file, syncs it to disk and
renames it into place, so a crash while writing leaves the previous checkpoint intact; only
then are older checkpoints beyond ``keep`` deleted. On restart the newest checkpoint that
reads back completely (zip directory, every CRC, the list of arrays in ``meta``) is used; a
truncated or damaged one is reported and skipped.

The mesh file (``mesh.msh``) is copied next to the checkpoints once, so a restart does not
depend on the mesh cache.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from fem._dolfinx import MPI
from fem.errors import OutputError, RestartError
from fem.log import get_logger

FORMAT = "assb-fem checkpoint 2"
_NAME = re.compile(r"^ckpt-(\d+)\.npz$")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _collective(comm: MPI.Comm, fn, *args):
    """Run ``fn`` on rank 0 and raise its OSError as an OutputError on every rank."""
    err, result = None, None
    if comm.rank == 0:
        try:
            result = fn(*args)
        except OSError as exc:
            err = f"cannot write the checkpoint: {exc.strerror or exc} ({exc.filename})"
    err, result = comm.bcast((err, result), root=0)
    if err:
        raise OutputError(err)
    return result


class CheckpointStore:
    """The checkpoints of one run folder (collective on ``comm``)."""

    def __init__(self, folder: Path, comm: MPI.Comm, keep: int = 2):
        self.folder = Path(folder)
        self.comm = comm
        self.keep = max(int(keep), 1)

    # ------------------------------------------------------------------ writing
    def save_mesh(self, msh_file: Path | None) -> None:
        """Copy the mesh file once (collective)."""
        def copy() -> None:
            self.folder.mkdir(parents=True, exist_ok=True)
            dst = self.folder / "mesh.msh"
            if dst.exists() or msh_file is None:
                return
            tmp = self.folder / ".mesh.msh.tmp"
            shutil.copyfile(msh_file, tmp)
            os.replace(tmp, dst)

        _collective(self.comm, copy)

    def write(self, number: int, meta: dict[str, Any], arrays: dict[str, np.ndarray] | None
              ) -> Path:
        """Collective: write checkpoint ``number`` (``arrays`` needed on rank 0 only)."""
        def write0() -> Path:
            self.folder.mkdir(parents=True, exist_ok=True)
            final = self.folder / f"ckpt-{number:08d}.npz"
            tmp = self.folder / f".{final.name}.tmp"
            payload = dict(meta, format=FORMAT, arrays=sorted(arrays))
            blob = np.frombuffer(json.dumps(payload).encode(), dtype=np.uint8)
            with tmp.open("wb") as fh:
                np.savez(fh, meta=blob, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, final)
            _fsync_dir(self.folder)
            for old in self.checkpoints()[self.keep:]:
                old.unlink(missing_ok=True)
            return final

        return _collective(self.comm, write0)

    # ------------------------------------------------------------------ reading
    def checkpoints(self) -> list[Path]:
        """The checkpoint files, newest first (rank-local listing)."""
        if not self.folder.is_dir():
            return []
        found = [(int(m.group(1)), p) for p in self.folder.iterdir()
                 if (m := _NAME.match(p.name))]
        return [p for _, p in sorted(found, reverse=True)]

    def latest_valid(self) -> Path:
        """Collective: the newest checkpoint that reads back completely; damaged ones are
        reported and skipped. RestartError when there is none."""
        chosen, skipped = None, []
        if self.comm.rank == 0:
            for path in self.checkpoints():
                problem = verify(path)
                if problem is None:
                    chosen = path
                    break
                skipped.append(f"{path.name}: {problem}")
        chosen, skipped = self.comm.bcast((chosen, skipped), root=0)
        log = get_logger()
        for s in skipped:
            log.warning(f"damaged checkpoint skipped ({s})")
        if chosen is None:
            why = "; ".join(skipped) if skipped else "none written"
            raise RestartError(f"no usable checkpoint in {self.folder} ({why})")
        return chosen


def verify(path: Path) -> str | None:
    """None if the checkpoint reads back completely, else what is wrong with it."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if meta.get("format") != FORMAT:
                return f"unknown format {meta.get('format')!r}"
            missing = set(meta["arrays"]) - set(data.files)
            if missing:
                return f"arrays missing: {sorted(missing)}"
            for name in meta["arrays"]:
                data[name]  # reading checks the CRC
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def load(path: Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a checkpoint (every rank reads the file itself)."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        arrays = {name: data[name] for name in meta["arrays"]}
    return meta, arrays


_SUFFIXES = (".interrupted", ".failed")


def find_restart_folder(outdir: str | Path) -> tuple[Path, Path]:
    """(the folder whose checkpoints to continue from, the run's final folder) for
    ``--restart OUTDIR``: OUTDIR itself when it holds checkpoints (a finished, interrupted or
    failed run), else OUTDIR.interrupted, OUTDIR.failed or the hidden partial folder a killed
    run left (``.OUTDIR.partial-*``), whichever has the newest checkpoint."""
    p = Path(outdir).resolve()
    final = p
    for suffix in _SUFFIXES:
        if p.name.endswith(suffix):
            final = p.with_name(p.name[: -len(suffix)])
    candidates = [p] if (p / "checkpoints").is_dir() else []
    if not candidates:
        candidates = [final.with_name(final.name + s) for s in _SUFFIXES]
        candidates += sorted(final.parent.glob(f".{final.name}.partial-*"))
        candidates.append(final)
    best, newest = None, -1.0
    for c in candidates:
        files = CheckpointStore(c / "checkpoints", MPI.COMM_SELF).checkpoints()
        if files and files[0].stat().st_mtime > newest:
            best, newest = c, files[0].stat().st_mtime
    if best is None:
        raise RestartError(f"--restart {outdir}: no checkpoints found in {p} or beside it "
                           f"({final.name}.interrupted, {final.name}.failed, "
                           f".{final.name}.partial-*)")
    return best, final
