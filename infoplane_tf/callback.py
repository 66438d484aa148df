"""InfoPlaneCallback: the information plane of every layer, recorded live during ``model.fit``.

When a point is due, the callback only takes a snapshot of the model's weights (one cheap call:
TensorFlow keeps the old buffers alive, copy-on-write, while training updates the variables).
The points are then estimated in a background thread while training goes on, a few at a time:
one XLA-compiled call runs the probe's forward pass on each snapshot and builds every n × n
matrix of those points, and ``eigvalsh`` (outside XLA) finishes them (``InformationPlane``).
Points are streamed to disk in order as they are finished, so memory stays flat and a killed
run keeps everything but the last few points.

Why this shape (measured with ``benchmarks/callback_overhead.py`` on 2 CPU cores): a point costs
about as much CPU as a training step of the shallow AE, and the training loop keeps only about
one core busy. Estimating in the background uses the idle core; estimating several points per
call halves the fixed cost per point (dispatch, XLA launch, eigvalsh start-up), which dominates
at n = 100. A batch is one graph-function call, so the worker hands control between Python and
TensorFlow only once per batch and barely competes with the training loop for the GIL; the
worker takes the spectra one matrix after another, on one core, because a batched eigvalsh
spread over both cores slows the training step more than it gains.

What the worker cannot avoid: its work does not run on its own thread. XLA's CPU runtime
executes the fused call on a pool of its own spread over every core, and the eigvalsh kernels
run on TensorFlow's inter-op pool, which training uses too; neither pool can be sized or
deprioritised from inside a running process (renicing the worker, ``SCHED_IDLE`` and
TensorFlow's single-threaded executor were measured: none helps). So when a point costs
as much CPU as a training step (deep AE: about 5 ms against 6 ms), training slows by more than
the idle core would suggest: an endless estimation loop slows a plain deep-AE fit 2.0-2.4×
from a thread of the same process but 1.3× from a separate process, and a second TensorFlow
process would cost about 1 GB of memory.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import warnings
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.estimator import PAPER_ALPHA, PAPER_GAMMA, InformationPlane, spectral_entropy
from infoplane_tf.trajectory import (
    LABEL_COLUMN,
    VALUE_COLUMNS,
    Trajectory,
    TrajectoryBuffer,
    TrajectoryWriter,
)

# Layers that change nothing at inference time, skipped when every hidden layer is measured.
_PASS_THROUGH_LAYERS = (
    keras.layers.InputLayer,
    keras.layers.Dropout,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
)

#: Snapshots held at once (pending plus in flight) are capped to this many bytes of weights.
_SNAPSHOT_BUDGET_BYTES = 512 * 2**20


@dataclasses.dataclass
class _DuePoint:
    """A scheduled point: where it belongs in the trajectory and the weights it measures."""

    index: int  # position in the trajectory; seeds a variational model's noise
    iteration: int
    epoch: float
    loss: float
    weights: list  # tensors: the model's variables when the point was due


class Schedule:
    """When points are recorded; always one point before the first update.

    Args:
        every: ``"epoch"`` (after every epoch), an int k ≥ 1 (every k training iterations;
            1 is the paper's resolution), or ``"log:N"`` (N log-spaced iterations over the fit).

    Raises:
        ValueError: an unknown schedule (the message lists the accepted forms).
    """

    def __init__(self, every):
        self.every = every
        self.kind, self.value = self._parse(every)
        self._log_iterations: set[int] = set()

    @staticmethod
    def _parse(every):
        accepted = "'epoch', a positive integer k (every k iterations) or 'log:N' (N >= 1)"
        if isinstance(every, bool):
            raise ValueError(f"every must be {accepted}, got {every!r}")
        if isinstance(every, int | np.integer):
            if every < 1:
                raise ValueError(f"every must be {accepted}, got {every!r}")
            return "iterations", int(every)
        if isinstance(every, str):
            if every == "epoch":
                return "epoch", None
            match = re.fullmatch(r"log:(\d+)", every)
            if match and int(match.group(1)) >= 1:
                return "log", int(match.group(1))
        raise ValueError(f"every must be {accepted}, got {every!r}")

    def start(self, first_iteration: int, total_iterations: int | None) -> None:
        """Prepares a fit of ``total_iterations`` updates starting after ``first_iteration``."""
        if self.kind != "log":
            return
        if total_iterations is None:
            raise ValueError(
                f"every={self.every!r} needs the number of steps per epoch; pass "
                "steps_per_epoch to fit or use a finite dataset"
            )
        spaced = np.unique(np.round(np.geomspace(1, max(total_iterations, 1), self.value)))
        self._log_iterations = {first_iteration + int(i) for i in spaced}

    def due_after_batch(self, iteration: int, previous: int) -> bool:
        """Whether a point is due now that updates (previous, iteration] have been made."""
        if self.kind == "iterations":
            return iteration // self.value > previous // self.value
        if self.kind == "log":
            return any(previous < i <= iteration for i in self._log_iterations)
        return False

    def to_json(self):
        return self.every


class InfoPlaneCallback(keras.callbacks.Callback):
    """Records I(X;T), I(T;X'), S(T) (and I(T;Y) with labels) of every layer during ``fit``.

    Works with this package's autoencoders (through their ``representations_and_output``) and
    with any functional or Sequential Keras model (through a sub-model over the same weights).
    Place it before ``CSVLogger`` in the callback list so that the copies it writes into
    ``logs`` are logged too.

    Args:
        x_probe: (n, ...) probe inputs X, the same at every point (paper: the first 100 test
            images); n ≥ 2, finite.
        y_probe: optional (n,) integer class labels of the probe, for I(T;Y).
        every: the schedule: ``"epoch"`` (default), an int k (every k iterations; 1 is the
            paper's resolution) or ``"log:N"``; always plus one point before the first update.
        layers: names of the layers to measure; default every representation of an autoencoder
            (E1.., Z, D1..), or every hidden layer of a functional/Sequential model except
            inputs, the output and dropout/noise layers.
        alpha, sigma, gamma, dtype: estimator settings, see ``InformationPlane``.
        filepath: where to stream the trajectory table (``.csv``; a ``.json`` sidecar is
            written next to it), or None to keep it in memory only.
        log_layer: layer whose I(X;T) and I(T;X') are copied into Keras ``logs`` at every
            epoch end as ``i_xt_<layer>`` and ``i_ty_<layer>`` (so History, CSVLogger and
            TensorBoard see them); "auto" = the bottleneck Z of an autoencoder or the narrowest
            measured layer; None = no copies.
        tensorboard_dir: if given, per-layer scalars of every point are written there with
            ``tf.summary`` (step = iteration).
        seed: seed of the noise that a variational model's sampled code uses at each point;
            the noise is fixed per point, so recomputing a point gives the same value.
        points_per_call: how many due points one compiled call estimates together (default
            4; fewer when the model's weights are large, so that the snapshots held at once
            stay under 512 MiB). Points are written in order as each call finishes.
        background: estimate points in a background thread while training goes on (default).
            With ``background=False`` and ``points_per_call=1`` every point is estimated and
            written before training continues, as the slowest but most immediate mode.

    Attributes:
        trajectory: the ``Trajectory`` recorded so far (a fresh one per ``fit``); reading it
            during training first finishes the points still being estimated.

    Durability: every point is flushed to ``filepath`` when it is finished, and at every epoch
    end all due points are finished before the epoch's logs are written. A process killed
    mid-epoch loses at most the points not yet finished: fewer than ``2 * points_per_call``.

    Raises:
        ValueError: NaN/Inf in the probe, fewer than 2 probe rows, an unknown schedule, bad
            estimator settings or a bad ``points_per_call`` (here), or a layer name that does
            not exist, a subclassed model without ``representations_and_output`` (at
            ``on_train_begin``, before training).
    """

    def __init__(
        self,
        x_probe,
        y_probe=None,
        *,
        every="epoch",
        layers: Sequence[str] | None = None,
        alpha: float = PAPER_ALPHA,
        sigma: str | float = "paper",
        gamma: float = PAPER_GAMMA,
        dtype: str = "float32",
        filepath: str | os.PathLike | None = None,
        log_layer: str | None = "auto",
        tensorboard_dir: str | os.PathLike | None = None,
        seed: int = 0,
        points_per_call: int = 4,
        background: bool = True,
    ):
        super().__init__()
        self.schedule = Schedule(every)
        if layers is not None and (
            isinstance(layers, str) or not all(isinstance(name, str) for name in layers)
        ):
            raise ValueError(f"layers must be a list of layer names, got {layers!r}")
        if (
            isinstance(points_per_call, bool)
            or not isinstance(points_per_call, int | np.integer)
            or points_per_call < 1
        ):
            raise ValueError(f"points_per_call must be a positive integer, got {points_per_call!r}")
        self.requested_layers = None if layers is None else tuple(layers)
        self.plane = InformationPlane(
            x_probe, y_probe, alpha=alpha, sigma=sigma, gamma=gamma, dtype=dtype
        )
        self.x_probe = tf.constant(np.asarray(x_probe, dtype=np.float32))
        self.filepath = None if filepath is None else os.fspath(filepath)
        self.log_layer = log_layer
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.seed = int(seed)
        self.points_per_call = int(points_per_call)
        self.background = bool(background)
        self.layer_names: tuple[str, ...] = ()
        self._buffer: TrajectoryBuffer | None = None
        self._writer: TrajectoryWriter | None = None
        self._summary_writer = None
        self._measured_model = None
        self._estimators = None
        self._fused = None
        self._executor: ThreadPoolExecutor | None = None
        self._in_flight: Future | None = None
        self._pending: list[_DuePoint] = []
        self._missing = 0
        self._warned_missing = False

    # ----------------------------------------------------------------------------------------
    # Keras hooks
    # ----------------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._prepare()
        self._discard_unfinished()  # a fit that raised earlier may have left points behind
        steps = self.params.get("steps") if self.params else None
        epochs = self.params.get("epochs") if self.params else None
        self._steps_per_epoch = steps
        self._iteration = int(self.model.optimizer.iterations.numpy())
        total = steps * epochs if steps and epochs else None
        self.schedule.start(self._iteration, total)
        self._log_key = self._resolve_log_layer()
        settings = {
            "estimator": self.plane.settings(),
            "schedule": self.schedule.to_json(),
            "steps_per_epoch": steps,
            "epochs": epochs,
            "model": type(self.model).__name__,
            "probe_noise_seed": self.seed,
        }
        self._buffer = TrajectoryBuffer(self.layer_names, self.plane.has_labels, settings)
        self._close_writers()
        if self.filepath is not None:
            self._writer = TrajectoryWriter(
                self.filepath, self.layer_names, self.plane.has_labels, settings
            )
        if self.tensorboard_dir is not None:
            self._summary_writer = tf.summary.create_file_writer(self.tensorboard_dir)
        self._missing = 0
        self._warned_missing = False
        self._scheduled = 0
        if self.background:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infoplane")
        self._record_now(loss=math.nan)  # the point before the first update; errors show now

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._iteration  # Keras's batch index restarts at 0 every epoch

    def on_train_batch_end(self, batch, logs=None):
        previous = self._iteration
        self._iteration = self._epoch_start + batch + 1
        if self.schedule.due_after_batch(self._iteration, previous):
            self._record(loss=_loss(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self.schedule.kind == "epoch":
            self._record_now(loss=_loss(logs))
        self._finish_due_points()
        if logs is not None and self._log_key is not None:
            j = self.layer_names.index(self._log_key)
            for key in ("i_xt", "i_ty"):
                logs[f"{key}_{self._log_key}"] = self._buffer.last(key)[j]

    def on_train_end(self, logs=None):
        try:
            self._finish_due_points()
        finally:
            self._shutdown_executor()
            self._close_writers()
        if self._missing:
            warnings.warn(
                f"InfoPlaneCallback: {self._missing} information-plane point(s) were recorded "
                "as missing because the activations were not finite (diverged model)",
                RuntimeWarning,
                stacklevel=2,
            )

    # ----------------------------------------------------------------------------------------
    # Results
    # ----------------------------------------------------------------------------------------

    @property
    def trajectory(self) -> Trajectory:
        """Everything recorded so far in the current (or last) fit, as a ``Trajectory``."""
        if self._buffer is None:
            empty = np.zeros((0, 0))
            return Trajectory((), np.zeros(0, np.int64), np.zeros(0), np.zeros(0), *[empty] * 4)
        self._finish_due_points()
        return self._buffer.trajectory()

    def measure(self, point_index: int = 0) -> dict[str, np.ndarray]:
        """Computes a point now, on the model's current weights, without recording it.

        Args:
            point_index: selects the fixed noise of a variational model's sampled code.

        Returns:
            A dict of (L,) arrays in bits (``i_xt``, ``i_ty``, ``h_t``, ``sigma`` and
            ``i_ty_label`` with labels) and the bool ``finite``.
        """
        self._prepare()
        self._wait()
        values, finite = self._estimate(None, [point_index])
        return {**{key: values[0, k] for k, key in enumerate(self._keys)}, "finite": finite[0]}

    # ----------------------------------------------------------------------------------------
    # Scheduling: the training thread takes snapshots, a worker estimates them
    # ----------------------------------------------------------------------------------------

    def _record(self, loss: float) -> None:
        """Takes the due point's weights now; it is estimated with the next batch of points."""
        point = self._due_point(loss, self._read_weights())
        self._pending.append(point)
        if len(self._pending) >= self._batch_limit:
            self._dispatch()

    def _record_now(self, loss: float) -> None:
        """Estimates and writes a due point now, after every earlier one (no snapshot needed)."""
        self._finish_due_points()
        point = self._due_point(loss, weights=None)
        values, finite = self._estimate(None, [point.index])
        self._store(point, values[0] if finite[0] else None)
        self._wait()  # warns of a missing point

    def _due_point(self, loss: float, weights) -> _DuePoint:
        epoch = self._iteration / self._steps_per_epoch if self._steps_per_epoch else math.nan
        self._scheduled += 1
        return _DuePoint(self._scheduled - 1, self._iteration, epoch, loss, weights)

    def _dispatch(self) -> None:
        """Hands the pending points to the worker (at most one batch in flight) or runs them."""
        points, self._pending = self._pending, []
        self._wait()
        if self._executor is None:
            self._estimate_and_store(points)
        else:
            self._in_flight = self._executor.submit(self._estimate_and_store, points, True)

    def _finish_due_points(self) -> None:
        """Estimates and writes every due point before returning (here: no thread hand-off)."""
        self._wait()
        points, self._pending = self._pending, []
        if points:
            self._estimate_and_store(points)
        self._wait()  # warns of missing points

    def _wait(self) -> None:
        """Waits for the batch in flight; re-raises its error and warns of missing points here."""
        if self._in_flight is not None:
            in_flight, self._in_flight = self._in_flight, None
            in_flight.result()
        if self._missing and not self._warned_missing:
            self._warned_missing = True
            warnings.warn(
                f"InfoPlaneCallback: non-finite activations at iteration {self._first_missing}; "
                "the point is recorded as missing (the fit goes on)",
                RuntimeWarning,
                stacklevel=3,
            )

    def _discard_unfinished(self) -> None:
        self._pending = []
        try:
            self._wait()
        except Exception:  # noqa: BLE001 - the fit that left it has already failed
            pass
        self._shutdown_executor()

    def _shutdown_executor(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _estimate_and_store(self, points: list[_DuePoint], one_core: bool = False) -> None:
        """Estimates ``points`` (a full batch in one call, a remainder one by one: only those
        two sizes are ever traced) and appends them to the trajectory, in order."""
        chunks = [points] if len(points) == self._batch_limit else [[point] for point in points]
        for chunk in chunks:
            values, finite = self._estimate(
                [point.weights for point in chunk], [point.index for point in chunk], one_core
            )
            for point, point_values, point_finite in zip(chunk, values, finite, strict=True):
                point.weights = None  # release the snapshot as soon as it is measured
                self._store(point, point_values if point_finite else None)

    def _store(self, point: _DuePoint, values: np.ndarray | None) -> None:
        """Appends one finished point to the trajectory, the file and TensorBoard."""
        if values is None:
            self._missing += 1
            if self._missing == 1:
                self._first_missing = point.iteration
            named = None
        else:
            named = {key: values[k] for k, key in enumerate(self._keys)}
        self._buffer.append(point.iteration, point.epoch, point.loss, named)
        if self._writer is not None:
            self._writer.append(point.iteration, point.epoch, point.loss, named)
        if self._summary_writer is not None and named is not None:
            with self._summary_writer.as_default(step=point.iteration):
                for j, layer in enumerate(self.layer_names):
                    for key in self._keys:
                        tf.summary.scalar(f"infoplane/{key}/{layer}", named[key][j])

    # ----------------------------------------------------------------------------------------
    # Estimation
    # ----------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Resolves the layers and compiles the point functions, once per model."""
        if self._estimators is not None and self._measured_model is self.model:
            return  # the same model fitted again: reuse the traced functions
        self._forward, self.layer_names, self._noise = self._resolve_forward(self.model)
        self._keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if self.plane.has_labels else ())
        variables = list(self.model.variables)
        # Reading a variable gives a tensor that keeps its buffer: the optimizer's next update
        # copies before writing (copy-on-write), so a snapshot costs one call, not one copy.
        # The concrete function skips tf.function's argument matching: 0.15 ms a call instead
        # of 0.23 ms (deep AE), paid on the training thread at every due point.
        read = tf.function(lambda: [tf.identity(v) for v in variables])
        self._read_weights = read.get_concrete_function()
        weight_bytes = sum(int(np.prod(v.shape)) * v.dtype.size for v in self._read_weights())
        fits = _SNAPSHOT_BUDGET_BYTES // (2 * max(weight_bytes, 1))
        self._batch_limit = max(1, min(self.points_per_call, fits))
        self._variables = variables
        self._estimators = self._compile_estimator(fuse=True)
        self._measured_model = self.model

    def _compile_estimator(self, fuse: bool):
        """Graph functions that estimate a batch of points from their weight snapshots.

        ``estimate(weights, indices, one_core) -> (values, finite)``: ``weights`` holds one
        snapshot (the model's variable values) per point, ``indices`` (points,) int64 their
        positions in the trajectory (they seed a variational model's noise). The probe's forward
        pass on each snapshot and every n × n matrix of those points are compiled together by
        XLA (with ``fuse``: one fused kernel launch instead of dozens of small ops per point);
        the eigendecompositions run outside XLA, where they are unreliable (TF #50017, #62461).
        A different number of points traces anew (only ``points_per_call`` and 1 occur).

        ``one_core`` (a Python bool) selects how the spectra are taken: one matrix after another
        on one thread, for the background worker, so that it takes the idle core and leaves the
        other to training (measured: deep AE about 1.9× plain fit instead of 2.2-2.4×); or one
        batched eigvalsh spread over all cores, for points finished while training waits.
        The second function, ``estimate_now(indices)``, estimates one point on the current
        weights (indices of shape (1,)).
        """
        plane, keys, forward, noise = self.plane, self._keys, self._forward, self._noise
        variables = self._variables
        self._fused = fuse

        def matrices(weights, point_noise):
            points = []
            for j, values in enumerate(weights):
                with keras.StatelessScope(state_mapping=list(zip(variables, values, strict=True))):
                    points.append(
                        plane.point_matrices(
                            *forward(None if point_noise is None else point_noise[j])
                        )
                    )
            return tuple(tf.stack(parts) for parts in zip(*points, strict=True))

        if fuse:
            matrices = tf.function(matrices, jit_compile=True)

        def estimate(weights, indices, one_core):
            batch, widths, finite = matrices(weights, noise(indices, len(weights)))
            eigvalsh = _spectra_one_at_a_time if one_core else tf.linalg.eigvalsh
            entropies = spectral_entropy(batch, plane.alpha, eigvalsh)  # (points, matrices)
            point = plane.point_from_entropies(entropies, widths, finite)
            return tf.stack([point[key] for key in keys], axis=1), finite

        def estimate_now(indices):
            # The current weights, read inside the call: the same XLA computation as for one
            # snapshot, without the separate snapshot call.
            return estimate([[tf.identity(v) for v in variables]], indices, False)

        return tf.function(estimate), tf.function(estimate_now)

    def _estimate(self, weights: list | None, indices: list[int], one_core: bool = False):
        """Estimates the points of the given weight snapshots.

        Args:
            weights: one snapshot (list of the model's variable values) per point, or None for
                one point on the current weights.
            indices: the points' positions in the trajectory (they seed a sampled code).
            one_core: take the spectra on one thread (see ``_compile_estimator``).

        Returns:
            ``(values, finite)``: values of shape (points, keys, L) in the order of
            ``self._keys`` (bits; σ in activation units), finite a (points,) bool array.
        """
        indices = tf.constant(indices, tf.int64)

        def run():
            estimate, estimate_now = self._estimators
            if weights is None:
                return estimate_now(indices)
            return estimate(weights, indices, one_core)

        try:
            values, finite = run()
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
            if not self._fused:
                raise
            # Some layer of this model has no XLA kernel: keep its forward pass outside XLA.
            self._estimators = self._compile_estimator(fuse=False)
            values, finite = run()
        return values.numpy(), finite.numpy()

    def _resolve_forward(self, model):
        """``(forward, layer names, noise)`` for ``model``.

        ``forward(noise) -> (list of T_l, X')`` is the probe's forward pass, and
        ``noise(indices, count)`` the fixed noise of a stochastic model's ``count`` points,
        stacked (points, n, units), or None for deterministic models.
        """
        x = self.x_probe
        if hasattr(model, "representations_and_output"):
            if not model.built:
                model(x[:1])
            available = tuple(model.representation_names)
            names = self._check_layers(available)
            reps, _ = model.representations_and_output(x[:2])
            self._layer_widths = {name: int(np.prod(reps[name].shape[1:])) for name in names}
            noise_units = getattr(model, "noise_units", None)
            n, seed = self.plane.n, self.seed

            def noise(indices, count):
                if not noise_units:
                    return None
                # Drawn outside XLA, whose random number generators differ from TF's.
                seeds = [tf.stack([tf.constant(seed, tf.int64), indices[j]]) for j in range(count)]
                return tf.stack(
                    [tf.random.stateless_normal((n, noise_units), seed=s) for s in seeds]
                )

            def forward(noise):
                representations, output = model.representations_and_output(
                    x, training=False, noise=noise
                )
                return [representations[name] for name in names], output

            return forward, names, noise

        if _is_graph_model(model):
            output_layers = {id(t._keras_history.operation) for t in model.outputs}
            hidden = [
                layer.name
                for layer in model.layers
                if not isinstance(layer, _PASS_THROUGH_LAYERS) and id(layer) not in output_layers
            ]
            names = self._check_layers(tuple(hidden), all_names=[la.name for la in model.layers])
            self._layer_widths = {
                name: int(np.prod(model.get_layer(name).output.shape[1:])) for name in names
            }
            inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
            probe_model = keras.Model(
                inputs, [model.get_layer(name).output for name in names] + model.outputs
            )

            def forward(noise):
                del noise  # deterministic
                outputs = probe_model(x, training=False)
                return list(outputs[:-1]), outputs[-1]

            return forward, names, lambda indices, count: None

        raise ValueError(
            f"{type(model).__name__} is a subclassed model without representations_and_output(): "
            "the callback cannot see its hidden layers. Use a functional or Sequential model, "
            "or add a method representations_and_output(x, training=False, noise=None) that "
            "returns (OrderedDict name -> activations, output), as infoplane_tf's autoencoders do"
        )

    def _check_layers(self, available, all_names=None):
        if self.requested_layers is None:
            if not available:
                raise ValueError("the model has no hidden layer to measure")
            return available
        known = set(all_names or available)
        unknown = [name for name in self.requested_layers if name not in known]
        if unknown:
            raise ValueError(
                f"no layer named {', '.join(map(repr, unknown))} in the model; "
                f"available layers: {', '.join(all_names or available)}"
            )
        return self.requested_layers

    def _resolve_log_layer(self):
        if self.log_layer is None:
            return None
        if self.log_layer != "auto":
            if self.log_layer not in self.layer_names:
                raise ValueError(
                    f"log_layer {self.log_layer!r} is not a measured layer; measured: "
                    f"{', '.join(self.layer_names)}"
                )
            return self.log_layer
        bottleneck = getattr(self.model, "bottleneck_name", None)
        if bottleneck in self.layer_names:
            return bottleneck
        return min(self.layer_names, key=self._layer_widths.get)

    def _close_writers(self):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._summary_writer is not None:
            self._summary_writer.close()
            self._summary_writer = None


def _spectra_one_at_a_time(matrices: tf.Tensor) -> tf.Tensor:
    """Eigenvalues of symmetric matrices (..., n, n) with static shape, one after another.

    A batched ``eigvalsh`` shares its matrices out over every core; a chain of single-matrix
    ops (each waits for the one before) runs on one thread, in one graph call.
    """
    n = matrices.shape[-1]
    flat = tf.reshape(matrices, [-1, n, n])
    spectra = []
    for i in range(flat.shape[0]):
        with tf.control_dependencies(spectra[-1:]):
            spectra.append(tf.linalg.eigvalsh(flat[i]))
    return tf.reshape(tf.stack(spectra), matrices.shape[:-1])


def _is_graph_model(model) -> bool:
    """Whether ``model`` is functional or Sequential (it has symbolic inputs and outputs)."""
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        return False


def _loss(logs) -> float:
    """The training loss from Keras ``logs`` (NaN when absent)."""
    if not logs or "loss" not in logs:
        return math.nan
    return float(logs["loss"])
