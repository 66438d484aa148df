"""A sweep: a grid of training runs (seeds × models × settings) on a Dask cluster.

A grid maps options to values, ``{"model": ["deep", "tied"], "seed": [0, 1, 2]}``: any
``TrainConfig`` field, plus ``experiment`` (one of the paper's: its model, training fraction
and epochs). Every combination is one run, checked before any run starts, made by
``training.run`` on a worker (``infoplane_tf.workflows.task``) and written to
``DIR/[<setting>/]<experiment or model>/[seed-K]``, where ``<setting>`` names the other
options the grid varies (``learning_rate=0.001``) and ``seed-K`` appears when several seeds
are swept. ``DIR/sweep.json`` records the grid, the fixed options and each run's state
(done, failed with its one-line error, or running), wall time and worker.

A rerun skips finished runs and resumes unfinished ones that kept a resume state; a ``DIR``
holding a sweep of another grid is refused unless ``overwrite``. ``report`` reads the layout:
one suite per setting, seed bands per experiment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

from infoplane_tf.catalog import EXPERIMENT_NAMES, EXPERIMENTS, PAPER, Experiment
from infoplane_tf.io.checkpoints import RESUME_NAME
from infoplane_tf.io.options import TrainConfig, config_from_json
from infoplane_tf.io.runs import CONFIG_NAME, SUMMARY_NAME, is_run_dir, write_json
from infoplane_tf.validation import ParameterError, positive_float
from infoplane_tf.workflows import executors, task

#: The sweep's record in its folder.
SWEEP_NAME = "sweep.json"
#: The grid's name for one of the paper's experiments (sets model, train_fraction, epochs).
EXPERIMENT = "experiment"
#: Options a sweep sets itself for every run.
OWN_OPTIONS = ("out", "overwrite", "name")
#: Options that name a run's folder instead of its setting folder.
NAMING_OPTIONS = (EXPERIMENT, "model", "seed")


class SweepFailedError(RuntimeError):
    """Some runs of a sweep failed; the others finished and every outcome is recorded."""


@dataclasses.dataclass
class PlannedRun:
    """One run of a sweep: its folder below the sweep's, options and grid values."""

    key: str
    config: TrainConfig
    values: dict = dataclasses.field(default_factory=dict)
    experiment: Experiment | None = None

    @property
    def out(self) -> Path:
        return Path(self.config.out)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def done(self) -> bool:
        """Whether an earlier invocation finished this run, with these options."""
        try:
            summary = json.loads((self.out / SUMMARY_NAME).read_text())
        except (OSError, ValueError):
            return False
        return bool(summary.get("complete")) and self._same_options()

    @property
    def resumable(self) -> bool:
        """Whether an earlier invocation left this run unfinished, with a resume state and
        the same options (anything else starts again)."""
        return self._same_options() and (self.out / RESUME_NAME).is_file()

    def _same_options(self) -> bool:
        try:
            recorded = config_from_json(json.loads((self.out / CONFIG_NAME).read_text()))
        except (OSError, ValueError, TypeError):
            return False
        return dataclasses.replace(recorded, out=self.config.out, overwrite=True) == self.config


def options() -> tuple[str, ...]:
    """The options a grid may vary."""
    fields = (f.name for f in dataclasses.fields(TrainConfig) if f.name not in OWN_OPTIONS)
    return (EXPERIMENT, *fields)


def parse_grid(texts: Sequence[str]) -> dict[str, list]:
    """``["model=deep,tied", "seed=0,1"]`` → ``{"model": ["deep", "tied"], "seed": [0, 1]}``.

    Values are typed as the option's ``TrainConfig`` field (``none`` for an unset optional
    one); ``hidden_units`` widths are joined by ``-`` (``256-128``; ``none``: shallow).

    Raises:
        ValueError (naming ``grid``): a text without ``=``, or an option given twice.
    """
    grid = {}
    for text in texts:
        option, equals, values = text.partition("=")
        option = option.strip().replace("-", "_")
        if not equals or not option:
            raise ParameterError("grid", f"needs OPTION=V1,V2,..., got {text!r}")
        if option in grid:
            raise ParameterError("grid", f"gives {option} twice")
        grid[option] = [value.strip() for value in values.split(",")]
    return grid


