"""Stochastic Lanczos quadrature to a tolerance (``estimator.slq``) and its pieces
(``estimator.probing``), against references written here and exact float64 spectra."""

import math

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from infoplane_tf.estimator import probing, slq
from tests.helpers import exact_entropy


def flat_gram(n, seed, width=0.6, d=6):
    """A Gaussian Gram matrix of a narrow width: a flat spectrum, as the paper's rule gives."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * np.linspace(1.0, 0.3, d)
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * width**2)) / n


def matrix_function(a, alpha):
    values, vectors = np.linalg.eigh(a)
    values = np.clip(values, 0, None)
    if alpha == 1.0:
        f = -values * np.log(np.where(values > 0, values, 1.0))
    else:
        f = values - values**alpha
    return (vectors * f) @ vectors.T


@pytest.mark.parametrize("alpha", [1.01, 1.0, 0.5])
def test_gauss_and_radau_bracket_each_quadratic_form(alpha):
    a = flat_gram(80, seed=1, width=1.5)
    z = np.random.default_rng(2).normal(size=(1, 80, 5))
    exact = np.einsum("np,nm,mp->p", z[0], matrix_function(a, alpha), z[0])
    exact /= (z[0] ** 2).sum(0)
    widths = []
    for steps in (3, 6):
        low, high, first, second = slq._lanczos_quadrature(
            tf.constant(a[None]), tf.constant(z), steps, slq._trace_function(alpha)
        )
        assert np.all(low[0] <= exact + 1e-15) and np.all(exact <= high[0] + 1e-15)
        widths.append(float(np.max(high - low)))
        u = z[0] / np.linalg.norm(z[0], axis=0)
        np.testing.assert_allclose(first[0], np.einsum("np,nm,mp->p", u, a, u), rtol=1e-10)
        np.testing.assert_allclose(second[0], (np.dot(a, u) ** 2).sum(0), rtol=1e-10)
    assert 0 < widths[1] < widths[0]  # a real bracket, narrowing with the steps


def test_the_control_variate_mean_is_the_regression_intercept_written_here():
    rng = np.random.default_rng(0)
    m, mu = 16, np.array([0.3, -1.0])
    x = rng.normal(size=(m, 2)) + mu
    y = 2.0 + x @ np.array([1.5, -0.7]) + 0.1 * rng.normal(size=m)
    # Ordinary least squares with the controls centred on their known means: the intercept.
    design = np.column_stack([np.ones(m), x - mu])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coefficients
    sigma2 = residual @ residual / (m - 3)
    standard_error = math.sqrt(sigma2 * np.linalg.inv(design.T @ design)[0, 0])
    estimate, half = probing.control_variate_mean(
        tf.constant(y[None]), tf.zeros([1, m], tf.float64), tf.constant(x[None]),
        tf.constant(mu[None]), tf.zeros([1, 2], tf.float64),
    )  # fmt: skip
    assert float(estimate[0]) == pytest.approx(coefficients[0], rel=1e-10)
    quantile = probing.t_quantile(m - 3)
    assert quantile == pytest.approx(scipy.stats.t.ppf(0.975, m - 3), abs=0.01)
    assert float(half[0]) == pytest.approx(quantile * standard_error, rel=1e-8)
    # y affine in x: the known means give the answer exactly, with no spread.
    exact, half = probing.control_variate_mean(
        tf.constant((1.0 + x @ np.array([2.0, 3.0]))[None]), tf.zeros([1, m], tf.float64),
        tf.constant(x[None]), tf.constant(mu[None]), tf.zeros([1, 2], tf.float64),
    )  # fmt: skip
    assert float(exact[0]) == pytest.approx(1.0 + mu @ [2.0, 3.0], abs=1e-12)
    assert float(half[0]) < 1e-10


def test_the_known_means_in_float32_are_within_their_rounding_bound():
    worst = 0.0
    for seed, rank in ((0, 64), (1, 125), (2, 32)):
        a = np.stack([flat_gram(500, seed), flat_gram(500, seed + 10, width=2.0)])
        a32 = tf.constant(a.astype(np.float32))
        top = slq._top_ritz_pairs(a32, rank, seed)
        v = top.vectors.numpy().astype(np.float64)
        a64 = a32.numpy().astype(np.float64)
        av = a64 @ v
        trace = np.trace(a64, axis1=1, axis2=2)
        exact = [trace - np.einsum("bnk,bnk->b", v, av), (a64**2).sum((1, 2)) - (av**2).sum((1, 2))]
        square = slq._square_norm(a32).numpy()
        computed = [trace - top.values.numpy().sum(-1), square - top.square.numpy()]
        magnitudes = [trace + np.abs(top.values.numpy()).sum(-1), square + top.square.numpy()]
        for e, c, size in zip(exact, computed, magnitudes, strict=True):
            ratio = np.abs(e - c) / (slq.ROUNDING * size)
            worst = max(worst, float(ratio.max()))
    assert worst < 0.5  # the bound holds with room (10× the rounding seen, by its comment)


@pytest.mark.parametrize("alpha", [1.01, 1.0])
def test_errors_cover_on_flat_spectra_where_deflation_alone_did_not(alpha):
    trials, covered, worst = 16, 0, 0.0
    for seed in range(trials):
        a = flat_gram(400, seed)
        h, error = slq.slq_entropy(tf.constant(a[None].astype(np.float32)), alpha, seed=seed)
        gap = abs(float(h[0]) - exact_entropy(a.astype(np.float32), alpha))
        covered += gap <= float(error[0])
        worst = max(worst, gap)
    assert covered >= trials - 1  # 95% intervals: at most one miss in 16
    assert worst < 0.01


def test_a_tolerance_spends_more_work_on_the_matrices_that_need_it(monkeypatch):
    a = np.stack([np.eye(400) / 400, flat_gram(400, 3)]).astype(np.float32)
    untuned = slq.slq_entropy(tf.constant(a), 1.01)[1].numpy()
    assert untuned[0] < 1e-5 and untuned[1] > 0.001
    batches = []
    original = slq._slq

    def counting(flat, *args):
        batches.append((int(tf.shape(flat)[0]), args[1]))  # (matrices, probes)
        return original(flat, *args)

    monkeypatch.setattr(slq, "_slq", counting)
    h, error = slq.slq_entropy(tf.constant(a), 1.01, tolerance=0.001)
    assert batches[0] == (2, slq.SLQ_LADDER[0][0]) and len(batches) >= 2
    assert all(count == 1 for count, _ in batches[1:])  # only the flat matrix went on
    assert np.all(error.numpy() <= 0.001)
    exact = [exact_entropy(m) for m in a]
    assert np.all(np.abs(h.numpy() - exact) <= error.numpy() + 1e-12)
    batches.clear()
    h, error = slq.slq_entropy(tf.constant(a[1:]), 1.01, tolerance=1e-9)  # beyond the budget
    assert batches[-1][1] == slq.SLQ_LADDER[-1][0]
    assert 1e-9 < float(error[0]) < 0.001 and abs(float(h[0]) - exact[1]) <= float(error[0])


def test_no_nan_for_a_tolerance_on_degenerate_matrices():
    n = 64
    cases = np.stack([np.ones((n, n)) / n, np.eye(n) / n])
    h, error = slq.slq_entropy(tf.constant(cases), 1.01, tolerance=0.001)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(error))
    np.testing.assert_allclose(h, [0.0, math.log2(n)], atol=1e-6)
