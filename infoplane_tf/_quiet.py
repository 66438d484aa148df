"""Importing TensorFlow without its C++ start-up messages (oneDNN, CUDA stubs, cuInit)."""

from __future__ import annotations

import contextlib
import os
import sys


def import_tensorflow(verbose: bool = False):
    """Imports and returns TensorFlow; unless ``verbose``, its C++ logging is silenced.

    TensorFlow writes some messages to file descriptor 2 before its log level is read, so the
    descriptor itself points at ``/dev/null`` during the import.
    """
    if verbose or "tensorflow" in sys.modules:
        import tensorflow

        return tensorflow
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_to_devnull():
        import tensorflow
    tensorflow.get_logger().setLevel("ERROR")
    return tensorflow


@contextlib.contextmanager
def _stderr_to_devnull():
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
