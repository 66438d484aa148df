"""One information-plane point under any estimator family (``infoplane_tf.families``), from the
activations of one forward pass of the probe.

``family_point("knn", 3, representations, output, x, labels)`` gives, per layer T, I(X;T),
I(T;X'), I(T;Y) and an entropy of T in bits, and the family's scale per layer (``sigma``: the
kernel width for ``renyi``, the bin width for ``binning`` and ``binwidth``, the noise's standard
deviation for ``kde``, the median k-th-neighbour distance for ``knn``). Array work runs in
TensorFlow (float64) on whatever device holds the activations.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf

from infoplane_tf.catalog import BOUNDED_ACTIVATIONS
from infoplane_tf.estimator import binning, kde, knn
from infoplane_tf.estimator.kde import BOUNDS
from infoplane_tf.families import family
from infoplane_tf.validation import ParameterError

#: The keys of a point's values, each (L,): as in a trajectory (``io.trajectory``).
POINT_KEYS = ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label")


def family_point(
    name: str,
    parameter,
    representations: Mapping[str, tf.Tensor],
    output,
    x,
    labels=None,
    activations: Mapping[str, str | None] | None = None,
    renyi: Mapping | None = None,
    output_activation: str | None = None,
) -> dict:
    """The point of one forward pass under family ``name``.

    Args:
        name: a family of ``infoplane_tf.families.FAMILIES``; parameter: its parameter's value
            (bins B, bin width Δ, noise variance s², neighbours k; None for ``renyi``).
        representations: layer name → activations (n, ...), in order.
        output: the network's output X' (n, ...).
        x: the probe's inputs (n, ...).
        labels: (n,) integer classes or (n, k) one-hot, or None.
        activations: layer name → activation name (``Readout.activations``): a bounded one
            fixes the bins' range.
        renyi: for ``renyi``: keyword arguments of ``InformationPlane`` (alpha, sigma, gamma).
        output_activation: the output's activation (``Readout.output_activation``): a bounded
            one fixes the range of the output's bins.

    Returns:
        ``{"i_xt", "i_t_out", "h_t", "sigma"}`` (L,) float64 arrays (and ``"i_t_label"`` with
        labels), in bits (``sigma`` in activation units); ``kde`` adds ``"lower"``, the same
        keys from the lower bound (``i_xt`` and ``h_t`` are lower bounds; ``i_t_out`` and
        ``i_t_label`` the same differences taken on lower bounds, as Saxe et al. report them,
        not bounds); ``binning`` and ``binwidth`` add ``"range"``, layer (and ``"output"``)
        → ``"activation"``, ``"observed"`` or ``"unbounded"``. ``h_t`` is H(T) (binning), the
        entropy bound of T plus noise (kde), the Kozachenko–Leonenko differential entropy
        (knn) or S_α(T) (renyi).

    Raises:
        ValueError: an unknown family or a bad parameter (named; ``k`` must be below n).
    """
    entry = family(name)
    if entry.parameter is not None:
        parameter = entry.check(parameter)
    if labels is not None:
        labels = tf.convert_to_tensor(labels)
        labels = tf.argmax(labels, axis=1) if labels.shape.rank == 2 else labels
        labels = tf.cast(labels, tf.int64)
    module, function = entry.point.split(":")
    measure = getattr(importlib.import_module(module), function)
    context = {"activations": activations or {}, "output_activation": output_activation,
               "renyi": renyi or {}}  # fmt: skip
    return measure(dict(representations), output, x, labels, parameter, context)


def _collect(layers: Sequence[str], rows: list[dict]) -> dict:
    """One point from per-layer rows: numbers → (L,) arrays, nested dicts → dicts of (L,)
    arrays, strings → layer → string."""
    point = {}
    for key, first in rows[0].items():
        values = [row[key] for row in rows]
        if isinstance(first, dict):
            point[key] = _collect(layers, values)
        elif isinstance(first, str):
            point[key] = dict(zip(layers, values, strict=True))
        else:
            point[key] = np.array(values, np.float64)
    return point


def binning_point(layers, output, x, labels, bins, context) -> dict:
    """``family_point`` of ``binning`` (``estimator.binning``): B bins over a bounded
    activation's range, else over the layer's observed range."""

    def code(t, activation):
        bounds = BOUNDED_ACTIVATIONS.get(activation)
        codes, width = binning.bin_codes(t, bins, *(bounds or (None, None)))
        return codes, width, "activation" if bounds else "observed"

    return _binned_point(layers, output, x, labels, code, context)


def binwidth_point(layers, output, x, labels, width, context) -> dict:
    """``family_point`` of ``binwidth``: bins of a fixed width, unbounded
    (``binning.width_codes``)."""

    def code(t, activation):
        del activation  # the same bins for every layer
        return binning.width_codes(t, width), width, "unbounded"

    return _binned_point(layers, output, x, labels, code, context)


def _binned_point(layers, output, x, labels, code, context) -> dict:
    """A point of plug-in entropies of codes; the layers share X's identity and X''s codes.
    ``code(t, activation)`` gives a layer's ``(codes, bin width, range label)``."""
    out, _, out_range = code(output, context["output_activation"])
    identity = binning.sample_identity(x)
    rows = []
    for layer, t in layers.items():
        codes, width, where = code(t, context["activations"].get(layer))
        row = {
            "i_xt": binning.binned_information(identity, codes),
            "i_t_out": binning.binned_information(codes, out),
            "h_t": binning.plugin_entropy(codes),
            "sigma": width,
        }
        if labels is not None:
            row["i_t_label"] = binning.binned_information(codes, labels)
        rows.append({key: float(value) for key, value in row.items()} | {"range": where})
    point = _collect(list(layers), rows)
    point["range"]["output"] = out_range
    return point


