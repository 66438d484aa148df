"""Run directories: the self-describing unit that training writes and everything else reads.

A run directory holds::

    config.json           every option, versions, dataset source and sizes, seed, start time
    trajectory.csv[.gz]   the information-plane points streamed by InfoPlaneCallback
                          (both tables are gzipped when the run finishes)
    trajectory.json       the trajectory's sidecar (estimator settings, layer names)
    history.csv[.gz]      iteration,epoch,scope,train_loss,test_loss (scope: epoch | iteration)
    examples.npz          inputs and reconstructions of the first test images (for figures)
    probe.npz             the probe (images as uint8 pixels when exact, labels), so the run
                          can be re-measured at its probe without its dataset
    model.keras           the trained model
    summary.json          final errors, phase analysis, wall time; "complete": false until done

A run killed midway still loads: its trajectory holds the points made so far and its summary
says it is incomplete.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from infoplane_tf.io.cells import format_number, keep_rows_through, parse_number
from infoplane_tf.io.checkpoints import CHECKPOINTS_NAME, list_checkpoints
from infoplane_tf.io.measurements import (
    Diagnostics,
    Measurement,
    is_width_map,
    read_measurement,
    read_width_map,
    write_measurement_folder,
)
from infoplane_tf.io.trajectory import Trajectory, TrajectoryFormatError, find_table
from infoplane_tf.validation import ParameterError
from infoplane_tf.width_rules import default_gamma

CONFIG_NAME = "config.json"
HISTORY_NAME = "history.csv"
SUMMARY_NAME = "summary.json"
EXAMPLES_NAME = "examples.npz"
PROBE_NAME = "probe.npz"
MODEL_NAME = "model.keras"
HISTORY_COLUMNS = ("iteration", "epoch", "scope", "train_loss", "test_loss")
#: Where a run keeps its re-measurements: ``RUN/measurements/<label>/``.
MEASUREMENTS_NAME = "measurements"
#: The name of the trajectory recorded during training, among a run's measurements.
RECORDED = "recorded"


class RunFormatError(ValueError):
    """A folder is not a run directory, or one of its files is corrupt (the message says which)."""


@dataclass
class History:
    """Loss curves of a run.

    Attributes:
        iterations, epochs, train_loss, test_loss: per-epoch rows, arrays of shape (E,).
        iteration_*: the same per training iteration (shape (I,); empty unless the run
            recorded per iteration). Per-iteration test loss is on a fixed test subset.
    """

    iterations: np.ndarray
    epochs: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    iteration_iterations: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    iteration_epochs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    iteration_train_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    iteration_test_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass
class Run:
    """A loaded run directory (see the module docstring for the files).

    Attributes:
        path: The folder.
        config: ``config.json`` as a dict.
        trajectory: The ``Trajectory`` (recorded, or of the loaded measurement).
        history: The ``History``.
        summary: ``summary.json`` as a dict (``{"complete": False}`` when missing).
        examples: Dict with ``inputs`` and ``reconstructions`` (k, d) arrays, or None.
        measurement: The label of a loaded re-measurement (see
            ``infoplane_tf.io.measurements``), or None for the recorded trajectory.
        band: The estimator band (lower, upper) of a measurement, or None.
        controls: Reference levels of a measurement, or None.
        width_map: γ → ``Measurement`` for a width map (the trajectory, band and controls are
            then those of the rule's default γ, or of the middle γ), or None.
        diagnostics: The layers' ``Diagnostics`` (median distance, saturated fraction), or None.
    """

    path: Path
    config: dict
    trajectory: Trajectory
    history: History
    summary: dict
    examples: dict | None = None
    measurement: str | None = None
    band: tuple[Trajectory, Trajectory] | None = None
    controls: dict | None = None
    width_map: dict[float, Measurement] | None = None
    diagnostics: Diagnostics | None = None

    @property
    def complete(self) -> bool:
        """Whether training finished and the summary was written."""
        return bool(self.summary.get("complete"))

    @property
    def checkpoints(self) -> list[int]:
        """The iterations that have a weight checkpoint (``checkpoints/``), ascending."""
        return list_checkpoints(self.path / CHECKPOINTS_NAME)

    def model_at(self, iteration: int):
        """The run's model, built, with the weights of its checkpoint at ``iteration`` (see
        ``infoplane_tf.models.restore.model_at``; imports TensorFlow)."""
        from infoplane_tf.models.restore import model_at  # TensorFlow only when asked

        return model_at(self, iteration)

    @property
    def label(self) -> str:
        """A short name for legends: the run's ``name`` option or its folder name, and the
        measurement's label when one was loaded."""
        name = str(self.config.get("name") or self.path.name)
        return name if self.measurement is None else f"{name} [{self.measurement}]"


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder with a ``config.json`` (a run directory)."""
    return (Path(path) / CONFIG_NAME).is_file()


def load_run(path: str | os.PathLike, measurement: str | None = None) -> Run:
    """Loads a run directory written by ``infoplane-tf train`` (or ``training.run``).

    Args:
        path: the run folder.
        measurement: the label of a re-measurement (``RUN/measurements/<label>/``) to use as
            the run's trajectory; None or ``"recorded"``: the trajectory recorded in training.

    Returns:
        The ``Run``.

    Raises:
        RunFormatError: the folder is not a run, a measurement it does not have (the message
            lists those it has), or a corrupt file (named, with the line for tables).
            ``TrajectoryFormatError`` is a ``ValueError`` too and names its file.
    """
    path = Path(path)
    if not path.is_dir():
        raise RunFormatError(f"{path}: not a folder")
    if not is_run_dir(path):
        raise RunFormatError(f"{path}: not a run directory (no {CONFIG_NAME})")
    config = read_json(path / CONFIG_NAME)
    try:
        find_table(path)
    except TrajectoryFormatError:
        raise RunFormatError(f"{path}: the run has no trajectory yet") from None
    measurement = None if measurement in (None, RECORDED) else measurement
    measured, width_map = _read_measured(_measurement_folder(path, measurement))
    history_path = path / HISTORY_NAME
    if not history_path.exists() and history_path.with_name(HISTORY_NAME + ".gz").exists():
        history_path = history_path.with_name(HISTORY_NAME + ".gz")
    history = read_history(history_path)
    summary_path = path / SUMMARY_NAME
    summary = read_json(summary_path) if summary_path.exists() else {"complete": False}
    examples = None
    if (path / EXAMPLES_NAME).exists():
        try:
            with np.load(path / EXAMPLES_NAME) as data:
                examples = {key: data[key] for key in data.files}
        except (OSError, ValueError) as error:
            raise RunFormatError(f"{path / EXAMPLES_NAME}: cannot read ({error})") from None
    return Run(
        path,
        config,
        measured.trajectory,
        history,
        summary,
        examples,
        measurement,
        measured.band,
        measured.controls,
        width_map,
        measured.diagnostics,
    )


def _read_measured(folder: Path) -> tuple[Measurement, dict[float, Measurement] | None]:
    """The measurement in ``folder``, and the width map when it is one (its representative
    member: the rule's default γ if measured, else the middle one)."""
    if not is_width_map(folder):
        return read_measurement(folder), None
    width_map = read_width_map(folder)
    gammas = list(width_map)
    rule = width_map[gammas[0]].trajectory.settings.get("estimator", {}).get("sigma_rule")
    gamma = default_gamma(rule)
    return width_map[gamma if gamma in width_map else gammas[len(gammas) // 2]], width_map


def measurements(path: str | os.PathLike) -> list[str]:
    """The labels of a run's re-measurements, sorted."""
    folder = Path(path) / MEASUREMENTS_NAME
    return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def _measurement_folder(path: Path, measurement: str | None) -> Path:
    if measurement is None:
        return path
    if measurement not in measurements(path):
        listed = ", ".join([RECORDED, *measurements(path)])
        raise RunFormatError(f"{path}: no measurement {measurement!r}; it has: {listed}")
    return path / MEASUREMENTS_NAME / measurement


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; RunFormatError naming the file if it is not one."""
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise RunFormatError(f"{path}: cannot read ({error})") from None
    except json.JSONDecodeError as error:
        raise RunFormatError(f"{path} line {error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise RunFormatError(f"{path}: expected a JSON object")
    return value


def write_json(path: Path, value: dict) -> None:
    """Writes ``value`` atomically (a temporary file, then a rename), so no reader sees half."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n")
    os.replace(temporary, path)


def read_history(path: Path) -> History:
    """The loss history table (``.csv``, or ``.csv.gz`` for finished runs); empty arrays when
    the file does not exist yet."""
    rows = {"epoch": [], "iteration": []}
    if path.exists():
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header != list(HISTORY_COLUMNS):
                raise RunFormatError(
                    f"{path} line 1: header {header}, expected {','.join(HISTORY_COLUMNS)}"
                )
            for number, row in enumerate(reader, start=2):
                if len(row) != len(HISTORY_COLUMNS) or row[2] not in rows:
                    if not f.read():  # a last line cut short by a kill
                        break
                    raise RunFormatError(f"{path} line {number}: malformed row {row}")
                try:
                    values = (
                        int(row[0]),
                        float(row[1]),
                        parse_number(row[3]),
                        parse_number(row[4]),
                    )
                except ValueError as error:
                    raise RunFormatError(f"{path} line {number}: {error}") from None
                rows[row[2]].append(values)

    def columns(scope):
        data = np.array(rows[scope], dtype=float).reshape(-1, 4)
        return data[:, 0].astype(np.int64), data[:, 1], data[:, 2], data[:, 3]

    epoch, iteration = columns("epoch"), columns("iteration")
    return History(*epoch, *iteration)


class HistoryWriter:
    """Appends loss rows to ``history.csv``, flushed as they come.

    Args:
        path: the table; append_after: continue an existing table (a resumed run), dropping
            its rows after this iteration; None starts a new table.
    """

    def __init__(self, path: Path, append_after: int | None = None):
        if append_after is not None:
            keep_rows_through(path, HISTORY_COLUMNS.index("iteration"), append_after)
            self._file = open(path, "a", newline="")
            return
        self._file = open(path, "w", newline="")
        self._file.write(",".join(HISTORY_COLUMNS) + "\n")
        self._file.flush()

    def append(self, iteration: int, epoch: float, scope: str, train: float, test: float):
        cells = [str(iteration), f"{epoch:.6g}", scope, format_number(train), format_number(test)]
        self._file.write(",".join(cells) + "\n")
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def write_probe(path: str | os.PathLike, x: np.ndarray, y: np.ndarray) -> Path:
    """Keeps a run's probe in ``path/probe.npz``: images in [0, 1] as uint8 pixels when every
    value is a multiple of 1/255 (the datasets' images), else float32; labels as int64.

    Args:
        path: The run directory.
        x: (n, ...) probe images.
        y: (n,) integer labels.

    Returns:
        The file written.
    """
    x = np.asarray(x, dtype=np.float32)
    pixels = np.clip(np.round(x * np.float32(255)), 0, 255).astype(np.float32)
    exact = bool(np.array_equal(pixels / np.float32(255), x))
    target = Path(path) / PROBE_NAME
    arrays = {"pixels": pixels.astype(np.uint8)} if exact else {"x": x}
    np.savez_compressed(target, labels=np.asarray(y, dtype=np.int64), **arrays)
    return target


def read_probe(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray] | None:
    """A run's probe kept by :func:`write_probe`: x (n, ...) float32 in [0, 1] and y (n,) int64
    (the dataset's first n test images and labels), or None when the run has none.

    Raises:
        RunFormatError: the file exists but cannot be read.
    """
    target = Path(path) / PROBE_NAME
    if not target.is_file():
        return None
    try:
        with np.load(target) as stored:
            y = stored["labels"]
            if "x" in stored:
                x = stored["x"]
            else:
                x = stored["pixels"].astype(np.float32) / np.float32(255)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise RunFormatError(f"{target}: not a readable probe file ({exc})") from exc
    return x, y


def write_measurement(
    run: Run | str | os.PathLike,
    label: str,
    measured: Measurement | Mapping[float, Measurement] | Trajectory,
    overwrite: bool = False,
) -> Path:
    """Stores a measurement (or a width map, or a bare trajectory) as
    ``RUN/measurements/<label>/`` (see ``infoplane_tf.io.measurements``); returns that folder.

    Raises:
        ValueError: a label that is not a plain folder name, or one that exists without
            ``overwrite``.
    """
    run = run if isinstance(run, Run) else load_run(run)
    if not label or Path(label).name != label or label.startswith(".") or label == RECORDED:
        raise ParameterError(
            "label", f"must be a plain folder name other than {RECORDED!r}, got {label!r}"
        )
    if isinstance(measured, Trajectory):
        measured = Measurement(measured)
    return write_measurement_folder(run.path / MEASUREMENTS_NAME / label, measured, overwrite)
