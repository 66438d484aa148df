"""Entropies of a point's matrices by the method a name stands for, and the per-point choice.

The methods themselves are entries of ``infoplane_tf.entropy_methods``; this module runs the one
(or, for ``"auto"``, the ones) a name stands for and picks, per point, the method whose largest
error estimate is smallest.
"""

from __future__ import annotations

import tensorflow as tf

from infoplane_tf.entropy_methods import ENTROPY_METHODS


def estimate_entropies(
    a: tf.Tensor, estimator: str, alpha: float, eigvalsh=tf.linalg.eigvalsh, seed: int = 0
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The entropies of the points' matrices a (P, ..., n, n) by ``estimator``.

    Args:
        a: unit-trace matrices, the first axis the points.
        estimator: a name of ``infoplane_tf.entropy_methods.ENTROPY_METHODS``. ``"auto"``:
            exact up to its ``exact_up_to`` samples; above, every candidate is computed and
            each point takes the method whose largest error estimate over its matrices is
            smallest.
        alpha: the Rényi order; eigvalsh: the exact path's eigenvalue routine; seed: the
            approximations' random seed.

    Returns:
        ``(entropy, error, method)``: entropy and error (P, ...) in bits in a's dtype (error 0
        for exact), and method (P,) int32, the code of the method each point used in
        ``METHODS``.
    """
    return choose_per_point(*every_method(a, estimator, alpha, eigvalsh, seed), a.dtype)


def every_method(
    a: tf.Tensor, estimator: str, alpha: float, eigvalsh=tf.linalg.eigvalsh, seed: int = 0
) -> tuple[tuple[str, ...], tf.Tensor, tf.Tensor]:
    """The entropies of matrices a (P, ..., n, n) by each method ``estimator`` stands for.

    Returns ``(names, entropy, error)``: the methods' names (one, or every approximation for
    ``"auto"`` above the crossover) and their entropies and errors (methods, P, ...) in bits,
    for ``choose_per_point`` once every matrix of a point is measured.
    """
    method = ENTROPY_METHODS[estimator]
    if method.candidates:  # "auto"
        names = ("exact",) if a.shape[-1] <= method.exact_up_to else method.candidates
    else:
        names = (estimator,)
    results = [ENTROPY_METHODS[name].entropy(a, alpha, seed, eigvalsh) for name in names]
    entropy = tf.stack([h for h, _ in results])
    error = tf.stack([e for _, e in results])
    return names, tf.cast(entropy, a.dtype), tf.cast(error, a.dtype)


def choose_per_point(names, entropy: tf.Tensor, error: tf.Tensor, dtype):
    """Per point (the axis after the methods'), the method whose largest error estimate is
    smallest: ``(entropy, error, method)`` as ``estimate_entropies`` returns them."""
    points = tf.shape(entropy)[1]
    worst = tf.reduce_max(tf.reshape(error, [len(names), points, -1]), axis=-1)
    best = tf.argmin(worst, axis=0, output_type=tf.int32)  # (P,)
    pick = tf.stack([best, tf.range(points)], axis=-1)
    h, e = tf.gather_nd(entropy, pick), tf.gather_nd(error, pick)
    codes = tf.constant([ENTROPY_METHODS[name].code for name in names], tf.int32)
    return tf.cast(h, dtype), tf.cast(e, dtype), tf.gather(codes, best)
