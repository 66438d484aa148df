"""Time one information-plane point of the deep AE: the authors' NumPy way, optimized NumPy, ours.

Shapes: n probe samples; X and X' 784 wide; layers E1..D2 of widths 256, 128, 50, 128, 256.
  (a) NumPy in the authors' manner: every entropy from ``np.linalg.svd``, every marginal
      recomputed for every pair (I(X;T) and I(T;X') each compute three entropies);
  (b) optimized NumPy: ``np.linalg.eigvalsh``, S(X) cached across points and S(X'), S(T)
      computed once per point (16 eigendecompositions);
  (c) this package: ``InformationPlane.__call__`` (one compiled call, one batched eigvalsh).
Also prints the float32/float64 accuracy and speed that chose the default precision, then (c)
at larger n. Prints only; asserts nothing. Run: ``python benchmarks/estimator.py``.
"""

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from infoplane_tf import InformationPlane  # noqa: E402

WIDTHS = (256, 128, 50, 128, 256)
ALPHA, GAMMA = 1.01, 2.0


def gram(x):
    n, d = x.shape
    sq = (x * x).sum(1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0)
    sigma = GAMMA * n ** (-1 / (4 + d))
    return np.exp(-d2 / (2 * sigma**2))


def entropy_svd(k):
    a = k / np.trace(k)
    _, lam, _ = np.linalg.svd(a)  # the authors' call: full SVD, singular vectors included
    return math.log2((lam**ALPHA).sum() + 1e-8) / (1 - ALPHA)


def entropy_eigh(k):
    a = k / np.trace(k)
    lam = np.clip(np.linalg.eigvalsh(a), 0, None)
    lam /= lam.sum()
    return math.log2((lam**ALPHA).sum()) / (1 - ALPHA)


def point_authors(x, layers, out):
    """(a): one pair at a time, everything recomputed."""
    results = []
    for t in layers:
        kx, kt, ko = gram(x), gram(t), gram(out)
        i_xt = entropy_svd(kx) + entropy_svd(kt) - entropy_svd(kx * kt)
        i_to = entropy_svd(kt) + entropy_svd(ko) - entropy_svd(kt * ko)
        results.append((i_xt, i_to))
    return results


class OptimizedNumpy:
    """(b): eigvalsh, the probe's Gram and entropy cached, each marginal once per point."""

    def __init__(self, x):
        self.kx = gram(x)
        self.hx = entropy_eigh(self.kx)

    def __call__(self, layers, out):
        ko = gram(out)
        ho = entropy_eigh(ko)
        results = []
        for t in layers:
            kt = gram(t)
            ht = entropy_eigh(kt)
            i_xt = self.hx + ht - entropy_eigh(self.kx * kt)
            i_to = ht + ho - entropy_eigh(kt * ko)
            results.append((i_xt, i_to))
        return results


def median_seconds(fn, repeats):
    fn()  # warm-up (tracing for TF)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def make_point(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784)).astype(np.float32)
    layers = [1 / (1 + np.exp(-rng.standard_normal((n, w)))) for w in WIDTHS]
    layers = [t.astype(np.float32) for t in layers]
    out = np.clip(x + 0.1 * rng.standard_normal(x.shape), 0, 1).astype(np.float32)
    return x, layers, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--sizes", default="500,1000,2000", help="larger n for (c)")
    args = parser.parse_args()

    n = 100
    x, layers, out = make_point(n)
    x64, out64 = x.astype(np.float64), out.astype(np.float64)
    layers64 = [t.astype(np.float64) for t in layers]
    optimized = OptimizedNumpy(x64)
    ours = InformationPlane(x)
    ours64 = InformationPlane(x, dtype="float64")

    t_a = median_seconds(lambda: point_authors(x64, layers64, out64), max(5, args.repeats // 5))
    t_b = median_seconds(lambda: optimized(layers64, out64), args.repeats)
    t_c = median_seconds(lambda: ours(layers, out), args.repeats)
    t_c64 = median_seconds(lambda: ours64(layers, out), args.repeats)

    print(f"One information-plane point, deep AE shapes, n = {n} (median of repeats)")
    print(f"  (a) NumPy, authors' manner (svd, all recomputed): {t_a * 1e3:8.2f} ms")
    print(f"  (b) NumPy, optimized (eigvalsh, cached):          {t_b * 1e3:8.2f} ms")
    print(f"  (c) infoplane-tf InformationPlane (float32):      {t_c * 1e3:8.2f} ms")
    print(f"      infoplane-tf InformationPlane (float64):      {t_c64 * 1e3:8.2f} ms")
    print(f"  ratio a/c = {t_a / t_c:6.1f}x   ratio b/c = {t_b / t_c:5.2f}x")

    reference = np.array([r[0] for r in optimized(layers64, out64)])
    for name, plane in (("float32", ours), ("float64", ours64)):
        error = np.abs(plane(layers, out)["i_xt"].numpy() - reference).max()
        print(f"  max |I(X;T) - NumPy float64| with {name}: {error:.2e} bits")

    print("\n(c) at larger n (one point, same shapes)")
    for size in (int(s) for s in args.sizes.split(",") if s):
        xs, ls, os_ = make_point(size, seed=size)
        plane = InformationPlane(xs)
        seconds = median_seconds(lambda plane=plane, ls=ls, os_=os_: plane(ls, os_), 3)
        print(f"  n = {size:5d}: {seconds * 1e3:9.1f} ms per point")


if __name__ == "__main__":
    main()
