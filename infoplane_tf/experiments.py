"""The paper's seven experiments, and running them as a resumable suite of CLI runs.

Each experiment is a normal run directory ``DIR/<experiment>`` (``DIR/<experiment>/seed-K``
with several seeds), made by a real ``infoplane-tf train`` subprocess, so the saved results are
exactly what a user gets from the command line. A finished run (its ``summary.json`` says
complete) is skipped on a rerun; an unfinished one is started again.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from infoplane_tf.errors import UsageError
from infoplane_tf.runs import SUMMARY_NAME

#: File with the suite's own record (options, wall time of each run and of the whole suite).
SUITE_NAME = "reproduce.json"


@dataclasses.dataclass(frozen=True)
class Experiment:
    """One of the paper's experiments: a model and the options that differ from the defaults."""

    name: str
    model: str
    description: str
    epochs: int = 50
    train_fraction: float = 1.0


#: Lee & Jo's experiments (50 epochs, batch 100, Adam 0.005, per-iteration recording).
EXPERIMENTS = (
    Experiment("shallow", "vanilla", "shallow vanilla AE 784-50-784"),
    Experiment("deep", "deep", "deep vanilla AE 784-256-128-50-128-256-784"),
    Experiment(
        "deep-overfit",
        "deep",
        "deep AE on the first 10% of the training data, 10x the epochs",
        epochs=500,
        train_fraction=0.1,
    ),
    Experiment("sparse", "sparse", "sparse AE 784-50-784, KL sparsity rho=0.05, beta=0.001"),
    Experiment("tied", "tied", "tied AE 784-50-784, decoder = encoder transposed"),
    Experiment("vae", "vae", "variational AE 784-256-128-(50)-128-256-784"),
    Experiment("label", "label", "label AE: deep AE with a softmax bottleneck + 0.01 CE"),
)
EXPERIMENT_NAMES = tuple(e.name for e in EXPERIMENTS)


@dataclasses.dataclass
class PlannedRun:
    """One training run of the suite: where it goes and its ``infoplane-tf train`` options."""

    experiment: Experiment
    seed: int
    out: Path
    options: list[str]

    @property
    def done(self) -> bool:
        """Whether a previous invocation finished this run."""
        summary = self.out / SUMMARY_NAME
        try:
            return bool(json.loads(summary.read_text()).get("complete"))
        except (OSError, ValueError):
            return False


def plan(
    dataset: str,
    out: Path,
    *,
    epochs_scale: float = 1.0,
    epochs: int | None = None,
    seeds: int = 1,
    experiments: tuple[str, ...] = EXPERIMENT_NAMES,
    sigma_rule: str = "paper",
    record: str = "iteration",
    probe_size: int = 100,
) -> list[PlannedRun]:
    """The runs of a suite, in order.

    Args:
        dataset: dataset name for every run.
        out: the suite folder.
        epochs_scale: multiplies every experiment's epochs (at least 1 epoch).
        epochs: replaces the base 50 epochs (``deep-overfit`` keeps its 10×); applied before
            ``epochs_scale``.
        seeds: number of seeds (0..seeds-1); with more than one, runs go to ``seed-K``.
        experiments: which experiments, by name.
        sigma_rule, record, probe_size: passed to every run.

    Raises:
        UsageError: an unknown experiment, epochs_scale ≤ 0, seeds < 1 or epochs < 1.
    """
    unknown = [name for name in experiments if name not in EXPERIMENT_NAMES]
    if unknown:
        raise UsageError(
            f"unknown experiment(s) {', '.join(unknown)}; choose from {', '.join(EXPERIMENT_NAMES)}"
        )
    if not epochs_scale > 0:
        raise UsageError(f"--epochs-scale must be > 0, got {epochs_scale}")
    if seeds < 1:
        raise UsageError(f"--seeds must be >= 1, got {seeds}")
    if epochs is not None and epochs < 1:
        raise UsageError(f"--epochs must be >= 1, got {epochs}")
    runs = []
    for experiment in EXPERIMENTS:
        if experiment.name not in experiments:
            continue
        base = experiment.epochs if epochs is None else epochs * experiment.epochs // 50
        n_epochs = max(1, round(base * epochs_scale))
        for seed in range(seeds):
            folder = out / experiment.name
            if seeds > 1:
                folder = folder / f"seed-{seed}"
            options = [
                "--model", experiment.model,
                "--dataset", dataset,
                "--epochs", str(n_epochs),
                "--train-fraction", str(experiment.train_fraction),
                "--record", record,
                "--probe-size", str(probe_size),
                "--sigma-rule", sigma_rule,
                "--seed", str(seed),
                "--name", experiment.name if seeds == 1 else f"{experiment.name} seed {seed}",
                "--out", str(folder),
            ]  # fmt: skip
            runs.append(PlannedRun(experiment, seed, folder, options))
    return runs


def run_suite(
    runs: list[PlannedRun],
    out: Path,
    *,
    jobs: int = 1,
    log: Callable[[str], None] = print,
    suite_options: dict | None = None,
) -> dict:
    """Runs the planned runs (skipping finished ones) as ``infoplane-tf train`` subprocesses.

    Args:
        runs: from ``plan``.
        out: the suite folder (its ``reproduce.json`` records options and wall times).
        jobs: how many runs at once.
        log: progress lines.
        suite_options: the options to record.

    Returns:
        The suite record written to ``reproduce.json``.

    Raises:
        RuntimeError: a run failed (the others still finish; the message names the failures).
    """
    out.mkdir(parents=True, exist_ok=True)
    record_path = out / SUITE_NAME
    record = {"options": suite_options or {}, "runs": {}}
    if record_path.exists():
        try:
            record["runs"] = json.loads(record_path.read_text()).get("runs", {})
        except ValueError:
            pass
    pending = [r for r in runs if not r.done]
    for r in runs:
        if r.done:
            log(f"skip {r.out} (finished earlier)")
    started = time.time()

    def execute(planned: PlannedRun) -> tuple[PlannedRun, int, float]:
        log(f"start {planned.out}")
        begin = time.time()
        command = [sys.executable, "-m", "infoplane_tf_cli", "train", "-q", "--overwrite"]
        result = subprocess.run(
            [*command, *planned.options], capture_output=True, text=True, check=False
        )
        seconds = time.time() - begin
        if result.returncode:
            log(f"FAILED {planned.out}: {result.stderr.strip().splitlines()[-1:]}")
        else:
            log(f"done  {planned.out} ({seconds:.0f} s)")
        return planned, result.returncode, seconds

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(execute, pending))
    failures = []
    for planned, code, seconds in results:
        key = str(planned.out.relative_to(out))
        record["runs"][key] = {"seconds": round(seconds, 1), "exit_code": code}
        if code:
            failures.append(key)
    record["wall_time_s"] = round(time.time() - started, 1)
    record["jobs"] = jobs
    record_path.write_text(json.dumps(record, indent=2) + "\n")
    if failures:
        raise RuntimeError(f"{len(failures)} run(s) failed: {', '.join(failures)}")
    return record
