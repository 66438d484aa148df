"""The tied autoencoder: each decoder layer applies the transpose of its mirror encoder kernel."""

from __future__ import annotations

import keras
from keras import ops

from infoplane_tf.models.base import check_activation, serialize_activation
from infoplane_tf.models.parity import TorchUniform
from infoplane_tf.models.vanilla import VanillaAutoencoder


@keras.saving.register_keras_serializable(package="infoplane_tf")
class TiedDense(keras.layers.Layer):
    """A dense layer that reuses another Dense layer's kernel, transposed, with its own bias.

    ``output = activation(x @ transpose(tied_to.kernel) + bias)``. The kernel has ONE owner,
    ``tied_to``, so an optimizer step updates the shared matrix once (as keras-hub's
    ``ReversibleEmbedding`` does for embeddings); this layer's only variable is its bias.
    Made by ``TiedAutoencoder``, which rebuilds it from its own config; it cannot be
    deserialized on its own.

    Args:
        tied_to: The Dense layer owning the kernel, of shape (units, input width of this layer).
        activation: Activation applied to the output.
        bias_initializer: The bias's initializer (Keras: zeros; PyTorch: ``TorchUniform``).
        **kwargs: Passed to ``keras.layers.Layer``.

    Raises:
        ValueError: If ``tied_to`` is not a Dense layer or ``activation`` is unknown.
    """

    def __init__(self, tied_to, activation=None, bias_initializer="zeros", **kwargs):
        if not isinstance(tied_to, keras.layers.Dense):
            raise ValueError(f"tied_to must be a keras.layers.Dense layer, got {tied_to!r}")
        activation = check_activation("activation", activation)
        super().__init__(**kwargs)
        # Deliberately untracked: the kernel's owner is the encoder layer, so tracking it here
        # would list (and save) its variables twice.
        object.__setattr__(self, "tied_to", tied_to)
        self.activation = activation
        self._activation_fn = keras.activations.get(activation)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    @property
    def units(self) -> int:
        """Output width: the input width of ``tied_to`` (known once it is built)."""
        return int(self.tied_to.kernel.shape[0])

    @property
    def kernel(self):
        """The kernel this layer applies, ``transpose(tied_to.kernel)``, a view, not a copy."""
        return ops.transpose(self.tied_to.kernel)

    def build(self, input_shape):
        """Creates the bias; ``tied_to`` must already be built.

        Args:
            input_shape: ``(batch, tied_to.units)``.

        Raises:
            ValueError: If ``tied_to`` is unbuilt or the input width is not its output width.
        """
        if not self.tied_to.built:
            raise ValueError(f"{self.name}: the tied layer {self.tied_to.name} is not built")
        if input_shape[-1] != self.tied_to.units:
            raise ValueError(
                f"{self.name} expects inputs of width {self.tied_to.units} (the output of "
                f"{self.tied_to.name}), got input_shape={tuple(input_shape)}"
            )
        self.bias = self.add_weight(
            shape=(self.units,), initializer=self.bias_initializer, name="bias"
        )

    def call(self, inputs):
        """Returns ``activation(inputs @ kernel + bias)``, shape (batch, units)."""
        return self._activation_fn(ops.add(ops.matmul(inputs, self.kernel), self.bias))

    def compute_output_shape(self, input_shape):
        """Returns ``(*input_shape[:-1], units)``."""
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self):
        """Returns the activation and the tied layer's name (informational)."""
        config = super().get_config()
        config.update(
            {
                "activation": serialize_activation(self.activation),
                "tied_to": self.tied_to.name,
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config


@keras.saving.register_keras_serializable(package="infoplane_tf")
class TiedAutoencoder(VanillaAutoencoder):
    """A vanilla autoencoder whose decoder uses the transposed encoder weights.

    Decoder layer ``D_i`` applies the transpose of the kernel of its mirror encoder layer (``D1``
    the code's, …, the reconstruction ``encoder_1``'s, or the code's when shallow), so each tied
    pair is ONE variable updated once per optimizer step; decoder biases are not tied. The
    trainable variables are those of the vanilla autoencoder minus the decoder kernels.

    Args:
        hidden_units: Encoder widths between input and code; ``()`` (default) is the paper's
            784-50-784 tied autoencoder.
        code_units: Width of the bottleneck ``Z``.
        activation: Activation of every hidden layer and of the code.
        output_activation: Activation of the reconstruction.
        **kwargs: Passed to ``keras.Model``.

    Raises:
        ValueError: If a width is not a positive integer or an activation is unknown.

    Example:
        >>> model = TiedAutoencoder(code_units=50)
        >>> model.compile(optimizer="adam")
        >>> model.fit(x_train, epochs=50, batch_size=100)
        >>> model.output_layer.tied_to is model.code_layer
        True

    References:
        S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    """

    def _make_decoder_layers(self):
        # D1 mirrors the code layer, D2 the last encoder layer, …; the first layer of the chain
        # (encoder_1, or the code when shallow) is left for the reconstruction.
        mirrors = [*self.encoder_layers, self.code_layer][:0:-1]
        return [
            self._tied(layer, self.activation, f"decoder_{i}")
            for i, layer in enumerate(mirrors, start=1)
        ]

    def _make_output_layer(self, input_width):
        del input_width  # implied by the tied kernel
        first = [*self.encoder_layers, self.code_layer][0]
        return self._tied(first, self.output_activation, "reconstruction")

    def _tied(self, layer, activation, name: str) -> TiedDense:
        """The transpose of ``layer``, its bias initialised the ``init`` way (fan-in: the
        tied layer's units)."""
        bias = TorchUniform(layer.units) if self.init == "torch" else "zeros"
        return TiedDense(layer, activation=activation, bias_initializer=bias, name=name)
