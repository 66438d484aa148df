"""Kernel-width rules: one registry entry each, the only place a rule is described.

A rule gives σ₁, the Gaussian kernel's width at scale γ = 1, for each set of samples; the width
used is σ = γ·σ₁. An entry holds the function, its default γ, whether it needs labels, whether
the features are z-scored first, and the reference it comes from. The names users may choose
(``sigma`` of the estimator and ``TrainConfig``, ``--sigma``, the CLI's help) and every
default come from here.

A new rule is one entry in ``RULES`` and its width function in this file. TensorFlow is imported
inside the functions, so the command line can list the rules without importing it.

Width functions take ``(x, d2, unit, k_y)``: x (..., n, d) after ``center_and_scale`` (and after
z-scoring when the rule standardizes), d2 (..., n, n) their squared distances in units of
``unit``², unit (...) the scale x was divided by, k_y (n, n) the label Gram matrix or None; they
return σ₁ (...) in the units of the original x.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from types import MappingProxyType

import numpy as np

from infoplane_tf.catalog import PAPER


@dataclasses.dataclass(frozen=True)
class WidthRule:
    """A kernel-width rule.

    Attributes:
        name: What users pass (``sigma="median"``, ``--sigma median``).
        description: One line for help texts.
        width: σ₁ from ``(x, d2, unit, k_y)`` (see the module docstring).
        default_gamma: γ when none is given.
        needs_labels: Whether ``k_y`` (class labels) is required.
        standardize: Whether every feature is z-scored before the distances.
        reference: Where the rule comes from.
        at_checkpoint: For ``measure`` only: ``"first"`` or ``"last"``: σ₁ per layer is the
            ``width`` of that checkpoint, held fixed over training; None for ordinary rules.
        per_checkpoint_smoothed: ``measure`` chooses σ₁ at every checkpoint in a first pass and
            smooths it over checkpoints (a width that jumps between grid values would make
            jumps in I).
    """

    name: str
    description: str
    width: Callable
    default_gamma: float = 1.0
    needs_labels: bool = False
    standardize: bool = False
    reference: str = ""
    at_checkpoint: str | None = None
    per_checkpoint_smoothed: bool = False


def _paper(x, d2, unit, k_y):
    tf = _tf()
    n, d = int(x.shape[-2]), int(x.shape[-1])
    return tf.fill(tf.shape(unit), tf.constant(n ** (-1.0 / (4.0 + d)), x.dtype))


def _scaled(x, d2, unit, k_y):
    return _paper(x, d2, unit, k_y) * math.sqrt(int(x.shape[-1]))


def _median(x, d2, unit, k_y):
    return unit * median_distance(d2)


def _silverman(x, d2, unit, k_y):
    return unit * silverman_width(x)


def _knn(x, d2, unit, k_y):
    return unit * knn_width(d2)


def _alignment(x, d2, unit, k_y):
    return unit * alignment_width(d2, k_y)


_ENTRIES = (
    WidthRule(
        "paper", "sigma = gamma * n^(-1/(4+d)) on raw activations (Lee & Jo's code)", _paper,
        default_gamma=PAPER.gamma, reference="Lee & Jo 2021 (their code, Sungyeop/IPRL)",
    ),
    WidthRule(
        "scaled", "z-score each feature, then sigma = gamma * sqrt(d) * n^(-1/(4+d))", _scaled,
        default_gamma=PAPER.gamma, standardize=True,
        reference="Tapia & Estévez 2020, 'On the information plane of autoencoders'",
    ),
    WidthRule(
        "median", "sigma = gamma * the median pairwise distance of the layer", _median,
        reference="the median heuristic (e.g. Gretton et al. 2012)",
    ),
    WidthRule(
        "silverman",
        "sigma = gamma * Silverman's rule (4/((d+2)n))^(1/(d+4)) * mean feature std",
        _silverman, reference="Silverman 1986, 'Density Estimation', eq. 4.14",
    ),
    WidthRule(
        "knn", "sigma = gamma * the mean distance to the 7th nearest neighbour", _knn,
        reference="Zelnik-Manor & Perona 2004, 'Self-tuning spectral clustering'",
    ),
    WidthRule(
        "alignment",
        "sigma = gamma * the width best aligned with the label kernel (needs labels)",
        _alignment, needs_labels=True, per_checkpoint_smoothed=True,
        reference="Wickstrøm et al. 2019, matrix-based Rényi entropy and tensor kernels",
    ),
    WidthRule(
        "median-initial",
        "sigma = gamma * each layer's median distance at the first checkpoint", _median,
        at_checkpoint="first", reference="fixed-width control (this package)",
    ),
    WidthRule(
        "median-final", "sigma = gamma * each layer's median distance at the last checkpoint",
        _median, at_checkpoint="last", reference="fixed-width control (this package)",
    ),
)  # fmt: skip

#: Every rule, by name.
RULES = MappingProxyType({rule.name: rule for rule in _ENTRIES})

#: Rules of the estimator's ``sigma`` (besides a fixed positive number): name → description.
SIGMA_RULES = MappingProxyType(
    {rule.name: rule.description for rule in _ENTRIES if rule.at_checkpoint is None}
)

#: Rules of ``measure`` only (a per-layer width fixed at one checkpoint): name → description.
REFERENCE_RULES = MappingProxyType(
    {rule.name: rule.description for rule in _ENTRIES if rule.at_checkpoint is not None}
)


def default_gamma(rule) -> float:
    """The scale γ a width rule uses unless told (a fixed width: 1)."""
    entry = RULES.get(rule) if isinstance(rule, str) else None
    return 1.0 if entry is None else entry.default_gamma


# --------------------------------------------------------------------------------------------
# The width primitives (TensorFlow imported when they run)
# --------------------------------------------------------------------------------------------

#: k of the 'knn' width rule.
KNN_NEIGHBOURS = 7
#: The widths the 'alignment' rule tries, as multiples of the median distance.
ALIGNMENT_FACTORS = tuple(2.0 ** (j / 5.0) for j in range(-20, 21))


def _tf():
    import tensorflow as tf

    return tf


def median_distance(d2):
    """Median Euclidean distance over the pairs i < j of squared distances (..., n, n) → (...).

    The median is selected, not sorted for: the k-th smallest of non-negative floats by
    bisection on their bit patterns (which order them as their values do), one fused count
    over the n² entries per bit, exact. Every pair appears twice off the diagonal, so pair rank
    r is off-diagonal rank 2r (the diagonal is set to +inf, beyond every rank).
    """
    tf = _tf()
    n = d2.shape[-1]
    m = n * (n - 1) // 2
    off_diagonal = tf.linalg.set_diag(
        tf.maximum(d2, 0.0), tf.fill(tf.shape(d2)[:-1], tf.constant(np.inf, d2.dtype))
    )
    select = _kth_smallest_graph()  # k as a tensor: one trace per shape and dtype
    middle = [select(off_diagonal, tf.constant(2 * rank)) for rank in ((m - 1) // 2, m // 2)]
    # Mean of the two middle values for an even count (both the same rank for odd counts).
    return (tf.sqrt(middle[0]) + tf.sqrt(middle[1])) / 2


@functools.cache
def _kth_smallest_graph():
    """``_kth_smallest`` as one graph: called eagerly (the diagnostics of ``measure``), its
    32 steps' small operations would each pay Python's dispatch."""
    return _tf().function(_kth_smallest, autograph=False)


def _kth_smallest(values, k):
    """The k-th smallest (0-based, an int or integer tensor) of non-negative values (..., n, n)
    per leading index (...)."""
    tf = _tf()
    integer = tf.int32 if values.dtype == tf.float32 else tf.int64
    k = tf.cast(k, integer)
    bits = tf.bitcast(values, integer)
    low = tf.fill(tf.shape(values)[:-2], tf.constant(-1, integer))  # count(≤ low) ≤ k
    high = tf.fill(tf.shape(values)[:-2], tf.reduce_max(bits))  # count(≤ high) > k

    def step(low, high):
        middle = low + (high - low) // 2
        count = tf.reduce_sum(tf.cast(bits <= middle[..., None, None], integer), axis=[-2, -1])
        above = count > k
        return tf.where(above, low, middle), tf.where(above, middle, high)

    # A loop, not 32 or 64 unrolled steps: far less to trace and to compile.
    steps = integer.size * 8  # one per bit
    _, high = tf.while_loop(lambda *_: True, step, (low, high), maximum_iterations=steps)
    return tf.bitcast(high, values.dtype)


def silverman_width(x):
    """Silverman's rule of thumb for a d-dimensional Gaussian kernel: x (..., n, d) → (...).

    σ = (4 / ((d + 2) n))^(1/(d+4)) · s, with s² the mean over features of the sample variance
    (Silverman 1986, "Density Estimation", eq. 4.14, with one shared width for all features).
    """
    tf = _tf()
    n, d = int(x.shape[-2]), int(x.shape[-1])
    variance = tf.reduce_mean(tf.math.reduce_variance(x, axis=-2), axis=-1)
    factor = (4.0 / ((d + 2.0) * n)) ** (1.0 / (d + 4.0))
    return factor * tf.sqrt(variance)


def knn_width(d2, k: int = KNN_NEIGHBOURS):
    """The mean distance of each sample to its k-th nearest neighbour: (..., n, n) → (...).

    A global version of Zelnik-Manor & Perona's local scaling ("Self-tuning spectral
    clustering", NIPS 2004, k = 7); k is capped at n - 1.
    """
    tf = _tf()
    n = int(d2.shape[-1])
    k = min(k, n - 1)
    # The k + 1 smallest squared distances of each row include the sample itself (0).
    nearest = -tf.math.top_k(-d2, k=k + 1).values[..., k]
    return tf.reduce_mean(tf.sqrt(tf.maximum(nearest, 0.0)), axis=-1)


def alignment_width(d2, k_y):
    """The width whose Gaussian kernel is best aligned with the label kernel: (..., n, n) → (...).

    Kernel alignment A(K, K_Y) = ⟨K, K_Y⟩_F / (‖K‖_F ‖K_Y‖_F) (Cristianini et al. 2002), maximised
    over σ = m·2^(j/5), j = -20..20, m the median pairwise distance, as Wickstrøm et al.
    ("Information plane analysis of deep neural networks via matrix-based Rényi's entropy and
    tensor kernels", 2019) choose the width of each layer. The grid's step is 2^(1/5) (15%).
    """
    tf = _tf()
    median = median_distance(d2)
    factors = tf.constant(ALIGNMENT_FACTORS, d2.dtype)  # (F,)
    scale = tf.square(median[..., None] * factors)[..., None, None]  # (..., F, 1, 1)
    d2 = d2[..., None, :, :]
    k = tf.exp(-tf.where(d2 > 0, d2 / (2.0 * scale), tf.zeros_like(d2)))
    k_y = tf.cast(k_y, d2.dtype)
    inner = tf.reduce_sum(k * k_y, axis=[-2, -1])
    alignment = inner / tf.norm(k, axis=[-2, -1])  # ‖K_Y‖ is the same for every width
    best = tf.argmax(alignment, axis=-1)
    return median * tf.gather(factors, best)
