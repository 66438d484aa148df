"""Build the paper's autoencoders by name, compiled with the paper's training defaults."""

from __future__ import annotations

import inspect
import math

import keras

from infoplane_tf.models.label import LabelAutoencoder
from infoplane_tf.models.sparse import SparseAutoencoder
from infoplane_tf.models.tied import TiedAutoencoder
from infoplane_tf.models.vae import VariationalAutoencoder
from infoplane_tf.models.vanilla import VanillaAutoencoder

#: Names accepted by ``build_model``.
MODEL_NAMES = ("vanilla", "deep", "sparse", "tied", "vae", "label")

#: The paper's learning rate (Adam).
PAPER_LEARNING_RATE = 0.005

# name → (class, default hyperparameters that differ from the class's own defaults)
_SPECIES = {
    "vanilla": (VanillaAutoencoder, {"hidden_units": ()}),
    "deep": (VanillaAutoencoder, {"hidden_units": (256, 128)}),
    "sparse": (SparseAutoencoder, {}),
    "tied": (TiedAutoencoder, {}),
    "vae": (VariationalAutoencoder, {}),
    "label": (LabelAutoencoder, {}),
}


def build_model(
    name: str,
    learning_rate: float = PAPER_LEARNING_RATE,
    input_width: int | None = None,
    **hparams,
) -> keras.Model:
    """Returns one of the paper's autoencoders, compiled with Adam and the paper's loss.

    ================  ======================================================================
    ``"vanilla"``     ``VanillaAutoencoder``, shallow 784-50-784 (``hidden_units=()``)
    ``"deep"``        ``VanillaAutoencoder`` with ``hidden_units=(256, 128)``
    ``"sparse"``      ``SparseAutoencoder`` (shallow; ρ = 0.05, β = 0.001)
    ``"tied"``        ``TiedAutoencoder`` (shallow; ``hidden_units`` for a deep one)
    ``"vae"``         ``VariationalAutoencoder`` (256-128, 50 latent units)
    ``"label"``       ``LabelAutoencoder`` (256-128, softmax bottleneck of 50, λ = 0.01)
    ================  ======================================================================

    The loss is the model's ``default_loss`` (MSE, or BCE summed over pixels for the VAE) plus
    its own terms; recompile freely (``loss=model.default_loss`` keeps the paper's). The input
    width is taken from the data when the model is first called, unless ``input_width`` builds
    it now.

    Args:
        name: One of ``MODEL_NAMES``.
        learning_rate: Adam's learning rate (> 0); 0.005 in the paper.
        input_width: If given, build the model for inputs of shape (batch, input_width).
        **hparams: Constructor arguments of the model's class (e.g. ``code_units=10``,
            ``hidden_units=(16, 8)``, ``sparsity_weight=0.01``, ``seed=0``, ``name=...``).

    Returns:
        The compiled (and, with ``input_width``, built) model.

    Raises:
        ValueError: If ``name`` is unknown (the message lists ``MODEL_NAMES``), a keyword is
            not a hyperparameter of that model, or a value is invalid (the message names it).

    Example:
        >>> model = build_model("deep", code_units=50)
        >>> model.fit(x_train, x_train, epochs=50, batch_size=100)
    """
    if name not in _SPECIES:
        raise ValueError(f"Unknown model {name!r}; valid names: {', '.join(MODEL_NAMES)}")
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, int | float)
        or not math.isfinite(learning_rate)
        or learning_rate <= 0
    ):
        raise ValueError(f"learning_rate must be a finite number > 0, got {learning_rate!r}")
    cls, defaults = _SPECIES[name]
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
    accepted |= {"name", "dtype"}
    unknown = sorted(set(hparams) - accepted)
    if unknown:
        raise ValueError(
            f"Unknown hyperparameter(s) {', '.join(unknown)} for model {name!r}; "
            f"accepted: {', '.join(sorted(accepted))}"
        )
    model = cls(**{"name": name, **defaults, **hparams})
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss=model.default_loss
    )
    if input_width is not None:
        if isinstance(input_width, bool) or not isinstance(input_width, int) or input_width <= 0:
            raise ValueError(f"input_width must be a positive integer, got {input_width!r}")
        model.build((None, input_width))
    return model
