"""Shared test settings: the ``slow`` marker and quiet TensorFlow.

``python -m pytest -q -m "not slow"`` runs the fast tests (about two minutes on 2 cores);
the README's ``python -m pytest -q`` runs everything, as CI does.
"""

import getpass
import os
import tempfile

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The suite compiles hundreds of small XLA programs and runs each a few times: LLVM's
# optimisation passes cost more than they save there (same operations, same precision).
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")
# XLA's persistent cache: the tests' own folder, not the user's.
os.environ.setdefault(
    "INFOPLANE_TF_XLA_CACHE",
    os.path.join(tempfile.gettempdir(), f"infoplane-tf-tests-xla-{getpass.getuser()}"),
)
if os.environ.get("PYTEST_XDIST_WORKER"):  # one core per worker: no oversubscribed thread pools
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "slow: real training runs in subprocesses, the longest fits and costlier variants",
    )


@pytest.fixture
def fake_training(monkeypatch):
    """Replaces the sweep's task (``task.train_task``) with an instant stand-in: a 'tied' run
    fails, the others come back finished. Returns the names of the runs it was asked to
    resume."""
    import dataclasses
    import json
    import tempfile
    from pathlib import Path

    from infoplane_tf.workflows import task

    resumed = []

    def fake_task(config, partial=None):
        if partial is not None:
            resumed.append(config.name)
        if config.model == "tied":
            return {"seconds": 0.5, "error": "ValueError: diverged", "worker": "w", "run": None}
        with tempfile.TemporaryDirectory() as scratch:
            run = Path(scratch)
            (run / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
            (run / "summary.json").write_text(json.dumps({"complete": True}))
            packed = task.pack(run)
        return {"seconds": 1.25, "error": None, "worker": "w", "threads": 1, "run": packed}

    monkeypatch.setattr(task, "train_task", fake_task)
    return resumed


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """``tiny_run(folder=None, model="deep", **options)``: a tiny run (``helpers.train_tiny_run``)
    trained once per session for each model and options; a copy in ``folder`` when given (to
    change it freely), else the shared run (read it only)."""
    import shutil

    import infoplane_tf as ip
    from tests.helpers import train_tiny_run

    trained = {}

    def make(folder=None, model="deep", **options):
        key = (model, tuple(sorted(options.items())))
        if key not in trained:
            trained[key] = train_tiny_run(tmp_path_factory.mktemp("tiny") / model, model, **options)
        if folder is None:
            return trained[key]
        shutil.copytree(trained[key].path, folder)
        return ip.load_run(folder)

    return make
