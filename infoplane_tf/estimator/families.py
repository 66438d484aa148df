"""One information-plane point under any estimator family (``infoplane_tf.families``), from the
activations of one forward pass of the probe.

``family_point("knn", 3, representations, output, x, labels)`` gives, per layer T, I(X;T),
I(T;X'), I(T;Y) and an entropy of T in bits, and the family's scale per layer (``sigma``: the
kernel width for ``renyi``, the bin width for ``binning``, the noise's standard deviation for
``kde``, the median k-th-neighbour distance for ``knn``). Array work runs in TensorFlow (float64)
on whatever device holds the activations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import tensorflow as tf

from infoplane_tf.catalog import BOUNDED_ACTIVATIONS
from infoplane_tf.estimator import binning, kde, knn
from infoplane_tf.estimator.kde import BOUNDS
from infoplane_tf.families import family

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
) -> dict:
    """The point of one forward pass under family ``name``.

    Args:
        name: a family of ``infoplane_tf.families.FAMILIES``; parameter: its parameter's value
            (bins B, noise variance s², neighbours k; None for ``renyi``).
        representations: layer name → activations (n, ...), in order.
        output: the network's output X' (n, ...).
        x: the probe's inputs (n, ...).
        labels: (n,) integer classes or (n, k) one-hot, or None.
        activations: layer name → activation name (``Readout.activations``): a bounded one
            fixes the bins' range.
        renyi: for ``renyi``: keyword arguments of ``InformationPlane`` (alpha, sigma, gamma).

    Returns:
        ``{"i_xt", "i_t_out", "h_t", "sigma"}`` (L,) float64 arrays (and ``"i_t_label"`` with
        labels), in bits (``sigma`` in activation units); ``kde`` adds ``"lower"``, the same
        keys from the lower bound; ``binning`` adds ``"range"``, layer → ``"activation"`` or
        ``"observed"``. ``h_t`` is H(T) (binning), the entropy bound of T plus noise (kde), the
        Kozachenko–Leonenko differential entropy (knn) or S_α(T) (renyi).
    """
    entry = family(name)
    if entry.parameter is not None:
        parameter = entry.check(parameter)
    if labels is not None:
        labels = tf.convert_to_tensor(labels)
        labels = tf.argmax(labels, axis=1) if labels.shape.rank == 2 else labels
        labels = tf.cast(labels, tf.int64)
    activations = activations or {}
    if name == "renyi":
        return _renyi(representations, output, x, labels, renyi or {})
    measure = {"binning": _binning, "kde": _kde, "knn": _knn}[name]
    # Each family computes what the layers share (the output's and the input's codes or
    # distances) once per point.
    rows = measure(representations, output, x, labels, parameter, activations)
    point = {key: np.array([row[key] for row in rows]) for key in rows[0] if key not in _EXTRA}
    if name == "kde":
        point["lower"] = {
            key: np.array([row["lower"][key] for row in rows]) for key in rows[0]["lower"]
        }
    if name == "binning":
        point["range"] = {
            layer: row["range"] for layer, row in zip(representations, rows, strict=True)
        }
    return point


_EXTRA = ("lower", "range")


def _binning(layers, output, x, labels, bins, activations) -> list[dict]:
    out, _ = binning.bin_codes(output, bins)
    identity = binning.sample_identity(x)
    rows = []
    for layer, t in layers.items():
        bounds = BOUNDED_ACTIVATIONS.get(activations.get(layer))
        codes, width = binning.bin_codes(t, bins, *(bounds or (None, None)))
        row = {
            "i_xt": binning.binned_information(identity, codes),
            "i_t_out": binning.binned_information(codes, out),
            "h_t": binning.plugin_entropy(codes),
            "sigma": width,
        }
        if labels is not None:
            row["i_t_label"] = binning.binned_information(codes, labels)
        row = {key: float(value) for key, value in row.items()}
        rows.append(row | {"range": "activation" if bounds else "observed"})
    return rows


def _kde(layers, output, x, labels, variance, activations) -> list[dict]:
    del x, activations  # H(T̃|X) is the noise's; the bounds need no range
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
    return rows


def _knn(layers, output, x, labels, k, activations) -> list[dict]:
    del activations
    d_x, d_out = knn.distances(x), knn.distances(output)
    n = int(d_x.shape[0])
    if not 1 <= k < n:
        raise ValueError(f"k must be below the probe's {n} samples, got {k}")
    rows = []
    for t in layers.values():
        d = knn.distances(t)
        row = {
            "i_xt": float(knn.ksg_information(d_x, d, k)),
            "i_t_out": float(knn.ksg_information(d, d_out, k)),
            "h_t": float(knn.kl_entropy(d, k, int(np.prod(t.shape[1:])))),
            "sigma": float(np.median(knn.kth_distance(d, k).numpy())),
        }
        if labels is not None:
            row["i_t_label"] = float(knn.mixed_information(d, labels, k))
        rows.append(row)
    return rows


def _renyi(representations, output, x, labels, settings):
    from infoplane_tf.estimator.plane import InformationPlane

    plane = InformationPlane(x, labels, **{"dtype": "float64", **settings})
    values = plane(dict(representations), output)
    return {key: np.asarray(values[key], np.float64) for key in POINT_KEYS if key in values}
