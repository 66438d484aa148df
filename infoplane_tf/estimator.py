"""Matrix-based Rényi α-order entropy and mutual information, in TensorFlow.

The estimator of Giraldo, Rao & Príncipe (2015), as used by Lee & Jo (2021) for the information
plane of autoencoders. For ``n`` samples of a variable (the rows of a matrix; inputs of any rank are
flattened per sample, the tensor-kernel view), the Gaussian Gram matrix
``K_ij = exp(-||x_i - x_j||² / (2σ²))`` is normalized to unit trace, ``A = K / tr(K)``, and

    S_α(A) = 1 / (1 - α) · log2(Σ_i λ_i(A)^α)          [bits, 0 ≤ S ≤ log2 n]

with the exact von Neumann limit ``-Σ λ log2 λ`` at α = 1. The joint entropy uses the
trace-normalized Hadamard product ``A_X ∘ A_T``, and ``I(X;T) = S(X) + S(T) - S(X,T)``.

Numerics (chosen by measurement, see ``benchmarks/estimator.py``): information-plane points use
float32 Gram matrices and spectra by default (1.7× faster than float64 on CPU and within 2e-5
bits of float64 at α ≥ 1, even on a collapsed representation). For α < 1 everything is
computed in float64 throughout: λ^α amplifies float32's rounding noise (~1e-7·λ_max) on the many
tiny eigenvalues, which costs up to 4e-3 bits. The scalar functions ``renyi_entropy`` and
``renyi_mutual_information`` default to float64 throughout. In either precision negative
eigenvalues (≈ -1e-9 for a collapsed representation, which would make Σ λ^α NaN) are clamped to 0
and the spectrum renormalized, so no finite input gives a NaN. Eigenvalues come from
``tf.linalg.eigvalsh`` (never under XLA: TF issues #50017 and #62461 report wrong eigensystems
there), and α = 2 uses Σ λ² = ||A||_F² with no eigendecomposition at all.

Class labels, when given, use the Kronecker-delta kernel ``K_ij = [y_i = y_j]``, so S(Y) is
exactly the Rényi entropy of the empirical class distribution.

References:
    L. G. Sanchez Giraldo, M. Rao, J. C. Príncipe, "Measures of Entropy From Data Using
    Infinitely Divisible Kernels", IEEE Trans. Inf. Theory 61(1), 2015.
    S. Lee, J. Jo, "Information Flows of Diverse Autoencoders", Entropy 23(7):862, 2021.
    A. Tapia, P. Estévez, "On the Information Plane of Autoencoders", IJCNN 2020.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

#: Names accepted by ``sigma`` besides a fixed positive float.
SIGMA_RULES = ("paper", "scaled", "median")

#: The paper's settings (Lee & Jo's code).
PAPER_ALPHA = 1.01
PAPER_GAMMA = 2.0

_DTYPES = {"float32": tf.float32, "float64": tf.float64}


# --------------------------------------------------------------------------------------------
# Argument checks (plain Python, before anything is traced)
# --------------------------------------------------------------------------------------------


def check_alpha(alpha: float) -> float:
    """Returns ``alpha`` as a float; raises ValueError unless it is a finite number > 0."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        raise ValueError(f"alpha must be a number > 0, got {alpha!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"alpha must be a finite number > 0, got {alpha!r}")
    return value


