"""The sparse autoencoder: MSE plus a KL sparsity penalty on the code's mean activity."""

from __future__ import annotations

import keras
from keras import ops

from infoplane_tf.catalog import PAPER
from infoplane_tf.models.vanilla import VanillaAutoencoder
from infoplane_tf.validation import fraction, non_negative_float

# ρ̂ is clipped to [ε, 1 - ε] so a dead or saturated unit gives a large, finite penalty.
_EPSILON = 1e-6


def kl_sparsity_penalty(code, target, weight):
    """Returns β · Σ_j KL(ρ ‖ ρ̂_j), ρ̂_j the batch-mean activation of code unit j.

    KL(ρ ‖ ρ̂) = ρ log(ρ / ρ̂) + (1 - ρ) log((1 - ρ) / (1 - ρ̂)), in nats, between Bernoulli
    distributions; ρ̂ is clipped to [1e-6, 1 - 1e-6] for numerical safety.

    Args:
        code: Code activations in [0, 1] (e.g. sigmoid), shape (batch, code_units).
        target: The target activity ρ, in (0, 1).
        weight: The penalty weight β ≥ 0.

    Returns:
        The scalar penalty (≥ 0).
    """
    rho_hat = ops.clip(ops.mean(code, axis=0), _EPSILON, 1.0 - _EPSILON)
    kl = target * ops.log(target / rho_hat) + (1.0 - target) * ops.log(
        (1.0 - target) / (1.0 - rho_hat)
    )
    return weight * ops.sum(kl)


@keras.saving.register_keras_serializable(package="infoplane_tf")
class SparseAutoencoder(VanillaAutoencoder):
    """A vanilla autoencoder whose code is pushed towards a low mean activity ρ.

    The loss is the compiled reconstruction loss (MSE by default) plus
    ``β · Σ_j KL(ρ ‖ ρ̂_j)``, where ``ρ̂_j`` is the mean activation of code unit ``j`` over the
    batch; the penalty is added with ``add_loss`` in ``call``, so ``fit`` and ``evaluate``
    include it. It is meant for a code with activations in [0, 1] (the default sigmoid).

    Args:
        hidden_units: Encoder widths between input and code; ``()`` (default) is the paper's
            784-50-784 sparse autoencoder.
        code_units: Width of the bottleneck ``Z``.
        activation: Activation of every hidden layer and of the code.
        output_activation: Activation of the reconstruction.
        sparsity_target: The target activity ρ, in (0, 1); 0.05 in the paper.
        sparsity_weight: The penalty weight β ≥ 0; 0.001 in the paper.
        **kwargs: Passed to ``keras.Model``.

    Raises:
        ValueError: If ρ is outside (0, 1), β < 0, or another hyperparameter is invalid; the
            message names the value.

    Example:
        >>> model = SparseAutoencoder(code_units=50, sparsity_target=0.05, sparsity_weight=1e-3)
        >>> model.compile(optimizer="adam")
        >>> model.fit(x_train, epochs=50, batch_size=100)  # x_train: (n, 784)

    References:
        S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
        A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford, 2011.
    """

    def __init__(
        self,
        hidden_units=(),
        code_units=PAPER.code_units,
        activation="sigmoid",
        output_activation="sigmoid",
        sparsity_target=PAPER.sparsity_target,
        sparsity_weight=PAPER.sparsity_weight,
        **kwargs,
    ):
        sparsity_target = fraction("sparsity_target", sparsity_target)
        sparsity_weight = non_negative_float("sparsity_weight", sparsity_weight)
        super().__init__(
            hidden_units=hidden_units,
            code_units=code_units,
            activation=activation,
            output_activation=output_activation,
            **kwargs,
        )
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight

    def call(self, x, training=None):
        """Returns the reconstruction X' and adds the sparsity penalty of this batch.

        Args:
            x: Inputs, shape (batch, width).
            training: Whether the call is a training step.

        Returns:
            The reconstruction, shape (batch, width).
        """
        reps, output = self.representations_and_output(x, training=bool(training))
        self.add_loss(self.sparsity_penalty(reps[self.bottleneck_name]))
        return output

    def sparsity_penalty(self, code):
        """Returns ``β · Σ_j KL(ρ ‖ ρ̂_j)`` for a batch of codes of shape (batch, code_units)."""
        return kl_sparsity_penalty(code, self.sparsity_target, self.sparsity_weight)

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config.update(
            {"sparsity_target": self.sparsity_target, "sparsity_weight": self.sparsity_weight}
        )
        return config
