"""Log lines and one live progress line of a sweep, on standard error."""

import sys
import time

import click


class SweepDisplay:
    """Shows a sweep's log lines and its progress (runs done, running, failed, time left).

    On a terminal the progress line is redrawn in place (at most twice a second) below the
    log lines; elsewhere (a log file) it is written whenever a run starts or ends.

    Args:
        quiet: show nothing.
    """

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.live = sys.stderr.isatty()
        self.shown = ""
        self.counts = None
        self.drawn = 0.0

    def log(self, line: str) -> None:
        """Writes one log line (above the live progress line)."""
        if self.quiet:
            return
        if self.live and self.shown:
            click.echo("\r\x1b[K", nl=False, err=True)
        click.echo(line, err=True)
        if self.live and self.shown:
            click.echo(self.shown, nl=False, err=True)

    def update(self, progress) -> None:
        """Shows a ``sweep.Progress``."""
        counts = (progress.done, progress.failed, progress.running)
        now = time.time()
        if self.quiet or (self.live and now - self.drawn < 0.5 and counts == self.counts):
            return
        if self.live:
            self.shown = f"[sweep] {progress.line()}"
            click.echo(f"\r\x1b[K{self.shown}", nl=False, err=True)
            if progress.done + progress.failed == progress.total:
                click.echo(err=True)
                self.shown = ""
        elif counts != self.counts:
            click.echo(f"[sweep] {progress.line()}", err=True)
        self.counts, self.drawn = counts, now
