"""Whole information-plane points for a fixed probe set: one compiled point function.

A point measures L representations T_1..T_L and the network's output X' on the same n probe
inputs X (and their labels Y). It needs M = 3L + 1 unit-trace n × n matrices (4L + 1 with
labels), laid out as ``PointLayout`` says, whose entropies give I(X;T), I(T;X') and I(T;Y).
``PointFunction`` computes P points per call: a ``forward`` turns the call's inputs into the
activations, the matrices are built in one XLA computation, and their spectra are taken outside
XLA (TF issues #50017, #62461). ``InformationPlane.__call__`` (the user path, activations
given) and ``InfoPlaneCallback`` (the training path, weight snapshots given) both go through it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from functools import partial
from typing import NamedTuple, Protocol

import tensorflow as tf

from infoplane_tf.catalog import MATRIX_BUDGET_BYTES, PAPER
from infoplane_tf.entropy_methods import ENTROPY_METHODS, check_tolerance, matrix_tolerance
from infoplane_tf.estimator.checks import (
    as_samples,
    check_alpha,
    check_dtype,
    check_estimator,
    check_gammas,
    check_labels,
    check_same_samples,
    check_samples_shape,
    check_sigma,
)
from infoplane_tf.estimator.entropies import estimate_entropies, matrix_entropies
from infoplane_tf.estimator.kernels import (
    class_blocks,
    diagonal_blocks,
    finite_points,
    flatten_samples,
    gaussian_grams,
    label_gram,
    normalize_kernels,
)
from infoplane_tf.estimator.spectra import (
    block_diagonal_entropy,
    eigvalsh_one_at_a_time,
    entropy_of_kernels,
)
from infoplane_tf.estimator.streamed import streamed_entropies
from infoplane_tf.validation import ParameterError
from infoplane_tf.width_rules import RULES


class ProbeKernels(NamedTuple):
    """What every point of one probe shares: the Gram matrices and entropies of X (one per
    width scale γ) and Y, the samples of each class, and optionally the layers' widths, given
    instead of a rule's."""

    k_x: tf.Tensor  # (G, n, n)
    h_x: tf.Tensor  # (G,) bits
    k_y: tf.Tensor | None = None  # (n, n) label kernel
    h_y: tf.Tensor | None = None  # () bits
    widths: tf.Tensor | None = None  # (P, L + 1) base widths σ₁ of T_1..T_L, X' per point
    classes: tf.Tensor | None = None  # (C, b) int32, see kernels.class_blocks


@dataclasses.dataclass(frozen=True)
class PointLayout:
    """The order of a point's matrices: T_1..T_L, X', (X,T_l)..., (T_l,X')..., (T_l,Y)...

    The joint matrices are Hadamard products of Gram matrices (normalized afterwards).
    """

    n_layers: int
    labels: bool

    @property
    def size(self) -> int:
        """M, the number of matrices of one point."""
        return (4 if self.labels else 3) * self.n_layers + 1

    def values(
        self, h: tf.Tensor, widths: tf.Tensor, finite, probe: ProbeKernels, errors=None
    ) -> dict:
        """The points' quantities from the entropies h (P, G, M) of their matrices, in bits.

        Returns ``i_xt``, ``i_t_out``, ``h_t``, ``sigma`` (P, G, L), ``i_t_label`` (P, G, L)
        with labels, ``h_output`` and ``sigma_output`` (P, G), and the bool ``finite`` (P,).
        With ``errors`` = (error (P, G, M) of h, method (P,)) of an approximate estimator, also
        ``i_xt_error``, ``i_t_out_error`` [, ``i_t_label_error``]: the errors of the entropies
        each value combines added in quadrature (their probes are independent; S(X) and S(Y)
        are exact), and ``method``, all (P, G, L).
        """
        n = self.n_layers
        h_t, h_out = h[..., :n], h[..., n]
        result = {
            "i_xt": probe.h_x[:, None] + h_t - h[..., n + 1 : 2 * n + 1],
            "i_t_out": h_t + h_out[..., None] - h[..., 2 * n + 1 : 3 * n + 1],
            "h_t": h_t,
            "sigma": widths[..., :n],
            "h_output": h_out,
            "sigma_output": widths[..., n],
            "finite": finite,
        }
        if self.labels:
            result["i_t_label"] = h_t + probe.h_y - h[..., 3 * n + 1 :]
        if errors is not None:
            error, method = errors
            s_t, s_out = tf.square(error[..., :n]), tf.square(error[..., n])
            joint = tf.square(error[..., n + 1 :])
            result["i_xt_error"] = tf.sqrt(s_t + joint[..., :n])
            result["i_t_out_error"] = tf.sqrt(s_t + s_out[..., None] + joint[..., n : 2 * n])
            if self.labels:
                result["i_t_label_error"] = tf.sqrt(s_t + joint[..., 2 * n :])
            method = tf.cast(method, h.dtype)[:, None, None]
            result["method"] = tf.broadcast_to(method, tf.shape(s_t))
        return result


