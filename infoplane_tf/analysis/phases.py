"""Phase analysis: does a layer's I(X;T) show a simplifying phase after its fitting phase?

Lee & Jo (2021) call the late fall of I(X;T), after the fitting phase in which I(X;T) and
I(T;X') rise together, the *simplifying phase* (the "compression" of Shwartz-Ziv & Tishby).
This module turns that visual judgement into a documented, testable rule on one layer's
I(X;T) series. It imports only NumPy.

The rule (defaults in brackets):

1. Drop missing points (NaN: the estimator failed on a diverged model) and sort by iteration.
2. Smooth lightly with a centered moving average whose window is ``smoothing`` [2 %] of the
   points (odd, at least 1; it shrinks near the ends instead of padding).
3. The fitting phase ends at the maximum of the smoothed series: ``peak_iteration`` and
   ``peak_bits`` (a sharp, lopsided peak is located to within half a window). The level at
   the end of training, ``final_bits``, is the mean of the last ``tail`` [5 %] of the raw
   points (at least one point).
4. ``drop_bits = peak_bits - final_bits``; ``drop_fraction = drop_bits / peak_bits``.
5. A simplifying phase exists when ``drop_bits >= min_drop_bits`` [0.5 bit] and
   ``drop_fraction >= min_drop_fraction`` [0.1] and the peak lies before ``max_peak_position``
   [90 %] of the recorded training time (so a series still rising at the end never counts).

Why these defaults: at the paper's probe size (n = 100) the estimator's point-to-point noise is
a few hundredths of a bit, so a 0.5-bit fall is an order of magnitude above it even before
smoothing. The falls the paper calls simplifying are 0.8 bit (deep AE, E2: 5.8 → 5.0) to
1.5-4 bits (shallow, deep Z, sparse), all above both thresholds, while the label AE's
bottleneck, which the authors describe as having no sustained fall, wanders within 1.0-1.3 bits
(at most 0.3 bit) and stays below them. The relative threshold asks more of layers near the
estimator's ceiling (log2 100 ≈ 6.64 bits), where I(X;T) saturates: a 6.5-bit layer must fall
by 0.65 bit (the smallest simplifying fall in the paper, E2's 0.8 bit, is 14 % of its peak).
Measuring the drop to the *final* level, not to the minimum, means a dip that recovers is not a
simplifying phase.

References:
    Lee, S. & Jo, J. (2021). Information Flows of Diverse Autoencoders. Entropy 23(7), 862.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Default smoothing window as a fraction of the number of points.
SMOOTHING = 0.02
#: Default fraction of the last points averaged for the final level.
TAIL = 0.05
#: Default minimum fall from the peak to the final level, in bits.
MIN_DROP_BITS = 0.5
#: Default minimum fall relative to the peak.
MIN_DROP_FRACTION = 0.1
#: Default latest position of the peak, as a fraction of the recorded training time.
MAX_PEAK_POSITION = 0.9


@dataclass(frozen=True)
class PhaseAnalysis:
    """The fitting/simplifying-phase summary of one layer's I(X;T) series.

    Attributes:
        peak_iteration: the iteration where the smoothed I(X;T) is largest (the end of the
            fitting phase); None when the series has no finite point.
        peak_bits: the smoothed I(X;T) at the peak, in bits (NaN without finite points).
        final_bits: the mean I(X;T) over the last ``tail`` of the points, in bits.
        drop_bits: ``peak_bits - final_bits`` in bits (≥ 0 up to noise).
        drop_fraction: ``drop_bits / peak_bits`` (0 when ``peak_bits`` ≤ 0).
        has_simplifying_phase: whether the rule (see ``rule``) finds a simplifying phase.
        rule: the rule in words, with its thresholds.
        n_points: the number of finite points used.
        window: the smoothing window in points.
    """

    peak_iteration: int | None
    peak_bits: float
    final_bits: float
    drop_bits: float
    drop_fraction: float
    has_simplifying_phase: bool
    rule: str
    n_points: int
    window: int

    def to_dict(self) -> dict:
        """The analysis as JSON-ready values (NaN becomes None, NumPy scalars plain Python)."""

        def plain(value):
            if isinstance(value, bool | np.bool_):
                return bool(value)
            if isinstance(value, int | np.integer):
                return int(value)
            if isinstance(value, float | np.floating):
                return float(value) if math.isfinite(value) else None
            return value

        return {name: plain(getattr(self, name)) for name in self.__dataclass_fields__}


def describe_rule(
    *,
    smoothing: float = SMOOTHING,
    tail: float = TAIL,
    min_drop_bits: float = MIN_DROP_BITS,
    min_drop_fraction: float = MIN_DROP_FRACTION,
    max_peak_position: float = MAX_PEAK_POSITION,
) -> str:
    """The phase rule with its thresholds, as one line of text (stored with every analysis)."""
    return (
        f"simplifying phase if peak - final >= {min_drop_bits:g} bit and >= "
        f"{min_drop_fraction:.0%} of peak, with the peak before {max_peak_position:.0%} of "
        f"training (peak: max of a {smoothing:.0%}-of-points moving average; "
        f"final: mean of the last {tail:.0%} of points)"
    )


def analyze_phases(
    iterations: Sequence[float] | np.ndarray,
    i_xt: Sequence[float] | np.ndarray,
    *,
    smoothing: float = SMOOTHING,
    tail: float = TAIL,
    min_drop_bits: float = MIN_DROP_BITS,
    min_drop_fraction: float = MIN_DROP_FRACTION,
    max_peak_position: float = MAX_PEAK_POSITION,
) -> PhaseAnalysis:
    """Finds the end of the fitting phase and decides whether a simplifying phase follows.

    Args:
        iterations: (P,) training iterations of the points (any order; sorted here).
        i_xt: (P,) I(X;T) of one layer in bits; NaN marks a missing point and is ignored.
        smoothing: the moving-average window as a fraction of the finite points, in [0, 1]
            (rounded to an odd count, at least 1 point: 0 means no smoothing).
        tail: the fraction of the last points averaged for ``final_bits``, in (0, 1].
        min_drop_bits: the smallest fall from peak to final level that counts, in bits.
        min_drop_fraction: the smallest fall that counts, relative to the peak, in [0, 1].
        max_peak_position: the peak must come before this fraction of the recorded training
            time (iterations from first to last point), in (0, 1].

    Returns:
        A ``PhaseAnalysis``. Without finite points its values are NaN, ``peak_iteration`` is
        None and ``has_simplifying_phase`` is False.

    Raises:
        ValueError: the arrays are not 1-D of equal length, or a setting is out of range.

    Example:
        >>> it = np.arange(0, 30_001, 100)  # 301 points: rise to 5 bits by 5k, then fall
        >>> x = it / 5_000
        >>> result = analyze_phases(it, 5.0 * x * np.exp(1.0 - x))
        >>> result.peak_iteration, round(result.peak_bits, 2), round(result.final_bits, 2)
        (5000, 5.0, 0.23)
        >>> result.has_simplifying_phase
        True
    """
    settings = {
        "smoothing": smoothing,
        "tail": tail,
        "min_drop_bits": min_drop_bits,
        "min_drop_fraction": min_drop_fraction,
        "max_peak_position": max_peak_position,
    }
    iterations, values = _finite_series(iterations, i_xt)
    _check_settings(settings)
    return _analyze(iterations, values, describe_rule(**settings), **settings)


def _finite_series(iterations, i_xt) -> tuple[np.ndarray, np.ndarray]:
    """The finite points of a series, sorted by iteration."""
    iterations = np.asarray(iterations, dtype=float)
    values = np.asarray(i_xt, dtype=float)
    if iterations.ndim != 1 or values.shape != iterations.shape:
        raise ValueError(
            f"iterations and i_xt must be 1-D of equal length, got shapes {iterations.shape} "
            f"and {values.shape}"
        )
    keep = np.isfinite(values) & np.isfinite(iterations)
    order = np.argsort(iterations[keep], kind="stable")
    return iterations[keep][order], values[keep][order]


def _check_settings(settings: dict) -> None:
    for name, open_low in (
        ("smoothing", False),
        ("tail", True),
        ("min_drop_fraction", False),
        ("max_peak_position", True),
    ):
        value = settings[name]
        if not (0.0 < value <= 1.0 if open_low else 0.0 <= value <= 1.0):
            bound = "(" if open_low else "["
            raise ValueError(f"{name} must be in {bound}0, 1], got {value!r}")
    if not settings["min_drop_bits"] >= 0:
        raise ValueError(f"min_drop_bits must be >= 0, got {settings['min_drop_bits']!r}")


def _analyze(iterations, values, rule, *, smoothing, tail, min_drop_bits, min_drop_fraction,
             max_peak_position) -> PhaseAnalysis:  # fmt: skip
    """The rule of the module docstring on a finite, sorted series."""
    n = len(values)
    window = _window(n, smoothing)
    if n == 0:
        nan = math.nan
        return PhaseAnalysis(None, nan, nan, nan, nan, False, rule, 0, window)
    smooth = moving_average(values, window)
    peak = int(np.argmax(smooth))
    peak_bits = float(smooth[peak])
    final_bits = float(values[-max(1, round(tail * n)) :].mean())
    drop_bits = peak_bits - final_bits
    drop_fraction = drop_bits / peak_bits if peak_bits > 0 else 0.0
    start, span = iterations[0], iterations[-1] - iterations[0]
    early_peak = span > 0 and iterations[peak] - start < max_peak_position * span
    simplifying = bool(
        early_peak and drop_bits >= min_drop_bits and drop_fraction >= min_drop_fraction
    )
    return PhaseAnalysis(
        peak_iteration=int(round(iterations[peak])),
        peak_bits=peak_bits,
        final_bits=final_bits,
        drop_bits=drop_bits,
        drop_fraction=float(drop_fraction),
        has_simplifying_phase=simplifying,
        rule=rule,
        n_points=n,
        window=window,
    )


def analyze_trajectory(
    trajectory, layers: Sequence[str] | None = None, **settings
) -> dict[str, PhaseAnalysis]:
    """``analyze_phases`` on the I(X;T) series of every (or every chosen) layer.

    Args:
        trajectory: an ``infoplane_tf.io.trajectory.Trajectory``; invalid points are NaN and
            ignored.
        layers: layer names to analyse, in the order wanted; None means all layers.
        **settings: keyword settings of ``analyze_phases`` (``min_drop_bits``, ...).

    Returns:
        Layer name → ``PhaseAnalysis``, in layer order.

    Raises:
        ValueError: a layer that the trajectory did not record (the message lists them).
    """
    available = tuple(trajectory.layers)
    chosen = available if layers is None else tuple(layers)
    unknown = [name for name in chosen if name not in available]
    if unknown:
        raise ValueError(
            f"unknown layer(s) {', '.join(map(repr, unknown))}; "
            f"available layers: {', '.join(available)}"
        )
    return {
        name: analyze_phases(
            trajectory.iterations, trajectory.i_xt[:, available.index(name)], **settings
        )
        for name in chosen
    }


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Centered moving average of a (P,) series whose window shrinks near the ends.

    Args:
        values: (P,) finite floats.
        window: an odd number of points ≥ 1 (1 returns a copy).

    Returns:
        (P,) the averages; point i averages ``values[i - h : i + h + 1]`` clipped to the
        series, h = window // 2, so the ends are neither padded nor biased toward zero.
    """
    values = np.asarray(values, dtype=float)
    n, half = len(values), window // 2
    if half == 0 or n == 0:
        return values.copy()
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    index = np.arange(n)
    low, high = np.maximum(index - half, 0), np.minimum(index + half + 1, n)
    return (cumulative[high] - cumulative[low]) / (high - low)


def _window(n: int, smoothing: float) -> int:
    """The odd smoothing window (points) for n points: ``smoothing * n`` rounded, at least 1."""
    window = max(1, int(round(smoothing * n)))
    return window if window % 2 else window + 1
