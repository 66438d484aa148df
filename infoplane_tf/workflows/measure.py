"""Measuring a finished (or killed) run again from its checkpoints, with other settings.

``measure(run, gamma=1.0)`` rebuilds the run's model, loads each checkpoint's weights as a
snapshot and sends them, a few at a time, through the same compiled point function as
``InfoPlaneCallback``; the probe's Gram matrix is computed once. ``write_measurement`` stores the
result as ``RUN/measurements/LABEL/trajectory.csv`` (+ sidecar), loadable like any trajectory.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.data.datasets import load_dataset
from infoplane_tf.estimator import InformationPlane
from infoplane_tf.io.checkpoints import (
    CHECKPOINTS_NAME,
    CheckpointFormatError,
    read_checkpoint,
)
from infoplane_tf.io.runs import MEASUREMENTS_NAME, RECORDED, Run, load_run
from infoplane_tf.io.trajectory import (
    LABEL_COLUMN,
    TABLE_NAME,
    VALUE_COLUMNS,
    Trajectory,
    TrajectoryBuffer,
    TrajectoryWriter,
)
from infoplane_tf.models import build_model
from infoplane_tf.probe import ModelProbe
from infoplane_tf.validation import ParameterError, positive_int
from infoplane_tf.workflows.config import config_from_json

#: Checkpoints per compiled call.
POINTS_PER_CALL = 4


def model_at(run: Run | str | os.PathLike, iteration: int) -> keras.Model:
    """The run's model, built, with the weights of its checkpoint at ``iteration``.

    Raises:
        ValueError: no checkpoint of that iteration (the message lists the ones there), or a
            corrupt checkpoint file (named).
    """
    run = run if isinstance(run, Run) else load_run(run)
    values, _ = read_checkpoint(_checkpoints(run), iteration)
    model = _build(run)
    _assign(model, values, run.path)
    return model


def measure(
    run: Run | str | os.PathLike,
    *,
    alpha: float | None = None,
    sigma_rule: str | float | None = None,
    gamma: float | None = None,
    probe_size: int | None = None,
    probe_offset: int = 0,
    layers: Sequence[str] | None = None,
    dtype: str = "float32",
    progress: Callable[[int, int], None] | None = None,
) -> Trajectory:
    """The information plane of ``run`` at every checkpoint, measured with these settings.

    Args:
        run: a ``Run`` or its folder.
        alpha, sigma_rule, gamma, probe_size: the estimator's settings; None keeps the run's.
        probe_offset: the probe is test images ``probe_offset .. probe_offset + probe_size``.
        layers: the layers to measure (default: as during training).
        dtype: precision of the matrices, see ``InformationPlane``.
        progress: called with (checkpoints done, total) after each compiled call.

    Returns:
        A ``Trajectory`` with one point per checkpoint (iterations from the checkpoints, loss
        NaN). A checkpoint that cannot be read is a missing point, with a warning naming it.

    Raises:
        ValueError: a run without checkpoints, a probe beyond the test set, or bad settings
            (each names its parameter).
    """
    run = run if isinstance(run, Run) else load_run(run)
    iterations = run.checkpoints
    if not iterations:
        raise ParameterError(
            "run", f"{run.path} has no checkpoints; train with checkpoints (e.g. 'log:64')"
        )
    config = run.config
    x, y = _probe(config, probe_size or config.get("probe_size"), probe_offset)
    plane = InformationPlane(
        x,
        y,
        alpha=config.get("alpha") if alpha is None else alpha,
        sigma=config.get("sigma_rule") if sigma_rule is None else sigma_rule,
        gamma=config.get("gamma") if gamma is None else gamma,
        dtype=dtype,
    )
    probe = ModelProbe.for_model(_build(run), layers, tf.constant(x))
    metadata = {"estimator": plane.settings(), "probe_offset": probe_offset, "run": str(run.path)}
    buffer = TrajectoryBuffer(probe.names, VALUE_COLUMNS + (LABEL_COLUMN,), metadata)
    _measure_into(buffer, run, probe, plane, tf.constant(x), iterations, progress)
    return buffer.trajectory()


def _measure_into(buffer, run, probe, plane, x, iterations, progress) -> None:
    """Appends the points of ``iterations``' checkpoints to ``buffer``, a batch per call."""
    function = probe.point_function(plane, POINTS_PER_CALL, one_core=False)
    seed = tf.constant(int(run.config.get("seed", 0)), tf.int64)
    for start in range(0, len(iterations), POINTS_PER_CALL):
        batch = iterations[start : start + POINTS_PER_CALL]
        snapshots, epochs = _snapshots(run, probe, batch)
        padded = snapshots + [snapshots[-1]] * (POINTS_PER_CALL - len(snapshots))
        indices = tf.constant(batch + batch[-1:] * (POINTS_PER_CALL - len(batch)), tf.int64)
        result = function(plane.probe, x, padded, indices, seed)
        for j, iteration in enumerate(batch):
            ok = epochs[j] is not None and bool(result["finite"][j])
            values = {key: result[key][j].numpy() for key in buffer.keys} if ok else None
            buffer.append(iteration, np.nan if epochs[j] is None else epochs[j], np.nan, values)
        if progress is not None:
            progress(min(start + POINTS_PER_CALL, len(iterations)), len(iterations))


