"""Gram matrices of samples: Gaussian kernels with their width rules, label kernels, trace
normalization. Pure TensorFlow, graph-safe and batched over leading axes."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from infoplane_tf.catalog import PAPER


def flatten_samples(x: tf.Tensor, batch_dims: int = 0) -> tf.Tensor:
    """Reshapes (B..., n, ...) to (B..., n, d): images and feature maps become vectors (the
    tensor-kernel view); ``batch_dims`` leading axes are kept."""
    sample_axis = batch_dims + 1
    if x.shape.rank == sample_axis + 1:
        return x
    if x.shape.rank == sample_axis:
        return x[..., None]
    features = x.shape[sample_axis:]
    if features.is_fully_defined() and x.shape[:sample_axis].is_fully_defined():
        return tf.reshape(x, [*x.shape[:sample_axis], int(np.prod(features))])  # keep d static
    if features.is_fully_defined():
        head = tf.shape(x)[:sample_axis]
        return tf.reshape(x, tf.concat([head, [int(np.prod(features))]], axis=0))
    return tf.reshape(x, tf.concat([tf.shape(x)[:sample_axis], [-1]], axis=0))


def squared_distances(x: tf.Tensor) -> tf.Tensor:
    """Squared Euclidean distances between rows: x (..., n, d) → (..., n, n), zero diagonal.

    Assumes x is centered (``center_and_scale``), which removes most of the cancellation in
    |a|² + |b|² - 2 a·b.
    """
    norms = tf.reduce_sum(tf.square(x), axis=-1)
    scale = norms[..., :, None] + norms[..., None, :]
    d2 = scale - 2.0 * tf.matmul(x, x, transpose_b=True)
    # Values within rounding of zero (identical rows) are zero: otherwise a tiny kernel width
    # turns that rounding noise into spurious structure.
    rounding = 8.0 * np.finfo(x.dtype.as_numpy_dtype).eps * scale
    d2 = tf.where(d2 > rounding, d2, tf.zeros_like(d2))
    return tf.linalg.set_diag(d2, tf.zeros_like(norms))


def center_and_scale(x: tf.Tensor):
    """Centers the columns of x (..., n, d) and divides each matrix by its largest |value|.

    Distances are translation invariant, and in these units squared distances cannot overflow
    (finite inputs up to the dtype's maximum stay finite). Returns ``(x / unit, unit)`` with
    ``unit`` of shape (...,).
    """
    x = x - tf.reduce_mean(x, axis=-2, keepdims=True)
    unit = tf.reduce_max(tf.abs(x), axis=[-2, -1])
    unit = tf.where(unit > 0, unit, tf.ones_like(unit))
    return x / unit[..., None, None], unit


def standardize_features(x: tf.Tensor) -> tf.Tensor:
    """Z-scores every column of x (..., n, d); constant columns become 0 instead of NaN."""
    mean, variance = tf.nn.moments(x, axes=[-2], keepdims=True)
    return tf.math.divide_no_nan(x - mean, tf.sqrt(variance))


def median_distance(d2: tf.Tensor) -> tf.Tensor:
    """Median Euclidean distance over the pairs i < j of squared distances (..., n, n) → (...)."""
    n = d2.shape[-1]
    rows, cols = np.triu_indices(n, k=1)
    flat = tf.reshape(d2, tf.concat([tf.shape(d2)[:-2], [n * n]], axis=0))
    distances = tf.sort(tf.sqrt(tf.gather(flat, rows * n + cols, axis=-1)), axis=-1)
    m = len(rows)
    # Mean of the two middle values for an even count (both the same index for odd counts).
    return tf.reduce_mean(tf.gather(distances, [(m - 1) // 2, m // 2], axis=-1), axis=-1)


def gaussian_gram(x: tf.Tensor, sigma: str | float = PAPER.sigma_rule, gamma: float = PAPER.gamma):
    """Gaussian Gram matrices of the rows of x and the kernel widths used.

    Args:
        x: (..., n, d) float tensor with static n and d, one sample per row (see
            ``flatten_samples``); leading axes are a batch of independent sample sets.
        sigma: kernel-width rule: ``"paper"`` (σ = γ·n^(-1/(4+d)) on raw values),
            ``"scaled"`` (z-score each feature, then σ = γ·√d·n^(-1/(4+d))), ``"median"``
            (median pairwise distance), or a fixed positive float (see ``catalog.SIGMA_RULES``).
        gamma: the scale γ of the 'paper' and 'scaled' rules.

    Returns:
        ``(K, sigma)``: K of shape (..., n, n) with unit diagonal, and σ of shape (...) (in the
        units of x, after z-scoring for 'scaled'). Finite for every finite x: a zero median
        width gives K = [x_i = x_j], a width that dwarfs the data gives K = 1.
    """
    n, d = int(x.shape[-2]), int(x.shape[-1])
    if sigma == "scaled":
        x = standardize_features(x)
    x, unit = center_and_scale(x)
    d2 = squared_distances(x)  # in units of unit²
    if sigma == "median":
        width = unit * median_distance(d2)
    else:
        if sigma in ("paper", "scaled"):
            value = gamma * n ** (-1.0 / (4.0 + d))  # Lee & Jo's code (a Silverman-like rule)
            value *= math.sqrt(d) if sigma == "scaled" else 1.0
        else:
            value = float(sigma)
        width = tf.fill(tf.shape(unit), tf.constant(value, x.dtype))
    # d2 / (2 (σ/unit)²), with 0/0 := 0 (identical rows) and d/0 = inf (K = 0).
    scale = tf.square(width / unit)[..., None, None]
    ratio = tf.where(d2 > 0, d2 / (2.0 * scale), tf.zeros_like(d2))
    return tf.exp(-ratio), width


def label_gram(labels: tf.Tensor, dtype: tf.DType = tf.float64) -> tf.Tensor:
    """Kronecker-delta Gram matrix of class labels: (n,) integers or (n, k) one-hot → (n, n)."""
    if labels.shape.rank == 2:
        labels = tf.argmax(labels, axis=1)
    labels = tf.reshape(labels, [-1])
    return tf.cast(tf.equal(labels[:, None], labels[None, :]), dtype)


def normalize_kernels(kernels: tf.Tensor) -> tf.Tensor:
    """A = K / tr(K), symmetrized: (..., n, n) PSD kernel matrices → unit-trace matrices."""
    a = kernels / tf.linalg.trace(kernels)[..., None, None]
    return 0.5 * (a + tf.linalg.matrix_transpose(a))
