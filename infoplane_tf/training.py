"""One training run with the information plane recorded: what ``infoplane-tf train`` calls.

``run(TrainConfig(...))`` loads the data, builds the paper's model, trains it with ``model.fit``
and an ``InfoPlaneCallback``, and leaves a complete run directory (see ``infoplane_tf.runs``).
Everything is written as it is made, so a run killed midway still loads.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import platform
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf._version import __version__
from infoplane_tf.callback import InfoPlaneCallback
from infoplane_tf.datasets import DATASET_NAMES, default_dataset_name, load_dataset
from infoplane_tf.errors import UsageError
from infoplane_tf.estimator import SIGMA_RULES, check_alpha, check_gamma
from infoplane_tf.models import MODEL_NAMES, build_model
from infoplane_tf.phases import analyze_trajectory
from infoplane_tf.runs import (
    CONFIG_NAME,
    EXAMPLES_NAME,
    HISTORY_NAME,
    MODEL_NAME,
    SUMMARY_NAME,
    HistoryWriter,
    is_run_dir,
    write_json,
)
from infoplane_tf.trajectory import TABLE_NAME, compress_table

#: Options of ``--record`` and what they mean for ``InfoPlaneCallback(every=...)``.
RECORD_HELP = "epoch, iteration (every training step: the paper), every:K, or log:N"
#: Per-iteration test loss is measured on this many fixed test images (the first ones).
ITERATION_TEST_SIZE = 200
#: How many test images and reconstructions are kept for figures.
EXAMPLE_COUNT = 10

# Which constructor arguments each model takes (the rest of TrainConfig does not apply).
_MODEL_HPARAMS = {
    "vanilla": ("hidden_units", "code_units"),
    "deep": ("hidden_units", "code_units"),
    "sparse": ("hidden_units", "code_units", "sparsity_target", "sparsity_weight"),
    "tied": ("hidden_units", "code_units"),
    "vae": ("hidden_units", "code_units"),
    "label": ("hidden_units", "code_units", "label_weight"),
}


@dataclasses.dataclass
class TrainConfig:
    """Every option of a training run (the CLI's ``train`` options; defaults = the paper's).

    ``hidden_units=None`` keeps the model's own default (``deep``/``vae``/``label``: 256,128;
    the others: none). ``dataset=None`` picks full MNIST when available, else ``mnist-5k``.
    """

    model: str = "deep"
    epochs: int = 50
    dataset: str | None = None
    batch_size: int = 100
    learning_rate: float = 0.005
    hidden_units: tuple[int, ...] | None = None
    code_units: int = 50
    sparsity_target: float = 0.05
    sparsity_weight: float = 0.001
    label_weight: float = 0.01
    train_fraction: float = 1.0
    probe_size: int = 100
    record: str = "iteration"
    alpha: float = 1.01
    sigma_rule: str = "paper"
    gamma: float = 2.0
    seed: int = 0
    out: str | None = None
    overwrite: bool = False
    name: str | None = None


def parse_record(record: str):
    """``--record`` → ``InfoPlaneCallback(every=...)``; UsageError for anything else."""
    if record == "epoch":
        return "epoch"
    if record == "iteration":
        return 1
    kind, _, value = str(record).partition(":")
    if kind in ("every", "log") and value.isdigit() and int(value) >= 1:
        return int(value) if kind == "every" else f"log:{int(value)}"
    raise UsageError(f"--record must be {RECORD_HELP}; got {record!r}")


def validate(config: TrainConfig) -> None:
    """Checks the options that need no data; raises UsageError naming the bad one."""
    if config.model not in MODEL_NAMES:
        raise UsageError(f"unknown model {config.model!r}; choose from {', '.join(MODEL_NAMES)}")
    if config.dataset is not None and config.dataset not in DATASET_NAMES:
        raise UsageError(
            f"unknown dataset {config.dataset!r}; choose from {', '.join(DATASET_NAMES)}"
        )
    for option in ("epochs", "batch_size", "code_units"):
        value = getattr(config, option)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise UsageError(
                f"--{option.replace('_', '-')} must be a positive integer, got {value}"
            )
    if not isinstance(config.probe_size, int) or config.probe_size < 2:
        raise UsageError(f"--probe-size must be an integer >= 2, got {config.probe_size}")
    if not 0 < config.train_fraction <= 1:
        raise UsageError(f"--train-fraction must be in (0, 1], got {config.train_fraction}")
    if not (config.learning_rate > 0 and math.isfinite(config.learning_rate)):
        raise UsageError(f"--learning-rate must be a number > 0, got {config.learning_rate}")
    if config.sigma_rule not in SIGMA_RULES:
        try:
            if float(config.sigma_rule) <= 0:
                raise ValueError
        except ValueError:
            raise UsageError(
                f"--sigma-rule must be one of {', '.join(SIGMA_RULES)} or a positive number, "
                f"got {config.sigma_rule!r}"
            ) from None
    for option, check in (("alpha", check_alpha), ("gamma", check_gamma)):
        try:
            check(getattr(config, option))
        except ValueError as error:
            raise UsageError(f"--{option}: {error}") from None
    parse_record(config.record)


def default_out(config: TrainConfig, dataset: str) -> Path:
    """``runs/<model>-<dataset>-<timestamp>`` (a new folder per run)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{config.model}-{dataset}-{stamp}"