def write_measurement(
    run: Run | str | os.PathLike, label: str, trajectory: Trajectory, overwrite: bool = False
) -> Path:
    """Stores ``trajectory`` as ``RUN/measurements/<label>/``; returns that folder.

    Raises:
        ValueError: a label that is not a plain folder name, or one that exists without
            ``overwrite``.
    """
    run = run if isinstance(run, Run) else load_run(run)
    if not label or Path(label).name != label or label.startswith(".") or label == RECORDED:
        raise ParameterError(
            "label", f"must be a plain folder name other than {RECORDED!r}, got {label!r}"
        )
    folder = run.path / MEASUREMENTS_NAME / label
    if folder.exists():
        if not overwrite:
            raise ParameterError("label", f"{folder} already exists", remedy="overwrite")
        shutil.rmtree(folder)
    keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if trajectory.i_t_label is not None else ())
    writer = TrajectoryWriter(folder / TABLE_NAME, trajectory.layers, keys, trajectory.settings)
    for k in range(len(trajectory)):
        values = None
        if trajectory.valid[k]:
            values = {key: getattr(trajectory, key)[k] for key in keys}
        writer.append(trajectory.iterations[k], trajectory.epochs[k], trajectory.loss[k], values)
    writer.close()
    return folder


def _checkpoints(run: Run) -> Path:
    return run.path / CHECKPOINTS_NAME


def _probe(config: dict, probe_size, probe_offset: int):
    """The probe images and labels: test images ``probe_offset`` .. ``+ probe_size``."""
    probe_size = positive_int("probe_size", probe_size, minimum=2)
    probe_offset = positive_int("probe_offset", probe_offset, minimum=0)
    dataset = load_dataset(config["dataset"], probe_size=2)
    if probe_offset + probe_size > dataset.info.n_test:
        raise ParameterError(
            "probe_size",
            f"must fit in the {dataset.info.n_test} test images of {config['dataset']} after "
            f"probe_offset {probe_offset}, got {probe_size}",
        )
    window = slice(probe_offset, probe_offset + probe_size)
    return dataset.x_test[window], dataset.y_test[window]


def _build(run: Run) -> keras.Model:
    """The run's architecture, built (from its options, so a killed run works too)."""
    config = config_from_json(run.config)
    model = build_model(config.model, **config.model_hparams())
    model.build((None, int(np.prod(run.config.get("image_shape", (28, 28))))))
    return model


def _assign(model: keras.Model, values: dict, where: Path) -> None:
    missing = [v.path for v in model.variables if v.path not in values]
    if missing:
        raise CheckpointFormatError(f"{where}: checkpoint lacks {', '.join(missing)}")
    for variable in model.variables:
        variable.assign(values[variable.path])


def _snapshots(run: Run, probe: ModelProbe, iterations: list[int]):
    """The variable values of each checkpoint, in the probe's order, and their epochs (None for
    an unreadable checkpoint, measured on the last readable weights and recorded as missing)."""
    snapshots, epochs = [], []
    for iteration in iterations:
        try:
            values, epoch = read_checkpoint(_checkpoints(run), iteration)
            snapshot = [tf.constant(values[v.path]) for v in probe.variables]
        except (CheckpointFormatError, KeyError) as error:
            warnings.warn(f"skipping a checkpoint: {error}", RuntimeWarning, stacklevel=3)
            snapshot, epoch = (snapshots[-1] if snapshots else probe.snapshot()), None
        snapshots.append(snapshot)
        epochs.append(epoch)
    return snapshots, epochs
