"""The shared classifier base: hidden layers to measure, then a softmax over the classes.

The classic information-plane experiments (Shwartz-Ziv & Tishby 2017; Saxe et al. 2018) study
classifiers, not autoencoders. A classifier here meets the same measurable-model contract as the
autoencoders (``representations_and_output``), so the callback, the checkpoints and ``measure``
treat both alike; its output is the class distribution and it is fitted on integer labels.
"""

from __future__ import annotations

from collections import OrderedDict

import keras
from keras import ops

from infoplane_tf.catalog import ACTIVATIONS, CLASSIFIER_OUTPUT, INITS
from infoplane_tf.models.base import serialize_activation
from infoplane_tf.validation import one_of, positive_int

SOFTMAX = CLASSIFIER_OUTPUT


@keras.saving.register_keras_serializable(package="infoplane_tf")
class Classifier(keras.Model):
    """Base class of the classifiers: a stack of hidden blocks and a softmax output.

    Subclasses make ``self.blocks`` (one layer, or a list of layers applied in turn, per
    measured representation) and ``self.block_names`` in ``__init__``, and may override
    ``_prepare`` (how a flat input becomes the first block's input). The output layer
    ``softmax`` (Dense, ``n_classes`` units) is measured too, as the papers did.

    Args:
        n_classes: Number of classes (≥ 2).
        activation: Activation of the hidden layers, one of ``catalog.ACTIVATIONS``.
        init: How dense layers are initialised, one of ``catalog.INITS``.
        **kwargs: Passed to ``keras.Model`` (``name``, ``dtype``, …).

    Raises:
        ValueError: If a hyperparameter is invalid; the message names the value.
    """

    #: Integer labels against the softmax output: what ``build_model`` compiles with.
    default_loss = "sparse_categorical_crossentropy"

    def __init__(self, n_classes=10, activation="tanh", init="keras", **kwargs):
        n_classes = positive_int("n_classes", n_classes, minimum=2)
        activation = one_of("activation", activation, ACTIVATIONS)
        self.init = one_of("init", init, INITS)
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.activation = activation
        self.blocks, self.block_names = [], []
        self.output_layer = keras.layers.Dense(n_classes, activation="softmax", name=SOFTMAX)

    def _prepare(self, x):
        """The first block's input from the flat inputs (batch, features)."""
        return x

    def build(self, input_shape):
        """Builds every layer for flat inputs of shape (batch, features)."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape (batch, features) with known "
                f"features, got input_shape={input_shape}"
            )
        self.representations_and_output(keras.ops.zeros((1, int(input_shape[-1]))))

    def call(self, x, training=None):
        """Returns the class probabilities, shape (batch, n_classes)."""
        return self.representations_and_output(x, training=bool(training))[1]

    def representations_and_output(self, x, training=False, noise=None):
        """Returns the representations and the class probabilities from ONE forward pass.

        Args:
            x: Inputs, shape (batch, features).
            training: Whether the call is a training step (no layer depends on it).
            noise: Must be None (the classifiers are deterministic).

        Returns:
            ``(OrderedDict name → activations (batch, ...), probabilities (batch, n_classes))``;
            the names are ``representation_names``, the softmax last.
        """
        del training
        if noise is not None:
            raise ValueError(f"{type(self).__name__} is deterministic; it takes no noise")
        reps = OrderedDict()
        h = self._prepare(ops.cast(x, self.compute_dtype))
        for name, block in zip(self.block_names, self.blocks, strict=True):
            for layer in block if isinstance(block, list) else [block]:
                h = layer(h)
            reps[name] = h
        output = self.output_layer(ops.reshape(h, (ops.shape(h)[0], -1)))
        reps[SOFTMAX] = output
        return reps, output

    @property
    def representation_names(self) -> tuple[str, ...]:
        """The measured layers in order, the softmax output last."""
        return (*self.block_names, SOFTMAX)

    def representation_activations(self) -> dict[str, str]:
        """Each representation's activation (Keras's name), for the saturation diagnostic."""
        return {**dict.fromkeys(self.block_names, self.activation), SOFTMAX: "softmax"}

    def predict_labels(self, x):
        """The predicted classes, shape (batch,)."""
        return ops.argmax(self(x, training=False), axis=-1)

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config.update(
            {
                "n_classes": self.n_classes,
                "activation": serialize_activation(self.activation),
                "init": self.init,
            }
        )
        return config
