"""The MLP classifier of the classic information-plane experiments (default 12-10-7-5-4-3-2)."""

from __future__ import annotations

import keras

from infoplane_tf.models.classifier import Classifier
from infoplane_tf.models.parity import dense
from infoplane_tf.validation import ParameterError, positive_ints

#: Shwartz-Ziv & Tishby's network on their 12-bit set: hidden widths 10-7-5-4-3.
TISHBY_HIDDEN_UNITS = (10, 7, 5, 4, 3)


@keras.saving.register_keras_serializable(package="infoplane_tf")
class MLPClassifier(Classifier):
    """A dense classifier: hidden layers ``H1 … Hk`` (``dense_1 …``), then a softmax.

    Args:
        hidden_units: The hidden widths, input side first; at least one. The default
            ``(10, 7, 5, 4, 3)`` is the network of Shwartz-Ziv & Tishby (2017) on their 12-bit
            set; Saxe et al. (2018) used ``(1024, 20, 20, 20)`` on MNIST.
        n_classes, activation, init, **kwargs: See ``Classifier``. ``init="truncated-normal"``
            is Saxe et al.'s initialisation.

    Raises:
        ValueError: If a hyperparameter is invalid; the message names the value.

    Example:
        >>> model = MLPClassifier(hidden_units=(10, 7, 5, 4, 3), n_classes=2, activation="relu")
        >>> model.compile("adam", loss=model.default_loss)
        >>> model.fit(x_train, y_train, epochs=100, batch_size=256)  # y: integer labels
        >>> list(model.representation_names)
        ['H1', 'H2', 'H3', 'H4', 'H5', 'softmax']

    References:
        R. Shwartz-Ziv, N. Tishby, "Opening the Black Box of Deep Neural Networks via
        Information", arXiv:1703.00810, 2017.
        A. M. Saxe et al., "On the Information Bottleneck Theory of Deep Learning", ICLR 2018.
    """

    def __init__(self, hidden_units=TISHBY_HIDDEN_UNITS, n_classes=2, **kwargs):
        hidden_units = positive_ints("hidden_units", hidden_units)
        if not hidden_units:
            raise ParameterError("hidden_units", "must hold at least one width, got ()")
        super().__init__(n_classes=n_classes, **kwargs)
        self.hidden_units = hidden_units
        self.blocks = [
            dense(self.init, units, self.activation, f"dense_{i}")
            for i, units in enumerate(hidden_units, start=1)
        ]
        self.block_names = [f"H{i}" for i in range(1, len(hidden_units) + 1)]

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        return {**super().get_config(), "hidden_units": list(self.hidden_units)}
