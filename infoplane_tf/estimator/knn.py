"""k-nearest-neighbour estimators: Kraskov, Stögbauer & Grassberger's (2004) estimator 1 of
I(A;B) for two continuous variables, Ross's (2014) variant for a continuous and a discrete one,
and the Kozachenko–Leonenko entropy; in bits.

KSG 1: with ε_i the distance from sample i to its k-th neighbour in the joint space (the larger
of the two marginal distances), n_a(i) and n_b(i) the samples strictly within ε_i in each
marginal,

    I(A;B) = ψ(k) + ψ(n) − ⟨ψ(n_a + 1) + ψ(n_b + 1)⟩.

Marginal distances are Euclidean (KSG allows any norm; the ball volumes cancel), so they come
from one matrix product each, and each variable's distances are in units of its median pairwise
distance: the joint maximum needs comparable scales (Kraskov et al. rescale to unit variance),
or the variable with the larger distances decides every ε_i and the estimate is 0 whatever the
dependence. So the estimate does not change when either variable is scaled. It is biased
towards 0 for strongly dependent pairs at small n (it cannot exceed about ψ(n) − ψ(k)) and can
be slightly negative for independent ones: a negative value is returned as it is, never
clipped.

Ross: for sample i of class y (n_y samples), d_i is the distance to its k-th neighbour within
the class (k at most n_y − 1; classes of one sample are left out) and m_i the number of samples
of any class within d_i (the k-th included):

    I(T;Y) = ψ(n) − ⟨ψ(n_y)⟩ + ⟨ψ(k_i)⟩ − ⟨ψ(m_i)⟩.

References:
    A. Kraskov, H. Stögbauer, P. Grassberger, "Estimating mutual information", Phys. Rev. E
    69:066138, 2004.
    B. C. Ross, "Mutual Information between Discrete and Continuous Data Sets", PLoS ONE
    9(2):e87357, 2014.
    L. F. Kozachenko, N. N. Leonenko, "Sample estimate of the entropy of a random vector",
    Problems Inform. Transmission 23:95-101, 1987.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.kernels import flatten_samples, squared_distances

_LN2 = np.log(2.0)


def distances(t) -> tf.Tensor:
    """Euclidean distances (n, n) float64 between the rows of t (n, ...), +inf on the diagonal
    (a sample is not its own neighbour)."""
    t = flatten_samples(tf.cast(tf.convert_to_tensor(t), tf.float64))
    d = tf.sqrt(squared_distances(t - tf.reduce_mean(t, axis=0)))
    return tf.linalg.set_diag(d, tf.fill([tf.shape(d)[0]], tf.constant(np.inf, tf.float64)))


def kth_distance(d, k: int) -> tf.Tensor:
    """(n,) the distance of each row's k-th smallest entry of d (n, n)."""
    return -tf.math.top_k(-d, k=k, sorted=True).values[:, k - 1]


def median_scale(d) -> tf.Tensor:
    """The median of the off-diagonal distances of d (n, n) (the upper middle value for an even
    count); the largest one when that median is 0 (mostly duplicated samples); 1 when every
    distance is 0."""
    d = tf.convert_to_tensor(d, tf.float64)
    finite = tf.linalg.set_diag(d, tf.zeros([tf.shape(d)[0]], tf.float64))
    middle = _off_diagonal_median(finite)
    largest = tf.reduce_max(finite)
    return tf.where(middle > 0, middle, tf.where(largest > 0, largest, tf.ones_like(largest)))


@tf.function(autograph=True, reduce_retracing=True)
def _off_diagonal_median(d):
    """The value at sorted position n(n−1)/2 among the off-diagonal entries of d (n, n),
    non-negative with a zero diagonal: an exact selection by bisection on the float64 bit
    patterns (ordered like the values for non-negative floats), 64 counts instead of a sort of
    n² values."""
    n = tf.cast(tf.shape(d)[0], tf.int64)
    bits = tf.bitcast(d, tf.int64)
    target = n * (n - 1) // 2 + n  # the diagonal's n zeros come first
    low, high = tf.constant(0, tf.int64), tf.reduce_max(bits)
    while low < high:
        middle = low + (high - low) // 2
        if tf.reduce_sum(tf.cast(bits <= middle, tf.int64)) > target:
            high = middle
        else:
            low = middle + 1
    return tf.bitcast(low, tf.float64)


