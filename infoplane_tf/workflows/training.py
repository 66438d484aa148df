"""One training run with the information plane recorded: what ``infoplane-tf train`` calls.

``run(TrainConfig(...))`` loads the data, builds the paper's model, trains it with ``model.fit``
and an ``InfoPlaneCallback``, and leaves a complete run directory (see ``infoplane_tf.io.runs``).
Everything is written as it is made, so a run killed midway still loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import platform
import signal
import threading
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
from infoplane_tf.callbacks.resume import ResumeCallback, restore_state
from infoplane_tf.catalog import MODELS
from infoplane_tf.data.datasets import Dataset, load_dataset, load_default_dataset
from infoplane_tf.data.order import steps_per_epoch, training_batches
from infoplane_tf.errors import RunFinishedError, TrainingInterrupted
from infoplane_tf.io.options import TrainConfig, config_from_json
from infoplane_tf.io.run_dir import RunDirectory
from infoplane_tf.io.runs import read_history
from infoplane_tf.io.trajectory import load_trajectory
from infoplane_tf.models import build_model
from infoplane_tf.schedule import Schedule
from infoplane_tf.validation import ParameterError, kernel_width
from infoplane_tf.workflows.threads import use_threads

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
        TrainingInterrupted: SIGINT/SIGTERM; the run stopped at an epoch end and ``resume``
            continues it (a second signal stops at once, keeping the previous epoch end).
    """
    log = log or (lambda message: None)
    config.validate()
    config = dataclasses.replace(config, threads=use_threads(config.threads))
    dataset, fallback_reason = _load_data(config, log)
    out = Path(config.out) if config.out else default_out(config, dataset.info.name)
    directory = RunDirectory(out).create(config.overwrite)
    options = {**dataclasses.asdict(config), "dataset": dataset.info.name, "out": str(out)}
    directory.write_config({**options, **_provenance(dataset, fallback_reason)})
    directory.write_probe(*dataset.probe)
    return _train(config, dataset, directory, log, progress, resuming=False)


def resume(
    run: str | Path,
    log: Callable[[str], None] | None = None,
    progress: bool = False,
    **options,
) -> Path:
    """Continues an interrupted or killed run from its last finished epoch.

    The run goes on exactly as if it had never stopped (same batches, same noise, same
    weights bit for bit on CPU); its trajectory, history and checkpoints are cut back to the
    state's iteration and continued.

    Args:
        run: the run directory.
        log, progress: as for ``run``.
        **options: ``TrainConfig`` fields the caller expects; each must equal the run's own.

    Raises:
        RunFinishedError: the run is already complete (nothing is changed).
        ValueError (naming the parameter): not a run directory, no resume state, or an
            option that contradicts the run's config.
    """
    log = log or (lambda message: None)
    directory = RunDirectory(run)
    if not directory.exists:
        raise ParameterError(
            "run", f"{directory.path} is not a run directory (no {directory.config.name})"
        )
    config = config_from_json(directory.read_config())
    _check_same_options(config, options, directory.config)
    if directory.complete:
        raise RunFinishedError(f"{directory.path} is already finished; nothing to resume")
    if not directory.resumable:
        raise ParameterError(
            "run",
            f"{directory.path} has no {directory.resume_state.name}, written at the end of "
            "every epoch: it stopped in its first epoch or was made before version 0.3; train "
            "it again",
            remedy="overwrite",
        )
    use_threads(config.threads)  # None for a run of 0.7 or before, which did not record it
    dataset = load_dataset(
        config.dataset, train_fraction=config.train_fraction, probe_size=config.probe_size
    )
    return _train(config, dataset, directory, log, progress, resuming=True)


def _check_same_options(config: TrainConfig, options: dict, recorded_in: Path) -> None:
    for key, given in options.items():
        if not hasattr(config, key):
            raise ParameterError(key, "is not an option of a training run")
        own = getattr(config, key)
        if (tuple(given) if isinstance(given, list) else given) != own:
            raise ParameterError(
                key,
                f"is {own!r} in {recorded_in}, got {given!r}; a resumed run keeps its own options",
            )


