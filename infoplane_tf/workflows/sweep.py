"""A sweep: a grid of training runs (seeds × models × settings) on a Dask cluster.

A grid maps options to values, ``{"model": ["deep", "tied"], "seed": [0, 1, 2]}``: any
``TrainConfig`` field, plus ``experiment`` (one of the paper's: its model, training fraction
and epochs). Every combination is one run, checked before any run starts, made by
``training.run`` on a worker (``infoplane_tf.workflows.task``) and written to
``DIR/[<setting>/]<experiment or model>/[seed-K]``, where ``<setting>`` names the other
options the grid varies (``learning_rate=0.001``) and ``seed-K`` appears when several seeds
are swept. ``DIR/sweep.json`` records the grid, the fixed options and each run's state
(pending, running, done, or failed with its one-line error), training seconds, worker, and when
it was handed to a worker (``started``) and its result came back (``ended``). Runs go out in
the grid's order, one per free worker slot.

A rerun skips finished runs and resumes unfinished ones that kept a resume state; a ``DIR``
holding a sweep of another grid is refused unless ``overwrite``. ``report`` reads the layout:
one suite per setting, seed bands per experiment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path

from infoplane_tf.io.run_dir import is_run_dir
from infoplane_tf.io.sweep_record import read_sweep_record, write_sweep_record
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows import executors, task
from infoplane_tf.workflows.grid import (  # noqa: F401 (the grid's names, re-exported)
    EXPERIMENT,
    NAMING_OPTIONS,
    OWN_OPTIONS,
    PlannedRun,
    check_grid,
    expand,
    options,
    parse_grid,
    read_grid,
)


class SweepFailedError(RuntimeError):
    """Some runs of a sweep failed; the others finished and every outcome is recorded."""


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
            per 2 GiB of memory). Each run trains on its ``threads`` (default
            ``SWEEP_THREADS``, one), so its bits do not depend on the number of workers.
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
    write_sweep_record(out, record)
    failed = [planned.key for planned in runs if record["runs"][planned.key]["state"] != "done"]
    if failed:
        raise SweepFailedError(f"{len(failed)} run(s) failed: {', '.join(failed)}")
    return record


def _claim(out: Path, runs: list[PlannedRun], spec: dict | None, overwrite: bool):
    """Checks that the runs may go to ``out``: the new record (earlier outcomes kept) and the
    folders to delete first (with ``overwrite``: those of another sweep)."""
    earlier = read_sweep_record(out)
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


def _start(out: Path, record: dict, stale: list[Path]) -> None:
    """Deletes the runs of a replaced sweep and writes the record as the runs start."""
    for folder in stale:
        shutil.rmtree(folder)
        for parent in folder.parents:
            if parent == out or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    write_sweep_record(out, record)


#: Seconds between looks at the running tasks.
POLL_S = 0.5


def _run_pending(pending: list[PlannedRun], out: Path, pool, record: dict, log, progress) -> None:
    """Hands the pending runs to the pool, costliest first (else in the grid's order), no more
    at once than it has free slots (a run queued behind a long one on a busy worker would wait
    there while another worker idles), then records each outcome as it arrives."""
    pending = sorted(pending, key=lambda planned: -planned.cost)  # stable: ties keep the order
    for planned in pending:
        log(f"{'resuming' if planned.resumable else 'queued'} {planned.out}")
    waiting, futures = list(reversed(pending)), {}
    started, counts = time.time(), {"done": 0, "failed": 0}
    while waiting or futures:
        while waiting and len(futures) < max(pool.slots(), 1):
            planned = waiting.pop()
            partial = task.pack(planned.out) if planned.resumable else None
            futures[pool.submit(planned.key, task.train_task, planned.config, partial)] = planned
            entry = record["runs"][planned.key]
            entry.update(state="running", started=_now(), ended=None, seconds=None, error=None)
            write_sweep_record(out, record)
        ready = [future for future in futures if future.done()]
        for future in ready:
            state = _settle(futures.pop(future), future, record["runs"], log)
            counts[state] += 1
        if ready:
            write_sweep_record(out, record)
        if progress is not None:
            elapsed = time.time() - started
            progress(
                Progress(len(pending), **counts, running=pool.running(futures), elapsed_s=elapsed)
            )
        if futures and not ready:
            time.sleep(POLL_S)


def _now() -> str:
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


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
        ended=_now(),
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
