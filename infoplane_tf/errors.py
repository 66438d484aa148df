"""The exceptions a caller catches by type when training stops, TensorFlow-free so the command
line and a sweep's worker can catch them without importing it."""

from __future__ import annotations


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on request at an epoch end, after its resume state was written.

    Attributes:
        iteration: updates done; epochs: epochs finished; reason: what asked for the stop
        (a signal's name); run: the run directory, when a training workflow stopped.
    """

    def __init__(self, iteration: int, epochs: int, reason: str):
        super().__init__(f"{reason}: stopped after epoch {epochs} (iteration {iteration})")
        self.iteration, self.epochs, self.reason = iteration, epochs, reason
        self.run = None


class RunFinishedError(ValueError):
    """``resume`` on a run that has already finished (nothing was changed)."""
