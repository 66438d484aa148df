"""Tests of the autoencoder zoo (infoplane_tf.models): one table over all species, then each one."""

import json
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from infoplane_tf.catalog import MODELS
from infoplane_tf.data.datasets import load_dataset
from infoplane_tf.models import (
    Autoencoder,
    LabelAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    TiedDense,
    VanillaAutoencoder,
    VariationalAutoencoder,
    binary_crossentropy_sum,
    build_model,
)
from infoplane_tf.models.sparse import kl_sparsity_penalty
from infoplane_tf.models.vae import gaussian_kl_divergence

# Tiny versions of the six models: same structure as the paper's, a fraction of the width.
TINY = {
    "vanilla": {"code_units": 4},
    "deep": {"hidden_units": (16, 8), "code_units": 4},
    "sparse": {"code_units": 4},
    "tied": {"hidden_units": (16, 8), "code_units": 4},
    "vae": {"hidden_units": (16, 8), "code_units": 4, "seed": 0},
    "label": {"hidden_units": (16, 8), "code_units": 10},
}
DEEP_WIDTHS = {"E1": 16, "E2": 8, "D1": 8, "D2": 16}
EXPECTED_WIDTHS = {
    "vanilla": {"Z": 4},
    "deep": {**DEEP_WIDTHS, "Z": 4},
    "sparse": {"Z": 4},
    "tied": {**DEEP_WIDTHS, "Z": 4},
    "vae": {**DEEP_WIDTHS, "Z": 4},
    "label": {**DEEP_WIDTHS, "Z": 10},
}
EXPECTED_CLASSES = {
    "vanilla": VanillaAutoencoder,
    "deep": VanillaAutoencoder,
    "sparse": SparseAutoencoder,
    "tied": TiedAutoencoder,
    "vae": VariationalAutoencoder,
    "label": LabelAutoencoder,
}
# The autoencoders of the zoo (the classifiers have their own tests: test_classifiers.py).
MODEL_NAMES = tuple(name for name, spec in MODELS.items() if not spec.classifier)
UNSUPERVISED = tuple(name for name in MODEL_NAMES if name != "label")


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(1234)


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist-5k")


@pytest.fixture(scope="module")
def x_small():
    # A width that is neither 784 nor a power of two, so nothing can be hard-coded.
    return np.random.default_rng(0).random((20, 37), dtype=np.float32)


def tiny(name, **overrides):
    return build_model(name, **{**TINY[name], **overrides})


def targets(name, data, n):
    """The fit target for ``name``: the labels for the label AE, else None (target = x)."""
    return data.y_train[:n] if name == "label" else None


def reference_outputs(model, x):
    """Deterministic representations and output (fixed noise for the VAE)."""
    noise = None
    if model.noise_units is not None:
        noise = np.random.default_rng(1).normal(size=(len(x), model.noise_units))
        noise = noise.astype("float32")
    reps, output = model.representations_and_output(x, noise=noise)
    return {k: np.asarray(v) for k, v in reps.items()}, np.asarray(output)


