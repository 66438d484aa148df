"""The large-probe entropy approximations (``estimator.approximate``) against exact float64."""

import dataclasses
import math

import numpy as np
import pytest
import tensorflow as tf

from infoplane_tf.estimator import entropies
from infoplane_tf.estimator.approximate import (
    identity_entropy,
    nystrom_entropy,
    slq_entropy,
)
from tests.helpers import exact_entropy, small_auto, small_point

METHODS = {
    "slq": lambda a, alpha, seed: slq_entropy(a, alpha, seed=seed),
    "nystrom": lambda a, alpha, seed: nystrom_entropy(a, alpha, landmarks_count=64, seed=seed),
    "identity": lambda a, alpha, seed: identity_entropy(a, alpha, seed=seed),
}


def gaussian_gram(x, width):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    k = np.exp(-d2 / (2 * width**2))
    return k / len(x)


def correlated_gaussians(n, seed, d=6):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(d, d)) * np.linspace(1.0, 0.1, d)
    return rng.normal(size=(n, d)) @ mixing


def median_width(x):
    d2 = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return float(np.median(np.sqrt(d2[np.triu_indices(len(x), 1)])))


def run(method, a, alpha, seed=0):
    h, error = METHODS[method](tf.constant(np.asarray(a)[None]), alpha, seed)
    return float(h[0]), float(error[0])


@pytest.mark.parametrize("alpha", [1.01, 1.0, 0.5, 2.0])
@pytest.mark.parametrize("method", METHODS)
def test_the_identity_gram_has_log2_n_bits(method, alpha):
    n = 256
    h, error = run(method, np.eye(n) / n, alpha)
    assert h == pytest.approx(math.log2(n), abs=max(error, 1e-6) + 1e-9)
    if method == "nystrom" and alpha != 2.0:
        # A flat spectrum is what landmarks cannot see: the interval is honest, and wide.
        assert h + error == pytest.approx(math.log2(n), abs=1e-9) and error > 1.0
    else:
        assert error < 1e-6


