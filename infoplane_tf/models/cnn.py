"""A small convolutional classifier for MNIST-like images: conv-pool, conv-pool, dense."""

from __future__ import annotations

import math

import keras
from keras import ops

from infoplane_tf.models.classifier import Classifier
from infoplane_tf.models.parity import dense
from infoplane_tf.validation import ParameterError, positive_int, positive_ints


@keras.saving.register_keras_serializable(package="infoplane_tf")
class ConvClassifier(Classifier):
    """Two conv-pool blocks (``C1``, ``C2``: 3×3 valid convolutions, 2×2 max pooling), a dense
    layer ``D1`` and a softmax, on square one-channel images given flat (784 → 28×28×1).

    The measured ``C1`` and ``C2`` are the pooled feature maps (batch, h, w, filters), flattened
    by the estimator.

    Args:
        filters: Filters of the two convolutions.
        dense_units: Width of ``D1``.
        n_classes, activation, init, **kwargs: See ``Classifier`` (``init`` applies to ``D1``;
            the convolutions use Keras's defaults).

    Raises:
        ValueError: If a hyperparameter is invalid (named); at build, if the flat input is not
            a square image.

    Example:
        >>> model = ConvClassifier(n_classes=10, activation="relu")
        >>> model.compile("adam", loss=model.default_loss)
        >>> model.fit(x_train, y_train, epochs=5, batch_size=128)  # x: (n, 784) in [0, 1]
    """

    def __init__(self, filters=(8, 16), dense_units=32, n_classes=10, **kwargs):
        filters = positive_ints("filters", filters)
        if len(filters) != 2:
            raise ParameterError("filters", f"must hold two counts, got {filters}")
        dense_units = positive_int("dense_units", dense_units)
        kwargs.setdefault("activation", "relu")
        super().__init__(n_classes=n_classes, **kwargs)
        self.filters, self.dense_units = filters, dense_units
        self.blocks = [
            [
                keras.layers.Conv2D(count, 3, activation=self.activation, name=f"conv_{i}"),
                keras.layers.MaxPooling2D(2, name=f"pool_{i}"),
            ]
            for i, count in enumerate(filters, start=1)
        ]
        self.flatten = keras.layers.Flatten(name="flatten")
        self.blocks.append([self.flatten, dense(self.init, dense_units, self.activation, "dense")])
        self.block_names = ["C1", "C2", "D1"]

    def _prepare(self, x):
        side = math.isqrt(int(x.shape[-1]))
        if side * side != x.shape[-1]:
            raise ValueError(
                f"ConvClassifier needs flat square images (784 = 28x28), got {x.shape[-1]} features"
            )
        return ops.reshape(x, (-1, side, side, 1))

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config.update({"filters": list(self.filters), "dense_units": self.dense_units})
        return config
