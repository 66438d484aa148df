"""A point measured one matrix at a time (large probes) equals the batched point."""

import math

import numpy as np
import pytest
import tensorflow as tf

import infoplane_tf as ip
from infoplane_tf.estimator import plane
from infoplane_tf.estimator.entropies import matrix_entropies
from infoplane_tf.estimator.kernels import finite_points
from infoplane_tf.estimator.streamed import streamed_entropies
from tests.helpers import small_auto, small_point


@pytest.fixture
def streamed(monkeypatch):
    """Every point streamed (no byte budget), counting the streamed calls (traces)."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(1)
        return streamed_entropies(*args, **kwargs)

    monkeypatch.setattr(plane, "MATRIX_BUDGET_BYTES", 0)
    monkeypatch.setattr(plane, "streamed_entropies", counting)
    return calls


@pytest.mark.parametrize("run_eagerly", [False, True])
def test_a_streamed_point_equals_the_batched_point(streamed, run_eagerly):
    x, y, layers, output = small_point()
    options = dict(sigma="median", gamma=[1.0, 2.0], dtype="float64", run_eagerly=run_eagerly)
    point = ip.InformationPlane(x, y, **options)(layers, output)
    assert streamed
    streamed.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plane, "MATRIX_BUDGET_BYTES", 1 << 40)
        batched = ip.InformationPlane(x, y, **options)(layers, output)
    assert not streamed
    assert set(point) == set(batched)
    for key in batched:
        np.testing.assert_allclose(point[key], batched[key], rtol=1e-10, atol=1e-12, err_msg=key)


@pytest.mark.slow  # the costlier variant: the fast run keeps the exact streamed point
def test_streamed_approximations_choose_one_method_per_point(streamed, monkeypatch):
    small_auto(monkeypatch)
    x, y, layers, output = small_point()
    exact = ip.InformationPlane(x, y, sigma="median", dtype="float64")(layers, output)
    point = ip.InformationPlane(x, y, sigma="median", dtype="float64", estimator="auto")(
        layers, output
    )
    assert streamed
    codes = np.unique(point["method"])
    assert len(codes) == 1 and int(codes[0]) in (1, 2, 3)
    for key in ("i_xt", "i_t_out", "i_t_label"):
        gap = np.abs(point[key].numpy() - exact[key].numpy())
        assert np.all(gap <= point[f"{key}_error"].numpy() + 1e-9), key


def test_a_non_finite_point_gets_the_identity_and_no_nan():
    n = 40
    rng = np.random.default_rng(3)
    tensors = [tf.constant(rng.normal(size=(2, n, d))) for d in (5, 3, 7)]
    tensors[1] = tf.tensor_scatter_nd_update(tensors[1], [[1, 4, 0]], [np.nan])
    x = tf.constant(rng.normal(size=(n, 7)))
    probe = ip.InformationPlane(x, dtype="float64").probe
    finite = finite_points(tensors)
    np.testing.assert_array_equal(finite, [True, False])

    def exact(a, seed):
        return matrix_entropies(a, "exact", 1.01, seed=seed)

    h, error, method, widths = streamed_entropies(tensors, probe, "median", (1.0,), finite, exact)
    assert h.shape == (2, 1, 7) and widths.shape == (2, 1, 3)
    assert not np.any(np.isnan(h))
    np.testing.assert_allclose(h[1], math.log2(n), rtol=1e-12)
    assert np.all(h[0] < math.log2(n) - 0.01)
    np.testing.assert_array_equal(error, 0.0)
    np.testing.assert_array_equal(method, 0)


@pytest.mark.slow  # measure's route to the streamed point, which the fast tests compare
def test_measure_streams_large_points_and_matches(tmp_path, monkeypatch, tiny_run):
    from infoplane_tf.workflows import measure as measure_module

    run = tiny_run(tmp_path / "deep")
    batched = ip.measure(run).trajectory
    monkeypatch.setattr(plane, "MATRIX_BUDGET_BYTES", 0)
    monkeypatch.setattr(measure_module, "MATRIX_BUDGET_BYTES", 0)
    streamed = ip.measure(run).trajectory
    for key in ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
        np.testing.assert_allclose(getattr(streamed, key), getattr(batched, key), atol=1e-4)
