"""The paper's seven experiments as a resumable sweep of training runs.

The grid is ``{"experiment": [...], "seed": [0, ..., seeds - 1]}`` (``infoplane_tf.workflows
.sweep``): each experiment is a normal run directory ``DIR/<experiment>``
(``DIR/<experiment>/seed-K`` with several seeds), made by ``training.run`` on a worker, exactly
what a user gets from ``infoplane-tf train``. A finished run (its ``summary.json`` says
complete, with the same options) is skipped on a rerun; an unfinished one with a resume state
and the same options continues from its last finished epoch (``training.resume``); any other
is started again. The runs go to an embedded Dask cluster, an existing one, or any
``concurrent.futures.Executor``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path

from infoplane_tf.catalog import EXPERIMENT_NAMES, EXPERIMENTS, Experiment
from infoplane_tf.io.options import TrainConfig
from infoplane_tf.validation import ParameterError, positive_int, renamed
from infoplane_tf.workflows import sweep
from infoplane_tf.workflows.sweep import PlannedRun, Progress, SweepFailedError

#: A failed run of the suite (the others finish and every outcome is recorded).
SuiteFailedError = SweepFailedError

__all__ = [
    "SuiteFailedError",
    "EXPERIMENTS",
    "EXPERIMENT_NAMES",
    "Experiment",
    "PlannedRun",
    "paper_grid",
    "plan",
    "reproduce",
    "run_suite",
]


def paper_grid(experiments: Sequence[str] = EXPERIMENT_NAMES, seeds: int = 1) -> dict:
    """The suite's grid: the named experiments in the paper's order, seeds 0..seeds-1.

    Raises:
        ValueError (naming the parameter): an unknown experiment, or seeds < 1.
    """
    unknown = [name for name in experiments if name not in EXPERIMENT_NAMES]
    if unknown:
        raise ParameterError(
            "experiments",
            f"must be among {', '.join(EXPERIMENT_NAMES)}, got {', '.join(unknown)}",
        )
    seeds = positive_int("seeds", seeds)
    names = [name for name in EXPERIMENT_NAMES if name in experiments]
    return {sweep.EXPERIMENT: names, "seed": list(range(seeds))}


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
        **options: further ``TrainConfig`` fields for every run (``sigma``, ``record``,
            ``probe_size``, ...).

    Raises:
        ValueError (naming the parameter): an unknown experiment or option, epochs_scale ≤ 0,
            seeds < 1, epochs < 1, or an option value ``TrainConfig`` refuses.
    """
    grid, fixed = _grid_and_options(dataset, epochs, seeds, experiments, options)
    return sweep.expand(grid, out, epochs_scale=epochs_scale, **fixed)


def _grid_and_options(dataset, epochs, seeds, experiments, options) -> tuple[dict, dict]:
    grid = paper_grid(experiments, seeds)
    _check_options(options)
    fixed = {"dataset": dataset, **options}
    if epochs is not None:
        fixed["epochs"] = positive_int("epochs", epochs)
    return grid, fixed


def _check_options(options: dict) -> None:
    """Options a suite may set for every run: ``TrainConfig`` fields its experiments leave."""
    fixed = {"model", "dataset", "epochs", "seed", "train_fraction", "name", "out", "overwrite"}
    allowed = {f.name for f in dataclasses.fields(TrainConfig)} - fixed
    bad = sorted(set(options) - allowed)
    if bad:
        raise ParameterError("options", f"must be among {', '.join(sorted(allowed))}, got {bad}")


def reproduce(
    dataset: str,
    out: str | Path,
    *,
    epochs_scale: float = 1.0,
    epochs: int | None = None,
    seeds: int = 1,
    experiments: Sequence[str] = EXPERIMENT_NAMES,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
    progress: Callable[[Progress], None] | None = None,
    **options,
) -> dict:
    """Plans the suite (see ``plan``) and runs it as a sweep (see ``sweep.sweep``): ``workers``
    runs at once on an embedded Dask cluster (default 1), or the workers of ``scheduler``.
    ``jobs`` is the old name of ``workers`` (deprecated; it goes in 0.8).

    Returns:
        The record written to ``out/sweep.json``.
    """
    workers = renamed("reproduce", "jobs", "workers", options.pop("jobs", None), workers)
    grid, fixed = _grid_and_options(dataset, epochs, seeds, experiments, options)
    return sweep.sweep(
        grid,
        out,
        workers=workers if workers is not None or scheduler else 1,
        scheduler=scheduler,
        overwrite=overwrite,
        epochs_scale=epochs_scale,
        log=log,
        progress=progress,
        **fixed,
    )


def run_suite(
    runs: list[PlannedRun],
    out: Path,
    *,
    jobs: int = 1,
    log: Callable[[str], None] = print,
    executor: Executor | None = None,
) -> dict:
    """Runs the planned runs that are not finished, ``jobs`` at once (on ``executor`` if
    given, else an embedded Dask cluster); see ``sweep.run_sweep``.

    Returns:
        The record written to ``out/sweep.json``.

    Raises:
        SuiteFailedError: a run failed, its own error or its worker's death (the others still
            finish and every outcome is recorded; the message names the failures).
    """
    return sweep.run_sweep(runs, out, workers=jobs, executor=executor, log=log)
