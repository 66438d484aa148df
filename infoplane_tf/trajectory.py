"""Information-plane trajectories: the in-memory type, the streaming writer and the loader.

On disk a trajectory is a tidy long table, one row per point and layer, plus a small JSON
sidecar with the estimator settings and the layer names::

    trajectory.csv      point,iteration,epoch,loss,layer,i_xt,i_ty,h_t,sigma[,i_ty_label]
    trajectory.json     {"format": "infoplane-tf/trajectory", "layers": [...], ...}

The writer appends the rows of a point in one write and flushes, so a killed process loses at
most the point being written; the loader drops such an incomplete last point. A point whose
activations were not finite (a diverged model) is written with empty value cells, never NaN,
and loads as NaN with ``valid`` False. Finished runs may gzip the table
(``trajectory.csv.gz``); the loader reads both.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMAT = "infoplane-tf/trajectory"
TABLE_NAME = "trajectory.csv"
SIDECAR_NAME = "trajectory.json"
POINT_COLUMNS = ("point", "iteration", "epoch", "loss")
VALUE_COLUMNS = ("i_xt", "i_ty", "h_t", "sigma")
LABEL_COLUMN = "i_ty_label"


class TrajectoryFormatError(ValueError):
    """A trajectory file is missing, corrupt or inconsistent; the message names file and line."""


@dataclass
class Trajectory:
    """An information-plane trajectory: P points of L layers.

    Attributes:
        layers: the L layer names, e.g. ``("E1", "E2", "Z", "D1", "D2")``.
        iterations: (P,) int, optimizer updates done before each point (0 = before training).
        epochs: (P,) float, training time in epochs at each point (iterations / steps per epoch).
        loss: (P,) float, the training loss Keras reported at the point (NaN before training).
        i_xt: (P, L) I(X;T) in bits.
        i_ty: (P, L) I(T;X') in bits: with the network's output X' (the paper's Y).
        h_t: (P, L) S(T) in bits.
        sigma: (P, L) the kernel width used for each layer (activation units).
        i_ty_label: (P, L) I(T;Y) in bits with the class labels, or None without labels.
        valid: (P,) bool; False where the activations were not finite (values are NaN there).
        settings: the estimator settings and metadata of the sidecar.
    """

    layers: tuple[str, ...]
    iterations: np.ndarray
    epochs: np.ndarray
    loss: np.ndarray
    i_xt: np.ndarray
    i_ty: np.ndarray
    h_t: np.ndarray
    sigma: np.ndarray
    i_ty_label: np.ndarray | None = None
    valid: np.ndarray | None = None
    settings: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.valid is None:
            self.valid = np.isfinite(self.i_xt).all(axis=1) if len(self.i_xt) else np.ones(0, bool)

    def __len__(self) -> int:
        return len(self.iterations)

    def layer(self, name: str) -> dict[str, np.ndarray]:
        """The (P,) series of one layer: ``i_xt``, ``i_ty``, ``h_t``, ``sigma`` (+ label MI).

        Raises:
            KeyError: ``name`` is not a recorded layer (the message lists them).
        """
        if name not in self.layers:
            listed = ", ".join(self.layers)
            raise KeyError(f"no layer {name!r} in this trajectory; layers: {listed}")
        j = self.layers.index(name)
        series = {key: getattr(self, key)[:, j] for key in VALUE_COLUMNS}
        if self.i_ty_label is not None:
            series[LABEL_COLUMN] = self.i_ty_label[:, j]
        return series

    def to_dataframe(self):
        """The tidy long table (one row per point and layer) as a pandas DataFrame.

        Raises:
            ImportError: pandas is not installed (it is optional).
        """
        import pandas as pd  # optional dependency, imported only here

        return pd.DataFrame({name: values for name, values in _long_columns(self).items()})


def _long_columns(trajectory: Trajectory) -> dict[str, np.ndarray]:
    """Columns of the long table: every point repeated once per layer."""
    n_layers = len(trajectory.layers)
    columns = {
        "point": np.repeat(np.arange(len(trajectory)), n_layers),
        "iteration": np.repeat(trajectory.iterations, n_layers),
        "epoch": np.repeat(trajectory.epochs, n_layers),
        "loss": np.repeat(trajectory.loss, n_layers),
        "layer": np.tile(np.array(trajectory.layers, dtype=object), len(trajectory)),
    }
    for key in VALUE_COLUMNS:
        columns[key] = getattr(trajectory, key).reshape(-1)
    if trajectory.i_ty_label is not None:
        columns[LABEL_COLUMN] = trajectory.i_ty_label.reshape(-1)
    return columns


# --------------------------------------------------------------------------------------------
# Recording: an in-memory buffer and a streaming file writer
# --------------------------------------------------------------------------------------------


class TrajectoryBuffer:
    """Growable arrays of recorded points: memory is the recorded floats, nothing more.

    Args:
        layers: layer names; has_labels: whether ``i_ty_label`` is recorded; settings: metadata.
    """

    def __init__(self, layers: Sequence[str], has_labels: bool, settings: dict | None = None):
        self.layers = tuple(layers)
        self.keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if has_labels else ())
        self.settings = dict(settings or {})
        self._size = 0
        self._scalars = np.empty((64, 3))  # iteration, epoch, loss
        self._values = np.empty((64, len(self.keys), len(self.layers)))

    def __len__(self) -> int:
        return self._size

    def last(self, key: str) -> np.ndarray:
        """The (L,) values of ``key`` at the last point (NaN before any point or if missing)."""
        if not self._size:
            return np.full(len(self.layers), np.nan)
        return self._values[self._size - 1, self.keys.index(key)].copy()

    def append(self, iteration: int, epoch: float, loss: float, values: dict | None) -> None:
        """Adds a point; ``values`` maps each key to L floats, or is None for a missing point."""
        if self._size == len(self._scalars):
            self._scalars = np.concatenate([self._scalars, np.empty_like(self._scalars)])
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
        self._scalars[self._size] = (iteration, epoch, loss)
        for k, key in enumerate(self.keys):
            self._values[self._size, k] = np.nan if values is None else values[key]
        self._size += 1

    def trajectory(self) -> Trajectory:
        """A copy of everything recorded so far as a ``Trajectory``."""
        scalars = self._scalars[: self._size]
        values = {key: self._values[: self._size, k].copy() for k, key in enumerate(self.keys)}
        return Trajectory(
            layers=self.layers,
            iterations=scalars[:, 0].astype(np.int64),
            epochs=scalars[:, 1].copy(),
            loss=scalars[:, 2].copy(),
            settings=dict(self.settings),
            **values,
        )


def sidecar_path(table_path: str | os.PathLike) -> Path:
    """The JSON sidecar that belongs to a trajectory table (``x.csv`` or ``x.csv.gz``)."""
    path = Path(table_path)
    stem = path.name.removesuffix(".gz").removesuffix(".csv")
    return path.with_name(stem + ".json")


class TrajectoryWriter:
    """Streams points to a CSV table, one flushed write per point, plus the JSON sidecar.

    Args:
        path: the table's path (``.csv``); its sidecar is written next to it at once.
        layers: layer names; has_labels: whether the ``i_ty_label`` column exists.
        settings: JSON-ready metadata for the sidecar (estimator settings, schedule, ...).
    """

    def __init__(
        self, path: str | os.PathLike, layers: Sequence[str], has_labels: bool, settings: dict
    ):
        self.path = Path(path)
        self.layers = tuple(layers)
        self.keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if has_labels else ())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        sidecar = {
            "format": FORMAT,
            "version": 1,
            "layers": list(self.layers),
            "columns": [*POINT_COLUMNS, "layer", *self.keys],
            **settings,
        }
        with open(sidecar_path(self.path), "w") as f:
            json.dump(sidecar, f, indent=2)
        self._file = open(self.path, "w", newline="")
        self._file.write(",".join(sidecar["columns"]) + "\n")
        self._file.flush()
        self._points = 0

    def append(self, iteration: int, epoch: float, loss: float, values: dict | None) -> None:
        """Writes the L rows of a point in one write and flushes (values None: missing point)."""
        lines = []
        head = f"{self._points},{iteration},{_number(epoch)},{_number(loss)}"
        for j, layer in enumerate(self.layers):
            cells = ("" if values is None else _number(values[key][j]) for key in self.keys)
            lines.append(f"{head},{layer},{','.join(cells)}\n")
        self._file.write("".join(lines))
        self._file.flush()
        self._points += 1

    def close(self) -> None:
        """Closes the table (idempotent)."""
        if not self._file.closed:
            self._file.close()


def _number(value: float) -> str:
    """A float as text with 8 significant digits; empty for NaN/Inf (never a fake value)."""
    value = float(value)
    return f"{value:.8g}" if math.isfinite(value) else ""


def compress_table(path: str | os.PathLike) -> Path:
    """Gzips a finished table in place (``x.csv`` → ``x.csv.gz``); returns the new path."""
    path = Path(path)
    target = path.with_name(path.name + ".gz")
    with open(path, "rb") as source, gzip.open(target, "wb", compresslevel=9) as sink:
        sink.write(source.read())
    path.unlink()
    return target


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


def find_table(path: str | os.PathLike) -> Path:
    """The trajectory table for ``path``: the table itself, its sidecar, or a folder holding one.

    Raises:
        TrajectoryFormatError: no table is there.
    """
    path = Path(path)
    if path.is_dir():
        for name in (TABLE_NAME, TABLE_NAME + ".gz"):
            if (path / name).is_file():
                return path / name
        raise TrajectoryFormatError(f"{path}: no {TABLE_NAME} or {TABLE_NAME}.gz in this folder")
    if path.suffix == ".json":
        for name in (".csv", ".csv.gz"):
            candidate = path.with_name(path.stem + name)
            if candidate.is_file():
                return candidate
    if path.is_file():
        return path
    raise TrajectoryFormatError(f"{path}: no such trajectory file")


def load_trajectory(path: str | os.PathLike) -> Trajectory:
    """Loads a trajectory saved by ``InfoPlaneCallback(filepath=...)`` or a run directory.

    Args:
        path: the table (``.csv`` or ``.csv.gz``), its ``.json`` sidecar, or a folder holding
            ``trajectory.csv[.gz]``.

    Returns:
        The ``Trajectory``. A last point cut short by a killed process is dropped.

    Raises:
        TrajectoryFormatError: missing or unreadable files, a malformed row (the message names
            the file and line), or rows that do not match the sidecar's layers.
    """
    table = find_table(path)
    sidecar_file = sidecar_path(table)
    try:
        sidecar = json.loads(sidecar_file.read_text())
        layers = tuple(sidecar["layers"])
    except FileNotFoundError:
        raise TrajectoryFormatError(f"{sidecar_file}: missing (the table's sidecar)") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise TrajectoryFormatError(f"{sidecar_file}: not a trajectory sidecar ({error})") from None
    text = _read_text(table)
    complete = text.endswith("\n")
    lines = text.split("\n")
    if complete:
        lines = lines[:-1]
    if not lines or not lines[0]:
        raise TrajectoryFormatError(f"{table}: empty file (no header line)")
    header = lines[0].split(",")
    keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if LABEL_COLUMN in header else ())
    expected = [*POINT_COLUMNS, "layer", *keys]
    if header != expected:
        raise TrajectoryFormatError(
            f"{table} line 1: header {','.join(header)!r}, expected {','.join(expected)!r}"
        )
    rows = lines[1:]
    if not complete and rows:
        rows = rows[:-1]  # the line being written when the process died
    n_layers = len(layers)
    parsed = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(rows))), start=2):
        if len(row) != len(expected):
            raise TrajectoryFormatError(
                f"{table} line {number}: expected {len(expected)} fields, got {len(row)}"
            )
        try:
            point, iteration = int(row[0]), int(row[1])
            epoch, loss = _cell(row[2]), _cell(row[3])
            values = [_cell(cell) for cell in row[5:]]
        except ValueError as error:
            raise TrajectoryFormatError(f"{table} line {number}: {error}") from None
        expected_layer = layers[(number - 2) % n_layers]
        if row[4] != expected_layer or point != (number - 2) // n_layers:
            raise TrajectoryFormatError(
                f"{table} line {number}: expected point {(number - 2) // n_layers} layer "
                f"{expected_layer!r}, got point {point} layer {row[4]!r}"
            )
        parsed.append((iteration, epoch, loss, values))
    n_points = len(parsed) // n_layers  # an incomplete last point is dropped
    parsed = parsed[: n_points * n_layers]
    scalars = np.array([p[:3] for p in parsed[::n_layers]], dtype=float).reshape(n_points, 3)
    values = np.array([p[3] for p in parsed], dtype=float).reshape(n_points, n_layers, len(keys))
    arrays = {key: values[:, :, k] for k, key in enumerate(keys)}
    settings = {k: v for k, v in sidecar.items() if k not in ("layers", "columns")}
    return Trajectory(
        layers=layers,
        iterations=scalars[:, 0].astype(np.int64),
        epochs=scalars[:, 1],
        loss=scalars[:, 2],
        settings=settings,
        **arrays,
    )


def _cell(text: str) -> float:
    """A numeric cell; empty means missing (NaN)."""
    return float(text) if text else math.nan


def _read_text(path: Path) -> str:
    """The table's text (plain, or gzip for finished runs)."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt") as f:
                return f.read()
        return path.read_text()
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise TrajectoryFormatError(f"{path}: cannot read ({error})") from None
