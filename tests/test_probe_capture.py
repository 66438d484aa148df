"""InfoPlaneCallback() without a probe: the first n samples of the fit, and schedules that the
training loop cannot honour (steps_per_execution)."""

import warnings

import keras
import numpy as np
import pytest

from infoplane_tf import InfoPlaneCallback, build_model
from infoplane_tf.schedule import Schedule

N = 40


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return {"x": rng.random((240, 30)).astype(np.float32), "y": np.arange(240) % 4}


def zoo_fit(data, callback, model_name="deep", **extra):
    keras.utils.set_random_seed(0)
    model = build_model(model_name, hidden_units=(16, 8), code_units=4, **extra)
    model.fit(data["x"], data["x"], batch_size=20, epochs=2, shuffle=False, verbose=0,
              callbacks=[callback])  # fmt: skip
    return model


def sequential(n_classes=4):
    return keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(12, activation="tanh", name="h1"),
            keras.layers.Dense(n_classes, activation="softmax", name="out"),
        ]
    )


@pytest.mark.parametrize("model_name", ["deep", pytest.param("vae", marks=pytest.mark.slow)])
def test_a_zoo_model_records_the_same_points_as_an_explicit_probe_of_the_same_samples(
    data, model_name
):
    extra = {"seed": 3} if model_name == "vae" else {}
    captured = InfoPlaneCallback(probe_size=N, record="every:3")
    trained = zoo_fit(data, captured, model_name, **extra)
    given = InfoPlaneCallback(data["x"][:N], record="every:3")
    reference = zoo_fit(data, given, model_name, **extra)

    got, want = captured.trajectory, given.trajectory
    np.testing.assert_array_equal(got.iterations, want.iterations)
    assert got.iterations[0] == 0 and len(got) == 1 + 24 // 3
    for key in want.keys:
        np.testing.assert_allclose(getattr(got, key), getattr(want, key), rtol=0, atol=1e-6)
    # The training step computes exactly what it computes without the capture.
    for a, b in zip(trained.get_weights(), reference.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(captured.x_probe.numpy(), data["x"][:N])
    assert got.settings["probe"] == {"source": "fit", "size": N, "labels": False}
    assert want.settings["probe"] == {"source": "given", "size": N}
    # The model's own train step is back after the fit.
    assert "train_step" not in trained.__dict__


def test_a_sequential_model_keeps_the_labels_of_the_fit(data):
    keras.utils.set_random_seed(1)
    model = sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = InfoPlaneCallback(record="epoch", probe_size=N)
    model.fit(data["x"], data["y"], batch_size=30, epochs=2, verbose=0, shuffle=False,
              callbacks=[callback])  # fmt: skip
    trajectory = callback.trajectory
    assert trajectory.i_t_label is not None and trajectory.settings["probe"]["labels"] is True
    assert np.isfinite(trajectory.i_t_label).all() and len(trajectory) == 3
    np.testing.assert_array_equal(callback.y_probe, data["y"][:N])
    # A second fit of the same model works, on the probe the first one took.
    model.fit(data["x"], data["y"], batch_size=30, epochs=1, verbose=0, callbacks=[callback])
    assert len(callback.trajectory) == 2


def test_a_shuffled_fit_keeps_the_first_samples_it_sees(data):
    keras.utils.set_random_seed(2)
    model = sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = InfoPlaneCallback(record="epoch", probe_size=N)
    model.fit(data["x"], data["y"], batch_size=30, epochs=1, verbose=0, callbacks=[callback])
    probe = callback.x_probe.numpy()
    rows = [int(np.flatnonzero((data["x"] == row).all(axis=1))[0]) for row in probe]
    assert len(set(rows)) == N and rows != list(range(N))  # distinct samples, shuffled
    np.testing.assert_array_equal(callback.y_probe, data["y"][rows])


def test_a_dataset_smaller_than_the_probe_gives_what_it_has(data):
    keras.utils.set_random_seed(0)
    model = sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    callback = InfoPlaneCallback(record="iteration", probe_size=100)
    model.fit(data["x"][:50], data["y"][:50], batch_size=20, epochs=1, verbose=0,
              callbacks=[callback])  # fmt: skip
    assert callback.x_probe.shape[0] == 50
    np.testing.assert_array_equal(callback.trajectory.iterations, [0, 1, 2, 3])


def test_labels_without_inputs_are_refused():
    with pytest.raises(ValueError, match="y_probe was given without x_probe"):
        InfoPlaneCallback(y_probe=np.zeros(4))
    with pytest.raises(ValueError, match="probe_size"):
        InfoPlaneCallback(probe_size=1)


def test_measure_before_any_fit_says_so():
    callback = InfoPlaneCallback()
    callback.set_model(sequential())
    with pytest.raises(ValueError, match="no probe yet"):
        callback.measure()


@pytest.mark.parametrize(
    "every, steps_per_execution, warned",
    [
        (1, 4, True),
        ("every:3", 4, True),
        ("every:4", 4, False),
        (1, 1, False),
        pytest.param("epoch", 4, False, marks=pytest.mark.slow),
    ],  # fmt: skip
)
def test_a_schedule_the_loop_cannot_honour_is_said_once_with_what_is_recorded(
    data, every, steps_per_execution, warned
):
    keras.utils.set_random_seed(0)
    model = sequential()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  steps_per_execution=steps_per_execution)  # fmt: skip
    callback = InfoPlaneCallback(data["x"][:N], data["y"][:N], record=every)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(data["x"], data["y"], batch_size=20, epochs=2, verbose=0, callbacks=[callback])
    messages = [str(w.message) for w in caught if "steps_per_execution" in str(w.message)]
    assert len(messages) == (1 if warned else 0)
    recorded = callback.trajectory.iterations[1:].tolist()
    if warned:
        shown = ", ".join(map(str, recorded[:6]))
        assert f"points will be recorded after iterations {shown}" in messages[0]
        assert f"({len(recorded)} in all)" in messages[0]


def test_recorded_iterations_follow_the_hooks():
    schedule = Schedule("every:3")
    assert schedule.recorded_iterations(0, 10, 2, hook_every=1) == [3, 6, 9, 12, 15, 18]
    # Hooks after 4, 8, 10 (the epoch's end), then 14, 18, 20.
    assert schedule.recorded_iterations(0, 10, 2, hook_every=4) == [4, 8, 10, 14, 18]
    assert Schedule("epoch").recorded_iterations(5, 10, 2) == [15, 25]
    log = Schedule("log:4")
    log.start(0, 1000)
    assert log.recorded_iterations(0, 100, 10, hook_every=1) == [1, 10, 100, 1000]
    assert log.recorded_iterations(0, 100, 10, hook_every=8) == [8, 16, 100, 1000]