@pytest.mark.parametrize("alpha", [1.01, 1.0, 0.5])
@pytest.mark.parametrize("blocks", [1, 3, 8])
def test_a_block_constant_gram_has_log2_blocks_bits(blocks, alpha):
    n = 240
    a = np.kron(np.eye(blocks), np.ones((n // blocks, n // blocks))) / n
    for method in ("slq", "nystrom"):
        h, error = run(method, a, alpha)
        assert h == pytest.approx(math.log2(blocks), abs=error + 1e-5), method
    # Far from the identity: the series says it does not apply.
    h, error = run("identity", a, alpha)
    assert error == np.inf


@pytest.mark.parametrize("alpha", [1.01, pytest.param(1.0, marks=pytest.mark.slow)])
def test_error_estimates_cover_the_error_on_correlated_gaussians(alpha):
    trials, covered = 24, {method: 0 for method in ("slq", "nystrom")}
    worst = dict.fromkeys(covered, 0.0)
    for seed in range(trials):
        x = correlated_gaussians(300, seed)
        a = gaussian_gram(x, median_width(x))
        exact = exact_entropy(a, alpha)
        for method in covered:
            h, error = run(method, a, alpha, seed)
            covered[method] += abs(h - exact) <= error
            worst[method] = max(worst[method], abs(h - exact))
    assert covered["nystrom"] == trials  # a bound, not a statistic
    assert covered["slq"] >= 0.95 * trials - 1e-9  # at most one miss in 24
    assert worst["slq"] < 0.1


def test_the_series_applies_close_to_the_identity_and_its_error_covers():
    applied = 0
    for seed in range(10):
        x = correlated_gaussians(200, seed) * 5.0  # a narrow width: nearly diagonal
        a = gaussian_gram(x, 1.0)
        for alpha in (1.01, 1.0, 0.5):
            h, error = run("identity", a, alpha, seed)
            if error == np.inf:  # the radius test said no: nothing to check
                continue
            applied += 1
            exact = exact_entropy(a, alpha)
            assert abs(h - exact) <= error + 1e-9
            assert error < 0.05 and abs(h - exact) > 1e-9  # not trivially diagonal
    assert applied >= 15


@pytest.mark.parametrize("method", METHODS)
def test_no_nan_on_degenerate_matrices_and_equal_seeds_repeat(method):
    n = 64
    cases = [np.ones((n, n)) / n, np.eye(n) / n, gaussian_gram(np.zeros((n, 3)), 1.0)]
    for a in cases:
        for alpha in (1.01, 1.0, 0.5, 2.0):
            h, error = run(method, a, alpha)
            assert math.isfinite(h) and not math.isnan(error)
    a = gaussian_gram(correlated_gaussians(n, 1), 1.0)
    assert run(method, a, 1.01, seed=5) == run(method, a, 1.01, seed=5)


def test_alpha_two_is_exact_for_every_method():
    x = correlated_gaussians(120, 3)
    a = gaussian_gram(x, median_width(x))
    for method in METHODS:
        h, error = run(method, a, 2.0)
        assert h == pytest.approx(exact_entropy(a, 2.0), abs=1e-9) and error == 0.0


def test_batches_are_measured_matrix_by_matrix():
    x = correlated_gaussians(100, 2)
    mats = np.stack([gaussian_gram(x, w) for w in (0.5, 1.0, 2.0, 4.0)]).reshape(2, 2, 100, 100)
    for method in ("slq", "nystrom"):
        h, error = METHODS[method](tf.constant(mats), 1.01, 0)
        assert h.shape == (2, 2) and error.shape == (2, 2)
        for i in range(2):
            for j in range(2):
                exact = exact_entropy(mats[i, j], 1.01)
                assert abs(float(h[i, j]) - exact) <= float(error[i, j]) + 1e-6


# --------------------------------------------------------------------------------------------
# The estimator option of the plane, the callback and measure
# --------------------------------------------------------------------------------------------


def test_the_plane_reports_errors_that_cover_the_exact_point():
    import infoplane_tf as ip

    x, y, layers, output = small_point()
    exact = ip.InformationPlane(x, y, sigma="median", dtype="float64")(layers, output)
    assert "i_xt_error" not in exact
    for estimator, code in (("slq", 1), ("nystrom", 2)):
        plane = ip.InformationPlane(x, y, sigma="median", dtype="float64", estimator=estimator)
        point = plane(layers, output)
        assert plane.settings()["entropies"] == estimator
        np.testing.assert_array_equal(point["method"], code)
        for key in ("i_xt", "i_t_out", "i_t_label"):
            gap = np.abs(point[key].numpy() - exact[key].numpy())
            assert np.all(gap <= point[f"{key}_error"].numpy() + 1e-9), (estimator, key)
    auto = ip.InformationPlane(x, y, sigma="median", estimator="auto")(layers, output)
    np.testing.assert_array_equal(auto["method"], 0)  # n = 120: exact
    np.testing.assert_array_equal(auto["i_xt_error"], 0.0)


def test_auto_takes_the_cheapest_method_within_the_tolerance(monkeypatch):
    small_auto(monkeypatch)
    calls = []
    methods = dict(entropies.ENTROPY_METHODS)
    for name in ("slq", "nystrom", "identity"):

        def counting(a, *args, name=name, entry=methods[name]):
            calls.append((name, int(tf.shape(a)[0])))
            return entry.entropy(a, *args)

        methods[name] = dataclasses.replace(methods[name], entropy=counting)
    monkeypatch.setattr(entropies, "ENTROPY_METHODS", methods)
    x = correlated_gaussians(100, 4)
    near_identity = gaussian_gram(x * 5.0, 1.0)  # the series applies
    points = np.stack([near_identity, gaussian_gram(x, median_width(x))])[:, None]
    h, error, method = entropies.estimate_entropies(tf.constant(points), "auto", 1.01,
                                                    tolerance=0.01)  # fmt: skip
    assert calls == [("identity", 2), ("slq", 1)]  # nothing computed that was not needed
    np.testing.assert_array_equal(method, [3, 1])  # identity, slq
    calls.clear()
    by_identity = entropies.estimate_entropies(tf.constant(points[:1]), "identity", 1.01)
    by_slq = entropies.estimate_entropies(tf.constant(points[1:]), "slq", 1.01, tolerance=0.01)
    assert float(h[0, 0]) == pytest.approx(float(by_identity[0][0, 0]), abs=1e-12)
    assert float(h[1, 0]) == pytest.approx(float(by_slq[0][0, 0]), abs=1e-12)
    assert np.all(error.numpy() <= 0.01)
    for p in range(2):
        assert abs(float(h[p, 0]) - exact_entropy(points[p, 0], 1.01)) <= float(error[p, 0])


def test_a_plane_tolerance_bounds_every_information_error():
    import infoplane_tf as ip
    from infoplane_tf.estimator.plane import PointLayout, ProbeKernels

    x, y, layers, output = small_point()
    exact = ip.InformationPlane(x, y, sigma="median", dtype="float64")(layers, output)
    plane = ip.InformationPlane(x, y, sigma="median", estimator="slq", tolerance=0.01)
    point = plane(layers, output)
    assert plane.settings()["tolerance"] == 0.01
    for key in ("i_xt", "i_t_out", "i_t_label"):
        assert np.all(point[f"{key}_error"].numpy() <= 0.01), key
        gap = np.abs(point[key].numpy() - exact[key].numpy())
        assert np.all(gap <= point[f"{key}_error"].numpy() + 1e-5), key
    # The entropies' independent errors add in quadrature.
    layout = PointLayout(1, labels=True)
    errors = tf.constant([[[0.3, 0.0, 0.4, 0.0, 1.2]]], tf.float64)  # T, X', (X,T), (T,X'), (T,Y)
    probe = ProbeKernels(None, tf.zeros([1], tf.float64), None, tf.zeros([], tf.float64))
    values = layout.values(tf.zeros_like(errors), tf.zeros([1, 1, 2], tf.float64),
                           tf.constant([True]), probe, (errors, tf.constant([1])))  # fmt: skip
    assert float(values["i_xt_error"][0, 0, 0]) == pytest.approx(0.5)
    assert float(values["i_t_out_error"][0, 0, 0]) == pytest.approx(0.3)
    assert float(values["i_t_label_error"][0, 0, 0]) == pytest.approx(math.hypot(0.3, 1.2))


@pytest.mark.parametrize(
    ("estimator", "tolerance", "message"),
    [
        ("exact", 0.05, "tolerance applies to the estimators that adapt their work"),
        ("nystrom", 0.05, "got estimator='nystrom' with tolerance=0.05"),
        ("slq", -0.1, "tolerance must be a finite number > 0, got -0.1"),
        ("auto", "tight", "tolerance"),
    ],
)
def test_a_bad_tolerance_is_named(estimator, tolerance, message):
    import infoplane_tf as ip
    from infoplane_tf.validation import ParameterError

    x, _, _, _ = small_point()
    with pytest.raises(ParameterError, match=message):
        ip.InformationPlane(x, estimator=estimator, tolerance=tolerance)


def test_a_bad_estimator_is_named():
    import infoplane_tf as ip
    from infoplane_tf.validation import ParameterError

    x, y, _, _ = small_point()
    with pytest.raises(ParameterError, match="estimator must be one of exact, auto"):
        ip.InformationPlane(x, estimator="lanczos")
    with pytest.raises(ParameterError, match="estimator"):
        ip.TrainConfig(estimator="fast").validate()


def test_measure_and_the_callback_record_errors_and_methods(tmp_path, tiny_run):
    import infoplane_tf as ip
    from infoplane_tf.workflows.measure import write_measurement

    run = tiny_run(tmp_path / "deep", estimator="slq")
    recorded = run.trajectory
    assert recorded.i_xt_error is not None and np.all(recorded.method == 1)
    assert recorded.settings["estimator"]["entropies"] == "slq"
    measured = ip.measure(run, estimator="nystrom")
    write_measurement(run, "nys", measured)
    loaded = ip.load_run(run.path, "nys").trajectory
    assert np.all(loaded.method == 2) and loaded.i_t_label_error is not None
    np.testing.assert_allclose(loaded.i_xt_error, measured.trajectory.i_xt_error, rtol=1e-6)
    exact = ip.measure(run, estimator="exact").trajectory
    assert exact.i_xt_error is None
    assert np.all(np.abs(loaded.i_xt - exact.i_xt) <= loaded.i_xt_error + 1e-4)


@pytest.mark.slow  # a costlier variant: the fast run keeps one probe's errors and method
def test_a_point_of_several_probes_records_the_first_probes_method(tmp_path, monkeypatch, tiny_run):
    import infoplane_tf as ip
    from infoplane_tf.workflows.checkpoint_pass import _across

    # The median of method codes 1, 3, 3 would be 3 (and of 1, 3 the non-code 2).
    codes = np.array([[[1.0]], [[3.0]], [[3.0]]])
    assert _across("method", codes, np.nanmedian) == np.array([[1.0]])
    assert _across("i_xt", codes, np.nanmedian) == np.array([[3.0]])
    small_auto(monkeypatch)
    run = tiny_run(tmp_path / "deep")
    first = ip.measure(run, estimator="auto").trajectory
    banded = ip.measure(run, estimator="auto", probes=2)
    np.testing.assert_array_equal(banded.trajectory.method, first.method)
    for edge in banded.band:
        np.testing.assert_array_equal(edge.method, first.method)
