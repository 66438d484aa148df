"""Scale and saturation beside I(X;T): what each layer's activations do over training.

A kernel estimate of I(X;T) moves when the representation's structure changes, but also when
only its scale does (pairwise distances grow against a fixed kernel width), and a sigmoid layer
whose units saturate turns into a near-binary code whatever the width. ``measure`` records two
diagnostics per checkpoint and layer, on its (first) probe, so a figure can tell them apart:

- ``median_distance``: the median Euclidean distance between the probe's activations (the
  'median' rule's σ₁; activation units);
- ``saturated_fraction``: for a layer with a bounded activation (``BOUNDED_ACTIVATIONS``), the
  fraction of its activations (samples × units) within ``catalog.SATURATION_MARGIN`` of the
  range's ends (for a sigmoid: below 0.01 or above 0.99, where its slope is under 0.01); NaN
  for unbounded or unknown activations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from infoplane_tf.catalog import BOUNDED_ACTIVATIONS, SATURATION_MARGIN
from infoplane_tf.estimator.kernels import flatten_samples, median_distance, squared_distances

#: The diagnostics' names, in the order of ``layer_diagnostics``'s result.
DIAGNOSTICS = ("median_distance", "saturated_fraction")


def saturated_fraction(t, activation: str | None) -> float:
    """The fraction of the activations t (n, ...) within ``SATURATION_MARGIN`` of either end
    of ``activation``'s range, in [0, 1]; NaN when the activation is not bounded."""
    if activation not in BOUNDED_ACTIVATIONS:
        return float("nan")
    low, high = BOUNDED_ACTIVATIONS[activation]
    margin = SATURATION_MARGIN * (high - low)
    t = np.asarray(t, np.float64)
    return float(np.mean((t <= low + margin) | (t >= high - margin)))


def layer_diagnostics(
    representations: Mapping[str, tf.Tensor], activations: Mapping[str, str | None]
) -> dict[str, np.ndarray]:
    """The diagnostics of one point.

    Args:
        representations: layer name → activations (n, ...) on the probe.
        activations: layer name → activation name (see ``Readout.activations``).

    Returns:
        ``{"median_distance": (L,), "saturated_fraction": (L,)}`` float64 arrays in the order
        of ``representations`` (activation units, and a fraction with NaN for unbounded layers).
    """
    distances, fractions = [], []
    for name, t in representations.items():
        x = flatten_samples(tf.cast(t, tf.float64), 0)
        x = x - tf.reduce_mean(x, axis=0)  # centered, as squared_distances expects
        distances.append(float(median_distance(squared_distances(x))))
        fractions.append(saturated_fraction(t, activations.get(name)))
    return dict(zip(DIAGNOSTICS, (np.array(distances), np.array(fractions)), strict=True))


def probe_diagnostics(readout, x, snapshots, indices, seed) -> list[dict[str, np.ndarray]]:
    """``layer_diagnostics`` of each weight snapshot of a ``Readout`` on the probe x (n, ...):
    the same forward pass (and, for a sampled code, the same noise) as the point function."""
    noise = readout.noise(seed, tf.constant(indices, tf.int64), x.shape[0])
    activations = readout.activations
    result = []
    for j, weights in enumerate(snapshots):
        layers, _ = readout.forward(x, weights, None if noise is None else noise[j])
        result.append(layer_diagnostics(dict(zip(readout.names, layers, strict=True)), activations))
    return result
