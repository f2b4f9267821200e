"""Checkpoints of a run and restart from them.

* :mod:`fem.checkpoint.cellwise`: fields and per-point state keyed by the mesh's input cell
  and node numbers, so that a checkpoint written on N ranks reads back on M ranks;
* :mod:`fem.checkpoint.store`: atomic checkpoint files, rotation, corruption detection;
* :mod:`fem.checkpoint.run_state`: what a :class:`fem.simulation.Simulation` saves and restores.
"""

from fem.checkpoint.store import CheckpointStore, find_restart_folder

__all__ = ["CheckpointStore", "find_restart_folder"]
