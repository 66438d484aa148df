"""InfoPlaneCallback with real model.fit runs on small mnist-5k slices."""

import json
import math
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from infoplane_tf import InfoPlaneCallback, InformationPlane, build_model, load_trajectory
from infoplane_tf.callbacks.worker import DuePoint, PointWorker
from infoplane_tf.estimator import PointFunction
from infoplane_tf.readout import Readout
from infoplane_tf.schedule import Schedule

N_PROBE = 40
SMALL = {
    "vanilla": {"code_units": 8},
    "deep": {"hidden_units": (32, 16), "code_units": 8},
    "sparse": {"code_units": 8},
    "tied": {"hidden_units": (32,), "code_units": 8},
    "vae": {"hidden_units": (32, 16), "code_units": 4, "seed": 1},
    "label": {"hidden_units": (32, 16), "code_units": 10},
}


@pytest.fixture(scope="module")
def data():
    from infoplane_tf import load_dataset

    dataset = load_dataset("mnist-5k", probe_size=N_PROBE)
    return {
        "x": dataset.x_train[:300],
        "y": dataset.y_train[:300],
        "x_probe": dataset.probe.x,
        "y_probe": dataset.probe.y,
    }


def fit(model, data, callback, epochs=2, **kwargs):
    target = data["y"] if model.name == "label" else data["x"]
    return model.fit(
        data["x"], target, epochs=epochs, batch_size=100, verbose=0, callbacks=[callback], **kwargs
    )


def direct_point(model, callback, data, point_index):
    """The estimator called directly on the trained model (independent of the compiled path)."""
    noise = None
    if getattr(model, "noise_units", None):
        noise = tf.random.stateless_normal(
            (N_PROBE, model.noise_units), seed=tf.constant([0, point_index], tf.int64)
        )
    reps, output = model.representations_and_output(data["x_probe"], training=False, noise=noise)
    plane = InformationPlane(data["x_probe"], data["y_probe"])
    return plane([reps[name] for name in callback.layer_names], output)


