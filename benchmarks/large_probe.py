"""Large probes: each entropy method's time per deep-AE point and its error against float64.

For probe sizes n, the saved Fashion-MNIST deep AE at some of its checkpoints (early, the
bottleneck's peak, the end) and correlated Gaussians with a known covariance, under the paper's
width rule and the median rule: the 16 matrices of one information-plane point (X' and the five
layers, their joints with X and with X'; ``PointLayout`` without labels), their entropies by

- exact: ``eigvalsh`` in float32, batched (today's path), and in float64 (the reference);
- slq, nystrom, identity (``infoplane_tf.estimator.approximate``), from float32 matrices;

and per method: seconds per point, the largest |error| in bits over the point's I(X;T) and
I(T;X') values against the float64 reference, and the largest error estimate. At α = 2 every
method is the exact Frobenius path, so only α = 1.01 is timed. Prints one row per case.

Run: ``python benchmarks/large_probe.py`` (n = 1000, 2000, 4096; the float64 reference takes
most of the time: about 4 minutes per point at n = 4096 on 2 cores), or
``--sizes 4096 --checkpoints end --rules paper`` for one case; ``--sizes "" --bottleneck 8192
--rules median`` beyond the float64 reference's reach; ``--sizes "" --slq-settings 4096 --rules
paper`` for what more probes buy (the method's fixed work); ``--whole 1000,2000,4096 --rules
paper,median`` for whole points through ``InformationPlane`` at each ``--tolerances``;
``--median-selection 4096`` for the median rule's width; ``--sizes "" --exact
100,250,500,1000,2000,4000`` for the exact paths; ``--sizes "" --memory 8192`` for the peak
memory of each method through the library, one process each.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

import infoplane_tf as ip
from infoplane_tf.entropy_methods import METHODS as METHOD_NAMES
from infoplane_tf.entropy_methods import matrix_tolerance
from infoplane_tf.estimator.approximate import (
    identity_entropy,
    nystrom_entropy,
    slq_entropy,
)
from infoplane_tf.estimator.entropies import estimate_entropies
from infoplane_tf.estimator.kernels import gaussian_grams, normalize_kernels
from infoplane_tf.estimator.plane import PointLayout
from infoplane_tf.estimator.spectra import spectral_entropy

RUN = Path(__file__).resolve().parent.parent / "saved_results" / "fashion-mnist" / "deep"
ALPHA = 1.01
METHODS = {
    "exact-f32": lambda a: (spectral_entropy(a, ALPHA), tf.zeros(a.shape[:-2], a.dtype)),
    "slq": lambda a: slq_entropy(a, ALPHA),
    "nystrom": lambda a: nystrom_entropy(a, ALPHA),
    "identity": lambda a: identity_entropy(a, ALPHA),
}


def deep_point_activations(n: int, which: str):
    """X (n, 784) and the deep AE's [E1, E2, Z, D1, D2], X' at checkpoint ``which``."""
    run = ip.load_run(RUN)
    z = run.trajectory.layer("Z")["i_xt"]
    peak = int(run.trajectory.iterations[int(np.nanargmax(z))])
    iteration = {"early": run.checkpoints[8], "peak": peak, "end": run.checkpoints[-1]}[which]
    nearest = min(run.checkpoints, key=lambda c: abs(c - iteration))
    model = run.model_at(nearest)
    x = ip.load_dataset("fashion-mnist", probe_size=2).x_test[:n].reshape(n, -1)
    layers, output = model.representations_and_output(x)
    return x, [np.asarray(t) for t in layers.values()], np.asarray(output), nearest


def gaussian_point(n: int, seed: int = 0):
    """Correlated Gaussians through a random five-layer sigmoid 'network' (the deep AE's 16
    matrices)."""
    rng = np.random.default_rng(seed + 1)
    x = correlated_gaussians(n, seed)
    layers, h = [], x
    for width in (64, 32, 16, 32, 64):
        h = 1 / (1 + np.exp(-(h @ rng.normal(size=(h.shape[1], width)) / np.sqrt(h.shape[1]))))
        layers.append(h)
    return x, layers, h @ rng.normal(size=(64, 32)), "-"


def point_factors(x, layers, output, rule: str):
    """K_X and, per matrix of the point in ``PointLayout`` order, the Gram matrices (float32)
    whose Hadamard product it is: T_1..T_L, X', (X, T_l)..., (T_l, X')...."""
    gamma = (2.0,) if rule == "paper" else (1.0,)
    grams = [gaussian_grams(tf.constant(t, tf.float32), rule, gamma)[0][0] for t in
             [x, *layers, output]]  # fmt: skip
    k_x, layer_grams, k_out = grams[0], grams[1:-1], grams[-1]
    factors = [(g,) for g in layer_grams] + [(k_out,)]
    factors += [(k_x, g) for g in layer_grams] + [(g, k_out) for g in layer_grams]
    return k_x, factors


def joint(factors) -> tf.Tensor:
    """The unit-trace product of Gram matrices (n, n)."""
    return normalize_kernels(factors[0] if len(factors) == 1 else factors[0] * factors[1])


def point_matrices(x, layers, output, rule: str) -> tf.Tensor:
    """The 16 unit-trace matrices (M, n, n) float32 of one point, in ``PointLayout`` order."""
    k_x, factors = point_factors(x, layers, output, rule)
    return tf.stack([joint(f) for f in factors]), k_x


def informations(h: np.ndarray, h_x: float, n_layers: int) -> np.ndarray:
    """I(X;T) and I(T;X') (2L,) from the point's entropies (M,)."""
    h_t, h_out = h[:n_layers], h[n_layers]
    i_xt = h_x + h_t - h[n_layers + 1 : 2 * n_layers + 1]
    i_tout = h_t + h_out - h[2 * n_layers + 1 :]
    return np.concatenate([i_xt, i_tout])


def timed(function, a):
    start = time.perf_counter()
    h, error = function(a)
    h, error = np.asarray(h, np.float64), np.asarray(error, np.float64)
    return h, error, time.perf_counter() - start


def one_case(source: str, which: str, n: int, rule: str) -> None:
    if source == "deep":
        x, layers, output, iteration = deep_point_activations(n, which)
    else:
        x, layers, output, iteration = gaussian_point(n)
    a, k_x = point_matrices(x, layers, output, rule)
    assert a.shape[0] == PointLayout(len(layers), False).size
    h_x = float(spectral_entropy(tf.cast(normalize_kernels(k_x)[None], tf.float64), ALPHA)[0])
    reference, _, t_ref = timed(
        lambda m: (spectral_entropy(tf.cast(m, tf.float64), ALPHA), tf.zeros(m.shape[:-2])), a
    )
    exact = informations(reference, h_x, len(layers))
    cells = [f"{source:5s} {which:5s} it={iteration!s:>5s} n={n:5d} {rule:6s} f64 {t_ref:7.2f}s"]
    for name, function in METHODS.items():
        h, error, seconds = timed(function, a)
        values = informations(h, h_x, len(layers))
        worst = np.max(np.abs(values - exact))
        estimate = np.max(error_bound(error, len(layers)))
        cells.append(f"{name} {seconds:6.2f}s ({t_ref / seconds:5.1f}x) err {worst:.3f} est "
                     f"{estimate:.3f}")  # fmt: skip
    print(" | ".join(cells), flush=True)


def error_bound(error: np.ndarray, n_layers: int) -> np.ndarray:
    """The error estimates of I(X;T) and I(T;X') (2L,): their entropies' independent errors
    added in quadrature, as ``PointLayout.values`` does."""
    s_t, s_out, joint = error[:n_layers] ** 2, error[n_layers] ** 2, error[n_layers + 1 :] ** 2
    return np.sqrt(np.concatenate([s_t + joint[:n_layers], s_t + s_out + joint[n_layers:]]))


def exact_paths(sizes, matrices: int = 4) -> None:
    """Seconds per matrix of the exact spectra: float32/float64, batched/one at a time."""
    print(f"exact eigvalsh, seconds per matrix ({matrices} Gaussian Gram matrices per n)")
    for n in sizes:
        x = correlated_gaussians(n)
        widths = [0.5, 1.0, 2.0, 4.0][:matrices]
        a = normalize_kernels(tf.stack([gaussian_grams(tf.constant(x, tf.float32), w, (1.0,))[0][0]
                                        for w in widths]))  # fmt: skip
        cells = []
        for dtype in (tf.float32, tf.float64):
            m = tf.cast(a, dtype)
            start = time.perf_counter()
            tf.linalg.eigvalsh(m).numpy()
            batched = (time.perf_counter() - start) / matrices
            start = time.perf_counter()
            for k in range(matrices):
                tf.linalg.eigvalsh(m[k]).numpy()
            single = (time.perf_counter() - start) / matrices
            cells.append(f"{dtype.name} batched {batched:7.3f}s one-by-one {single:7.3f}s")
        print(f"  n={n:5d} " + " | ".join(cells), flush=True)


def reference_on_bottleneck(n: int, rule: str, which: str = "end") -> None:
    """Beyond what float64 can do for a whole point: every method on the 16 matrices, built
    one at a time (all 16 at n = 8,192 and their temporaries pass this machine's 24 GB), the
    float64 reference on I(X;Z)'s matrices only (S(X), S(Z), S(X,Z)), float32 exact timed on
    one matrix and scaled to the point's 16."""
    x, layers, output, iteration = deep_point_activations(n, which)
    k_x, factors = point_factors(x, layers, output, rule)

    def matrix(i: int) -> tf.Tensor:
        return joint(factors[i])[None]

    z, n_layers = 2, len(layers)  # E1, E2, Z, D1, D2
    bottleneck = tf.concat([normalize_kernels(k_x)[None], matrix(z), matrix(n_layers + 1 + z)], 0)
    start = time.perf_counter()
    h_x, h_z, h_xz = spectral_entropy(tf.cast(bottleneck, tf.float64), ALPHA).numpy()
    t_ref = time.perf_counter() - start
    del bottleneck
    exact = h_x + h_z - h_xz
    _, _, t_one = timed(METHODS["exact-f32"], matrix(0))
    head = f"deep  {which:5s} it={iteration!s:>5s} n={n:5d} {rule:6s} I(X;Z) = {exact:.3f}"
    cells = [f"{head} (f64, 3 matrices: {t_ref:.0f}s) | exact-f32 {16 * t_one:.0f}s (16 x one)"]
    for name in ("slq", "nystrom", "identity"):
        h, error, seconds = np.zeros(len(factors)), np.zeros(len(factors)), 0.0
        for i in range(len(factors)):
            value, err, spent = timed(METHODS[name], matrix(i))
            h[i], error[i], seconds = value[0], err[0], seconds + spent
        i_xz = h_x + h[z] - h[n_layers + 1 + z]
        estimate = error[z] + error[n_layers + 1 + z]
        cells.append(f"{name} {seconds:6.2f}s ({16 * t_one / seconds:5.1f}x f32) I(X;Z) err "
                     f"{abs(i_xz - exact):.3f} est {estimate:.3f}")  # fmt: skip
    print(" | ".join(cells), flush=True)


def slq_settings(n: int, rule: str, which: str = "end") -> None:
    """``slq`` with more probes and a deeper deflation on one point: what its error costs."""
    x, layers, output, iteration = deep_point_activations(n, which)
    a, k_x = point_matrices(x, layers, output, rule)
    h_x = float(spectral_entropy(tf.cast(normalize_kernels(k_x)[None], tf.float64), ALPHA)[0])
    reference, _, t_ref = timed(
        lambda m: (spectral_entropy(tf.cast(m, tf.float64), ALPHA), tf.zeros(m.shape[:-2])), a
    )
    exact = informations(reference, h_x, len(layers))
    print(f"slq settings, deep {which} it={iteration} n={n} {rule} (f64 {t_ref:.0f}s)")
    for probes, deflation in ((16, 64), (64, 64), (128, 64), (16, 256), (64, 256)):
        h, error, seconds = timed(
            lambda m, p=probes, d=deflation: slq_entropy(m, ALPHA, probes=p, deflation=d), a
        )
        worst = np.max(np.abs(informations(h, h_x, len(layers)) - exact))
        estimate = np.max(error_bound(error, len(layers)))
        print(f"  probes {probes:3d} deflation {deflation:3d}: {seconds:6.2f}s err {worst:.3f} "
              f"est {estimate:.3f}", flush=True)  # fmt: skip


def whole_points(sizes, rules, tolerances) -> None:
    """Whole points as users get them: ``InformationPlane(x, estimator=..., tolerance=...)``
    on the deep AE's end-of-training activations, the second call of each plane in this
    process (the first pays the compilation and the first touch of its memory). Beside each,
    the same entropies alone: the method on the point's 16 prebuilt matrices (n ≤ 4,096).

    Error: the largest |I − I_ref| over the point's I(X;T) and I(T;X') against the float64
    exact plane (at n = 8,192, where float64 on a whole point would take 23 minutes: I(X;Z)
    only, against float64 on its three matrices, and exact float32 timed on one matrix and
    scaled to 16). Estimate: the largest error estimate of those values.
    """
    for n in sizes:
        x, layers, output, iteration = deep_point_activations(n, "end")
        for rule in rules:
            sigma = {"sigma": rule, "gamma": 2.0 if rule == "paper" else 1.0}
            reference, t_exact = _whole_reference(n, x, layers, output, rule, sigma)
            print(f"whole points, deep end it={iteration} n={n} {rule}: exact float32 "
                  f"{t_exact:.2f}s", flush=True)  # fmt: skip
            matrices = point_matrices(x, layers, output, rule)[0] if n <= 4096 else None
            for estimator, tolerance in [("slq", None)] + [
                (e, t) for t in tolerances for e in ("slq", "auto")
            ]:
                plane = ip.InformationPlane(x, estimator=estimator, tolerance=tolerance, **sigma)
                plane(layers, output)
                start = time.perf_counter()
                point = {k: v.numpy() for k, v in plane(layers, output).items()}
                seconds = time.perf_counter() - start
                error, estimate = _whole_error(point, reference)
                alone = _entropies_alone(matrices, plane) if matrices is not None else ""
                methods = ",".join(sorted({METHOD_NAMES[int(c)]
                                           for c in np.ravel(point["method"])}))  # fmt: skip
                print(f"  {estimator:4s} tol {tolerance!s:5s} {seconds:6.2f}s "
                      f"({t_exact / seconds:5.1f}x) err {error:.4f} est {estimate:.4f} "
                      f"[{methods}]{alone}", flush=True)  # fmt: skip


def _whole_reference(n, x, layers, output, rule, sigma):
    """The float64 reference (the whole point's I values, or I(X;Z) at n > 4,096) and the
    exact float32 plane's seconds per point."""
    if n > 4096:
        k_x, factors = point_factors(x, layers, output, rule)
        z, n_layers = 2, len(layers)
        three = [normalize_kernels(k_x), joint(factors[z]), joint(factors[n_layers + 1 + z])]
        h_x, h_z, h_xz = spectral_entropy(tf.cast(tf.stack(three), tf.float64), ALPHA).numpy()
        _, _, t_one = timed(METHODS["exact-f32"], three[1][None])
        return {"i_xz": h_x + h_z - h_xz}, 16 * t_one
    exact = ip.InformationPlane(x, dtype="float64", **sigma)(layers, output)
    plane = ip.InformationPlane(x, **sigma)
    start = time.perf_counter()
    plane(layers, output)["i_xt"].numpy()
    seconds = time.perf_counter() - start
    return {k: exact[k].numpy() for k in ("i_xt", "i_t_out")}, seconds


def _whole_error(point: dict, reference: dict) -> tuple[float, float]:
    if "i_xz" in reference:  # the bottleneck, layer 2
        return abs(point["i_xt"][2] - reference["i_xz"]), point["i_xt_error"][2]
    keys = ("i_xt", "i_t_out")
    error = max(np.max(np.abs(point[k] - reference[k])) for k in keys)
    return error, max(np.max(point[f"{k}_error"]) for k in keys)


def _entropies_alone(matrices, plane) -> str:
    """The plane's method on the prebuilt matrices (second call), seconds."""
    tolerance = None if plane.tolerance is None else matrix_tolerance(plane.tolerance)
    for _ in range(2):
        start = time.perf_counter()
        h = estimate_entropies(matrices, plane.estimator, ALPHA, tolerance=tolerance)[0]
        h.numpy()
    return f" | entropies alone {time.perf_counter() - start:.2f}s"


def median_selection(n: int) -> None:
    """The median rule's width of six (n, 50) sets: ``width_rules.median_distance`` (selection
    by bisection on the float bits) against sorting every pair's distance (the code before,
    written here), each compiled with XLA, second call."""
    from infoplane_tf.estimator.kernels import squared_distances
    from infoplane_tf.width_rules import median_distance

    def by_sorting(d2):
        rows, cols = np.triu_indices(n, k=1)
        flat = tf.reshape(d2, [-1, n * n])
        distances = tf.sort(tf.sqrt(tf.gather(flat, rows * n + cols, axis=-1)), axis=-1)
        m = len(rows)
        return tf.reduce_mean(tf.gather(distances, [(m - 1) // 2, m // 2], axis=-1), axis=-1)

    d2 = squared_distances(tf.constant(np.random.default_rng(0).normal(size=(6, n, 50)),
                                       tf.float32))  # fmt: skip
    cells, values = [], []
    for name, function in (("bisection", median_distance), ("sort", by_sorting)):
        compiled = tf.function(function, jit_compile=True)
        start = time.perf_counter()
        compiled(d2).numpy()
        first = time.perf_counter() - start
        start = time.perf_counter()
        values.append(compiled(d2).numpy())
        cells.append(f"{name} {time.perf_counter() - start:.2f}s (first call {first:.2f}s)")
    same = np.array_equal(values[0], values[1])
    print(f"median of 6 x {n} samples: " + " | ".join(cells) + f" | equal: {same}")


def memory_child(n: int, estimator: str) -> None:
    """One method through the library (``InformationPlane``, streamed at this size) in this
    process: seconds for the plane (S(X)) and for one deep-AE point, peak RSS."""
    x, layers, output, iteration = deep_point_activations(n, "end")
    alpha, n_layers = ALPHA, len(layers)
    if estimator == "alpha2":  # the Frobenius path: building the matrices is all it does
        estimator, alpha = "exact", 2.0
    elif estimator == "exact":  # the bottleneck only: 4 spectra, the same matrices alive
        layers, n_layers = layers[2:3], 1
    before = _rss_mb()
    start = time.perf_counter()
    plane = ip.InformationPlane(x, alpha=alpha, estimator=estimator)
    t_plane = time.perf_counter() - start
    start = time.perf_counter()
    point = plane(layers, output)
    t_point = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {sys.argv[-1]:8s} n={n} layers={n_layers} S(X) {t_plane:6.1f}s point "
          f"{t_point:6.1f}s (first call) | RSS before {before:5.0f} MB, peak {peak:5.0f} MB "
          f"(+{peak - before:.0f}) | I(X;Z) {float(point['i_xt'][min(2, n_layers - 1)]):.3f}",
          flush=True)  # fmt: skip


def memory(n: int) -> None:
    """``memory_child`` for each method, each in a fresh process (peak RSS is per process)."""
    matrix_mb = n * n * 4 / 2**20
    print(f"peak RSS through the library at n = {n} (one float32 matrix: {matrix_mb:.0f} MB)")
    for method in ("alpha2", "slq", "nystrom", "identity", "auto", "exact"):
        subprocess.run([sys.executable, __file__, "--memory-child", str(n), method], check=True)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def correlated_gaussians(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 32)) @ (rng.normal(size=(32, 32)) * np.linspace(1, 0.05, 32))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,2000,4096")
    parser.add_argument("--checkpoints", default="early,peak,end")
    parser.add_argument("--rules", default="median,paper")
    parser.add_argument("--gaussian", action="store_true", help="also the synthetic point")
    parser.add_argument("--exact", default="", help="sizes for the exact-path table, e.g. "
                        "100,250,500,1000,2000,4000")  # fmt: skip
    parser.add_argument("--bottleneck", default="", help="sizes measured against float64 on "
                        "I(X;Z) only, e.g. 8192")  # fmt: skip
    parser.add_argument("--slq-settings", type=int, default=0, help="slq's probes and "
                        "deflation against float64 at this n (rules: --rules)")  # fmt: skip
    parser.add_argument("--memory", type=int, default=0, help="peak RSS per method at this n")
    parser.add_argument(
        "--whole",
        default="",
        help="sizes for whole points through "
        "InformationPlane at each --tolerances, e.g. 1000,2000,4096,8192",
    )
    parser.add_argument("--tolerances", default="0.1,0.05,0.02")
    parser.add_argument("--median-selection", type=int, default=0, help="time the median "
                        "rule's selection against sorting at this n")  # fmt: skip
    parser.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        return memory_child(int(args.memory_child[0]), args.memory_child[1])
    if args.memory:
        return memory(args.memory)
    if args.median_selection:
        return median_selection(args.median_selection)
    if args.whole:
        tolerances = [float(t) for t in args.tolerances.split(",")]
        whole_points([int(v) for v in args.whole.split(",")], args.rules.split(","), tolerances)
    if args.slq_settings:
        for rule in args.rules.split(","):
            slq_settings(args.slq_settings, rule)
    for n in [int(v) for v in args.bottleneck.split(",") if v]:
        for rule in args.rules.split(","):
            reference_on_bottleneck(n, rule)
    if args.exact:
        exact_paths([int(v) for v in args.exact.split(",")])
    for n in [int(v) for v in args.sizes.split(",") if v and not args.whole]:
        for rule in args.rules.split(","):
            for which in [c for c in args.checkpoints.split(",") if c]:
                one_case("deep", which, n, rule)
            if args.gaussian:
                one_case("gauss", "-", n, rule)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
