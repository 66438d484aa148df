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
from infoplane_tf.workflows.training import run as train

SMALL = {
    "vanilla": {"code_units": 8},
    "deep": {"hidden_units": (32, 16), "code_units": 8},
    "sparse": {"code_units": 8},
    "tied": {"hidden_units": (32,), "code_units": 8},
    "vae": {"hidden_units": (32, 16), "code_units": 4},
    "label": {"hidden_units": (32, 16), "code_units": 10},
}


def tiny_run(folder, model="deep", **options):
    config = ip.TrainConfig(
        model=model, dataset="mnist-5k", epochs=2, train_fraction=0.05, probe_size=30,
        out=str(folder), **{"checkpoints": "log:4", **SMALL[model], **options},
    )  # fmt: skip
    return ip.load_run(train(config))


@pytest.fixture(scope="module")
def deep_run(tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("runs") / "deep")


@pytest.mark.parametrize(
    "model", [m if m == "deep" else pytest.param(m, marks=pytest.mark.slow) for m in SMALL]
)
def test_measuring_at_the_recorded_settings_gives_the_recorded_trajectory(model, tmp_path):
    run = tiny_run(tmp_path / model, model)
    assert run.checkpoints == [0, 1, 2, 3, 4]  # log:4 over 4 iterations (1, 2, 3, 4), and 0
    measured = ip.measure(run)
    recorded = run.trajectory
    rows = [list(recorded.iterations).index(i) for i in measured.iterations]
    np.testing.assert_array_equal(measured.iterations, run.checkpoints)
    for key in ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
        np.testing.assert_allclose(getattr(measured, key), getattr(recorded, key)[rows], atol=1e-4)


def test_other_settings_change_the_measurement(deep_run):
    base = ip.measure(deep_run)
    wider = ip.measure(deep_run, gamma=8.0, probe_size=40, probe_offset=100)
    assert wider.settings["estimator"]["gamma"] == 8.0
    assert wider.settings["estimator"]["n_probe"] == 40 and wider.settings["probe_offset"] == 100
    assert np.abs(wider.i_xt - base.i_xt).max() > 0.1
    only_z = ip.measure(deep_run, layers=["Z"])
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
        measured = ip.measure(run)
    assert measured.valid.tolist() == [True, True, False, True, True]


@pytest.mark.slow
def test_measurements_are_stored_and_not_overwritten_silently(deep_run):
    trajectory = ip.measure(deep_run, gamma=1.0)
    folder = write_measurement(deep_run, "gamma1", trajectory)
    assert folder == deep_run.path / "measurements" / "gamma1"
    np.testing.assert_allclose(ip.load_trajectory(folder).i_xt, trajectory.i_xt, rtol=1e-7)
    with pytest.raises(ParameterError, match=r"already exists \(set overwrite\)"):
        write_measurement(deep_run, "gamma1", trajectory)
    write_measurement(deep_run, "gamma1", trajectory, overwrite=True)
    with pytest.raises(ParameterError, match="plain folder name other than 'recorded'"):
        write_measurement(deep_run, "../escape", trajectory)


def test_bad_requests_are_named(deep_run, tmp_path):
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

    trajectory = ip.measure(deep_run, gamma=0.5)
    write_measurement(deep_run, "half", trajectory, overwrite=True)
    assert "half" in measurements(deep_run.path)
    run = ip.load_run(deep_run.path, measurement="half")
    assert run.measurement == "half" and run.label.endswith("[half]")
    np.testing.assert_allclose(run.trajectory.i_xt, trajectory.i_xt, rtol=1e-7)
    assert ip.load_run(deep_run.path, measurement="recorded").measurement is None
    row = summarize(run)  # phases of the measurement, not the training's summary
    z = run.trajectory.layer("Z")["i_xt"]
    assert row["final_i_xt"] == pytest.approx(z[-1:].mean(), abs=1e-6)
    with pytest.raises(RunFormatError, match="no measurement 'nope'; it has: recorded, .*half"):
        ip.load_run(deep_run.path, measurement="nope")
