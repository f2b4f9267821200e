"""Running a case: the protocol drivers (cell stacks, interface patches), their shared time-step
control and run-folder lifecycle, and checkpoints."""
