"""Rényi entropies of large unit-trace matrices without a full eigendecomposition.

The exact estimator takes every spectrum with ``eigvalsh``, O(n³) per matrix. Each method here
returns, for unit-trace PSD matrices a (..., n, n) with a constant diagonal 1/n (Gaussian and
label kernels, and their Hadamard products, normalized), the entropy S_α in bits AND an error
estimate in bits, each (...,):

- ``slq_entropy``: stochastic Lanczos quadrature (Ubaru, Chen & Saad 2017). It estimates
  t = tr(A − A^α) = Σ λ − λ^α (a control variate: tr A = 1 is known, so only the small
  difference is estimated; estimating tr A^α itself multiplies its error by 1/|1 − α|, 100 at
  α = 1.01) from random unit probes u, n·uᵀf(A)u ≈ n Σ_k τ_k² f(θ_k) over the Ritz values θ of
  ``steps`` Lanczos steps (fully reorthogonalized), after taking the top of the spectrum out.
  Error: a Student-t 95% half-width of the probe mean, carried through
  S = log2(1 − t) / (1 − α). At α = 1, f(λ) = −λ log λ directly.
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
    S. Ubaru, J. Chen, Y. Saad, "Fast Estimation of tr(f(A)) via Stochastic Lanczos
    Quadrature", SIAM J. Matrix Anal. Appl. 38(4), 2017.
    C. Williams, M. Seeger, "Using the Nyström Method to Speed Up Kernel Machines", NIPS 2001.
    M. Hutchinson, "A stochastic estimator of the trace of the influence matrix for Laplacian
    smoothing splines", Commun. Stat. Simul. Comput. 19(2), 1990.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from infoplane_tf.estimator.spectra import spectral_entropy

#: Rademacher probes of ``slq_entropy`` and ``identity_entropy``.
SLQ_PROBES = 16
#: Lanczos steps per probe.
SLQ_STEPS = 20
#: Top Ritz pairs taken out of the spectrum before the probes (at most n / 4).
SLQ_DEFLATION = 64
#: Block power steps that find them.
SUBSPACE_ITERATIONS = 2
#: Landmark columns of ``nystrom_entropy``.
NYSTROM_LANDMARKS = 768
#: ``identity_entropy`` applies below this spectral radius of E.
IDENTITY_MAX_RADIUS = 0.5
#: Power iterations that estimate that radius.
POWER_ITERATIONS = 12
#: Student-t 0.975 quantiles by degrees of freedom (probes − 1) for the probe-mean error.
_T_975 = {1: 12.71, 2: 4.30, 3: 3.18, 4: 2.78, 5: 2.57, 7: 2.36, 9: 2.26, 15: 2.13, 31: 2.04}


def _t_quantile(probes: int) -> float:
    """The Student-t 0.975 quantile for ``probes − 1`` degrees of freedom (conservative)."""
    known = [d for d in _T_975 if d <= probes - 1]
    return _T_975[max(known)] if known else 12.71


def _flat(a: tf.Tensor) -> tuple[tf.Tensor, list]:
    """a (..., n, n) as (B, n, n), and the leading shape to restore."""
    n = a.shape[-1]
    return tf.reshape(a, [-1, n, n]), a.shape[:-2].as_list()


def _rademacher(batch: int, n: int, probes: int, seed: int, dtype) -> tf.Tensor:
    """Seeded ±1 probes (B, n, probes)."""
    bits = tf.random.stateless_uniform([batch, n, probes], [seed, 7], 0, 2, dtype=tf.int32)
    return tf.cast(2 * bits - 1, dtype)


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


def _exact_alpha_two(a: tf.Tensor):
    h = spectral_entropy(tf.cast(a, tf.float64), 2.0)
    return h, tf.zeros_like(h)


# --------------------------------------------------------------------------------------------
# Stochastic Lanczos quadrature
# --------------------------------------------------------------------------------------------


def slq_entropy(
    a: tf.Tensor,
    alpha: float,
    *,
    probes: int = SLQ_PROBES,
    steps: int = SLQ_STEPS,
    deflation: int = SLQ_DEFLATION,
    seed: int = 0,
) -> tuple[tf.Tensor, tf.Tensor]:
    """S_α in bits of unit-trace PSD matrices a (..., n, n) by stochastic Lanczos quadrature.

    The top of the spectrum is taken out first (``deflation`` Ritz pairs from subspace
    iteration, V): tr f(A) = tr Vᵀf(A)V + tr P⊥f(A)P⊥ for any orthonormal V, the first ≈ Σ f(μ)
    over the Ritz values, the second from Gaussian probes projected off V, whose variance no
    longer carries the large eigenvalues.

    Returns ``(entropy, error)``, each (...,) float64 bits: the estimate and its 95% half-width
    from the probes' spread (the quadrature's own error shrinks geometrically with ``steps``).
    """
    if alpha == 2.0:
        return _exact_alpha_two(a)
    flat, shape = _flat(a)
    n = flat.shape[-1]
    f = _trace_function(alpha)
    ritz, vectors = _top_ritz_pairs(flat, min(deflation, n // 4), seed)
    top = tf.reduce_sum(f(ritz), axis=-1)  # (B,)
    z = tf.random.stateless_normal([tf.shape(flat)[0], n, probes], [seed, 7], dtype=flat.dtype)
    if vectors is not None:
        z = z - tf.matmul(vectors, tf.matmul(vectors, z, transpose_a=True))
    theta, tau2 = _lanczos_quadrature(flat, z, min(steps, n))  # (B, probes, steps), float64
    # z/|z| is uniform on the unit sphere of the (n − rank)-dimensional complement, so
    # (n − rank)·uᵀf(A)u is unbiased for tr P⊥f(A)P⊥, and exact when f is flat there.
    rest = n - ritz.shape[-1]
    per_probe = top[:, None] + rest * tf.reduce_sum(tau2 * f(theta), axis=-1)
    t = tf.reduce_mean(per_probe, axis=-1)  # tr f(A)
    spread = tf.math.reduce_std(per_probe, axis=-1) * math.sqrt(probes / max(probes - 1, 1))
    t_error = _t_quantile(probes) * spread / math.sqrt(probes)
    if alpha == 1.0:
        entropy, error = t / math.log(2.0), t_error / math.log(2.0)
    else:
        rest = tf.maximum(1.0 - t, 1e-300)  # tr A^α
        entropy = tf.math.log(rest) / ((1.0 - alpha) * math.log(2.0))
        error = t_error / (abs(1.0 - alpha) * math.log(2.0) * rest)
    return tf.reshape(entropy, shape), tf.reshape(error, shape)


def _trace_function(alpha: float):
    """f with tr f(A) = 1 − tr A^α (the control variate), or −Σ λ ln λ at α = 1; float64."""
    if alpha == 1.0:
        return lambda x: -tf.maximum(x, 0.0) * tf.math.log(tf.maximum(x, 1e-300))
    return lambda x: tf.maximum(x, 0.0) - tf.pow(tf.maximum(x, 0.0), alpha)


def _top_ritz_pairs(a: tf.Tensor, rank: int, seed: int):
    """Ritz values (B, rank) float64 and orthonormal Ritz vectors (B, n, rank) of a's top
    eigenspace from ``SUBSPACE_ITERATIONS`` block power steps; (zeros, None) for rank 0."""
    if rank <= 0:
        return tf.zeros([tf.shape(a)[0], 0], tf.float64), None
    shape = [tf.shape(a)[0], a.shape[-1], rank]
    q = tf.random.stateless_normal(shape, [seed, 17], dtype=a.dtype)
    for _ in range(SUBSPACE_ITERATIONS):
        q, _ = tf.linalg.qr(tf.matmul(a, q))
    small = tf.cast(tf.matmul(q, tf.matmul(a, q), transpose_a=True), tf.float64)
    values, rotation = tf.linalg.eigh((small + tf.linalg.matrix_transpose(small)) / 2)
    return values, tf.matmul(q, tf.cast(rotation, a.dtype))


def _lanczos_quadrature(a: tf.Tensor, z: tf.Tensor, steps: int):
    """Ritz values θ and squared first components τ² (B, probes, steps) of ``steps`` Lanczos
    steps from each probe column of z (B, n, probes), fully reorthogonalized."""
    q = z / tf.norm(z, axis=1, keepdims=True)
    basis, alphas, betas = [q], [], []
    previous, beta = tf.zeros_like(q), tf.zeros_like(q[:, 0])
    for j in range(steps):
        w = tf.matmul(a, q)
        alpha_j = tf.reduce_sum(q * w, axis=1)  # (B, probes)
        w = w - alpha_j[:, None] * q - beta[:, None] * previous
        stacked = tf.stack(basis, axis=-1)  # (B, n, probes, j + 1)
        w = w - tf.einsum("bnpj,bpj->bnp", stacked, tf.einsum("bnpj,bnp->bpj", stacked, w))
        alphas.append(alpha_j)
        if j == steps - 1:
            break
        beta = tf.norm(w, axis=1)
        # An invariant subspace was found (e.g. a rank-one matrix): the rest of T decouples.
        alive = beta > 1e-7 * tf.maximum(tf.abs(alpha_j), 1e-30)
        previous, q = q, tf.where(alive[:, None], w / tf.where(alive, beta, 1.0)[:, None], 0.0)
        beta = tf.where(alive, beta, 0.0)
        betas.append(beta)
        basis.append(q)
    diagonal = tf.cast(tf.stack(alphas, axis=-1), tf.float64)  # (B, probes, steps)
    t = tf.linalg.diag(diagonal)
    if betas:
        off = tf.cast(tf.stack(betas, axis=-1), tf.float64)
        t += tf.linalg.diag(off, k=1) + tf.linalg.diag(off, k=-1)
    theta, vectors = tf.linalg.eigh(t)
    return tf.maximum(theta, 0.0), tf.square(vectors[..., 0, :])


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
        return _exact_alpha_two(a)
    flat, shape = _flat(a)
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
    a: tf.Tensor, alpha: float, *, probes: int = SLQ_PROBES, seed: int = 0
) -> tuple[tf.Tensor, tf.Tensor]:
    """S_α in bits of unit-trace PSD matrices a (..., n, n) close to I/n, by the series of
    (I + E)^α to third order (see the module docstring).

    Returns ``(entropy, error)``, each (...,) float64 bits; the error is infinite (and the
    entropy log2 n) where the spectral radius of E = n·a − I is ``IDENTITY_MAX_RADIUS`` or more.
    """
    if alpha == 2.0:
        return _exact_alpha_two(a)
    flat, shape = _flat(a)
    n = flat.shape[-1]
    scaled = tf.cast(flat, tf.float64) * n
    # E = nA − I without an identity constant: a graph folds tf.eye into a stored n × n
    # constant (512 MB at n = 8,192), one per matrix of a streamed point.
    e = tf.linalg.set_diag(scaled, tf.linalg.diag_part(scaled) - 1.0)
    radius = _spectral_radius(e, seed)
    z = _rademacher(tf.shape(e)[0], n, probes, seed, tf.float64)
    once = tf.matmul(e, z)
    twice = tf.matmul(e, once)
    cube = tf.reduce_sum(once * twice, axis=1)  # (B, probes): samples of tr E³
    fourth = tf.reduce_mean(tf.reduce_sum(twice * twice, axis=1), axis=-1)
    square = tf.reduce_sum(tf.square(e), axis=[-2, -1])
    c2, c3, c4 = _series_coefficients(alpha)
    cube_mean = tf.reduce_mean(cube, axis=-1)
    cube_error = _t_quantile(probes) * tf.math.reduce_std(cube, axis=-1) / math.sqrt(probes - 1)
    series = c2 * square + c3 * cube_mean  # Σ g(1 + e) − n (g(0-th and 1st order) cancel)
    remainder = abs(c4) * fourth / (1.0 - tf.minimum(radius, 0.99)) + abs(c3) * cube_error
    if alpha == 1.0:  # S = log2 n − Σ (1+e) ln(1+e) / (n ln 2)
        entropy = math.log2(n) - series / (n * math.log(2.0))
        error = remainder / (n * math.log(2.0))
    else:  # tr A^α = n^(−α) (n + series)
        total = tf.maximum(n + series, 1e-300)
        entropy = (tf.math.log(total) / math.log(2.0) - alpha * math.log2(n)) / (1.0 - alpha)
        error = remainder / (abs(1.0 - alpha) * math.log(2.0) * total)
    applies = radius < IDENTITY_MAX_RADIUS
    entropy = tf.where(applies, entropy, math.log2(n))
    error = tf.where(applies, error, np.inf)
    return tf.reshape(entropy, shape), tf.reshape(error, shape)


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
