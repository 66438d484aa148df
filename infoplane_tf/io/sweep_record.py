"""A sweep folder's record, ``sweep.json``: what the sweep is (grid, options) and each run's
outcome, rewritten as runs finish (see ``infoplane_tf.workflows.sweep``)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from infoplane_tf.io.run_dir import write_json

SWEEP_NAME = "sweep.json"
#: The record of a suite made by ``reproduce`` before 0.5.
LEGACY_SUITE_NAME = "reproduce.json"


def read_sweep_record(folder: str | os.PathLike, legacy: bool = False) -> dict:
    """The record of a sweep folder ({} when there is none or it is unreadable); with
    ``legacy``, that of a suite made before 0.5 when there is no ``sweep.json``."""
    for name in (SWEEP_NAME, LEGACY_SUITE_NAME) if legacy else (SWEEP_NAME,):
        try:
            record = json.loads((Path(folder) / name).read_text())
        except (OSError, ValueError):
            continue
        return record if isinstance(record, dict) else {}
    return {}


def write_sweep_record(folder: str | os.PathLike, record: dict) -> None:
    """Writes the record of a sweep folder (atomically)."""
    write_json(Path(folder) / SWEEP_NAME, record)
