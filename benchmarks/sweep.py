"""What running runs as a sweep costs and gains: the wall time of one mini-sweep made four ways.

The mini-sweep is ``--runs`` deep AEs (seeds 0, 1, ...) on ``--dataset`` (default the embedded
mnist-5k) for ``--epochs`` epochs, recording every ``--record`` (default ``every:10``). It is
made, each time into a fresh folder and from a new process, by

1. sequential ``infoplane-tf train`` calls, one run after another (one process each);
2. sequential ``training.run`` calls in one process (TensorFlow imported once);
3. ``infoplane-tf sweep --workers 1``: an embedded Dask cluster of one worker;
4. ``infoplane-tf sweep --workers 2``: two workers, each run with half the cores' threads.

Targets (issue 15): 4 is at least 1.6× faster than 3 on 2 cores; 3 takes at most 5 % longer
than 1. A sweep starts every run in a new process (see ``infoplane_tf.workflows.task``), so it
pays TensorFlow's start per run as 1 does, and 2 shows what that start costs.

Prints only; asserts nothing. Run: ``python benchmarks/sweep.py [--runs 8] [--epochs 20]
[--record every:10] [--dataset mnist-5k]``; ``--epochs 1 --runs 2`` checks that it works.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CLI = [sys.executable, "-m", "infoplane_tf_cli"]


def run_options(args) -> list[str]:
    """The ``train`` options every run shares."""
    return ["--model", "deep", "--dataset", args.dataset, "--epochs", str(args.epochs),
            "--record", args.record]  # fmt: skip


def timed(command: list[str]) -> float:
    """Seconds ``command`` takes; its failure stops the benchmark with its output."""
    begin = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - begin


def sequential_train_calls(args, folder: Path) -> float:
    """Seconds of ``--runs`` ``infoplane-tf train`` processes, one after another."""
    begin = time.perf_counter()
    for seed in range(args.runs):
        out = folder / f"seed-{seed}"
        timed([*CLI, "train", *run_options(args), "--seed", str(seed), "--out", str(out), "-q"])
    return time.perf_counter() - begin


def sequential_in_one_process(args, folder: Path) -> float:
    """This script again, in its ``--in-process`` mode (a new process, as the others)."""
    options = ["--runs", str(args.runs), "--epochs", str(args.epochs), "--record", args.record,
               "--dataset", args.dataset]  # fmt: skip
    return timed([sys.executable, __file__, "--in-process", str(folder), *options])


def train_in_this_process(args, folder: Path) -> None:
    """The ``--in-process`` mode: every run with ``training.run``, here."""
    from infoplane_tf.io.options import TrainConfig
    from infoplane_tf.workflows import training

    for seed in range(args.runs):
        config = TrainConfig(
            model="deep",
            dataset=args.dataset,
            epochs=args.epochs,
            record=args.record,
            seed=seed,
            out=str(folder / f"seed-{seed}"),
        )
        training.run(config)


def sweep(args, folder: Path, workers: int) -> float:
    """Seconds of ``infoplane-tf sweep`` over the seeds on ``workers`` embedded workers."""
    seeds = ",".join(str(seed) for seed in range(args.runs))
    command = [*CLI, "sweep", str(folder), *run_options(args), "--vary", f"seed={seeds}",
               "--workers", str(workers), "-q"]  # fmt: skip
    return timed(command)


def main() -> None:
    """Times the four ways and prints them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--record", default="every:10")
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--in-process", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process is not None:
        train_in_this_process(args, args.in_process)
        return
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"{args.runs} runs: deep AE on {args.dataset}, {args.epochs} epochs, recording "
          f"{args.record}; {cores} cores")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        times = {
            "sequential `infoplane-tf train` calls": sequential_train_calls(args, scratch / "a"),
            "sequential training.run, one process": sequential_in_one_process(args, scratch / "b"),
            "sweep, 1 worker": sweep(args, scratch / "c", 1),
            "sweep, 2 workers": sweep(args, scratch / "d", 2),
        }
    for name, seconds in times.items():
        print(f"  {name:<40} {seconds:8.1f} s  {seconds / args.runs:6.1f} s a run")
    one, two = times["sweep, 1 worker"], times["sweep, 2 workers"]
    calls, loop = (
        times["sequential `infoplane-tf train` calls"],
        times["sequential training.run, one process"],
    )
    print(f"2 workers vs 1:               {one / two:5.2f}x faster  (target >= 1.6)")
    print(f"1 worker vs train calls:      {one / calls:5.3f}        (target <= 1.05)")
    print(f"1 worker vs training.run loop: {one / loop:5.3f}        (a process per run)")


if __name__ == "__main__":
    main()
