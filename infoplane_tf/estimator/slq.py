"""Rényi entropies of large unit-trace matrices by stochastic Lanczos quadrature, to a tolerance.

For unit-trace PSD matrices A (n × n) the method estimates t = tr f(A) = Σ f(λ) with
f(λ) = λ − λ^α (a control variate of its own: tr A = 1 is known, so only the small difference
is estimated; estimating tr A^α itself would multiply its error by 1/|1 − α|, 100 at α = 1.01),
or f(λ) = −λ ln λ at α = 1, and S_α = log2(1 − t) / (1 − α) (S_1 = t / ln 2):

1. Deflation: k Ritz pairs (μ, V) of the top of the spectrum by block power steps;
   tr f(A) ≈ Σ f(μ) + tr P⊥f(A)P⊥ with P⊥ = I − VVᵀ.
2. Probes: Gaussian vectors projected off V, normalised, u uniform on the complement's sphere:
   (n − k)·uᵀf(A)u is unbiased for tr P⊥f(A)P⊥, and uᵀf(A)u = Σ τ² f(θ) over the Ritz values θ
   of a Lanczos run from u (fully reorthogonalised; Gauss quadrature).
3. Control variates: the same quadrature gives uᵀAu and uᵀA²u exactly, whose expectations are
   known in O(n²): tr P⊥AP⊥ = tr A − Σ μ and tr P⊥A²P⊥ = ‖A‖²_F − ‖AV‖²_F. Regressing the
   probes' f-samples on them (``probing.control_variate_mean``) removes the part of their
   spread that a quadratic in λ explains: on the flat spectra of narrow kernel widths, where
   deflation alone leaves most of the mass to the probes, most of it.

The error is the 95% half-width of that regression estimate, carried through the logarithm.
With a ``tolerance``, the work (probes and deflated pairs, doubled per rung of ``SLQ_LADDER``)
grows per matrix until its error is within the tolerance or the last rung is spent; a rung whose
predicted error (the current one × √(probes before / probes after)) is still too large is
skipped. Randomness comes from a seed (stateless ops): equal seeds give equal results.

References:
    S. Ubaru, J. Chen, Y. Saad, "Fast Estimation of tr(f(A)) via Stochastic Lanczos
    Quadrature", SIAM J. Matrix Anal. Appl. 38(4), 2017.
    R. A. Meyer, C. Musco, C. Musco, D. P. Woodruff, "Hutch++: Optimal Stochastic Trace
    Estimation", SOSA 2021 (the deflated split of the trace).
    P. Glasserman, "Monte Carlo Methods in Financial Engineering", Springer 2003, §4.1
    (regression control variates).
"""

from __future__ import annotations

import math
from functools import partial
from typing import NamedTuple

import tensorflow as tf

from infoplane_tf.estimator.probing import (
    control_variate_mean,
    exact_alpha_two,
    flat_batch,
    probe_mean,
    update_rows,
)

#: Probes per matrix without a tolerance (and the first rung with one).
SLQ_PROBES = 16
#: Lanczos steps per probe.
SLQ_STEPS = 20
#: Top Ritz pairs taken out of the spectrum before the probes (at most n / 4).
SLQ_DEFLATION = 64
#: Block power steps that find them.
SUBSPACE_ITERATIONS = 2
#: Probes of the deflated space, which correct the Ritz values' share of the trace.
TOP_PROBES = 8
#: With a tolerance, the (probes, deflated pairs, Lanczos steps) tried per matrix, cheapest
#: first (the first is the work without one); the last is the budget (at most n / 4 pairs).
SLQ_LADDER = ((16, 64, 20), (32, 128, 30), (64, 256, 40), (128, 512, 40))
#: What a known mean computed in float32 (tr A − Σ μ, ‖A‖²_F − ‖AV‖²_F) may be off by, relative
#: to the magnitude of the terms that cancel in it: 16 float32 ulps (10× the largest measured,
#: tests/test_slq.py).
ROUNDING = 16 * 2.0**-24


