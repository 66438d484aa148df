"""A run directory loaded for analysis: ``load_run`` gives a ``Run`` (its options, the
``Measurement`` in use, loss history and summary); re-measurements are stored with
``write_measurement``. The files themselves are ``infoplane_tf.io.run_dir``'s.
"""

from __future__ import annotations

import csv
import gzip
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from infoplane_tf.io.cells import format_number, keep_rows_through, parse_number
from infoplane_tf.io.checkpoints import list_checkpoints
from infoplane_tf.io.measurements import (
    Diagnostics,
    Measurement,
    is_family_set,
    is_width_map,
    read_family_set,
    read_measurement,
    read_width_map,
    write_measurement_folder,
)
from infoplane_tf.io.run_dir import RunDirectory, RunFormatError, is_run_dir  # noqa: F401 (re-exported)
from infoplane_tf.io.trajectory import Trajectory, TrajectoryFormatError, find_table
from infoplane_tf.validation import ParameterError
from infoplane_tf.width_rules import default_gamma

HISTORY_COLUMNS = ("iteration", "epoch", "scope", "train_loss", "test_loss")
#: The name of the trajectory recorded during training, among a run's measurements.
RECORDED = "recorded"


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
class RunFiles:
    """A run's folder and options, without its points: what measuring it again needs (its
    config, checkpoints and probe). ``open_run`` reads one in milliseconds; a ``Run`` is one
    with everything loaded.

    Attributes:
        path: The folder.
        config: ``config.json`` as a dict.
    """

    path: Path
    config: dict

    @property
    def directory(self) -> RunDirectory:
        """The run's files."""
        return RunDirectory(self.path)

    @property
    def checkpoints(self) -> list[int]:
        """The iterations that have a weight checkpoint (``checkpoints/``), ascending."""
        return list_checkpoints(self.directory.checkpoints)

    def model_at(self, iteration: int):
        """The run's model, built, with the weights of its checkpoint at ``iteration`` (see
        ``infoplane_tf.models.restore.model_at``; imports TensorFlow)."""
        from infoplane_tf.models.restore import model_at  # TensorFlow only when asked

        return model_at(self, iteration)


def open_run(path: str | os.PathLike) -> RunFiles:
    """A run's folder and options, checked, without reading its trajectory or history.

    Raises:
        RunFormatError: the folder is not a run directory, or its config is unreadable.
    """
    directory = RunDirectory(path).require()
    return RunFiles(directory.path, directory.read_config())


@dataclass
class Run(RunFiles):
    """A loaded run directory (see ``infoplane_tf.io.run_dir`` for the files).

    Attributes:
        path: The folder.
        config: ``config.json`` as a dict.
        measurement: The ``Measurement`` in use: the trajectory recorded in training, or a
            loaded re-measurement (with its band, controls and diagnostics when it has them).
        history: The ``History``.
        summary: ``summary.json`` as a dict (``{"complete": False}`` when missing).
        examples: Dict with ``inputs`` and ``reconstructions`` (k, d) arrays, or None.
        measurement_label: ``"recorded"``, or the label of the loaded re-measurement
            (``RUN/measurements/<label>/``).
        width_map: γ → ``Measurement`` for a width map (``measurement`` is then that of the
            rule's default γ, or of the middle γ), or None.
        families: member name → ``Measurement`` for a family set (``measurement`` is then its
            first member), or None.

    ``trajectory``, ``band``, ``controls`` and ``diagnostics`` are the measurement's.
    """

    measurement: Measurement
    history: History
    summary: dict
    examples: dict | None = None
    measurement_label: str = RECORDED
    width_map: dict[float, Measurement] | None = None
    families: dict[str, Measurement] | None = None

    @property
    def trajectory(self) -> Trajectory:
        """The measurement's points."""
        return self.measurement.trajectory

    @property
    def band(self) -> tuple[Trajectory, Trajectory] | None:
        """The measurement's estimator band (lower, upper), or None."""
        return self.measurement.band

    @property
    def controls(self) -> dict | None:
        """The measurement's reference levels, or None."""
        return self.measurement.controls

    @property
    def diagnostics(self) -> Diagnostics | None:
        """The layers' ``Diagnostics`` (median distance, saturated fraction), or None."""
        return self.measurement.diagnostics

    @property
    def remeasured(self) -> bool:
        """Whether the measurement in use is a re-measurement (not the recorded trajectory)."""
        return self.measurement_label != RECORDED

    @property
    def complete(self) -> bool:
        """Whether training finished and the summary was written."""
        return bool(self.summary.get("complete"))

    @property
    def label(self) -> str:
        """A short name for legends: the run's ``name`` option or its folder name, and the
        measurement's label when it is a re-measurement."""
        name = str(self.config.get("name") or self.path.name)
        return f"{name} [{self.measurement_label}]" if self.remeasured else name


