"""What weight checkpoints cost: during ``fit``, to re-measure a finished run, and on disk.

Part 1 (disk): the bytes of one checkpoint of each of the paper's models (float32 and float16),
of a whole run at the default schedule (``log:64`` over the paper's 30,000 iterations: 58
checkpoints) and of the resume state (weights and Adam's moments, float32, one file).

Part 2 (during ``fit``): the deep AE on ``--dataset`` (default Fashion-MNIST, 60,000 images,
batch 100) for ``--epochs`` epochs, the run's data stream, with and without
``CheckpointCallback("log:64")`` and ``ResumeCallback``. On this machine two fits differ by
±15 % by chance, far more than checkpoints cost, so the cost is measured where it is paid: the
seconds spent in the two callbacks' hooks, over the fit's wall time. log:64 spread over a
short fit is denser than over the paper's 50 epochs, so the measured fraction is a worst case;
the projection for the paper's run is (58 checkpoint writes + 50 state writes) × their measured
median times over 50 plain epochs. The plain/checkpointed wall ratio is printed too (median of
``--repeats`` interleaved pairs), for what it is worth.

Part 3 (re-measuring): a run directory of the deep AE at the default schedule (58 float32
checkpoints of a 30,000-iteration run) is made from ``--run`` (a finished deep-AE run, default
``saved_results/fashion-mnist/deep``: its own checkpoints stand in for the ones between them,
which costs the same to measure); then ``ip.measure`` of it at the run's own settings, with the
parts: loading, the first compiled call (tracing, XLA), the rest. Also ``infoplane-tf measure``
end to end in a new process (TensorFlow's import included), the figure a user waits for.

Prints only; asserts nothing. Run: ``python benchmarks/checkpoints.py [--epochs 3]
[--repeats 3] [--dataset fashion-mnist] [--run saved_results/fashion-mnist/deep]``.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import infoplane_tf as ip  # noqa: E402
from infoplane_tf.callbacks.checkpoints import CheckpointCallback  # noqa: E402
from infoplane_tf.callbacks.resume import ResumeCallback, save_state  # noqa: E402
from infoplane_tf.catalog import EXPERIMENTS, PAPER  # noqa: E402
from infoplane_tf.data.order import steps_per_epoch, training_batches  # noqa: E402
from infoplane_tf.io.checkpoints import (  # noqa: E402
    checkpoint_path,
    list_checkpoints,
    read_checkpoint,
    write_checkpoint,
)

PAPER_ITERATIONS = PAPER.epochs * 600  # 50 epochs of 60,000 images, batch 100
DEFAULT_SCHEDULE = 64


def default_iterations(total: int = PAPER_ITERATIONS) -> list[int]:
    """The iterations the default ``log:64`` checkpoints a run of ``total`` iterations at."""
    spaced = np.unique(np.round(np.geomspace(1, total, DEFAULT_SCHEDULE))).astype(int)
    return sorted({0, *spaced.tolist(), total})


def part_disk() -> None:
    count = len(default_iterations())
    print(f"\n## Part 1: disk (default schedule log:64 over {PAPER_ITERATIONS:,} iterations: "
          f"{count} checkpoints)\n")  # fmt: skip
    print(f"{'model':13s} {'weights':>9s} {'float32':>9s} {'float16':>9s} "
          f"{'run f32':>9s} {'run f16':>9s} {'resume':>9s}")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for experiment in EXPERIMENTS:
            if experiment.name == "deep-overfit":
                continue  # the deep AE's size
            model = ip.build_model(experiment.model)
            model.build((None, 784))
            model.optimizer.build(model.trainable_variables)
            values = {v.path: keras.ops.convert_to_numpy(v) for v in model.variables}
            sizes = {}
            for dtype in ("float32", "float16"):
                path = write_checkpoint(Path(folder) / dtype, 1, 0.0, values, dtype)
                sizes[dtype] = path.stat().st_size
            save_state(model, Path(folder) / "resume.npz", 1)
            state = (Path(folder) / "resume.npz").stat().st_size
            weights = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
            print(f"{experiment.model:13s} {weights:9,d} {sizes['float32'] / 1e6:7.2f}MB "
                  f"{sizes['float16'] / 1e6:7.2f}MB {count * sizes['float32'] / 1e6:7.1f}MB "
                  f"{count * sizes['float16'] / 1e6:7.1f}MB {state / 1e6:7.2f}MB")  # fmt: skip


class Timed:
    """Adds up the seconds spent in a callback's Keras hooks (the training thread's cost)."""

    HOOKS = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_batch_end",
             "on_train_end")  # fmt: skip

    def __init__(self, callback):
        self.seconds = 0.0
        for name in self.HOOKS:
            setattr(callback, name, self._timed(getattr(callback, name)))
        self.callback = callback

    def _timed(self, hook):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return hook(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        return timed


def _fit(dataset, epochs: int, folder: Path | None) -> tuple[float, float]:
    """Wall seconds of a fresh deep AE's fit (after a one-epoch warm-up), and the seconds in
    the checkpoint callbacks' hooks (folder None: no checkpoints)."""
    keras.utils.set_random_seed(0)
    model = ip.build_model("deep")
    x = dataset.x_train
    steps = steps_per_epoch(len(x), PAPER.batch_size)
    warm_up = training_batches(x, x, PAPER.batch_size, 0, 0, 1)
    model.fit(warm_up, steps_per_epoch=steps, shuffle=False, verbose=0)
    callbacks = []
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        callbacks = [
            Timed(CheckpointCallback(folder / "checkpoints", "log:64")),
            Timed(ResumeCallback(folder / "resume.npz")),
        ]
    start = time.perf_counter()
    model.fit(
        training_batches(x, x, PAPER.batch_size, 0, 1, 1 + epochs),
        epochs=epochs,
        steps_per_epoch=steps,
        shuffle=False,
        verbose=0,
        callbacks=[t.callback for t in callbacks],
    )
    return time.perf_counter() - start, sum(t.seconds for t in callbacks)