# --------------------------------------------------------------------------------------------
# The table over all six models
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shapes_and_representation_names(name, x_small):
    model = tiny(name)
    assert isinstance(model, EXPECTED_CLASSES[name])
    assert isinstance(model, Autoencoder)
    assert model.bottleneck_name == "Z"

    output = model(x_small)
    reps = model.representations(x_small)

    assert tuple(output.shape) == x_small.shape  # the input width was inferred
    expected = EXPECTED_WIDTHS[name]
    # Ordered: encoder layers, then Z, then decoder layers; X' is not a representation.
    order = [k for k in ("E1", "E2", "Z", "D1", "D2") if k in expected]
    assert list(reps) == order
    assert model.representation_names == tuple(order)
    assert {k: tuple(v.shape) for k, v in reps.items()} == {
        k: (len(x_small), w) for k, w in expected.items()
    }
    assert tuple(model.encode(x_small).shape) == (len(x_small), expected["Z"])
    assert tuple(model.decode(model.encode(x_small)).shape) == x_small.shape
    for value in reps.values():
        assert np.all(np.isfinite(value))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_representations_and_output_is_one_consistent_pass(name, x_small):
    model = tiny(name)
    model.build(x_small.shape)
    reps, output = reference_outputs(model, x_small)
    # X' is the decoder applied to the very Z that is reported.
    np.testing.assert_allclose(np.asarray(model.decode(reps["Z"])), output, rtol=1e-5, atol=1e-6)
    if name != "vae":  # the VAE's call decodes μ, its representations a sample
        np.testing.assert_allclose(np.asarray(model(x_small)), output, rtol=1e-5, atol=1e-6)

    # Graph-safe: inside a tf.function (creating no variables), with an unknown batch size.
    n_vars = len(model.variables)
    noise_spec = [tf.TensorSpec((None, model.noise_units), tf.float32)] if model.noise_units else []

    @tf.function(input_signature=[tf.TensorSpec((None, 37), tf.float32), *noise_spec])
    def measure(x, *noise):
        return model.representations_and_output(x, noise=noise[0] if noise else None)

    noise = ()
    if model.noise_units:
        noise = (np.random.default_rng(1).normal(size=(20, model.noise_units)).astype("float32"),)
    graph_reps, graph_output = measure(x_small, *noise)
    assert len(model.variables) == n_vars
    assert list(graph_reps) == list(reps)
    for key in reps:
        np.testing.assert_allclose(graph_reps[key].numpy(), reps[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(graph_output.numpy(), output, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_config_round_trip(name, x_small):
    model = tiny(name)
    config = model.get_config()
    assert json.loads(json.dumps(config)) == config  # plain JSON
    clone = type(model).from_config(config)
    assert type(clone) is type(model)
    assert clone.get_config() == config
    clone.build(x_small.shape)
    model.build(x_small.shape)
    assert [v.shape for v in clone.weights] == [v.shape for v in model.weights]
    assert [v.path for v in clone.weights] == [v.path for v in model.weights]


@pytest.mark.parametrize(  # the fast run keeps the three shallow models
    "name",
    [n if n in ("vanilla", "sparse") else pytest.param(n, marks=pytest.mark.slow)
     for n in MODEL_NAMES],
)  # fmt: skip
def test_keras_save_load_gives_identical_outputs(name, mnist, tmp_path):
    x = mnist.x_train[:64]
    model = tiny(name)
    model.fit(x, targets(name, mnist, 64), epochs=1, batch_size=32, verbose=0)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)

    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))
    reps, output = reference_outputs(model, x)
    loaded_reps, loaded_output = reference_outputs(loaded, x)
    np.testing.assert_array_equal(loaded_output, output)
    for key in reps:
        np.testing.assert_array_equal(loaded_reps[key], reps[key])
    # The compile state came back too, so training can resume.
    assert loaded.compiled
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.005)
    loaded.fit(x, targets(name, mnist, 64), epochs=1, batch_size=32, verbose=0)


@pytest.mark.parametrize(  # the fast run keeps the three shallow models
    "name",
    [n if n in ("vanilla", "sparse") else pytest.param(n, marks=pytest.mark.slow)
     for n in MODEL_NAMES],
)  # fmt: skip
def test_short_fit_gives_a_finite_falling_loss(name, mnist):
    x = mnist.x_train[:512]
    y = targets(name, mnist, 512)
    model = tiny(name)
    history = model.fit(x, x if y is None else y, epochs=3, batch_size=64, verbose=0)
    losses = history.history["loss"]
    assert len(losses) == 3
    assert np.all(np.isfinite(losses))
    assert losses[-1] < losses[0]