def scaled(d) -> tf.Tensor:
    """Distances d (n, n) in units of their ``median_scale``."""
    return d / median_scale(d)


def ksg_information(d_a, d_b, k: int, scale: bool = True) -> tf.Tensor:
    """KSG estimator 1 of I(A;B) from the two marginal distance matrices, in bits.

    Args:
        d_a, d_b: (n, n) distances (``distances``), +inf on the diagonal; each is divided by
            its ``median_scale`` (``scale=False``: they already are, see ``scaled``).
        k: neighbours, 1 ≤ k < n.

    Returns:
        A float64 scalar (may be slightly negative for independent variables).
    """
    n = tf.cast(tf.shape(d_a)[0], tf.float64)
    if scale:
        d_a, d_b = scaled(d_a), scaled(d_b)
    eps = kth_distance(tf.maximum(d_a, d_b), k)[:, None]
    n_a = tf.reduce_sum(tf.cast(d_a < eps, tf.float64), axis=1)
    n_b = tf.reduce_sum(tf.cast(d_b < eps, tf.float64), axis=1)
    psi = tf.math.digamma
    value = psi(tf.constant(float(k), tf.float64)) + psi(n)
    return (value - tf.reduce_mean(psi(n_a + 1.0) + psi(n_b + 1.0))) / _LN2


def mixed_information(d, labels, k: int) -> tf.Tensor:
    """Ross's estimator of I(T;Y) for continuous T and class labels Y, in bits.

    Args:
        d: (n, n) distances between the samples of T (``distances``).
        labels: (n,) integer classes.
        k: neighbours within a class (fewer in a class of k samples or less).

    Returns:
        A float64 scalar; 0 when every class has a single sample.
    """
    labels = tf.convert_to_tensor(labels)
    same = tf.equal(labels[:, None], labels[None, :])
    class_size = tf.reduce_sum(tf.cast(same, tf.int32), axis=1)
    kept = class_size > 1
    if not bool(tf.reduce_any(kept)):
        return tf.constant(0.0, tf.float64)
    # Samples alone in their class leave entirely: as query points, from n and as neighbours.
    d = tf.boolean_mask(tf.boolean_mask(d, kept), kept, axis=1)
    same = tf.boolean_mask(tf.boolean_mask(same, kept), kept, axis=1)
    class_size = class_size[kept]
    k_i = tf.minimum(k, class_size - 1)
    within = tf.where(same, d, tf.constant(np.inf, tf.float64))
    nearest = -tf.math.top_k(-within, k=min(k, int(tf.shape(within)[1]) - 1)).values
    radius = tf.gather(nearest, k_i - 1, batch_dims=1)
    m = tf.reduce_sum(tf.cast(d <= radius[:, None], tf.float64), axis=1)
    psi = tf.math.digamma
    n = tf.cast(tf.shape(d)[0], tf.float64)
    k_i, class_size = tf.cast(k_i, tf.float64), tf.cast(class_size, tf.float64)
    value = psi(n) - tf.reduce_mean(psi(class_size)) + tf.reduce_mean(psi(k_i))
    return (value - tf.reduce_mean(psi(m))) / _LN2


def kl_entropy(d, k: int, dimensions: int) -> tf.Tensor:
    """The Kozachenko–Leonenko estimate of the differential entropy of T, in bits.

    Args:
        d: (n, n) distances between the samples of T (``distances``).
        k: neighbours; dimensions: d, T's units.

    Returns:
        A float64 scalar: ψ(n) − ψ(k) + log V_d + d·⟨log ε_i⟩, with V_d the unit ball's volume
        and ε_i the k-th neighbour's distance, floored at 1e-12 · max(largest distance, 1) (so
        duplicated samples give a very low but finite value, never −inf).
    """
    n = tf.cast(tf.shape(d)[0], tf.float64)
    eps = kth_distance(d, k)
    finite = tf.where(tf.math.is_finite(d), d, tf.zeros_like(d))
    floor = 1e-12 * tf.maximum(tf.reduce_max(finite), 1.0)
    log_volume = 0.5 * dimensions * math.log(math.pi) - math.lgamma(0.5 * dimensions + 1.0)
    psi = tf.math.digamma
    value = psi(n) - psi(tf.constant(float(k), tf.float64)) + log_volume
    return (value + dimensions * tf.reduce_mean(tf.math.log(tf.maximum(eps, floor)))) / _LN2
