"""Information-plane trajectories: the in-memory type, the streaming writer and the loader.

On disk a trajectory is a tidy long table, one row per point and layer, plus a small JSON
sidecar with the estimator settings and the layer names::

    trajectory.csv      point,iteration,epoch,loss,layer,i_xt,i_t_out,h_t,sigma[,i_t_label]
    trajectory.json     {"format": "infoplane-tf/trajectory", "layers": [...], ...}

The writer appends the rows of a point in one write and flushes, so a killed process loses at
most the point being written; the loader drops such an incomplete last point. A point whose
activations were not finite (a diverged model) is written with empty value cells, never NaN,
and loads as NaN with ``valid`` False. Finished runs may gzip the table
(``trajectory.csv.gz``); the loader reads both. Tables written before 0.2 name I(T;X') ``i_ty``
and I(T;Y) ``i_ty_label``; they load under the new names.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from infoplane_tf.io.cells import format_number, keep_rows_through, parse_number
from infoplane_tf.io.options import current_names

FORMAT = "infoplane-tf/trajectory"
TABLE_NAME = "trajectory.csv"
SIDECAR_NAME = "trajectory.json"
POINT_COLUMNS = ("point", "iteration", "epoch", "loss")
#: Per-layer quantities of every point: I(X;T), I(T;X') (the network's output), S(T), σ.
VALUE_COLUMNS = ("i_xt", "i_t_out", "h_t", "sigma")
#: I(T;Y) with the class labels, recorded when labels are given.
LABEL_COLUMN = "i_t_label"
#: An approximate estimator's error estimates (bits) of I(X;T) and I(T;X') [and I(T;Y)], and
#: the code of the method that measured the point (``entropy_methods.METHODS``).
ERROR_COLUMNS = ("i_xt_error", "i_t_out_error")
LABEL_ERROR_COLUMN = "i_t_label_error"
METHOD_COLUMN = "method"
#: Column names of tables written before 0.2.
OLD_COLUMNS = {"i_ty": "i_t_out", "i_ty_label": "i_t_label"}


def recorded_keys(labels: bool, errors: bool) -> tuple[str, ...]:
    """The value columns of a table: ``VALUE_COLUMNS``, I(T;Y) with labels, and with an
    approximate estimator the error columns and the method."""
    keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if labels else ())
    if errors:
        keys += ERROR_COLUMNS + ((LABEL_ERROR_COLUMN,) if labels else ()) + (METHOD_COLUMN,)
    return keys


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
        i_t_out: (P, L) I(T;X') in bits: with the network's output X' (the paper's "Y").
        h_t: (P, L) S(T) in bits.
        sigma: (P, L) the kernel width used for each layer (activation units).
        i_t_label: (P, L) I(T;Y) in bits with the class labels, or None without labels.
        valid: (P,) bool; False where the activations were not finite (values are NaN there).
        i_xt_error, i_t_out_error, i_t_label_error: (P, L) error estimates in bits of an
            approximate estimator (95% half-widths), or None for the exact one.
        method: (P, L) the code of the method of each point (the same for every layer), an
            index into ``infoplane_tf.entropy_methods.METHODS``, or None.
        settings: the estimator settings and metadata of the sidecar.
    """

    layers: tuple[str, ...]
    iterations: np.ndarray
    epochs: np.ndarray
    loss: np.ndarray
    i_xt: np.ndarray
    i_t_out: np.ndarray
    h_t: np.ndarray
    sigma: np.ndarray
    i_t_label: np.ndarray | None = None
    valid: np.ndarray | None = None
    settings: dict = field(default_factory=dict)
    i_xt_error: np.ndarray | None = None
    i_t_out_error: np.ndarray | None = None
    i_t_label_error: np.ndarray | None = None
    method: np.ndarray | None = None

    @property
    def keys(self) -> tuple[str, ...]:
        """The value columns this trajectory holds (see ``recorded_keys``)."""
        return recorded_keys(self.i_t_label is not None, self.i_xt_error is not None)

    def __post_init__(self):
        if self.valid is None:
            self.valid = np.isfinite(self.i_xt).all(axis=1) if len(self.i_xt) else np.ones(0, bool)

    def __len__(self) -> int:
        return len(self.iterations)

    @property
    def i_ty(self) -> np.ndarray:
        """The 0.1 name of ``i_t_out``, I(T;X') (kept for old code)."""
        return self.i_t_out

    @property
    def i_ty_label(self) -> np.ndarray | None:
        """The 0.1 name of ``i_t_label``, I(T;Y) (kept for old code)."""
        return self.i_t_label

    def layer(self, name: str) -> dict[str, np.ndarray]:
        """The (P,) series of one layer: ``i_xt``, ``i_t_out``, ``h_t``, ``sigma``, ``i_t_label``.

        Raises:
            KeyError: ``name`` is not a recorded layer (the message lists them).
        """
        if name not in self.layers:
            listed = ", ".join(self.layers)
            raise KeyError(f"no layer {name!r} in this trajectory; layers: {listed}")
        j = self.layers.index(name)
        return {key: getattr(self, key)[:, j] for key in self.keys}

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
    for key in trajectory.keys:
        columns[key] = getattr(trajectory, key).reshape(-1)
    return columns


# --------------------------------------------------------------------------------------------
# Recording: an in-memory buffer and a streaming file writer
# --------------------------------------------------------------------------------------------