def check_sigma(sigma: str | float) -> str | float:
    """Returns a valid kernel-width rule: one of ``SIGMA_RULES`` or a positive float."""
    if isinstance(sigma, str):
        if sigma not in SIGMA_RULES:
            raise ValueError(
                f"sigma must be one of {', '.join(SIGMA_RULES)} or a positive number, got {sigma!r}"
            )
        return sigma
    try:
        value = float(sigma)
    except (TypeError, ValueError):
        raise ValueError(
            f"sigma must be one of {', '.join(SIGMA_RULES)} or a positive number, got {sigma!r}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"sigma must be a finite number > 0, got {sigma!r}")
    return value


def check_gamma(gamma: float) -> float:
    """Returns ``gamma`` (the bandwidth scale of the 'paper' and 'scaled' rules) if > 0."""
    try:
        value = float(gamma)
    except (TypeError, ValueError):
        raise ValueError(f"gamma must be a number > 0, got {gamma!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"gamma must be a finite number > 0, got {gamma!r}")
    return value


def check_dtype(dtype: str | tf.DType, alpha: float) -> tf.DType:
    """The working precision for order ``alpha`` when ``dtype`` ("float32"/"float64") is asked.

    For α < 1 the result is always float64: Σ λ^α is then dominated by the tiny eigenvalues,
    and float32 rounding of the Gram matrix and its spectrum costs up to 4e-3 bits (measured on
    smooth one-dimensional data), more than the 2e-3 bits we promise.
    """
    name = dtype.name if isinstance(dtype, tf.DType) else str(dtype)
    if name not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return tf.float64 if alpha < 1.0 else _DTYPES[name]


def check_samples_shape(x, name: str) -> tf.Tensor:
    """Converts ``x`` to a numeric tensor of shape (n, ...) with n ≥ 2, without running any op.

    Raises:
        ValueError: ``x`` is not numeric, is a scalar or has fewer than 2 samples (rows); the
            message names ``name``.
    """
    tensor = tf.convert_to_tensor(x)
    if not (tensor.dtype.is_floating or tensor.dtype.is_integer or tensor.dtype.is_bool):
        raise ValueError(f"{name} must hold numbers, got dtype {tensor.dtype.name}")
    if tensor.shape.rank is None or tensor.shape.rank < 1:
        raise ValueError(f"{name} must have shape (n_samples, ...), got shape {tensor.shape}")
    n = tensor.shape[0]
    if n is not None and n < 2:
        raise ValueError(f"{name} needs at least 2 samples (rows), got {n}")
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
        raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or Inf)")
    return flatten_samples(tensor)


def check_same_samples(named: Mapping[str, tf.Tensor]) -> int:
    """Raises ValueError unless all tensors share their first dimension; returns it."""
    counts = {name: t.shape[0] for name, t in named.items()}
    if len(set(counts.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in counts.items())
        raise ValueError(f"all variables need the same number of samples (rows): {listed}")
    return next(iter(counts.values()))


# --------------------------------------------------------------------------------------------
# Pure TensorFlow building blocks (graph-safe, no Python-side value checks)
# --------------------------------------------------------------------------------------------


def flatten_samples(x: tf.Tensor) -> tf.Tensor:
    """Reshapes (n, ...) to (n, d): images and feature maps become vectors (tensor-kernel view)."""
    if x.shape.rank == 2:
        return x
    if x.shape.rank == 1:
        return x[:, None]
    if x.shape[1:].is_fully_defined():  # keep the width static: the width rules need it
        n = -1 if x.shape[0] is None else x.shape[0]
        return tf.reshape(x, [n, int(np.prod(x.shape[1:]))])
    return tf.reshape(x, [tf.shape(x)[0], -1])


def squared_distances(x: tf.Tensor) -> tf.Tensor:
    """Squared Euclidean distances between rows: x (..., n, d) → (..., n, n), zero diagonal.

    Assumes x is centered (``center_and_scale``), which removes most of the cancellation in
    |a|² + |b|² - 2 a·b.
    """
    norms = tf.reduce_sum(tf.square(x), axis=-1)
    scale = norms[..., :, None] + norms[..., None, :]
    d2 = scale - 2.0 * tf.matmul(x, x, transpose_b=True)
    # Values within rounding of zero (identical rows) are zero: otherwise a tiny kernel width
    # turns that rounding noise into spurious structure.
    rounding = 8.0 * np.finfo(x.dtype.as_numpy_dtype).eps * scale
    d2 = tf.where(d2 > rounding, d2, tf.zeros_like(d2))
    return tf.linalg.set_diag(d2, tf.zeros_like(norms))


def center_and_scale(x: tf.Tensor):
    """Centers the columns of x (..., n, d) and divides each matrix by its largest |value|.

    Distances are translation invariant, and in these units squared distances cannot overflow
    (finite inputs up to the dtype's maximum stay finite). Returns ``(x / unit, unit)`` with
    ``unit`` of shape (...,).
    """
    x = x - tf.reduce_mean(x, axis=-2, keepdims=True)
    unit = tf.reduce_max(tf.abs(x), axis=[-2, -1])
    unit = tf.where(unit > 0, unit, tf.ones_like(unit))
    return x / unit[..., None, None], unit


def standardize_features(x: tf.Tensor) -> tf.Tensor:
    """Z-scores every column of x (..., n, d); constant columns become 0 instead of NaN."""
    mean, variance = tf.nn.moments(x, axes=[-2], keepdims=True)
    return tf.math.divide_no_nan(x - mean, tf.sqrt(variance))


def _median_distance(d2: tf.Tensor) -> tf.Tensor:
    """Median Euclidean distance over the pairs i < j of an (n, n) squared-distance matrix."""
    n = d2.shape[-1]
    rows, cols = np.triu_indices(n, k=1)
    distances = tf.sort(tf.sqrt(tf.gather(tf.reshape(d2, [n * n]), rows * n + cols)))
    m = len(rows)
    # Mean of the two middle values for an even count (both the same index for odd counts).
    return tf.reduce_mean(tf.gather(distances, [(m - 1) // 2, m // 2]))


def gaussian_gram(x: tf.Tensor, sigma: str | float = "paper", gamma: float = PAPER_GAMMA):
    """Gaussian Gram matrix of the rows of x and the kernel width used.

    Args:
        x: (n, d) float tensor with static shape, one sample per row (see
            ``flatten_samples``).
        sigma: kernel-width rule: ``"paper"`` (σ = γ·n^(-1/(4+d)) on raw values),
            ``"scaled"`` (z-score each feature, then σ = γ·√d·n^(-1/(4+d))), ``"median"``
            (median pairwise distance), or a fixed positive float.
        gamma: the scale γ of the 'paper' and 'scaled' rules.

    Returns:
        ``(K, sigma)``: K of shape (n, n) with unit diagonal, and σ as a scalar tensor (in the
        units of x, after z-scoring for 'scaled'). Finite for every finite x: a zero median
        width gives K = [x_i = x_j], a width that dwarfs the data gives K = 1.
    """
    n, d = int(x.shape[0]), int(x.shape[1])
    if sigma == "scaled":
        x = standardize_features(x)
    if sigma in ("paper", "scaled"):
        width = gamma * n ** (-1.0 / (4.0 + d))  # Lee & Jo's code (a Silverman-like rule)
        width = tf.constant(width * math.sqrt(d) if sigma == "scaled" else width, x.dtype)
    elif sigma != "median":
        width = tf.constant(float(sigma), x.dtype)
    x, unit = center_and_scale(x)
    d2 = squared_distances(x)  # in units of unit²
    if sigma == "median":
        width = unit * _median_distance(d2)
    # d2 / (2 (σ/unit)²), with 0/0 := 0 (identical rows) and d/0 = inf (K = 0).
    ratio = tf.where(d2 > 0, d2 / (2.0 * tf.square(width / unit)), tf.zeros_like(d2))
    return tf.exp(-ratio), width


def label_gram(labels: tf.Tensor, dtype: tf.DType = tf.float64) -> tf.Tensor:
    """Kronecker-delta Gram matrix of class labels: (n,) integers or (n, k) one-hot → (n, n)."""
    if labels.shape.rank == 2:
        labels = tf.argmax(labels, axis=1)
    labels = tf.reshape(labels, [-1])
    return tf.cast(tf.equal(labels[:, None], labels[None, :]), dtype)


def normalize_kernels(kernels: tf.Tensor) -> tf.Tensor:
    """A = K / tr(K), symmetrized: (..., n, n) PSD kernel matrices → unit-trace matrices."""
    a = kernels / tf.linalg.trace(kernels)[..., None, None]
    return 0.5 * (a + tf.linalg.matrix_transpose(a))


def spectral_entropy(a: tf.Tensor, alpha: float, eigvalsh=tf.linalg.eigvalsh) -> tf.Tensor:
    """Rényi α-entropy in bits of unit-trace symmetric PSD matrices a (..., n, n) → (...,).

    Negative eigenvalues (rounding noise of a collapsed representation) are clamped to 0 and
    the spectrum renormalized, so the result is finite for every finite input.

    Args:
        a: normalized matrices (see ``normalize_kernels``).
        alpha: the order α > 0, a Python float (it selects the code path when traced).
        eigvalsh: the eigenvalue routine, (..., n, n) → (..., n); ``tf.linalg.eigvalsh`` unless
            a caller needs the spectra taken differently (the callback's worker takes them one
            matrix at a time, on one core).
    """
    if alpha == 2.0:
        # Σ λ² = tr(A²) = ||A||_F² for symmetric A: no eigendecomposition needed.
        return -tf.math.log(tf.reduce_sum(tf.square(a), axis=[-2, -1])) / math.log(2.0)
    eigenvalues = tf.maximum(eigvalsh(a), 0.0)
    eigenvalues = eigenvalues / tf.reduce_sum(eigenvalues, axis=-1, keepdims=True)
    if alpha == 1.0:
        tiny = tf.constant(np.finfo(eigenvalues.dtype.as_numpy_dtype).tiny, eigenvalues.dtype)
        plogp = eigenvalues * tf.math.log(tf.maximum(eigenvalues, tiny))
        return -tf.reduce_sum(plogp, axis=-1) / math.log(2.0)
    power_sum = tf.reduce_sum(tf.pow(eigenvalues, alpha), axis=-1)
    return tf.math.log(power_sum) / ((1.0 - alpha) * math.log(2.0))


def entropy_of_kernels(kernels: tf.Tensor, alpha: float) -> tf.Tensor:
    """Rényi α-entropy in bits of a batch of PSD kernel matrices, each normalized to unit trace.

    Args:
        kernels: (..., n, n) symmetric positive semi-definite matrices (Gram matrices or their
            Hadamard products); they need not be normalized.
        alpha: the order α > 0, a Python float (it selects the code path when traced).

    Returns:
        (...,) entropies in bits, each in [0, log2 n]; finite for every finite input.
    """
    return spectral_entropy(normalize_kernels(kernels), alpha)


# --------------------------------------------------------------------------------------------
# Public scalar functions
# --------------------------------------------------------------------------------------------


def renyi_entropy(
    x,
    alpha: float = PAPER_ALPHA,
    sigma: str | float = "paper",
    gamma: float = PAPER_GAMMA,
    *,
    dtype: str = "float64",
) -> tf.Tensor:
    """Matrix-based Rényi α-order entropy S_α(X) of the samples in ``x``.

    Args:
        x: array or tensor of shape (n, ...), n ≥ 2 samples; flattened to (n, d).
        alpha: order α > 0 (default 1.01, the paper's); α = 1 is the von Neumann entropy.
        sigma: kernel-width rule, see ``gaussian_gram``.
        gamma: scale γ of the 'paper' and 'scaled' rules.
        dtype: precision of the Gram matrix and spectrum, "float64" (default) or "float32".

    Returns:
        A scalar tensor of ``dtype`` in bits (``float()`` accepts it), in [0, log2 n].

    Raises:
        ValueError: NaN/Inf in x, fewer than 2 samples, α ≤ 0, σ ≤ 0 or an unknown rule.

    Example:
        >>> float(renyi_entropy(np.eye(8), sigma=1e-3))  # doctest: +ELLIPSIS
        3.0...
    """
    alpha, sigma, gamma = check_alpha(alpha), check_sigma(sigma), check_gamma(gamma)
    k, _ = gaussian_gram(as_samples(x, "x", check_dtype(dtype, alpha)), sigma, gamma)
    return entropy_of_kernels(k, alpha)


def renyi_mutual_information(
    x,
    y,
    alpha: float = PAPER_ALPHA,
    sigma: str | float = "paper",
    gamma: float = PAPER_GAMMA,
    *,
    dtype: str = "float64",
) -> tf.Tensor:
    """Matrix-based Rényi mutual information I_α(X;Y) = S(X) + S(Y) - S(X,Y).

    Args:
        x: (n, ...) samples of X; y: (n, ...) samples of Y, row i paired with row i of x.
        alpha, sigma, gamma, dtype: as in ``renyi_entropy``; each variable gets its own width
            by the same rule.

    Returns:
        A scalar tensor of ``dtype`` in bits; 0 ≤ I ≤ min(S(X), S(Y)) up to rounding.

    Raises:
        ValueError: as ``renyi_entropy``, plus x and y with different numbers of samples.
    """
    alpha, sigma, gamma = check_alpha(alpha), check_sigma(sigma), check_gamma(gamma)
    dtype = check_dtype(dtype, alpha)
    x, y = as_samples(x, "x", dtype), as_samples(y, "y", dtype)
    check_same_samples({"x": x, "y": y})
    k_x, _ = gaussian_gram(x, sigma, gamma)
    k_y, _ = gaussian_gram(y, sigma, gamma)
    h = entropy_of_kernels(tf.stack([k_x, k_y, k_x * k_y]), alpha)
    return h[0] + h[1] - h[2]


# --------------------------------------------------------------------------------------------
# One compiled call per information-plane point
# --------------------------------------------------------------------------------------------


def _point_matrices(tensors, k_x, k_y, sigma, gamma):
    """Every normalized n × n matrix of an information-plane point, the widths, a finite flag.

    Args:
        tensors: L + 1 matrices (n, d_l): the layers T_1..T_L, then the output X'.
        k_x: (n, n) Gram matrix of the probe X; k_y: (n, n) label Gram matrix or None.
        sigma, gamma: the kernel-width rule and its scale (see ``gaussian_gram``).

    Returns:
        ``(A, widths, finite)``: A of shape (3L + 1 [+ L with labels], n, n) in the order
        T_1..T_L, X', (X,T_l)..., (T_l,X')..., (T_l,Y)...; widths (L + 1,); finite a bool
        scalar. Non-finite inputs give identity/n matrices (eigvalsh would fail on NaN).
    """
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors])
    grams, widths = zip(*(gaussian_gram(t, sigma, gamma) for t in tensors), strict=True)
    grams, widths = tf.stack(grams), tf.stack(widths)
    n_layers = len(tensors) - 1
    layer_grams, k_out = grams[:n_layers], grams[n_layers]
    batch = [grams, k_x * layer_grams, layer_grams * k_out]
    if k_y is not None:
        batch.append(layer_grams * k_y)
    batch = normalize_kernels(tf.concat(batch, axis=0))
    n = k_x.shape[0]
    return tf.where(finite, batch, tf.eye(n, dtype=batch.dtype) / n), widths, finite


# The matrices of a point (Gram matrices and Hadamard products: ~30 small ops per layer) are
# fused by XLA, which halves their cost on CPU; the eigendecomposition stays outside XLA. One
# module-level function, so every InformationPlane with the same shapes shares the compilation.
_point_matrices_xla = tf.function(_point_matrices, jit_compile=True)


class InformationPlane:
    """Computes whole information-plane points for a fixed probe set, one compiled call each.

    The probe input X (and labels Y) are fixed during training, so their Gram matrices and
    entropies are computed once here. Each point then builds the Gram matrices of the layers
    T_1..T_L and of the output X', and sends every n × n matrix of the point (L marginals, X',
    L joints with X, L joints with X', and L joints with Y when labels are given) through a
    single batched ``eigvalsh``.

    Args:
        x_probe: (n, ...) probe inputs X, n ≥ 2, finite.
        y_probe: optional (n,) integer class labels (or (n, k) one-hot) for I(T;Y).
        alpha: Rényi order α > 0 (paper: 1.01).
        sigma: kernel-width rule for every variable, see ``gaussian_gram`` (paper: "paper").
        gamma: scale γ of the 'paper' and 'scaled' rules (paper: 2).
        dtype: precision of Gram matrices and spectra, "float32" (default) or "float64"; for
            α < 1 the computation is float64 in either case (see ``check_dtype``).
        run_eagerly: skip ``tf.function`` (for debugging).

    Attributes:
        n: number of probe samples; ``log2(n)`` bounds every entropy.
        h_x: S(X) in bits (float); sigma_x: σ used for X (float).
        trace_count: how many times the point function has been traced.

    Example:
        >>> plane = InformationPlane(x_probe)
        >>> point = plane([hidden, code], reconstruction)
        >>> point["i_xt"]  # (2,) bits: I(X;hidden), I(X;code)
    """

    def __init__(
        self,
        x_probe,
        y_probe=None,
        *,
        alpha: float = PAPER_ALPHA,
        sigma: str | float = "paper",
        gamma: float = PAPER_GAMMA,
        dtype: str = "float32",
        run_eagerly: bool = False,
    ):
        self.alpha = check_alpha(alpha)
        self.sigma = check_sigma(sigma)
        self.gamma = check_gamma(gamma)
        self.dtype = check_dtype(dtype, self.alpha)
        x = as_samples(x_probe, "x_probe", self.dtype)
        self.n = int(x.shape[0])
        self._k_x, sigma_x = gaussian_gram(x, self.sigma, self.gamma)
        self.sigma_x = float(sigma_x)
        self.h_x = float(entropy_of_kernels(self._k_x, self.alpha))
        self._k_y = None
        self.h_y = None
        if y_probe is not None:
            labels = tf.convert_to_tensor(y_probe)
            check_same_samples({"x_probe": x, "y_probe": labels})
            if not (labels.dtype.is_integer or labels.shape.rank == 2):
                raise ValueError(
                    "y_probe must be integer class labels of shape (n,) or one-hot (n, k), "
                    f"got dtype {labels.dtype.name} and shape {labels.shape}"
                )
            self._k_y = label_gram(labels, self.dtype)
            self.h_y = float(entropy_of_kernels(self._k_y, self.alpha))
        self.trace_count = 0
        self._matrices = _point_matrices if run_eagerly else _point_matrices_xla
        self._compiled = self.point if run_eagerly else tf.function(self.point)

    @property
    def has_labels(self) -> bool:
        """Whether I(T;Y) is computed (labels were given)."""
        return self._k_y is not None

    def settings(self) -> dict:
        """The estimator settings as plain JSON-ready values (recorded with every result)."""
        return {
            "estimator": "matrix-renyi",
            "alpha": self.alpha,
            "sigma_rule": self.sigma,
            "gamma": self.gamma,
            "dtype": self.dtype.name,
            "n_probe": self.n,
            "h_x": self.h_x,
            "sigma_x": self.sigma_x,
            "h_y": self.h_y,
        }

    def point(self, representations: Sequence[tf.Tensor], output: tf.Tensor) -> dict:
        """The information-plane point as pure TensorFlow (safe to call inside a tf.function).

        Non-finite activations do not propagate: the point is computed on placeholder matrices
        and reported through ``finite`` so the caller can discard it.

        Args:
            representations: L tensors T_l of shapes (n, ...), widths may differ.
            output: the model's output X' on the probe, (n, ...).

        Returns:
            A dict of tensors: ``i_xt``, ``i_ty`` (I(T;X')), ``h_t``, ``sigma`` of shape (L,)
            in bits (σ in activation units), ``i_ty_label`` (L,) when labels were given,
            scalars ``h_output`` and ``sigma_output``, and the boolean scalar ``finite``.
        """
        self.trace_count += 1  # Python side effect: runs once per trace, not per call.
        tensors = self._as_matrices(representations, output)
        matrices = self._matrices(tensors, self._k_x, self._k_y, self.sigma, self.gamma)
        return self.point_from_matrices(*matrices)

    def point_matrices(self, representations: Sequence[tf.Tensor], output: tf.Tensor):
        """The first half of ``point``, everything before the eigendecomposition.

        Pure TensorFlow without XLA of its own, so a caller may compile it under XLA together
        with the forward pass that produces the activations (``InfoPlaneCallback`` does);
        ``point_from_matrices`` then finishes the point outside XLA.

        Returns:
            ``(A, widths, finite)`` as documented in ``_point_matrices``.
        """
        tensors = self._as_matrices(representations, output)
        return _point_matrices(tensors, self._k_x, self._k_y, self.sigma, self.gamma)

    def point_from_matrices(self, batch, widths, finite) -> dict:
        """The second half of ``point``: one batched eigvalsh and the information quantities.

        Args:
            batch, widths, finite: from ``point_matrices``.

        Returns:
            The dict of ``point``.
        """
        return self.point_from_entropies(spectral_entropy(batch, self.alpha), widths, finite)

    def point_from_entropies(self, h, widths, finite) -> dict:
        """The information quantities from the entropies of a point's matrices.

        Works on one point or on a stack of points (leading axes), so that a caller which
        estimated the matrices of several points at once can finish them together.

        Args:
            h: (..., M) entropies in bits of the matrices of ``point_matrices``, in their order
                (M = 3L + 1, or 4L + 1 with labels).
            widths: (..., L + 1) kernel widths; finite: (...) bool flags.

        Returns:
            The dict of ``point``, each value with the leading axes of ``h``.
        """
        n_layers = int(widths.shape[-1]) - 1
        h_t, h_out = h[..., :n_layers], h[..., n_layers]
        h_xt = h[..., n_layers + 1 : 2 * n_layers + 1]
        h_to = h[..., 2 * n_layers + 1 : 3 * n_layers + 1]
        result = {
            "i_xt": self.h_x + h_t - h_xt,
            "i_ty": h_t + h_out[..., None] - h_to,
            "h_t": h_t,
            "sigma": widths[..., :n_layers],
            "h_output": h_out,
            "sigma_output": widths[..., n_layers],
            "finite": finite,
        }
        if self.has_labels:
            result["i_ty_label"] = h_t + self.h_y - h[..., 3 * n_layers + 1 :]
        return result

    def _as_matrices(self, representations, output) -> list[tf.Tensor]:
        """The layers and the output as (n, d) matrices of the working precision.

        The sample count is pinned to the probe's n (a layer may not know its batch size
        statically, e.g. after ``tf.numpy_function``), which the kernel-width rules need.
        """
        tensors = []
        for t in [*representations, output]:
            t = tf.cast(t, self.dtype)
            t = flatten_samples(tf.ensure_shape(t, [self.n, *t.shape[1:]]))
            if t.shape[1] is None:
                raise ValueError(f"layer activations need a known width, got shape {t.shape}")
            tensors.append(t)
        return tensors

    def __call__(self, representations, output) -> dict:
        """Validates the inputs, then computes one point with the compiled function.

        Shapes are checked in Python; finiteness is checked inside the compiled call (one
        fused reduction instead of several eager ops per tensor) and reported afterwards.

        Args:
            representations: a sequence of L arrays (n, ...) or a mapping name → array (its
                values are used in order).
            output: the model's output X' on the probe, (n, ...).

        Returns:
            The dict of ``point`` (tensors; bits).

        Raises:
            ValueError: NaN/Inf in any input (named), or a sample count different from the probe.
        """
        if isinstance(representations, Mapping):
            named = {f"representation {k!r}": v for k, v in representations.items()}
        else:
            named = {f"representations[{i}]": v for i, v in enumerate(representations)}
        if not named:
            raise ValueError("representations must hold at least one layer, got none")
        named["output"] = output
        tensors = {name: check_samples_shape(v, name) for name, v in named.items()}
        check_same_samples({"x_probe": self._k_x, **tensors})
        *layers, out = tensors.values()
        result = self._compiled(layers, out)
        if not bool(result["finite"]):
            bad = [
                name
                for name, t in tensors.items()
                if not bool(tf.reduce_all(tf.math.is_finite(tf.cast(t, self.dtype))))
            ]
            raise ValueError(f"non-finite values (NaN or Inf) in {', '.join(bad)}")
        return result