@pytest.mark.parametrize(  # the fast run keeps the shallow model
    "name",
    [n if n == "vanilla" else pytest.param(n, marks=pytest.mark.slow) for n in UNSUPERVISED],
)
def test_fit_without_targets_reconstructs_the_input(name, mnist):
    """``fit(x)`` and ``fit(x, x)`` are the same training."""
    x = mnist.x_train[:128]
    histories = []
    for y in (None, x):
        keras.utils.set_random_seed(7)
        model = tiny(name)
        history = model.fit(x, y, epochs=2, batch_size=64, shuffle=False, verbose=0)
        histories.append(history.history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-6)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_same_global_seed_gives_identical_weights(name, x_small):
    def weights(seed):
        keras.utils.set_random_seed(seed)
        model = tiny(name)
        model.build(x_small.shape)
        return [v.numpy() for v in model.weights]

    first, again, other = weights(3), weights(3), weights(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


# --------------------------------------------------------------------------------------------
# build_model and the hyperparameter checks
# --------------------------------------------------------------------------------------------


def test_build_model_defaults_follow_the_paper():
    shallow = build_model("vanilla", input_width=784)
    deep = build_model("deep", input_width=784)
    assert [tuple(v.shape) for v in shallow.trainable_weights if "kernel" in v.path] == [
        (784, 50),
        (50, 784),
    ]
    assert deep.representation_names == ("E1", "E2", "Z", "D1", "D2")
    assert [tuple(v.shape) for v in deep.trainable_weights if "kernel" in v.path] == [
        (784, 256),
        (256, 128),
        (128, 50),
        (50, 128),
        (128, 256),
        (256, 784),
    ]
    sparse = build_model("sparse")
    assert (sparse.sparsity_target, sparse.sparsity_weight, sparse.hidden_units) == (0.05, 1e-3, ())
    assert build_model("tied").hidden_units == ()
    vae = build_model("vae")
    assert (vae.hidden_units, vae.code_units, vae.representation) == ((256, 128), 50, "sample")
    label = build_model("label")
    assert (label.hidden_units, label.code_units, label.label_weight) == ((256, 128), 50, 0.01)

    for model in (shallow, deep, sparse, label):
        assert model.loss == "mse"
    assert vae.loss is binary_crossentropy_sum
    assert isinstance(deep.optimizer, keras.optimizers.Adam)
    assert float(deep.optimizer.learning_rate) == pytest.approx(0.005)
    assert float(build_model("deep", learning_rate=0.01).optimizer.learning_rate) == (
        pytest.approx(0.01)
    )


def test_unknown_model_name_lists_the_valid_names():
    with pytest.raises(ValueError, match="resnet") as error:
        build_model("resnet")
    for name in MODEL_NAMES:
        assert name in str(error.value)


@pytest.mark.parametrize(
    "name, hparams, shown",
    [
        ("vanilla", {"code_units": 0}, "0"),
        ("vanilla", {"code_units": -5}, "-5"),
        ("deep", {"hidden_units": (16, -3)}, "-3"),
        ("deep", {"hidden_units": (16, 0)}, "0"),
        ("tied", {"code_units": 2.5}, "2.5"),
        ("tied", {"hidden_units": "16"}, "'16'"),
        ("sparse", {"sparsity_target": 1.5}, "1.5"),
        ("sparse", {"sparsity_target": 0.0}, "0.0"),
        ("sparse", {"sparsity_target": 1}, "1"),
        ("sparse", {"sparsity_weight": -0.1}, "-0.1"),
        ("label", {"label_weight": -1.0}, "-1.0"),
        ("label", {"code_units": 0}, "0"),
        ("vae", {"code_units": 0}, "0"),
        ("vae", {"hidden_units": (-256, 128)}, "-256"),
        ("vae", {"representation": "median"}, "'median'"),
        ("vae", {"seed": 1.5}, "1.5"),
        ("vanilla", {"activation": "no_such_activation"}, "'no_such_activation'"),
        ("vanilla", {"learning_rate": -0.1}, "-0.1"),
        ("vanilla", {"sparsity_weight": 0.1}, "sparsity_weight"),
    ],
)
def test_bad_hyperparameters_raise_value_error_naming_the_value(name, hparams, shown):
    with pytest.raises(ValueError, match=re.escape(shown)):
        build_model(name, **hparams)


def test_any_non_negative_sparsity_weight_is_accepted():
    assert build_model("sparse", sparsity_weight=0.0).sparsity_weight == 0.0
    assert build_model("sparse", sparsity_weight=25).sparsity_weight == 25.0


# --------------------------------------------------------------------------------------------
# Tied
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden_units", [(), (16, 8)])
def test_tied_shares_one_variable_per_pair(hidden_units, x_small):
    vanilla = build_model("vanilla", hidden_units=hidden_units, code_units=4)
    tied = build_model("tied", hidden_units=hidden_units, code_units=4)
    vanilla.build(x_small.shape)
    tied.build(x_small.shape)

    n_decoder_kernels = len(hidden_units) + 1  # decoder layers and the reconstruction
    assert len(tied.trainable_variables) == len(vanilla.trainable_variables) - n_decoder_kernels
    assert len({id(v) for v in tied.trainable_variables}) == len(tied.trainable_variables)

    # Each decoder layer owns only its bias and applies its mirror's kernel, transposed.
    chain = [*tied.encoder_layers, tied.code_layer]
    decoders = [*tied.decoder_layers, tied.output_layer]
    for decoder, mirror in zip(decoders, reversed(chain), strict=True):
        assert isinstance(decoder, TiedDense)
        assert decoder.tied_to is mirror
        assert [v.path for v in decoder.trainable_variables] == [decoder.bias.path]
        np.testing.assert_array_equal(np.asarray(decoder.kernel), mirror.kernel.numpy().T)
    kernel_shapes = [tuple(v.shape) for v in tied.trainable_variables if v.path.endswith("kernel")]
    assert kernel_shapes == [tuple(layer.kernel.shape) for layer in chain]


def test_tied_gradient_step_moves_encoder_and_decoder_views_together(x_small):
    model = build_model("tied", code_units=4)
    model.build(x_small.shape)
    encoder, decoder = model.code_layer, model.output_layer
    assert decoder.tied_to is encoder
    before = encoder.kernel.numpy()

    # The gradient of the shared matrix sums its encoder and decoder roles.
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x_small, training=True) - x_small))
    gradient = tape.gradient(loss, encoder.kernel).numpy()

    model.train_on_batch(x_small, x_small)

    after = encoder.kernel.numpy()
    assert not np.allclose(after, before)
    np.testing.assert_array_equal(np.asarray(decoder.kernel), after.T)
    # ONE Adam update of that summed gradient (two updates would move it about twice as far):
    # lr·√(1-β2)/(1-β1) · m / (√v + ε) with m = (1-β1)·g and v = (1-β2)·g² after one step.
    lr, b2, eps = 0.005, 0.999, 1e-7
    step = lr * np.sqrt(1 - b2) * gradient / (np.sqrt((1 - b2) * gradient**2) + eps)
    np.testing.assert_allclose(after, before - step, atol=2e-7)
    # The reconstruction uses the new matrix.
    expected = 1 / (1 + np.exp(-(model.encode(x_small).numpy() @ after.T + decoder.bias.numpy())))
    np.testing.assert_allclose(np.asarray(model(x_small)), expected, rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------------------------
# Sparse
# --------------------------------------------------------------------------------------------


def test_kl_sparsity_penalty_matches_numpy():
    code = np.random.default_rng(2).random((32, 6), dtype=np.float32)
    rho, beta = 0.05, 0.3
    rho_hat = code.mean(axis=0)
    expected = beta * np.sum(
        rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat))
    )
    assert float(kl_sparsity_penalty(code, rho, beta)) == pytest.approx(expected, rel=1e-5)
    # Zero at the target activity; finite for dead units thanks to the clipping.
    assert float(kl_sparsity_penalty(np.full((4, 3), rho, np.float32), rho, 1.0)) == (
        pytest.approx(0.0, abs=1e-6)
    )
    dead = float(kl_sparsity_penalty(np.zeros((4, 3), np.float32), rho, 1.0))
    assert np.isfinite(dead) and dead > 1.0