class TrajectoryBuffer:
    """Growable arrays of recorded points: memory is the recorded floats, nothing more.

    Args:
        layers: layer names; keys: the recorded quantities (``VALUE_COLUMNS`` [+
            ``LABEL_COLUMN``]); settings: metadata.
    """

    def __init__(self, layers: Sequence[str], keys: Sequence[str], settings: dict | None = None):
        self.layers = tuple(layers)
        self.keys = tuple(keys)
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
        layers: layer names; keys: the value columns (as ``TrajectoryBuffer``).
        settings: JSON-ready metadata for the sidecar (estimator settings, schedule, ...).
        append_after: continue an existing table (a resumed run): its points after this
            iteration are dropped and new points follow; None starts a new table.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        layers: Sequence[str],
        keys: Sequence[str],
        settings: dict,
        append_after: int | None = None,
    ):
        self.path = Path(path)
        self.layers = tuple(layers)
        self.keys = tuple(keys)
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
        if append_after is None:
            self._file = open(self.path, "w", newline="")
            self._file.write(",".join(sidecar["columns"]) + "\n")
            self._file.flush()
            self._points = 0
        else:
            rows = keep_rows_through(self.path, POINT_COLUMNS.index("iteration"), append_after)
            self._file = open(self.path, "a", newline="")
            self._points = rows // len(self.layers)

    def append(self, iteration: int, epoch: float, loss: float, values: dict | None) -> None:
        """Writes the L rows of a point in one write and flushes (values None: missing point)."""
        lines = []
        head = f"{self._points},{iteration},{format_number(epoch)},{format_number(loss)}"
        for j, layer in enumerate(self.layers):
            cells = ("" if values is None else format_number(values[key][j]) for key in self.keys)
            lines.append(f"{head},{layer},{','.join(cells)}\n")
        self._file.write("".join(lines))
        self._file.flush()
        self._points += 1

    def close(self) -> None:
        """Closes the table (idempotent)."""
        if not self._file.closed:
            self._file.close()


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
    sidecar = _read_sidecar(sidecar_path(table))
    layers = tuple(sidecar["layers"])
    text = _read_text(table)
    complete = text.endswith("\n")
    lines = text.split("\n")
    if complete:
        lines = lines[:-1]
    if not lines or not lines[0]:
        raise TrajectoryFormatError(f"{table}: empty file (no header line)")
    keys = _value_keys(table, lines[0].split(","))
    rows = lines[1:]
    if not complete and rows:
        rows = rows[:-1]  # the line being written when the process died
    scalars, values = _parse_rows(table, rows, layers, len(POINT_COLUMNS) + 1 + len(keys))
    settings = {k: v for k, v in sidecar.items() if k not in ("layers", "columns")}
    if isinstance(settings.get("estimator"), dict):  # a sidecar written before 0.7
        settings["estimator"] = current_names(settings["estimator"])
    return Trajectory(
        layers=layers,
        iterations=scalars[:, 0].astype(np.int64),
        epochs=scalars[:, 1],
        loss=scalars[:, 2],
        settings=settings,
        **{key: values[:, :, k] for k, key in enumerate(keys)},
    )


def _read_sidecar(path: Path) -> dict:
    try:
        sidecar = json.loads(path.read_text())
        tuple(sidecar["layers"])
    except FileNotFoundError:
        raise TrajectoryFormatError(f"{path}: missing (the table's sidecar)") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise TrajectoryFormatError(f"{path}: not a trajectory sidecar ({error})") from None
    return sidecar


def _value_keys(table: Path, header: list[str]) -> tuple[str, ...]:
    """The value columns of a table from its header (old column names are renamed)."""
    header = [OLD_COLUMNS.get(name, name) for name in header]
    keys = recorded_keys(LABEL_COLUMN in header, ERROR_COLUMNS[0] in header)
    expected = [*POINT_COLUMNS, "layer", *keys]
    if header != expected:
        raise TrajectoryFormatError(
            f"{table} line 1: header {','.join(header)!r}, expected {','.join(expected)!r}"
        )
    return keys


def _parse_rows(table: Path, rows: list[str], layers: tuple[str, ...], n_fields: int):
    """``(scalars (P, 3), values (P, L, keys))`` of the whole points among ``rows``."""
    n_layers = len(layers)
    parsed = []
    for number, row in enumerate(csv.reader(io.StringIO("\n".join(rows))), start=2):
        if len(row) != n_fields:
            raise TrajectoryFormatError(
                f"{table} line {number}: expected {n_fields} fields, got {len(row)}"
            )
        try:
            point, iteration = int(row[0]), int(row[1])
            numbers = [parse_number(cell) for cell in (row[2], row[3], *row[5:])]
        except ValueError as error:
            raise TrajectoryFormatError(f"{table} line {number}: {error}") from None
        expected_layer = layers[(number - 2) % n_layers]
        if row[4] != expected_layer or point != (number - 2) // n_layers:
            raise TrajectoryFormatError(
                f"{table} line {number}: expected point {(number - 2) // n_layers} layer "
                f"{expected_layer!r}, got point {point} layer {row[4]!r}"
            )
        parsed.append((iteration, *numbers))
    n_points = len(parsed) // n_layers  # an incomplete last point is dropped
    whole = np.array(parsed[: n_points * n_layers], dtype=float)
    whole = whole.reshape(n_points, n_layers, n_fields - 2)  # iteration, epoch, loss, values
    return whole[:, 0, :3], whole[:, :, 3:]


def _read_text(path: Path) -> str:
    """The table's text (plain, or gzip for finished runs)."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rt") as f:
                return f.read()
        return path.read_text()
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise TrajectoryFormatError(f"{path}: cannot read ({error})") from None
