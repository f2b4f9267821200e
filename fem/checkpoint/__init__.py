"""Checkpoint files and N-to-M rank data.

* :mod:`fem.checkpoint.cellwise`: fields and per-point state keyed by the mesh's input cell
  and node numbers, so that a checkpoint written on N ranks reads back on M ranks;
* :mod:`fem.checkpoint.store`: atomic checkpoint files, rotation, corruption detection.

What a run puts into a checkpoint is :mod:`fem.run.checkpoint`'s business.
"""

from fem.checkpoint.store import CheckpointStore, find_restart_folder

__all__ = ["CheckpointStore", "find_restart_folder"]
