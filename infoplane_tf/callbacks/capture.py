"""A probe taken from the data a fit trains on: the first n samples its train step sees.

Keras gives callbacks the model, never the data, so the samples are kept inside the compiled
train step: the model's ``train_step`` is wrapped for the fit (and restored after it) by one that
first copies the batch's rows into a fixed buffer while it is not full, then runs the original
step unchanged. The copy is a fixed-shape one-hot placement (XLA-compatible, no dynamic shapes),
skipped by a ``tf.cond`` once the buffer is full.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.callbacks.worker import DuePoint


class ProbeCapture:
    """Keeps the first ``size`` samples (and integer labels, when the fit has them) of a fit.

    Args:
        size: n, the number of samples to keep (≥ 2).
    """

    def __init__(self, size: int):
        self.size = int(size)
        self._x: tf.Variable | None = None
        self._y: tf.Variable | None = None
        self._count: tf.Variable | None = None
        self._model = None
        self.waiting: list[DuePoint] = []
        self._initial_wanted = False
        #: The weights before the first update of a model that the fit's first step built
        #: (eager copies), or None when the model was built before the fit.
        self.initial_weights: list | None = None

    def install(self, model, initial_point: bool) -> None:
        """Wraps ``model.train_step`` and rebuilds its train function (the fit calls the new one).

        Args:
            model: The model being fitted.
            initial_point: Whether the point before the first update is wanted; for a model
                that the fit's first step builds, its weights are kept then (see ``full``).

        Raises:
            ValueError: the model takes several inputs (pass ``x_probe`` instead).
        """
        self.waiting: list[DuePoint] = []
        self._initial_wanted = initial_point and not model.built
        original = model.train_step

        def train_step(data):
            self._keep(data)
            return original(data)

        self._model = model
        model.train_step = train_step  # an instance attribute shadows the class's method
        model.make_train_function(force=True)

    def uninstall(self) -> None:
        """Restores the model's own train step; its next fit builds a fresh train function."""
        model, self._model = self._model, None
        if model is not None and "train_step" in model.__dict__:
            del model.train_step
            model.train_function = None

    def hold(self, iteration: int, epoch: float, loss: float) -> None:
        """Keeps a snapshot of the weights for a point due before the probe is complete."""
        snapshot = [tf.identity(v) for v in self._model.variables]
        self.waiting.append(DuePoint(iteration, iteration, epoch, loss, snapshot))

    def full(self, first_iteration: int, steps_per_epoch: int | None) -> bool:
        """Whether ``size`` samples have been kept; after the fit's first step, also queues the
        point of the initial weights of a model that step built (iteration ``first_iteration``).
        """
        if self._initial_wanted:
            self._initial_wanted = False
            epoch = first_iteration / steps_per_epoch if steps_per_epoch else math.nan
            point = DuePoint(
                first_iteration, first_iteration, epoch, math.nan, self.initial_weights
            )
            self.waiting.insert(0, point)
        return self.count >= self.size

    def take(self) -> tuple[np.ndarray, np.ndarray | None, list[DuePoint]]:
        """The probe (as ``probe``) and the points that waited for it, oldest first."""
        waiting, self.waiting = self.waiting, []
        return (*self.probe(), waiting)

    @property
    def count(self) -> int:
        """Samples kept so far (at most ``size``); one small read from the device."""
        return 0 if self._count is None else min(int(self._count.numpy()), self.size)

    def probe(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The samples kept so far: x (count, ...) float32 and y (count,) int64, or None."""
        n = self.count
        if n < 2:
            raise ValueError(
                f"the fit showed the callback {n} sample(s); a probe needs at least 2: pass x_probe"
            )
        y = None if self._y is None else self._y.numpy()[:n]
        return self._x.numpy()[:n], y

    def _keep(self, data) -> None:
        x, y, _ = keras.utils.unpack_x_y_sample_weight(data)
        if not tf.is_tensor(x):
            raise ValueError(
                "InfoPlaneCallback() without x_probe takes its probe from a fit with one input "
                f"tensor; this fit passes {type(x).__name__} inputs: pass x_probe"
            )
        labels = _labels(y)
        if not self._model.built:
            # Build it now, outside the step, exactly as an explicit probe would (one eager
            # call on one row), and keep the weights the first update will start from.
            with tf.init_scope():
                self._model(tf.zeros((1, *x.shape[1:]), x.dtype))
                self.initial_weights = [tf.identity(v) for v in self._model.variables]
        if self._x is None:
            with tf.init_scope():  # created once, outside the traced step
                self._x = tf.Variable(tf.zeros((self.size, *x.shape[1:])), trainable=False)
                self._count = tf.Variable(0, dtype=tf.int64, trainable=False)
                if labels is not None:
                    self._y = tf.Variable(tf.zeros(self.size, tf.int64), trainable=False)

        def keep():
            batch = tf.shape(x, out_type=tf.int64)[0]
            place = tf.one_hot(self._count + tf.range(batch), self.size)  # (batch, size)
            taken = tf.reduce_sum(place, axis=0)  # 1 where a row lands
            flat = tf.reshape(tf.cast(x, tf.float32), (batch, -1))
            old = tf.reshape(self._x, (self.size, -1))
            new = old * (1.0 - taken)[:, None] + tf.matmul(place, flat, transpose_a=True)
            self._x.assign(tf.reshape(new, self._x.shape))
            if self._y is not None:
                kept = tf.cast(
                    tf.matmul(place, tf.cast(labels, tf.float32)[:, None], True), tf.int64
                )
                self._y.assign(tf.where(taken > 0, kept[:, 0], self._y))
            self._count.assign_add(batch)
            return tf.constant(True)

        tf.cond(self._count < self.size, keep, lambda: tf.constant(False))


def _labels(y):
    """Integer class labels (batch,) from the fit's targets, or None (e.g. an autoencoder's)."""
    if y is None or not tf.is_tensor(y) or not y.dtype.is_integer:
        return None
    if y.shape.rank == 2 and y.shape[1] == 1:
        return y[:, 0]
    return y if y.shape.rank == 1 else None
