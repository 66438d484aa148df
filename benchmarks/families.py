"""Estimator families: the cost of one deep-AE point under each family beside matrix-Rényi.

The saved Fashion-MNIST deep AE at its last checkpoint, on the first n test images, n = 100,
1,000 and 4,096: its five layers and output X' with the labels, one information-plane point
(I(X;T), I(T;X'), I(T;Y) of every layer) through the public API, as a user calls it:

- ``family_point(family, parameter, ...)`` for binning (B = 30), kde (s² = 0.1, both bounds)
  and knn (k = 3);
- ``InformationPlane(x, y)(layers, output)`` for Rényi (paper rule, float32 exact, the
  package's default; the second call, after compilation), and ``family_point("renyi", ...)``
  (float64) beside it;

and beside them each family's inner kernel on the bottleneck Z alone (bin codes + plug-in
entropy; the pairwise-distance term; the two distance matrices + KSG sum). Times are the
median of ``--repeats`` calls after one warm-up, seconds. Prints one row per (family, n) with
the ratio to Rényi float32 exact.

Run: ``python benchmarks/families.py`` (Rényi exact at n = 4,096 takes about 2.5 minutes per
point on 2 cores; ``--sizes 100,1000`` skips it).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

import infoplane_tf as ip
from infoplane_tf.estimator import binning, kde, knn
from infoplane_tf.estimator.families import family_point

RUN = Path(__file__).resolve().parent.parent / "saved_results" / "fashion-mnist" / "deep"


def deep_point(n: int):
    """x (n, 784), the deep AE's layers (name → (n, units)), X' and labels at its end."""
    run = ip.load_run(RUN)
    model = run.model_at(run.checkpoints[-1])
    data = ip.load_dataset("fashion-mnist", probe_size=2)
    x, y = data.x_test[:n].reshape(n, -1), data.y_test[:n]
    layers, output = model.representations_and_output(x)
    return x, y, {k: np.asarray(v) for k, v in layers.items()}, np.asarray(output), model


def timed(function, repeats: int) -> float:
    """The median seconds of ``repeats`` calls after one warm-up call."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,4096")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"TensorFlow {tf.__version__}, {tf.config.threading.get_intra_op_parallelism_threads()}"
          " intra-op threads (0 = all cores)")  # fmt: skip
    print("| n | estimator | whole point (s) | × Rényi f32 | inner kernel on Z (s) |")
    print("|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",") if s]:
        rows, renyi = size_rows(n, 1 if n > 2000 else args.repeats)
        for name, seconds, kernel in rows:
            kernel_cell = "-" if kernel is None else f"{kernel:.4f}"
            print(f"| {n} | {name} | {seconds:.3f} | {seconds / renyi:.3f} | {kernel_cell} |",
                  flush=True)  # fmt: skip


def size_rows(n: int, repeats: int):
    """(estimator, whole-point seconds, inner-kernel seconds or None) rows at probe size n,
    and the Rényi float32 seconds."""
    x, y, layers, output, model = deep_point(n)
    z = layers["Z"]
    activations = model.representation_activations()
    plane = ip.InformationPlane(x, y)
    renyi = timed(lambda: plane(layers, output), repeats)
    rows = [("renyi (float32 exact, InformationPlane)", renyi, None)]
    if n <= 1000:
        whole = timed(lambda: family_point("renyi", None, layers, output, x, y), repeats)
        rows.append(("renyi (float64, family_point)", whole, None))
    inner = {
        "binning": lambda: binning.plugin_entropy(binning.bin_codes(z, 30, 0.0, 1.0)[0]),
        "kde": lambda: kde.pairwise_term(kde.pairwise_distances(z), 0.1, "upper"),
        "knn": lambda: knn.ksg_information(knn.distances(x), knn.distances(z), 3),
    }
    for name, parameter in (("binning", 30), ("kde", 0.1), ("knn", 3)):
        whole = timed(
            lambda name=name, parameter=parameter: family_point(
                name, parameter, layers, output, x, y, activations
            ),
            repeats,
        )
        rows.append((f"{name} ({parameter})", whole, timed(inner[name], repeats)))
    return rows, renyi


if __name__ == "__main__":
    main()
