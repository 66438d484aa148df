"""The vanilla autoencoder, shallow (784-50-784) or deep (784-256-128-50-128-256-784)."""

from __future__ import annotations

import keras

from infoplane_tf.catalog import PAPER
from infoplane_tf.models.base import Autoencoder, serialize_activation
from infoplane_tf.models.parity import dense
from infoplane_tf.validation import positive_int


@keras.saving.register_keras_serializable(package="infoplane_tf")
class VanillaAutoencoder(Autoencoder):
    """A dense autoencoder with a mirrored decoder, trained on the mean squared error.

    Layers (Lee & Jo's names): ``E1 … Ek`` = ``encoder_1 … encoder_k`` (widths ``hidden_units``),
    ``Z`` = ``code`` (``code_units``), ``D1 … Dk`` = ``decoder_1 … decoder_k`` (the widths in
    reverse) and the output ``reconstruction`` of the input width. Sigmoid everywhere,
    including the output, as in the paper.

    Args:
        hidden_units: Encoder widths between input and code; ``()`` (default) gives the shallow
            784-50-784 autoencoder, ``(256, 128)`` the deep one.
        code_units: Width of the bottleneck ``Z``.
        activation: Activation of every hidden layer and of the code.
        output_activation: Activation of the reconstruction.
        **kwargs: Passed to ``keras.Model`` (``name``, ``dtype``, …).

    Raises:
        ValueError: If a width is not a positive integer or an activation is unknown; the
            message names the value.

    Example:
        >>> model = VanillaAutoencoder(hidden_units=(256, 128), code_units=50)
        >>> model.compile(optimizer=keras.optimizers.Adam(0.005), loss=model.default_loss)
        >>> model.fit(x_train, epochs=50, batch_size=100)  # x_train: (n, 784) in [0, 1]
        >>> list(model.representations(x_test[:100]))
        ['E1', 'E2', 'Z', 'D1', 'D2']

    References:
        S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    """

    def __init__(
        self,
        hidden_units=(),
        code_units=PAPER.code_units,
        activation="sigmoid",
        output_activation="sigmoid",
        **kwargs,
    ):
        code_units = positive_int("code_units", code_units)
        super().__init__(
            hidden_units=hidden_units,
            activation=activation,
            output_activation=output_activation,
            **kwargs,
        )
        self.code_units = code_units
        self.code_layer = dense(self.init, code_units, self._code_activation(), "code")
        self.decoder_layers = self._make_decoder_layers()

    def _code_activation(self):
        """Activation of the ``code`` Dense layer."""
        return self.activation

    def _code_activation_name(self):
        return serialize_activation(self.code_layer.activation)

    def _make_decoder_layers(self):
        """Returns the decoder's hidden layers, bottleneck side first (mirror of the encoder)."""
        return [
            dense(self.init, units, self.activation, f"decoder_{i}")
            for i, units in enumerate(reversed(self.hidden_units), start=1)
        ]

    def _bottleneck(self, h, training=False, noise=None):
        del training, noise  # deterministic
        return self.code_layer(h)

    def _build_bottleneck(self, input_shape):
        self.code_layer.build(input_shape)
        return self.code_layer.compute_output_shape(input_shape)

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config["code_units"] = self.code_units
        return config
