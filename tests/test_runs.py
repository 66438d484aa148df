"""Run directories (``infoplane_tf.io.runs``): writing, loading and refusing what is not one."""

import gzip
import json

import numpy as np
import pytest

from infoplane_tf.io.run_dir import RunDirectory, read_json, write_json
from infoplane_tf.io.runs import (
    HistoryWriter,
    RunFormatError,
    is_run_dir,
    load_run,
    read_history,
)
from infoplane_tf.io.trajectory import VALUE_COLUMNS, TrajectoryWriter


def make_run(folder, complete=True):
    folder.mkdir()
    write_json(folder / "config.json", {"model": "deep", "name": "my run"})
    writer = TrajectoryWriter(folder / "trajectory.csv", ("Z",), VALUE_COLUMNS, {})
    for iteration in range(3):
        writer.append(iteration, iteration / 3, 0.1, {key: [iteration] for key in VALUE_COLUMNS})
    writer.close()
    history = HistoryWriter(folder / "history.csv")
    history.append(0, 0.0, "iteration", float("nan"), 0.5)
    history.append(1, 1 / 3, "iteration", 0.4, 0.45)
    history.append(3, 1.0, "epoch", 0.3, 0.35)
    history.close()
    if complete:
        write_json(folder / "summary.json", {"complete": True})
    return folder


def test_a_run_directory_loads(tmp_path):
    run = load_run(make_run(tmp_path / "run"))
    assert run.complete and run.label == "my run" and run.config["model"] == "deep"
    np.testing.assert_array_equal(run.trajectory.i_xt[:, 0], [0, 1, 2])
    np.testing.assert_array_equal(run.history.epochs, [1.0])
    np.testing.assert_array_equal(run.history.iteration_iterations, [0, 1])
    assert np.isnan(run.history.iteration_train_loss[0])
    np.testing.assert_allclose(run.history.iteration_test_loss, [0.5, 0.45])
    assert run.examples is None


def test_an_unfinished_run_loads_as_incomplete(tmp_path):
    run = load_run(make_run(tmp_path / "run", complete=False))
    assert not run.complete and run.label == "my run"


def test_history_cut_short_by_a_kill_keeps_its_whole_rows(tmp_path):
    folder = make_run(tmp_path / "run")
    path = folder / "history.csv"
    path.write_text(path.read_text() + "4,1.3,itera")
    assert len(read_history(path).iteration_iterations) == 2
    with gzip.open(folder / "history.csv.gz", "wt") as f:
        f.write(path.read_text().rsplit("\n", 1)[0] + "\n")
    path.unlink()
    assert len(load_run(folder).history.iteration_iterations) == 2


def test_malformed_history_names_the_line(tmp_path):
    path = make_run(tmp_path / "run") / "history.csv"
    lines = path.read_text().splitlines()
    lines[2] = "1,x,iteration,0.4,0.45"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(RunFormatError, match=r"history\.csv line 3"):
        read_history(path)


def test_folders_that_are_not_runs_are_refused(tmp_path):
    with pytest.raises(RunFormatError, match="not a folder"):
        load_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert not is_run_dir(tmp_path / "empty")
    with pytest.raises(RunFormatError, match=r"not a run directory \(no config.json\)"):
        load_run(tmp_path / "empty")
    (tmp_path / "bare").mkdir()
    write_json(tmp_path / "bare" / "config.json", {})
    with pytest.raises(RunFormatError, match="no trajectory yet"):
        load_run(tmp_path / "bare")


def test_json_is_written_atomically_and_read_with_clear_errors(tmp_path):
    write_json(tmp_path / "a.json", {"x": 1})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 1}
    assert list(tmp_path.iterdir()) == [tmp_path / "a.json"]  # no temporary left behind
    (tmp_path / "b.json").write_text("{broken")
    with pytest.raises(RunFormatError, match=r"b\.json line 1: not valid JSON"):
        read_json(tmp_path / "b.json")
    (tmp_path / "c.json").write_text("[1, 2]")
    with pytest.raises(RunFormatError, match="expected a JSON object"):
        read_json(tmp_path / "c.json")


def test_a_probe_is_kept_compactly_and_read_back_exactly(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (7, 784)).astype(np.float32) / np.float32(255)
    labels = np.arange(7) % 3
    run = RunDirectory(tmp_path)
    assert run.write_probe(pixels, labels) == tmp_path / "probe.npz"
    with np.load(tmp_path / "probe.npz") as stored:
        assert stored["pixels"].dtype == np.uint8 and "x" not in stored
    x, y = run.read_probe()
    np.testing.assert_array_equal(x, pixels)
    np.testing.assert_array_equal(y, labels)
    assert x.dtype == np.float32 and y.dtype == np.int64

    other = tmp_path / "other"
    other.mkdir()
    values = rng.random((5, 3)).astype(np.float32)  # not pixels: kept as they are
    RunDirectory(other).write_probe(values, np.zeros(5))
    np.testing.assert_array_equal(RunDirectory(other).read_probe()[0], values)

    assert RunDirectory(tmp_path / "missing").read_probe() is None
    (other / "probe.npz").write_bytes(b"broken")
    with pytest.raises(RunFormatError, match="not a readable probe file"):
        RunDirectory(other).read_probe()


def test_a_run_directory_says_its_state(tmp_path):
    run = RunDirectory(tmp_path / "run")
    assert not run.exists and run.state == "new" and not run.complete and not run.resumable
    run.create().write_config({"model": "deep", "out": "elsewhere"})
    assert run.exists and is_run_dir(run.path)
    run.update_config(out="here")
    assert run.read_config() == {"model": "deep", "out": "here"}
    run.mark_training()
    assert run.state == "training" and not run.complete
    run.resume_state.write_bytes(b"state")
    assert run.resumable
    run.mark_interrupted(12)
    assert run.state == "interrupted" and run.read_summary()["iteration"] == 12
    run.mark_complete({"points": 3})
    assert run.state == "complete" and run.complete and run.read_summary()["points"] == 3
    assert not run.resume_state.exists() and not run.resumable
    run.summary.write_text("{broken")
    assert not run.complete  # a broken summary is not a finished run
    with pytest.raises(RunFormatError, match="summary.json line 1"):
        run.state  # noqa: B018


def test_a_finished_runs_tables_are_gzipped_and_still_found(tmp_path):
    make_run(tmp_path / "run")
    run = RunDirectory(tmp_path / "run")
    assert run.history_table == run.history
    run.compress_tables()
    assert run.history_table.name == "history.csv.gz" and not run.history.exists()
    assert len(load_run(run.path).trajectory) == 3
