"""A sweep's log lines and progress on the shared display (``infoplane_tf.progress``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infoplane_tf.progress import ProgressDisplay

if TYPE_CHECKING:  # the sweep workflow is imported only when a sweep runs
    from infoplane_tf.workflows.sweep import Progress


class SweepDisplay:
    """Shows a sweep's log lines and its progress: runs ended of all, how many are done,
    failed and running, the time elapsed and left, on standard error.

    A thin adapter from ``sweep.Progress`` to ``ProgressDisplay`` (live on a terminal, a plain
    line per tenth of the runs elsewhere). Use it as a context manager, or call ``close``.

    Args:
        quiet: show nothing.
    """

    def __init__(self, quiet: bool = False):
        self.display = ProgressDisplay("sweep", quiet=quiet)

    def log(self, line: str) -> None:
        """Writes one log line (above the live progress bar)."""
        self.display.log(line)

    def update(self, progress: Progress) -> None:
        """Shows a ``sweep.Progress``: the bar counts the runs that ended, done or failed."""
        counts = f"{progress.done} done, {progress.failed} failed, {progress.running} running"
        self.display.update(progress.done + progress.failed, progress.total, counts)

    def close(self) -> None:
        """Leaves the final state shown."""
        self.display.close()

    def __enter__(self) -> SweepDisplay:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
