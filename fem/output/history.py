"""history.csv: one row per accepted time step (rank 0 writes; rows are flushed as they come)."""

from __future__ import annotations

import csv
from pathlib import Path

from fem._dolfinx import MPI

#: Columns always written, in this order; physics modules add theirs after these.
BASE_COLUMNS = [
    "time_s",
    "step",
    "cycle",
    "dt_s",
    "stack_pressure_MPa",
    "stack_strain",
    "platen_displacement_um",
    "temperature_K",
    "current_density_mA_cm2",
    "capacity_mAh_cm2",
    "newton_iterations",
]


class History:
    """Collects rows (on every rank, identical) and writes them on rank 0."""

    def __init__(self, path: Path, comm: MPI.Comm, extra_columns: list[str] | None = None,
                 rows: list[dict] | None = None):
        """``rows``: the rows of the run so far (a restart); the file is rewritten with them,
        so rows written after the checkpoint by the interrupted run are not duplicated."""
        self.columns = BASE_COLUMNS + list(extra_columns or []) + ["step_label"]
        self.rows: list[dict] = []
        self.comm = comm
        self._file = None
        if comm.rank == 0:
            self._file = path.open("w", newline="")
            self._writer = csv.DictWriter(self._file, fieldnames=self.columns)
            self._writer.writeheader()
        for row in rows or []:
            self.append(row)

    def append(self, row: dict) -> None:
        missing = set(self.columns) - set(row)
        if missing:
            raise KeyError(f"history row lacks {sorted(missing)}")
        self.rows.append(row)
        if self._file is not None:
            self._writer.writerow({k: _fmt(row[k]) for k in self.columns})
            self._file.flush()

    def column(self, name: str) -> list:
        return [r[name] for r in self.rows]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _fmt(v):
    return repr(float(v)) if isinstance(v, float) else v


def read_history(path: str | Path) -> dict[str, list]:
    """Read a history.csv into columns (numbers as floats)."""
    with Path(path).open() as f:
        rows = list(csv.DictReader(f))
    out: dict[str, list] = {k: [] for k in (rows[0].keys() if rows else [])}
    for r in rows:
        for k, v in r.items():
            try:
                out[k].append(float(v))
            except ValueError:
                out[k].append(v)
    return out
