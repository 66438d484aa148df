"""ResumeCallback: the full training state at every epoch end, and a clean stop on request.

The state (``RUN/resume.npz``, see ``infoplane_tf.io.checkpoints``) is every model variable
(weights, and the random-number state of a sampled code) and every optimizer variable (Adam's
moments, the iteration count) at full precision. With the data order a function of (seed,
epoch) (``infoplane_tf.data.order``), that is all a run needs to continue exactly as if it had
never stopped.
"""

from __future__ import annotations

import os

import keras

from infoplane_tf.errors import TrainingInterrupted
from infoplane_tf.io.checkpoints import CheckpointFormatError, read_arrays, write_arrays

_MODEL, _OPTIMIZER = "model/", "optimizer/"


class ResumeCallback(keras.callbacks.Callback):
    """Writes the full training state to ``path`` at every epoch end (atomically).

    Place it last among the callbacks, so the others have written everything of the epoch
    (points, history rows) before the state that says "the epoch is done".

    ``request_stop(reason)`` (e.g. from a SIGTERM handler) makes the fit raise
    ``TrainingInterrupted`` at the next epoch end, once the state is written; a second request
    raises ``KeyboardInterrupt`` at once, and the state of the previous epoch end stays.

    Args:
        path: the state file (``RUN/resume.npz`` in a run directory).
    """

    def __init__(self, path: str | os.PathLike):
        super().__init__()
        self.path = os.fspath(path)
        self.stop_reason: str | None = None

    def on_train_begin(self, logs=None):
        self.stop_reason = None

    def on_epoch_end(self, epoch, logs=None):
        save_state(self.model, self.path, epoch + 1)
        if self.stop_reason is not None:
            iteration = int(self.model.optimizer.iterations.numpy())
            raise TrainingInterrupted(iteration, epoch + 1, self.stop_reason)

    def request_stop(self, reason: str) -> None:
        """Stops at the next epoch end; a second request stops now (``KeyboardInterrupt``)."""
        if self.stop_reason is not None:
            raise KeyboardInterrupt(f"{reason} again: stopped mid-epoch")
        self.stop_reason = reason


def save_state(model: keras.Model, path: str | os.PathLike, epochs: int) -> None:
    """Writes the variables of ``model`` and its optimizer after ``epochs`` finished epochs."""
    values = {_MODEL + v.path: keras.ops.convert_to_numpy(v) for v in model.variables}
    for variable in model.optimizer.variables:
        values[_optimizer_key(variable.path)] = keras.ops.convert_to_numpy(variable)
    iteration = int(model.optimizer.iterations.numpy())
    write_arrays(path, __iteration__=iteration, __epochs__=int(epochs), **values)


def restore_state(model: keras.Model, path: str | os.PathLike) -> tuple[int, int]:
    """Sets a built, compiled ``model`` and its optimizer to the state in ``path``.

    Returns:
        ``(iteration, epochs)``: updates done and epochs finished at that state.

    Raises:
        CheckpointFormatError: no state file, an unreadable one, or one of another model (the
            message names the file and the variables it lacks).
    """
    values = read_arrays(path, "no resume state (it is written at the end of every epoch)")
    values = {_optimizer_key(k[len(_OPTIMIZER):]) if k.startswith(_OPTIMIZER) else k: v
              for k, v in values.items()}  # fmt: skip
    model.optimizer.build(model.trainable_variables)
    pairs = [(v, _MODEL + v.path) for v in model.variables]
    pairs += [(v, _optimizer_key(v.path)) for v in model.optimizer.variables]
    missing = [key for _, key in pairs if key not in values]
    if missing or "__epochs__" not in values:
        raise CheckpointFormatError(f"{path}: not a state of this model; lacks {missing[:3]}")
    for variable, key in pairs:
        variable.assign(values[key])
    return int(values["__iteration__"]), int(values["__epochs__"])


def _optimizer_key(path: str) -> str:
    """An optimizer variable's key without the optimizer's own name (``adam/...`` in one
    process, ``adam_3/...`` after three others were made): a state resumes in any process."""
    return _OPTIMIZER + path.split("/", 1)[-1]
