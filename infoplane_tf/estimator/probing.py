"""What the randomised entropy methods share: batches of matrices, seeded probes, and the
confidence half-width of a probe mean (plain, or with control variates).

Every error an approximate method reports is a 95% half-width in bits; the ones here are
Student-t intervals of a mean over independent probes.
"""

from __future__ import annotations

import math

import tensorflow as tf

from infoplane_tf.estimator.spectra import spectral_entropy

#: Student-t 0.975 quantiles by degrees of freedom.
_T_975 = {
    1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 7: 2.36, 9: 2.26, 13: 2.16, 15: 2.13,
    29: 2.05, 31: 2.04, 61: 2.00, 125: 1.98,
}  # fmt: skip


def t_quantile(dof: int) -> float:
    """The Student-t 0.975 quantile for ``dof`` degrees of freedom (rounded conservatively:
    the tabulated one of the largest tabulated dof ≤ ``dof``)."""
    known = [d for d in _T_975 if d <= dof]
    return _T_975[max(known)] if known else _T_975[1]


def update_rows(todo: tf.Tensor, state: tuple, compute) -> tuple:
    """``state``, a tuple of (B, ...) tensors, with the rows ``todo`` (T,) int64 replaced by
    ``compute()`` (a tuple of (T, ...) tensors), which runs only when ``todo`` is not empty:
    the way the adaptive methods spend more work on the matrices that need it."""

    def update():
        index = todo[:, None]
        new = compute()
        return tuple(
            tf.tensor_scatter_nd_update(old, index, rows)
            for old, rows in zip(state, new, strict=True)
        )

    return tf.cond(tf.size(todo) > 0, update, lambda: state)


def flat_batch(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """a (..., n, n) as (B, n, n), and the leading shape to restore (a tensor: inside a graph
    a batch of the matrices that need more work has no static size)."""
    n = a.shape[-1]
    return tf.reshape(a, [-1, n, n]), tf.shape(a)[:-2]


def rademacher(batch, n: int, probes: int, seed: int, dtype) -> tf.Tensor:
    """Seeded ±1 probes (B, n, probes)."""
    bits = tf.random.stateless_uniform([batch, n, probes], [seed, 7], 0, 2, dtype=tf.int32)
    return tf.cast(2 * bits - 1, dtype)


def exact_alpha_two(a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """At α = 2 every method is the exact Frobenius path: (entropy, zero error), float64."""
    h = spectral_entropy(tf.cast(a, tf.float64), 2.0)
    return h, tf.zeros_like(h)


def probe_mean(samples: tf.Tensor, bounds: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """The mean of samples (B, m) over the probes and its 95% Student-t half-width, (B,), to
    which the mean of ``bounds`` (B, m), each sample's deterministic error bound, is added."""
    m = samples.shape[-1]
    spread = tf.math.reduce_std(samples, axis=-1) * math.sqrt(m / max(m - 1, 1))
    half_width = t_quantile(m - 1) * spread / math.sqrt(m)
    return tf.reduce_mean(samples, axis=-1), half_width + tf.reduce_mean(bounds, axis=-1)


def control_variate_mean(
    samples: tf.Tensor,
    bounds: tf.Tensor,
    controls: tf.Tensor,
    means: tf.Tensor,
    mean_errors: tf.Tensor,
) -> tuple[tf.Tensor, tf.Tensor]:
    """The mean of ``samples`` with the part its ``controls`` explain taken out, float64.

    A regression control-variate estimator (e.g. Glasserman, "Monte Carlo Methods in Financial
    Engineering", 2003, §4.1): per probe j, y_j = samples[j] and x_j = controls[j] with known
    expectation ``means``. With β the least-squares slope of y on x, ȳ − β·(x̄ − μ) estimates
    E[y]; its 95% half-width is the Student-t quantile (m − c − 1 degrees of freedom) times the
    regression's standard error of the fit at x = μ. It is never worse than ``probe_mean`` by
    more than the lost degrees of freedom, and exact when y is affine in x. A known mean is
    only as good as its rounding: |slope|·``mean_errors`` is added to the half-width (a
    control whose mean cancels catastrophically makes the estimate worse, not wrong). The
    estimate is a weighted sum Σ w_j y_j, so Σ |w_j|·``bounds``_j bounds what the samples'
    deterministic errors can move it.

    Args:
        samples: (B, m) per-probe estimates y, m > c + 1 probes; bounds: (B, m) bounds on
            their deterministic errors (e.g. a quadrature's).
        controls: (B, m, c) per-probe values x of c control variates.
        means: (B, c) their expectations μ, known up to
        mean_errors: (B, c) bounds on |μ's rounding error|.

    Returns:
        ``(mean, half_width)``, each (B,).
    """
    m, c = controls.shape[-2], controls.shape[-1]
    y = tf.cast(samples, tf.float64)
    x = tf.cast(controls, tf.float64)
    x_mean = tf.reduce_mean(x, axis=-2)
    y_mean = tf.reduce_mean(y, axis=-1)
    xc, yc = x - x_mean[:, None], y - y_mean[:, None]
    # Scaled columns and a pseudo-inverse: a control that hardly varies (a flat spectrum makes
    # λ and λ² nearly collinear) must not blow the slope up.
    scale = tf.sqrt(tf.reduce_sum(tf.square(xc), axis=-2)) + 1e-300  # (B, c)
    xs = xc / scale[:, None]
    gram_inverse = tf.linalg.pinv(tf.matmul(xs, xs, transpose_a=True), rcond=1e-10)
    beta = tf.linalg.matvec(gram_inverse, tf.linalg.matvec(xs, yc, transpose_a=True))
    residual = yc - tf.linalg.matvec(xs, beta)
    offset = (x_mean - tf.cast(means, tf.float64)) / scale  # (B, c)
    estimate = y_mean - tf.reduce_sum(beta * offset, axis=-1)
    dof = m - c - 1
    variance = tf.reduce_sum(tf.square(residual), axis=-1) / dof
    leverage = 1.0 / m + tf.reduce_sum(offset * tf.linalg.matvec(gram_inverse, offset), axis=-1)
    rounding = tf.reduce_sum(tf.abs(beta) * tf.cast(mean_errors, tf.float64) / scale, axis=-1)
    weights = 1.0 / m - tf.linalg.matvec(xs, tf.linalg.matvec(gram_inverse, offset))  # (B, m)
    deterministic = tf.reduce_sum(tf.abs(weights) * tf.cast(bounds, tf.float64), axis=-1)
    return estimate, t_quantile(dof) * tf.sqrt(variance * leverage) + rounding + deterministic
