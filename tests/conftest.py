"""Shared test settings: the ``slow`` marker and quiet TensorFlow.

``python -m pytest -q -m "not slow"`` runs the fast tests (a couple of minutes on 2 cores);
the README's ``python -m pytest -q`` runs everything, as CI does.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: real training runs in subprocesses, the longest fits and costlier variants",
    )
