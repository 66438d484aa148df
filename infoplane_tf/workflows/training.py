"""One training run with the information plane recorded: what ``infoplane-tf train`` calls.

``run(TrainConfig(...))`` loads the data, builds the paper's model, trains it with ``model.fit``
and an ``InfoPlaneCallback``, and leaves a complete run directory (see ``infoplane_tf.io.runs``).
Everything is written as it is made, so a run killed midway still loads.
"""

from __future__ import annotations

import dataclasses
import datetime
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf._version import __version__
from infoplane_tf.analysis.phases import analyze_trajectory
from infoplane_tf.callbacks.checkpoints import CheckpointCallback
from infoplane_tf.callbacks.info_plane import InfoPlaneCallback
from infoplane_tf.callbacks.loggers import LossRecorder, ProgressLine
from infoplane_tf.callbacks.schedule import Schedule
from infoplane_tf.data.datasets import Dataset, default_dataset_name, load_dataset
from infoplane_tf.io.checkpoints import CHECKPOINTS_NAME
from infoplane_tf.io.runs import (
    CONFIG_NAME,
    EXAMPLES_NAME,
    HISTORY_NAME,
    MODEL_NAME,
    SUMMARY_NAME,
    is_run_dir,
    write_json,
)
from infoplane_tf.io.trajectory import TABLE_NAME, compress_table
from infoplane_tf.models import build_model
from infoplane_tf.validation import ParameterError, sigma_rule
from infoplane_tf.workflows.config import TrainConfig

#: Per-iteration test loss is measured on this many fixed test images (the first ones).
ITERATION_TEST_SIZE = 200
#: How many test images and reconstructions are kept for figures.
EXAMPLE_COUNT = 10


def run(
    config: TrainConfig, log: Callable[[str], None] | None = None, progress: bool = False
) -> Path:
    """Trains one model with the information plane recorded and writes its run directory.

    Args:
        config: the options (see ``TrainConfig``).
        log: receives one-line messages (the dataset fallback notice, where the run went).
        progress: show one live progress line on standard error.

    Returns:
        The run directory.

    Raises:
        ValueError: a bad option, named (before anything is written).
        infoplane_tf.data.DatasetUnavailableError: an explicitly asked dataset is missing.
    """
    log = log or (lambda message: None)
    config.validate()
    dataset, fallback_reason = _load_data(config, log)
    out = Path(config.out) if config.out else default_out(config, dataset.info.name)
    prepare_out(out, config.overwrite)
    started = time.time()
    options = {**dataclasses.asdict(config), "dataset": dataset.info.name, "out": str(out)}
    write_json(out / CONFIG_NAME, {**options, **_provenance(dataset, fallback_reason)})

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    model = build_model(config.model, learning_rate=config.learning_rate, **config.model_hparams())
    x_train, y_train, x_test, y_test = _fit_data(config, dataset)
    info_plane, losses = _recorders(config, dataset, out, y_test)
    callbacks = [info_plane, losses] + ([ProgressLine()] if progress else [])
    if config.checkpoints != "none":
        callbacks.append(CheckpointCallback(out / CHECKPOINTS_NAME, config.checkpoints))
    write_json(out / SUMMARY_NAME, {"complete": False, "phase": "training"})
    model.fit(
        x_train,
        y_train,
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        validation_data=(x_test, y_test),
        verbose=0,
        callbacks=callbacks,
    )
    summary = _finish(out, model, dataset, info_plane, losses, started)
    log(f"run written to {out} ({summary['wall_time_s']:.0f} s)")
    return out


def _fit_data(config: TrainConfig, dataset: Dataset):
    """``(x_train, y_train, x_test, y_test)``: targets are the labels for the label AE."""
    x_train, x_test = dataset.x_train, dataset.x_test
    if config.model == "label":
        return x_train, dataset.y_train, x_test, dataset.y_test
    return x_train, x_train, x_test, x_test


