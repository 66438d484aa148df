"""The shared autoencoder base class and hyperparameter checks.

Every autoencoder of the zoo is a subclassed ``keras.Model`` whose representation layers are named
as in Lee & Jo (2021): encoder layers ``E1``, ``E2``, …, the bottleneck ``Z`` and decoder layers
``D1``, ``D2``, …; the network's output is the reconstruction X'. Subclassed models have no
``layer.output`` (keras#18634), so the base class exposes the representations explicitly, from
one forward pass, for the information-plane callback.

References:
    S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
"""

from __future__ import annotations

from collections import OrderedDict

import keras
from keras import ops

from infoplane_tf.catalog import INITS
from infoplane_tf.models.parity import dense
from infoplane_tf.validation import ParameterError, one_of, positive_ints

# --------------------------------------------------------------------------------------------
# Hyperparameter checks (plain Python, before any layer is made)
# --------------------------------------------------------------------------------------------


def check_activation(name: str, value):
    """Returns ``value`` if Keras knows it as an activation; raises ValueError otherwise.

    Args:
        name: The argument's name, for the error message.
        value: An activation name (e.g. ``"sigmoid"``), a registered activation function, or
            None (linear).

    Returns:
        ``value`` unchanged.

    Raises:
        ValueError: If Keras cannot resolve ``value`` to an activation.
    """
    try:
        keras.activations.get(value)
    except (ValueError, TypeError):
        raise ParameterError(name, f"must be a Keras activation, got {value!r}") from None
    return value


def serialize_activation(value):
    """Returns the JSON form of an activation argument (its name, or None)."""
    return None if value is None else keras.activations.serialize(keras.activations.get(value))


