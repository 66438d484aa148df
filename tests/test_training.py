"""One training run (``infoplane_tf.workflows``): its options, its directory, its progress line."""

import io
import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from infoplane_tf.callbacks.loggers import ProgressLine
from infoplane_tf.io.options import TrainConfig
from infoplane_tf.io.run_dir import RunDirectory
from infoplane_tf.io.runs import load_run
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows.threads import usable_cores, use_threads
from infoplane_tf.workflows.training import run


@pytest.mark.parametrize(
    "fields, parameter",
    [
        ({"model": "giant"}, "model"),
        ({"dataset": "cifar"}, "dataset"),
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"probe_size": 1}, "probe_size"),
        ({"seed": -1}, "seed"),
        ({"train_fraction": 0}, "train_fraction"),
        ({"sparsity_target": 1.0}, "sparsity_target"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"alpha": 0}, "alpha"),
        ({"label_weight": -0.1}, "label_weight"),
        ({"hidden_units": (256, 0)}, "hidden_units"),
        ({"record": "every:0"}, "record"),
        ({"sigma": "wide"}, "sigma"),
        ({"sigma": "-1"}, "sigma"),
        ({"checkpoints": "often"}, "checkpoints"),
        ({"checkpoint_dtype": "int8"}, "checkpoint_dtype"),
        ({"init": "he"}, "init"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"threads": 0}, "threads"),
    ],
)
def test_each_bad_option_is_named(fields, parameter):
    with pytest.raises(ParameterError) as error:
        TrainConfig(**fields).validate()
    assert error.value.parameter == parameter
    assert str(error.value).startswith(f"{parameter} must")


def test_options_are_checked_without_tensorflow():
    code = (
        "import sys\nfrom infoplane_tf.io.options import TrainConfig\n"
        "TrainConfig(record='log:10', sigma='0.5').validate()\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_model_hyperparameters_follow_the_model():
    assert TrainConfig(model="vae", code_units=7, seed=3, init="torch").model_hparams() == {
        "code_units": 7,
        "seed": 3,
        "init": "torch",
    }
    assert TrainConfig(model="sparse", hidden_units=(8,)).model_hparams() == {
        "init": "keras",
        "hidden_units": (8,),
        "code_units": 50,
        "sparsity_target": 0.05,
        "sparsity_weight": 0.001,
    }


def test_a_tiny_run_writes_a_complete_directory(tmp_path):
    config = TrainConfig(
        model="label", dataset="mnist-5k", epochs=1, train_fraction=0.05, probe_size=30,
        record="every:2", hidden_units=(16,), code_units=10, out=str(tmp_path / "run"),
    )  # fmt: skip
    messages = []
    out = run(config, log=messages.append)
    loaded = load_run(out)
    assert loaded.complete and messages[-1].startswith(f"run written to {out}")
    trajectory = loaded.trajectory
    np.testing.assert_array_equal(trajectory.iterations, [0, 2])  # 200 images, batch 100
    assert trajectory.layers == ("E1", "Z", "D1")
    assert trajectory.settings["estimator"]["n_probe"] == 30
    assert trajectory.i_t_label is not None and trajectory.valid.all()  # labels recorded
    assert loaded.config["dataset_info"]["probe_size"] == 30
    assert loaded.config["threads"] == use_threads(None)  # the process's own, recorded
    summary = json.loads((out / "summary.json").read_text())
    assert summary["points"] == 2 and set(summary["phases"]) == set(trajectory.layers)
    restored = keras.saving.load_model(out / "model.keras")
    assert restored.count_params() > 0


def test_threads_tensorflow_already_runs_with_are_kept_and_other_counts_refused():
    import tensorflow as tf

    tf.constant(1.0) + 1.0  # TensorFlow now runs: its thread counts are fixed
    current = use_threads(None)
    configured = tf.config.threading.get_intra_op_parallelism_threads()
    from_environment = int(os.environ.get("TF_NUM_INTRAOP_THREADS", 0))  # set by conftest
    assert current == (configured or from_environment or usable_cores())
    assert use_threads(current) == current
    with pytest.raises(ParameterError) as error:
        use_threads(current + 1)
    assert error.value.parameter == "threads"
    assert f"is {current + 1}, but TensorFlow already runs with {current} intra-op" in str(
        error.value
    )
    assert use_threads(None) == current  # nothing changed


def test_the_run_folder_is_protected(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match=r"already exists \(set overwrite\)"):
        RunDirectory(tmp_path / "notes").create(overwrite=False)
    with pytest.raises(ParameterError, match="not a run directory; refusing to delete it"):
        RunDirectory(tmp_path / "notes").create(overwrite=True)
    assert (tmp_path / "notes" / "keep.txt").read_text() == "mine"
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="must be a folder"):
        RunDirectory(tmp_path / "file").create(overwrite=True)


def test_progress_line_writes_a_line_per_tenth_off_a_terminal():
    stream = io.StringIO()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((200, 3)).astype("float32")
    model.fit(x, x, epochs=2, batch_size=10, verbose=0, callbacks=[ProgressLine(stream)])
    lines = stream.getvalue().splitlines()
    # 40 iterations: every 4th; the last is the final state (nothing new came at the end).
    assert [int(line.split("] ")[1].split("/")[0]) for line in lines] == list(range(4, 41, 4))
    assert lines[-1].startswith("[" + "#" * 24 + "] 40/40  loss ")
    assert "\r" not in stream.getvalue()


def test_training_leaves_the_callers_op_determinism_as_it_was(tiny_run):
    from tensorflow.python.framework import config

    tiny_run()  # trained in this process, at the latest now
    assert not config.is_op_determinism_enabled()  # else Keras turns XLA off for every fit
