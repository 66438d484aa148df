"""Weight checkpoints of a run: one ``.npz`` file per checkpoint, written atomically.

``RUN/checkpoints/iteration-00001234.npz`` holds the value of every variable of the model (by
its Keras path, e.g. ``deep/encoder_1/kernel``) after that many training iterations, plus
``__iteration__`` and ``__epoch__``. A file is written under a temporary name and renamed, so a
killed process never leaves a checkpoint that loads with wrong data; a file that cannot be read
raises ``CheckpointFormatError`` naming it. NumPy only.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import numpy as np

#: The checkpoints folder of a run directory.
CHECKPOINTS_NAME = "checkpoints"

_PATTERN = re.compile(r"iteration-(\d{8})\.npz")


class CheckpointFormatError(ValueError):
    """A checkpoint file is missing, truncated or not a checkpoint (the message names it)."""


def checkpoint_path(folder: str | os.PathLike, iteration: int) -> Path:
    """Where the checkpoint of ``iteration`` lives in ``folder``."""
    return Path(folder) / f"iteration-{int(iteration):08d}.npz"


def write_checkpoint(
    folder: str | os.PathLike, iteration: int, epoch: float, values: dict[str, np.ndarray]
) -> Path:
    """Writes the variable values (path → array) of ``iteration`` atomically; returns the file.

    Args:
        folder: the checkpoints folder (made if missing).
        iteration: optimizer updates done; epoch: training time in epochs.
        values: every model variable's value, keyed by its Keras path.
    """
    path = checkpoint_path(folder, iteration)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        np.savez(f, __iteration__=int(iteration), __epoch__=float(epoch), **values)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)
    return path


def list_checkpoints(folder: str | os.PathLike) -> list[int]:
    """The iterations that have a (complete) checkpoint in ``folder``, ascending; [] if none."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = (_PATTERN.fullmatch(p.name) for p in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


def read_checkpoint(folder: str | os.PathLike, iteration: int) -> tuple[dict, float]:
    """``(values by variable path, epoch)`` of the checkpoint of ``iteration``.

    Raises:
        CheckpointFormatError: no such checkpoint, or a file that is not a complete checkpoint.
    """
    path = checkpoint_path(folder, iteration)
    try:
        with np.load(path) as data:
            values = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise CheckpointFormatError(f"{path}: no checkpoint of iteration {iteration}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointFormatError(f"{path}: not a readable checkpoint ({error})") from None
    if int(values.pop("__iteration__", -1)) != int(iteration) or "__epoch__" not in values:
        raise CheckpointFormatError(f"{path}: not a checkpoint of iteration {iteration}")
    return values, float(values.pop("__epoch__"))