def _write_times(dataset, folder: Path, repeats: int = 15) -> tuple[float, float]:
    """Median seconds of one checkpoint write and one resume-state write (deep AE, float32)."""
    model = ip.build_model("deep")
    model.build((None, dataset.x_train.shape[1]))
    model.optimizer.build(model.trainable_variables)
    checkpoint, state = [], []
    for k in range(repeats):
        start = time.perf_counter()
        values = {v.path: keras.ops.convert_to_numpy(v) for v in model.variables}
        write_checkpoint(folder / "timing", k, 0.0, values)
        checkpoint.append(time.perf_counter() - start)
        start = time.perf_counter()
        save_state(model, folder / "timing.npz", k)
        state.append(time.perf_counter() - start)
    return statistics.median(checkpoint), statistics.median(state)


def part_fit(dataset, epochs: int, repeats: int) -> None:
    print(f"\n## Part 2: checkpoints during fit (deep AE, {dataset.info.name}, {epochs} epochs "
          f"after a warm-up epoch, median of {repeats})\n")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        plain, saved, hooks = [], [], []
        for _ in range(repeats):
            plain.append(_fit(dataset, epochs, None)[0])
            seconds, hook_seconds = _fit(dataset, epochs, folder)
            saved.append(seconds)
            hooks.append(hook_seconds)
        written = len(list_checkpoints(folder / "checkpoints"))
        write, state = _write_times(dataset, folder)
    epoch_seconds = statistics.median(plain) / epochs
    print(f"plain fit                  {statistics.median(plain):7.2f} s  "
          f"({', '.join(f'{s:.1f}' for s in plain)})")  # fmt: skip
    print(f"with checkpoints           {statistics.median(saved):7.2f} s  "
          f"({', '.join(f'{s:.1f}' for s in saved)}); wall ratio "
          f"{statistics.median(saved) / statistics.median(plain):.3f} (noise: ±15 %)")  # fmt: skip
    share = statistics.median(hooks) / statistics.median(saved)
    print(f"in the checkpoint hooks    {statistics.median(hooks):7.3f} s for {written} "
          f"checkpoints + {epochs} states: {share:.2%} of the fit (this schedule squeezed into "
          "these epochs: a worst case)")  # fmt: skip
    print(
        f"one checkpoint write       {write * 1e3:7.1f} ms; one resume state {state * 1e3:.1f} ms"
    )
    count = len(default_iterations())
    paper_plain = PAPER.epochs * epoch_seconds
    added = count * write + PAPER.epochs * state
    print(f"projected, paper's run     {count} checkpoints + {PAPER.epochs} states = {added:.2f} s "
          f"over {paper_plain:.0f} s of plain training: ratio {1 + added / paper_plain:.4f} "
          "(target ≤ 1.02)")  # fmt: skip


def _default_schedule_run(source: Path, target: Path) -> None:
    """A copy of ``source`` (a finished deep run) with float32 checkpoints at the default
    schedule, each the nearest of the source's own checkpoints at or before it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("checkpoints", "measurements"))
    own = list_checkpoints(source / "checkpoints")
    for iteration in default_iterations(int(ip.load_run(source).trajectory.iterations[-1])):
        nearest = max(i for i in own if i <= iteration)
        values, epoch = read_checkpoint(source / "checkpoints", nearest)
        write_checkpoint(target / "checkpoints", iteration, epoch, values, "float32")
    assert checkpoint_path(target / "checkpoints", 0).exists()


def part_measure(source: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "deep"
        _default_schedule_run(source, run_dir)
        run = ip.load_run(run_dir)
        print(f"\n## Part 3: re-measuring a {run.trajectory.iterations[-1]:,}-iteration deep run "
              f"({len(run.checkpoints)} float32 checkpoints, from {source})\n")  # fmt: skip
        calls = []

        def progress(done, total):
            calls.append((time.perf_counter(), done))

        start = time.perf_counter()
        ip.measure(run, progress=progress)
        total = time.perf_counter() - start
        first, rest = calls[0][0] - start, calls[-1][0] - calls[0][0]
        print(f"ip.measure                 {total:6.2f} s: first call (probe, data, tracing) "
              f"{first:.2f} s, the other {calls[-1][1] - calls[0][1]} checkpoints {rest:.2f} s "
              f"({rest / max(1, calls[-1][1] - calls[0][1]) * 1e3:.0f} ms each)")  # fmt: skip
        again = time.perf_counter()
        ip.measure(run)
        print(f"ip.measure again (warm)    {time.perf_counter() - again:6.2f} s")
        command = [sys.executable, "-m", "infoplane_tf_cli", "measure", str(run_dir), "--name",
                   "bench", "--gamma", "1"]  # fmt: skip
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        print(f"infoplane-tf measure (CLI) {time.perf_counter() - start:6.2f} s, a new process "
              "with TensorFlow's import (target: under 10 s)")  # fmt: skip
        settings = json.loads((run_dir / "measurements" / "bench" / "trajectory.json").read_text())
        assert settings["estimator"]["gamma"] == 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--run", type=Path, default=Path("saved_results/fashion-mnist/deep"))
    parser.add_argument("--skip-fit", action="store_true", help="parts 1 and 3 only")
    args = parser.parse_args()
    part_disk()
    if not args.skip_fit:
        part_fit(ip.load_dataset(args.dataset), args.epochs, args.repeats)
    part_measure(args.run)


if __name__ == "__main__":
    main()
