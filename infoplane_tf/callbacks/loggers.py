"""The training run's own callbacks: the loss history file and its progress display."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TextIO

import keras
import tensorflow as tf

from infoplane_tf.io.runs import HistoryWriter
from infoplane_tf.progress import ProgressDisplay

# Rows of the whole test set per compiled call of the per-epoch test loss.
_TEST_CHUNK = 2000


class LossRecorder(keras.callbacks.Callback):
    """Writes ``history.csv``: per-epoch train/test loss, and per-iteration when asked.

    Per epoch: Keras's mean training objective and the objective on the whole test set
    (``epoch_test``, computed here and put into ``logs`` as ``val_loss``; without it, Keras's
    own ``val_loss``). Per iteration: that step's own objective (recovered exactly from Keras's
    running mean, ``k·m_k − (k−1)·m_{k−1}``) and the objective on the given test images. Both
    are computed without touching the model's metric state.

    Args:
        path: the history file; x_test, y_test: the test subset of the per-iteration loss;
        per_iteration: whether to write a row per training iteration.
        append: continue the table (a resumed run) after the model's current iteration.
        epoch_test: ``(x, y)``, the whole test set, for the per-epoch test loss: one compiled
            call per chunk of rows, where ``fit(validation_data=...)`` makes a new dataset
            iterator every epoch, which dominates the epochs of a small set.
    """

    def __init__(
        self, path: Path, x_test, y_test, per_iteration: bool, append: bool = False,
        epoch_test=None,
    ):  # fmt: skip
        super().__init__()
        self.path = path
        self.x_test, self.y_test = tf.constant(x_test), tf.constant(y_test)
        self.epoch_test, self.epoch_test_rows = None, 0
        if epoch_test is not None:
            x, y = epoch_test
            self.epoch_test_rows = len(x)
            self.epoch_test = [
                (tf.constant(x[i : i + _TEST_CHUNK]), tf.constant(y[i : i + _TEST_CHUNK]))
                for i in range(0, len(x), _TEST_CHUNK)
            ]
        self.per_iteration = per_iteration
        self.append = append
        self.last_train = self.last_test = math.nan
        self.writer: HistoryWriter | None = None
        self.iteration = self.steps = 0
        self.running_mean = 0.0
        self.test_objective = None

    def on_train_begin(self, logs=None):
        self.iteration = int(self.model.optimizer.iterations.numpy())
        self.writer = HistoryWriter(self.path, self.iteration if self.append else None)
        self.steps = self.params.get("steps") or 1
        self.test_objective = _test_objective(self.model)
        if self.per_iteration and not self.append:
            test = float(self.test_objective(self.x_test, self.y_test))
            self.writer.append(self.iteration, 0.0, "iteration", math.nan, test)

    def on_epoch_begin(self, epoch, logs=None):
        self.running_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.iteration += 1
        if not self.per_iteration:
            return
        k, mean = batch + 1, float(logs["loss"])
        step_loss = k * mean - (k - 1) * self.running_mean
        self.running_mean = mean
        test = float(self.test_objective(self.x_test, self.y_test))
        self.writer.append(
            self.iteration, self.iteration / self.steps, "iteration", step_loss, test
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        if self.epoch_test is not None:
            total = sum(float(self.test_objective(x, y)) * int(x.shape[0])
                        for x, y in self.epoch_test)  # fmt: skip
            logs["val_loss"] = total / self.epoch_test_rows
        self.last_train = float(logs.get("loss", math.nan))
        self.last_test = float(logs.get("val_loss", math.nan))
        self.writer.append(self.iteration, epoch + 1, "epoch", self.last_train, self.last_test)

    def on_train_end(self, logs=None):
        self.writer.close()


def _test_objective(model):
    """The model's objective on given data, compiled, leaving its metric variables as they were."""
    variables = list(model.metrics_variables)

    @tf.function(autograph=False)
    def test_objective(x, y):
        # compute_loss may update metrics (KL, label accuracy): restore them afterwards so the
        # training logs stay exactly Keras's.
        saved = [tf.identity(v) for v in variables]
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
        with tf.control_dependencies([loss]):
            for variable, value in zip(variables, saved, strict=True):
                variable.assign(value)
        return loss

    return test_objective


class ProgressLine(keras.callbacks.Callback):
    """The training's progress on the shared display: iteration, loss, test loss, I(X;T), time.

    A thin feed of ``infoplane_tf.progress.ProgressDisplay``: redrawn in place on a terminal,
    a plain line at each tenth of the training elsewhere (a log file), and the final state at
    the end. Place it after the ``InfoPlaneCallback``, whose copies into ``logs``
    (``i_xt_<layer>``, bits) it shows once per epoch, with Keras's ``val_loss``.

    Args:
        stream: where to write (default: standard error).
        width: characters of the bar.
    """

    def __init__(self, stream: TextIO | None = None, width: int = 24):
        super().__init__()
        self.stream, self.width = stream, width
        self.display: ProgressDisplay | None = None
        self.total = self.iteration = self.epoch_start = 0
        self.info: dict = {}

    def on_train_begin(self, logs=None):
        self.total = (self.params.get("steps") or 0) * (self.params.get("epochs") or 0)
        self.iteration = int(self.model.optimizer.iterations.numpy())  # a resumed fit: > 0
        self.info = {}
        self.display = ProgressDisplay(stream=self.stream, bar_width=self.width)
        self.display.update(self.iteration, self.total)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = self.iteration

    def on_train_batch_end(self, batch, logs=None):
        self.iteration = self.epoch_start + batch + 1
        self.info["loss"] = (logs or {}).get("loss", math.nan)
        self.display.update(self.iteration, self.total, self._text())

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.info.update((k, v) for k, v in logs.items() if k.startswith("i_xt_"))
        if "val_loss" in logs:
            self.info["test"] = logs["val_loss"]
        self.display.update(self.iteration, self.total, self._text())

    def on_train_end(self, logs=None):
        self.display.close()

    def _text(self) -> str:
        """``"loss 0.01234  test 0.01300  I(X;Z) 3.21 bits"``: the numbers known so far."""
        parts = [f"loss {float(self.info.get('loss', math.nan)):.5f}"]
        if "test" in self.info:
            parts.append(f"test {float(self.info['test']):.5f}")
        parts += [
            f"I(X;{k[5:]}) {float(v):.2f} bits" for k, v in self.info.items() if k[:5] == "i_xt_"
        ]
        return "  ".join(parts)