def load_run(path: str | os.PathLike, measurement: str | None = None) -> Run:
    """Loads a run directory written by ``infoplane-tf train`` (or ``training.run``).

    Args:
        path: the run folder.
        measurement: the label of a re-measurement (``RUN/measurements/<label>/``) to use as
            the run's measurement, or ``LABEL/MEMBER`` for one member of a width map or family
            set; None or ``"recorded"``: the trajectory recorded in training.

    Returns:
        The ``Run``.

    Raises:
        RunFormatError: the folder is not a run, a measurement it does not have (the message
            lists those it has), or a corrupt file (named, with the line for tables).
            ``TrajectoryFormatError`` is a ``ValueError`` too and names its file.
    """
    directory = RunDirectory(path).require()
    config = directory.read_config()
    try:
        find_table(directory.path)
    except TrajectoryFormatError:
        raise RunFormatError(f"{directory.path}: the run has no trajectory yet") from None
    label = RECORDED if measurement is None else measurement
    measured, width_map, families = _read_measured(_measurement_folder(directory, label))
    return Run(
        directory.path,
        config,
        measured,
        read_history(directory.history_table),
        directory.read_summary(),
        directory.read_examples(),
        label,
        width_map,
        families,
    )


def _read_measured(folder: Path):
    """The measurement in ``folder``, the width map and the family set when it is one (the
    representative member of a width map: the rule's default γ if measured, else the middle
    one; of a family set: its first member)."""
    if is_family_set(folder):
        families = read_family_set(folder)
        return next(iter(families.values())), None, families
    if not is_width_map(folder):
        return read_measurement(folder), None, None
    width_map = read_width_map(folder)
    gammas = list(width_map)
    rule = width_map[gammas[0]].trajectory.settings.get("estimator", {}).get("sigma")
    gamma = default_gamma(rule)
    return width_map[gamma if gamma in width_map else gammas[len(gammas) // 2]], width_map, None


def measurements(path: str | os.PathLike) -> list[str]:
    """The labels of a run's re-measurements, sorted."""
    return RunDirectory(path).measurement_labels()


def _measurement_folder(directory: RunDirectory, label: str) -> Path:
    if label == RECORDED:
        return directory.path
    parent, _, member = label.partition("/")
    if member and parent in directory.measurement_labels():
        folder = directory.measurements / parent
        members = [p.name for p in folder.iterdir() if p.is_dir()]
        if member not in members:
            listed = ", ".join(sorted(members))
            raise RunFormatError(f"{folder}: no member {member!r}; it has: {listed}")
        return folder / member
    if label not in directory.measurement_labels():
        listed = ", ".join([RECORDED, *directory.measurement_labels()])
        raise RunFormatError(f"{directory.path}: no measurement {label!r}; it has: {listed}")
    return directory.measurements / label


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


def write_measurement(
    run: RunFiles | str | os.PathLike,
    label: str,
    measured: Measurement | Mapping[float, Measurement] | Mapping[str, Measurement] | Trajectory,
    overwrite: bool = False,
) -> Path:
    """Stores a measurement (or a width map, a family set, or a bare trajectory) as
    ``RUN/measurements/<label>/`` (see ``infoplane_tf.io.measurements``); returns that folder.

    Raises:
        ValueError: a label that is not a plain folder name, or one that exists without
            ``overwrite``.
    """
    run = run if isinstance(run, RunFiles) else open_run(run)
    if not label or Path(label).name != label or label.startswith(".") or label == RECORDED:
        raise ParameterError(
            "label", f"must be a plain folder name other than {RECORDED!r}, got {label!r}"
        )
    if isinstance(measured, Trajectory):
        measured = Measurement(measured)
    return write_measurement_folder(run.directory.measurements / label, measured, overwrite)
