"""Resumable runs: the data order, the full state, ``train --resume`` after SIGKILL and SIGTERM,
and checkpoint files that a kill cannot corrupt."""

import gzip
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from click.testing import CliRunner

from infoplane_tf.io.checkpoints import (
    CheckpointFormatError,
    list_checkpoints,
    read_arrays,
    read_checkpoint,
    write_checkpoint,
)
from infoplane_tf_cli.main import cli

CLI = [sys.executable, "-m", "infoplane_tf_cli"]
# 40 iterations per epoch (4,000 training digits, batch 100), a point and a history row each.
TRAIN = [
    "train", "--model", "vae", "--dataset", "mnist-5k", "--epochs", "3", "--record", "iteration",
    "--hidden-units", "64,32", "--code-units", "4", "--checkpoints", "every:7",
]  # fmt: skip
STEPS = 40


def test_every_epoch_is_a_permutation_fixed_by_seed_and_epoch():
    from infoplane_tf.data.order import steps_per_epoch, training_batches

    x = np.arange(10, dtype=np.float32)[:, None]
    whole = [b.numpy().ravel() for b, _ in training_batches(x, x + 100, 4, 3, 0, 3)]
    assert [len(b) for b in whole] == [4, 4, 2] * 3 and steps_per_epoch(10, 4) == 3
    epochs = [np.concatenate(whole[i : i + 3]) for i in (0, 3, 6)]
    for order in epochs:
        np.testing.assert_array_equal(np.sort(order), np.arange(10))
    assert not np.array_equal(epochs[0], epochs[1])
    later = [b.numpy().ravel() for b, _ in training_batches(x, x + 100, 4, 3, 1, 3)]
    np.testing.assert_array_equal(np.concatenate(later), np.concatenate(epochs[1:]))
    other_seed = [b.numpy().ravel() for b, _ in training_batches(x, x, 4, 4, 0, 1)]
    assert not np.array_equal(np.concatenate(other_seed), epochs[0])
    targets = [y.numpy().ravel() for _, y in training_batches(x, x + 100, 4, 3, 0, 1)]
    np.testing.assert_array_equal(np.concatenate(targets), epochs[0] + 100)
    # no autotuner thread, which the end of a fit waited for (benchmarks/README.md)
    assert training_batches(x, x, 4, 3, 0, 1).options().autotune.enabled is False


def test_float16_checkpoints_round_within_their_stated_error(tmp_path):
    rng = np.random.default_rng(0)
    values = {"a/kernel": rng.normal(0, 0.1, (50, 20)).astype(np.float32)}
    values["seed/state"] = np.array([0, 2**40 + 3], np.int64)
    write_checkpoint(tmp_path, 5, 0.25, values, dtype="float16")
    loaded, epoch = read_checkpoint(tmp_path, 5)
    assert loaded["a/kernel"].dtype == np.float32 and epoch == 0.25
    error = np.abs(loaded["a/kernel"] - values["a/kernel"])
    bound = np.maximum(2.0**-11 * np.abs(values["a/kernel"]), 2.0**-25)
    assert error.max() > 0 and (error <= bound).all()
    tiny = {"w": np.array([1e-6, -3e-7, 5e-5], np.float32)}  # float16's subnormal range
    write_checkpoint(tmp_path, 6, 0.5, tiny, dtype="float16")
    assert np.abs(read_checkpoint(tmp_path, 6)[0]["w"] - tiny["w"]).max() <= 2.0**-25
    with pytest.raises(ValueError, match="float16 holds values up to 65504, a variable reaches 7e"):
        write_checkpoint(tmp_path, 7, 0.5, {"w": np.array([7e4], np.float32)}, dtype="float16")
    assert list_checkpoints(tmp_path) == [5, 6]
    np.testing.assert_array_equal(loaded["seed/state"], values["seed/state"])
    with pytest.raises(ValueError, match="dtype must be one of float32, float16"):
        write_checkpoint(tmp_path, 6, 0.5, values, dtype="bfloat16")


def _train(out):
    return subprocess.run(CLI + TRAIN + ["--out", str(out)], capture_output=True, text=True)


def _resume(out):
    return subprocess.run(CLI + ["train", "--resume", str(out)], capture_output=True, text=True)


def _interrupt(out, signal_number, after_iteration):
    """Starts a run and sends it ``signal_number`` once its history shows ``after_iteration``."""
    process = subprocess.Popen(CLI + TRAIN + ["--out", str(out)], stderr=subprocess.PIPE, text=True)
    history = out / "history.csv"
    deadline = time.time() + 600
    while time.time() < deadline and process.poll() is None:
        rows = history.read_text().splitlines()[1:] if history.exists() else []
        if any(int(row.split(",")[0]) >= after_iteration for row in rows if row.count(",") == 4):
            break
        time.sleep(0.02)
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=600)
    return process.returncode, stderr


def _state_epochs(out) -> int:
    return int(read_arrays(out / "resume.npz", "missing")["__epochs__"])


