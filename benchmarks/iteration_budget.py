"""Where the CPU of a suite run goes: an epoch of the paper's runs, piece by piece.

The paper's suite (``reproduce``) trains seven autoencoders on Fashion-MNIST (600 steps an
epoch) and records every iteration. With one worker per core the suite's wall time is bounded
by its CPU seconds over the cores, so this times, in one process on one TensorFlow thread and
with op determinism (as a sweep's run trains), the CPU seconds (``time.process_time``, every
thread of the process) and the wall seconds of the second epoch of a fit, for:

- ``fit``: the training alone (``data.order.training_batches``, as ``train`` feeds it);
- ``+ test loss``: with ``LossRecorder`` computing the loss of 200 test images every iteration;
- ``+ points``: with ``InfoPlaneCallback(record=1)`` on the 100-image probe instead;
- ``+ points (whole)``: the same with the (T, Y) matrices' spectra taken whole, as before
  their class blocks (``kernels.class_blocks``, issue 26);
- ``train``'s callbacks: both, as ``train --record iteration`` has them (checkpoints aside:
  24 log-spaced ones in 30,000 steps).

Each row is the median of ``--repeats`` (the variants interleaved). Beside them, the inner
kernel: one compiled call of 4 deep-AE points (5 layers, labels) on the probe, class blocks
against whole matrices. Prints only; asserts nothing. Run: ``python
benchmarks/iteration_budget.py [--models deep,vae,label] [--repeats 3] [--variants ...]``.
The machine should be idle.
"""

import argparse
import contextlib
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from infoplane_tf.workflows.threads import use_threads  # noqa: E402

use_threads(1)  # before TensorFlow's first operation, as a sweep's run

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from infoplane_tf import PAPER, InfoPlaneCallback, build_model, load_dataset  # noqa: E402
from infoplane_tf.callbacks.loggers import LossRecorder  # noqa: E402
from infoplane_tf.data.order import steps_per_epoch, training_batches  # noqa: E402
from infoplane_tf.estimator import plane as plane_module  # noqa: E402
from infoplane_tf.workflows.training import ITERATION_TEST_SIZE  # noqa: E402

tf.config.experimental.enable_op_determinism()  # as training.run trains

VARIANTS = ("fit", "+ test loss", "+ points", "+ points (whole)", "train's callbacks")


def epoch_seconds(name, data, variant, folder):
    """``(cpu, wall)`` seconds of the second epoch of a new model's fit with ``variant``."""
    keras.utils.set_random_seed(0)
    model = build_model(name, learning_rate=PAPER.learning_rate)
    x = data.x_train
    y = data.y_train if name == "label" else x
    y_test = data.y_test if name == "label" else data.x_test
    callbacks = []
    if variant in ("+ points", "+ points (whole)", "train's callbacks"):
        with blocks(variant != "+ points (whole)"):
            callbacks.append(InfoPlaneCallback(*data.probe, record=1))
    if variant in ("+ test loss", "train's callbacks"):
        recorder = LossRecorder(
            Path(folder) / f"{name}-{variant}.csv",
            data.x_test[:ITERATION_TEST_SIZE],
            y_test[:ITERATION_TEST_SIZE],
            per_iteration=True,
        )
        callbacks.append(recorder)
    steps = steps_per_epoch(len(x), PAPER.batch_size)
    times = []
    for epoch in range(2):
        batches = training_batches(x, y, PAPER.batch_size, 0, epoch, epoch + 1)
        cpu, wall = time.process_time(), time.perf_counter()
        model.fit(batches, epochs=epoch + 1, initial_epoch=epoch, steps_per_epoch=steps,
                  shuffle=False, verbose=0, callbacks=callbacks)  # fmt: skip
        times.append((time.process_time() - cpu, time.perf_counter() - wall))
    return times[1]


@contextlib.contextmanager
def blocks(on):
    """Planes made inside take the label joints' spectra from class blocks, or whole."""
    original = plane_module.class_blocks
    if not on:
        plane_module.class_blocks = lambda labels, n: None
    try:
        yield
    finally:
        plane_module.class_blocks = original


def point_call_ms(data, on, repeats=50):
    """Median ms of one compiled call of 4 deep-AE points (one core, as the callback)."""
    from infoplane_tf.readout import Readout

    model = build_model("deep")
    x, y = data.probe
    with blocks(on):
        plane = plane_module.InformationPlane(x, y)
    readout = Readout.for_model(model, None, x)
    function = readout.point_function(plane, 4, one_core=True)
    snapshots = [[v.numpy() for v in readout.variables]] * 4
    args = (plane.probe, tf.constant(x), snapshots, tf.constant([0, 1, 2, 3], tf.int64),
            tf.constant(0, tf.int64))  # fmt: skip
    function(*args)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)["i_xt"].numpy()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="deep,vae,label", help="comma-separated models")
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per variant")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    unknown = set(args.variants.split(",")) - set(VARIANTS)
    if unknown:
        parser.error(f"--variants must be among {', '.join(VARIANTS)}, got {sorted(unknown)}")
    data = load_dataset("fashion-mnist", probe_size=PAPER.probe_size)
    steps = steps_per_epoch(len(data.x_train), PAPER.batch_size)
    print(
        f"Second epoch of a fit, Fashion-MNIST ({steps} steps), one TensorFlow thread; CPU "
        f"seconds of the process (every thread) and wall seconds, median of {args.repeats}"
    )
    print(f"  {'model':<6} {'variant':<18} {'CPU s':>7} {'wall s':>7} {'CPU × fit':>10}"
          f" {'CPU ms / step':>14}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for name in args.models.split(","):
            rows = {variant: [] for variant in args.variants.split(",")}
            for _ in range(args.repeats):
                for variant in rows:
                    rows[variant].append(epoch_seconds(name, data, variant, folder))
            fit_cpu = statistics.median(cpu for cpu, _ in rows.get("fit", [(math.nan, 0)]))
            for variant, times in rows.items():
                cpu = statistics.median(c for c, _ in times)
                wall = statistics.median(w for _, w in times)
                ratio = "-" if math.isnan(fit_cpu) else f"{cpu / fit_cpu:.2f}x"
                print(f"  {name:<6} {variant:<18} {cpu:7.2f} {wall:7.2f} {ratio:>10}"
                      f" {1000 * cpu / steps:14.2f}")  # fmt: skip
    whole, split = point_call_ms(data, False), point_call_ms(data, True)
    print(
        f"One call of 4 deep-AE points (median of 50): whole label joints {whole:.1f} ms, "
        f"class blocks {split:.1f} ms ({whole / split:.2f}x)"
    )


if __name__ == "__main__":
    main()