def point_matrices(tensors: Sequence[tf.Tensor], probe: ProbeKernels, sigma, gammas):
    """The matrices of P points at G width scales, their kernel widths and a finite flag.

    Args:
        tensors: L + 1 tensors (P, n, d_l): the layers T_1..T_L, then the output X'.
        probe: the probe's kernels (its ``widths``, when given, replace the rule's σ₁).
        sigma, gammas: the width rule and its G scales (see ``gaussian_grams``).

    Returns:
        ``(A, widths, finite)``: A (P, G, M, n, n) in ``PointLayout`` order, widths
        (P, G, L + 1), finite (P,) bool. A point with non-finite activations gets identity/n
        matrices (eigvalsh fails on NaN) and ``finite`` False.
    """
    finite = finite_points(tensors)
    grams, widths = zip(
        *(
            gaussian_grams(
                t,
                sigma,
                gammas,
                k_y=probe.k_y,
                base_width=None if probe.widths is None else probe.widths[:, j],
            )
            for j, t in enumerate(tensors)
        ),
        strict=True,
    )
    grams, widths = tf.stack(grams, axis=2), tf.stack(widths, axis=2)
    n_layers = len(tensors) - 1
    layer_grams, k_out = grams[:, :, :n_layers], grams[:, :, n_layers:]
    parts = [grams, probe.k_x[:, None] * layer_grams, layer_grams * k_out]
    if probe.k_y is not None:
        parts.append(layer_grams * probe.k_y)
    a = normalize_kernels(tf.concat(parts, axis=2))
    n = probe.k_x.shape[-1]
    placeholder = tf.eye(n, dtype=a.dtype) / n
    return tf.where(finite[:, None, None, None, None], a, placeholder), widths, finite


# One module-level XLA function: every point function whose matrices have the same shapes and
# settings shares its compilation, whatever model produced the activations. No autograph: the
# code has no tensor-dependent Python control flow, and converting it (and every Keras layer a
# forward pass calls) costs more than a second per new model (see benchmarks/README.md).
_point_matrices_xla = tf.function(point_matrices, jit_compile=True, autograph=False)


class Forward(Protocol):
    """What a ``PointFunction`` measures: its call's inputs → P points' activations."""

    def __call__(self, *inputs) -> tuple[list[tf.Tensor], tf.Tensor]:
        """The L layers' activations (P, n, ...) and the output (P, n, ...)."""


def activations_forward(layers, output):
    """The ``Forward`` of ``InformationPlane.__call__``: one point of given activations."""
    return [t[None] for t in layers], output[None]


