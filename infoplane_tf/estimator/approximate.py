"""Rényi entropies of large unit-trace matrices without a full eigendecomposition.

The exact estimator takes every spectrum with ``eigvalsh``, O(n³) per matrix. Each method here
returns, for unit-trace PSD matrices a (..., n, n) with a constant diagonal 1/n (Gaussian and
label kernels, and their Hadamard products, normalized), the entropy S_α in bits AND an error
estimate in bits, each (...,):

- ``slq_entropy`` (``estimator.slq``, re-exported here): stochastic Lanczos quadrature with
  deflation and control variates, optionally to a tolerance. It serves any spectrum.
- ``nystrom_entropy``: a Nyström approximation Â = C W⁺ Cᵀ from k landmark columns
  (Williams & Seeger 2001). A − Â is PSD, so every eigenvalue of A is at least the matching
  one of Â, and the missing mass δ = 1 − tr Â lies somewhere on top of them: the entropy lies
  between δ all on the largest eigenvalue and δ water-filled into the smallest ones (a bound,
  not a statistic). Returns the interval's midpoint and half-width.
- ``identity_entropy``: the series around the identity for nearly diagonal matrices,
  K = nA = I + E with tr E = 0: tr (I + E)^α = n + Σ_j binom(α, j) tr E^j; tr E² exactly,
  tr E³ and tr E⁴ from Rademacher probes. It applies when the spectral radius ρ of E (from
  power iterations) is below ``IDENTITY_MAX_RADIUS``; its error is the next term's size over
  (1 − ρ) plus the probes' error, and infinite where it does not apply.

At α = 2 every method is the exact Frobenius path (O(n²), ``spectral_entropy``). Randomness
comes from a seed (stateless ops): equal seeds give equal results.

References:
    C. Williams, M. Seeger, "Using the Nyström Method to Speed Up Kernel Machines", NIPS 2001.
    M. Hutchinson, "A stochastic estimator of the trace of the influence matrix for Laplacian
    smoothing splines", Commun. Stat. Simul. Comput. 19(2), 1990.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.probing import (
    exact_alpha_two,
    flat_batch,
    rademacher,
    t_quantile,
    update_rows,
)
from infoplane_tf.estimator.slq import slq_entropy

__all__ = ["identity_entropy", "landmarks", "nystrom_bounds", "nystrom_entropy", "slq_entropy"]

#: Rademacher probes of ``identity_entropy``.
IDENTITY_PROBES = 16
#: Landmark columns of ``nystrom_entropy``.
NYSTROM_LANDMARKS = 768
#: ``identity_entropy`` applies below this spectral radius of E.
IDENTITY_MAX_RADIUS = 0.5
#: Power iterations that estimate that radius.
POWER_ITERATIONS = 12


def _spectral_sum(values: tf.Tensor, alpha: float) -> tf.Tensor:
    """Σ g(λ) over the last axis: g = λ^α, or −λ ln λ at α = 1 (0 at λ = 0)."""
    values = tf.maximum(values, 0.0)
    if alpha == 1.0:
        tiny = np.finfo(values.dtype.as_numpy_dtype).tiny
        return -tf.reduce_sum(values * tf.math.log(tf.maximum(values, tiny)), axis=-1)
    return tf.reduce_sum(tf.pow(values, alpha), axis=-1)


def _entropy_of_sum(total: tf.Tensor, alpha: float) -> tf.Tensor:
    """S_α in bits from ``_spectral_sum`` of a whole unit-trace spectrum."""
    if alpha == 1.0:
        return total / math.log(2.0)
    return tf.math.log(tf.maximum(total, 1e-300)) / ((1.0 - alpha) * math.log(2.0))


# --------------------------------------------------------------------------------------------
# Nyström
# --------------------------------------------------------------------------------------------


def landmarks(n: int, k: int, seed: int = 0) -> tf.Tensor:
    """k distinct indices of 0..n-1 (all of them, in order, when k ≥ n), seeded."""
    if k >= n:
        return tf.range(n)
    scores = tf.random.stateless_uniform([n], [seed, 11])
    return tf.sort(tf.math.top_k(scores, k).indices)


def nystrom_entropy(
    a: tf.Tensor, alpha: float, *, landmarks_count: int = NYSTROM_LANDMARKS, seed: int = 0
) -> tuple[tf.Tensor, tf.Tensor]:
    """S_α in bits of unit-trace PSD matrices a (..., n, n) from k Nyström landmark columns.

    Returns ``(entropy, error)``, each (...,) float64 bits: the midpoint and half-width of the
    interval the entropy must lie in given the landmark columns (see the module docstring).
    """
    if alpha == 2.0:
        return exact_alpha_two(a)
    flat, shape = flat_batch(a)
    index = landmarks(flat.shape[-1], landmarks_count, seed)
    columns = tf.cast(tf.gather(flat, index, axis=-1), tf.float64)  # (B, n, k)
    core = tf.gather(columns, index, axis=-2)  # (B, k, k)
    low, high = nystrom_bounds(columns, core, flat.shape[-1], alpha)
    return tf.reshape((low + high) / 2, shape), tf.reshape((high - low) / 2, shape)


def nystrom_bounds(columns: tf.Tensor, core: tf.Tensor, n: int, alpha: float):
    """The entropy interval (low, high) in bits, each (B,), of unit-trace matrices from their
    landmark columns C (B, n, k) and core W (B, k, k), float64."""
    w, u = tf.linalg.eigh(core)
    keep = w > 1e-12 * tf.reduce_max(w, axis=-1, keepdims=True)
    inverse_root = tf.where(keep, tf.math.rsqrt(tf.where(keep, w, 1.0)), 0.0)
    root = u * inverse_root[:, None, :]  # W⁺^(1/2) up to rotation: (B, k, k)
    projected = tf.matmul(columns, root)  # (B, n, k); Â = projected projectedᵀ
    mu = tf.linalg.eigvalsh(tf.matmul(projected, projected, transpose_a=True))
    mu = tf.maximum(mu, 0.0)  # ascending
    missing = tf.maximum(1.0 - tf.reduce_sum(mu, axis=-1), 0.0)
    concentrated = tf.concat([mu[:, :-1], mu[:, -1:] + missing[:, None]], axis=-1)
    filled = _water_fill(mu, missing, n)
    entropies = [_entropy_of_sum(_spectral_sum(s, alpha), alpha) for s in (concentrated, filled)]
    return tf.minimum(*entropies), tf.maximum(*entropies)


def _water_fill(mu: tf.Tensor, mass: tf.Tensor, n: int) -> tf.Tensor:
    """The n levels (zeros padded below the k ascending ``mu``) after pouring ``mass`` into
    the lowest ones: the most even spectrum whose levels are at least the given ones."""
    levels = tf.concat([tf.zeros([tf.shape(mu)[0], n - mu.shape[-1]], mu.dtype), mu], axis=-1)
    count = tf.range(1, n + 1, dtype=mu.dtype)
    water = (mass[:, None] + tf.cumsum(levels, axis=-1)) / count  # level if the first j fill
    # The water reaches the first j levels when it stays below the next one.
    top = tf.fill([tf.shape(mu)[0], 1], tf.constant(np.inf, mu.dtype))
    following = tf.concat([levels[:, 1:], top], axis=-1)
    reached = tf.cast(water <= following, tf.int32)
    first = tf.argmax(reached, axis=-1)  # the first j where the water stops rising
    level = tf.gather(water, first, batch_dims=1)
    return tf.maximum(levels, level[:, None])


# --------------------------------------------------------------------------------------------
# Series around the identity
# --------------------------------------------------------------------------------------------


def identity_entropy(
    a: tf.Tensor, alpha: float, *, probes: int = IDENTITY_PROBES, seed: int = 0
) -> tuple[tf.Tensor, tf.Tensor]:
    """S_α in bits of unit-trace PSD matrices a (..., n, n) close to I/n, by the series of
    (I + E)^α to third order (see the module docstring).

    Returns ``(entropy, error)``, each (...,) float64 bits; the error is infinite (and the
    entropy log2 n) where the spectral radius of E = n·a − I is ``IDENTITY_MAX_RADIUS`` or more.
    The radius is tested first, in a's precision: a matrix whose Frobenius norm rules it out
    costs one pass over it, one the power iterations rule out a few matrix-vector products.
    """
    if alpha == 2.0:
        return exact_alpha_two(a)
    flat, shape = flat_batch(a)
    n = flat.shape[-1]
    # ρ(E)² ≥ ‖E‖²_F / n = n‖A‖²_F − 1 (tr A = 1): one pass over A rules most matrices out
    # before any power iteration.
    square = tf.reduce_sum(tf.cast(tf.reduce_sum(tf.square(flat), -1), tf.float64), -1)
    lower = tf.sqrt(tf.maximum(n * square - 1.0, 0.0))
    candidates = tf.where(lower < IDENTITY_MAX_RADIUS)[:, 0]
    radius = tf.fill(tf.shape(lower), tf.constant(np.inf, tf.float64))

    def power_iterations():
        e = _deviation(tf.gather(flat, candidates))
        return (tf.cast(_spectral_radius(e, seed), tf.float64),)

    (radius,) = update_rows(candidates, (radius,), power_iterations)
    todo = tf.where(radius < IDENTITY_MAX_RADIUS)[:, 0]
    entropy = tf.fill(tf.shape(radius), tf.constant(math.log2(n), tf.float64))
    error = tf.fill(tf.shape(radius), tf.constant(np.inf, tf.float64))

    def series():
        e = _deviation(tf.cast(tf.gather(flat, todo), tf.float64))
        return _series_entropy(e, tf.gather(radius, todo), alpha, probes, seed)

    entropy, error = update_rows(todo, (entropy, error), series)
    return tf.reshape(entropy, shape), tf.reshape(error, shape)


def _deviation(flat: tf.Tensor) -> tf.Tensor:
    """E = n·A − I (B, n, n) without an identity constant: a graph folds tf.eye into a stored
    n × n constant (512 MB at n = 8,192), one per matrix of a streamed point."""
    scaled = flat * flat.shape[-1]
    return tf.linalg.set_diag(scaled, tf.linalg.diag_part(scaled) - 1.0)


def _series_entropy(e: tf.Tensor, radius: tf.Tensor, alpha: float, probes: int, seed: int):
    """(entropy, error) (B,) float64 bits from E (B, n, n) float64 of spectral radius < 1."""
    n = e.shape[-1]
    z = rademacher(tf.shape(e)[0], n, probes, seed, tf.float64)
    once = tf.matmul(e, z)
    twice = tf.matmul(e, once)
    cube = tf.reduce_sum(once * twice, axis=1)  # (B, probes): samples of tr E³
    fourth = tf.reduce_mean(tf.reduce_sum(twice * twice, axis=1), axis=-1)
    square = tf.reduce_sum(tf.square(e), axis=[-2, -1])
    c2, c3, c4 = _series_coefficients(alpha)
    cube_mean = tf.reduce_mean(cube, axis=-1)
    cube_error = t_quantile(probes - 1) * tf.math.reduce_std(cube, axis=-1) / math.sqrt(probes - 1)
    series = c2 * square + c3 * cube_mean  # Σ g(1 + e) − n (g(0-th and 1st order) cancel)
    remainder = abs(c4) * fourth / (1.0 - tf.minimum(radius, 0.99)) + abs(c3) * cube_error
    if alpha == 1.0:  # S = log2 n − Σ (1+e) ln(1+e) / (n ln 2)
        entropy = math.log2(n) - series / (n * math.log(2.0))
        return entropy, remainder / (n * math.log(2.0))
    total = tf.maximum(n + series, 1e-300)  # tr A^α = n^(−α) (n + series)
    entropy = (tf.math.log(total) / math.log(2.0) - alpha * math.log2(n)) / (1.0 - alpha)
    return entropy, remainder / (abs(1.0 - alpha) * math.log(2.0) * total)


def _series_coefficients(alpha: float) -> tuple[float, float, float]:
    """The coefficients of x², x³, x⁴ in (1 + x)^α, or in (1 + x) ln(1 + x) at α = 1."""
    if alpha == 1.0:
        return 0.5, -1.0 / 6.0, 1.0 / 12.0
    return (
        alpha * (alpha - 1) / 2,
        alpha * (alpha - 1) * (alpha - 2) / 6,
        alpha * (alpha - 1) * (alpha - 2) * (alpha - 3) / 24,
    )


def _spectral_radius(e: tf.Tensor, seed: int) -> tf.Tensor:
    """An estimate of the largest |eigenvalue| of symmetric E (B, n, n) by power iterations,
    enlarged by 10% (power iteration approaches it from below)."""
    v = tf.random.stateless_normal([tf.shape(e)[0], e.shape[-1], 1], [seed, 13], dtype=e.dtype)
    for _ in range(POWER_ITERATIONS):
        v = tf.matmul(e, v)
        v = v / tf.maximum(tf.norm(v, axis=1, keepdims=True), 1e-300)
    return 1.1 * tf.norm(tf.matmul(e, v), axis=[1, 2])
