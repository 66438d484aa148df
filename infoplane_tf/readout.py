"""A model's readout: a Keras model resolved into "probe forward pass → named representations +
output" (the probe is the samples X; the readout is what the model makes of them).

``Readout.for_model(model, layers)`` finds what to measure and how:

- a subclassed model through its ``representations_and_output`` (the ``MeasurableModel``
  contract: names and sampled-code noise are optional);
- a functional or Sequential model through a sub-model over the same weights, measuring every
  hidden layer except inputs, the output, inference-time no-ops (dropout, noise) and layers that
  only rearrange their input (``Flatten``, ``Reshape``, ``Permute``: same values, same
  information), unless ``layers`` names them.

The forward pass runs on weight *snapshots* (any list of values of the model's variables), so
the same compiled point function measures live weights, snapshots taken during training and,
later, weights loaded from a checkpoint. A ``Readout`` and its compiled point functions are
cached per model: a second callback on the same model compiles nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
import tensorflow as tf

from infoplane_tf._moved import moved_names
from infoplane_tf.estimator import InformationPlane, PointFunction
from infoplane_tf.models.contract import MeasurableModel

# Layers that change nothing at inference time.
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
# Layers whose output holds exactly the values of their input, rearranged.
_SHAPE_ONLY_LAYERS = (keras.layers.Flatten, keras.layers.Reshape, keras.layers.Permute)

# Where a model keeps its probes: set without Keras's attribute tracking, so it is neither
# saved with the model nor kept alive after it.
_CACHE_ATTRIBUTE = "_infoplane_tf_probes"


class Readout:
    """A model's probe forward pass on weight snapshots, and its compiled point functions.

    Use ``Readout.for_model``. Attributes: ``names`` (the measured layers, in order),
    ``widths`` (name → features per sample), ``variables`` (the model's variables, in the
    order of a snapshot), ``noise_units`` (None for deterministic models), ``bottleneck``
    (the model's ``bottleneck_name`` when measured, else None).
    """

    def __init__(self, model, names, widths, run, noise_units, bottleneck):
        self.model = model
        self.names: tuple[str, ...] = tuple(names)
        self.widths: dict[str, int] = widths
        self.noise_units = noise_units
        self.bottleneck = bottleneck if bottleneck in self.names else None
        self.variables = list(model.variables)
        self._run = run
        self._functions: dict = {}
        # Reading a variable gives a tensor that keeps its buffer: the optimizer's next update
        # copies before writing (copy-on-write), so a snapshot costs one call, not one copy.
        # The concrete function skips tf.function's argument matching (see benchmarks/).
        read = tf.function(lambda: [tf.identity(v) for v in self.variables], autograph=False)
        self.snapshot = read.get_concrete_function()
        self.snapshot_bytes = sum(
            np.dtype(v.dtype).itemsize * int(np.prod(v.shape)) for v in self.variables
        )

    @classmethod
    def for_model(cls, model, layers: Sequence[str] | None = None, x_sample=None) -> Readout:
        """The (cached) probe of ``model`` measuring ``layers`` (None: the default set).

        Args:
            model: a functional/Sequential Keras model or a ``MeasurableModel``.
            layers: names of the layers to measure, or None.
            x_sample: two or more input rows, to build a subclassed model and read its
                representation names and widths.

        Raises:
            ValueError: an unknown layer (the message lists the available ones), a model
                without hidden layers, or a subclassed model without
                ``representations_and_output``.
        """
        key = None if layers is None else tuple(layers)
        cached = model.__dict__.get(_CACHE_ATTRIBUTE)
        if cached is None:
            cached = {}
            object.__setattr__(model, _CACHE_ATTRIBUTE, cached)
        if key not in cached:
            if isinstance(model, MeasurableModel):
                cached[key] = _subclassed_readout(model, key, x_sample)
            elif _is_graph_model(model):
                cached[key] = _graph_readout(model, key)
            else:
                raise ValueError(
                    f"{type(model).__name__} is a subclassed model without "
                    "representations_and_output(): its hidden layers cannot be seen. Use a "
                    "functional or Sequential model, or add representations_and_output(x, "
                    "training=False, noise=None) returning (mapping name -> activations, "
                    "output), see infoplane_tf.models.MeasurableModel"
                )
        return cached[key]

    @property
    def activations(self) -> dict[str, str | None]:
        """Each measured layer's activation, name → Keras's name (``"sigmoid"``, ``"linear"``
        ...), or None where the model does not say (not one activation's output)."""
        model = self.model
        if hasattr(model, "representation_activations"):
            known = model.representation_activations()
        else:  # a functional or Sequential model: the layers themselves
            known = {layer.name: _activation_name(layer) for layer in model.layers}
        return {name: known.get(name) for name in self.names}

    @property
    def output_activation(self) -> str | None:
        """The activation of the model's output (Keras's name), or None where the model does
        not say."""
        declared = getattr(self.model, "output_activation", None)  # the zoo's models
        if isinstance(declared, str):
            return declared
        if _is_graph_model(self.model) and len(self.model.outputs) == 1:
            return _activation_name(self.model.outputs[0]._keras_history.operation)
        return None

    def point_function(self, plane: InformationPlane, points: int, one_core: bool):
        """The compiled ``f(probe_kernels, x_probe, snapshots, indices, seed)`` → P points.

        ``snapshots`` holds P lists of variable values (see ``snapshot``), ``indices`` (P,)
        int64 the points' positions in their trajectory and ``seed`` an int64 scalar: together
        they fix a sampled code's noise per point.

        Args:
            plane: the estimator (its settings and probe shape select the cached function).
            points: P, the number of snapshots per call (a fixed shape: compiled once).
            one_core: take the spectra on one thread (see ``PointFunction``).
        """
        key = (plane.signature(), points, one_core)
        if key not in self._functions:
            self._functions[key] = PointFunction(plane, _SnapshotForward(self), one_core=one_core)
        return self._functions[key]

    def noise(self, seed: tf.Tensor, indices: tf.Tensor, n: int):
        """The fixed noise (P, n, noise_units) of a sampled code at points ``indices`` (P,)."""
        if not self.noise_units:
            return None
        return tf.stack(
            [
                tf.random.stateless_normal((n, self.noise_units), seed=tf.stack([seed, index]))
                for index in tf.unstack(indices, num=indices.shape[0])
            ]
        )

    def forward(self, x, weights, noise):
        """The representations (list of L) and output of ``x`` with the given variable values."""
        with keras.StatelessScope(state_mapping=list(zip(self.variables, weights, strict=True))):
            return self._run(x, noise)


class _SnapshotForward:
    """``Forward`` of a ``PointFunction``: (x, P snapshots, P point indices, seed) → P points."""

    def __init__(self, readout: Readout):
        self.readout = readout

    def __call__(self, x, snapshots, indices, seed):
        noise = self.readout.noise(seed, indices, x.shape[0])
        points = [
            self.readout.forward(x, weights, None if noise is None else noise[j])
            for j, weights in enumerate(snapshots)
        ]
        layers = [tf.stack([p[0][k] for p in points]) for k in range(len(self.readout.names))]
        return layers, tf.stack([p[1] for p in points])


def _subclassed_readout(model, layers, x_sample) -> Readout:
    if x_sample is None:
        raise ValueError("x_sample is needed to resolve a subclassed model's representations")
    if not model.built:
        model(x_sample[:1])
    noise_units = getattr(model, "noise_units", None)
    # Fixed noise: reading the shapes must not advance the model's random state (training
    # after it, resumed or not, draws the same noise).
    fixed = {} if noise_units is None else {"noise": np.zeros((2, noise_units), np.float32)}
    reps, _ = model.representations_and_output(x_sample[:2], training=False, **fixed)
    available = tuple(getattr(model, "representation_names", None) or reps)
    names = _choose(layers, available, available)
    widths = {name: int(np.prod(reps[name].shape[1:])) for name in names}

    def run(x, noise):
        extra = {} if noise is None else {"noise": noise}
        representations, output = model.representations_and_output(x, training=False, **extra)
        return [representations[name] for name in names], output

    return Readout(model, names, widths, run, noise_units, getattr(model, "bottleneck_name", None))


def _graph_readout(model, layers) -> Readout:
    output_layers = {id(t._keras_history.operation) for t in model.outputs}
    skipped = _PASS_THROUGH_LAYERS + _SHAPE_ONLY_LAYERS
    hidden = [
        layer.name
        for layer in model.layers
        if not isinstance(layer, skipped) and id(layer) not in output_layers
    ]
    names = _choose(layers, tuple(hidden), [layer.name for layer in model.layers])
    outputs = [model.get_layer(name).output for name in names]
    widths = {name: int(np.prod(t.shape[1:])) for name, t in zip(names, outputs, strict=True)}
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    sub_model = keras.Model(inputs, outputs + model.outputs)

    def run(x, noise):
        del noise  # deterministic
        values = sub_model(x, training=False)
        return list(values[:-1]), values[-1]

    return Readout(model, names, widths, run, None, None)


def _activation_name(layer) -> str | None:
    activation = getattr(layer, "activation", None)
    try:
        return None if activation is None else keras.activations.serialize(activation)
    except (TypeError, ValueError):  # a callable Keras cannot name
        return None


def _choose(requested, default, known) -> tuple[str, ...]:
    if requested is None:
        if not default:
            raise ValueError("the model has no hidden layer to measure")
        return tuple(default)
    unknown = [name for name in requested if name not in known]
    if unknown:
        raise ValueError(
            f"no layer named {', '.join(map(repr, unknown))} in the model; "
            f"available layers: {', '.join(known)}"
        )
    return tuple(requested)


def _is_graph_model(model) -> bool:
    """Whether ``model`` is functional or Sequential (it has symbolic inputs and outputs)."""
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        return False


__getattr__ = moved_names(__name__, {"ModelProbe": "infoplane_tf.readout:Readout"})