def test_sparse_adds_its_penalty_to_the_loss(mnist):
    x = mnist.x_train[:100]
    model = tiny("sparse", sparsity_weight=0.5)
    model.build(x.shape)
    reconstruction = np.mean((np.asarray(model(x)) - x) ** 2)
    penalty = float(model.sparsity_penalty(model.encode(x)))
    assert penalty > 0
    loss = model.evaluate(x, x, batch_size=100, verbose=0)
    assert loss == pytest.approx(reconstruction + penalty, rel=1e-4)
    # Compiled without a loss, the model falls back on its default (MSE), not the penalty alone.
    model.compile(optimizer="adam")
    assert model.evaluate(x, batch_size=100, verbose=0) == pytest.approx(loss, rel=1e-5)


@pytest.mark.slow
def test_larger_sparsity_weight_gives_lower_code_activity(mnist):
    x = mnist.x_train[:512]
    activity = {}
    for beta in (0.0, 1.0):
        keras.utils.set_random_seed(5)
        model = build_model("sparse", code_units=16, sparsity_weight=beta)
        model.fit(x, epochs=3, batch_size=64, verbose=0)
        activity[beta] = float(np.mean(model.encode(mnist.x_test[:200])))
    assert activity[1.0] < activity[0.0] - 0.05
    assert activity[1.0] < 0.2


