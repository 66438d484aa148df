"""The order in which a run sees its training data: one permutation per epoch, drawn from
(seed, epoch) alone.

Keras's own ``shuffle=True`` draws from a random state that lives inside its data pipeline and
cannot be set to "after epoch 37", so a resumed run would see other batches. Here every
epoch's order is a stateless function of the seed and the epoch, so training can start at any
epoch and see exactly the batches an uninterrupted run sees there.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from infoplane_tf.validation import positive_int


def steps_per_epoch(samples: int, batch_size: int) -> int:
    """Batches per epoch (the last one may be smaller, as in Keras)."""
    return math.ceil(positive_int("samples", samples) / positive_int("batch_size", batch_size))


def epoch_order(samples: int, seed: int, epoch) -> tf.Tensor:
    """The (samples,) int64 permutation of training examples in ``epoch``."""
    indices = tf.range(samples, dtype=tf.int64)
    key = tf.stack([tf.constant(seed, tf.int64), tf.cast(epoch, tf.int64)])
    return tf.random.experimental.stateless_shuffle(indices, seed=key)


def training_batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, first_epoch: int, epochs: int
) -> tf.data.Dataset:
    """The batches ``(x, y)`` of epochs ``first_epoch .. epochs - 1``, one stream.

    Args:
        x: (n, ...) inputs; y: (n, ...) targets, in the same example order.
        batch_size: examples per batch; seed: the run's seed.
        first_epoch, epochs: the epochs to cover (0-based start, exclusive end).

    Returns:
        A dataset of ``steps_per_epoch(n, batch_size) * (epochs - first_epoch)`` batches, for
        ``model.fit(..., steps_per_epoch=steps_per_epoch(n, batch_size))``.
    """
    samples = len(x)
    x, y = tf.constant(x), tf.constant(y)

    def epoch_batches(epoch):
        order = epoch_order(samples, seed, epoch)
        return tf.data.Dataset.from_tensor_slices(order).batch(batch_size)

    epochs_range = tf.data.Dataset.range(first_epoch, epochs)
    batches = epochs_range.flat_map(epoch_batches)
    batches = batches.map(lambda index: (tf.gather(x, index), tf.gather(y, index))).prefetch(2)
    # No autotuning (the fixed prefetch needs none): at the end of a fit, destroying the
    # iterator waited for the autotuner's sleeping thread, up to a minute with another run
    # beside it (benchmarks/README.md).
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.with_options(options)
