"""Where finished information-plane points go: memory, a streamed file and TensorBoard."""

from __future__ import annotations

import os
import warnings

import numpy as np
import tensorflow as tf

from infoplane_tf.io.trajectory import Trajectory, TrajectoryBuffer, TrajectoryWriter


class PointRecorder:
    """Appends finished points, in order, to a ``TrajectoryBuffer``, an optional streamed
    ``TrajectoryWriter`` (flushed per point) and optional TensorBoard scalars.

    Args:
        layers: the measured layer names; keys: the per-layer quantities recorded.
        settings: metadata of the trajectory (estimator settings, schedule, ...).
        filepath: the streamed table, or None.
        tensorboard_dir: where ``tf.summary`` scalars go (step = iteration), or None.
        append_after: continue the table at ``filepath`` after this iteration (see
            ``TrajectoryWriter``); None starts a new one.
    """

    def __init__(
        self,
        layers: tuple[str, ...],
        keys: tuple[str, ...],
        settings: dict,
        filepath: str | os.PathLike | None,
        tensorboard_dir: str | os.PathLike | None,
        append_after: int | None = None,
    ):
        self.layers, self.keys = layers, keys
        self.buffer = TrajectoryBuffer(layers, keys, settings)
        self.writer = (
            None
            if filepath is None
            else TrajectoryWriter(filepath, layers, keys, settings, append_after)
        )
        self.summary = (
            None
            if tensorboard_dir is None
            else tf.summary.create_file_writer(os.fspath(tensorboard_dir))
        )
        self.missing = 0
        self._first_missing = None
        self._warned = False

    def append(self, iteration: int, epoch: float, loss: float, values: np.ndarray | None):
        """Records one point; ``values`` (keys, L) in ``keys`` order, or None if not finite."""
        named = None if values is None else dict(zip(self.keys, values, strict=True))
        if named is None:
            self.missing += 1
            if self._first_missing is None:
                self._first_missing = iteration
        self.buffer.append(iteration, epoch, loss, named)
        if self.writer is not None:
            self.writer.append(iteration, epoch, loss, named)
        if self.summary is not None and named is not None:
            with self.summary.as_default(step=iteration):
                for j, layer in enumerate(self.layers):
                    for key in self.keys:
                        tf.summary.scalar(f"infoplane/{key}/{layer}", named[key][j])

    def warn_missing(self) -> None:
        """Warns once, on the calling thread, when a point was recorded as missing."""
        if self.missing and not self._warned:
            self._warned = True
            warnings.warn(
                f"InfoPlaneCallback: non-finite activations at iteration {self._first_missing}; "
                "the point is recorded as missing (the fit goes on)",
                RuntimeWarning,
                stacklevel=3,
            )

    def trajectory(self) -> Trajectory:
        return self.buffer.trajectory()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.summary is not None:
            self.summary.close()
