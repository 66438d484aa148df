"""infoplane-tf: information-plane analysis of Keras models with a matrix-based Rényi estimator.

The public names are loaded lazily (PEP 562), so ``import infoplane_tf`` and the command line's
``--help`` do not pay for importing TensorFlow until a name that needs it is used.
"""

import importlib

from infoplane_tf._version import __version__

# Public name → module that defines it.
_EXPORTS = {
    "renyi_entropy": "infoplane_tf.estimator",
    "renyi_mutual_information": "infoplane_tf.estimator",
    "InformationPlane": "infoplane_tf.estimator",
    "SIGMA_RULES": "infoplane_tf.estimator",
    "build_model": "infoplane_tf.models",
    "MODEL_NAMES": "infoplane_tf.models",
    "load_dataset": "infoplane_tf.datasets",
    "DATASET_NAMES": "infoplane_tf.datasets",
    "InfoPlaneCallback": "infoplane_tf.callback",
    "Trajectory": "infoplane_tf.trajectory",
    "load_trajectory": "infoplane_tf.trajectory",
    "TrajectoryFormatError": "infoplane_tf.trajectory",
    "load_run": "infoplane_tf.runs",
    "Run": "infoplane_tf.runs",
    "analyze_phases": "infoplane_tf.phases",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # cache: later lookups skip __getattr__
        return value
    raise AttributeError(f"module 'infoplane_tf' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
