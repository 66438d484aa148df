"""A run directory's files: their names, and every read and write of its options and state.

The self-describing unit that training writes and everything else reads::

    config.json           every option, versions, dataset source and sizes, seed, start time
    trajectory.csv[.gz]   the information-plane points streamed by InfoPlaneCallback
                          (both tables are gzipped when the run finishes)
    trajectory.json       the trajectory's sidecar (estimator settings, layer names)
    history.csv[.gz]      iteration,epoch,scope,train_loss,test_loss (scope: epoch | iteration)
    examples.npz          inputs and reconstructions of the first test images (for figures)
    probe.npz             the probe (images as uint8 pixels when exact, labels), so the run
                          can be re-measured at its probe without its dataset
    model.keras           the trained model
    summary.json          the state ("training", "interrupted", or complete with final errors,
                          phase analysis and wall time)
    checkpoints/          weight checkpoints (``infoplane_tf.io.checkpoints``)
    resume.npz            the full training state of the last finished epoch, until complete
    measurements/LABEL/   re-measurements (``infoplane_tf.io.measurements``)

``RunDirectory`` is the only code that names these files (a test checks): training, the
callbacks (given its paths), measure, the sweep and its workers all go through it. A run killed
midway still loads: its trajectory holds the points made so far and its state says so.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from infoplane_tf.io.options import current_names
from infoplane_tf.io.trajectory import TABLE_NAME, compress_table
from infoplane_tf.validation import ParameterError

CONFIG_NAME = "config.json"
HISTORY_NAME = "history.csv"
SUMMARY_NAME = "summary.json"
EXAMPLES_NAME = "examples.npz"
PROBE_NAME = "probe.npz"
MODEL_NAME = "model.keras"
CHECKPOINTS_NAME = "checkpoints"
RESUME_NAME = "resume.npz"
MEASUREMENTS_NAME = "measurements"

#: A run's states, as ``RunDirectory.state`` gives them.
NEW, TRAINING, INTERRUPTED, COMPLETE = "new", "training", "interrupted", "complete"


class RunFormatError(ValueError):
    """A folder is not a run directory, or one of its files is corrupt (the message says which)."""


class RunDirectory:
    """The files of one run directory (see the module docstring), read and written.

    Args:
        path: The folder (it need not exist yet).

    Attributes:
        path: The folder.
        config: ``config.json``; summary: ``summary.json``; examples, probe, model: their files.
        history: ``history.csv``; trajectory: ``trajectory.csv`` (a finished run adds ``.gz``).
        checkpoints: The checkpoints folder; measurements: the re-measurements folder.
        resume_state: ``resume.npz``, the full state of the last finished epoch.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.config = self.path / CONFIG_NAME
        self.summary = self.path / SUMMARY_NAME
        self.history = self.path / HISTORY_NAME
        self.trajectory = self.path / TABLE_NAME
        self.examples = self.path / EXAMPLES_NAME
        self.probe = self.path / PROBE_NAME
        self.model = self.path / MODEL_NAME
        self.checkpoints = self.path / CHECKPOINTS_NAME
        self.resume_state = self.path / RESUME_NAME
        self.measurements = self.path / MEASUREMENTS_NAME

    def __repr__(self) -> str:
        return f"RunDirectory({str(self.path)!r})"

    @property
    def exists(self) -> bool:
        """Whether the folder is a run directory (it has a ``config.json``)."""
        return self.config.is_file()

    def require(self) -> RunDirectory:
        """Itself; RunFormatError when the folder is not a run directory."""
        if not self.path.is_dir():
            raise RunFormatError(f"{self.path}: not a folder")
        if not self.exists:
            raise RunFormatError(f"{self.path}: not a run directory (no {CONFIG_NAME})")
        return self

    def create(self, overwrite: bool = False) -> RunDirectory:
        """Makes the folder; refuses to touch an existing one unless ``overwrite``.

        Raises:
            ValueError (naming ``out``): the folder exists and is not empty without
                ``overwrite``, is a file, or is a non-empty folder that is not a run directory.
        """
        out = self.path
        if out.exists() and not out.is_dir():
            raise ParameterError("out", f"must be a folder, got the file {out}")
        if out.exists() and any(out.iterdir()):
            if not overwrite:
                raise ParameterError("out", f"{out} already exists", remedy="overwrite")
            if not self.exists:
                raise ParameterError(
                    "out", f"{out} exists and is not a run directory; refusing to delete it"
                )
            shutil.rmtree(out)
        out.mkdir(parents=True, exist_ok=True)
        return self

    # options
    def read_config(self) -> dict:
        """``config.json`` as a dict, options under their current names (RunFormatError naming
        the file if unreadable)."""
        return current_names(read_json(self.config))

    def write_config(self, config: dict) -> None:
        """Writes ``config.json`` (atomically)."""
        write_json(self.config, config)

    def update_config(self, **fields) -> None:
        """Rewrites ``config.json`` with ``fields`` changed (e.g. ``out`` of a moved run)."""
        self.write_config({**self.read_config(), **fields})

    # state
    def read_summary(self) -> dict:
        """``summary.json`` as a dict; ``{"complete": False}`` before training wrote one."""
        return read_json(self.summary) if self.summary.is_file() else {"complete": False}

    @property
    def state(self) -> str:
        """``"new"``, ``"training"`` (also a run killed while training), ``"interrupted"``
        (stopped on request at an epoch end) or ``"complete"``."""
        if not self.summary.is_file():
            return NEW
        summary = self.read_summary()
        return COMPLETE if summary.get("complete") else summary.get("phase", TRAINING)

    @property
    def complete(self) -> bool:
        """Whether training finished and the summary was written (False for a broken one)."""
        try:
            return self.state == COMPLETE
        except RunFormatError:
            return False

    @property
    def resumable(self) -> bool:
        """Whether the run is unfinished and has a resume state to continue from."""
        return self.resume_state.is_file() and not self.complete

    def mark_training(self) -> None:
        """Records that training is under way (a run killed now reads as incomplete)."""
        write_json(self.summary, {"complete": False, "phase": TRAINING})

    def mark_interrupted(self, iteration: int) -> None:
        """Records a stop on request after ``iteration`` updates (resumable)."""
        write_json(self.summary, {"complete": False, "phase": INTERRUPTED, "iteration": iteration})

    def compress_tables(self) -> None:
        """Gzips the trajectory and history tables (a finished run's form)."""
        compress_table(self.trajectory)
        compress_table(self.history)

    def mark_complete(self, summary: dict) -> None:
        """Writes the final ``summary`` (``complete`` set) and drops the resume state."""
        write_json(self.summary, {"complete": True, **summary})
        self.resume_state.unlink(missing_ok=True)

    @property
    def history_table(self) -> Path:
        """The history table as it is now: ``history.csv``, or ``.csv.gz`` once finished."""
        gzipped = self.history.with_name(HISTORY_NAME + ".gz")
        return gzipped if not self.history.exists() and gzipped.exists() else self.history

    # what training keeps for later
    def write_probe(self, x: np.ndarray, y: np.ndarray) -> Path:
        """Keeps the run's probe: images in [0, 1] as uint8 pixels when every value is a
        multiple of 1/255 (the datasets' images), else float32; labels as int64.

        Args:
            x: (n, ...) probe images.
            y: (n,) integer labels.

        Returns:
            The file written.
        """
        x = np.asarray(x, dtype=np.float32)
        pixels = np.clip(np.round(x * np.float32(255)), 0, 255).astype(np.float32)
        exact = bool(np.array_equal(pixels / np.float32(255), x))
        arrays = {"pixels": pixels.astype(np.uint8)} if exact else {"x": x}
        np.savez_compressed(self.probe, labels=np.asarray(y, dtype=np.int64), **arrays)
        return self.probe

    def read_probe(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The probe kept by :meth:`write_probe`: x (n, ...) float32 in [0, 1] and y (n,)
        int64, or None when the run has none.

        Raises:
            RunFormatError: the file exists but cannot be read.
        """
        if not self.probe.is_file():
            return None
        try:
            with open(self.probe, "rb") as file, np.load(file) as stored:
                y = stored["labels"]
                if "x" in stored:
                    x = stored["x"]
                else:
                    x = stored["pixels"].astype(np.float32) / np.float32(255)
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise RunFormatError(f"{self.probe}: not a readable probe file ({exc})") from exc
        return x, y

    def write_examples(self, inputs: np.ndarray, reconstructions: np.ndarray) -> None:
        """Keeps (k, ...) test inputs and the trained model's reconstructions, for figures."""
        np.savez_compressed(self.examples, inputs=inputs, reconstructions=reconstructions)

    def read_examples(self) -> dict | None:
        """``{"inputs", "reconstructions"}`` arrays, or None when the run has none yet."""
        if not self.examples.exists():
            return None
        try:
            with open(self.examples, "rb") as file, np.load(file) as data:
                return {key: data[key] for key in data.files}
        except (OSError, ValueError) as error:
            raise RunFormatError(f"{self.examples}: cannot read ({error})") from None

    def measurement_labels(self) -> list[str]:
        """The labels of the run's re-measurements, sorted."""
        folder = self.measurements
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []


def is_run_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder with a ``config.json`` (a run directory)."""
    return RunDirectory(path).exists


def read_json(path: Path) -> dict:
    """A JSON object from ``path``; RunFormatError naming the file if it is not one."""
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError) as error:
        raise RunFormatError(f"{path}: cannot read ({error})") from None
    except json.JSONDecodeError as error:
        raise RunFormatError(f"{path} line {error.lineno}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise RunFormatError(f"{path}: expected a JSON object")
    return value


def write_json(path: Path, value: dict) -> None:
    """Writes ``value`` atomically (a temporary file, then a rename), so no reader sees half."""
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=2, sort_keys=False) + "\n")
    os.replace(temporary, path)
