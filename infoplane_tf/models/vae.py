"""The variational autoencoder: Gaussian code, BCE (sum over pixels) + KL to N(0, I)."""

from __future__ import annotations

import numbers
import warnings

import keras
from keras import ops

from infoplane_tf.catalog import PAPER
from infoplane_tf.models.base import Autoencoder
from infoplane_tf.models.parity import dense
from infoplane_tf.validation import positive_int

#: Values of ``VariationalAutoencoder(representation=...)``.
REPRESENTATIONS = ("sample", "mean")


@keras.saving.register_keras_serializable(package="infoplane_tf")
def binary_crossentropy_sum(y_true, y_pred):
    """Binary cross-entropy summed over the features (pixels), one value per sample.

    Keras averages it over the batch, which gives the VAE's reconstruction term.

    Args:
        y_true: Targets in [0, 1], shape (batch, width).
        y_pred: Predicted probabilities, shape (batch, width).

    Returns:
        The per-sample sums, shape (batch,), in nats.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.sum(ops.binary_crossentropy(y_true, y_pred), axis=-1)


def gaussian_kl_divergence(mean, log_var):
    """KL(N(mean, exp(log_var)) ‖ N(0, I)), summed over the latent units.

    Args:
        mean: Means, shape (batch, code_units).
        log_var: Log-variances, shape (batch, code_units).

    Returns:
        The per-sample divergences (≥ 0, in nats), shape (batch,).
    """
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


@keras.saving.register_keras_serializable(package="infoplane_tf")
class VariationalAutoencoder(Autoencoder):
    """A variational autoencoder with sigmoid dense encoder and decoder.

    Encoder ``encoder_1 … encoder_k`` (sigmoid; ``E1 … Ek``), linear heads ``z_mean`` (μ) and
    ``z_log_var`` (log σ²) of width ``code_units``, the reparameterized code
    ``z = μ + ε · exp(½ log σ²)``, ε ~ N(0, I) (``Z``), a mirrored sigmoid decoder ``decoder_1 …``
    (``D1 …``) and a sigmoid ``reconstruction`` layer. Loss per batch: the compiled
    reconstruction loss (default: binary cross-entropy summed over pixels, averaged over the
    batch) plus the KL divergence to N(0, I) summed over latent units and averaged over the
    batch, added with ``add_loss`` in ``call`` and reported as the metric ``kl``.

    Call semantics: ``call(x, training=True)`` (inside ``fit``) decodes a sampled z, as the
    paper trains; ``call(x, training=False)`` (``predict``, ``evaluate``, a plain ``model(x)``)
    decodes μ, so it is deterministic (save/load and evaluation compare exactly; the test loss
    is therefore reconstruction-at-the-mean + KL). ``representations`` follows
    ``representation``: ``"sample"`` (default, the paper: MI measured on a sampled z) gives a
    sampled ``Z`` and decodes that same sample for ``D1 …`` and X'; ``"mean"`` gives μ.

    Args:
        hidden_units: Encoder widths, mirrored by the decoder; ``(256, 128)`` in the paper.
        code_units: Width of the latent code (of μ and log σ²); 50 in the paper. (Called
            ``latent_units`` before 0.7; that name still works in 0.7, with a warning.)
        seed: Integer seed of the sampling ``SeedGenerator``, or None (drawn from the global
            seed, so ``keras.utils.set_random_seed`` makes it reproducible too).
        representation: ``"sample"`` or ``"mean"``, what ``representations`` reports as ``Z``.
        activation: Activation of the encoder and decoder hidden layers.
        output_activation: Activation of the reconstruction.
        **kwargs: Passed to ``keras.Model``.

    Raises:
        ValueError: If a width is not a positive integer, ``seed`` is not an integer or None,
            or ``representation`` is unknown; the message names the value.

    Example:
        >>> model = VariationalAutoencoder(seed=0)
        >>> model.compile(optimizer="adam")  # no loss: default_loss, BCE summed over pixels
        >>> model.fit(x_train, epochs=50, batch_size=100)  # logs loss and kl
        >>> model.sample(16).shape
        TensorShape([16, 784])

    References:
        D. P. Kingma, M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
        S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    """

    def __init__(
        self,
        hidden_units=(256, 128),
        code_units=PAPER.code_units,
        seed=None,
        representation="sample",
        activation="sigmoid",
        output_activation="sigmoid",
        latent_units=None,
        **kwargs,
    ):
        if latent_units is not None:
            warnings.warn(
                "VariationalAutoencoder(latent_units=...) is code_units=..., as for every model; "
                "latent_units goes in 0.8",
                DeprecationWarning,
                stacklevel=2,
            )
            code_units = latent_units
        code_units = positive_int("code_units", code_units)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise ValueError(f"seed must be an integer or None, got {seed!r}")
        if representation not in REPRESENTATIONS:
            raise ValueError(
                f"representation must be one of {', '.join(REPRESENTATIONS)}, "
                f"got {representation!r}"
            )
        super().__init__(
            hidden_units=hidden_units,
            activation=activation,
            output_activation=output_activation,
            **kwargs,
        )
        self.code_units = code_units
        self.seed = None if seed is None else int(seed)
        self.representation = representation
        self.mean_layer = dense(self.init, code_units, name="z_mean")
        self.log_var_layer = dense(self.init, code_units, name="z_log_var")
        self.decoder_layers = [
            dense(self.init, units, activation, f"decoder_{i}")
            for i, units in enumerate(reversed(self.hidden_units), start=1)
        ]
        self.seed_generator = keras.random.SeedGenerator(self.seed, name="sampling_seed")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def default_loss(self):
        """The paper's reconstruction loss for the VAE: ``binary_crossentropy_sum``."""
        return binary_crossentropy_sum

    @property
    def noise_units(self) -> int:
        """Width of the noise ε that ``representations`` accepts: ``code_units``."""
        return self.code_units

    # ----------------------------------------------------------------------------------------

    def encode_distribution(self, x):
        """Returns the posterior's parameters ``(mean, log_var)``, each (batch, code_units).

        Args:
            x: Inputs, shape (batch, width).
        """
        h = self._cast_inputs(x)
        for layer in self.encoder_layers:
            h = layer(h)
        return self.mean_layer(h), self.log_var_layer(h)

    def reparameterize(self, mean, log_var, noise=None):
        """Returns ``z = mean + ε · exp(½ log_var)``, shape (batch, code_units).

        Args:
            mean: Means, shape (batch, code_units).
            log_var: Log-variances, shape (batch, code_units).
            noise: ε, shape (batch, code_units); None draws it from the model's seeded
                ``SeedGenerator`` (advancing its state).

        Raises:
            ValueError: If ``noise`` has a known width other than ``code_units``.
        """
        if noise is None:
            noise = keras.random.normal(
                ops.shape(mean), dtype=self.compute_dtype, seed=self.seed_generator
            )
        else:
            noise = ops.cast(noise, self.compute_dtype)
            if noise.shape[-1] is not None and noise.shape[-1] != self.code_units:
                raise ValueError(
                    f"noise must have shape (batch, {self.code_units}), got {noise.shape}"
                )
        return mean + noise * ops.exp(0.5 * log_var)

    def kl_divergence(self, mean, log_var):
        """Per-sample KL(q(z|x) ‖ N(0, I)) in nats, shape (batch,); see gaussian_kl_divergence."""
        return gaussian_kl_divergence(mean, log_var)

    def _bottleneck(self, h, training=False, noise=None):
        # Used by ``representations``: what is measured depends on ``representation`` only.
        del training
        mean = self.mean_layer(h)
        if self.representation == "mean":
            return mean  # noise, if any, is ignored
        return self.reparameterize(mean, self.log_var_layer(h), noise=noise)

    def _build_bottleneck(self, input_shape):
        self.mean_layer.build(input_shape)
        self.log_var_layer.build(input_shape)
        return self.mean_layer.compute_output_shape(input_shape)

    # ----------------------------------------------------------------------------------------

    def call(self, x, training=None):
        """Returns the reconstruction X' and adds the batch-mean KL divergence as a loss.

        Args:
            x: Inputs, shape (batch, width).
            training: True decodes a sampled z; False (default outside ``fit``) decodes μ.

        Returns:
            The reconstruction, shape (batch, width).
        """
        mean, log_var = self.encode_distribution(x)
        self.add_loss(ops.mean(self.kl_divergence(mean, log_var)))
        z = self.reparameterize(mean, log_var) if training else mean
        return self.decode(z)

    def encode(self, x, training=False):
        """Returns the code: a sample of q(z|x) when ``training``, else its mean μ.

        Args:
            x: Inputs, shape (batch, width).
            training: Whether to sample (as in a training step).

        Returns:
            The code, shape (batch, code_units).
        """
        mean, log_var = self.encode_distribution(x)
        return self.reparameterize(mean, log_var) if training else mean

    def sample(self, n, seed=None):
        """Generates ``n`` images by decoding draws from the prior N(0, I).

        Args:
            n: Number of images, a positive integer.
            seed: Integer seed for reproducible draws; None uses (and advances) the model's
                seeded ``SeedGenerator``.

        Returns:
            The images, shape (n, input width).

        Raises:
            ValueError: If ``n`` is not a positive integer or the model is not built.
        """
        n = positive_int("n", n)
        self._check_built()
        z = keras.random.normal(
            (n, self.code_units),
            dtype=self.compute_dtype,
            seed=self.seed_generator if seed is None else seed,
        )
        return self.decode(z)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Compiled reconstruction loss plus the KL added in ``call``; updates the ``kl`` metric.

        Args:
            x: Inputs, shape (batch, width).
            y: Targets or None (then the target is ``x``).
            y_pred: The reconstruction ``self(x)``, shape (batch, width).
            sample_weight: Optional per-sample weights (applied to the reconstruction term).
            training: Whether this is a training step.

        Returns:
            The scalar total loss.
        """
        total = super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )
        # The KL of this forward pass is the model's only added loss (no regularizers).
        losses = self.losses
        if losses:
            self.kl_tracker.update_state(ops.sum(ops.stack([ops.sum(loss) for loss in losses])))
        return total

    @property
    def latent_units(self) -> int:
        """The old name of ``code_units`` (deprecated; it goes in 0.8)."""
        warnings.warn("latent_units is code_units", DeprecationWarning, stacklevel=2)
        return self.code_units

    def get_config(self):
        """Returns the constructor arguments as plain JSON."""
        config = super().get_config()
        config.update(
            {
                "code_units": self.code_units,
                "seed": self.seed,
                "representation": self.representation,
            }
        )
        return config
