"""Numbers in the CSV tables of trajectories and histories: one format, one parser."""

from __future__ import annotations

import math
import os
from pathlib import Path


def format_number(value: float) -> str:
    """A float as text with 8 significant digits; empty for NaN/Inf (never a fake value)."""
    value = float(value)
    return f"{value:.8g}" if math.isfinite(value) else ""


def parse_number(text: str) -> float:
    """A numeric cell as a float; the empty cell is a missing value (NaN)."""
    return float(text) if text else math.nan


def keep_rows_through(path, column: int, last_iteration: int) -> int:
    """Rewrites the CSV table ``path`` (atomically) keeping the header and the complete rows
    whose ``column`` (an iteration count) is at most ``last_iteration``; returns the rows kept.

    A resumed run calls this before appending: rows written after its state was saved, and a
    last line cut short by a kill, go.
    """
    path = Path(path)
    lines = path.read_text().splitlines(keepends=True)
    kept = [
        line
        for line in lines[1:]
        if line.endswith("\n") and int(line.split(",")[column]) <= last_iteration
    ]
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text("".join(lines[:1] + kept))
    os.replace(temporary, path)
    return len(kept)
