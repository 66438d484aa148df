"""Build the paper's autoencoders and the classic experiments' classifiers by name, compiled."""

from __future__ import annotations

import inspect

import keras

from infoplane_tf.catalog import MODEL_NAMES, MODELS, OPTIMIZERS, PAPER
from infoplane_tf.models.cnn import ConvClassifier
from infoplane_tf.models.label import LabelAutoencoder
from infoplane_tf.models.mlp import MLPClassifier
from infoplane_tf.models.parity import TorchAdam
from infoplane_tf.models.sparse import SparseAutoencoder
from infoplane_tf.models.tied import TiedAutoencoder
from infoplane_tf.models.vae import VariationalAutoencoder
from infoplane_tf.models.vanilla import VanillaAutoencoder
from infoplane_tf.validation import ParameterError, one_of, positive_float, positive_int

#: The paper's learning rate (Adam); ``catalog.PAPER`` is the source.
PAPER_LEARNING_RATE = PAPER.learning_rate

# The classes that ``catalog.MODELS`` names.
_CLASSES = {
    cls.__name__: cls
    for cls in (
        VanillaAutoencoder,
        SparseAutoencoder,
        TiedAutoencoder,
        VariationalAutoencoder,
        LabelAutoencoder,
        MLPClassifier,
        ConvClassifier,
    )
}

_OPTIMIZERS = {"adam": keras.optimizers.Adam, "torch-adam": TorchAdam, "sgd": keras.optimizers.SGD}


def model_class(name: str) -> type[keras.Model]:
    """The class that ``build_model(name)`` instantiates; ValueError for an unknown name."""
    return _CLASSES[MODELS[one_of("name", name, MODEL_NAMES)].class_name]


def build_model(
    name: str,
    learning_rate: float = PAPER.learning_rate,
    input_width: int | None = None,
    optimizer: str = "adam",
    **hparams,
) -> keras.Model:
    """Returns one of the paper's autoencoders or a classifier, compiled with its loss.

    ``"vanilla"`` (shallow 784-50-784), ``"deep"`` (256-128-50), ``"sparse"`` (KL sparsity,
    ρ = 0.05, β = 0.001), ``"tied"`` (decoder = encoder transposed), ``"vae"`` and ``"label"``
    (softmax bottleneck, λ = 0.01), and the classifiers ``"mlp"`` (``MLPClassifier``) and
    ``"cnn"`` (``ConvClassifier``), compiled with cross-entropy on integer labels and an
    accuracy metric: ``catalog.MODELS`` lists them. The loss is the model's
    ``default_loss`` plus its own terms; recompile freely. The input width is taken from the
    data when the model is first called, unless ``input_width`` builds it now.

    Args:
        name: One of ``MODEL_NAMES``.
        learning_rate: The optimizer's learning rate (> 0); 0.005 in the paper.
        input_width: If given, build the model for inputs of shape (batch, input_width).
        optimizer: ``"adam"`` (Keras's), ``"torch-adam"`` (PyTorch's update and ε = 1e-8,
            ``parity.TorchAdam``, as the authors trained) or ``"sgd"`` (plain SGD).
        **hparams: Constructor arguments of the model's class (e.g. ``code_units=10``,
            ``hidden_units=(16, 8)``, ``sparsity_weight=0.01``, ``seed=0``, ``init="torch"``,
            ``name=...``).

    Returns:
        The compiled (and, with ``input_width``, built) model.

    Raises:
        ValueError: an unknown ``name`` (the message lists ``MODEL_NAMES``), a keyword that is
            not a hyperparameter of that model, or an invalid value (the message names it).

    Example:
        >>> model = build_model("deep", code_units=50)
        >>> model.fit(x_train, x_train, epochs=50, batch_size=100)
    """
    cls = model_class(name)
    learning_rate = positive_float("learning_rate", learning_rate)
    _check_hparams(cls, name, hparams)
    model = cls(**{"name": name, **MODELS[name].defaults, **hparams})
    update = _OPTIMIZERS[one_of("optimizer", optimizer, OPTIMIZERS)]
    metrics = ["accuracy"] if MODELS[name].classifier else None
    model.compile(
        optimizer=update(learning_rate=learning_rate), loss=model.default_loss, metrics=metrics
    )
    if input_width is not None:
        model.build((None, positive_int("input_width", input_width)))
    return model


def _check_hparams(cls: type, name: str, hparams: dict) -> None:
    """ParameterError for a keyword that no constructor of ``cls`` (or its bases) takes."""
    accepted = {  # the constructor's own arguments and those it passes on to its bases
        parameter
        for base in cls.__mro__[: cls.__mro__.index(keras.Model)]
        for parameter in inspect.signature(base.__init__).parameters
    }
    accepted = (accepted - {"self", "kwargs"}) | {"name", "dtype", "init"}
    unknown = sorted(set(hparams) - accepted)
    if unknown:
        raise ParameterError(
            "hparams",
            f"has unknown hyperparameter(s) {', '.join(unknown)} for model {name!r}; "
            f"accepted: {', '.join(sorted(accepted))}",
        )