# The fast run keeps the paper's main model (the others go through the same code).
@pytest.mark.parametrize(
    "name",
    [n if n == "deep" else pytest.param(n, marks=pytest.mark.slow) for n in sorted(SMALL)],
)
def test_every_model_records_every_point_and_last_equals_direct_call(name, data, tmp_path):
    keras.utils.set_random_seed(0)
    model = build_model(name, **SMALL[name])
    path = tmp_path / "trajectory.csv"
    callback = InfoPlaneCallback(data["x_probe"], data["y_probe"], record=2, filepath=path)
    history = fit(model, data, callback)
    trajectory = callback.trajectory
    # 3 steps per epoch, 2 epochs = 6 iterations; every=2 → points at 0, 2, 4, 6.
    np.testing.assert_array_equal(trajectory.iterations, [0, 2, 4, 6])
    np.testing.assert_allclose(trajectory.epochs, [0, 2 / 3, 4 / 3, 2])
    assert trajectory.layers == model.representation_names
    assert math.isnan(trajectory.loss[0]) and np.isfinite(trajectory.loss[1:]).all()
    for key in ("i_xt", "i_t_out", "h_t", "i_t_label"):
        values = getattr(trajectory, key)
        assert values.shape == (4, len(trajectory.layers))
        assert (values > -1e-4).all() and (values < math.log2(N_PROBE) + 1e-4).all(), key
    direct = direct_point(model, callback, data, point_index=6)  # noise fixed by iteration
    for key in ("i_xt", "i_t_out", "h_t", "i_t_label"):
        np.testing.assert_allclose(getattr(trajectory, key)[-1], direct[key].numpy(), atol=1e-4)
    # Copies of the bottleneck into logs reach History.
    assert history.history["i_xt_Z"][-1] == pytest.approx(trajectory.layer("Z")["i_xt"][-1])
    loaded = load_trajectory(path)
    assert loaded.layers == trajectory.layers
    for key in ("iterations", "epochs", "i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
        np.testing.assert_allclose(getattr(loaded, key), getattr(trajectory, key), rtol=1e-6)
    assert loaded.settings["estimator"]["alpha"] == 1.01


@pytest.mark.parametrize(
    "every, expected",
    [("epoch", [0, 3, 6, 9]), (1, list(range(10))), (4, [0, 4, 8]), ("log:3", [0, 1, 3, 9])],
)
def test_schedules(every, expected, data):
    keras.utils.set_random_seed(0)
    model = build_model("vanilla", code_units=4)
    callback = InfoPlaneCallback(data["x_probe"], record=every)
    fit(model, data, callback, epochs=3)
    np.testing.assert_array_equal(callback.trajectory.iterations, expected)


def test_epoch_schedule_gives_epochs_plus_one_points_and_no_labels(data):
    model = build_model("deep", **SMALL["deep"])
    callback = InfoPlaneCallback(data["x_probe"])
    fit(model, data, callback, epochs=3)
    trajectory = callback.trajectory
    assert len(trajectory) == 4 and trajectory.i_t_label is None
    np.testing.assert_allclose(trajectory.epochs, [0, 1, 2, 3])


def plain_keras_model(kind):
    if kind == "sequential":
        return keras.Sequential(
            [
                keras.Input((784,)),
                keras.layers.Dense(16, activation="relu", name="hidden"),
                keras.layers.Dropout(0.1, name="drop"),
                keras.layers.Dense(6, activation="sigmoid", name="code"),
                keras.layers.Dense(784, activation="sigmoid", name="out"),
            ]
        ), ("hidden", "code")
    inputs = keras.Input((784,))
    h = keras.layers.Dense(12, activation="tanh", name="f_hidden")(inputs)
    code = keras.layers.Dense(5, activation="sigmoid", name="f_code")(h)
    outputs = keras.layers.Dense(784, activation="sigmoid", name="f_out")(code)
    return keras.Model(inputs, outputs), ("f_hidden", "f_code")


@pytest.mark.parametrize("kind", ["sequential", pytest.param("functional", marks=pytest.mark.slow)])
def test_plain_keras_models(kind, data):
    model, expected_layers = plain_keras_model(kind)
    model.compile(optimizer="adam", loss="mse")
    callback = InfoPlaneCallback(data["x_probe"], data["y_probe"], record=3)
    history = fit(model, data, callback)
    trajectory = callback.trajectory
    assert trajectory.layers == expected_layers  # dropout and output layers are skipped
    assert len(trajectory) == 3
    probe_outputs = keras.Model(
        model.inputs[0], [model.get_layer(n).output for n in expected_layers] + model.outputs
    )(data["x_probe"])
    direct = InformationPlane(data["x_probe"], data["y_probe"])(
        probe_outputs[:-1], probe_outputs[-1]
    )
    for key in ("i_xt", "i_t_out", "i_t_label"):
        np.testing.assert_allclose(getattr(trajectory, key)[-1], direct[key].numpy(), atol=1e-4)
    # The narrowest measured layer is the one copied into logs.
    assert f"i_xt_{expected_layers[-1]}" in history.history


def test_selected_layers_only(data):
    model = build_model("deep", **SMALL["deep"])
    callback = InfoPlaneCallback(data["x_probe"], layers=["Z", "E1"], record="epoch")
    fit(model, data, callback, epochs=1)
    assert callback.trajectory.layers == ("Z", "E1")
    assert callback.trajectory.i_xt.shape == (2, 2)


def _rows_seen_during_fit(data, path, warm=True, **callback_kwargs):
    """Fits a small deep AE for one epoch (3 iterations) with ``every=1``; a later callback
    reads the file after every batch and at the epoch end. Returns (rows per read, layers).
    ``warm``: a first fit has compiled the model's point function (a new model's first fit
    overlaps the compilation with training instead of writing point 0 before it)."""
    seen = []

    class Reader(keras.callbacks.Callback):
        def read(self):
            with open(path) as f:
                seen.append(len(f.read().splitlines()) - 1)  # minus the header

        def on_train_batch_end(self, batch, logs=None):
            self.read()

        def on_epoch_end(self, epoch, logs=None):
            self.read()

    model = build_model("deep", **SMALL["deep"])
    callback = InfoPlaneCallback(data["x_probe"], record=1, filepath=path, **callback_kwargs)
    if warm:
        model.fit(data["x"], data["x"], epochs=1, batch_size=100, verbose=0, callbacks=[callback])
    model.fit(data["x"], data["x"], epochs=1, batch_size=100, verbose=0,
              callbacks=[callback, Reader()])  # fmt: skip
    return seen, len(model.representation_names)


def test_file_is_flushed_point_by_point_in_the_immediate_mode(data, tmp_path):
    path = tmp_path / "live.csv"
    seen, n_layers = _rows_seen_during_fit(data, path, points_per_call=1, background=False)
    # After iteration k the file holds points 0..k, each with one row per layer.
    assert seen == [n_layers * (k + 1) for k in (1, 2, 3, 3)]


def test_file_holds_whole_points_during_training_and_every_point_at_epoch_end(data, tmp_path):
    path = tmp_path / "live.csv"
    seen, n_layers = _rows_seen_during_fit(data, path, points_per_call=2)
    # Points 0 (before training) .. 3; written in batches of two while training goes on.
    after_batches, at_epoch_end = seen[:3], seen[3]
    assert all(rows % n_layers == 0 for rows in seen)  # never half a point
    assert after_batches == sorted(after_batches)
    for k, rows in enumerate(after_batches, start=1):
        assert n_layers <= rows <= n_layers * (k + 1)  # point 0 is written before training
        assert rows >= n_layers * (k + 1 - (2 * 2 - 1))  # lags fewer than 2 * points_per_call
    assert at_epoch_end == n_layers * 4


def test_first_fit_overlaps_compilation_and_still_writes_every_point(data, tmp_path):
    path = tmp_path / "cold.csv"
    seen, n_layers = _rows_seen_during_fit(data, path, warm=False, points_per_call=2)
    assert all(rows % n_layers == 0 for rows in seen)  # never half a point
    assert seen == sorted(seen) and seen[-1] == n_layers * 4  # all at the epoch end
    np.testing.assert_array_equal(load_trajectory(path).iterations, np.arange(4))


@pytest.mark.parametrize("compile_seconds", [0.0, 0.05, 0.1, 1.0])
def test_which_points_share_a_call_does_not_depend_on_timing(compile_seconds):
    # A point's float32 values depend in the last bit on the other snapshots of its call, so
    # the calls' batches must be the same whenever the first call (the compilation) ends.
    calls, stored = [], []

    def estimate(snapshots, indices):
        if not calls:
            time.sleep(compile_seconds)
        calls.append(list(indices))
        return np.zeros((len(indices), 1)), np.ones(len(indices), bool)

    worker = PointWorker(estimate, lambda point, values: stored.append(point.index), points=4,
                         background=True, max_pending=64)  # fmt: skip
    worker.submit(DuePoint(0, 0, 0.0, math.nan, []))
    worker.flush()  # the point before training, alone
    for index in range(1, 23):
        time.sleep(0.01)
        worker.submit(DuePoint(index, index, 0.0, 0.0, []))
    worker.finish()
    worker.close()
    batches = [[0] * 4] + [list(range(k, k + 4)) for k in range(1, 21, 4)] + [[21, 22, 22, 22]]
    assert calls == batches
    assert stored == list(range(23))


@pytest.mark.slow
@pytest.mark.parametrize("dtype, tolerance", [("float64", 1e-6), ("float32", 1e-4)])
@pytest.mark.parametrize("name", ["deep", "vae"])
def test_background_batches_equal_the_immediate_mode_point_for_point(name, dtype, tolerance, data):
    # Each point is estimated later, in a batch, from a snapshot of the weights taken when it
    # was due: if a snapshot saw later updates, or a batch mixed up its points (or a VAE's
    # per-point noise), the values would differ from the point-by-point computation.
    trajectories = []
    # float64 estimates: in float32 the matrices' rounding differs between batch shapes by
    # ~3e-5 bits, about as much as two neighbouring points differ. What remains in float64 is
    # the float32 forward pass's rounding (~2e-8 bits), 30x below the 3e-5 bits between
    # neighbouring points.
    for mode in ({"points_per_call": 1, "background": False}, {"points_per_call": 3}):
        keras.utils.set_random_seed(0)
        model = build_model(name, **SMALL[name])
        callback = InfoPlaneCallback(data["x_probe"], record=1, dtype=dtype, **mode)
        fit(model, data, callback, epochs=3)
        trajectories.append(callback.trajectory)
    immediate, batched = trajectories
    np.testing.assert_array_equal(batched.iterations, np.arange(10))
    np.testing.assert_array_equal(batched.iterations, immediate.iterations)
    assert np.abs(immediate.i_xt[-1] - immediate.i_xt[1]).max() > 1e-2  # the points do move
    for key in ("i_xt", "i_t_out", "h_t", "sigma"):
        np.testing.assert_allclose(getattr(batched, key), getattr(immediate, key), atol=tolerance)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_weight_snapshot_survives_the_next_update(jit_compile, data):
    model = build_model("vanilla", code_units=4)
    model.compile(optimizer="adam", loss="mse", jit_compile=jit_compile)
    model.fit(data["x"][:100], data["x"][:100], batch_size=100, verbose=0)
    probe = Readout.for_model(model, x_sample=data["x_probe"])
    snapshot = probe.snapshot()
    copies = [tensor.numpy().copy() for tensor in snapshot]
    model.fit(data["x"][:100], data["x"][:100], batch_size=100, verbose=0)
    current = [v.numpy() for v in probe.variables]
    assert any(not np.array_equal(c, v) for c, v in zip(copies, current, strict=True))
    for copy, tensor in zip(copies, snapshot, strict=True):
        np.testing.assert_array_equal(tensor.numpy(), copy)


def test_snapshots_are_capped_for_large_models(data, monkeypatch):
    import infoplane_tf.callbacks.info_plane as callback_module

    model = build_model("vanilla", code_units=4)  # 2 * 784 * 4 + 788 floats ≈ 28 KB
    monkeypatch.setattr(callback_module, "SNAPSHOT_BUDGET_BYTES", 100_000)
    callback = InfoPlaneCallback(data["x_probe"], record=1, points_per_call=8)
    calls = []
    original = PointWorker.__init__

    def spy(self, estimate, store, points, *args, **kwargs):
        calls.append(points)
        original(self, estimate, store, points, *args, **kwargs)

    monkeypatch.setattr(PointWorker, "__init__", spy)
    fit(model, data, callback, epochs=1)
    assert calls == [1]  # two 28 KB snapshots fit in 100 KB, not 2 * 8
    assert len(callback.trajectory) == 4


def test_an_error_in_the_background_reaches_the_fit(data):
    model = build_model("vanilla", code_units=4)
    callback = InfoPlaneCallback(data["x_probe"], record=1, points_per_call=2)

    class Sabotage(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            def broken(*args):
                raise RuntimeError("estimator exploded")

            PointFunction.__call__ = broken

    original = PointFunction.__call__
    try:
        with pytest.raises(RuntimeError, match="estimator exploded"):
            model.fit(data["x"], data["x"], epochs=1, batch_size=100, verbose=0,
                      callbacks=[Sabotage(), callback])  # fmt: skip
    finally:
        PointFunction.__call__ = original


@pytest.mark.parametrize("every, points", [("epoch", 2), (1, 4)])  # 1: written by the worker
def test_tensorboard_scalars_are_written(every, points, data, tmp_path):
    model = build_model("vanilla", code_units=4)
    callback = InfoPlaneCallback(
        data["x_probe"], record=every, points_per_call=2, tensorboard_dir=tmp_path / "tb"
    )
    fit(model, data, callback, epochs=1)
    files = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert files
    tags, steps = set(), set()
    for event in tf.compat.v1.train.summary_iterator(str(files[0])):
        tags |= {value.tag for value in event.summary.value}
        if event.summary.value:
            steps.add(event.step)
    assert {"infoplane/i_xt/Z", "infoplane/i_t_out/Z", "infoplane/h_t/Z"} <= tags
    assert len(steps) == points


def test_diverged_model_records_missing_points_without_crashing(data, tmp_path):
    model = build_model("vanilla", code_units=4)
    path = tmp_path / "diverged.csv"
    callback = InfoPlaneCallback(data["x_probe"], record=1, filepath=path)

    class Poison(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                kernel = self.model.trainable_weights[0]
                kernel.assign(tf.fill(kernel.shape, np.nan))

    with pytest.warns(RuntimeWarning, match="not finite|non-finite") as seen:
        model.fit(
            data["x"],
            data["x"],
            epochs=1,
            batch_size=100,
            verbose=0,
            callbacks=[Poison(), callback],
        )
    said = " | ".join(str(w.message) for w in seen)
    assert "non-finite activations" in said and "2 information-plane point(s)" in said
    trajectory = callback.trajectory
    assert len(trajectory) == 4  # the fit went on to the end
    assert trajectory.valid.tolist() == [True, True, False, False]
    assert np.isnan(trajectory.i_xt[2:]).all()
    text = path.read_text()
    assert "nan" not in text.lower()
    loaded = load_trajectory(path)
    assert loaded.valid.tolist() == [True, True, False, False]


@pytest.mark.slow
def test_killed_process_leaves_a_readable_file(tmp_path):
    path = tmp_path / "killed.csv"
    script = textwrap.dedent(
        f"""
        import keras
        from infoplane_tf import InfoPlaneCallback, build_model, load_dataset
        data = load_dataset("mnist-5k", probe_size=30)
        model = build_model("deep", hidden_units=(32, 16), code_units=8)
        callback = InfoPlaneCallback(data.probe.x, record=1, filepath={str(path)!r})
        model.fit(data.x_train, data.x_train, epochs=1000, batch_size=100, verbose=0,
                  callbacks=[callback])
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            if path.exists() and len(path.read_text().splitlines()) > 5 * 20:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the training subprocess wrote no points in time")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    trajectory = load_trajectory(path)
    assert len(trajectory) >= 20
    assert trajectory.valid.all()
    np.testing.assert_array_equal(trajectory.iterations, np.arange(len(trajectory)))
    assert json.loads((tmp_path / "killed.json").read_text())["layers"] == list(trajectory.layers)


@pytest.mark.slow
def test_mirrored_strategy_with_two_logical_cpus(tmp_path):
    # Logical devices must be configured before TensorFlow starts: run in a fresh process.
    script = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf, keras
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        from infoplane_tf import InfoPlaneCallback, InformationPlane, build_model, load_dataset
        data = load_dataset("mnist-5k", probe_size=30)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        assert strategy.num_replicas_in_sync == 2
        with strategy.scope():
            model = build_model("deep", hidden_units=(32, 16), code_units=8, input_width=784)
        callback = InfoPlaneCallback(data.probe.x, record=2)
        from infoplane_tf.callbacks.worker import PointWorker
        estimated = []  # noise indices (iterations) of each estimation call (4, padded)
        original_init = PointWorker.__init__
        def init(self, estimate, *args, **kwargs):
            def counting(snapshots, indices):
                estimated.append(list(indices))
                return estimate(snapshots, indices)
            original_init(self, counting, *args, **kwargs)
        PointWorker.__init__ = init
        model.fit(data.x_train[:400], data.x_train[:400], epochs=2, batch_size=100, verbose=0,
                  callbacks=[callback])
        t = callback.trajectory
        assert t.iterations.tolist() == [0, 2, 4, 6, 8], t.iterations
        # once per point, not once per replica: the point before training alone, then each
        # epoch end finishes its points (padded)
        assert estimated == [[0, 0, 0, 0], [2, 4, 4, 4], [6, 8, 8, 8]], estimated
        reps, out = model.representations_and_output(data.probe.x)
        direct = InformationPlane(data.probe.x)(list(reps.values()), out)
        assert np.abs(t.i_xt[-1] - direct["i_xt"].numpy()).max() < 1e-4
        assert np.abs(t.i_t_out[-1] - direct["i_t_out"].numpy()).max() < 1e-4
        print("mirrored ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "mirrored ok" in result.stdout


# --------------------------------------------------------------------------------------------
# Bad input, caught before any training time is spent
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"x_probe": np.full((10, 784), np.nan)}, "x_probe contains"),
        ({"x_probe": np.ones((1, 784))}, "at least 2 samples"),
        ({"record": "weekly"}, "record must be"),
        ({"record": 0}, "record must be"),
        ({"record": "log:0"}, "record must be"),
        ({"sigma": -1.0}, "sigma must be"),
        ({"layers": "Z"}, "layers must be a list"),
        ({"points_per_call": 0}, "points_per_call must be a positive integer"),
        ({"points_per_call": 2.5}, "points_per_call must be a positive integer"),
        ({"points_per_call": True}, "points_per_call must be a positive integer"),
    ],
)
def test_bad_constructor_arguments(kwargs, message):
    arguments = {"x_probe": np.random.default_rng(0).random((10, 784)), **kwargs}
    with pytest.raises(ValueError, match=message):
        InfoPlaneCallback(arguments.pop("x_probe"), **arguments)


def test_unknown_layer_fails_before_training(data):
    model = build_model("deep", **SMALL["deep"])
    callback = InfoPlaneCallback(data["x_probe"], layers=["Z", "bottleneck"])
    with pytest.raises(ValueError, match="'bottleneck'.*available layers: E1, E2, Z, D1, D2"):
        fit(model, data, callback)
    assert int(model.optimizer.iterations.numpy()) == 0


def test_subclassed_model_without_representations_fails_before_training(data):
    class Opaque(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(784)

        def call(self, x):
            return self.dense(x)

    model = Opaque()
    model.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="without representations_and_output"):
        fit(model, data, InfoPlaneCallback(data["x_probe"]))
    assert int(model.optimizer.iterations.numpy()) == 0


def test_schedule_parsing():
    assert Schedule("epoch").kind == "epoch"
    assert (Schedule(5).kind, Schedule(5).value) == ("iterations", 5)
    assert (Schedule("log:7").kind, Schedule("log:7").value) == ("log", 7)
    with pytest.raises(ValueError, match="True"):
        Schedule(True)


def test_trajectory_to_dataframe(data):
    pd = pytest.importorskip("pandas")
    model = build_model("deep", **SMALL["deep"])
    callback = InfoPlaneCallback(data["x_probe"], record="epoch")
    fit(model, data, callback, epochs=1)
    frame = callback.trajectory.to_dataframe()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 2 * 5 and list(frame["layer"][:5]) == ["E1", "E2", "Z", "D1", "D2"]


# Keras says both: no gradient flows through numpy_function, which XLA cannot compile.
@pytest.mark.filterwarnings("ignore:Gradients do not exist:UserWarning")
@pytest.mark.filterwarnings("ignore:Model doesn't support `jit_compile=True`:UserWarning")
def test_model_without_xla_kernels_is_measured(data):
    # The forward pass runs outside XLA, so a layer XLA cannot compile is no obstacle.
    def numpy_tanh(t):
        return tf.ensure_shape(tf.numpy_function(np.tanh, [t], tf.float32), [None, 6])

    inputs = keras.Input((784,))
    h = keras.layers.Dense(6, name="dense_code")(inputs)
    code = keras.layers.Lambda(numpy_tanh, output_shape=(6,), name="numpy_tanh")(h)
    outputs = keras.layers.Dense(784, activation="sigmoid", name="out")(code)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="mse")
    callback = InfoPlaneCallback(data["x_probe"], record="epoch")
    fit(model, data, callback, epochs=1)
    assert len(callback.trajectory) == 2 and callback.trajectory.valid.all()
    assert callback.trajectory.layers == ("dense_code", "numpy_tanh")
    hidden = keras.Model(inputs, [model.get_layer("dense_code").output, code])(data["x_probe"])
    direct = InformationPlane(data["x_probe"])(list(hidden), model(data["x_probe"]))
    np.testing.assert_allclose(callback.trajectory.i_xt[-1], direct["i_xt"], atol=1e-4)


def test_the_old_every_still_works_with_a_deprecation_warning(data):
    with pytest.warns(DeprecationWarning, match="record="):
        callback = InfoPlaneCallback(data["x_probe"], every=3)
    assert callback.schedule.kind == "iterations" and callback.schedule.value == 3