class PointFunction:
    """The compiled estimator of P points at a time for one plane and one ``forward``.

    ``f(probe, *inputs)`` returns the dict of ``PointLayout.values`` with a leading axis of P
    points, for the ``ProbeKernels`` ``probe`` (passed, not captured, so that every probe of the
    same shape shares the function). Equal shapes (with labels, and class make-up, ``classes``)
    never retrace. The forward pass runs in the graph; the matrices are compiled by XLA (one
    fused computation instead of ~30 small ops per layer); the spectra are taken outside XLA,
    where ``eigvalsh`` is reliable (TF #50017, #62461). With labels, the exact spectra of the
    (T_l, Y) matrices come from their class blocks (``kernels.class_blocks``).

    Args:
        plane: the ``InformationPlane`` whose settings (α, width rule, precision, n) it uses.
        forward: a ``Forward``.
        one_core: take the spectra one matrix after another on one thread (for a background
            estimator), instead of one batched ``eigvalsh`` spread over every core.
    """

    def __init__(self, plane: InformationPlane, forward: Forward, *, one_core: bool = False):
        self.plane, self.forward, self.one_core = plane, forward, one_core
        self.trace_count = 0
        eager = plane.run_eagerly
        self._matrices = point_matrices if eager else _point_matrices_xla
        self._call = self._estimate if eager else tf.function(self._estimate, autograph=False)
        self.spectra_in_float64 = plane.dtype == tf.float64

    def _estimate(self, inputs, probe, spectra_in_float64=False):
        self.trace_count += 1  # Python side effect: runs once per trace, not per call
        layers, output = self.forward(*inputs)
        tensors = [self.plane.as_points(t) for t in [*layers, output]]
        plane = self.plane
        eigvalsh = eigvalsh_one_at_a_time if self.one_core else tf.linalg.eigvalsh
        tolerance = None if plane.tolerance is None else matrix_tolerance(plane.tolerance)

        def estimate(a, entropies=estimate_entropies, seed=0):
            a = tf.cast(a, tf.float64) if spectra_in_float64 else a
            return entropies(a, plane.estimator, plane.alpha, eigvalsh, seed, tolerance)

        layout = PointLayout(len(layers), probe.k_y is not None)
        if (tensors[0].shape[0] or 1) * plane.point_bytes(len(layers)) > MATRIX_BUDGET_BYTES:
            finite = finite_points(tensors)
            h, error, method, widths = streamed_entropies(
                tensors,
                probe,
                plane.sigma,
                plane.gammas,
                finite,
                partial(estimate, entropies=matrix_entropies),
                compiled=not plane.run_eagerly,
            )
        else:
            # γ as a tensor: planes that differ only in γ share one XLA compilation
            gammas = tf.constant(plane.gammas, plane.dtype)
            unlabelled = probe._replace(classes=None)  # any class make-up: one compilation
            a, widths, finite = self._matrices(tensors, unlabelled, plane.sigma, gammas)
            if probe.classes is None or plane.estimator != "exact":
                h, error, method = estimate(a)
            else:  # the (T_l, Y) matrices, last, are block diagonal by class
                h, error, method = estimate(a[:, :, : -layout.n_layers])
                joints = diagonal_blocks(a[:, :, -layout.n_layers :], probe.classes)
                joints = tf.cast(joints, tf.float64) if spectra_in_float64 else joints
                h_joint = tf.cast(block_diagonal_entropy(joints, plane.alpha, eigvalsh), h.dtype)
                h = tf.concat([h, h_joint], 2)
                error = tf.concat([error, tf.zeros_like(h_joint)], 2)
        h, error = tf.cast(h, plane.dtype), tf.cast(error, plane.dtype)
        errors = (error, method) if ENTROPY_METHODS[plane.estimator].approximate else None
        values = layout.values(h, widths, finite, probe, errors)
        if plane.grid:
            return values
        return {key: v if key == "finite" else v[:, 0] for key, v in values.items()}

    def concrete_function(self, probe: ProbeKernels, *inputs):
        """The traced graph for these inputs (to inspect what runs where)."""
        return self._call.get_concrete_function(inputs, probe)

    def __call__(self, probe: ProbeKernels, *inputs) -> dict:
        if self.spectra_in_float64:
            return self._call(inputs, probe, True)
        try:
            return self._call(inputs, probe)
        except tf.errors.InvalidArgumentError as error:
            if "eigen decomposition" not in str(error):
                raise
            # float32 eigvalsh does not converge on some nearly degenerate matrices: take this
            # function's spectra in float64 from now on (the matrices stay in the plane's dtype).
            self.spectra_in_float64 = True
            return self._call(inputs, probe, True)


