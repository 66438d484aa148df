"""Keras callbacks: ``InfoPlaneCallback`` (``info_plane``, with its ``capture``, ``worker`` and
``recorder``), ``CheckpointCallback`` (``checkpoints``), ``ResumeCallback`` (``resume``) and the
loggers of a training run (``loggers``). Names load lazily."""

import importlib

_EXPORTS = {
    "InfoPlaneCallback": "infoplane_tf.callbacks.info_plane",
    "Schedule": "infoplane_tf.schedule",
}
__all__ = list(_EXPORTS)


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'infoplane_tf.callbacks' has no attribute {name!r}")
