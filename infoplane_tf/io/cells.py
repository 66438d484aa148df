"""Numbers in the CSV tables of trajectories and histories: one format, one parser."""

from __future__ import annotations

import math


def format_number(value: float) -> str:
    """A float as text with 8 significant digits; empty for NaN/Inf (never a fake value)."""
    value = float(value)
    return f"{value:.8g}" if math.isfinite(value) else ""


def parse_number(text: str) -> float:
    """A numeric cell as a float; the empty cell is a missing value (NaN)."""
    return float(text) if text else math.nan
