"""PyTorch's defaults in Keras, to train as the authors' code did (``init="torch"``, TorchAdam).

The authors trained with PyTorch: ``nn.Linear`` draws weights and biases uniformly in
±1/√fan_in (Keras's ``Dense``: Glorot-uniform weights, zero biases), and ``torch.optim.Adam``
adds ε to the bias-corrected √v̂ with ε = 1e-8 (Keras adds ε to the uncorrected √v, so its
effective ε grows by 1/√(1 − β₂ᵗ) early in training, and its default ε is 1e-7).
"""

from __future__ import annotations

import math

import keras
from keras import ops

from infoplane_tf.validation import positive_int


@keras.saving.register_keras_serializable(package="infoplane_tf")
class TorchUniform(keras.initializers.Initializer):
    """PyTorch ``nn.Linear``'s default: uniform in ±1/√fan_in, for weights and biases.

    Args:
        fan_in: inputs per unit; None takes it from a kernel's shape (fan_in, units), so a
            bias needs it given.
        seed: an int for reproducible draws; None draws from Keras's global seed.
    """

    def __init__(self, fan_in: int | None = None, seed: int | None = None):
        self.fan_in = None if fan_in is None else positive_int("fan_in", fan_in)
        self.seed = seed

    def __call__(self, shape, dtype=None):
        fan_in = self.fan_in or (shape[0] if len(shape) == 2 else None)
        if fan_in is None:
            raise ValueError(f"TorchUniform needs fan_in for a weight of shape {tuple(shape)}")
        bound = 1.0 / math.sqrt(fan_in)
        return keras.random.uniform(shape, -bound, bound, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {"fan_in": self.fan_in, "seed": self.seed}


@keras.saving.register_keras_serializable(package="infoplane_tf")
class TorchLinear(keras.layers.Dense):
    """A ``Dense`` layer initialised like PyTorch's ``nn.Linear`` (weights and biases uniform
    in ±1/√fan_in, fan_in read from the input when the layer is built)."""

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.kernel_initializer = TorchUniform(fan_in)
        self.bias_initializer = TorchUniform(fan_in)
        super().build(input_shape)


def dense(init: str, units: int, activation=None, name: str | None = None):
    """A fully connected layer initialised the ``init`` way (``catalog.INITS``):
    ``"truncated-normal"`` draws weights from N(0, 1/units) truncated at two standard
    deviations and zero biases, as Saxe et al.'s (2018) information-bottleneck networks did."""
    if init == "truncated-normal":
        weights = keras.initializers.TruncatedNormal(0.0, 1.0 / math.sqrt(units))
        return keras.layers.Dense(units, activation, kernel_initializer=weights, name=name)
    layer = TorchLinear if init == "torch" else keras.layers.Dense
    return layer(units, activation=activation, name=name)


@keras.saving.register_keras_serializable(package="infoplane_tf")
class TorchAdam(keras.optimizers.Adam):
    """Adam with PyTorch's update: θ ← θ − lr · m̂ / (√v̂ + ε), m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ),
    and PyTorch's ε = 1e-8 by default (otherwise ``keras.optimizers.Adam``'s arguments)."""

    def __init__(self, learning_rate=0.001, epsilon=1e-8, **kwargs):
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, **kwargs)
        if self.amsgrad:
            raise ValueError("TorchAdam does not implement amsgrad")

    def update_step(self, gradient, variable, learning_rate):
        """One PyTorch Adam step of ``variable`` (moments updated in place)."""
        lr = ops.cast(learning_rate, variable.dtype)
        gradient = ops.cast(gradient, variable.dtype)
        step = ops.cast(self.iterations + 1, variable.dtype)
        # convert, not cast: a cast goes through float32 and rounds β (1 − β₂ by 1e-5).
        beta_1 = ops.convert_to_tensor(self.beta_1, variable.dtype)
        beta_2 = ops.convert_to_tensor(self.beta_2, variable.dtype)
        first_correction = 1 - ops.power(beta_1, step)
        second_correction = 1 - ops.power(beta_2, step)
        m = self._momentums[self._get_variable_index(variable)]
        v = self._velocities[self._get_variable_index(variable)]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - self.beta_2))
        denominator = ops.add(ops.divide(ops.sqrt(v), ops.sqrt(second_correction)), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(m, lr / first_correction), denominator))
