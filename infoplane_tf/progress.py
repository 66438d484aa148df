"""One progress display for training, measuring and sweeping, drawn with rich.

A bar, the counts, a free-text field (loss, I(X;T), failures), the time elapsed and the time
left, with log lines printed above it. On a terminal rich redraws it in place. Anywhere else (a
log file, CI, a pipe) rich would print nothing until the end, so the display writes a plain
line instead at each tenth of the task and once more for its final state, without control
characters. No TensorFlow here: the command line imports it before any training starts.
"""

from __future__ import annotations

import atexit
import datetime
import sys
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

#: Plain lines per task off a terminal (one per tenth), besides the final state.
PLAIN_LINES = 10
#: Redraws per second on a terminal: smooth enough, and cheap next to a training step.
REFRESH_PER_SECOND = 5


class ProgressDisplay:
    """A task's progress bar with a free-text field, and log lines above it.

    One code path decides how it is shown: live on a terminal (``Console.is_interactive``),
    plain lines elsewhere, nothing when ``quiet``. The task starts at the first ``update``;
    the time left is estimated at the pace since then, so a resumed task is not credited with
    the part done before. Use it as a context manager, or call ``close``.

    Args:
        description: text before the bar (a run folder, ``"sweep"``); may be empty.
        stream: where to write (default: standard error, looked up at each write).
        console: a rich ``Console`` to draw on instead of ``stream`` (tests force a terminal).
        quiet: show nothing.
        bar_width: characters of the bar.

    Raises:
        ValueError: both ``stream`` and ``console`` given, or ``bar_width`` < 1.

    Example:
        >>> with ProgressDisplay("runs/deep") as display:  # doctest: +SKIP
        ...     for done in range(1, 41):
        ...         display.update(done, 40, info=f"loss {0.1 / done:.5f}")
    """

    def __init__(
        self,
        description: str = "",
        *,
        stream: TextIO | None = None,
        console: Console | None = None,
        quiet: bool = False,
        bar_width: int = 24,
    ):
        if stream is not None and console is not None:
            raise ValueError("give stream or console, not both")
        if bar_width < 1:
            raise ValueError(f"bar_width must be at least 1, got {bar_width!r}")
        if stream is sys.stderr:
            stream = None  # follow sys.stderr when it is replaced (pytest, click, rich's Live)
        self.description, self.quiet, self.bar_width = description, quiet, bar_width
        self.console = console or Console(
            file=stream, stderr=stream is None, markup=False, emoji=False, highlight=False
        )
        self.live = self.console.is_interactive
        self._progress = Progress(
            *([TextColumn("{task.description}", markup=False)] if description else []),
            BarColumn(bar_width=bar_width),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}", markup=False),
            TimeElapsedColumn(),
            _TimeLeftColumn(),
            console=self.console,
            refresh_per_second=REFRESH_PER_SECOND,
            # While live, other writes to standard error go above the bar, but only when the
            # bar is on standard error itself; standard output is never diverted.
            redirect_stdout=False,
            redirect_stderr=stream is None and console is None,
        )
        self._task: TaskID | None = None
        self._tenth = 0  # the tenth of the task the last plain line was written in
        self._written: tuple | None = None  # (completed, info) of the last plain line

    def update(self, completed: float, total: float | None = None, info: str = "") -> None:
        """Shows ``completed`` of ``total`` steps, with ``info`` after the counts.

        Args:
            completed: steps done so far (iterations, points, runs), counted from 0.
            total: all the steps (``None`` or 0: unknown, kept from the last call).
            info: free text after the counts, e.g. ``"loss 0.01234  I(X;Z) 3.21 bits"``.
        """
        if self.quiet:
            return
        if self._task is None:
            self._start(completed, total or None)
        self._progress.update(self._task, completed=completed, total=total or None, info=info)
        if not self.live:
            tenth = self._tenth_of(completed)
            if tenth > self._tenth:
                self._tenth = tenth
                self._write_plain()

    def log(self, line: str) -> None:
        """Prints one line above the live bar (or just the line, off a terminal)."""
        if not self.quiet:
            self._print(line)

    def close(self) -> None:
        """Stops redrawing, leaving the final state shown (off a terminal: written, unless the
        last line already showed it). Closing twice does nothing."""
        if self._task is None:
            return
        if self.live:
            atexit.unregister(self.close)
            self._progress.stop()
        elif self._written != self._state():
            self._write_plain()
        self._progress.remove_task(self._task)  # a later update starts afresh
        self._task = None

    def __enter__(self) -> ProgressDisplay:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _start(self, completed: float, total: float | None) -> None:
        """Adds the task; on a terminal starts rich's Live, stopped at exit if never closed
        (a ``fit`` that raises never calls ``on_train_end``: leave no hidden cursor behind)."""
        self._task = self._progress.add_task(
            self.description, total=total, completed=completed, info="", first=completed
        )
        # Off a terminal the start is not written: a task that fails before its first step
        # leaves no line behind its error.
        self._tenth, self._written = self._tenth_of(completed), self._state()
        if self.live:
            self._progress.start()
            atexit.register(self.close)

    def _tenth_of(self, completed: float) -> int:
        """Which tenth of the task ``completed`` is in (0 … 10; 0 while the total is unknown)."""
        total = self._current.total if self._task is not None else None
        return int(completed * PLAIN_LINES // total) if total else 0

    @property
    def _current(self) -> Task:
        """The task shown (the display holds one at a time)."""
        return self._progress.tasks[-1]

    def _state(self) -> tuple:
        return self._current.completed, self._current.fields["info"]

    def _write_plain(self) -> None:
        self._print(_plain_line(self._current, self.bar_width))
        self._written = self._state()

    def _print(self, line: str) -> None:
        # No markup, emoji or highlighting: run folders may hold "[...]" or ":...:".
        self.console.print(line, markup=False, emoji=False, highlight=False, soft_wrap=True)


def _plain_line(task: Task, bar_width: int = 24) -> str:
    """The task as one line of plain text, for logs: the same fields as the live display.

    Args:
        task: a rich ``Task`` with an ``info`` field (and ``first``, its first ``completed``).
        bar_width: characters of the bar.

    Returns:
        e.g. ``"runs/deep [############            ] 20/40  loss 0.01234  0:00:03 elapsed,
        0:00:03 left"`` (one line; no description when it is empty).
    """
    total = task.total
    filled = min(bar_width, int(bar_width * task.completed / total)) if total else 0
    counts = f"{int(task.completed)}/{int(total) if total else '?'}"
    bar = f"[{'#' * filled:<{bar_width}}] {counts}"
    parts = [f"{task.description} {bar}" if task.description else bar]
    if task.fields.get("info"):
        parts.append(task.fields["info"])
    elapsed = task.finished_time if task.finished else task.elapsed
    timing = f"{_clock(elapsed or 0.0)} elapsed"
    left = _seconds_left(task)
    if left is not None and not task.finished:
        timing += f", {_clock(left)} left"
    return "  ".join([*parts, timing])


def _seconds_left(task: Task) -> float | None:
    """Seconds until ``task`` finishes at its pace since its first update; None if unknown.

    The pace counts only the steps made since the display started (``task.fields["first"]``),
    over the time since then: a resumed run's earlier iterations took no time here.
    """
    made = task.completed - task.fields.get("first", 0)
    if task.total is None or task.elapsed is None or made <= 0:
        return None
    return max(0.0, task.elapsed * (task.total - task.completed) / made)


def _clock(seconds: float) -> str:
    """``3725.4`` → ``"1:02:05"``, as rich's elapsed column writes it."""
    return str(datetime.timedelta(seconds=max(0, int(seconds))))


class _TimeLeftColumn(ProgressColumn):
    """Time left at the pace since the first update (``_seconds_left``). Rich's own column
    estimates from the last 30 s of updates, which sees no pace in a sweep of runs that take
    minutes each."""

    def render(self, task: Task) -> Text:
        left = _seconds_left(task)
        text = "-:--:--" if left is None else _clock(0.0 if task.finished else left)
        return Text(text, style="progress.remaining")
