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


def saturated_fraction(t, activation: str | None, batch_dims: int = 0):
    """The fraction of the activations t (B..., n, ...) within ``SATURATION_MARGIN`` of either
    end of ``activation``'s range, in [0, 1], per leading index (B...): a float for
    ``batch_dims`` 0; NaN when the activation is not bounded."""
    t = np.asarray(t, np.float64)
    shape = t.shape[:batch_dims]
    if activation not in BOUNDED_ACTIVATIONS:
        return float("nan") if not shape else np.full(shape, np.nan)
    low, high = BOUNDED_ACTIVATIONS[activation]
    margin = SATURATION_MARGIN * (high - low)
    near = (t <= low + margin) | (t >= high - margin)
    fraction = np.mean(near.reshape(*shape, -1), axis=-1)
    return float(fraction) if not shape else fraction


def layer_diagnostics(
    representations: Mapping[str, tf.Tensor],
    activations: Mapping[str, str | None],
    batch_dims: int = 0,
) -> dict[str, np.ndarray]:
    """The diagnostics of one point, or of a batch of points.

    Args:
        representations: layer name → activations (B..., n, ...) on the probe, the leading
            ``batch_dims`` axes B... (none for one point) the same for every layer.
        activations: layer name → activation name (see ``Readout.activations``).

    Returns:
        ``{"median_distance": (B..., L), "saturated_fraction": (B..., L)}`` float64 arrays,
        layers in the order of ``representations`` (activation units, and a fraction with NaN
        for unbounded layers).
    """
    distances = []
    for t in representations.values():  # a layer at a time: one n × n per point in memory
        x = flatten_samples(tf.cast(t, tf.float64), batch_dims)
        x = x - tf.reduce_mean(x, axis=-2, keepdims=True)  # centered, as squared_distances expects
        distances.append(median_distance(squared_distances(x)).numpy())
    fractions = [
        saturated_fraction(t, activations.get(name), batch_dims)
        for name, t in representations.items()
    ]
    columns = (np.stack(distances, axis=-1), np.stack(fractions, axis=-1))
    return dict(zip(DIAGNOSTICS, columns, strict=True))


def probe_diagnostics(readout, x, snapshots, indices, seed) -> list[dict[str, np.ndarray]]:
    """``layer_diagnostics`` of each weight snapshot of a ``Readout`` on the probe x (n, ...):
    the same forward pass (and, for a sampled code, the same noise) as the point function."""
    noise = readout.noise(seed, tf.constant(indices, tf.int64), x.shape[0])
    points = [
        readout.forward(x, weights, None if noise is None else noise[j])[0]
        for j, weights in enumerate(snapshots)
    ]
    layers = {
        name: tf.stack([layers[i] for layers in points]) for i, name in enumerate(readout.names)
    }
    result = layer_diagnostics(layers, readout.activations, batch_dims=1)
    return [{key: value[j] for key, value in result.items()} for j in range(len(snapshots))]
