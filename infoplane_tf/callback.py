"""InfoPlaneCallback: the information plane of every layer, recorded live during ``model.fit``.

Each point is one compiled call: the probe's forward pass (inference mode) and the batched
Rényi estimator with the probe's Gram matrix cached (``InformationPlane``). Points are streamed
to disk as they are made, so memory stays flat and a killed run keeps what it measured.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf.estimator import PAPER_ALPHA, PAPER_GAMMA, InformationPlane
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

    Attributes:
        trajectory: the ``Trajectory`` recorded so far (a fresh one per ``fit``).

    Raises:
        ValueError: NaN/Inf in the probe, fewer than 2 probe rows, an unknown schedule, bad
            estimator settings (here), or a layer name that does not exist, a subclassed model
            without ``representations_and_output`` (at ``on_train_begin``, before training).
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
    ):
        super().__init__()
        self.schedule = Schedule(every)
        if layers is not None and (
            isinstance(layers, str) or not all(isinstance(name, str) for name in layers)
        ):
            raise ValueError(f"layers must be a list of layer names, got {layers!r}")
        self.requested_layers = None if layers is None else tuple(layers)
        self.plane = InformationPlane(
            x_probe, y_probe, alpha=alpha, sigma=sigma, gamma=gamma, dtype=dtype
        )
        self.x_probe = tf.constant(np.asarray(x_probe, dtype=np.float32))
        self.filepath = None if filepath is None else os.fspath(filepath)
        self.log_layer = log_layer
        self.tensorboard_dir = None if tensorboard_dir is None else os.fspath(tensorboard_dir)
        self.seed = int(seed)
        self.layer_names: tuple[str, ...] = ()
        self._buffer: TrajectoryBuffer | None = None
        self._writer: TrajectoryWriter | None = None
        self._summary_writer = None
        self._measure = None
        self._measured_model = None
        self._fused = None

    # ----------------------------------------------------------------------------------------
    # Keras hooks
    # ----------------------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        self._prepare()
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
        self._record(loss=math.nan)  # the point before the first update

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = self._iteration  # Keras's batch index restarts at 0 every epoch

    def on_train_batch_end(self, batch, logs=None):
        previous = self._iteration
        self._iteration = self._epoch_start + batch + 1
        if self.schedule.due_after_batch(self._iteration, previous):
            self._record(loss=_loss(logs))

    def on_epoch_end(self, epoch, logs=None):
        if self.schedule.kind == "epoch":
            self._record(loss=_loss(logs))
        if logs is not None and self._log_key is not None:
            j = self.layer_names.index(self._log_key)
            for key in ("i_xt", "i_ty"):
                logs[f"{key}_{self._log_key}"] = self._buffer.last(key)[j]

    def on_train_end(self, logs=None):
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
        values, finite = self._run_measure(point_index)
        values = values.numpy()
        return {**{key: values[k] for k, key in enumerate(self._keys)}, "finite": bool(finite)}

    # ----------------------------------------------------------------------------------------
    # Internals
    # ----------------------------------------------------------------------------------------

    def _prepare(self) -> None:
        """Resolves the layers and compiles the point function, once per model."""
        if self._measure is not None and self._measured_model is self.model:
            return  # the same model fitted again: reuse the traced function
        self._forward, self.layer_names, self._noise = self._resolve_forward(self.model)
        self._keys = VALUE_COLUMNS + ((LABEL_COLUMN,) if self.plane.has_labels else ())
        self._measure = self._compile(fuse=True)
        self._measured_model = self.model

    def _run_measure(self, point_index: int):
        """Calls the compiled point function; falls back to no fusion if XLA rejects the model."""
        index = tf.constant(point_index, tf.int64)
        try:
            return self._measure(index)
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError):
            if self._fused is False:
                raise
            # Some layer of this model has no XLA kernel: keep its forward pass outside XLA.
            self._measure = self._compile(fuse=False)
            return self._measure(index)

    def _record(self, loss: float) -> None:
        values = self.measure(point_index=len(self._buffer))
        finite = values.pop("finite")
        if not finite:
            self._missing += 1
            if self._missing == 1:
                warnings.warn(
                    f"InfoPlaneCallback: non-finite activations at iteration {self._iteration}; "
                    "the point is recorded as missing (the fit goes on)",
                    RuntimeWarning,
                    stacklevel=2,
                )
            values = None
        epoch = self._iteration / self._steps_per_epoch if self._steps_per_epoch else math.nan
        self._buffer.append(self._iteration, epoch, loss, values)
        if self._writer is not None:
            self._writer.append(self._iteration, epoch, loss, values)
        if self._summary_writer is not None and values is not None:
            with self._summary_writer.as_default(step=self._iteration):
                for j, layer in enumerate(self.layer_names):
                    for key in self._keys:
                        tf.summary.scalar(f"infoplane/{key}/{layer}", values[key][j])

    def _compile(self, fuse: bool):
        """One graph function per point: probe forward pass, matrices, eigvalsh, quantities.

        With ``fuse``, the forward pass and every n × n matrix of the point are compiled
        together by XLA (one fused kernel launch instead of dozens of small ops); the
        eigendecomposition always stays outside XLA, where it is unreliable (TF #50017, #62461).
        """
        plane, keys, forward, noise = self.plane, self._keys, self._forward, self._noise
        self._fused = fuse

        def matrices(point_noise):
            return plane.point_matrices(*forward(point_noise))

        if fuse:
            matrices = tf.function(matrices, jit_compile=True)

        def measure(point_index):
            point_noise = noise(point_index)
            if fuse:
                point = plane.point_from_matrices(*matrices(point_noise))
            else:
                point = plane.point(*forward(point_noise))
            return tf.stack([point[key] for key in keys]), point["finite"]

        return tf.function(measure)

    def _resolve_forward(self, model):
        """``(forward, layer names, noise)`` for ``model``.

        ``forward(noise) -> (list of T_l, X')`` is the probe's forward pass; ``noise(point_index)``
        the fixed noise of a stochastic model's point (None for deterministic models).
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

            def noise(point_index):
                if not noise_units:
                    return None
                # Drawn outside XLA, whose random number generators differ from TF's.
                return tf.random.stateless_normal(
                    (n, noise_units), seed=tf.stack([tf.constant(seed, tf.int64), point_index])
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

            return forward, names, lambda point_index: None

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
