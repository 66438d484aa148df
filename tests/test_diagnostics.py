"""Scale and saturation diagnostics (``estimator.diagnostics``), stored and plotted with a
re-measurement."""

import itertools
import shutil

import keras
import numpy as np
import pytest

import infoplane_tf as ip
from infoplane_tf.estimator.diagnostics import layer_diagnostics, saturated_fraction
from infoplane_tf.io.measurements import DIAGNOSTICS_NAME, Diagnostics
from infoplane_tf.io.trajectory import TrajectoryFormatError
from infoplane_tf.models import build_model
from infoplane_tf.plotting import plot_runs
from infoplane_tf.readout import Readout
from infoplane_tf.workflows.measure import write_measurement


def brute_median_distance(x):
    x = np.asarray(x, np.float64).reshape(len(x), -1)
    pairs = [np.linalg.norm(x[i] - x[j]) for i, j in itertools.combinations(range(len(x)), 2)]
    return float(np.median(pairs))


def test_saturation_counts_activations_near_either_bound():
    t = np.array([[0.005, 0.5, 0.995], [0.01, 0.99, 0.3]])
    assert saturated_fraction(t, "sigmoid") == pytest.approx(4 / 6)
    # tanh's range is 2 wide: the margin is 0.02 at each end.
    t = np.array([-0.985, -0.975, 0.0, 0.975, 0.985])
    assert saturated_fraction(t, "tanh") == pytest.approx(2 / 5)
    assert np.isnan(saturated_fraction(t, "relu"))
    assert np.isnan(saturated_fraction(t, None))


def test_median_distance_matches_brute_force():
    rng = np.random.default_rng(3)
    layers = {"A": rng.normal(size=(9, 4)) * 7.0 + 100.0, "B": rng.uniform(size=(9, 2, 3))}
    result = layer_diagnostics(layers, {"A": "linear", "B": "sigmoid"})
    for j, x in enumerate(layers.values()):
        assert result["median_distance"][j] == pytest.approx(brute_median_distance(x), rel=1e-9)
    assert np.isnan(result["saturated_fraction"][0])
    assert result["saturated_fraction"][1] == saturated_fraction(layers["B"], "sigmoid")


def test_a_batch_of_points_gets_each_points_diagnostics():
    rng = np.random.default_rng(4)
    batch = {"A": rng.normal(size=(3, 9, 4)), "B": rng.uniform(size=(3, 9, 2, 3))}
    batch["B"][1, :4] = 0.999  # another saturated fraction per point
    result = layer_diagnostics(batch, {"A": None, "B": "sigmoid"}, batch_dims=1)
    assert result["median_distance"].shape == result["saturated_fraction"].shape == (3, 2)
    for p in range(3):
        for j, x in enumerate(batch.values()):
            expected = brute_median_distance(x[p])
            assert result["median_distance"][p, j] == pytest.approx(expected, rel=1e-9)
        assert np.isnan(result["saturated_fraction"][p, 0])
        assert result["saturated_fraction"][p, 1] == saturated_fraction(batch["B"][p], "sigmoid")
    assert len(set(result["saturated_fraction"][:, 1])) == 3


def test_the_median_bisection_traces_once_per_shape_and_dtype():
    import tensorflow as tf

    from infoplane_tf.estimator.kernels import squared_distances
    from infoplane_tf.width_rules import _kth_smallest_graph, median_distance

    rng = np.random.default_rng(5)
    traces = _kth_smallest_graph().experimental_get_tracing_count()
    for _ in range(3):  # other values, both ranks of an even pair count: no new trace
        x = rng.normal(size=(17, 3))  # a shape no other test measures
        d2 = squared_distances(tf.constant(x))
        assert float(median_distance(d2)) == pytest.approx(brute_median_distance(x), rel=1e-12)
    assert _kth_smallest_graph().experimental_get_tracing_count() - traces == 1


def test_models_say_what_activation_gives_each_representation():
    x = np.zeros((2, 784), np.float32)
    deep = build_model("deep")
    assert set(Readout.for_model(deep, None, x).activations.values()) == {"sigmoid"}
    assert Readout.for_model(build_model("label"), None, x).activations["Z"] == "softmax"
    assert Readout.for_model(build_model("vae"), None, x).activations["Z"] is None
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(4, activation="relu", name="h")(inputs)
    code = keras.layers.Dense(3, activation="tanh", name="code")(hidden)
    functional = keras.Model(inputs, keras.layers.Dense(6, name="out")(code))
    assert Readout.for_model(functional).activations == {"h": "relu", "code": "tanh"}


@pytest.fixture(scope="module")
def deep_run(tiny_run, tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("runs") / "deep")


def test_measure_records_each_checkpoints_diagnostics(deep_run):
    diagnostics = ip.measure(deep_run, probes=2).diagnostics
    assert diagnostics.layers == deep_run.trajectory.layers
    np.testing.assert_array_equal(diagnostics.iterations, deep_run.checkpoints)
    x = ip.load_dataset("mnist-5k", probe_size=30).x_test[:30]  # the first probe
    for c, iteration in enumerate(deep_run.checkpoints):
        representations, _ = deep_run.model_at(iteration).representations_and_output(x)
        for j, t in enumerate(representations.values()):
            t = np.asarray(t)
            assert diagnostics.median_distance[c, j] == pytest.approx(
                brute_median_distance(t), rel=1e-4
            )
            expected = np.mean((t <= 0.01) | (t >= 0.99))
            assert diagnostics.saturated_fraction[c, j] == pytest.approx(expected)


def test_diagnostics_are_stored_loaded_and_plotted(deep_run, tmp_path):
    run = ip.load_run(shutil.copytree(deep_run.path, tmp_path / "run"))
    measured = ip.measure(run)
    folder = write_measurement(run, "diag", measured)
    loaded = ip.load_run(run.path, "diag").diagnostics
    expected = measured.diagnostics
    assert loaded.layers == expected.layers and loaded.activations == expected.activations
    np.testing.assert_array_equal(loaded.iterations, expected.iterations)
    np.testing.assert_allclose(loaded.median_distance, expected.median_distance, rtol=1e-12)
    np.testing.assert_allclose(loaded.saturated_fraction, expected.saturated_fraction)
    assert plot_runs(ip.load_run(run.path, "diag"), tmp_path / "d.png", kind="diagnostics")
    with pytest.raises(ValueError, match="no diagnostics in"):
        plot_runs(ip.load_run(run.path), tmp_path / "r.png", kind="diagnostics")
    (folder / DIAGNOSTICS_NAME).write_text('{"format": "something else"}')
    with pytest.raises(TrajectoryFormatError, match=DIAGNOSTICS_NAME):
        ip.load_run(run.path, "diag")


def test_unbounded_layers_round_trip_as_nan():
    diagnostics = Diagnostics(
        ("A", "B"),
        np.array([0, 5]),
        np.array([[1.0, 2.0], [3.0, 4.0]]),
        np.array([[np.nan, 0.5], [np.nan, 0.25]]),
        {"A": "relu", "B": "sigmoid"},
    )
    back = Diagnostics.from_json(diagnostics.to_json())
    assert diagnostics.to_json()["saturated_fraction"]["A"] == [None, None]
    np.testing.assert_array_equal(back.saturated_fraction, diagnostics.saturated_fraction)
    np.testing.assert_array_equal(back.median_distance, diagnostics.median_distance)
