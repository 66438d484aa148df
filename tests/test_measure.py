"""Re-measuring runs from their weight checkpoints (``io.checkpoints``, ``workflows.measure``)."""

import numpy as np
import pytest

import infoplane_tf as ip
from infoplane_tf.io.checkpoints import (
    CheckpointFormatError,
    checkpoint_path,
    list_checkpoints,
    read_checkpoint,
    write_checkpoint,
)
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows.measure import write_measurement
from tests.helpers import SMALL


@pytest.fixture(scope="module")
def deep_run(tiny_run, tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("runs") / "deep")


@pytest.mark.parametrize(
    "model", [m if m == "deep" else pytest.param(m, marks=pytest.mark.slow) for m in SMALL]
)
def test_measuring_at_the_recorded_settings_gives_the_recorded_trajectory(
    model, tmp_path, tiny_run
):
    run = tiny_run(tmp_path / model, model)
    assert run.checkpoints == [0, 1, 2, 3, 4]  # log:4 over 4 iterations (1, 2, 3, 4), and 0
    measured = ip.measure(run).trajectory
    recorded = run.trajectory
    rows = [list(recorded.iterations).index(i) for i in measured.iterations]
    np.testing.assert_array_equal(measured.iterations, run.checkpoints)
    for key in ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
        np.testing.assert_allclose(getattr(measured, key), getattr(recorded, key)[rows], atol=1e-4)


def test_other_settings_change_the_measurement(deep_run):
    base = ip.measure(deep_run).trajectory
    wider = ip.measure(deep_run, gamma=8.0, probe_size=40, probe_offset=100).trajectory
    assert wider.settings["estimator"]["gamma"] == 8.0
    assert wider.settings["estimator"]["n_probe"] == 40 and wider.settings["probe_offset"] == 100
    assert np.abs(wider.i_xt - base.i_xt).max() > 0.1
    only_z = ip.measure(deep_run, layers=["Z"]).trajectory
    assert only_z.layers == ("Z",)
    np.testing.assert_allclose(only_z.i_xt[:, 0], base.layer("Z")["i_xt"], atol=1e-5)


@pytest.mark.slow
def test_model_at_has_the_checkpoints_weights(deep_run):
    iteration = deep_run.checkpoints[-1]
    model = deep_run.model_at(iteration)
    values, epoch = read_checkpoint(deep_run.path / "checkpoints", iteration)
    assert epoch == pytest.approx(2.0)
    for variable in model.variables:
        np.testing.assert_array_equal(np.asarray(variable), values[variable.path])


def test_a_corrupt_checkpoint_is_named_and_the_others_still_measure(deep_run, tmp_path):
    import shutil

    run = ip.load_run(shutil.copytree(deep_run.path, tmp_path / "copy"))
    broken = checkpoint_path(run.path / "checkpoints", 2)
    broken.write_bytes(broken.read_bytes()[:100])  # truncated
    with pytest.warns(RuntimeWarning, match="iteration-00000002.npz"):
        measured = ip.measure(run).trajectory
    assert measured.valid.tolist() == [True, True, False, True, True]


@pytest.mark.slow
def test_measurements_are_stored_and_not_overwritten_silently(deep_run):
    trajectory = ip.measure(deep_run, gamma=1.0).trajectory
    folder = write_measurement(deep_run, "gamma1", trajectory)
    assert folder == deep_run.path / "measurements" / "gamma1"
    np.testing.assert_allclose(ip.load_trajectory(folder).i_xt, trajectory.i_xt, rtol=1e-7)
    with pytest.raises(ParameterError, match=r"already exists \(set overwrite\)"):
        write_measurement(deep_run, "gamma1", trajectory)
    write_measurement(deep_run, "gamma1", trajectory, overwrite=True)
    with pytest.raises(ParameterError, match="plain folder name other than 'recorded'"):
        write_measurement(deep_run, "../escape", trajectory)


def test_bad_requests_are_named(deep_run, tmp_path, tiny_run):
    with pytest.raises(ParameterError, match="must fit in the 1000 test images"):
        ip.measure(deep_run, probe_size=990, probe_offset=20)
    bare = tiny_run(tmp_path / "bare", checkpoints="none")
    assert bare.checkpoints == []
    with pytest.raises(ParameterError, match="has no checkpoints; train with checkpoints"):
        ip.measure(bare)


def test_checkpoint_files_are_written_whole(tmp_path):
    values = {"a/kernel": np.arange(6.0).reshape(2, 3)}
    write_checkpoint(tmp_path, 7, 0.5, values)
    (tmp_path / "iteration-00000009.npz.tmp").write_bytes(b"half")  # a write cut by a kill
    assert list_checkpoints(tmp_path) == [7]
    assert sorted(p.name for p in tmp_path.iterdir())[0] == "iteration-00000007.npz"
    loaded, epoch = read_checkpoint(tmp_path, 7)
    np.testing.assert_array_equal(loaded["a/kernel"], values["a/kernel"])
    assert epoch == 0.5 and set(loaded) == {"a/kernel"}
    with pytest.raises(CheckpointFormatError, match="no checkpoint of iteration 8"):
        read_checkpoint(tmp_path, 8)
    checkpoint_path(tmp_path, 7).rename(checkpoint_path(tmp_path, 8))
    with pytest.raises(CheckpointFormatError, match="not a checkpoint of iteration 8"):
        read_checkpoint(tmp_path, 8)