@contextlib.contextmanager
def _deterministic_ops():
    """TensorFlow's deterministic kernels while a run trains, the caller's setting after (Keras
    turns XLA off for every later ``fit`` of the process while they are on)."""
    from tensorflow.python.framework import config as tf_config  # the switch Keras reads

    was_on = tf_config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()
    try:
        yield
    finally:
        if not was_on:
            tf_config.disable_op_determinism()


@_deterministic_ops()
def _train(
    config: TrainConfig,
    dataset: Dataset,
    directory: RunDirectory,
    log: Callable[[str], None],
    progress: bool,
    resuming: bool,
) -> Path:
    """Builds the model (restored from the run's resume state when ``resuming``) and fits it."""
    started = time.time()
    keras.utils.set_random_seed(config.seed)
    model = build_model(
        config.model,
        learning_rate=config.learning_rate,
        optimizer=config.optimizer,
        **config.model_hparams(dataset.info.n_classes),
    )
    x_train, y_train, _, y_test = _fit_data(config, dataset)
    first_epoch = 0
    if resuming:
        model.build((None, *x_train.shape[1:]))
        iteration, first_epoch = restore_state(model, directory.resume_state)
        log(f"resuming {directory.path} after epoch {first_epoch} (iteration {iteration})")
    callbacks = _callbacks(config, dataset, directory, y_test, resuming, progress)
    directory.mark_training()
    steps = steps_per_epoch(len(x_train), config.batch_size)
    with _stop_on_signals(callbacks[-1]), _noting_interruption(directory), _ending(callbacks):
        model.fit(
            training_batches(
                x_train, y_train, config.batch_size, config.seed, first_epoch, config.epochs
            ),
            epochs=config.epochs,
            initial_epoch=first_epoch,
            steps_per_epoch=steps,
            shuffle=False,  # the order is training_batches' own
            verbose=0,
            callbacks=callbacks,
        )
    summary = _finish(directory, model, dataset, started)
    log(f"run written to {directory.path} ({summary['wall_time_s']:.0f} s)")
    return directory.path


@contextlib.contextmanager
def _ending(callbacks):
    """Ends the recording callbacks (points finished, files and display closed) when ``fit``
    raises: Keras calls ``on_train_end`` only when it returns. The checkpoints are left as
    they are (their ``on_train_end`` would add the stopped weights as the run's last)."""
    try:
        yield
    except BaseException:
        for callback in callbacks:
            if isinstance(callback, InfoPlaneCallback | LossRecorder | ProgressLine):
                with contextlib.suppress(Exception):
                    callback.on_train_end()
        raise


@contextlib.contextmanager
def _noting_interruption(directory: RunDirectory):
    """Marks the run "interrupted" and names it on ``TrainingInterrupted``."""
    try:
        yield
    except TrainingInterrupted as stop:
        stop.run = directory.path
        directory.mark_interrupted(stop.iteration)
        raise


@contextlib.contextmanager
def _stop_on_signals(resume_callback: ResumeCallback):
    """SIGINT and SIGTERM ask ``resume_callback`` for a stop while the block runs (main
    thread only; elsewhere signals keep their handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.getsignal(number) for number in handled}

    def request_stop(number, frame):
        resume_callback.request_stop(signal.Signals(number).name)

    for number in handled:
        signal.signal(number, request_stop)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _fit_data(config: TrainConfig, dataset: Dataset):
    """``(x_train, y_train, x_test, y_test)``: targets are the labels for the label AE and the
    classifiers."""
    x_train, x_test = dataset.x_train, dataset.x_test
    if config.model == "label" or MODELS[config.model].classifier:
        return x_train, dataset.y_train, x_test, dataset.y_test
    return x_train, x_train, x_test, x_test


def _callbacks(
    config: TrainConfig, dataset: Dataset, directory: RunDirectory, y_test, resuming, progress
):
    """The run's callbacks, in order; the last one is its ``ResumeCallback``."""
    schedule = Schedule(config.record, parameter="record")
    callbacks = [
        InfoPlaneCallback(
            *dataset.probe,
            record=schedule.every,
            alpha=config.alpha,
            sigma=kernel_width("sigma", config.sigma),
            gamma=config.gamma,
            estimator=config.estimator,
            tolerance=config.tolerance,
            filepath=directory.trajectory,
            seed=config.seed,
            append=resuming,
        ),
        LossRecorder(
            directory.history,
            dataset.x_test[:ITERATION_TEST_SIZE],
            y_test[:ITERATION_TEST_SIZE],
            per_iteration=schedule.every_iteration,
            append=resuming,
            epoch_test=(dataset.x_test, y_test),
        ),
    ]
    if progress:
        callbacks.append(ProgressLine())
    if config.checkpoints != "none":
        folder, dtype = directory.checkpoints, config.checkpoint_dtype
        callbacks.append(CheckpointCallback(folder, config.checkpoints, dtype, resuming))
    return [*callbacks, ResumeCallback(directory.resume_state)]


