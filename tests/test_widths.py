"""Kernel widths: the width-map (many γ from one set of distances) and every width rule, each
against an independent NumPy implementation written here."""

import math

import numpy as np
import pytest
import tensorflow as tf

from infoplane_tf import InformationPlane
from infoplane_tf.estimator import gaussian_gram
from infoplane_tf.estimator.kernels import ALIGNMENT_FACTORS, gaussian_grams, label_gram

GAMMAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def sample(n=30, d=6, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 3.0


def ref_distances(x):
    diff = x[:, None, :] - x[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def ref_width(x, rule, labels=None):
    """σ₁ of each rule, from its definition (float64 NumPy)."""
    n, d = x.shape
    dist = ref_distances(x)
    if rule == "median":
        return np.median(dist[np.triu_indices(n, k=1)])
    if rule == "silverman":
        s = np.sqrt(np.mean(x.var(axis=0)))
        return (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4)) * s
    if rule == "knn":
        k = min(7, n - 1)
        return np.mean(np.sort(dist, axis=1)[:, k])  # column 0 is the sample itself
    if rule == "paper":
        return n ** (-1.0 / (4 + d))
    raise AssertionError(rule)


@pytest.mark.parametrize("rule", ["paper", "median", "silverman", "knn"])
def test_width_map_equals_direct_grams_at_each_width(rule):
    x = sample()
    grams, widths = gaussian_grams(tf.constant(x), rule, GAMMAS)
    base = ref_width(x, rule)
    np.testing.assert_allclose(widths.numpy(), np.array(GAMMAS) * base, rtol=1e-10)
    dist2 = ref_distances(x) ** 2
    for g, gamma in enumerate(GAMMAS):
        direct, sigma = gaussian_gram(tf.constant(x), rule, gamma)
        np.testing.assert_allclose(grams[g].numpy(), direct.numpy(), rtol=1e-10, atol=1e-300)
        reference = np.exp(-dist2 / (2 * (gamma * base) ** 2))
        np.testing.assert_allclose(grams[g].numpy(), reference, rtol=1e-10, atol=1e-300)
        # The power identity K_σ = K_σ0^(σ0²/σ²) (TF flushes subnormals below 1e-300 to 0).
        k0 = np.exp(-dist2 / (2 * base**2))
        np.testing.assert_allclose(
            grams[g].numpy(), k0 ** (1.0 / gamma**2), rtol=1e-10, atol=1e-300
        )


def test_width_map_keeps_small_values_that_a_literal_power_would_lose():
    x = np.array([[0.0], [1.0], [30.0]])
    grams, _ = gaussian_grams(tf.constant(x, tf.float32), 1.0, (1.0, 8.0))
    assert grams[0, 0, 2].numpy() == 0.0  # exp(-450) underflows in float32
    np.testing.assert_allclose(grams[1, 0, 2].numpy(), math.exp(-450 / 64), rtol=1e-5)


def test_default_gamma_is_the_rule_own_width():
    x = sample()
    _, sigma = gaussian_gram(tf.constant(x), "median")
    np.testing.assert_allclose(float(sigma), ref_width(x, "median"), rtol=1e-12)
    _, sigma = gaussian_gram(tf.constant(x), "paper")
    np.testing.assert_allclose(float(sigma), 2.0 * ref_width(x, "paper"), rtol=1e-12)


def ref_alignment(x, labels, sigma):
    k = np.exp(-(ref_distances(x) ** 2) / (2 * sigma**2))
    k_y = (labels[:, None] == labels[None, :]).astype(float)
    return np.sum(k * k_y) / (np.linalg.norm(k) * np.linalg.norm(k_y))


def test_alignment_width_matches_a_brute_force_search():
    # Two classes: tight pairs 1 apart, the classes 6 apart. Too narrow a width splits the
    # pairs, too wide a width joins the classes: the best width lies in between.
    x = np.array([[0.0], [1.0], [0.5], [6.0], [7.0], [6.5]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    fine = np.exp(np.linspace(np.log(0.05), np.log(50), 20001))
    best = fine[np.argmax([ref_alignment(x, labels, s) for s in fine])]
    assert 0.5 < best < 5.0  # an interior optimum, as designed
    _, width = gaussian_grams(
        tf.constant(x), "alignment", (1.0,), k_y=label_gram(tf.constant(labels))
    )
    chosen = float(width[0])
    step = ALIGNMENT_FACTORS[1] / ALIGNMENT_FACTORS[0]
    assert best / step**0.5 <= chosen <= best * step**0.5
    assert ref_alignment(x, labels, chosen) == pytest.approx(
        ref_alignment(x, labels, best), rel=1e-3
    )


def test_knn_caps_k_for_small_samples():
    x = sample(n=4, d=2)
    _, width = gaussian_grams(tf.constant(x), "knn", (1.0,))
    np.testing.assert_allclose(float(width[0]), np.mean(np.sort(ref_distances(x))[:, 3]))


@pytest.mark.parametrize("rule", ["median", "silverman", "knn", "alignment"])
def test_every_rule_is_finite_on_a_constant_representation(rule):
    labels = tf.constant([0, 1, 0, 1])
    grams, width = gaussian_grams(
        tf.zeros([4, 3], tf.float64), rule, (1.0, 2.0), k_y=label_gram(labels)
    )
    assert np.all(np.isfinite(grams.numpy())) and np.all(grams.numpy() == 1.0)
    assert np.all(width.numpy() == 0.0)


@pytest.mark.parametrize(
    "rule",
    ["paper", *(pytest.param(r, marks=pytest.mark.slow) for r in ("median", "knn")), "alignment"],
)
def test_plane_width_map_equals_planes_at_each_width(rule):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(24, 10))
    y = np.arange(24) % 3
    layers = [np.tanh(x @ rng.normal(size=(10, 6))), rng.normal(size=(24, 4))]
    output = x + 0.1 * rng.normal(size=x.shape)
    grid = InformationPlane(x, y, sigma=rule, gamma=GAMMAS, dtype="float64")
    assert grid.grid and grid.gamma == GAMMAS
    mapped = grid(layers, output)
    assert mapped["i_xt"].shape == (len(GAMMAS), 2)
    for g, gamma in enumerate(GAMMAS):
        single = InformationPlane(x, y, sigma=rule, gamma=gamma, dtype="float64")
        point = single(layers, output)
        assert single.h_x == pytest.approx(grid.h_x[g], abs=1e-10)
        for key in ("i_xt", "i_t_out", "i_t_label", "sigma", "h_output"):
            np.testing.assert_allclose(mapped[key][g].numpy(), point[key].numpy(), atol=1e-9)


def test_plane_given_widths_replace_the_rule():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(16, 5))
    layers, output = [rng.normal(size=(16, 3))], rng.normal(size=(16, 5))
    plane = InformationPlane(x, sigma="median", gamma=(1.0, 2.0), dtype="float64")
    probe = plane.with_widths([[0.7, 1.3]])  # (P, L + 1): T_1, X'
    points = plane.point_function(probe, layers, output)
    np.testing.assert_allclose(points["sigma"][0, :, 0].numpy(), [0.7, 1.4])
    np.testing.assert_allclose(points["sigma_output"][0].numpy(), [1.3, 2.6])
    fixed = InformationPlane(x, sigma=0.7, gamma=2.0, dtype="float64")
    x_width = InformationPlane(x, sigma="median", gamma=2.0, dtype="float64")
    # T's entropy depends only on T's width; X keeps the rule's width.
    np.testing.assert_allclose(
        points["h_t"][0, 1, 0].numpy(), float(fixed(layers, output)["h_t"][0]), atol=1e-10
    )
    assert plane.h_x[1] == pytest.approx(x_width.h_x, abs=1e-12)


def test_planes_that_differ_only_in_gamma_share_one_compilation():
    from infoplane_tf.estimator import plane as plane_module

    rng = np.random.default_rng(5)
    x = rng.normal(size=(18, 7))
    layers, output = [np.tanh(x @ rng.normal(size=(7, 5)))], x + 0.1 * rng.normal(size=x.shape)
    compiled = plane_module._point_matrices_xla
    InformationPlane(x, sigma="median", gamma=1.0, dtype="float64")(layers, output)
    traces = compiled.experimental_get_tracing_count()
    for gamma in (0.3, 3.0):
        InformationPlane(x, sigma="median", gamma=gamma, dtype="float64")(layers, output)
    assert compiled.experimental_get_tracing_count() == traces
    InformationPlane(x, sigma="knn", gamma=1.0, dtype="float64")(layers, output)
    assert compiled.experimental_get_tracing_count() == traces + 1  # another rule: its own
