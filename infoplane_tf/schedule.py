"""When information-plane points are recorded during ``fit``."""

from __future__ import annotations

import re

import numpy as np

from infoplane_tf.catalog import SCHEDULE_FORMS
from infoplane_tf.validation import ParameterError


class Schedule:
    """When points are recorded; always one point before the first update.

    Args:
        every: ``"epoch"`` (after every epoch); an int k ≥ 1 or ``"every:K"`` (every k training
            iterations); ``"iteration"`` (every iteration, the paper's resolution, = 1); or
            ``"log:N"`` (N log-spaced iterations over the fit).
        parameter: the argument's name in error messages.

    Raises:
        ValueError: an unknown schedule (the message lists the accepted forms).
    """

    def __init__(self, every, parameter: str = "record"):
        self.every = every
        self.kind, self.value = self._parse(every, parameter)
        self._log_iterations: set[int] = set()

    @staticmethod
    def _parse(every, parameter):
        if isinstance(every, int | np.integer) and not isinstance(every, bool) and every >= 1:
            return "iterations", int(every)
        if every == "epoch":
            return "epoch", None
        if every == "iteration":
            return "iterations", 1
        match = re.fullmatch(r"(every|log):(\d+)", every) if isinstance(every, str) else None
        if match and int(match.group(2)) >= 1:
            kind = "iterations" if match.group(1) == "every" else "log"
            return kind, int(match.group(2))
        raise ParameterError(parameter, f"must be {SCHEDULE_FORMS} (K, N >= 1), got {every!r}")

    @property
    def every_iteration(self) -> bool:
        """Whether a point is recorded after every training iteration."""
        return self.kind == "iterations" and self.value == 1

    def start(self, first_iteration: int, total_iterations: int | None) -> None:
        """Prepares a fit of ``total_iterations`` updates starting after ``first_iteration``."""
        if self.kind != "log":
            return
        if total_iterations is None:
            raise ValueError(
                f"every={self.every!r} needs the number of steps per epoch; pass "
                "steps_per_epoch to fit or use a finite dataset"
            )
        spaced = np.unique(np.round(np.geomspace(1, max(total_iterations, 1), self.value)))
        self._log_iterations = {first_iteration + int(i) for i in spaced}

    def due_after_batch(self, iteration: int, previous: int) -> bool:
        """Whether a point is due now that updates (previous, iteration] have been made."""
        if self.kind == "iterations":
            return iteration // self.value > previous // self.value
        if self.kind == "log":
            return any(previous < i <= iteration for i in self._log_iterations)
        return False

    def recorded_iterations(
        self, first: int, steps_per_epoch: int, epochs: int, hook_every: int = 1
    ) -> list[int]:
        """The iterations after ``first`` at which points are recorded, when the training loop
        calls batch hooks once every ``hook_every`` steps (Keras: ``steps_per_execution``) and
        at each epoch's end. Call ``start`` first for ``"log:N"``.

        Returns:
            The recorded iterations, ascending (the point before training not included).
        """
        if self.kind == "epoch":
            return [first + steps_per_epoch * (e + 1) for e in range(epochs)]
        offsets = [*range(hook_every, steps_per_epoch, hook_every), steps_per_epoch]
        recorded, previous = [], first
        for epoch in range(epochs):
            for offset in offsets:
                iteration = first + epoch * steps_per_epoch + offset
                if self.due_after_batch(iteration, previous):
                    recorded.append(iteration)
                previous = iteration
        return recorded

    def to_json(self):
        """The schedule as given, in plain JSON types."""
        return int(self.every) if isinstance(self.every, np.integer) else self.every
