"""Where the runs of a sweep go: a Dask cluster (embedded, or one already running), or local
threads when Dask is not installed.

A pool only submits tasks and says how many are running; the sweep never knows which kind it
has. Dask's own engine does the rest: a task whose worker dies is scheduled again on another
worker (up to the scheduler's ``distributed.scheduler.allowed-failures``, then it fails with
``KilledWorker``), and a task that raises is retried ``RETRIES`` times elsewhere.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor

from infoplane_tf.validation import ParameterError, positive_int
from infoplane_tf.workflows.task import one_line
from infoplane_tf.workflows.threads import usable_cores

#: Retries of a task that raised (a run's own failure is returned, not raised).
RETRIES = 2
#: Seconds to wait for an existing scheduler to answer.
CONNECT_TIMEOUT_S = 10
#: Memory a run may need (a deep AE on Fashion-MNIST with TensorFlow: about 1.5 GiB).
MEMORY_PER_RUN = 2 * 2**30


class LocalPool:
    """Tasks on a ``concurrent.futures`` executor on this machine; ``workers`` None: as many
    at once as the executor runs (all handed to it when it does not say)."""

    def __init__(self, executor: Executor, workers: int | None):
        size = workers or getattr(executor, "_max_workers", None)
        self.executor, self.workers, self._slots = executor, size or 1, size
        self.address, self.dashboard = "local", None

    def submit(self, name: str, fn: Callable, *args):
        """A future of ``fn(*args)`` (``name`` labels it where the engine shows tasks)."""
        return self.executor.submit(fn, *args)

    def slots(self) -> int:
        """How many tasks run at once (a large number: the executor queues them itself)."""
        return self._slots or 2**31

    def running(self, futures) -> int:
        """How many of ``futures`` are running now."""
        return sum(future.running() for future in futures)


class DaskPool:
    """Tasks on a Dask cluster, through its ``Client``."""

    def __init__(self, client, address: str, dashboard: bool = True):
        info = client.scheduler_info(n_workers=-1)
        self.client, self.address = client, address
        self.workers = len(info["workers"])
        has_dashboard = dashboard and "dashboard" in info.get("services", {})
        self.dashboard = client.dashboard_link if has_dashboard else None

    def submit(self, name: str, fn: Callable, *args):
        """A Dask future of ``fn(*args)``; large byte strings travel scattered, not inside
        the task graph."""
        args = [
            self.client.scatter(arg, hash=False) if isinstance(arg, bytes) else arg for arg in args
        ]
        key = f"train-{name.replace('/', '.')}-{uuid.uuid4().hex[:8]}"
        return self.client.submit(fn, *args, key=key, pure=False, retries=RETRIES)

    def slots(self) -> int:
        """How many tasks the cluster's workers run at once now (workers may come and go)."""
        return sum(self.client.nthreads().values())

    def running(self, futures) -> int:
        """How many of ``futures`` are running now (a worker may hold more, queued)."""
        ours = {future.key for future in futures}
        threads = self.client.nthreads()
        return sum(
            min(len(ours.intersection(keys)), threads.get(worker, 1))
            for worker, keys in self.client.processing().items()
        )


@contextlib.contextmanager
def open_pool(
    workers: int | None = None,
    scheduler: str | None = None,
    executor: Executor | None = None,
    log: Callable[[str], None] = print,
) -> Iterator[LocalPool | DaskPool]:
    """The pool for a sweep, closed (with its embedded cluster) on leaving the block.

    Args:
        workers: size of the embedded cluster (default ``default_workers()``).
        scheduler: ``tcp://HOST:PORT`` of a running Dask scheduler instead.
        executor: a ``concurrent.futures.Executor`` to use as it is (tests, other engines).
        log: one-line notices (where the runs go, the dashboard).

    Raises:
        ValueError (naming the parameter): workers < 1, workers with a scheduler, a
            scheduler without Dask installed or that cannot be reached.
    """
    if workers is not None:
        workers = positive_int("workers", workers)
        if scheduler is not None:
            raise ParameterError("workers", "cannot be set with a scheduler: its workers run")
    if executor is not None:
        yield LocalPool(executor, workers)
        return
    if importlib.util.find_spec("distributed") is None:
        if scheduler is not None:
            raise ParameterError("scheduler", "needs Dask: pip install 'infoplane-tf[cluster]'")
        workers = workers or default_workers()
        log(f"Dask is not installed: {workers} run(s) at once on this machine")
        with ThreadPoolExecutor(workers) as threads:
            yield LocalPool(threads, workers)
        return
    opened = _connect(scheduler) if scheduler else _embedded(workers or default_workers())
    with opened as pool:
        where = "an embedded cluster" if scheduler is None else scheduler
        log(f"{pool.workers} Dask worker(s) on {where}")
        if pool.workers == 0:
            log(f"the runs wait for workers: start them with `dask worker {scheduler}`")
        if pool.dashboard:
            log(f"Dask dashboard: {pool.dashboard}")
        yield pool


@contextlib.contextmanager
def _embedded(workers: int) -> Iterator[DaskPool]:
    """A ``LocalCluster`` of ``workers`` one-thread worker processes."""
    from distributed import Client, LocalCluster

    # The scheduler's web server (the dashboard with bokeh, metrics without) on a free port:
    # the default, 8787, is taken while another cluster runs on the machine.
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    )
    with cluster, Client(cluster) as client:
        client.wait_for_workers(workers)
        yield DaskPool(client, "embedded", dashboard=bool(importlib.util.find_spec("bokeh")))


@contextlib.contextmanager
def _connect(address: str) -> Iterator[DaskPool]:
    """A client of the scheduler at ``address``.

    Raises:
        ValueError (naming ``scheduler``): nothing answers there in ``CONNECT_TIMEOUT_S``.
    """
    from distributed import Client

    try:
        client = Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as error:
        raise ParameterError(
            "scheduler",
            f"cannot reach a Dask scheduler at {address} ({one_line(error)}); start one on "
            f"that machine with `dask scheduler` and workers with `dask worker {address}`",
        ) from None
    with client:
        yield DaskPool(client, address)


def default_workers() -> int:
    """One run per core, at most one per ``MEMORY_PER_RUN`` of memory."""
    cores = usable_cores()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return cores
    return max(1, min(cores, memory // MEMORY_PER_RUN))
