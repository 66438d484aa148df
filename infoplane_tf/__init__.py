"""infoplane-tf: information-plane analysis of Keras models with a matrix-based Rényi estimator.

The package, by layer (each imports only from the layers above it):

- ``catalog``, ``validation``: names, the paper's defaults, argument checks (no TensorFlow);
- ``estimator``: kernels, spectra and ``InformationPlane`` (pure TensorFlow);
- ``models``: the autoencoder zoo and the contract a model meets to be measured;
- ``probe``: a model resolved into "probe forward pass → named representations + output";
- ``callbacks``: ``InfoPlaneCallback`` and the training loggers;
- ``io``, ``data``, ``analysis``: trajectories and run directories, datasets, phase analysis;
- ``workflows``: one training run and the paper's suite; ``plotting`` and ``report``.

The public names are loaded lazily (PEP 562), so ``import infoplane_tf`` and the command line's
``--help`` do not pay for importing TensorFlow until a name that needs it is used.
"""

import importlib

from infoplane_tf import _moved
from infoplane_tf._version import __version__
from infoplane_tf._xla_cache import enable_xla_cache

_moved.install()
enable_xla_cache()  # before TensorFlow's first operation, which reads the flags

# Public name → module that defines it ("module:attribute" where the names differ).
_EXPORTS = {
    "renyi_entropy": "infoplane_tf.estimator",
    "renyi_mutual_information": "infoplane_tf.estimator",
    "InformationPlane": "infoplane_tf.estimator",
    "SIGMA_RULES": "infoplane_tf.width_rules",
    "PAPER": "infoplane_tf.catalog",
    "build_model": "infoplane_tf.models",
    "MODEL_NAMES": "infoplane_tf.catalog",
    "load_dataset": "infoplane_tf.data.datasets",
    "DATASET_NAMES": "infoplane_tf.catalog",
    "InfoPlaneCallback": "infoplane_tf.callbacks",
    "Trajectory": "infoplane_tf.io.trajectory",
    "load_trajectory": "infoplane_tf.io.trajectory",
    "TrajectoryFormatError": "infoplane_tf.io.trajectory",
    "load_run": "infoplane_tf.io.runs",
    "Run": "infoplane_tf.io.runs",
    "analyze_phases": "infoplane_tf.analysis.phases",
    "TrainConfig": "infoplane_tf.io.options",
    "measure": "infoplane_tf.workflows.measure",
    "Measurement": "infoplane_tf.io.measurements",
    "train": "infoplane_tf.workflows.training:run",
    "resume": "infoplane_tf.workflows.training:resume",
    "sweep": "infoplane_tf.workflows.sweep:sweep",
    "reproduce": "infoplane_tf.workflows.suite:reproduce",
    "write_report": "infoplane_tf.reports:write_report",
    "model_at": "infoplane_tf.models.restore",
    "load_default_dataset": "infoplane_tf.data.datasets",
    "CheckpointCallback": "infoplane_tf.callbacks.checkpoints",
    "ResumeCallback": "infoplane_tf.callbacks.resume",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        module, _, attribute = _EXPORTS[name].partition(":")
        value = getattr(importlib.import_module(module), attribute or name)
        globals()[name] = value  # cache: later lookups skip __getattr__
        return value
    raise AttributeError(f"module 'infoplane_tf' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
