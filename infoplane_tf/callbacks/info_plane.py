"""InfoPlaneCallback: the information plane of every layer, recorded live during ``model.fit``.

When a point is due, the training thread only takes a snapshot of the model's weights (one
cheap call: copy-on-write buffers). A ``PointWorker`` estimates the snapshots a few at a time
in a background thread with the model's compiled point function (``Readout``), and a
``PointRecorder`` streams the finished points to memory, disk and TensorBoard, in order.
Why this shape, and what it costs: ``benchmarks/README.md``.

Durability: points are flushed to ``filepath`` as they are finished, and every due point is
finished at each epoch end; a process killed mid-epoch loses fewer than ``2 * points_per_call``
points. The point before training is written before the first update, except when the model's
point function is still to be compiled: compilation then overlaps the first training steps, and
their points queue up until it is done.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.callbacks.capture import ProbeCapture
from infoplane_tf.callbacks.recorder import PointRecorder
from infoplane_tf.callbacks.worker import DuePoint, PointWorker
from infoplane_tf.catalog import PAPER
from infoplane_tf.entropy_methods import ENTROPY_METHODS
from infoplane_tf.estimator import InformationPlane
from infoplane_tf.estimator.checks import check_gamma
from infoplane_tf.io.trajectory import Trajectory, recorded_keys
from infoplane_tf.readout import Readout
from infoplane_tf.schedule import Schedule
from infoplane_tf.validation import names, positive_int, renamed

#: Weight snapshots held at once are capped to this many bytes.
SNAPSHOT_BUDGET_BYTES = 128 * 2**20


class InfoPlaneCallback(keras.callbacks.Callback):
    """Records I(X;T), I(T;X'), S(T) (and I(T;Y) with labels) of every layer during ``fit``.

    Works with any functional or Sequential model and with subclassed models that meet
    ``infoplane_tf.models.MeasurableModel`` (this package's autoencoders do); see
    ``infoplane_tf.readout`` for which layers are measured. Place it before ``CSVLogger`` so the
    copies it writes into ``logs`` are logged too.

    Args:
        x_probe: (n, ...) probe inputs X, the same at every point (paper: the first 100 test
            images); n ≥ 2, finite. None: the first ``probe_size`` samples of the fit (and
            their integer labels), see ``infoplane_tf.callbacks.capture``.
        y_probe: optional (n,) integer class labels of the probe, for I(T;Y).
        probe_size: n when the probe is taken from the fit (``x_probe=None``).
        record: the schedule (see ``Schedule``): ``"epoch"`` (default), an int k or
            ``"every:K"``, ``"iteration"`` (the paper's resolution) or ``"log:N"``; always
            plus one point before the first update (``every=``: its old name, deprecated).
        layers: names of the layers to measure (default: see ``infoplane_tf.readout``).
        alpha, sigma, gamma, dtype, estimator, tolerance: see ``InformationPlane``.
        filepath: where to stream the trajectory table (``.csv`` plus a ``.json`` sidecar),
            or None to keep it in memory only.
        log_layer: layer whose I(X;T) and I(T;X') are copied into Keras ``logs`` at every
            epoch end as ``i_xt_<layer>`` and ``i_t_out_<layer>``; "auto" = the bottleneck of
            an autoencoder or the narrowest measured layer; None = no copies.
        tensorboard_dir: if given, per-layer scalars of every point (step = iteration).
        seed: seed of a variational model's per-point noise, drawn from (seed, iteration), so
            recomputing a point, also from a checkpoint, gives the same value.
        points_per_call: due points estimated per compiled call; default 4, or 1 with
            ``record="epoch"``; fewer when snapshots would exceed 128 MiB.
        background: estimate in a background thread while training goes on (default); with
            ``background=False`` every batch of points is estimated before training goes on.
        append: continue the table at ``filepath`` (a resumed run): its points after the
            model's current iteration are dropped, the starting point is not recorded again,
            and ``log:N`` spacing counts from iteration 0, as in the uninterrupted run.

    Attributes:
        x_probe, y_probe: the probe (a tensor, and labels or None); None until a fit has
            given it when the probe is taken from the fit.
        trajectory: the ``Trajectory`` recorded so far (a fresh one per ``fit``; with
            ``append``, the new points only: the whole table is at ``filepath``); reading it
            first finishes the points still being estimated.

    Raises:
        ValueError: bad arguments (here), or an unknown layer or a model that cannot be
            measured (at ``on_train_begin``, before training).
    """

    def __init__(
        self,
        x_probe=None,
        y_probe=None,
        *,
        probe_size: int = PAPER.probe_size,
        record="epoch",
        layers: Sequence[str] | None = None,
        alpha: float = PAPER.alpha,
        sigma: str | float = PAPER.sigma,
        gamma: float | None = None,
        dtype: str = "float32",
        estimator: str = "exact",
        tolerance: float | None = None,
        filepath: str | os.PathLike | None = None,
        log_layer: str | None = "auto",
        tensorboard_dir: str | os.PathLike | None = None,
        seed: int = 0,
        points_per_call: int | None = None,
        background: bool = True,
        append: bool = False,
        every=None,
    ):
        super().__init__()
        self.schedule = Schedule(renamed("InfoPlaneCallback", "every", "record", every, record))
        self.requested_layers = None if layers is None else names("layers", layers)
        if points_per_call is None:
            points_per_call = 1 if self.schedule.kind == "epoch" else 4
        self.points_per_call = positive_int("points_per_call", points_per_call)
        gamma = None if gamma is None else check_gamma(gamma)  # one width: no width map
        self._estimator_options = dict(alpha=alpha, sigma=sigma, dtype=dtype, estimator=estimator,
                                       tolerance=tolerance, gamma=gamma)  # fmt: skip
        if x_probe is None:
            if y_probe is not None:
                raise ValueError("y_probe was given without x_probe; pass both or neither")
            self._capture = ProbeCapture(positive_int("probe_size", probe_size, minimum=2))
            self.plane = self.x_probe = self.y_probe = None
            self.keys: tuple[str, ...] = ()
            self.probe_source = {"source": "fit", "size": self._capture.size}
        else:
            self._capture = None
            self._set_probe(x_probe, y_probe)
            self.probe_source = {"source": "given", "size": int(self.x_probe.shape[0])}
        self.filepath = None if filepath is None else os.fspath(filepath)
        self.log_layer, self.tensorboard_dir = log_layer, tensorboard_dir
        self.seed = int(seed)
        self.background = bool(background)
        self.append = bool(append)
        # Spectra on one core leave the other to training; epoch points are waited for at once,
        # so they take every core.
        self._one_core = self.background and self.schedule.kind != "epoch"
        self.layer_names: tuple[str, ...] = ()
        self._readout = self._recorder = self._worker = self._log_key = self._steps = None
        self._iteration = self._epoch_start = 0

    # Keras hooks ------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._close()  # a fit that raised earlier may have left points behind
        self._steps, epochs = self.params.get("steps"), self.params.get("epochs")
        self._iteration = int(self.model.optimizer.iterations.numpy())
        origin = 0 if self.append else self._iteration
        self.schedule.start(origin, self._steps * epochs if self._steps else None)
        _warn_unhonoured(self.schedule, self.model, self._iteration, self._steps, epochs)
        if self._capture is not None:
            self._capture.install(self.model, initial_point=not self.append)
        else:
            self._start_recording()
        if not self.append and self.model.built:  # else the capture keeps the initial weights
            self._due(loss=math.nan)  # the point before the first update
        if self._worker is not None:  # the point before training, alone in its call
            self._worker.flush(wait=self._worker.warm)  # compiled: now, so errors show first

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._iteration  # Keras's batch index restarts at 0 every epoch

    def on_train_batch_end(self, batch, logs=None):
        previous, self._iteration = self._iteration, self._epoch_start + batch + 1
        if self._worker is None and self._capture.full(previous, self._steps):
            self._start_recording()
        if self.schedule.due_after_batch(self._iteration, previous):
            self._due(loss=_loss(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self._worker is None:  # an epoch shorter than the probe: it is what the fit has
            self._start_recording()
        if self.schedule.kind == "epoch":
            self._due(loss=_loss(logs))
        self._finish()
        if logs is not None and self._log_key is not None:
            j = self.layer_names.index(self._log_key)
            for key in ("i_xt", "i_t_out"):
                logs[f"{key}_{self._log_key}"] = self._recorder.buffer.last(key)[j]

    def on_train_end(self, logs=None):
        try:
            if self._worker is None and self._capture.waiting:
                self._start_recording()  # a fit of no full epoch
            self._finish()
        finally:
            self._close()
        if self._recorder is not None and self._recorder.missing:
            warnings.warn(
                f"InfoPlaneCallback: {self._recorder.missing} information-plane point(s) were "
                "recorded as missing because the activations were not finite (diverged model)",
                RuntimeWarning,
                stacklevel=2,
            )

    # Results ----------------------------------------------------------------------------------

    @property
    def trajectory(self) -> Trajectory:
        """Everything recorded so far in the current (or last) fit, as a ``Trajectory``."""
        if self._recorder is None:
            empty = np.zeros((0, 0))
            return Trajectory((), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), *[empty] * 4)
        self._finish()
        return self._recorder.trajectory()

    def measure(self, point_index: int = 0) -> dict[str, np.ndarray]:
        """Computes a point now, on the model's current weights, without recording it.

        Args:
            point_index: selects the fixed noise of a variational model's sampled code (the
                noise of the point recorded at that iteration).

        Returns:
            A dict of (L,) arrays in bits (``self.keys``) and the bool ``finite``.
        """
        if self.plane is None:
            raise ValueError("no probe yet: this callback takes its probe from a fit; fit first")
        if self._readout is None or self._readout.model is not self.model:
            self._readout = Readout.for_model(self.model, self.requested_layers, self.x_probe)
            self.layer_names = self._readout.names
        self._finish()
        points = self._points_per_call()  # the training's compiled function, padded
        function = self._readout.point_function(self.plane, points, one_core=self._one_core)
        estimate = _estimator(function, self)
        values, finite = estimate([self._readout.snapshot()] * points, [point_index] * points)
        return {**dict(zip(self.keys, values[0], strict=True)), "finite": finite[0]}

    # Internals --------------------------------------------------------------------------------

    def _set_probe(self, x_probe, y_probe) -> None:
        self.plane = InformationPlane(x_probe, y_probe, **self._estimator_options)
        self.x_probe = tf.constant(np.asarray(x_probe, dtype=np.float32))
        self.y_probe = None if y_probe is None else np.asarray(y_probe)
        errors = ENTROPY_METHODS[self.plane.estimator].approximate
        self.keys = recorded_keys(self.plane.has_labels, errors)

    def _start_recording(self) -> None:
        """Resolves the layers, starts the recorder and the worker, and measures the points
        that waited for a probe taken from the fit."""
        waiting = []
        if self._capture is not None:
            x_probe, y_probe, waiting = self._capture.take()
            self._set_probe(x_probe, y_probe)
            labels = y_probe is not None
            self.probe_source = {"source": "fit", "size": len(x_probe), "labels": labels}
        self._readout = Readout.for_model(self.model, self.requested_layers, self.x_probe)
        self.layer_names = self._readout.names
        self._log_key = _log_layer(self._readout, self.log_layer)
        self._recorder = _open_recorder(self)
        self._worker = _start_worker(self)
        for point in waiting:
            self._worker.submit(point)

    def _points_per_call(self) -> int:
        """``points_per_call``, fewer if two batches of snapshots would exceed the budget."""
        fits = SNAPSHOT_BUDGET_BYTES // max(self._readout.snapshot_bytes, 1)
        return max(1, min(self.points_per_call, fits // 2))

    def _due(self, loss: float) -> None:
        epoch = self._iteration / self._steps if self._steps else math.nan
        # A sampled code's noise is fixed by the iteration, so a re-measurement from a
        # checkpoint of that iteration draws the same noise.
        if self._worker is None:  # the probe is still being taken from the fit
            self._capture.hold(self._iteration, epoch, loss)
            return
        point = DuePoint(self._iteration, self._iteration, epoch, loss, self._readout.snapshot())
        self._worker.submit(point)
        self._recorder.warn_missing()

    def _store(self, point: DuePoint, values) -> None:
        self._recorder.append(point.iteration, point.epoch, point.loss, values)

    def _finish(self) -> None:
        if self._worker is not None:
            self._worker.finish()
            self._recorder.warn_missing()

    def _close(self) -> None:
        if self._capture is not None:
            self._capture.uninstall()
        worker, self._worker = self._worker, None
        try:
            if worker is not None:
                worker.close()
        finally:
            if self._recorder is not None:
                self._recorder.close()


def _log_layer(readout: Readout, requested: str | None) -> str | None:
    """The layer whose values are copied into Keras ``logs`` (see ``log_layer``)."""
    if requested is None:
        return None
    if requested == "auto":
        return readout.bottleneck or min(readout.names, key=readout.widths.get)
    if requested not in readout.names:
        raise ValueError(
            f"log_layer {requested!r} is not a measured layer; measured: {', '.join(readout.names)}"
        )
    return requested


def _loss(logs) -> float:
    """The training loss from Keras ``logs`` (NaN when absent)."""
    if not logs or "loss" not in logs:
        return math.nan
    return float(logs["loss"])


def _warn_unhonoured(schedule: Schedule, model, first: int, steps: int | None, epochs) -> None:
    """Says once when Keras's batch hooks (every K steps) cannot honour the schedule."""
    every = int(getattr(model, "steps_per_execution", 1) or 1)
    if every == 1 or schedule.kind == "epoch" or not steps:
        return
    span = (first, steps, epochs or 1)
    due = schedule.recorded_iterations(*span, hook_every=every)
    if due == schedule.recorded_iterations(*span, hook_every=1):
        return
    shown = ", ".join(map(str, due[:6])) + (", ..." if len(due) > 6 else "")
    warnings.warn(
        f"InfoPlaneCallback: the model runs steps_per_execution={every}, so Keras calls "
        f"batch hooks once every {every} steps and record={schedule.every!r} cannot be "
        f"honoured; points will be recorded after iterations {shown} ({len(due)} in all)",
        UserWarning,
        stacklevel=3,
    )


def _estimator(function, callback: InfoPlaneCallback):
    """``estimate(snapshots, indices) -> (values (P, keys, L), finite (P,))``, NumPy."""
    seed = tf.constant(callback.seed, tf.int64)
    probe, x, keys = callback.plane.probe, callback.x_probe, callback.keys

    def estimate(snapshots, indices):
        result = function(probe, x, snapshots, tf.constant(indices, tf.int64), seed)
        values = np.stack([result[key].numpy() for key in keys], axis=1)
        return values, result["finite"].numpy()

    return estimate


def _open_recorder(callback: InfoPlaneCallback) -> PointRecorder:
    """The recorder of a fit's points, with the settings that describe them."""
    settings = {
        "estimator": callback.plane.settings(), "schedule": callback.schedule.to_json(),
        "steps_per_epoch": callback._steps, "epochs": callback.params.get("epochs"),
        "model": type(callback.model).__name__, "probe_noise_seed": callback.seed,
        "probe": callback.probe_source,
    }  # fmt: skip
    append_after = callback._iteration if callback.append else None
    return PointRecorder(callback.layer_names, callback.keys, settings, callback.filepath,
                         callback.tensorboard_dir, append_after=append_after)  # fmt: skip


def _start_worker(callback: InfoPlaneCallback) -> PointWorker:
    """A worker for the model's point function (one compiled shape of points per call)."""
    points = callback._points_per_call()
    readout, one_core = callback._readout, callback._one_core
    function = readout.point_function(callback.plane, points, one_core=one_core)
    return PointWorker(
        _estimator(function, callback),
        callback._store,
        points,
        callback.background,
        max_pending=SNAPSHOT_BUDGET_BYTES // max(readout.snapshot_bytes, 1),
        warm=function.trace_count > 0,
    )
