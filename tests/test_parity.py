"""PyTorch's defaults in Keras (``infoplane_tf.models.parity``): nn.Linear's initialisation and
torch.optim.Adam's update, against NumPy references written here."""

import math

import keras
import numpy as np
import pytest

from infoplane_tf.models import build_model
from infoplane_tf.models.parity import TorchAdam, TorchUniform


def test_torch_uniform_draws_uniformly_within_one_over_root_fan_in():
    keras.utils.set_random_seed(0)
    kernel = keras.ops.convert_to_numpy(TorchUniform()((784, 200)))
    bias = keras.ops.convert_to_numpy(TorchUniform(fan_in=50)((5000,)))
    for values, fan_in in ((kernel, 784), (bias, 50)):
        bound = 1 / math.sqrt(fan_in)
        assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
        assert abs(values.mean()) < 0.02 * bound
        assert values.var() == pytest.approx(bound**2 / 3, rel=0.05)  # a uniform's variance
    with pytest.raises(ValueError, match="needs fan_in for a weight of shape"):
        TorchUniform()((7,))
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        TorchUniform(fan_in=0)


@pytest.mark.parametrize("name", ["vanilla", "deep", "tied", "vae", "label"])
def test_torch_init_gives_every_layer_pytorchs_bounds(name, tmp_path):
    model = build_model(name, init="torch", optimizer="torch-adam", input_width=784)
    for layer in (layer for layer in model._flatten_layers() if hasattr(layer, "kernel")):
        if hasattr(layer, "tied_to"):  # the kernel is its mirror's; the bias its own
            checks = [(layer.bias, layer.tied_to.units)]
        else:
            checks = [(layer.kernel, layer.kernel.shape[0]), (layer.bias, layer.kernel.shape[0])]
        for variable, fan_in in checks:
            values = np.abs(keras.ops.convert_to_numpy(variable))
            assert 0.8 / math.sqrt(fan_in) < values.max() <= 1 / math.sqrt(fan_in), layer.name
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert loaded.init == "torch" and isinstance(loaded.optimizer, TorchAdam)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_tied_decoder_biases_take_the_fan_in_of_the_code():
    model = build_model("tied", init="torch", input_width=784)
    bias = keras.ops.convert_to_numpy(model.output_layer.bias)
    assert np.abs(bias).max() <= 1 / math.sqrt(50) and np.abs(bias).max() > 0.9 / math.sqrt(50)
    assert build_model("tied", input_width=784).output_layer.bias.numpy().max() == 0  # Keras


def pytorch_adam(start, gradients, lr=0.005, betas=(0.9, 0.999), eps=1e-8):
    """PyTorch's Adam (torch.optim.Adam, no weight decay), in float64 NumPy."""
    theta, m, v = start.copy(), np.zeros_like(start), np.zeros_like(start)
    for step, gradient in enumerate(gradients, start=1):
        m = betas[0] * m + (1 - betas[0]) * gradient
        v = betas[1] * v + (1 - betas[1]) * gradient**2
        first, second = 1 - betas[0] ** step, 1 - betas[1] ** step
        theta = theta - lr / first * m / (np.sqrt(v) / math.sqrt(second) + eps)
    return theta


def run_optimizer(optimizer, start, gradients):
    variable = keras.Variable(start, dtype="float64")
    for gradient in gradients:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(gradient), variable)])
    return keras.ops.convert_to_numpy(variable)


def test_torch_adam_follows_pytorchs_update_for_100_steps():
    rng = np.random.default_rng(0)
    start = rng.normal(size=20)
    # Small gradients, where ε enters matters.
    gradients = [rng.normal(size=20) * 10.0 ** rng.uniform(-9, -5, size=20) for _ in range(100)]
    reference = pytorch_adam(start, gradients, lr=float(np.float32(0.005)))  # Keras keeps lr f32
    ours = run_optimizer(TorchAdam(learning_rate=0.005), start, gradients)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-14)
    keras_adam = run_optimizer(keras.optimizers.Adam(learning_rate=0.005), start, gradients)
    assert np.abs(keras_adam - reference).max() > 1e-3  # the update this class exists to change
