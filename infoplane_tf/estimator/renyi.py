"""The scalar estimators: S_α(X) and I_α(X;Y) of two sample sets, in bits (float64 default)."""

from __future__ import annotations

import tensorflow as tf

from infoplane_tf.catalog import PAPER
from infoplane_tf.estimator.checks import (
    as_samples,
    check_alpha,
    check_dtype,
    check_gamma,
    check_same_samples,
    check_sigma,
)
from infoplane_tf.estimator.kernels import gaussian_gram
from infoplane_tf.estimator.spectra import entropy_of_kernels


def renyi_entropy(
    x,
    alpha: float = PAPER.alpha,
    sigma: str | float = PAPER.sigma,
    gamma: float | None = None,
    *,
    dtype: str = "float64",
) -> tf.Tensor:
    """Matrix-based Rényi α-order entropy S_α(X) of the samples in ``x``.

    Args:
        x: array or tensor of shape (n, ...), n ≥ 2 samples; flattened to (n, d).
        alpha: order α > 0 (default 1.01, the paper's); α = 1 is the von Neumann entropy.
        sigma: kernel-width rule, see ``gaussian_gram``.
        gamma: the width scale γ (σ = γ·σ₁); None: the rule's default (2 for 'paper').
        dtype: precision of the Gram matrix and spectrum, "float64" (default) or "float32".

    Returns:
        A scalar tensor of ``dtype`` in bits (``float()`` accepts it), in [0, log2 n].

    Raises:
        ValueError: NaN/Inf in x, fewer than 2 samples, α ≤ 0, σ ≤ 0 or an unknown rule.

    Example:
        >>> float(renyi_entropy(np.eye(8), sigma=1e-3))  # doctest: +ELLIPSIS
        3.0...
    """
    alpha, sigma = check_alpha(alpha), check_sigma(sigma)
    gamma = None if gamma is None else check_gamma(gamma)
    k, _ = gaussian_gram(as_samples(x, "x", check_dtype(dtype, alpha)), sigma, gamma)
    return entropy_of_kernels(k, alpha)


def renyi_mutual_information(
    x,
    y,
    alpha: float = PAPER.alpha,
    sigma: str | float = PAPER.sigma,
    gamma: float | None = None,
    *,
    dtype: str = "float64",
) -> tf.Tensor:
    """Matrix-based Rényi mutual information I_α(X;Y) = S(X) + S(Y) - S(X,Y).

    Args:
        x: (n, ...) samples of X; y: (n, ...) samples of Y, row i paired with row i of x.
        alpha, sigma, gamma, dtype: as in ``renyi_entropy``; each variable gets its own width
            by the same rule.

    Returns:
        A scalar tensor of ``dtype`` in bits; 0 ≤ I ≤ min(S(X), S(Y)) up to rounding.

    Raises:
        ValueError: as ``renyi_entropy``, plus x and y with different numbers of samples.
    """
    alpha, sigma = check_alpha(alpha), check_sigma(sigma)
    gamma = None if gamma is None else check_gamma(gamma)
    dtype = check_dtype(dtype, alpha)
    x, y = as_samples(x, "x", dtype), as_samples(y, "y", dtype)
    check_same_samples({"x": x, "y": y})
    k_x, _ = gaussian_gram(x, sigma, gamma)
    k_y, _ = gaussian_gram(y, sigma, gamma)
    h = entropy_of_kernels(tf.stack([k_x, k_y, k_x * k_y]), alpha)
    return h[0] + h[1] - h[2]
