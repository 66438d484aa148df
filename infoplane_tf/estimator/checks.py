"""Argument checks of the estimator (plain Python and shape-only TensorFlow, before tracing)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from infoplane_tf.entropy_methods import ESTIMATORS
from infoplane_tf.estimator.kernels import flatten_samples
from infoplane_tf.validation import ParameterError, kernel_width, one_of, positive_float
from infoplane_tf.width_rules import default_gamma

_DTYPES = {"float32": tf.float32, "float64": tf.float64}


def check_alpha(alpha: float) -> float:
    """Returns ``alpha`` as a float; raises ValueError unless it is a finite number > 0."""
    return positive_float("alpha", alpha)


def check_gamma(gamma: float) -> float:
    """Returns ``gamma`` (the bandwidth scale of the 'paper' and 'scaled' rules) if > 0."""
    return positive_float("gamma", gamma)


def check_gammas(gamma, sigma) -> tuple[tuple[float, ...], bool]:
    """The width scales of ``gamma`` (a number, a sequence of numbers, or None for the rule's
    default) and whether it was a sequence; ValueError unless each is a finite number > 0."""
    if gamma is None:
        return (default_gamma(sigma),), False
    if isinstance(gamma, int | float | np.number):
        return (check_gamma(gamma),), False
    try:
        gammas = tuple(gamma)
    except TypeError:
        raise ParameterError(
            "gamma", f"must be a number > 0 or a list of them, got {gamma!r}"
        ) from None
    if not gammas:
        raise ParameterError("gamma", "must hold at least one width scale, got an empty list")
    return tuple(check_gamma(g) for g in gammas), True


def check_estimator(estimator: str) -> str:
    """``estimator`` if it names one of ``entropy_methods.ESTIMATORS``; ParameterError otherwise."""
    return one_of("estimator", estimator, ESTIMATORS)


def check_sigma(sigma: str | float) -> str | float:
    """Returns a valid kernel-width rule: one of ``SIGMA_RULES`` or a positive float."""
    return kernel_width("sigma", sigma)


def check_dtype(dtype: str | tf.DType, alpha: float) -> tf.DType:
    """The working precision for order ``alpha`` when ``dtype`` ("float32"/"float64") is asked.

    For α < 1 the result is always float64: Σ λ^α is then dominated by the tiny eigenvalues,
    whose float32 rounding costs more than the estimator's stated accuracy (see
    ``benchmarks/README.md``).
    """
    name = dtype.name if isinstance(dtype, tf.DType) else str(dtype)
    if name not in _DTYPES:
        raise ParameterError("dtype", f"must be 'float32' or 'float64', got {dtype!r}")
    return tf.float64 if alpha < 1.0 else _DTYPES[name]


def check_samples_shape(x, name: str) -> tf.Tensor:
    """Converts ``x`` to a numeric tensor of shape (n, ...) with n ≥ 2, without running any op.

    Raises:
        ValueError: ``x`` is not numeric, is a scalar or has fewer than 2 samples (rows); the
            message names ``name``.
    """
    tensor = tf.convert_to_tensor(x)
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype.is_bool):
        raise ParameterError(name, f"must hold numbers, got dtype {tensor.dtype.name}")
    if tensor.shape.rank is None or tensor.shape.rank < 1:
        raise ParameterError(name, f"must have shape (n_samples, ...), got shape {tensor.shape}")
    n = tensor.shape[0]
    if n is not None and n < 2:
        raise ParameterError(name, f"needs at least 2 samples (rows), got {n}")
    return tensor


def as_samples(x, name: str, dtype: tf.DType = tf.float64) -> tf.Tensor:
    """Converts ``x`` of shape (n, ...) into an (n, d) matrix of ``dtype``, one row per sample.

    Raises:
        ValueError: as ``check_samples_shape``, or (when its values are known, i.e. eagerly)
            ``x`` holds NaN or Inf. The message names ``name``.
    """
    tensor = tf.cast(check_samples_shape(x, name), dtype)
    if tf.executing_eagerly() and not bool(tf.reduce_all(tf.math.is_finite(tensor))):
        bad = int(tf.size(tensor)) - int(tf.math.count_nonzero(tf.math.is_finite(tensor)))
        raise ParameterError(name, f"contains {bad} non-finite value(s) (NaN or Inf)")
    return flatten_samples(tensor)


def check_same_samples(named: Mapping[str, tf.Tensor]) -> int:
    """Raises ValueError unless all tensors share their first dimension; returns it."""
    counts = {name: t.shape[0] for name, t in named.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in counts.items())
        raise ValueError(f"all variables need the same number of samples (rows): {listed}")
    return next(iter(counts.values()))


def check_labels(y_probe, n: int) -> tf.Tensor:
    """Class labels of n samples as a tensor: (n,) integers or (n, k) one-hot.

    Raises:
        ValueError (naming ``y_probe``): another dtype, rank or number of samples.
    """
    labels = tf.convert_to_tensor(y_probe)
    if not (labels.dtype.is_integer or labels.shape.rank == 2) or labels.shape.rank not in (1, 2):
        raise ParameterError(
            "y_probe",
            "must be integer class labels of shape (n,) or one-hot (n, k), "
            f"got dtype {labels.dtype.name} and shape {labels.shape}",
        )
    check_same_samples({"x_probe": tf.zeros([n, 0]), "y_probe": labels})
    return labels