def _load_data(config: TrainConfig, log: Callable[[str], None]) -> tuple[Dataset, str | None]:
    """The dataset, and why the embedded digits were chosen (None when asked or not needed)."""
    options = {"train_fraction": config.train_fraction, "probe_size": config.probe_size}
    fallback_reason = None
    if config.dataset is None:
        dataset, fallback_reason = load_default_dataset(**options)
        if fallback_reason:
            log(f"notice: using the embedded mnist-5k digits ({fallback_reason})")
    else:
        dataset = load_dataset(config.dataset, **options)
    info = dataset.info
    log(f"data: {info.name}, {info.n_train:,} + {info.n_test:,} images, from {info.source}")
    return dataset, fallback_reason


def _provenance(dataset: Dataset, fallback_reason: str | None) -> dict:
    return {
        "dataset_info": dataset.info.to_dict(),
        "dataset_fallback_reason": fallback_reason,
        "image_shape": list(dataset.info.image_shape),
        "versions": versions(),
        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _finish(directory: RunDirectory, model, dataset: Dataset, started: float) -> dict:
    """Saves the model, examples and compressed tables; marks the run complete with its
    summary, which it returns."""
    train_seconds = time.time() - started
    save_trained_model(model, directory.model, dataset.x_test[:1])
    classifier = hasattr(model, "predict_labels")
    if not classifier:  # a classifier's output is no picture
        examples = dataset.x_test[:EXAMPLE_COUNT]
        directory.write_examples(examples, np.asarray(model(examples, training=False)))
    history = read_history(directory.history)
    directory.compress_tables()
    trajectory = load_trajectory(directory.path)  # the whole run, also when it was resumed
    phases = analyze_trajectory(trajectory)
    summary = {
        "wall_time_s": round(time.time() - started, 2),
        "train_time_s": round(train_seconds, 2),
        "iterations": int(trajectory.iterations[-1]),
        "points": len(trajectory),
        "final": {
            **_final_errors(model, dataset, classifier),
            "train_loss": float(history.train_loss[-1]),
            "test_loss": float(history.test_loss[-1]),
        },
        "phases": {layer: analysis.to_dict() for layer, analysis in phases.items()},
    }
    directory.mark_complete(summary)
    return summary


def _final_errors(model, dataset: Dataset, classifier: bool) -> dict:
    """A classifier's train and test accuracy, or an autoencoder's reconstruction errors."""
    if classifier:
        return {
            f"{part}_accuracy": accuracy(model, getattr(dataset, f"x_{part}"),
                                         getattr(dataset, f"y_{part}"))
            for part in ("train", "test")
        }  # fmt: skip
    return {
        f"{part}_reconstruction_error": reconstruction_error(model, getattr(dataset, f"x_{part}"))
        for part in ("train", "test")
    }


def accuracy(model, x, labels, batch_size: int = 1000) -> float:
    """The share of ``x`` (n, features) whose predicted class is its label (n,)."""
    hits = sum(
        int(
            np.sum(
                np.asarray(model.predict_labels(x[i : i + batch_size]))
                == labels[i : i + batch_size]
            )
        )
        for i in range(0, len(x), batch_size)
    )
    return hits / len(x)


def default_out(config: TrainConfig, dataset: str) -> Path:
    """``runs/<model>-<dataset>-<timestamp>`` (a new folder per run)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{config.model}-{dataset}-{stamp}"


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
