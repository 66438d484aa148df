"""The cost of a kernel-width map, and what computing the distances once saves.

Part 1 (kernels): six Gaussian Gram matrices of one layer's activations from one set of
distances (``gaussian_grams``) against six separate ``gaussian_gram`` calls, n = 100.
Part 2 (measure): a 6-width map of a deep-AE run with 64 checkpoints (the saved Fashion-MNIST
deep run's 24 checkpoints, repeated under new iterations) in one pass (``measure(gamma=[...])``)
against six ``measure`` calls, one width each.

Run: ``python benchmarks/width_map.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

import infoplane_tf as ip
from infoplane_tf.estimator import gaussian_gram
from infoplane_tf.estimator.kernels import gaussian_grams
from infoplane_tf.io.checkpoints import list_checkpoints, read_checkpoint, write_checkpoint

GAMMAS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)
RUN = Path(__file__).resolve().parent.parent / "saved_results" / "fashion-mnist" / "deep"


def best_of(function, repeats: int) -> float:
    """The fastest of ``repeats`` calls, seconds (after one warm-up call)."""
    function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def part_kernels() -> None:
    x = tf.constant(np.random.default_rng(0).random((100, 256)), tf.float32)
    one_pass = tf.function(lambda x: gaussian_grams(x, "paper", GAMMAS)[0], jit_compile=True)
    separate = tf.function(
        lambda x: tf.stack([gaussian_gram(x, "paper", g)[0] for g in GAMMAS]), jit_compile=True
    )
    np.testing.assert_allclose(one_pass(x).numpy(), separate(x).numpy(), rtol=1e-5, atol=1e-30)
    t_one, t_six = best_of(lambda: one_pass(x), 200), best_of(lambda: separate(x), 200)
    print("part 1: six Gram matrices of a (100, 256) layer, XLA")
    print(f"  distances once  {t_one * 1e3:8.3f} ms")
    print(f"  six separately  {t_six * 1e3:8.3f} ms   ratio {t_six / t_one:.2f}x")


def run_with_64_checkpoints(folder: Path) -> ip.Run:
    """A copy of the saved deep run whose checkpoints are repeated up to 64."""
    copy = Path(
        shutil.copytree(RUN, folder / "deep", ignore=shutil.ignore_patterns("measurements"))
    )
    folder = copy / "checkpoints"
    source = list_checkpoints(folder)
    for k in range(64 - len(source)):
        values, epoch = read_checkpoint(folder, source[k % len(source)])
        write_checkpoint(folder, 10**6 + k, epoch, values, dtype="float16")
    run = ip.load_run(copy)
    assert len(run.checkpoints) == 64, len(run.checkpoints)
    return run


def part_measure(folder: Path) -> None:
    run = run_with_64_checkpoints(folder)
    ip.measure(run, gamma=GAMMAS[:1])  # warm-up: compile and load the dataset once
    start = time.perf_counter()
    ip.measure(run, gamma=GAMMAS)
    t_map = time.perf_counter() - start
    start = time.perf_counter()
    for gamma in GAMMAS:
        ip.measure(run, gamma=gamma)
    t_six = time.perf_counter() - start
    start = time.perf_counter()
    ip.measure(run, gamma=2.0)
    t_one = time.perf_counter() - start
    print("part 2: deep AE, 64 checkpoints, n = 100, alpha = 1.01, paper rule")
    print(f"  one width                     {t_one:7.2f} s")
    print(f"  6-width map, one pass         {t_map:7.2f} s   ({t_map / t_one:.2f}x one width)")
    print(f"  6 widths, one measure each    {t_six:7.2f} s   ratio {t_six / t_map:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    part_kernels()
    with tempfile.TemporaryDirectory() as folder:
        part_measure(Path(folder))


if __name__ == "__main__":
    main()