def read_grid(path: str | Path) -> dict[str, list]:
    """The grid in a JSON file, ``{"option": [values], ...}``.

    Raises:
        ValueError (naming ``grid_file``): unreadable, not JSON, or not such a mapping.
    """
    try:
        grid = json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise ParameterError("grid_file", f"cannot be read: {task.one_line(error)}") from None
    if not isinstance(grid, dict) or not all(isinstance(v, list) for v in grid.values()):
        raise ParameterError("grid_file", f"must hold {{option: [values]}}, got {grid!r}")
    return grid


def check_grid(grid: Mapping[str, Sequence]) -> dict[str, list]:
    """The grid with typed values, each checked alone against its option.

    Raises:
        ValueError (naming ``grid``): empty, an unknown option, an option without values, a
            value twice, or a value its option refuses (the message says which).
    """
    if not grid:
        raise ParameterError("grid", "is empty: vary at least one option")
    checked = {}
    for option, values in grid.items():
        if option not in options():
            raise ParameterError(
                "grid", f"names an unknown option {option!r}; choose from {', '.join(options())}"
            )
        typed = [_typed(option, value) for value in values]
        if not typed:
            raise ParameterError("grid", f"gives no values for {option}")
        for value in typed:
            _check_value(option, value)
            if typed.count(value) > 1:
                raise ParameterError("grid", f"gives {option} = {value!r} twice")
        checked[option] = typed
    if EXPERIMENT in checked and {"model", "train_fraction"} & set(checked):
        raise ParameterError("grid", "varies experiment, which sets model and train_fraction")
    return checked


def _typed(option: str, value):
    """A grid value as its option's type (texts from the command line are parsed)."""
    if not isinstance(value, str):
        return tuple(value) if isinstance(value, list) else value
    field_type = {f.name: str(f.type) for f in dataclasses.fields(TrainConfig)}.get(option, "str")
    text = value.strip()
    if "None" in field_type and text.lower() in ("none", "default"):
        return () if option == "hidden_units" else None
    try:
        if field_type.startswith("tuple"):
            return tuple(int(width) for width in text.split("-"))
        if field_type.startswith("int") or (field_type == "str | int" and text.isdigit()):
            return int(text)
        if field_type.startswith("float"):
            return float(text)
        if field_type.startswith("str | float"):
            return _number_or_text(text)
    except ValueError:
        kind = "widths such as 256-128" if field_type.startswith("tuple") else "a number"
        raise ParameterError("grid", f"gives {option} = {text!r}, expected {kind}") from None
    return text