def kde_point(layers, output, x, labels, variance, context) -> dict:
    """``family_point`` of ``kde`` (``estimator.kde``); the layers share X''s distances."""
    del x, context  # H(T̃|X) is the noise's; the bounds need no range
    d2_out = kde.pairwise_distances(output)
    out_terms = {which: float(kde.pairwise_term(d2_out, variance, which)) for which in BOUNDS}
    rows = []
    for t in layers.values():
        d2 = kde.pairwise_distances(t)
        units = int(np.prod(t.shape[1:]))

        def bound(which, d2=d2, units=units):
            term = float(kde.pairwise_term(d2, variance, which))
            joint = float(kde.pairwise_term(d2 + d2_out, variance, which))
            row = {
                "i_xt": term,
                "i_t_out": term + out_terms[which] - joint,
                "h_t": kde.noise_entropy(units, variance) + term,
                "sigma": float(np.sqrt(variance)),
            }
            if labels is not None:
                row["i_t_label"] = term - float(kde.pairwise_term(d2, variance, which, labels))
            return row

        rows.append(bound("upper") | {"lower": bound("lower")})
    return _collect(list(layers), rows)


def knn_point(layers, output, x, labels, k, context) -> dict:
    """``family_point`` of ``knn`` (``estimator.knn``); the layers share X's and X''s
    distances."""
    del context
    d_x, d_out = knn.scaled(knn.distances(x)), knn.scaled(knn.distances(output))
    n = int(d_x.shape[0])
    if not 1 <= k < n:
        raise ParameterError("k", f"must be below the probe's {n} samples, got {k}")
    rows = []
    for t in layers.values():
        d = knn.distances(t)
        d_scaled = knn.scaled(d)
        row = {
            "i_xt": float(knn.ksg_information(d_x, d_scaled, k, scale=False)),
            "i_t_out": float(knn.ksg_information(d_scaled, d_out, k, scale=False)),
            "h_t": float(knn.kl_entropy(d, k, int(np.prod(t.shape[1:])))),
            "sigma": float(np.median(knn.kth_distance(d, k).numpy())),
        }
        if labels is not None:
            row["i_t_label"] = float(knn.mixed_information(d, labels, k))
        rows.append(row)
    return _collect(list(layers), rows)


def renyi_point(layers, output, x, labels, parameter, context) -> dict:
    """``family_point`` of ``renyi``: ``InformationPlane`` (float64 unless told otherwise)
    with the ``renyi`` settings of the context."""
    from infoplane_tf.estimator.plane import InformationPlane

    del parameter
    plane = InformationPlane(x, labels, **{"dtype": "float64", **context["renyi"]})
    values = plane(layers, output)
    return {key: np.asarray(values[key], np.float64) for key in POINT_KEYS if key in values}
