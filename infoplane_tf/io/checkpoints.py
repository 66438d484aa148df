"""Weight checkpoints and the resume state of a run: ``.npz`` files, each written atomically.

``RUN/checkpoints/iteration-00001234.npz`` holds the value of every variable of the model (by
its Keras path, e.g. ``deep/encoder_1/kernel``) after that many training iterations, plus
``__iteration__`` and ``__epoch__``; float variables are stored as float32 or, to save half the
disk, float16 (read back as float32). ``RUN/resume.npz`` is the *full* state of the last
finished epoch: model and optimizer variables at full precision, for ``train --resume``.

A file is written under a temporary name, synced and renamed, so a killed process never leaves
a file that loads with wrong data; a file that cannot be read raises ``CheckpointFormatError``
naming it. NumPy only.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import numpy as np

from infoplane_tf._moved import moved_names
from infoplane_tf.catalog import CHECKPOINT_DTYPES
from infoplane_tf.validation import ParameterError, one_of

_PATTERN = re.compile(r"iteration-(\d{8})\.npz")


class CheckpointFormatError(ValueError):
    """A checkpoint file is missing, truncated or not a checkpoint (the message names it)."""


def checkpoint_path(folder: str | os.PathLike, iteration: int) -> Path:
    """Where the checkpoint of ``iteration`` lives in ``folder``."""
    return Path(folder) / f"iteration-{int(iteration):08d}.npz"


def write_checkpoint(
    folder: str | os.PathLike,
    iteration: int,
    epoch: float,
    values: dict[str, np.ndarray],
    dtype: str = "float32",
) -> Path:
    """Writes the variable values (path → array) of ``iteration`` atomically; returns the file.

    Args:
        folder: the checkpoints folder (made if missing).
        iteration: optimizer updates done; epoch: training time in epochs.
        values: every model variable's value, keyed by its Keras path.
        dtype: storage of the float values, ``"float32"`` or ``"float16"`` (rounding error
            ≤ 2⁻¹¹ of the value, or ≤ 2⁻²⁵ absolute below 2⁻¹⁴; integer values, e.g. RNG
            states, are kept exact).

    Raises:
        ValueError (naming ``dtype``): a value beyond float16's range (±65504) for float16.
    """
    one_of("dtype", dtype, CHECKPOINT_DTYPES)
    if dtype == "float16":
        _check_float16_range(values)
    stored = {
        key: value.astype(dtype) if np.issubdtype(value.dtype, np.floating) else value
        for key, value in values.items()
    }
    path = checkpoint_path(folder, iteration)
    write_arrays(path, __iteration__=int(iteration), __epoch__=float(epoch), **stored)
    return path


def _check_float16_range(values: dict[str, np.ndarray]) -> None:
    floats = [np.abs(v).max(initial=0) for v in values.values() if v.dtype.kind == "f"]
    largest = max(floats, default=0)
    if largest > np.finfo(np.float16).max:
        raise ParameterError(
            "dtype", f"float16 holds values up to 65504, a variable reaches {largest:.4g}"
        )


def list_checkpoints(folder: str | os.PathLike) -> list[int]:
    """The iterations that have a (complete) checkpoint in ``folder``, ascending; [] if none."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = (_PATTERN.fullmatch(p.name) for p in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


def read_checkpoint(folder: str | os.PathLike, iteration: int) -> tuple[dict, float]:
    """``(values by variable path, epoch)`` of the checkpoint of ``iteration``; float16
    values come back as float32.

    Raises:
        CheckpointFormatError: no such checkpoint, or a file that is not a complete checkpoint.
    """
    path = checkpoint_path(folder, iteration)
    values = read_arrays(path, f"no checkpoint of iteration {iteration}")
    if int(values.pop("__iteration__", -1)) != int(iteration) or "__epoch__" not in values:
        raise CheckpointFormatError(f"{path}: not a checkpoint of iteration {iteration}")
    epoch = float(values.pop("__epoch__"))
    widened = {
        key: value.astype(np.float32) if value.dtype == np.float16 else value
        for key, value in values.items()
    }
    return widened, epoch


def remove_checkpoints_after(folder: str | os.PathLike, iteration: int) -> list[int]:
    """Deletes the checkpoints of iterations after ``iteration`` (a resumed run writes them
    again); returns the iterations removed."""
    removed = [i for i in list_checkpoints(folder) if i > iteration]
    for later in removed:
        checkpoint_path(folder, later).unlink()
    return removed


def write_arrays(path: str | os.PathLike, **arrays) -> None:
    """Writes ``arrays`` to the ``.npz`` file ``path`` atomically (temporary, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def read_arrays(path: str | os.PathLike, missing: str) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` file ``path``.

    Raises:
        CheckpointFormatError: the file is missing (``missing`` says what that means) or not a
            complete ``.npz`` file.
    """
    try:
        with open(path, "rb") as file, np.load(file) as data:  # closed also when corrupt
            return {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise CheckpointFormatError(f"{path}: {missing}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise CheckpointFormatError(f"{path}: not a readable checkpoint ({error})") from None


__getattr__ = moved_names(
    __name__, {"TrainingInterrupted": "infoplane_tf.errors:TrainingInterrupted"}
)