def slq_entropy(
    a: tf.Tensor,
    alpha: float,
    *,
    probes: int = SLQ_PROBES,
    steps: int = SLQ_STEPS,
    deflation: int = SLQ_DEFLATION,
    seed: int = 0,
    tolerance: float | None = None,
) -> tuple[tf.Tensor, tf.Tensor]:
    """S_α in bits of unit-trace PSD matrices a (..., n, n) by stochastic Lanczos quadrature.

    Args:
        a: the matrices, float32 or float64.
        alpha: the Rényi order.
        probes, steps, deflation: the work without a tolerance (see the module docstring).
        seed: the probes' seed.
        tolerance: None, or the error in bits each matrix's estimate should reach: the work
            then follows ``SLQ_LADDER`` (``probes``, ``steps``, ``deflation`` are ignored).

    Returns:
        ``(entropy, error)``, each (...,) float64 bits: the estimate and its 95% half-width
        (the quadrature's own error shrinks geometrically with ``steps``). With a tolerance, an
        error above it means the budget was spent first.
    """
    if alpha == 2.0:
        return exact_alpha_two(a)
    flat, shape = flat_batch(a)
    if tolerance is None:
        entropy, error = _slq(flat, alpha, probes, deflation, steps, seed)
    else:
        entropy, error = _slq_to_tolerance(flat, alpha, float(tolerance), seed)
    return tf.reshape(entropy, shape), tf.reshape(error, shape)


def _slq_to_tolerance(flat: tf.Tensor, alpha: float, tolerance: float, seed: int):
    """``_slq`` per matrix of flat (B, n, n) up ``SLQ_LADDER`` until the error is within
    ``tolerance``; a rung whose predicted error is still above it is skipped."""
    (first_probes, *first_work), *rungs = SLQ_LADDER
    entropy, error = _slq(flat, alpha, first_probes, *first_work, seed)
    used = tf.fill(tf.shape(error), tf.constant(first_probes, tf.float64))
    for rung, (probes, deflation, steps) in enumerate(rungs, 1):
        predicted = error * tf.sqrt(used / probes)
        last = rung == len(SLQ_LADDER) - 1
        todo = tf.where((error > tolerance) & ((predicted <= tolerance) | last))[:, 0]
        work = partial(_slq_rows, flat, todo, alpha, probes, deflation, steps, seed, rung)
        entropy, error, used = update_rows(todo, (entropy, error, used), work)
    return entropy, error


def _slq_rows(flat, todo, alpha, probes, deflation, steps, seed, rung):
    """``_slq`` of the matrices ``todo`` of flat, with the probes they used."""
    h, e = _slq(tf.gather(flat, todo), alpha, probes, deflation, steps, seed, rung)
    return h, e, tf.fill(tf.shape(e), tf.constant(probes, tf.float64))