def prepare_out(out: Path, overwrite: bool) -> None:
    """Makes the run folder; refuses to touch an existing one unless ``overwrite``.

    Raises:
        UsageError: ``out`` exists (and is not empty) without ``overwrite``, or is a file.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise UsageError(f"--out {out} already exists; pass --overwrite to replace it")
        if not is_run_dir(out):
            raise UsageError(
                f"--out {out} exists and is not a run directory; refusing to delete it even "
                "with --overwrite"
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


def run(config: TrainConfig, log: Callable[[str], None] | None = print) -> Path:
    """Trains one model with the information plane recorded and writes its run directory.

    Args:
        config: the options (see ``TrainConfig``).
        log: receives one-line progress messages (per epoch: loss, test loss, I(X;Z)), the
            dataset fallback notice; None for quiet.

    Returns:
        The run directory.

    Raises:
        UsageError: a bad option (before anything is written).
        infoplane_tf.datasets.DatasetUnavailableError: an explicitly asked dataset is missing.
    """
    log = log or (lambda message: None)
    validate(config)
    dataset_name, fallback_reason = config.dataset, None
    if dataset_name is None:
        dataset_name, fallback_reason = default_dataset_name()
        if fallback_reason:
            log(f"notice: using the embedded mnist-5k digits ({fallback_reason})")
    # The probe size is checked here, with the option's name, rather than by the loader.
    dataset = load_dataset(dataset_name, train_fraction=config.train_fraction, probe_size=2)
    if config.probe_size > dataset.info.n_test:
        raise UsageError(
            f"--probe-size {config.probe_size} is larger than the test set of {dataset_name} "
            f"({dataset.info.n_test} images)"
        )
    out = Path(config.out) if config.out else default_out(config, dataset_name)
    prepare_out(out, config.overwrite)

    started = time.time()
    options = dataclasses.asdict(config)
    options.update(dataset=dataset_name, out=str(out))
    write_json(
        out / CONFIG_NAME,
        {
            **options,
            "dataset_info": dataset.info.to_dict(),
            "dataset_fallback_reason": fallback_reason,
            "image_shape": list(dataset.info.image_shape),
            "versions": versions(),
            "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        },
    )

    keras.utils.set_random_seed(config.seed)
    tf.config.experimental.enable_op_determinism()
    hparams = {
        key: getattr(config, key)
        for key in _MODEL_HPARAMS[config.model]
        if not (key == "hidden_units" and config.hidden_units is None)
    }
    if config.model == "vae":
        hparams["latent_units"] = hparams.pop("code_units")
        hparams["seed"] = config.seed
    model = build_model(config.model, learning_rate=config.learning_rate, **hparams)

    x_train, x_test = dataset.x_train, dataset.x_test
    y_train = dataset.y_train if config.model == "label" else x_train
    y_test = dataset.y_test if config.model == "label" else x_test
    x_probe = x_test[: config.probe_size]
    y_probe = dataset.y_test[: config.probe_size]
    every = parse_record(config.record)
    info_plane = InfoPlaneCallback(
        x_probe,
        y_probe,
        every=every,
        alpha=config.alpha,
        sigma=_sigma(config.sigma_rule),
        gamma=config.gamma,
        filepath=out / TABLE_NAME,
        seed=config.seed,
    )
    losses = LossRecorder(
        out / HISTORY_NAME,
        x_test[:ITERATION_TEST_SIZE],
        y_test[:ITERATION_TEST_SIZE],
        per_iteration=every == 1,
    )
    progress = Progress(log, config.epochs)
    write_json(out / SUMMARY_NAME, {"complete": False, "phase": "training"})
    model.fit(
        x_train,
        y_train,
        epochs=config.epochs,
        batch_size=config.batch_size,
        shuffle=True,
        validation_data=(x_test, y_test),
        verbose=0,
        callbacks=[info_plane, losses, progress],
    )
    train_seconds = time.time() - started

    save_trained_model(model, out / MODEL_NAME, config.learning_rate, x_test[:1])
    examples = x_test[:EXAMPLE_COUNT]
    np.savez_compressed(
        out / EXAMPLES_NAME,
        inputs=examples,
        reconstructions=np.asarray(model(examples, training=False)),
    )
    compress_table(out / TABLE_NAME)
    compress_table(out / HISTORY_NAME)
    trajectory = info_plane.trajectory
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
        "phases": {
            layer: analysis.to_dict() for layer, analysis in analyze_trajectory(trajectory).items()
        },
    }
    write_json(out / SUMMARY_NAME, summary)
    log(f"run written to {out} ({summary['wall_time_s']:.0f} s)")
    return out


def save_trained_model(model, path: Path, learning_rate: float, sample) -> None:
    """Saves the architecture and trained weights, compiled with a fresh Adam.

    Adam's two moment estimates would triple the file; a run directory is for analysis, so
    the optimizer state is left out (recompile-free: ``load_model`` gives a compiled model).
    """
    clone = keras.models.clone_model(model)
    clone(sample)  # build the clone's variables
    clone.set_weights(model.get_weights())
    clone.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=model.default_loss)
    clone.save(path)


def _sigma(rule: str):
    """``--sigma-rule`` text → estimator ``sigma`` (a rule name or a float)."""
    try:
        return float(rule)
    except ValueError:
        return rule


def reconstruction_error(model, x, batch_size: int = 1000) -> float:
    """Mean squared error between x (n, d) and the model's reconstruction (inference mode)."""
    total = 0.0
    for start in range(0, len(x), batch_size):
        batch = x[start : start + batch_size]
        total += float(np.sum((np.asarray(model(batch, training=False)) - batch) ** 2))
    return total / x.size