def _recorders(config: TrainConfig, dataset: Dataset, out: Path, y_test):
    """The run's ``InfoPlaneCallback`` (streaming to the run directory) and ``LossRecorder``."""
    schedule = Schedule(config.record, parameter="record")
    info_plane = InfoPlaneCallback(
        *dataset.probe,
        every=schedule.every,
        alpha=config.alpha,
        sigma=sigma_rule("sigma_rule", config.sigma_rule),
        gamma=config.gamma,
        filepath=out / TABLE_NAME,
        seed=config.seed,
    )
    losses = LossRecorder(
        out / HISTORY_NAME,
        dataset.x_test[:ITERATION_TEST_SIZE],
        y_test[:ITERATION_TEST_SIZE],
        per_iteration=schedule.every_iteration,
    )
    return info_plane, losses


def _load_data(config: TrainConfig, log: Callable[[str], None]) -> tuple[Dataset, str | None]:
    """The dataset, and why the embedded digits were chosen (None when asked or not needed)."""
    name, fallback_reason = config.dataset, None
    if name is None:
        name, fallback_reason = default_dataset_name()
        if fallback_reason:
            log(f"notice: using the embedded mnist-5k digits ({fallback_reason})")
    dataset = load_dataset(name, train_fraction=config.train_fraction, probe_size=config.probe_size)
    return dataset, fallback_reason


def _provenance(dataset: Dataset, fallback_reason: str | None) -> dict:
    return {
        "dataset_info": dataset.info.to_dict(),
        "dataset_fallback_reason": fallback_reason,
        "image_shape": list(dataset.info.image_shape),
        "versions": versions(),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _finish(out: Path, model, dataset: Dataset, info_plane, losses, started: float) -> dict:
    """Saves the model, examples and compressed tables; writes and returns the summary."""
    train_seconds = time.time() - started
    x_train, x_test = dataset.x_train, dataset.x_test
    save_trained_model(model, out / MODEL_NAME, x_test[:1])
    examples = x_test[:EXAMPLE_COUNT]
    np.savez_compressed(
        out / EXAMPLES_NAME,
        inputs=examples,
        reconstructions=np.asarray(model(examples, training=False)),
    )
    compress_table(out / TABLE_NAME)
    compress_table(out / HISTORY_NAME)
    trajectory = info_plane.trajectory
    phases = analyze_trajectory(trajectory)
    summary = {
        "complete": True,
        "wall_time_s": round(time.time() - started, 2),
        "train_time_s": round(train_seconds, 2),
        "iterations": int(trajectory.iterations[-1]),
        "points": len(trajectory),
        "final": {
            "train_reconstruction_error": reconstruction_error(model, x_train),
            "test_reconstruction_error": reconstruction_error(model, x_test),
            "train_loss": losses.last_train,
            "test_loss": losses.last_test,
        },
        "phases": {layer: analysis.to_dict() for layer, analysis in phases.items()},
    }
    write_json(out / SUMMARY_NAME, summary)
    return summary


def default_out(config: TrainConfig, dataset: str) -> Path:
    """``runs/<model>-<dataset>-<timestamp>`` (a new folder per run)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{config.model}-{dataset}-{stamp}"


def prepare_out(out: Path, overwrite: bool) -> None:
    """Makes the run folder; refuses to touch an existing one unless ``overwrite``.

    Raises:
        ValueError (naming ``out``): ``out`` exists and is not empty without ``overwrite``,
            is a file, or is a non-empty folder that is not a run directory.
    """
    if out.exists() and not out.is_dir():
        raise ParameterError("out", f"must be a folder, got the file {out}")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ParameterError("out", f"{out} already exists", remedy="overwrite")
        if not is_run_dir(out):
            raise ParameterError(
                "out", f"{out} exists and is not a run directory; refusing to delete it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)


def versions() -> dict:
    """Versions of the package and the libraries that determine the numbers."""
    return {
        "infoplane_tf": __version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def save_trained_model(model, path: Path, sample) -> None:
    """Saves the architecture and trained weights, compiled with a fresh Adam.

    Adam's two moment estimates would triple the file; a run directory is for analysis, so
    the optimizer state is left out (``load_model`` still gives a compiled model).
    """
    clone = keras.models.clone_model(model)
    clone(sample)  # build the clone's variables
    clone.set_weights(model.get_weights())
    learning_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    clone.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=model.default_loss)
    clone.save(path)


def reconstruction_error(model, x, batch_size: int = 1000) -> float:
    """Mean squared error between x (n, d) and the model's reconstruction (inference mode)."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        total += float(np.sum((np.asarray(model(batch, training=False)) - batch) ** 2))
    return total / x.size