# --------------------------------------------------------------------------------------------
# Variational
# --------------------------------------------------------------------------------------------


def test_gaussian_kl_divergence_is_non_negative_and_exact():
    rng = np.random.default_rng(3)
    mean = rng.normal(size=(64, 5)).astype("float32")
    log_var = rng.normal(size=(64, 5)).astype("float32")
    kl = np.asarray(gaussian_kl_divergence(mean, log_var))
    assert kl.shape == (64,)
    assert np.all(kl >= 0)
    expected = 0.5 * np.sum(np.exp(log_var) + mean**2 - 1 - log_var, axis=-1)
    np.testing.assert_allclose(kl, expected, rtol=1e-5)
    zeros = np.zeros((2, 5), np.float32)
    np.testing.assert_allclose(np.asarray(gaussian_kl_divergence(zeros, zeros)), 0.0, atol=0)


def test_vae_loss_is_summed_bce_plus_kl_and_reports_kl(mnist):
    x = mnist.x_train[:100]
    model = tiny("vae")
    history = model.fit(x, epochs=2, batch_size=50, verbose=0)
    assert all(kl >= 0 for kl in history.history["kl"])
    assert history.history["kl"][-1] > 0

    mean, log_var = model.encode_distribution(x)
    kl = float(np.mean(gaussian_kl_divergence(mean, log_var)))
    bce = -np.sum(x * np.log(model(x)) + (1 - x) * np.log(1 - np.asarray(model(x))), axis=-1)
    results = model.evaluate(x, batch_size=100, verbose=0, return_dict=True)
    assert results["kl"] == pytest.approx(kl, rel=1e-4)
    # Evaluation decodes μ; the loss is the batch mean of (BCE summed over pixels) + KL.
    assert results["loss"] == pytest.approx(np.mean(bce) + kl, rel=1e-4)
    np.testing.assert_allclose(np.asarray(binary_crossentropy_sum(x, model(x))), bce, rtol=1e-4)


def test_vae_call_samples_when_training_and_decodes_the_mean_otherwise(x_small):
    model = tiny("vae")
    mean, _ = model.encode_distribution(x_small)
    np.testing.assert_array_equal(np.asarray(model(x_small)), np.asarray(model(x_small)))
    np.testing.assert_allclose(
        np.asarray(model(x_small)), np.asarray(model.decode(mean)), rtol=1e-6
    )
    sampled = np.asarray(model(x_small, training=True))
    assert not np.allclose(sampled, np.asarray(model(x_small, training=True)))
    assert not np.allclose(sampled, np.asarray(model(x_small)))


def test_vae_representations_sample_z_with_the_given_noise(x_small):
    model = tiny("vae")
    mean, log_var = (np.asarray(t) for t in model.encode_distribution(x_small))
    noise = np.random.default_rng(4).normal(size=(20, 4)).astype("float32")

    z = np.asarray(model.representations(x_small, noise=noise)["Z"])
    np.testing.assert_allclose(z, mean + noise * np.exp(0.5 * log_var), rtol=1e-5, atol=1e-6)
    # Without noise each call draws a new sample; "mean" reports μ.
    drawn = np.asarray(model.representations(x_small)["Z"])
    assert not np.allclose(drawn, np.asarray(model.representations(x_small)["Z"]))
    means = tiny("vae", representation="mean")
    means.build(x_small.shape)
    means.set_weights(model.get_weights())
    np.testing.assert_allclose(np.asarray(means.representations(x_small)["Z"]), mean, rtol=1e-6)

    with pytest.raises(ValueError, match="noise"):
        model.representations(x_small, noise=noise[:, :3])
    with pytest.raises(ValueError, match="deterministic"):
        tiny("deep").representations(x_small, noise=noise)