class LossRecorder(keras.callbacks.Callback):
    """Writes ``history.csv``: per-epoch train/test loss, and per-iteration when asked.

    Per epoch: Keras's mean training objective and its ``val_loss`` on the whole test set.
    Per iteration: that step's own objective (recovered exactly from Keras's running mean,
    ``k·m_k − (k−1)·m_{k−1}``) and the objective on the first ``ITERATION_TEST_SIZE`` test
    images, computed without touching the model's metric state.
    """

    def __init__(self, path: Path, x_test, y_test, per_iteration: bool):
        super().__init__()
        self.path = path
        self.x_test, self.y_test = tf.constant(x_test), tf.constant(y_test)
        self.per_iteration = per_iteration
        self.last_train = math.nan
        self.last_test = math.nan

    def on_train_begin(self, logs=None):
        self.writer = HistoryWriter(self.path)
        self.iteration = int(self.model.optimizer.iterations.numpy())
        self.steps = self.params.get("steps") or 1
        self.test_objective = self._compile_test_objective(self.model)
        if self.per_iteration:
            test = float(self.test_objective(self.x_test, self.y_test))
            self.writer.append(self.iteration, 0.0, "iteration", math.nan, test)

    @staticmethod
    def _compile_test_objective(model):
        variables = list(model.metrics_variables)

        @tf.function
        def test_objective(x, y):
            # compute_loss may update metrics (KL, label accuracy): restore them afterwards so
            # the training logs stay exactly Keras's.
            saved = [tf.identity(v) for v in variables]
            loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
            with tf.control_dependencies([loss]):
                for variable, value in zip(variables, saved, strict=True):
                    variable.assign(value)
            return loss

        return test_objective

    def on_epoch_begin(self, epoch, logs=None):
        self.running_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        self.iteration += 1
        if not self.per_iteration:
            return
        k = batch + 1
        mean = float(logs["loss"])
        step_loss = k * mean - (k - 1) * self.running_mean
        self.running_mean = mean
        test = float(self.test_objective(self.x_test, self.y_test))
        self.writer.append(
            self.iteration, self.iteration / self.steps, "iteration", step_loss, test
        )

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.last_train = float(logs.get("loss", math.nan))
        self.last_test = float(logs.get("val_loss", math.nan))
        self.writer.append(self.iteration, epoch + 1, "epoch", self.last_train, self.last_test)

    def on_train_end(self, logs=None):
        self.writer.close()


class Progress(keras.callbacks.Callback):
    """One line per epoch: loss, test loss and the bottleneck's current I(X;Z) (after the
    ``InfoPlaneCallback`` in the list, whose copies into ``logs`` it reads)."""

    def __init__(self, log: Callable[[str], None], epochs: int):
        super().__init__()
        self.log, self.epochs = log, epochs

    def on_train_begin(self, logs=None):
        self.started = time.time()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        i_xz = [
            f"I(X;{key[5:]}) {value:.3f} bits"
            for key, value in logs.items()
            if key.startswith("i_xt_")
        ]
        self.log(
            f"epoch {epoch + 1}/{self.epochs}  loss {logs.get('loss', math.nan):.5f}  "
            f"test {logs.get('val_loss', math.nan):.5f}  {'  '.join(i_xz)}  "
            f"({time.time() - self.started:.0f} s)"
        )
