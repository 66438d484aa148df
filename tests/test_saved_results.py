"""Every run shipped in saved_results/ loads, has the full schema and covers its whole run."""

import json
from pathlib import Path

import numpy as np
import pytest

from infoplane_tf.io.runs import is_run_dir, load_run

SAVED = Path(__file__).resolve().parent.parent / "saved_results"
RUNS = sorted(p.parent for p in SAVED.rglob("config.json") if is_run_dir(p.parent))


def test_results_are_shipped():
    assert RUNS, f"no run directories under {SAVED}"
    assert (SAVED / "fashion-mnist" / "REPORT.md").is_file()


@pytest.mark.parametrize("path", RUNS, ids=[str(p.relative_to(SAVED)) for p in RUNS])
def test_saved_run_is_complete_and_covers_the_whole_run(path):
    run = load_run(path)
    assert run.complete, f"{path}: summary says incomplete"
    config = run.config
    for key in ("model", "dataset", "epochs", "batch_size", "seed", "record", "versions"):
        assert key in config, key
    trajectory = run.trajectory
    steps = trajectory.settings["steps_per_epoch"]
    total = steps * config["epochs"]
    assert trajectory.iterations[0] == 0 and trajectory.iterations[-1] == total
    if config["record"] == "iteration":
        np.testing.assert_array_equal(trajectory.iterations, np.arange(total + 1))
    assert trajectory.valid.all()
    assert len(run.history.epochs) == config["epochs"]
    summary = json.loads((path / "summary.json").read_text())
    assert summary["iterations"] == total
    assert set(summary["phases"]) == set(trajectory.layers)
    assert run.examples is not None and (path / "model.keras").is_file()