def test_vae_sampling_is_seeded(x_small):
    def fresh(seed):
        keras.utils.set_random_seed(0)  # same weights; only the sampling seed differs
        model = tiny("vae", seed=seed)
        model.build(x_small.shape)
        return model

    first, again, other = fresh(11), fresh(11), fresh(12)
    images = np.asarray(first.sample(8))
    assert images.shape == (8, 37)
    assert np.all((images >= 0) & (images <= 1))
    np.testing.assert_array_equal(images, np.asarray(again.sample(8)))
    assert not np.allclose(images, np.asarray(other.sample(8)))
    # An explicit seed gives the same draw every time; the generator moves on otherwise.
    np.testing.assert_array_equal(np.asarray(first.sample(4, seed=3)), first.sample(4, seed=3))
    assert not np.allclose(np.asarray(first.sample(4)), np.asarray(first.sample(4)))
    with pytest.raises(ValueError, match="0"):
        first.sample(0)


# --------------------------------------------------------------------------------------------
# Label
# --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_label_bottleneck_classifies_held_out_digits(mnist):
    model = build_model("label")  # the paper's: 784-256-128-softmax(50)-128-256-784, λ = 0.01
    history = model.fit(mnist.x_train, mnist.y_train, epochs=5, batch_size=100, verbose=0)
    assert history.history["label_accuracy"][-1] > 0.5

    z = np.asarray(model.representations(mnist.x_test)["Z"])
    np.testing.assert_allclose(z.sum(axis=1), 1.0, rtol=1e-5)  # a softmax
    predicted = np.asarray(model.predict_labels(mnist.x_test))
    np.testing.assert_array_equal(predicted, z.argmax(axis=1))
    accuracy = np.mean(predicted == mnist.y_test)
    assert accuracy > 0.5
    results = model.evaluate(mnist.x_test, mnist.y_test, verbose=0, return_dict=True)
    assert results["label_accuracy"] == pytest.approx(accuracy, abs=1e-6)


def test_label_loss_is_reconstruction_plus_weighted_cross_entropy(mnist):
    x, y = mnist.x_train[:100], mnist.y_train[:100]
    model = tiny("label", label_weight=0.5)
    model.build(x.shape)
    reconstruction = np.mean((np.asarray(model(x)) - x) ** 2)
    logits = np.asarray(model.code_logits(x)).astype(np.float64)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    cross_entropy = -np.mean(log_softmax[np.arange(100), y])
    results = model.evaluate(x, y, batch_size=100, verbose=0, return_dict=True)
    assert results["label_loss"] == pytest.approx(cross_entropy, rel=1e-4)
    assert results["loss"] == pytest.approx(reconstruction + 0.5 * cross_entropy, rel=1e-4)


def test_label_autoencoder_needs_labels(mnist):
    model = tiny("label")
    with pytest.raises(ValueError, match="labels"):
        model.fit(mnist.x_train[:64], epochs=1, verbose=0)


def test_the_vae_takes_code_units_and_its_old_name_with_a_warning():
    from infoplane_tf.models.vae import VariationalAutoencoder

    assert VariationalAutoencoder(code_units=7).code_units == 7
    with pytest.warns(DeprecationWarning, match="code_units"):
        old = VariationalAutoencoder(latent_units=5)
    assert old.code_units == 5 and old.get_config()["code_units"] == 5
    with pytest.warns(DeprecationWarning):
        assert old.latent_units == 5
    # A model saved before 0.7 (its config says latent_units) still loads.
    config = {**old.get_config(), "latent_units": 6}
    del config["code_units"]
    with pytest.warns(DeprecationWarning):
        assert VariationalAutoencoder.from_config(config).code_units == 6
