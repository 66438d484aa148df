"""The paper's seven experiments as a resumable suite of training runs.

Each experiment is a normal run directory ``DIR/<experiment>`` (``DIR/<experiment>/seed-K``
with several seeds), made by ``training.run`` in a fresh worker process, exactly what a user gets
from ``infoplane-tf train``. A finished run (its ``summary.json`` says complete) is skipped on a
rerun; an unfinished one with a resume state and the same options continues from its last
finished epoch (``training.resume``); any other is started again. The runs go to any
``concurrent.futures.Executor`` (default: local processes), so another engine can run them
unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import time
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from pathlib import Path

from infoplane_tf._quiet import import_tensorflow
from infoplane_tf.catalog import EXPERIMENT_NAMES, EXPERIMENTS, PAPER, Experiment
from infoplane_tf.io.checkpoints import RESUME_NAME, TrainingInterrupted
from infoplane_tf.io.runs import CONFIG_NAME, SUMMARY_NAME
from infoplane_tf.validation import ParameterError, positive_float, positive_int
from infoplane_tf.workflows.config import TrainConfig, config_from_json

#: File with the suite's own record (options, wall time of each run and of the whole suite).
SUITE_NAME = "reproduce.json"


class SuiteFailedError(RuntimeError):
    """Some runs of a suite failed; the others finished and every outcome is recorded."""


__all__ = [
    "SuiteFailedError",
    "EXPERIMENTS",
    "EXPERIMENT_NAMES",
    "SUITE_NAME",
    "PlannedRun",
    "plan",
    "run_suite",
]


@dataclasses.dataclass
class PlannedRun:
    """One training run of the suite: its experiment, seed and complete ``TrainConfig``."""

    experiment: Experiment
    seed: int
    config: TrainConfig

    @property
    def out(self) -> Path:
        return Path(self.config.out)

    @property
    def done(self) -> bool:
        """Whether a previous invocation finished this run."""
        try:
            return bool(json.loads((self.out / SUMMARY_NAME).read_text()).get("complete"))
        except (OSError, ValueError):
            return False

    @property
    def resumable(self) -> bool:
        """Whether an earlier invocation left this run unfinished, with a resume state and
        the same options (anything else starts again)."""
        try:
            recorded = config_from_json(json.loads((self.out / CONFIG_NAME).read_text()))
        except (OSError, ValueError, TypeError):
            return False
        same = dataclasses.replace(recorded, overwrite=self.config.overwrite) == self.config
        return same and (self.out / RESUME_NAME).is_file()


def plan(
    dataset: str,
    out: Path,
    *,
    epochs_scale: float = 1.0,
    epochs: int | None = None,
    seeds: int = 1,
    experiments: Sequence[str] = EXPERIMENT_NAMES,
    **options,
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
        **options: further ``TrainConfig`` fields for every run (``sigma_rule``, ``record``,
            ``probe_size``, ...).

    Raises:
        ValueError (naming the parameter): an unknown experiment or option, epochs_scale ≤ 0,
            seeds < 1, epochs < 1, or an option value ``TrainConfig`` refuses.
    """
    unknown = [name for name in experiments if name not in EXPERIMENT_NAMES]
    if unknown:
        raise ParameterError(
            "experiments",
            f"must be among {', '.join(EXPERIMENT_NAMES)}, got {', '.join(unknown)}",
        )
    epochs_scale = positive_float("epochs_scale", epochs_scale)
    seeds = positive_int("seeds", seeds)
    base_epochs = PAPER.epochs if epochs is None else positive_int("epochs", epochs)
    _check_options(options)
    runs = []
    for experiment in (e for e in EXPERIMENTS if e.name in experiments):
        n_epochs = max(1, round(base_epochs * experiment.epochs // PAPER.epochs * epochs_scale))
        for seed in range(seeds):
            folder = out / experiment.name / (f"seed-{seed}" if seeds > 1 else "")
            config = TrainConfig(
                **{
                    **options,
                    "train_fraction": experiment.train_fraction,
                    "model": experiment.model,
                    "dataset": dataset,
                    "epochs": n_epochs,
                    "seed": seed,
                    "name": experiment.name if seeds == 1 else f"{experiment.name} seed {seed}",
                    "out": str(folder),
                    "overwrite": True,
                }
            )
            config.validate()
            runs.append(PlannedRun(experiment, seed, config))
    return runs


def _check_options(options: dict) -> None:
    """Options a suite may set for every run: ``TrainConfig`` fields its experiments leave."""
    fixed = {"model", "dataset", "epochs", "seed", "train_fraction", "name", "out", "overwrite"}
    allowed = {f.name for f in dataclasses.fields(TrainConfig)} - fixed
    bad = sorted(set(options) - allowed)
    if bad:
        raise ParameterError("options", f"must be among {', '.join(sorted(allowed))}, got {bad}")


def run_suite(
    runs: list[PlannedRun],
    out: Path,
    *,
    jobs: int = 1,
    log: Callable[[str], None] = print,
    suite_options: dict | None = None,
    executor: Executor | None = None,
) -> dict:
    """Runs the planned runs (skipping finished ones), each in its own worker process.

    Args:
        runs: from ``plan``.
        out: the suite folder (its ``reproduce.json`` records options and wall times).
        jobs: how many runs at once (with the default executor).
        log: progress lines.
        suite_options: the options to record.
        executor: where the runs go; default a pool of ``jobs`` processes, one per run (so a
            script that calls this needs the ``if __name__ == "__main__":`` guard of the
            ``spawn`` start method).

    Returns:
        The suite record written to ``reproduce.json``.

    Raises:
        SuiteFailedError: a run failed, its own error or its worker's death (the others still
            finish and every outcome is recorded; the message names the failures).
    """
    out.mkdir(parents=True, exist_ok=True)
    record = {"options": suite_options or {}, "runs": _earlier_runs(out / SUITE_NAME)}
    pending = [planned for planned in runs if not planned.done]
    for planned in (planned for planned in runs if planned not in pending):
        log(f"skip {planned.out} (finished earlier)")
    started = time.time()
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(
            max(1, jobs), mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1
        )
    try:
        futures = [
            (planned, executor.submit(train_one, planned.config, planned.resumable))
            for planned in pending
        ]
        for planned in pending:
            log(f"{'resuming' if planned.resumable else 'queued'} {planned.out}")
        failures = [key for key in _collect(futures, out, record["runs"], log) if key]
    finally:
        if own:
            executor.shutdown(wait=True)
    record.update(wall_time_s=round(time.time() - started, 1), jobs=jobs)
    (out / SUITE_NAME).write_text(json.dumps(record, indent=2) + "\n")
    if failures:
        raise SuiteFailedError(f"{len(failures)} run(s) failed: {', '.join(failures)}")
    return record


def _collect(futures, out: Path, outcomes: dict, log: Callable[[str], None]):
    """Waits for each run in order, records its outcome; yields the failed runs' keys (None for
    a finished run)."""
    for planned, future in futures:
        try:
            seconds, error = future.result()
        except BrokenExecutor as broken:  # the worker died (killed, out of memory)
            seconds, error = None, f"the worker process died ({broken})"
        key = str(planned.out.relative_to(out))
        outcomes[key] = {"seconds": seconds and round(seconds, 1), "error": error}
        log(f"FAILED {planned.out}: {error}" if error else f"done  {planned.out} ({seconds:.0f} s)")
        yield key if error else None


def train_one(config: TrainConfig, resume: bool = False) -> tuple[float, str | None]:
    """Runs ``training.run(config)`` (or ``training.resume`` of its folder) here, in a worker
    process; ``(seconds, one-line error or None)``: a run's own failure or interruption is
    reported, not raised, so the rest of a suite goes on."""
    import_tensorflow()  # quietly: the worker shares the terminal
    from infoplane_tf.workflows import training

    begin = time.time()
    try:
        if resume:
            training.resume(config.out)
        else:
            training.run(config)
    except TrainingInterrupted as stop:
        return time.time() - begin, f"{stop}; run the suite again to resume it"
    except Exception as error:  # noqa: BLE001 - reported as the run's one-line failure
        return time.time() - begin, f"{type(error).__name__}: {' '.join(str(error).split())}"
    return time.time() - begin, None


def _earlier_runs(path: Path) -> dict:
    try:
        return json.loads(path.read_text()).get("runs", {})
    except (OSError, ValueError):
        return {}
