"""CheckpointCallback: the model's weights at the iterations of a schedule, for re-measuring."""

from __future__ import annotations

import os
import warnings

import keras

from infoplane_tf.catalog import CHECKPOINT_DTYPES
from infoplane_tf.io.checkpoints import remove_checkpoints_after, write_checkpoint
from infoplane_tf.schedule import Schedule
from infoplane_tf.validation import ParameterError, one_of


class CheckpointCallback(keras.callbacks.Callback):
    """Writes every model variable at the iterations of ``every`` and at the end of ``fit``.

    Always one checkpoint before the first update (like the information-plane trajectory) and
    one after the last; each is written atomically (``infoplane_tf.io.checkpoints``).

    Args:
        directory: the checkpoints folder (``RUN/checkpoints`` in a run directory).
        every: a schedule of ``InfoPlaneCallback`` (``"log:64"``: 64 log-spaced iterations).
        dtype: storage of float values, ``"float32"`` or ``"float16"`` (see
            ``infoplane_tf.io.checkpoints.write_checkpoint``; a checkpoint with a value beyond
            float16's range is kept in float32, with a warning).
        append: continue a run's checkpoints (a resumed run): those after the model's current
            iteration are removed, the starting weights are not written again, and ``log:N``
            spacing counts from iteration 0, as in the uninterrupted run.

    Attributes:
        written: the iterations written in the last ``fit``.
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        every="log:64",
        dtype: str = "float32",
        append: bool = False,
    ):
        super().__init__()
        self.directory = os.fspath(directory)
        self.schedule = Schedule(every, "every")
        self.dtype = one_of("dtype", dtype, CHECKPOINT_DTYPES)
        self.append = bool(append)
        self.written: list[int] = []
        self._iteration = self._epoch_start = 0
        self._steps: int | None = None

    def on_train_begin(self, logs=None):
        self._steps, epochs = self.params.get("steps"), self.params.get("epochs")
        self._iteration = int(self.model.optimizer.iterations.numpy())
        origin = 0 if self.append else self._iteration
        self.schedule.start(origin, self._steps * epochs if self._steps else None)
        self.written = []
        if self.append:
            remove_checkpoints_after(self.directory, self._iteration)
        else:
            self._write()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._iteration

    def on_train_batch_end(self, batch, logs=None):
        previous, self._iteration = self._iteration, self._epoch_start + batch + 1
        if self.schedule.due_after_batch(self._iteration, previous):
            self._write()

    def on_epoch_end(self, epoch, logs=None):
        if self.schedule.kind == "epoch":
            self._write()

    def on_train_end(self, logs=None):
        self._write()

    def _write(self) -> None:
        if self.written and self.written[-1] == self._iteration:
            return
        epoch = self._iteration / self._steps if self._steps else float("nan")
        values = {v.path: keras.ops.convert_to_numpy(v) for v in self.model.variables}
        try:
            write_checkpoint(self.directory, self._iteration, epoch, values, self.dtype)
        except ParameterError as error:  # weights beyond float16: keep them whole, go on
            warnings.warn(f"checkpoint {self._iteration} kept in float32: {error}", stacklevel=2)
            write_checkpoint(self.directory, self._iteration, epoch, values, "float32")
        self.written.append(self._iteration)
