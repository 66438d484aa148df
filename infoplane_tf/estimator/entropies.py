"""Entropies of a point's matrices by the method a name stands for, and each point's method.

The methods themselves are entries of ``infoplane_tf.entropy_methods``; this module runs the one
a name stands for, or for ``"auto"`` its candidates in turn (cheapest first: each matrix the
next one tries is one the previous could not measure within the tolerance), and names per point
the method of its least accurate matrix.
"""

from __future__ import annotations

from functools import partial

import tensorflow as tf

from infoplane_tf.entropy_methods import ENTROPY_METHODS, matrix_tolerance
from infoplane_tf.estimator.probing import update_rows


def estimate_entropies(
    a: tf.Tensor,
    estimator: str,
    alpha: float,
    eigvalsh=tf.linalg.eigvalsh,
    seed: int = 0,
    tolerance: float | None = None,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The entropies of the points' matrices a (P, ..., n, n) by ``estimator``.

    Args:
        a: unit-trace matrices, the first axis the points.
        estimator: a name of ``infoplane_tf.entropy_methods.ENTROPY_METHODS``. ``"auto"``:
            exact up to its ``exact_up_to`` samples; above, each matrix takes the first of its
            candidates whose error estimate is within ``tolerance`` (the last one otherwise).
        alpha: the Rényi order; eigvalsh: the exact path's eigenvalue routine; seed: the
            approximations' random seed.
        tolerance: None or the error in bits each entropy should reach (``slq`` spends more
            work to reach it; for None ``"auto"`` takes its default information tolerance,
            ``entropy_methods.matrix_tolerance`` of it).

    Returns:
        ``(entropy, error, method)``: entropy and error (P, ...) in bits in a's dtype (error 0
        for exact), and method (P,) int32, per point the ``METHODS`` code of the method of its
        matrix with the largest error estimate.
    """
    entropy, error, codes = matrix_entropies(a, estimator, alpha, eigvalsh, seed, tolerance)
    return entropy, error, point_methods(error, codes)


def matrix_entropies(
    a: tf.Tensor,
    estimator: str,
    alpha: float,
    eigvalsh=tf.linalg.eigvalsh,
    seed: int = 0,
    tolerance: float | None = None,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """``estimate_entropies`` per matrix: entropy, error (P, ...) in a's dtype and the code of
    each matrix's method (P, ...) int32, for ``point_methods`` once a point is complete."""
    method = ENTROPY_METHODS[estimator]
    if method.candidates:  # "auto"
        if a.shape[-1] <= method.exact_up_to:
            return matrix_entropies(a, "exact", alpha, eigvalsh, seed)
        return _first_within(a, method, alpha, eigvalsh, seed, tolerance)
    entropy, error = method.entropy(a, alpha, seed, eigvalsh, tolerance)
    codes = tf.fill(tf.shape(entropy), method.code)
    return tf.cast(entropy, a.dtype), tf.cast(error, a.dtype), codes


def _first_within(a: tf.Tensor, auto, alpha, eigvalsh, seed, tolerance):
    """``auto``'s candidates in turn on the matrices still above the tolerance."""
    tolerance = matrix_tolerance(auto.tolerance) if tolerance is None else tolerance
    n = a.shape[-1]
    flat = tf.reshape(a, [-1, n, n])
    first, *others = auto.candidates
    entropy, error, codes = matrix_entropies(flat, first, alpha, eigvalsh, seed, tolerance)
    for name in others:
        todo = tf.where(error > tolerance)[:, 0]
        work = partial(_rows, flat, todo, name, alpha, eigvalsh, seed, tolerance)
        entropy, error, codes = update_rows(todo, (entropy, error, codes), work)
    shape = tf.shape(a)[:-2]
    return tuple(tf.reshape(v, shape) for v in (entropy, error, codes))


def _rows(flat, todo, name, alpha, eigvalsh, seed, tolerance):
    return matrix_entropies(tf.gather(flat, todo), name, alpha, eigvalsh, seed, tolerance)


def point_methods(error: tf.Tensor, codes: tf.Tensor) -> tf.Tensor:
    """(P,) int32: per point (first axis) the code of its matrix with the largest error."""
    points = tf.shape(error)[0]
    worst = tf.argmax(tf.reshape(error, [points, -1]), axis=-1, output_type=tf.int32)
    return tf.gather(tf.reshape(codes, [points, -1]), worst, batch_dims=1)
