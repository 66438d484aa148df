"""Binning (Shwartz-Ziv & Tishby 2017): each unit in B equal bins, a sample's code the tuple of
its bin indices, plug-in (maximum-likelihood) entropies of the codes, in bits.

For a deterministic network on distinct inputs every input is its own value of X, so
H(T|X) = 0 and I(X;T) = H(T): the number of distinct codes decides the estimate, and with
more units than the probe has samples nearly every sample is its own code (H(T) = log2 n,
whatever the training did). The bins span a bounded activation's range (a sigmoid's (0, 1))
or, for unbounded activations, the layer's observed range at that point. Binning is not
scale-invariant: scaling an unbounded layer changes nothing (the observed range scales with
it), while scaling a bounded one within its fixed range moves samples between bins. With bins of
a fixed width (``width_codes``, Saxe et al.'s code) instead, an unbounded layer that grows
spreads over more bins: the two readings disagree exactly where a ReLU layer's scale moves.

References:
    R. Shwartz-Ziv, N. Tishby, "Opening the Black Box of Deep Neural Networks via
    Information", arXiv:1703.00810, 2017.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.kernels import flatten_samples


def bin_codes(t, bins: int, low=None, high=None) -> tuple[tf.Tensor, tf.Tensor]:
    """The bin index of every value of t (n, ...) among ``bins`` equal bins on [low, high].

    Args:
        t: samples (n, ...), flattened to (n, d).
        bins: B ≥ 1.
        low, high: the range's ends (a bounded activation's); None: t's observed minimum and
            maximum. Values outside the range fall in the first or last bin.

    Returns:
        ``(codes, width)``: int64 (n, d) indices in [0, B) and the bin width (a float64
        scalar, in activation units; 0 when the observed range is a single value).
    """
    t = flatten_samples(tf.cast(tf.convert_to_tensor(t), tf.float64))
    low = tf.reduce_min(t) if low is None else tf.constant(low, tf.float64)
    high = tf.reduce_max(t) if high is None else tf.constant(high, tf.float64)
    width = (high - low) / bins
    scaled = tf.math.divide_no_nan(t - low, width)
    codes = tf.clip_by_value(tf.floor(scaled), 0.0, bins - 1.0)
    return tf.cast(codes, tf.int64), width


def width_codes(t, width: float) -> tf.Tensor:
    """The index ⌊t / width⌋ of every value of t (n, ...) in bins of a fixed ``width`` with no
    range: an unbounded layer that grows fills more bins (Saxe et al.'s code, bins of 0.07).

    Returns:
        int64 (n, d), t flattened to (n, d).
    """
    t = flatten_samples(tf.cast(tf.convert_to_tensor(t), tf.float64))
    return tf.cast(tf.floor(t / width), tf.int64)


def plugin_entropy(*codes) -> tf.Tensor:
    """The plug-in entropy of the joint code of the given columns, in bits.

    Args:
        codes: int64 arrays (n, d_i) (or (n,)), their columns concatenated; a row is one
            sample's joint code.

    Returns:
        A float64 scalar: −Σ p log2 p over the distinct rows' frequencies p, in [0, log2 n].
    """
    columns = [tf.reshape(tf.cast(c, tf.int64), [tf.shape(c)[0], -1]) for c in codes]
    rows = tf.concat(columns, axis=1)
    _, index = tf.raw_ops.UniqueV2(x=rows, axis=[0])
    counts = tf.cast(tf.math.bincount(tf.cast(index, tf.int32)), tf.float64)
    p = counts[counts > 0] / tf.reduce_sum(counts)
    return -tf.reduce_sum(p * tf.math.log(p)) / np.log(2.0)


def sample_identity(x) -> tf.Tensor:
    """Each sample's identity (n, 1) int64: equal rows of x (n, ...) share one value, so the
    plug-in entropy of the identities is H(X) of the probe's distinct inputs."""
    x = flatten_samples(tf.convert_to_tensor(x))
    _, index = tf.raw_ops.UniqueV2(x=x, axis=[0])
    return tf.cast(index, tf.int64)[:, None]


def binned_information(a, b) -> tf.Tensor:
    """I(A;B) = H(A) + H(B) − H(A,B) of two code arrays (n, ...), in bits (float64 scalar)."""
    return plugin_entropy(a) + plugin_entropy(b) - plugin_entropy(a, b)