# --------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="infoplane_tf")
class Autoencoder(keras.Model):
    """Base class of the autoencoder zoo: a dense encoder, a bottleneck, a mirrored decoder.

    The encoder is a stack of Dense layers ``encoder_1``, ``encoder_2``, … (representations
    ``E1``, ``E2``, …); a subclass supplies the bottleneck (representation ``Z``) and the decoder
    layers ``decoder_1``, … (``D1``, …); the output layer ``reconstruction`` (X') is made in
    ``build`` because its width is the input width, which is only known then.

    Subclasses implement ``_bottleneck`` (the code ``Z`` from the last encoder activation),
    ``_build_bottleneck`` and ``_make_output_layer``, and make ``self.decoder_layers`` in
    ``__init__``. Unsupervised training is plain Keras: with ``y=None`` (``model.fit(x)``) the
    reconstruction target is ``x`` itself, so ``model.fit(x)`` and ``model.fit(x, x)`` agree.

    Args:
        hidden_units: Encoder widths between input and bottleneck, e.g. ``(256, 128)``; the
            decoder mirrors them. ``()`` gives a shallow autoencoder.
        activation: Activation of the encoder, bottleneck and decoder layers.
        output_activation: Activation of the output (reconstruction) layer.
        init: ``"keras"`` (Glorot-uniform weights, zero biases) or ``"torch"`` (PyTorch's
            ``nn.Linear``: weights and biases uniform in ±1/√fan_in, as the authors trained).
        **kwargs: Passed to ``keras.Model`` (``name``, ``dtype``, …).

    Raises:
        ValueError: If a hyperparameter is invalid; the message names the value.

    Attributes:
        bottleneck_name: ``"Z"``, the bottleneck's key in ``representations``.
        noise_units: Width of the noise that ``representations`` accepts, or None for a
            deterministic model.
        encoder_layers: The encoder's Dense layers, input side first.
        decoder_layers: The decoder's hidden layers, bottleneck side first.
        output_layer: The reconstruction layer (None until the model is built).
    """

    bottleneck_name = "Z"
    noise_units = None
    #: The paper's reconstruction loss (MSE, mean over pixels): what ``build_model`` compiles
    #: with, and what ``fit`` uses when the model was compiled without a loss.
    default_loss = "mse"

    def __init__(
        self,
        hidden_units=(),
        activation="sigmoid",
        output_activation="sigmoid",
        init="keras",
        **kwargs,
    ):
        hidden_units = positive_ints("hidden_units", hidden_units)
        activation = check_activation("activation", activation)
        output_activation = check_activation("output_activation", output_activation)
        self.init = one_of("init", init, INITS)
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.activation = activation
        self.output_activation = output_activation
        self.encoder_layers = [
            dense(self.init, units, activation, f"encoder_{i}")
            for i, units in enumerate(hidden_units, start=1)
        ]
        self.decoder_layers = []
        self.output_layer = None

    # ----------------------------------------------------------------------------------------
    # Subclass hooks
    # ----------------------------------------------------------------------------------------

    def _bottleneck(self, h, training=False, noise=None):
        """Returns the code ``Z``, shape (batch, code width), from the last encoder activation."""
        raise NotImplementedError

    def _build_bottleneck(self, input_shape):
        """Builds the bottleneck layers for ``input_shape``; returns the code's shape."""
        raise NotImplementedError

    def _make_output_layer(self, input_width):
        """Returns the (unbuilt) reconstruction layer for inputs of width ``input_width``."""
        return dense(self.init, input_width, self.output_activation, "reconstruction")

    # ----------------------------------------------------------------------------------------
    # Keras API
    # ----------------------------------------------------------------------------------------

    def build(self, input_shape):
        """Makes the output layer for the input width and builds every layer.

        Args:
            input_shape: Shape of the input, ``(batch, width)``; ``width`` must be known.

        Raises:
            ValueError: If the input is not of rank 2 with a known width.
        """
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (batch, width) with a known "
                f"width, got input_shape={input_shape}"
            )
        width = int(input_shape[-1])
        self.output_layer = self._make_output_layer(width)
        shape = input_shape
        for layer in self.encoder_layers:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        shape = self._build_bottleneck(shape)
        for layer in [*self.decoder_layers, self.output_layer]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x, training=None):
        """Returns the reconstruction X'.

        Args:
            x: Inputs, shape (batch, width).
            training: Whether the call is a training step.

        Returns:
            The reconstruction, shape (batch, width).
        """
        return self.representations_and_output(x, training=bool(training))[1]

    def reconstruction_target(self, x, y):
        """Returns the target that the compiled (reconstruction) loss compares with X'.

        Args:
            x: The inputs of the batch, shape (batch, width).
            y: The targets given to ``fit``/``evaluate``, or None.

        Returns:
            ``y`` if given, else ``x``.
        """
        return x if y is None else y

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Compiled reconstruction loss against ``reconstruction_target(x, y)`` plus added losses.

        A model compiled without a loss (``compile(optimizer)``) uses its ``default_loss``, so
        the model-specific terms (sparsity, KL) never silently become the whole objective.

        Args:
            x: Inputs, shape (batch, width).
            y: Targets or None (then the target is ``x``).
            y_pred: The reconstruction ``self(x)``, shape (batch, width).
            sample_weight: Optional per-sample weights, shape (batch,).
            training: Whether this is a training step.

        Returns:
            The scalar total loss.
        """
        target = self.reconstruction_target(x, y)
        if self.loss is None:
            values = keras.losses.get(self.default_loss)(target, y_pred)  # (batch,)
            if sample_weight is not None:
                values = values * ops.cast(ops.reshape(sample_weight, (-1,)), values.dtype)
            total = ops.mean(values)  # Keras's "sum_over_batch_size" reduction
            for loss in self.losses:
                total = total + ops.cast(ops.sum(loss), total.dtype)
            return total
        return super().compute_loss(
            x=x, y=target, y_pred=y_pred, sample_weight=sample_weight, training=training
        )

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics against ``reconstruction_target(x, y)``.

        Args:
            x: Inputs, shape (batch, width).
            y: Targets or None (then the target is ``x``).
            y_pred: The reconstruction, shape (batch, width).
            sample_weight: Optional per-sample weights, shape (batch,).

        Returns:
            A dict of metric name → current value.
        """
        return super().compute_metrics(
            x, self.reconstruction_target(x, y), y_pred, sample_weight=sample_weight
        )

    def get_config(self):
        """Returns the constructor arguments as plain JSON (lists, numbers, strings)."""
        config = super().get_config()
        config.update(
            {
                "hidden_units": list(self.hidden_units),
                "activation": serialize_activation(self.activation),
                "output_activation": serialize_activation(self.output_activation),
                "init": self.init,
            }
        )
        return config

    # ----------------------------------------------------------------------------------------
    # Autoencoder API
    # ----------------------------------------------------------------------------------------

    @property
    def representation_names(self) -> tuple[str, ...]:
        """The keys of ``representations`` in order, e.g. ``("E1", "E2", "Z", "D1", "D2")``."""
        encoder = [f"E{i}" for i in range(1, len(self.encoder_layers) + 1)]
        decoder = [f"D{i}" for i in range(1, len(self.decoder_layers) + 1)]
        return (*encoder, self.bottleneck_name, *decoder)

    def representation_activations(self) -> dict[str, str | None]:
        """The activation of each representation, name → e.g. ``"sigmoid"`` (Keras's name), or
        None where it is not one activation's output (the VAE's code)."""
        layers = [*self.encoder_layers, None, *self.decoder_layers]
        names = [None if layer is None else serialize_activation(layer.activation)
                 for layer in layers]  # fmt: skip
        names[len(self.encoder_layers)] = self._code_activation_name()
        return dict(zip(self.representation_names, names, strict=True))

    def _code_activation_name(self) -> str | None:
        """The activation that gives the code ``Z`` (see ``representation_activations``)."""
        return None

    def encode(self, x, training=False):
        """Returns the code ``Z``.

        Args:
            x: Inputs, shape (batch, width).
            training: Whether the call is a training step.

        Returns:
            The code, shape (batch, code width).
        """
        h = self._cast_inputs(x)
        for layer in self.encoder_layers:
            h = layer(h)
        return self._bottleneck(h, training=training)

    def decode(self, z, training=False):
        """Returns the reconstruction X' of a code.

        Args:
            z: Codes, shape (batch, code width).
            training: Whether the call is a training step (unused by the dense decoders).

        Returns:
            The reconstruction, shape (batch, width).

        Raises:
            ValueError: If the model is not built (the output width is unknown).
        """
        del training  # the decoders have no training-dependent layers
        self._check_built()
        h = ops.cast(z, self.compute_dtype)
        for layer in self.decoder_layers:
            h = layer(h)
        return self.output_layer(h)

    def representations(self, x, training=False, noise=None):
        """Returns the representation layers to measure, in order.

        Args:
            x: Inputs, shape (batch, width).
            training: Whether the call is a training step.
            noise: Only for stochastic models (``noise_units`` is not None): the standard
                normal noise of the bottleneck, shape (batch, noise_units).

        Returns:
            An ``OrderedDict`` name → activations of shape (batch, layer width), with the names
            ``representation_names`` (``E1``, …, ``Z``, ``D1``, …); X' is not in it.
        """
        return self.representations_and_output(x, training=training, noise=noise)[0]

    def representations_and_output(self, x, training=False, noise=None):
        """Returns the representations and the reconstruction from ONE forward pass.

        Graph-safe: on a built model it creates no variables, so the information-plane callback
        may call it inside a ``tf.function``. (Called eagerly on an unbuilt model, it builds it.)

        Args:
            x: Inputs, shape (batch, width).
            training: Whether the call is a training step.
            noise: Only for stochastic models (``noise_units`` is not None): the standard
                normal noise of the bottleneck, shape (batch, noise_units).

        Returns:
            A pair ``(representations, output)``: an ``OrderedDict`` as in ``representations``
            and the reconstruction X' computed from those very activations, shape
            (batch, width).

        Raises:
            ValueError: If ``noise`` is given to a deterministic model.
        """
        if noise is not None and self.noise_units is None:
            raise ValueError(f"{type(self).__name__} is deterministic; it takes no noise")
        reps = OrderedDict()
        h = self._cast_inputs(x)
        for i, layer in enumerate(self.encoder_layers, start=1):
            h = layer(h)
            reps[f"E{i}"] = h
        h = self._bottleneck(h, training=training, noise=noise)
        reps[self.bottleneck_name] = h
        for i, layer in enumerate(self.decoder_layers, start=1):
            h = layer(h)
            reps[f"D{i}"] = h
        return reps, self.output_layer(h)

    def _cast_inputs(self, x):
        """Returns ``x`` in the compute dtype, building the model first if needed (eager only)."""
        x = ops.cast(x, self.compute_dtype)
        if not self.built:
            self.build(x.shape)
        return x

    def _check_built(self):
        if not self.built:
            raise ValueError(
                f"{type(self).__name__} is not built: its output width is the input width, "
                "so call it on inputs (or build((None, width))) first"
            )
