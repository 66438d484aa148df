"""The named suites as resumable sweeps of training runs: the paper's seven autoencoder
experiments, and the classic classifier experiments (``catalog.SUITES``).

The grid is ``{"experiment": [...], "seed": [0, ..., seeds - 1]}`` (``infoplane_tf.workflows
.sweep``): each experiment is a normal run directory ``DIR/<experiment>``
(``DIR/<experiment>/seed-K`` with several seeds), made by ``training.run`` on a worker, exactly
what a user gets from ``infoplane-tf train``. A finished run (its ``summary.json`` says
complete, with the same options) is skipped on a rerun; an unfinished one with a resume state
and the same options continues from its last finished epoch (``training.resume``); any other
is started again. The runs go to an embedded Dask cluster, an existing one, or any
``concurrent.futures.Executor``.

The classifier suite (``suite="classifiers"``) runs each experiment with its own seeds (5 for
the 12-bit networks), dataset (``tishby12``, or the suite's image set: MNIST by default) and
training options (``catalog.CLASSIFIER_EXPERIMENTS``), which win over the suite's options.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from pathlib import Path

from infoplane_tf.catalog import EXPERIMENT_NAMES, EXPERIMENTS, SUITES, Experiment
from infoplane_tf.io.options import TrainConfig
from infoplane_tf.validation import ParameterError, one_of, positive_int, renamed
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


def classifier_runs(
    out: str | Path,
    *,
    dataset: str | None = None,
    experiments: Sequence[str] | None = None,
    seeds: int | None = None,
    epochs_scale: float = 1.0,
    **options,
) -> tuple[list[PlannedRun], dict]:
    """The runs of the classifier suite, in order, and its spec (for ``sweep.json``).

    Args:
        out: the suite folder; runs go to ``out/<experiment>[/seed-K]``.
        dataset: the image set of the image experiments (default ``"mnist"``).
        experiments: which (default: all of ``SUITES["classifiers"]``).
        seeds: seeds per experiment (default: each experiment's own).
        epochs_scale: multiplies every experiment's epochs.
        **options: further ``TrainConfig`` fields (the experiments' own options win).

    Raises:
        ValueError (naming the parameter): an unknown experiment or option, or a bad value.
    """
    known = {e.name: e for e in SUITES["classifiers"]}
    names = list(known) if experiments is None else list(experiments)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ParameterError(
            "experiments", f"must be among {', '.join(known)}, got {', '.join(unknown)}"
        )
    _check_options(options)
    fixed = {"dataset": dataset or "mnist", **options}
    counts = {name: positive_int("seeds", seeds or known[name].seeds) for name in names}
    runs = []
    for name in names:
        grid = {sweep.EXPERIMENT: [name], "seed": list(range(counts[name]))}
        runs += sweep.expand(grid, out, epochs_scale=epochs_scale, **fixed)
    spec = {
        "grid": {sweep.EXPERIMENT: names, "seeds": [counts[name] for name in names]},
        "options": fixed,
        "epochs_scale": epochs_scale,
    }
    return runs, spec


def reproduce(
    dataset: str | None,
    out: str | Path,
    *,
    suite: str = "autoencoders",
    epochs_scale: float = 1.0,
    epochs: int | None = None,
    seeds: int | None = None,
    experiments: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    log: Callable[[str], None] = print,
    progress: Callable[[Progress], None] | None = None,
    **options,
) -> dict:
    """Plans a suite and runs it as a sweep (see ``sweep.sweep``): ``workers`` runs at once on
    an embedded Dask cluster (default: one per core, at most one per 2 GiB of memory, as
    ``sweep``), or the workers of ``scheduler``. ``jobs`` is the old
    name of ``workers`` (deprecated; it goes in 0.8).

    ``suite="autoencoders"`` (default): the paper's experiments on ``dataset`` (required), see
    ``plan`` (``seeds`` default 1, ``experiments`` default all). ``suite="classifiers"``: see
    ``classifier_runs`` (``dataset``: the image set, default MNIST; ``epochs`` is refused:
    scale with ``epochs_scale``).

    Returns:
        The record written to ``out/sweep.json``.
    """
    workers = renamed("reproduce", "jobs", "workers", options.pop("jobs", None), workers)
    if one_of("suite", suite, SUITES) == "classifiers":
        if epochs is not None:
            raise ParameterError("epochs", "is set by each classifier experiment; use epochs_scale")
        runs, spec = classifier_runs(
            out, dataset=dataset, experiments=experiments, seeds=seeds,
            epochs_scale=epochs_scale, **options,
        )  # fmt: skip
        return sweep.run_sweep(
            runs, out, spec=spec, overwrite=overwrite, workers=workers, scheduler=scheduler,
            log=log, progress=progress,
        )  # fmt: skip
    if dataset is None:
        raise ParameterError("dataset", "must be given for the autoencoder suite")
    experiments = EXPERIMENT_NAMES if experiments is None else experiments
    grid, fixed = _grid_and_options(dataset, epochs, seeds or 1, experiments, options)
    return sweep.sweep(
        grid,
        out,
        workers=workers,
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
