"""Estimating due points from weight snapshots, in order, while training goes on."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


@dataclasses.dataclass
class DuePoint:
    """A scheduled point: where it belongs in the trajectory and the weights it measures."""

    index: int  # fixes a sampled code's noise (the iteration)
    iteration: int
    epoch: float
    loss: float
    weights: list | None  # the model's variable values when the point was due


class PointWorker:
    """Estimates due points ``points`` at a time, in a background thread or on the caller's.

    ``estimate(snapshots, indices)`` gets exactly ``points`` snapshots per call (a short batch
    is padded with copies of its last point, so one compiled shape serves every call) and
    returns ``(values, finite)`` per point; ``store(point, values or None)`` receives the
    finished points in order.

    Which points share a call never depends on timing: a point's float32 values depend on the
    other snapshots of its call (in the last bit), so calls take ``points`` consecutive due
    points counted from the last ``flush`` or ``finish``, and a short batch is made only there.

    At most one batch is in flight, so training waits for it before handing over the next:
    a killed process loses fewer than ``2 * points`` points. The one exception is the first
    call, which compiles the point function: while it runs, due points queue up (within
    ``max_pending`` snapshots) and training is not held up by the compilation.

    Args:
        estimate, store: as above.
        points: snapshots per call.
        background: estimate in a worker thread (else on the caller's, at once).
        max_pending: the most snapshots held while the first call compiles.
        warm: whether the point function is already compiled (no first-call exception).
    """

    def __init__(
        self,
        estimate: Callable,
        store: Callable[[DuePoint, object], None],
        points: int,
        background: bool,
        max_pending: int,
        warm: bool = False,
    ):
        self.estimate, self.store, self.points = estimate, store, points
        self.max_pending = max(points, max_pending)
        self._executor = ThreadPoolExecutor(1, "infoplane") if background else None
        self._pending: list[DuePoint] = []
        self._in_flight: Future | None = None
        self.warm = warm  # whether the point function is compiled

    def submit(self, point: DuePoint) -> None:
        """Queues a due point; hands a full batch to the worker when it is free."""
        self._pending.append(point)
        if len(self._pending) < self.points:
            return
        busy = self._in_flight is not None and not self._in_flight.done()
        if busy and not self.warm and len(self._pending) < self.max_pending:
            return  # the first call is compiling: let training run on
        self._wait()
        whole = len(self._pending) - len(self._pending) % self.points
        self._dispatch(whole)

    def flush(self, wait: bool = False) -> None:
        """Hands every queued point to the worker now, a short batch included (the next
        call's batch starts after them); ``wait``: until they are stored, as ``finish``."""
        if wait:
            self.finish()
        elif self._pending:
            self._wait()
            self._dispatch(len(self._pending))

    def finish(self) -> None:
        """Estimates and stores every queued point before returning (errors re-raised here)."""
        self._wait()
        points, self._pending = self._pending, []
        self._run(points)

    def close(self) -> None:
        """Drops queued points and stops the thread (after the batch in flight)."""
        self._pending = []
        try:
            self._wait()
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None

    def _dispatch(self, count: int) -> None:
        points, self._pending = self._pending[:count], self._pending[count:]
        if self._executor is None:
            self._run(points)
        else:
            self._in_flight = self._executor.submit(self._run, points)

    def _wait(self) -> None:
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()

    def _run(self, points: list[DuePoint]) -> None:
        for start in range(0, len(points), self.points):
            batch = points[start : start + self.points]
            padded = batch + batch[-1:] * (self.points - len(batch))
            values, finite = self.estimate(
                [point.weights for point in padded], [point.index for point in padded]
            )
            self.warm = True
            for point, point_values, point_finite in zip(batch, values, finite, strict=False):
                point.weights = None  # release the snapshot as soon as it is measured
                self.store(point, point_values if point_finite else None)
