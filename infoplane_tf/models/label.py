"""The label autoencoder: a deep autoencoder whose softmax bottleneck also predicts the class."""

from __future__ import annotations

import keras
from keras import ops

from infoplane_tf.catalog import PAPER
from infoplane_tf.models.vanilla import VanillaAutoencoder
from infoplane_tf.validation import non_negative_float


@keras.saving.register_keras_serializable(package="infoplane_tf")
class LabelAutoencoder(VanillaAutoencoder):
    """A deep autoencoder whose bottleneck is a softmax trained to predict the class label.

    The ``code`` layer is linear (the logits); ``Z`` is ``softmax(logits)`` and feeds the
    decoder. The loss is the compiled reconstruction loss against the input (MSE by default)
    plus ``label_weight ·`` sparse categorical cross-entropy of the logits against the integer
    label; the bottleneck's classification accuracy is reported as ``label_accuracy`` and the
    cross-entropy as ``label_loss``. Train with ``model.fit(x, labels)``: ``y`` is the integer
    label, the reconstruction target is ``x`` itself.

    With ``code_units`` = the number of classes (``code_units=10`` for MNIST) each bottleneck
    unit is one class, the variant the paper describes; the authors' MNIST code used 50 units
    (classes 0-9 are then the first 10 logits, the other 40 units learn to stay low).

    Args:
        hidden_units: Encoder widths between input and code; ``(256, 128)`` in the paper.
        code_units: Width of the softmax bottleneck; must exceed the largest label.
        label_weight: The weight λ ≥ 0 of the cross-entropy term; 0.01 in the paper.
        activation: Activation of the encoder and decoder hidden layers.
        output_activation: Activation of the reconstruction.
        **kwargs: Passed to ``keras.Model``.

    Raises:
        ValueError: If λ < 0 or another hyperparameter is invalid; the message names the value.

    Example:
        >>> model = LabelAutoencoder(hidden_units=(256, 128), code_units=50)
        >>> model.compile(optimizer="adam")  # no loss: default_loss (MSE) + 0.01 · CE
        >>> model.fit(x_train, y_train, epochs=50, batch_size=100)  # logs label_accuracy

    References:
        S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    """

    def __init__(
        self,
        hidden_units=(256, 128),
        code_units=PAPER.code_units,
        label_weight=PAPER.label_weight,
        activation="sigmoid",
        output_activation="sigmoid",
        **kwargs,
    ):
        label_weight = non_negative_float("label_weight", label_weight)
        super().__init__(
            hidden_units=hidden_units,
            code_units=code_units,
            activation=activation,
            output_activation=output_activation,
            **kwargs,
        )
        self.label_weight = label_weight
        self.label_loss_fn = keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, name="label_crossentropy"
        )
        self.label_loss_tracker = keras.metrics.Mean(name="label_loss")
        self.label_accuracy = keras.metrics.SparseCategoricalAccuracy(name="label_accuracy")

    def _code_activation(self):
        return None  # the code layer gives logits; the softmax is applied in _bottleneck

    def _code_activation_name(self):
        return "softmax"

    def _bottleneck(self, h, training=False, noise=None):
        del training, noise
        return ops.softmax(self.code_layer(h), axis=-1)

    def code_logits(self, x):
        """Returns the bottleneck's logits (the class scores), shape (batch, code_units).

        Args:
            x: Inputs, shape (batch, width).
        """
        h = self._cast_inputs(x)
        for layer in self.encoder_layers:
            h = layer(h)
        return self.code_layer(h)

    def predict_labels(self, x):
        """Returns the bottleneck's predicted classes (argmax of the logits), shape (batch,).

        Args:
            x: Inputs, shape (batch, width).
        """
        return ops.argmax(self.code_logits(x), axis=-1)

    def reconstruction_target(self, x, y):
        """The reconstruction target is always the input ``x`` (``y`` holds the labels)."""
        del y
        return x

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Reconstruction loss against ``x`` plus λ · cross-entropy of the logits against ``y``.

        The encoder is deterministic, so re-running it on ``x`` here gives exactly the logits of
        the forward pass that produced ``y_pred`` (at the cost of one extra encoder pass: the
        logits are not part of ``call``'s output, and stashing a tensor on the model between
        ``call`` and ``compute_loss`` would not be graph-safe).

        Args:
            x: Inputs, shape (batch, width).
            y: Integer class labels, shape (batch,) or (batch, 1).
            y_pred: The reconstruction ``self(x)``, shape (batch, width).
            sample_weight: Optional per-sample weights, shape (batch,).
            training: Whether this is a training step.

        Returns:
            The scalar total loss.

        Raises:
            ValueError: If no labels are given.
        """
        if y is None:
            raise ValueError(
                "LabelAutoencoder needs the integer class labels as targets: "
                "model.fit(x, labels); the reconstruction target is x itself"
            )
        reconstruction = super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )
        logits = self.code_logits(x)
        label_loss = self.label_loss_fn(y, logits, sample_weight=sample_weight)
        self.label_loss_tracker.update_state(label_loss)
        self.label_accuracy.update_state(y, logits, sample_weight=sample_weight)
        return reconstruction + self.label_weight * label_loss

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config["label_weight"] = self.label_weight
        return config