class InformationPlane:
    """Computes whole information-plane points for a fixed probe set, one compiled call each.

    The probe input X (and labels Y) are fixed, so their Gram matrices and entropies are
    computed once here. Each point then builds the Gram matrices of the layers T_1..T_L and of
    the output X', and takes the spectra of every n × n matrix of the point in one call.

    Args:
        x_probe: (n, ...) probe inputs X, n ≥ 2, finite.
        y_probe: optional (n,) integer class labels (or (n, k) one-hot) for I(T;Y).
        alpha: Rényi order α > 0 (paper: 1.01).
        sigma: kernel-width rule for every variable, see ``gaussian_grams`` (paper: "paper").
        gamma: the width scale γ (σ = γ·σ₁), or a sequence of G scales for a width map (then
            every value of a point has an axis of G after the point axis). None: the rule's
            default (``width_rules.default_gamma``; the paper's 2 for its rule).
        dtype: precision of Gram matrices and spectra, "float32" (default) or "float64"; for
            α < 1 the computation is float64 in either case (see ``check_dtype``).
        estimator: how the points' entropies are computed, a name of ``entropy_methods.ESTIMATORS``:
            "exact" (default), "auto", "slq", "nystrom" or "identity"
            (``estimator.approximate``). Other than exact, every point also gets error
            estimates (``i_xt_error`` ...) and the code of its ``method``. S(X) and S(Y), once
            per probe, stay exact.
        tolerance: for "slq" and "auto", the error estimate in bits every information value
            of a point should reach: the work per matrix grows until it does or its budget is
            spent (``estimator.slq``). None: "slq" spends a fixed work, "auto" aims at
            ``entropy_methods.ENTROPY_METHODS["auto"].tolerance``.
        run_eagerly: skip ``tf.function`` and XLA (for debugging).

    Attributes:
        n: number of probe samples; ``log2(n)`` bounds every entropy.
        h_x: S(X) in bits; sigma_x: σ used for X (floats, lists of G for a width map);
        h_y: S(Y) or None. gammas: the G scales; grid: whether ``gamma`` was a sequence.
        probe: the ``ProbeKernels`` every point uses.
        point_function: the ``PointFunction`` of ``__call__``.
        trace_count: how many times it has been traced.

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
        alpha: float = PAPER.alpha,
        sigma: str | float = PAPER.sigma,
        gamma: float | Sequence[float] | None = None,
        dtype: str = "float32",
        estimator: str = "exact",
        tolerance: float | None = None,
        run_eagerly: bool = False,
    ):
        self.alpha = check_alpha(alpha)
        self.estimator = check_estimator(estimator)
        self.tolerance = check_tolerance(tolerance, self.estimator)
        self.sigma = check_sigma(sigma)
        self.gammas, self.grid = check_gammas(gamma, self.sigma)
        self.dtype = check_dtype(dtype, self.alpha)
        self.run_eagerly = bool(run_eagerly)
        x = as_samples(x_probe, "x_probe", self.dtype)
        self.n = int(x.shape[0])
        k_y = h_y = classes = None
        if y_probe is not None:
            labels = check_labels(y_probe, self.n)
            k_y, classes = label_gram(labels, self.dtype), class_blocks(labels, self.n)
            h_y = entropy_of_kernels(k_y, self.alpha)
        elif isinstance(self.sigma, str) and RULES[self.sigma].needs_labels:
            raise ParameterError("sigma", f"{self.sigma!r} needs class labels: give y_probe")
        k_x, sigma_x = gaussian_grams(x, self.sigma, self.gammas, k_y=k_y)
        h_x = entropy_of_kernels(k_x, self.alpha)
        self.probe = ProbeKernels(k_x, h_x, k_y, h_y, classes=classes)
        self.sigma_x, self.h_x = (self._per_scale(v) for v in (sigma_x, h_x))
        self.h_y = None if h_y is None else float(h_y)
        self.point_function = PointFunction(self, activations_forward)

    @property
    def gamma(self) -> float | tuple[float, ...]:
        """The width scale γ, or the G scales of a width map."""
        return self.gammas if self.grid else self.gammas[0]

    def _per_scale(self, values: tf.Tensor) -> float | list[float]:
        """(G,) values as a float, or a list for a width map."""
        values = [float(v) for v in values.numpy()]
        return values if self.grid else values[0]

    def with_widths(self, widths) -> ProbeKernels:
        """The probe with the layers' base widths σ₁ given instead of the rule's: widths
        (P, L + 1) per point, for T_1..T_L and X' (X keeps the rule's width)."""
        return self.probe._replace(widths=tf.constant(widths, self.dtype))

    @property
    def has_labels(self) -> bool:
        """Whether I(T;Y) is computed (labels were given)."""
        return self.probe.k_y is not None

    @property
    def trace_count(self) -> int:
        return self.point_function.trace_count

    def signature(self) -> tuple:
        """What a compiled point function depends on besides its forward: equal signatures
        can share one function (the probe's values are passed, not captured)."""
        return (
            self.n,
            self.dtype.name,
            self.alpha,
            self.sigma,
            self.gammas,
            self.grid,
            self.has_labels,
            self.estimator,
            self.tolerance,
            self.run_eagerly,
        )

    def point_bytes(self, n_layers: int) -> int:
        """The bytes of one point's n × n matrices (all G scales) for L = ``n_layers``."""
        matrices = len(self.gammas) * PointLayout(n_layers, self.has_labels).size
        return matrices * self.n**2 * self.dtype.size

    def settings(self) -> dict:
        """The estimator settings as plain JSON-ready values (recorded with every result)."""
        return {
            "estimator": "matrix-renyi",
            "alpha": self.alpha,
            "sigma": self.sigma,
            "gamma": list(self.gamma) if self.grid else self.gamma,
            "dtype": self.dtype.name,
            "entropies": self.estimator,
            "tolerance": self.tolerance,
            "n_probe": self.n,
            "h_x": self.h_x,
            "sigma_x": self.sigma_x,
            "h_y": self.h_y,
        }

    def as_points(self, t: tf.Tensor) -> tf.Tensor:
        """Activations (P, n, ...) as (P, n, d) of the working precision, n pinned to the
        probe's (a layer may not know its batch size statically; the width rules need it)."""
        t = tf.cast(t, self.dtype)
        t = flatten_samples(tf.ensure_shape(t, [t.shape[0], self.n, *t.shape[2:]]), 1)
        if t.shape[-1] is None:
            raise ValueError(f"layer activations need a known width, got shape {t.shape}")
        return t

    def __call__(self, representations, output) -> dict:
        """Validates the inputs, then computes one point with the compiled point function.

        Args:
            representations: a sequence of L arrays (n, ...) or a mapping name → array (its
                values are used in order).
            output: the model's output X' on the probe, (n, ...).

        Returns:
            A dict of tensors: ``i_xt``, ``i_t_out`` (I(T;X')), ``h_t``, ``sigma`` of shape
            (L,) in bits (σ in activation units), ``i_t_label`` (L,) with labels, scalars
            ``h_output`` and ``sigma_output``, and the boolean scalar ``finite``.

        Raises:
            ValueError: NaN/Inf in any input (named), or a sample count different from the probe.
        """
        if isinstance(representations, Mapping):
            named = {f"representation {k!r}": v for k, v in representations.items()}
        else:
            named = {f"representations[{i}]": v for i, v in enumerate(representations)}
        if not named:
            raise ParameterError("representations", "must hold at least one layer, got none")
        named["output"] = output
        tensors = {name: check_samples_shape(v, name) for name, v in named.items()}
        check_same_samples({"x_probe": self.probe.k_x[0], **tensors})
        *layers, out = tensors.values()
        points = self.point_function(self.probe, layers, out)
        result = {key: value[0] for key, value in points.items()}
        if not bool(result["finite"]):
            bad = [
                name
                for name, t in tensors.items()
                if not bool(tf.reduce_all(tf.math.is_finite(tf.cast(t, self.dtype))))
            ]
            raise ValueError(f"non-finite values (NaN or Inf) in {', '.join(bad)}")
        return result