def assert_same_run(resumed, reference):
    for name in ("trajectory.csv.gz", "history.csv.gz"):
        assert gzip.open(resumed / name).read() == gzip.open(reference / name).read(), name
    iterations = list_checkpoints(reference / "checkpoints")
    assert list_checkpoints(resumed / "checkpoints") == iterations
    assert iterations[-1] == 3 * STEPS
    for iteration in iterations:
        ours, _ = read_checkpoint(resumed / "checkpoints", iteration)
        theirs, _ = read_checkpoint(reference / "checkpoints", iteration)
        assert ours.keys() == theirs.keys()
        for key in theirs:  # bit for bit
            assert ours[key].tobytes() == theirs[key].tobytes(), (iteration, key)
    assert not (resumed / "resume.npz").exists()  # a finished run keeps no resume state


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted") / "run"
    assert _train(out).returncode == 0
    return out


@pytest.mark.slow  # trains in subprocesses
def test_a_run_killed_in_epoch_2_resumes_to_the_same_weights_and_trajectory(reference, tmp_path):
    out = tmp_path / "killed"
    code, _ = _interrupt(out, signal.SIGKILL, after_iteration=STEPS + 5)
    assert code == -signal.SIGKILL
    assert _state_epochs(out) == 1  # killed in epoch 2: the state is that of epoch 1's end
    rows = (out / "history.csv").read_text().splitlines()[1:]
    assert max(int(row.split(",")[0]) for row in rows) > STEPS  # rows to drop and make again
    assert 42 in list_checkpoints(out / "checkpoints")  # a checkpoint after the state, too
    resumed = _resume(out)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {out} after epoch 1 (iteration {STEPS})" in resumed.stderr
    assert_same_run(out, reference)


@pytest.mark.slow
def test_sigterm_mid_epoch_stops_at_the_epoch_end_and_resumes_exactly(reference, tmp_path):
    out = tmp_path / "stopped"
    code, stderr = _interrupt(out, signal.SIGTERM, after_iteration=STEPS + 5)
    assert code == 128 + signal.SIGTERM
    assert f"SIGTERM: stopped after epoch 2 (iteration {2 * STEPS})" in stderr
    assert f"continue with: infoplane-tf train --resume {out}" in stderr
    assert _state_epochs(out) == 2
    assert json.loads((out / "summary.json").read_text())["phase"] == "interrupted"
    assert _resume(out).returncode == 0
    assert_same_run(out, reference)


WRITER = """
import sys, numpy as np
from infoplane_tf.io.checkpoints import write_checkpoint
big = np.ones((2_000_000,), np.float32)
for iteration in range(10**6):
    values = {"w": big * iteration, "i": np.int64(iteration)}
    write_checkpoint(sys.argv[1], iteration % 5, 0.0, values)
"""


def test_a_checkpoint_write_killed_midway_never_loads_wrong_data(tmp_path):
    for delay in (0.3, 0.45, 0.6, 0.75, 0.9):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)])
        time.sleep(delay)
        writer.kill()
        writer.wait()
        for iteration in list_checkpoints(tmp_path):
            values, _ = read_checkpoint(tmp_path, iteration)  # every listed file loads whole
            assert int(values["i"]) % 5 == iteration
            np.testing.assert_array_equal(values["w"], float(values["i"]))
    assert list_checkpoints(tmp_path)  # the kills did land between whole writes too
    truncated = tmp_path / "iteration-00000000.npz"
    truncated.write_bytes(truncated.read_bytes()[:1000])
    with pytest.raises(CheckpointFormatError, match="iteration-00000000.npz: not a readable"):
        read_checkpoint(tmp_path, 0)


def test_resume_refuses_what_it_cannot_continue(tiny_run, tmp_path):
    reference = tiny_run(tmp_path / "finished").path  # trained in this process, once a session
    epochs = json.loads((reference / "config.json").read_text())["epochs"]
    runner = CliRunner()
    finished = runner.invoke(cli, ["train", "--resume", str(reference)])
    assert finished.exit_code == 0 and "is already finished; nothing to resume" in finished.output
    stateless = tmp_path / "stateless"
    stateless.mkdir()
    (stateless / "config.json").write_text((reference / "config.json").read_text())
    (stateless / "summary.json").write_text('{"complete": false}')
    cases = [
        (["--resume", str(stateless)], "Invalid value for '--resume'", "has no resume.npz"),
        (["--resume", str(tmp_path)], "Invalid value for '--resume'", "is not a run directory"),
        (
            ["--resume", str(stateless), "--epochs", "5"],
            "Invalid value for '--epochs'",
            f"is {epochs} in",
        ),
    ]
    for arguments, flag, message in cases:
        result = runner.invoke(cli, ["train", *arguments])
        assert result.exit_code == 2, result.output
        assert flag in result.output and message in result.output
        assert "Traceback" not in result.output
    assert sorted(p.name for p in stateless.iterdir()) == ["config.json", "summary.json"]


def test_a_checkpoint_beyond_float16_is_kept_in_float32_and_training_goes_on(tmp_path):
    import keras

    from infoplane_tf.callbacks.checkpoints import CheckpointCallback

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.layers[0].kernel.assign(np.full((3, 2), 1e5, np.float32))
    x = np.ones((4, 3), np.float32)
    with pytest.warns(UserWarning, match="checkpoint [01] kept in float32: dtype float16 holds"):
        model.fit(x, x[:, :2], epochs=1, verbose=0, callbacks=[
            CheckpointCallback(tmp_path, every="epoch", dtype="float16")
        ])  # fmt: skip
    assert list_checkpoints(tmp_path) == [0, 1]
    assert read_checkpoint(tmp_path, 0)[0][model.layers[0].kernel.path][0, 0] == 1e5