def _number_or_text(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def _check_value(option: str, value) -> None:
    """Checks one value of ``option`` alone, as ``TrainConfig`` would."""
    if option == EXPERIMENT:
        if value not in EXPERIMENT_NAMES:
            raise ParameterError(
                "grid",
                f"gives experiment = {value!r}; choose from {', '.join(EXPERIMENT_NAMES)}",
            )
        return
    try:
        dataclasses.replace(TrainConfig(), **{option: value}).validate()
    except ParameterError as error:
        raise ParameterError("grid", f"gives {option} = {value!r}: {error}") from None


def expand(
    grid: Mapping[str, Sequence], out: str | Path, *, epochs_scale: float = 1.0, **fixed
) -> list[PlannedRun]:
    """The runs of a grid, every one checked, in order (the first option varies slowest).

    Args:
        grid: option → values (see ``check_grid``).
        out: the sweep's folder.
        epochs_scale: multiplies every run's epochs (at least 1), after an experiment's own
            factor (``deep-overfit``: 10×).
        **fixed: ``TrainConfig`` fields the grid does not vary, the same for every run;
            ``dataset`` is required, here or in the grid.

    Raises:
        ValueError (naming the parameter): a bad grid (``grid``), an unknown or conflicting
            fixed option, no dataset, or a combination ``TrainConfig`` refuses.
    """
    grid = check_grid(grid)
    epochs_scale = positive_float("epochs_scale", epochs_scale)
    _check_fixed(grid, fixed)
    runs = [
        _planned(dict(zip(grid, combination, strict=True)), grid, Path(out), fixed, epochs_scale)
        for combination in itertools.product(*grid.values())
    ]
    return runs


def _check_fixed(grid: dict, fixed: dict) -> None:
    allowed = [option for option in options() if option != EXPERIMENT]
    unknown = sorted(set(fixed) - set(allowed))
    if unknown:
        raise ParameterError("options", f"must be among {', '.join(allowed)}, got {unknown}")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise ParameterError("grid", f"varies {', '.join(both)}, also given as a fixed option")
    for option in sorted({"model", "train_fraction"} & set(fixed)):
        if EXPERIMENT in grid:
            raise ParameterError(option, "is set by each experiment the grid varies")
    if "dataset" not in grid and fixed.get("dataset") is None:
        raise ParameterError("dataset", "must be given for a sweep (workers would each choose)")
    dataclasses.replace(TrainConfig(), **fixed).validate()  # before an experiment scales epochs


def _planned(values: dict, grid: dict, out: Path, fixed: dict, epochs_scale: float):
    """One run: its options (an experiment's own settings applied), folder and name."""
    settings = {**fixed, **values}
    chosen = settings.pop(EXPERIMENT, None)
    experiment = next((e for e in EXPERIMENTS if e.name == chosen), None)
    epochs = settings.pop("epochs", PAPER.epochs)
    if experiment is not None:
        settings.update(model=experiment.model, train_fraction=experiment.train_fraction)
        epochs = epochs * experiment.epochs // PAPER.epochs
    label = experiment.name if experiment else settings.get("model", TrainConfig.model)
    setting = [
        f"{option}={_text(values[option])}"
        for option in grid
        if option not in NAMING_OPTIONS and len(grid[option]) > 1
    ]
    seeds = [values["seed"]] if len(grid.get("seed", ())) > 1 else []
    key = "/".join([",".join(setting)] * bool(setting) + [label] + [f"seed-{s}" for s in seeds])
    config = TrainConfig(
        **settings,
        epochs=max(1, round(epochs * epochs_scale)),
        name=" ".join([label, *setting, *(f"seed {s}" for s in seeds)]),
        out=str(out / key),
        overwrite=True,
    )
    config.validate()
    return PlannedRun(key, config, values, experiment)


def _text(value) -> str:
    """A grid value in a folder name."""
    if isinstance(value, tuple):
        return "-".join(str(v) for v in value) or "none"
    return "none" if value is None else str(value).replace("/", "_")


@dataclasses.dataclass
class Progress:
    """Where the runs of this invocation stand."""

    total: int
    done: int
    failed: int
    running: int
    elapsed_s: float

    @property
    def eta_s(self) -> float:
        """Seconds left at the pace so far (NaN before the first run ends)."""
        ended = self.done + self.failed
        return self.elapsed_s / ended * (self.total - ended) if ended else math.nan

    def line(self) -> str:
        """``"3/8 runs done, 2 running, 2 queued, 1 failed, about 4 min left"``."""
        queued = self.total - self.done - self.failed - self.running
        if not queued + self.running:
            return f"{self.done}/{self.total} runs done, {self.failed} failed"
        left = "time left unknown" if math.isnan(self.eta_s) else f"about {_minutes(self.eta_s)}"
        return (
            f"{self.done}/{self.total} runs done, {self.running} running, {queued} queued, "
            f"{self.failed} failed, {left}"
        )


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s left" if seconds < 90 else f"{seconds / 60:.0f} min left"


def sweep(
    grid: Mapping[str, Sequence],
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    epochs_scale: float = 1.0,
    log: Callable[[str], None] = print,
    progress: Callable[[Progress], None] | None = None,
    executor: Executor | None = None,
    **fixed,
) -> dict:
    """Runs every combination of ``grid`` that ``out`` does not hold finished.

    Everything is checked before any run starts (``expand``), and ``out`` is claimed (see
    ``run_sweep``). A script calling this needs the ``if __name__ == "__main__":`` guard: the
    embedded cluster's workers are new processes.

    Args:
        grid, epochs_scale, **fixed: as for ``expand``.
        out: the sweep's folder.
        workers: processes of the embedded Dask cluster (default: one per core, at most one
            per 2 GiB of memory).
        scheduler: ``tcp://HOST:PORT`` of a running Dask scheduler, instead.
        overwrite: replace a sweep of another grid in ``out`` (its runs that this one does
            not make again are deleted).
        log: one-line messages (skipped, queued, done and failed runs, where they run).
        progress: called about twice a second with a ``Progress``.
        executor: a ``concurrent.futures.Executor`` for the tasks instead of Dask.

    Returns:
        The record written to ``out/sweep.json``.

    Raises:
        ValueError (naming the parameter): see ``expand``, ``run_sweep`` and
            ``executors.open_pool``.
        SweepFailedError: runs failed (the others finished; every outcome is recorded).
    """
    runs = expand(grid, out, epochs_scale=epochs_scale, **fixed)
    spec = {"grid": check_grid(grid), "options": fixed, "epochs_scale": epochs_scale}
    return run_sweep(
        runs,
        out,
        spec=spec,
        overwrite=overwrite,
        workers=workers,
        scheduler=scheduler,
        executor=executor,
        log=log,
        progress=progress,
    )


def run_sweep(
    runs: list[PlannedRun],
    out: str | Path,
    *,
    spec: dict | None = None,
    overwrite: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    log: Callable[[str], None] = print,
    progress: Callable[[Progress], None] | None = None,
) -> dict:
    """Runs the planned runs that are not finished, and records every outcome in
    ``out/sweep.json``.

    Args:
        runs: from ``expand``.
        spec: what made them (``{"grid", "options", "epochs_scale"}``), compared with the
            sweep recorded in ``out``.
        Others: as for ``sweep``.

    Raises:
        ValueError (naming ``out``): ``out`` holds a sweep of another ``spec`` without
            ``overwrite``, or a run's folder is something other than a run directory.
        SweepFailedError: runs failed (the others finished; every outcome is recorded).
    """
    out = Path(out)
    record, stale = _claim(out, runs, spec, overwrite)
    pending = [planned for planned in runs if not planned.done]
    for planned in (planned for planned in runs if planned not in pending):
        log(f"skip {planned.out} (finished earlier)")
        record["runs"][planned.key]["state"] = "done"
    started = time.time()
    with contextlib.ExitStack() as stack:
        if pending:
            pool = stack.enter_context(executors.open_pool(workers, scheduler, executor, log))
            record.update(workers=pool.workers, scheduler=pool.address)
        _start(out, record, stale)
        if pending:
            _run_pending(pending, out, pool, record, log, progress)
    record["wall_time_s"] = round(time.time() - started, 1)
    write_json(out / SWEEP_NAME, record)
    failed = [planned.key for planned in runs if record["runs"][planned.key]["state"] != "done"]
    if failed:
        raise SweepFailedError(f"{len(failed)} run(s) failed: {', '.join(failed)}")
    return record


def _claim(out: Path, runs: list[PlannedRun], spec: dict | None, overwrite: bool):
    """Checks that the runs may go to ``out``: the new record (earlier outcomes kept) and the
    folders to delete first (with ``overwrite``: those of another sweep)."""
    earlier = read_record(out)
    spec = _jsonable(spec) if spec is not None else {k: earlier[k] for k in SPEC if k in earlier}
    recorded = {key: earlier.get(key) for key in SPEC}
    if "grid" in earlier and spec and recorded != spec and not overwrite:
        raise ParameterError(
            "out",
            f"{out} holds a sweep of another grid or options ({_describe(recorded)})",
            remedy="overwrite",
        )
    for planned in runs:
        folder = planned.out
        if folder.is_file() or (
            folder.is_dir() and any(folder.iterdir()) and not is_run_dir(folder)
        ):
            raise ParameterError("out", f"{folder} exists and is not a run directory")
    stale = []
    if overwrite:
        keys = {planned.key for planned in runs}
        stale = [out / key for key in earlier.get("runs", {}) if key not in keys]
        stale += [p.out for p in runs if is_run_dir(p.out) and not (p.done or p.resumable)]
    outcomes = earlier.get("runs", {})
    record = {"format": "infoplane-tf/sweep", **spec, "runs": {}}
    for planned in runs:
        entry = {"state": "pending", "values": _jsonable(planned.values)}
        record["runs"][planned.key] = {**entry, **outcomes.get(planned.key, {}), **entry}
    return record, [folder for folder in stale if is_run_dir(folder)]


#: The keys of a sweep record that say what the sweep is.
SPEC = ("grid", "options", "epochs_scale")


def _describe(spec: dict) -> str:
    grid = "; ".join(f"{k}={','.join(map(str, v))}" for k, v in (spec["grid"] or {}).items())
    fixed = ", ".join(f"{k}={v}" for k, v in (spec["options"] or {}).items())
    return f"grid {grid}" + (f"; options {fixed}" if fixed else "")


def _jsonable(value):
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def read_record(out: str | Path) -> dict:
    """The ``sweep.json`` of a folder (empty when there is none or it is unreadable)."""
    try:
        record = json.loads((Path(out) / SWEEP_NAME).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _start(out: Path, record: dict, stale: list[Path]) -> None:
    """Deletes the runs of a replaced sweep and writes the record as the runs start."""
    for folder in stale:
        shutil.rmtree(folder)
        for parent in folder.parents:
            if parent == out or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / SWEEP_NAME, record)


#: Seconds between looks at the running tasks.
POLL_S = 0.5


def _run_pending(pending: list[PlannedRun], out: Path, pool, record: dict, log, progress) -> None:
    """Submits every pending run (an unfinished one with its partial directory, to resume),
    then records each outcome as it arrives."""
    futures = {}
    for planned in pending:
        partial = task.pack(planned.out) if planned.resumable else None
        future = pool.submit(planned.key, task.train_task, planned.config, partial, pool.hosts)
        futures[future] = planned
        record["runs"][planned.key]["state"] = "running"
        log(f"{'resuming' if partial else 'queued'} {planned.out}")
    write_json(out / SWEEP_NAME, record)
    started, counts = time.time(), {"done": 0, "failed": 0}
    while futures:
        ready = [future for future in futures if future.done()]
        for future in ready:
            state = _settle(futures.pop(future), future, record["runs"], log)
            counts[state] += 1
        if ready:
            write_json(out / SWEEP_NAME, record)
        if progress is not None:
            elapsed = time.time() - started
            progress(
                Progress(len(pending), **counts, running=pool.running(futures), elapsed_s=elapsed)
            )
        if futures and not ready:
            time.sleep(POLL_S)


def _settle(planned: PlannedRun, future, outcomes: dict, log) -> str:
    """Writes a run's result under its folder and records its outcome; its state."""
    try:
        outcome = future.result()
        if outcome.get("run") is not None:
            task.unpack(outcome["run"], planned.out)
    except Exception as error:  # noqa: BLE001 - its worker died too often, or no result
        outcome = {"error": f"no result from the workers ({task.one_line(error)})"}
    seconds, error = outcome.get("seconds"), outcome.get("error")
    state = "failed" if error else "done"
    outcomes[planned.key].update(
        state=state,
        seconds=None if seconds is None else round(seconds, 1),
        error=error,
        worker=outcome.get("worker"),
        threads=outcome.get("threads"),
    )
    where = f" on {outcome['worker']}" if outcome.get("worker") else ""
    log(
        f"FAILED {planned.out}{where}: {error}"
        if error
        else f"done  {planned.out} ({seconds:.0f} s{where})"
    )
    return state
