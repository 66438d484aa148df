"""Kernel density bounds (Kolchinsky & Tracey 2017, as Saxe et al. 2018 used them): the layer
T plus Gaussian noise of variance s² per unit is a mixture of n Gaussians centred on the
samples, whose entropy is bounded by pairwise distances between the components:

    H(T̃) ≤ H(T̃|X) − (1/n) Σ_i ln (1/n) Σ_j exp(−‖t_i − t_j‖² / (2 s²))   (KL divergences)
    H(T̃) ≥ H(T̃|X) − (1/n) Σ_i ln (1/n) Σ_j exp(−‖t_i − t_j‖² / (8 s²))   (Bhattacharyya)

with H(T̃|X) = d/2 · ln(2πe s²) the noise's entropy. So I(X;T̃) = H(T̃) − H(T̃|X) is the
pairwise term alone, between 0 and log2 n. I(T;Y) = H(T̃) − Σ_y p(y) H(T̃|Y=y) takes the same
bound on each class; I(T;X') adds the same noise to X' and reads H(T̃) + H(X̃') − H(T̃, X̃').
KDE is not scale-invariant: scaling T by c is the same as dividing s by c.

References:
    A. Kolchinsky, B. D. Tracey, "Estimating Mixture Entropy with Pairwise Distances",
    Entropy 19(7):361, 2017.
    A. M. Saxe et al., "On the Information Bottleneck Theory of Deep Learning", ICLR 2018.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.kernels import flatten_samples, squared_distances

#: The divisor of ‖t_i − t_j‖² per unit of s²: the KL (upper) and Bhattacharyya (lower) bound.
BOUND_SCALES = {"upper": 2.0, "lower": 8.0}
#: The bounds' names.
BOUNDS = tuple(BOUND_SCALES)


def pairwise_distances(t) -> tf.Tensor:
    """Squared Euclidean distances (n, n) float64 between the rows of t (n, ...)."""
    t = flatten_samples(tf.cast(tf.convert_to_tensor(t), tf.float64))
    return squared_distances(t - tf.reduce_mean(t, axis=0))


def pairwise_term(d2, variance: float, bound: str, groups=None) -> tf.Tensor:
    """−(1/n) Σ_i log2 (1/n_i) Σ_{j ~ i} exp(−d2_ij / (c·s²)), in bits (float64 scalar).

    Args:
        d2: (n, n) squared distances.
        variance: s², the noise variance per unit.
        bound: ``"upper"`` (c = 2, the KL bound) or ``"lower"`` (c = 8, Bhattacharyya).
        groups: None (every j, n_i = n), or (n,) labels: j ranges over i's class only, which
            gives Σ_y p(y) · (the term of class y).
    """
    logits = -d2 / (BOUND_SCALES[bound] * variance)
    if groups is None:
        log_mean = tf.reduce_logsumexp(logits, axis=1) - tf.math.log(
            tf.cast(tf.shape(d2)[0], d2.dtype)
        )
    else:
        same = tf.equal(groups[:, None], groups[None, :])
        logits = tf.where(same, logits, tf.constant(-np.inf, d2.dtype))
        sizes = tf.reduce_sum(tf.cast(same, d2.dtype), axis=1)
        log_mean = tf.reduce_logsumexp(logits, axis=1) - tf.math.log(sizes)
    return -tf.reduce_mean(log_mean) / np.log(2.0)


def noise_entropy(dimensions: int, variance: float) -> float:
    """H(T̃|X) = d/2 · log2(2πe s²), the entropy of d units of Gaussian noise, in bits."""
    return 0.5 * dimensions * np.log2(2.0 * np.pi * np.e * variance)
