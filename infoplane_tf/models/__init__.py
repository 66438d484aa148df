"""The autoencoder zoo of Lee & Jo (2021), and the classic experiments' classifiers, as Keras
subclassed models.

Every model is an ``Autoencoder``: ``encode``, ``decode``, ``call`` (the reconstruction X') and
``representations`` / ``representations_and_output`` (the layers ``E1 …, Z, D1 …`` to measure).
Every classifier is a ``Classifier``: hidden layers to measure and a ``softmax`` output, fitted
on integer labels. ``build_model(name)`` returns one compiled with the paper's defaults.
"""

from infoplane_tf.models.base import Autoencoder
from infoplane_tf.models.classifier import Classifier
from infoplane_tf.models.cnn import ConvClassifier
from infoplane_tf.models.contract import MeasurableModel
from infoplane_tf.models.label import LabelAutoencoder
from infoplane_tf.models.mlp import MLPClassifier
from infoplane_tf.models.registry import MODEL_NAMES, PAPER_LEARNING_RATE, build_model, model_class
from infoplane_tf.models.sparse import SparseAutoencoder
from infoplane_tf.models.tied import TiedAutoencoder, TiedDense
from infoplane_tf.models.vae import VariationalAutoencoder, binary_crossentropy_sum
from infoplane_tf.models.vanilla import VanillaAutoencoder

__all__ = [
    "MODEL_NAMES",
    "PAPER_LEARNING_RATE",
    "Autoencoder",
    "Classifier",
    "ConvClassifier",
    "LabelAutoencoder",
    "MLPClassifier",
    "MeasurableModel",
    "SparseAutoencoder",
    "TiedAutoencoder",
    "TiedDense",
    "VanillaAutoencoder",
    "VariationalAutoencoder",
    "binary_crossentropy_sum",
    "build_model",
    "model_class",
]
