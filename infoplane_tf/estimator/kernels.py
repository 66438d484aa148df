"""Gram matrices of samples: Gaussian kernels with their width rules, label kernels, trace
normalization. Pure TensorFlow, graph-safe and batched over leading axes."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from infoplane_tf.catalog import PAPER
from infoplane_tf.validation import ParameterError
from infoplane_tf.width_rules import (  # noqa: F401 (the width primitives, re-exported)
    ALIGNMENT_FACTORS,
    KNN_NEIGHBOURS,
    RULES,
    alignment_width,
    default_gamma,
    knn_width,
    median_distance,
    silverman_width,
)


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


def rule_widths(x: tf.Tensor, d2: tf.Tensor, unit: tf.Tensor, sigma, k_y=None) -> tf.Tensor:
    """The kernel width a rule gives at γ = 1 (``base_width``), in the units of x.

    Args:
        x: (..., n, d) samples after ``center_and_scale`` (z-scored first for 'scaled'); unit:
            (...) the scale it divided by; d2: (..., n, n) their squared distances.
        sigma: a name of ``width_rules.RULES`` or a fixed positive float.
        k_y: (n, n) label Gram matrix, needed by 'alignment'.

    Returns:
        (...) widths σ₁ ≥ 0; the width at scale γ is γ·σ₁.
    """
    if not isinstance(sigma, str):
        return tf.fill(tf.shape(unit), tf.constant(float(sigma), x.dtype))
    rule = RULES[sigma]
    if rule.needs_labels and k_y is None:
        raise ParameterError("sigma", f"{sigma!r} needs class labels (y_probe)")
    return rule.width(x, d2, unit, k_y)


def gaussian_grams(
    x: tf.Tensor,
    sigma: str | float = PAPER.sigma,
    gammas=None,
    *,
    k_y: tf.Tensor | None = None,
    base_width: tf.Tensor | None = None,
):
    """Gaussian Gram matrices of the rows of x at several kernel widths, distances computed once.

    The width at scale γ is σ = γ·σ₁, σ₁ the rule's width. Every Gram matrix is taken from the
    same squared distances D: K_γ = exp(-D / (2 γ² σ₁²)), which is the element-wise power
    K_1^(1/γ²) of the γ = 1 matrix, without its underflow (a float32 K_1 entry below 1e-38 is 0,
    while its power at γ = 8 may be 0.2).

    Args:
        x: (..., n, d) float tensor with static n and d, one sample per row (see
            ``flatten_samples``); leading axes are a batch of independent sample sets.
        sigma: a kernel-width rule of ``infoplane_tf.width_rules.RULES`` (``"paper"``,
            ``"scaled"``, ``"median"``, ...; ``"alignment"`` needs ``k_y``), or a fixed
            positive float σ₁.
        gammas: G scales γ > 0 (Python floats, or a (G,) tensor); None: the rule's default γ.
        k_y: (n, n) label Gram matrix for the 'alignment' rule.
        base_width: (...) σ₁ given directly (units of x, after z-scoring for 'scaled'); the rule
            is then used only to choose the z-scoring.

    Returns:
        ``(K, sigma)``: K of shape (..., G, n, n) with unit diagonal, and the widths σ of shape
        (..., G). Finite for every finite x: a zero width gives K = [x_i = x_j], a width that
        dwarfs the data gives K = 1.
    """
    gammas = (default_gamma(sigma),) if gammas is None else gammas
    if isinstance(sigma, str) and RULES[sigma].standardize:
        x = standardize_features(x)
    x, unit = center_and_scale(x)
    d2 = squared_distances(x)  # in units of unit²
    if base_width is None:
        base_width = rule_widths(x, d2, unit, sigma, k_y)
    width = base_width[..., None] * tf.cast(gammas, x.dtype)  # (..., G)
    # d2 / (2 (σ/unit)²), with 0/0 := 0 (identical rows) and d/0 = inf (K = 0).
    scale = tf.square(width / unit[..., None])[..., None, None]
    d2 = d2[..., None, :, :]
    ratio = tf.where(d2 > 0, d2 / (2.0 * scale), tf.zeros_like(d2))
    return tf.exp(-ratio), width


def gaussian_gram(x: tf.Tensor, sigma: str | float = PAPER.sigma, gamma: float | None = None):
    """Gaussian Gram matrices of the rows of x at one width: ``gaussian_grams`` with one γ.

    Args:
        x: (..., n, d) samples; sigma: the width rule; gamma: its scale γ (None: the rule's
            default, ``width_rules.default_gamma``).

    Returns:
        ``(K, sigma)``: K (..., n, n) with unit diagonal and σ (...) in the units of x (after
        z-scoring for 'scaled').
    """
    gamma = default_gamma(sigma) if gamma is None else gamma
    k, width = gaussian_grams(x, sigma, (gamma,))
    return k[..., 0, :, :], width[..., 0]


def label_gram(labels: tf.Tensor, dtype: tf.DType = tf.float64) -> tf.Tensor:
    """Kronecker-delta Gram matrix of class labels: (n,) integers or (n, k) one-hot → (n, n)."""
    if labels.shape.rank == 2:
        labels = tf.argmax(labels, axis=1)
    labels = tf.reshape(labels, [-1])
    return tf.cast(tf.equal(labels[:, None], labels[None, :]), dtype)


def finite_points(tensors: Sequence[tf.Tensor]) -> tf.Tensor:
    """(P,) bool: whether every activation of each point in tensors (P, n, d_l) is finite."""
    return tf.reduce_all(
        tf.stack([tf.reduce_all(tf.math.is_finite(t), axis=[1, 2]) for t in tensors]), axis=0
    )


#: Class blocks are padded to a multiple of this size: fewer shapes, fewer traces.
BLOCK_QUANTUM = 8


def class_blocks(labels, n: int) -> tf.Tensor | None:
    """The samples of each class, for the diagonal blocks of a matrix times the label kernel.

    A matrix K ∘ K_Y, with K_Y the Kronecker delta of the labels, is block diagonal up to a
    permutation, one block per class.

    Args:
        labels: (n,) integer class labels or (n, k) one-hot.
        n: the number of samples.

    Returns:
        (C, b) int32: row c holds the indices of class c's samples, padded with ``n`` (an index
        past the end, read as zeros by ``diagonal_blocks``) to b, the largest class rounded up
        to ``BLOCK_QUANTUM``; None when C eigenproblems of b × b would not take under half the
        arithmetic of one n × n (C·b³ ≥ n³/2): one class holds most samples.
    """
    labels = np.asarray(labels)
    labels = labels.argmax(axis=1) if labels.ndim == 2 else labels.reshape(-1)
    members = [np.flatnonzero(labels == c) for c in np.unique(labels)]
    b = -(-max(len(m) for m in members) // BLOCK_QUANTUM) * BLOCK_QUANTUM
    if 2 * len(members) * b**3 >= n**3:
        return None
    rows = [np.concatenate([m, np.full(b - len(m), n)]) for m in members]
    return tf.constant(np.stack(rows), tf.int32)


def diagonal_blocks(a: tf.Tensor, classes: tf.Tensor) -> tf.Tensor:
    """The diagonal blocks (..., C, b, b) of matrices a (..., n, n) on the index rows of
    ``classes`` (C, b) (see ``class_blocks``); the padding index n reads zeros."""
    n, lead = a.shape[-1], a.shape[:-2]
    if lead.is_fully_defined():  # a static shape, as eigvalsh_one_at_a_time needs
        shape = [*lead.as_list(), (n + 1) ** 2]
    else:
        shape = tf.concat([tf.shape(a)[:-2], [(n + 1) ** 2]], axis=0)
    padded = tf.pad(a, [[0, 0]] * (a.shape.rank - 2) + [[0, 1], [0, 1]])
    flat = tf.reshape(padded, shape)
    index = classes[:, :, None] * (n + 1) + classes[:, None, :]
    return tf.gather(flat, index, axis=-1)


def normalize_kernels(kernels: tf.Tensor) -> tf.Tensor:
    """A = K / tr(K), symmetrized: (..., n, n) PSD kernel matrices → unit-trace matrices."""
    a = kernels / tf.linalg.trace(kernels)[..., None, None]
    return 0.5 * (a + tf.linalg.matrix_transpose(a))