@pytest.mark.slow
def test_a_measurement_loads_as_the_runs_trajectory(deep_run):
    from infoplane_tf.analysis.summary import summarize
    from infoplane_tf.io.runs import RunFormatError, measurements

    trajectory = ip.measure(deep_run, gamma=0.5).trajectory
    write_measurement(deep_run, "half", trajectory, overwrite=True)
    assert "half" in measurements(deep_run.path)
    run = ip.load_run(deep_run.path, measurement="half")
    assert run.measurement_label == "half" and run.remeasured and run.label.endswith("[half]")
    np.testing.assert_allclose(run.trajectory.i_xt, trajectory.i_xt, rtol=1e-7)
    assert ip.load_run(deep_run.path, measurement="recorded").remeasured is False
    row = summarize(run)  # phases of the measurement, not the training's summary
    z = run.trajectory.layer("Z")["i_xt"]
    assert row["final_i_xt"] == pytest.approx(z[-1:].mean(), abs=1e-6)
    with pytest.raises(RunFormatError, match="no measurement 'nope'; it has: recorded, .*half"):
        ip.load_run(deep_run.path, measurement="nope")


# --------------------------------------------------------------------------------------------
# Width maps, estimator bands, controls and reference widths
# --------------------------------------------------------------------------------------------


def test_a_width_map_equals_one_measurement_per_width_and_loads_back(deep_run):
    from infoplane_tf.io.runs import load_run

    mapped = ip.measure(deep_run, gamma=(0.5, 2.0))
    assert sorted(mapped) == [0.5, 2.0]
    for gamma, measured in mapped.items():
        single = ip.measure(deep_run, gamma=gamma).trajectory
        assert measured.trajectory.settings["estimator"]["gamma"] == gamma
        for key in ("i_xt", "i_t_out", "sigma", "i_t_label"):
            np.testing.assert_allclose(
                getattr(measured.trajectory, key), getattr(single, key), atol=2e-5
            )
    write_measurement(deep_run, "map", mapped, overwrite=True)
    run = load_run(deep_run.path, "map")
    assert sorted(run.width_map) == [0.5, 2.0]
    assert run.trajectory.settings["estimator"]["gamma"] == 2.0  # the paper rule's own γ
    np.testing.assert_allclose(
        run.width_map[0.5].trajectory.i_xt, mapped[0.5].trajectory.i_xt, rtol=1e-6
    )


def test_disjoint_probes_give_their_median_and_range(deep_run):
    banded = ip.measure(deep_run, probes=3, probe_size=20)
    singles = [
        ip.measure(deep_run, probe_size=20, probe_offset=20 * k).trajectory.i_xt for k in range(3)
    ]
    stacked = np.stack(singles)
    np.testing.assert_allclose(banded.trajectory.i_xt, np.median(stacked, axis=0), atol=2e-5)
    low, high = banded.band
    np.testing.assert_allclose(low.i_xt, stacked.min(axis=0), atol=2e-5)
    np.testing.assert_allclose(high.i_xt, stacked.max(axis=0), atol=2e-5)
    assert np.all(high.i_xt - low.i_xt > 0)  # different images: different estimates
    assert banded.trajectory.settings["band"] == {"probes": 3}


def test_bootstrap_bands_hold_the_median_and_repeat(deep_run):
    first = ip.measure(deep_run, bootstrap=8, layers=["Z"])
    again = ip.measure(deep_run, bootstrap=8, layers=["Z"])
    low, high = first.band
    median = first.trajectory.i_xt
    assert np.all(low.i_xt <= median + 1e-9) and np.all(median <= high.i_xt + 1e-9)
    np.testing.assert_array_equal(again.trajectory.i_xt, median)


def test_a_constant_representation_has_a_zero_width_band(deep_run, tmp_path):
    import shutil

    run = ip.load_run(shutil.copytree(deep_run.path, tmp_path / "frozen"))
    for iteration in run.checkpoints:
        values, epoch = read_checkpoint(run.path / "checkpoints", iteration)
        zeros = {key: np.zeros_like(value) for key, value in values.items()}
        write_checkpoint(run.path / "checkpoints", iteration, epoch, zeros)
    # Every probe gives I(X;T) = S(X) - S(X,T) = 0 (S(X,T) = S(X) up to rounding).
    banded = ip.measure(run, probes=3, probe_size=20, dtype="float64")
    low, high = banded.band
    np.testing.assert_allclose(high.i_xt - low.i_xt, 0.0, atol=1e-12)
    np.testing.assert_allclose(banded.trajectory.i_xt, 0.0, atol=1e-12)


