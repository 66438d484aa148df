"""Resolving a model into what the information plane measures (``infoplane_tf.readout``)."""

import keras
import numpy as np
import pytest

from infoplane_tf import InfoPlaneCallback, InformationPlane
from infoplane_tf.models import MeasurableModel
from infoplane_tf.readout import Readout

RNG = np.random.default_rng(0)
X = RNG.random((120, 12)).astype(np.float32)
PROBE = X[:20]


class Documented(keras.Model):
    """A subclassed model written exactly as the README says: only the one method."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(6, activation="sigmoid", name="hidden")
        self.out = keras.layers.Dense(12, activation="sigmoid", name="out")

    def call(self, x, training=False):
        return self.representations_and_output(x, training)[1]

    def representations_and_output(self, x, training=False, noise=None):
        h = self.hidden(x)
        return {"H": h}, self.out(h)


class Opaque(keras.Model):
    """A subclassed model without the method: its hidden layers cannot be seen."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(6)
        self.out = keras.layers.Dense(12)

    def call(self, x):
        return self.out(self.hidden(x))


def compiled(model):
    model.compile(optimizer="adam", loss="mse")
    return model


def test_a_model_written_as_the_readme_says_is_measured():
    model = compiled(Documented())
    assert isinstance(model, MeasurableModel)
    callback = InfoPlaneCallback(PROBE, record=1)
    model.fit(X, X, epochs=1, batch_size=40, verbose=0, callbacks=[callback])
    trajectory = callback.trajectory
    assert trajectory.layers == ("H",) and len(trajectory) == 4
    reps, output = model.representations_and_output(PROBE)
    direct = InformationPlane(PROBE)([reps["H"]], output)
    np.testing.assert_allclose(trajectory.i_xt[-1], direct["i_xt"], atol=1e-4)


def test_a_model_without_the_method_fails_before_training():
    model = compiled(Opaque())
    model(X[:1])
    weights = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="without representations_and_output"):
        model.fit(X, X, epochs=1, batch_size=40, verbose=0,
                  callbacks=[InfoPlaneCallback(PROBE, record=1)])  # fmt: skip
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)  # no training step was taken


def cnn():
    inputs = keras.Input((8, 8, 1))
    conv = keras.layers.Conv2D(3, 3, activation="relu", name="conv")(inputs)
    pool = keras.layers.MaxPooling2D(name="pool1")(conv)
    flat = keras.layers.Flatten(name="flat")(pool)
    shaped = keras.layers.Reshape((27,), name="reshape")(flat)
    drop = keras.layers.Dropout(0.1, name="drop")(shaped)
    hidden = keras.layers.Dense(5, activation="relu", name="dense")(drop)
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="out")(hidden))


def test_shape_only_and_inference_no_op_layers_are_skipped_by_default():
    probe = Readout.for_model(cnn())
    assert probe.names == ("conv", "pool1", "dense")
    assert probe.widths == {"conv": 6 * 6 * 3, "pool1": 3 * 3 * 3, "dense": 5}


def test_shape_only_layers_can_still_be_asked_for():
    probe = Readout.for_model(cnn(), layers=["pool1", "flat"])
    assert probe.names == ("pool1", "flat")


def test_unknown_layer_lists_the_available_ones():
    with pytest.raises(ValueError, match="no layer named 'nope'.*available layers: .*conv"):
        Readout.for_model(cnn(), layers=["nope"])


def test_a_second_callback_on_the_same_model_compiles_nothing():
    model = compiled(Documented())
    first = InfoPlaneCallback(PROBE, record=1)
    model.fit(X, X, epochs=1, batch_size=40, verbose=0, callbacks=[first])
    probe = Readout.for_model(model, x_sample=PROBE)
    function = probe.point_function(first.plane, 4, one_core=True)
    traces = function.trace_count
    assert traces == 1
    second = InfoPlaneCallback(X[20:40], record=1)  # another probe of the same shape
    model.fit(X, X, epochs=1, batch_size=40, verbose=0, callbacks=[second])
    assert probe.point_function(second.plane, 4, one_core=True) is function
    assert function.trace_count == traces
    reps, output = model.representations_and_output(X[20:40])
    direct = InformationPlane(X[20:40])([reps["H"]], output)
    np.testing.assert_allclose(second.trajectory.i_xt[-1], direct["i_xt"], atol=1e-4)


def test_the_probe_cache_is_not_saved_with_the_model(tmp_path):
    model = compiled(cnn())
    Readout.for_model(model)
    model.save(tmp_path / "m.keras")
    restored = keras.saving.load_model(tmp_path / "m.keras")
    assert "_infoplane_tf_probes" not in restored.__dict__


def test_measure_reuses_the_training_function_and_equals_a_direct_call():
    model = compiled(Documented())
    callback = InfoPlaneCallback(PROBE, record=1)
    model.fit(X, X, epochs=1, batch_size=40, verbose=0, callbacks=[callback])
    function = Readout.for_model(model, x_sample=PROBE).point_function(callback.plane, 4, True)
    traces = function.trace_count
    point = callback.measure()
    assert function.trace_count == traces  # no second compiled function
    reps, output = model.representations_and_output(PROBE)
    direct = InformationPlane(PROBE)([reps["H"]], output)
    np.testing.assert_allclose(point["i_xt"], direct["i_xt"], atol=1e-4)
    np.testing.assert_allclose(point["i_t_out"], direct["i_t_out"], atol=1e-4)
    assert point["finite"]
