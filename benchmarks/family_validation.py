"""Estimator families against known answers: the tables of ``docs/families.md``.

- knn (KSG 1, k = 3) on correlated Gaussians: X, Y in d dimensions, each pair of coordinates
  with correlation ρ, I = −½ Σ log2(1 − ρ²); mean, bias and spread over seeds per (d, ρ, n);
- kde (s² = 0.1) on the Gaussian channel: samples x ~ N(0, v·I_d), T̃ = x + N(0, s²·I_d),
  I(X;T̃) = d/2 · log2(1 + v/s²); the upper and lower bounds per (d, v/s², n);
- scaling: the deep AE's bottleneck Z at its last checkpoint (n = 1,000 test images) scaled by
  c, I(X;cZ) under every family (binning with Z's observed range and with a fixed (0, 1)
  range).

Not timed: runs alongside other work. ``python benchmarks/family_validation.py`` (about ten
minutes on 2 cores); ``--seeds 2`` for a quick look, ``--tables scaling`` for one table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import infoplane_tf as ip
from infoplane_tf.estimator import kde, knn
from infoplane_tf.estimator.families import family_point

RUN = Path(__file__).resolve().parent.parent / "saved_results" / "fashion-mnist" / "deep"


def correlated(n: int, d: int, rho: float, seed: int):
    """X, Y (n, d) with coordinate-wise correlation ρ."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    return x, rho * x + np.sqrt(1 - rho**2) * rng.normal(size=(n, d))


def knn_table(seeds: int) -> None:
    print("| d | ρ | true I | n | KSG mean | bias | spread (sd) |")
    print("|---|---|---|---|---|---|---|")
    for d in (1, 2, 5, 10, 20):
        for rho in (0.0, 0.5, 0.9, 0.99):
            truth = -0.5 * d * np.log2(1 - rho**2) + 0.0  # + 0.0: no "-0.000"
            for n in (1000, 4096):
                values = [
                    float(knn.ksg_information(knn.distances(a), knn.distances(b), 3))
                    for a, b in (correlated(n, d, rho, seed) for seed in range(seeds))
                ]
                mean, sd = np.mean(values), np.std(values, ddof=1)
                print(f"| {d} | {rho:g} | {truth:.3f} | {n} | {mean:.3f} | {mean - truth:+.3f} "
                      f"| {sd:.3f} |", flush=True)  # fmt: skip


def kde_table(seeds: int) -> None:
    variance = 0.1
    print("| d | v/s² | true I | n | upper | lower | truth within [lower, upper] |")
    print("|---|---|---|---|---|---|---|")
    for d in (1, 2, 5, 10):
        for snr in (0.1, 1.0, 10.0, 100.0):
            truth = 0.5 * d * np.log2(1 + snr)
            for n in (1000, 4096):
                bounds = []
                for seed in range(seeds):
                    t = np.random.default_rng(seed).normal(scale=np.sqrt(snr * variance),
                                                           size=(n, d))  # fmt: skip
                    d2 = kde.pairwise_distances(t)
                    bounds.append([float(kde.pairwise_term(d2, variance, b))
                                   for b in ("upper", "lower")])  # fmt: skip
                upper, lower = np.mean(bounds, axis=0)
                inside = "yes" if lower <= truth <= upper else "no"
                print(f"| {d} | {snr:g} | {truth:.3f} | {n} | {upper:.3f} | {lower:.3f} | "
                      f"{inside} |", flush=True)  # fmt: skip


def scaling_table() -> None:
    run = ip.load_run(RUN)
    model = run.model_at(run.checkpoints[-1])
    data = ip.load_dataset("fashion-mnist", probe_size=2)
    x, y = data.x_test[:1000].reshape(1000, -1), data.y_test[:1000]
    layers, output = model.representations_and_output(x)
    z = np.asarray(layers["Z"], np.float64)
    cases = [
        ("binning, B = 30, observed range", "binning", 30, None),
        ("binning, B = 30, fixed range (0, 1)", "binning", 30, "sigmoid"),
        ("binning, B = 2, observed range", "binning", 2, None),
        ("binning, B = 2, fixed range (0, 1)", "binning", 2, "sigmoid"),
        ("kde, s² = 0.1", "kde", 0.1, None),
        ("knn, k = 3", "knn", 3, None),
        ("renyi, median rule", "renyi", None, None),
        ("renyi, paper rule (σ fixed by n and d)", "renyi", None, "paper"),
    ]
    scales = (0.1, 0.5, 1.0, 2.0, 10.0)
    print("| estimator | " + " | ".join(f"c = {c:g}" for c in scales) + " |")
    print("|---|" + "---|" * len(scales))
    for title, name, parameter, extra in cases:
        cells = []
        for c in scales:
            activations = {"Z": extra} if name == "binning" and extra else None
            renyi = {"sigma": extra or "median"} if name == "renyi" else None
            point = family_point(name, parameter, {"Z": c * z}, output, x, y, activations, renyi)
            cells.append(f"{point['i_xt'][0]:.3f}")
        print(f"| {title} | " + " | ".join(cells) + " |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", default="knn,kde,scaling", help="which tables to print")
    args = parser.parse_args()
    tables = args.tables.split(",")
    if "knn" in tables:
        print("## knn on correlated Gaussians\n")
        knn_table(args.seeds)
    if "kde" in tables:
        print("\n## kde on the Gaussian channel\n")
        kde_table(args.seeds)
    if "scaling" in tables:
        print("\n## scaling the bottleneck by c: I(X;cZ) in bits\n")
        scaling_table()


if __name__ == "__main__":
    main()