def test_controls_are_the_measurement_of_fresh_networks(deep_run):
    import keras

    from infoplane_tf.models.restore import build_recorded_model

    measured = ip.measure(deep_run, controls=2, gamma=1.0)
    fresh = measured.controls["fresh-init"]
    seed = deep_run.config["seed"]
    assert fresh["seeds"] == [seed + 1, seed + 2]
    x = ip.load_dataset("mnist-5k", probe_size=30).x_test[:30]
    y = ip.load_dataset("mnist-5k", probe_size=30).y_test[:30]
    plane = ip.InformationPlane(x, y, gamma=1.0)
    for k, seed in enumerate(fresh["seeds"]):
        keras.utils.set_random_seed(seed)
        model = build_recorded_model(deep_run.config)
        layers, output = model.representations_and_output(x)
        point = plane(layers, output)
        for j, name in enumerate(measured.trajectory.layers):
            assert fresh["i_xt"][name][k] == pytest.approx(float(point["i_xt"][j]), abs=1e-4)


def test_reference_widths_stay_fixed_at_the_reference_checkpoint(deep_run):
    fixed = ip.measure(deep_run, sigma="median-final", gamma=(1.0, 2.0))
    median = ip.measure(deep_run, sigma="median").trajectory
    at_one = fixed[1.0].trajectory
    np.testing.assert_allclose(at_one.sigma, np.broadcast_to(median.sigma[-1], at_one.sigma.shape),
                               rtol=1e-5)  # fmt: skip
    np.testing.assert_allclose(at_one.i_xt[-1], median.i_xt[-1], atol=2e-5)
    np.testing.assert_allclose(fixed[2.0].trajectory.sigma, 2 * at_one.sigma, rtol=1e-6)
    assert at_one.settings["estimator"]["sigma"] == "median-final"
    initial = ip.measure(deep_run, sigma="median-initial").trajectory
    np.testing.assert_allclose(initial.sigma[-1], median.sigma[0], rtol=1e-5)


def test_alignment_widths_are_smoothed_over_points(deep_run):
    from infoplane_tf.workflows.measure import _smoothed_widths

    raw = np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [11.0, 12.0]])
    smoothed = _smoothed_widths(raw)
    np.testing.assert_allclose(smoothed[:, 0], [3.0, 4.0, 5.0, 7.0, 8.0, 9.0])
    np.testing.assert_allclose(smoothed[2, 1], np.mean([2.0, 6.0, 8.0, 10.0]))
    aligned = ip.measure(deep_run, sigma="alignment").trajectory
    assert np.all(np.isfinite(aligned.i_xt)) and np.all(aligned.sigma > 0)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"probes": 2, "bootstrap": 4}, "bootstrap cannot be combined with probes=2"),
        ({"probes": 40}, "must fit in the 1000 test images"),
        ({"probes": 0}, "probes must be"),
        ({"gamma": ()}, "at least one width scale"),
        ({"sigma": "median-middle"}, "'median-middle'"),
        ({"controls": -1}, "controls must be"),
    ],
)
def test_bad_measurement_options_are_named(deep_run, options, message):
    with pytest.raises(ParameterError, match=message):
        ip.measure(deep_run, **options)


def test_probe_sets_are_disjoint_windows_or_seeded_resamples(deep_run):
    from infoplane_tf.workflows.measure import probe_sets

    config = deep_run.config
    sets = probe_sets(deep_run, 20, 10, 3, 0)
    test = ip.load_dataset(config["dataset"], probe_size=2).x_test
    rows = [{int(np.flatnonzero((test == image).all(axis=1))[0]) for image in x} for x, _ in sets]
    assert rows == [set(range(10 + 20 * k, 30 + 20 * k)) for k in range(3)]
    resampled = probe_sets(deep_run, 20, 0, 1, 4)
    again = probe_sets(deep_run, 20, 0, 1, 4)
    assert len(resampled) == 4
    for (x, y), (x2, y2) in zip(resampled, again, strict=True):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)


def test_a_run_is_measured_at_its_kept_probe_without_its_dataset(deep_run, monkeypatch):
    from infoplane_tf.data.datasets import DatasetUnavailableError
    from infoplane_tf.io.run_dir import RunDirectory
    from infoplane_tf.workflows import checkpoint_pass

    x, y = RunDirectory(deep_run.path).read_probe()
    dataset = ip.load_dataset("mnist-5k", probe_size=30)
    np.testing.assert_array_equal(x, dataset.probe.x)  # bit for bit, from uint8 pixels
    np.testing.assert_array_equal(y, dataset.probe.y)
    with_dataset = ip.measure(deep_run, gamma=1.0).trajectory

    def unavailable(*args, **kwargs):
        raise DatasetUnavailableError("dataset 'mnist-5k' is not available: test")

    monkeypatch.setattr(checkpoint_pass, "load_dataset", unavailable)
    without = ip.measure(deep_run, gamma=1.0).trajectory
    np.testing.assert_array_equal(without.i_xt, with_dataset.i_xt)
    np.testing.assert_array_equal(without.i_t_label, with_dataset.i_t_label)
    ip.measure(deep_run, probe_size=10, probe_offset=20)  # inside the kept 30: no dataset
    # A probe beyond the kept one needs the dataset, and says so.
    with pytest.raises(DatasetUnavailableError, match="not available"):
        ip.measure(deep_run, probe_size=40)