def _slq(
    flat: tf.Tensor,
    alpha: float,
    probes: int,
    deflation: int,
    steps: int,
    seed: int,
    stream: int = 0,
):
    """(entropy, error), each (B,) float64 bits, of matrices flat (B, n, n) with this work;
    ``stream`` draws independent probes for the same seed."""
    n, batch = flat.shape[-1], tf.shape(flat)[0]
    f = _trace_function(alpha)
    top = _top_ritz_pairs(flat, min(deflation, n // 4), seed, stream)
    k = top.values.shape[-1]
    z = tf.random.stateless_normal([batch, n, probes], [seed, 7 + 1000 * stream], dtype=flat.dtype)
    if k:  # probes of the complement, and probes of the deflated space V
        z = z - tf.matmul(top.vectors, tf.matmul(top.vectors, z, transpose_a=True))
        g_seed = [seed, 27 + 1000 * stream]
        g = tf.random.stateless_normal([batch, k, TOP_PROBES], g_seed, dtype=flat.dtype)
        z = tf.concat([z, tf.matmul(top.vectors, g)], axis=-1)
    quadrature = _lanczos_quadrature(flat, z, min(steps, n), f)
    rest, rest_error = _complement_trace(flat, top, [q[:, :probes] for q in quadrature])
    t, error = tf.reduce_sum(f(top.values), axis=-1) + rest, rest_error
    if k:
        shift, shift_error = _ritz_correction(top, g, [q[:, probes:] for q in quadrature], f)
        t, error = t + shift, tf.sqrt(tf.square(error) + tf.square(shift_error))
    if alpha == 1.0:
        return t / math.log(2.0), error / math.log(2.0)
    remaining = tf.maximum(1.0 - t, 1e-300)  # tr A^α
    entropy = tf.math.log(remaining) / ((1.0 - alpha) * math.log(2.0))
    return entropy, error / (abs(1.0 - alpha) * math.log(2.0) * remaining)


def _complement_trace(flat: tf.Tensor, top: Deflation, quadrature):
    """tr P⊥f(A)P⊥ (B,) and its error from the complement's probes' ``quadrature`` (low,
    high, uᵀAu, uᵀA²u), each (B, m): the bracket's midpoints regressed on the moments."""
    n, k = flat.shape[-1], top.values.shape[-1]
    low, high, first, second = quadrature
    # u is uniform on the unit sphere of the (n − k)-dimensional complement, so
    # (n − k)·uᵀg(A)u is unbiased for tr P⊥g(A)P⊥, and exact when g is flat there.
    scale = float(n - k)
    samples, bounds = scale * (low + high) / 2, scale * (high - low) / 2
    trace = tf.reduce_sum(tf.cast(tf.linalg.diag_part(flat), tf.float64), axis=-1)
    square = _square_norm(flat)
    means = tf.stack([trace - tf.reduce_sum(top.values, -1), square - top.square], -1)
    magnitude = tf.stack([trace + tf.reduce_sum(tf.abs(top.values), -1), square + top.square], -1)
    controls = scale * tf.stack([first, second], -1)
    return _best_mean(samples, bounds, controls, means, ROUNDING * magnitude)


def _ritz_correction(top: Deflation, g: tf.Tensor, quadrature, f):
    """tr Vᵀf(A)V − Σ f(μ) (B,) and its error, from probes w = Vg/|Vg| of the deflated space:
    k·(wᵀf(A)w − Σ_i f(μ_i)·g_i²/|g|²) has that mean and is small where V is nearly invariant
    (the same probe on both sides); its control, k·(wᵀA²w − Σ μ_i² g_i²/|g|²), has the mean
    ‖AV‖²_F − Σ μ² and measures how far V is from invariant."""
    k = top.values.shape[-1]
    low, high, _, second = quadrature
    weights = tf.square(tf.cast(g, tf.float64))
    weights = weights / tf.reduce_sum(weights, axis=1, keepdims=True)  # (B, k, m')

    def on_ritz_values(values):
        return tf.reduce_sum(weights * values[:, :, None], axis=1)

    samples = k * ((low + high) / 2 - on_ritz_values(f(top.values)))
    control = k * (second - on_ritz_values(tf.square(top.values)))
    squares = tf.reduce_sum(tf.square(top.values), -1)
    mean, rounding = top.square - squares, ROUNDING * (top.square + squares)
    return _best_mean(
        samples, k * (high - low) / 2, control[..., None], mean[:, None], rounding[:, None]
    )


def _best_mean(samples, bounds, controls, means, mean_errors):
    """Per matrix, the plain probe mean or the control-variate one, whichever has the smaller
    error (a control's rounding can make it the worse); see ``probing``."""
    plain, plain_error = probe_mean(samples, bounds)
    if samples.shape[-1] <= controls.shape[-1] + 1:  # too few probes to regress
        return plain, plain_error
    fitted, fitted_error = control_variate_mean(samples, bounds, controls, means, mean_errors)
    better = fitted_error < plain_error
    return tf.where(better, fitted, plain), tf.where(better, fitted_error, plain_error)


def _square_norm(m: tf.Tensor) -> tf.Tensor:
    """‖m‖²_F (B,) float64 of m (B, r, c): rows summed in m's dtype, then in float64 (a
    float64 copy of a large matrix would cost more memory than the method itself)."""
    rows = tf.reduce_sum(tf.square(m), axis=-1)
    return tf.reduce_sum(tf.cast(rows, tf.float64), axis=-1)


def _trace_function(alpha: float):
    """f with tr f(A) = 1 − tr A^α (the control variate), or −Σ λ ln λ at α = 1; float64."""
    if alpha == 1.0:
        return lambda x: -tf.maximum(x, 0.0) * tf.math.log(tf.maximum(x, 1e-300))
    return lambda x: tf.maximum(x, 0.0) - tf.pow(tf.maximum(x, 0.0), alpha)


class Deflation(NamedTuple):
    """The top of a batch's spectra: Ritz values μ (B, k) float64, orthonormal Ritz vectors
    V (B, n, k) (None for k = 0) and ‖AV‖²_F (B,) float64."""

    values: tf.Tensor
    vectors: tf.Tensor | None
    square: tf.Tensor


def _top_ritz_pairs(a: tf.Tensor, rank: int, seed: int, stream: int = 0) -> Deflation:
    """The ``Deflation`` of a (B, n, n) from ``SUBSPACE_ITERATIONS`` block power steps."""
    if rank <= 0:
        zeros = tf.zeros([tf.shape(a)[0]], tf.float64)
        return Deflation(tf.zeros([tf.shape(a)[0], 0], tf.float64), None, zeros)
    shape = [tf.shape(a)[0], a.shape[-1], rank]
    q = tf.random.stateless_normal(shape, [seed, 17 + 1000 * stream], dtype=a.dtype)
    for _ in range(SUBSPACE_ITERATIONS):
        q, _ = tf.linalg.qr(tf.matmul(a, q))
    aq = tf.matmul(a, q)
    small = tf.cast(tf.matmul(q, aq, transpose_a=True), tf.float64)
    values, rotation = tf.linalg.eigh((small + tf.linalg.matrix_transpose(small)) / 2)
    return Deflation(values, tf.matmul(q, tf.cast(rotation, a.dtype)), _square_norm(aq))


def _lanczos_quadrature(a: tf.Tensor, z: tf.Tensor, steps: int, f):
    """Per probe column u of z (B, n, probes), normalised: uᵀf(A)u bracketed by Gauss and
    Gauss–Radau quadrature of ``steps`` Lanczos steps, and the exact moments uᵀAu, uᵀA²u;
    each (B, probes) float64.

    Returns ``(low, high, first, second)``. The f of this module have even derivatives of one
    sign and odd ones of the other on λ > 0, so Gauss's k-node rule and the (k+1)-node rule
    with a node fixed at the spectrum's lower end (0, A being PSD) err in opposite directions
    and uᵀf(A)u lies between them (Golub & Meurant, "Matrices, Moments and Quadrature with
    Applications", 2010, ch. 6).
    """
    diagonal, off = _lanczos(a, z, steps)
    t = tf.linalg.diag(diagonal) + tf.linalg.diag(off[..., :-1], k=1)
    t += tf.linalg.diag(off[..., :-1], k=-1)
    gauss = _gauss_rule(t, f)
    # Radau: T extended by a row that puts an eigenvalue at ``node`` (a hair below 0 keeps
    # T − node·I definite when A is singular): α̃ = node + δ_k, (T − node·I) δ = β_k² e_k.
    node = -1e-9 * tf.reduce_max(tf.abs(diagonal), axis=-1, keepdims=True)  # (B, probes, 1)
    shifted = t - node[..., None] * tf.eye(steps, dtype=tf.float64)
    beta = off[..., -1][..., None, None]  # β_k (B, probes, 1, 1)
    e_k = tf.one_hot(steps - 1, steps, dtype=tf.float64)[:, None]  # (k, 1)
    delta = tf.linalg.solve(shifted, tf.square(beta) * e_k)[..., -1:, :]
    column = beta * e_k
    bottom = tf.concat([tf.linalg.matrix_transpose(column), node[..., None] + delta], axis=-1)
    radau = _gauss_rule(tf.concat([tf.concat([t, column], axis=-1), bottom], axis=-2), f)
    first = diagonal[..., 0]  # uᵀAu
    second = tf.square(first) + tf.square(off[..., 0])  # uᵀA²u = ‖Au‖² (exact from 2 steps)
    return tf.minimum(gauss, radau), tf.maximum(gauss, radau), first, second


def _gauss_rule(t: tf.Tensor, f) -> tf.Tensor:
    """Σ τ² f(θ) over the eigenpairs of the Jacobi matrices t (..., k, k): Gauss quadrature
    of the measure whose first k moments t carries (τ: first components)."""
    theta, vectors = tf.linalg.eigh(t)
    return tf.reduce_sum(tf.square(vectors[..., 0, :]) * f(theta), axis=-1)


def _lanczos(a: tf.Tensor, z: tf.Tensor, steps: int):
    """The Lanczos coefficients α_1..α_k and β_1..β_k (B, probes, k) float64 of ``steps``
    steps from each probe column of z (B, n, probes), fully reorthogonalised."""
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
        beta = tf.norm(w, axis=1)
        # An invariant subspace was found (e.g. a rank-one matrix): the rest of T decouples.
        alive = beta > 1e-7 * tf.maximum(tf.abs(alpha_j), 1e-30)
        beta = tf.where(alive, beta, 0.0)
        betas.append(beta)
        if j < steps - 1:
            previous, q = q, tf.where(alive[:, None], w / tf.where(alive, beta, 1.0)[:, None], 0.0)
            basis.append(q)
    return tuple(tf.cast(tf.stack(c, axis=-1), tf.float64) for c in (alphas, betas))
