"""The classic experiments' pieces: the 12-bit dataset (``data.tishby12``), the classifiers
(``models.mlp``, ``models.cnn``), their training runs, measurements and the classifier suite."""

import dataclasses
import json
import math

import keras
import numpy as np
import pytest
import scipy.io
from click.testing import CliRunner

import infoplane_tf as ip
from infoplane_tf.catalog import CLASSIFIER_EXPERIMENTS, MODELS
from infoplane_tf.data import DatasetFormatError, load_dataset, tishby12
from infoplane_tf.io.options import TrainConfig
from infoplane_tf.models import ConvClassifier, MLPClassifier, build_model
from infoplane_tf.models.restore import build_recorded_model
from infoplane_tf.validation import ParameterError
from infoplane_tf.workflows.suite import classifier_runs, reproduce
from infoplane_tf_cli.main import cli

CLASSIFIERS = tuple(name for name, spec in MODELS.items() if spec.classifier)
# Tiny versions: the same structure, a fraction of the width.
TINY = {"mlp": {"hidden_units": (6, 4, 3), "n_classes": 2}, "cnn": {"n_classes": 10}}
INPUT_WIDTH = {"mlp": 12, "cnn": 784}
NAMES = {"mlp": ["H1", "H2", "H3", "softmax"], "cnn": ["C1", "C2", "D1", "softmax"]}


@pytest.fixture(autouse=True)
def _seeded():
    keras.utils.set_random_seed(7)


def inputs(name, n=16, seed=0):
    rng = np.random.default_rng(seed)
    if name == "mlp":
        return rng.integers(0, 2, (n, 12)).astype("float32")
    return rng.random((n, 784), dtype=np.float32)


def labels(name, n=16, seed=1):
    return np.random.default_rng(seed).integers(0, TINY[name]["n_classes"], n)


# --------------------------------------------------------------------------------------------
# The 12-bit dataset
# --------------------------------------------------------------------------------------------


def test_the_shipped_set_is_every_12_bit_pattern_with_the_files_labels():
    data = load_dataset("tishby12", probe_size=819)
    assert (data.info.n_train, data.info.n_test, data.info.n_classes) == (3277, 819, 2)
    assert data.info.image_shape == (12,) and data.x_train.dtype == np.float32
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    # Read independently: the patterns as integers, looked up in the file's own rows.
    content = scipy.io.loadmat(str(tishby12.tishby12_path()))
    file_codes = content["F"].astype(int) @ (1 << np.arange(12))
    codes = x.astype(int) @ (1 << np.arange(12))
    assert sorted(codes) == list(range(4096))
    by_code = dict(zip(file_codes, content["y"].reshape(-1), strict=True))
    assert [by_code[c] for c in codes] == list(y)
    assert 0.45 < y.mean() < 0.55  # the set's labels are nearly balanced


def test_the_split_is_seeded_and_the_probe_is_the_first_test_patterns():
    first, second = load_dataset("tishby12"), load_dataset("tishby12", train_fraction=0.5)
    np.testing.assert_array_equal(first.x_test, second.x_test)
    np.testing.assert_array_equal(first.x_train[:1638], second.x_train)
    np.testing.assert_array_equal(first.probe.x, first.x_test[:100])
    with pytest.raises(ValueError, match="probe_size must be at most the 819"):
        load_dataset("tishby12", probe_size=820)


def test_split_of_a_tiny_12_bit_like_set_keeps_80_percent_for_training():
    patterns = (np.arange(20)[:, None] >> np.arange(5) & 1).astype(np.uint8)
    x_train, y_train, x_test, y_test = tishby12.split(patterns, np.arange(20) % 2, seed=3)
    assert (len(x_train), len(x_test)) == (16, 4)
    rows = {tuple(r) for r in np.concatenate([x_train, x_test]).astype(int)}
    assert rows == {tuple(r) for r in patterns.astype(int)}
    again = tishby12.split(patterns, np.arange(20) % 2, seed=3)
    np.testing.assert_array_equal(again[0], x_train)


@pytest.mark.parametrize(
    "content, message",
    [
        ({"F": np.zeros((4096, 11), np.uint8), "y": np.zeros((1, 4096))}, "shape"),
        ({"F": np.zeros((4096, 12), np.uint8)}, "expected variables F and y"),
        ({"F": np.full((4096, 12), 2, np.uint8), "y": np.zeros((1, 4096))}, "only 0 and 1"),
        ({"F": np.zeros((4096, 12), np.uint8), "y": np.zeros((1, 4096))}, "each 12-bit"),
    ],
)
def test_a_wrong_mat_file_is_named_with_what_is_wrong(content, message, tmp_path):
    path = tmp_path / "var_u.mat"
    scipy.io.savemat(path, content)
    with pytest.raises(DatasetFormatError, match=message) as error:
        tishby12.read_var_u(path)
    assert str(path) in str(error.value)
    (tmp_path / "junk.mat").write_bytes(b"not a mat file")
    with pytest.raises(DatasetFormatError, match="not a readable MAT file"):
        tishby12.read_var_u(tmp_path / "junk.mat")


def test_the_licence_ships_beside_the_data():
    licence = tishby12.tishby12_path().with_name("LICENSE-ibsgd").read_text()
    assert "MIT License" in licence and "Saxe" in licence


# --------------------------------------------------------------------------------------------
# The models: one table over both
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_representations_are_one_pass_ending_in_the_softmax(name):
    model = build_model(name, **TINY[name])
    x = inputs(name)
    reps, output = model.representations_and_output(x)
    assert list(reps) == NAMES[name] == list(model.representation_names)
    np.testing.assert_allclose(np.asarray(output), np.asarray(model(x)), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(reps["softmax"]), np.asarray(output))
    np.testing.assert_allclose(np.asarray(output).sum(axis=1), 1.0, rtol=1e-5)
    activations = model.representation_activations()
    assert activations["softmax"] == "softmax"
    assert set(activations.values()) - {"softmax"} == {model.activation}


def test_mlp_widths_and_activation_follow_the_arguments():
    model = MLPClassifier(hidden_units=(10, 7, 5, 4, 3), n_classes=2, activation="relu")
    reps, _ = model.representations_and_output(inputs("mlp"))
    assert [int(v.shape[1]) for v in reps.values()] == [10, 7, 5, 4, 3, 2]
    assert all(float(np.min(v)) >= 0.0 for k, v in reps.items() if k != "softmax")


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_config_and_keras_file_round_trip(name, tmp_path):
    model = build_model(name, **TINY[name], activation="sigmoid")
    x = inputs(name)
    model(x)
    clone = type(model).from_config(json.loads(json.dumps(model.get_config())))
    assert clone.get_config() == model.get_config()
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_a_short_fit_on_labels_lowers_the_cross_entropy(name):
    model = build_model(name, learning_rate=0.01, **TINY[name])
    x, y = inputs(name, 64), labels(name, 64)
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history
    assert all(math.isfinite(v) for v in history["loss"])
    assert history["loss"][-1] < history["loss"][0]
    assert 0.0 <= history["accuracy"][-1] <= 1.0


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_the_same_seed_gives_the_same_weights(name):
    weights = []
    for _ in range(2):
        keras.utils.set_random_seed(3)
        model = build_model(name, **TINY[name])
        model.build((None, INPUT_WIDTH[name]))
        weights.append([np.asarray(w) for w in model.weights])
    for first, second in zip(*weights, strict=True):
        np.testing.assert_array_equal(first, second)


def test_the_truncated_normal_init_has_variance_one_over_units():
    model = build_model("mlp", hidden_units=(400,), n_classes=2, init="truncated-normal")
    model.build((None, 300))
    kernel = np.asarray(model.blocks[0].kernel)
    bound = 2.0 / math.sqrt(400)  # truncated at two standard deviations
    assert np.abs(kernel).max() <= bound
    # A normal truncated at ±2σ keeps 0.7737 of its variance.
    assert np.std(kernel) == pytest.approx(math.sqrt(0.7737) / 20, rel=0.03)
    assert not np.any(np.asarray(model.blocks[0].bias))


@pytest.mark.parametrize(
    "make, parameter",
    [
        (lambda: MLPClassifier(hidden_units=()), "hidden_units"),
        (lambda: MLPClassifier(activation="softplus"), "activation"),
        (lambda: MLPClassifier(n_classes=1), "n_classes"),
        (lambda: ConvClassifier(filters=(8,)), "filters"),
        (lambda: ConvClassifier(dense_units=0), "dense_units"),
        (lambda: MLPClassifier(init="he"), "init"),
    ],
)
def test_bad_hyperparameters_name_the_parameter(make, parameter):
    with pytest.raises(ValueError, match=parameter):
        make()


def test_the_cnn_refuses_inputs_that_are_not_square_images():
    with pytest.raises(ValueError, match="square images"):
        ConvClassifier()(np.zeros((2, 12), np.float32))


def test_train_config_gives_classifiers_their_classes_and_autoencoders_no_activation():
    hparams = TrainConfig(model="mlp", activation="relu").model_hparams(n_classes=2)
    assert hparams == {"activation": "relu", "init": "keras", "n_classes": 2}
    with pytest.raises(ParameterError, match="n_classes"):
        TrainConfig(model="cnn").model_hparams()
    with pytest.raises(ParameterError, match="activation is a classifier's option"):
        TrainConfig(model="deep", activation="tanh").validate()
    with pytest.raises(ParameterError, match="activation must be one of"):
        TrainConfig(model="mlp", activation="gelu").validate()


# --------------------------------------------------------------------------------------------
# Runs: trained, measured, restored
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tishby_run(tmp_path_factory):
    from infoplane_tf.workflows.training import run as train

    config = TrainConfig(
        model="mlp", dataset="tishby12", activation="tanh", epochs=3, batch_size=256,
        learning_rate=0.01, record="log:6", checkpoints="log:3", probe_size=64,
        init="truncated-normal", out=str(tmp_path_factory.mktemp("suite") / "tishby12-tanh"),
    )  # fmt: skip
    return ip.load_run(train(config))


def test_a_classifier_run_records_the_supervised_plane_and_its_accuracy(tishby_run):
    summary = tishby_run.summary
    assert 0.0 <= summary["final"]["test_accuracy"] <= 1.0
    assert "test_reconstruction_error" not in summary["final"]
    trajectory = tishby_run.trajectory
    assert trajectory.layers == ("H1", "H2", "H3", "H4", "H5", "softmax")
    i_ty = trajectory.i_t_label
    assert i_ty is not None and np.all(np.isfinite(i_ty)) and np.all(i_ty >= 0)
    # I(T;Y) ≤ H(Y) ≤ 1 bit for a binary label (Rényi α near 1, up to estimator slack).
    assert np.all(i_ty <= 1.05)
    history = tishby_run.history
    assert len(history.test_loss) == 3 and np.all(np.isfinite(history.test_loss))
    assert tishby_run.directory.read_examples() is None  # no pictures of a classifier
    from infoplane_tf.analysis.summary import summarize

    row = summarize(tishby_run)
    assert row["layer"] == "H5"  # the last hidden layer, not the softmax
    assert row["test_error"] == pytest.approx(1 - summary["final"]["test_accuracy"])


def test_a_classifier_checkpoint_restores_and_is_measured_by_every_family(tishby_run):
    model = build_recorded_model(tishby_run.config)
    assert isinstance(model, MLPClassifier) and model.n_classes == 2
    assert model.activation == "tanh"
    families = ip.measure(tishby_run, family=("renyi", "binning", "kde", "knn"), bins=(30,),
                          controls=1)  # fmt: skip
    assert sorted(families) == ["binning-30", "kde-0.1", "knn-3", "renyi"]
    for member, measured in families.items():
        trajectory = measured.trajectory
        np.testing.assert_array_equal(trajectory.iterations, tishby_run.checkpoints)
        assert np.all(np.isfinite(trajectory.i_xt)), member
        assert trajectory.layers == ("H1", "H2", "H3", "H4", "H5", "softmax"), member
    # Binning counts distinct codes: I(X;T) = H(T) ≤ log2 of the 64 probe patterns.
    assert np.all(families["binning-30"].trajectory.i_xt <= 6.0 + 1e-9)


def test_the_report_judges_every_claim_under_every_member_with_figures(tishby_run):
    runner = CliRunner()
    measure = ["measure", str(tishby_run.path), "--name", "fam", "--family", "renyi,binning",
               "--bins", "30", "--controls", "1", "-q"]  # fmt: skip
    result = runner.invoke(cli, measure)
    assert result.exit_code == 0, result.output
    suite = tishby_run.path.parent
    result = runner.invoke(cli, ["report", str(suite), "--families", "fam"])
    assert result.exit_code == 0, result.output
    text = (suite / "REPORT.md").read_text()
    assert "## mlp on tishby12 (tishby12-tanh × 1; last hidden layers H4, H5)" in text
    table = [line for line in text.splitlines() if line.startswith("| Fitting")][0]
    assert len(table.split(" | ")) == 3  # the claim, then one cell per member
    assert "tanh: " in table and "ΔI(T;Y)" in table
    for figure in ("mlp-on-tishby12-seeds", "tishby12-tanh-planes", "tishby12-tanh-saturation"):
        assert (suite / "figures" / f"{figure}.png").stat().st_size > 10_000
        assert f"figures/{figure}.png" in text
    from infoplane_tf.plotting import plot_families

    figure = plot_families(ip.load_run(tishby_run.path, "fam"))
    assert figure.axes[0].get_ylabel() == "$I(T;Y)$ (bits)"


def test_a_stopped_classifier_run_resumes_to_the_same_weights_and_points(tmp_path, monkeypatch):
    from infoplane_tf.callbacks.resume import ResumeCallback
    from infoplane_tf.errors import TrainingInterrupted
    from infoplane_tf.io.checkpoints import list_checkpoints, read_checkpoint
    from infoplane_tf.workflows import training

    def config(out):
        return TrainConfig(model="mlp", dataset="tishby12", activation="relu", epochs=3,
                           batch_size=512, learning_rate=0.01, record="every:3",
                           checkpoints="every:5", probe_size=40, out=str(out))  # fmt: skip

    reference = training.run(config(tmp_path / "whole"))
    original = ResumeCallback.on_train_begin

    def stop_after_the_first_epoch(self, logs=None):
        original(self, logs)
        self.stop_reason = "test"

    with monkeypatch.context() as patch:
        patch.setattr(ResumeCallback, "on_train_begin", stop_after_the_first_epoch)
        with pytest.raises(TrainingInterrupted):
            training.run(config(tmp_path / "stopped"))
    resumed = training.resume(tmp_path / "stopped")
    ours, theirs = ip.load_run(resumed), ip.load_run(reference)
    np.testing.assert_array_equal(ours.trajectory.i_xt, theirs.trajectory.i_xt)
    np.testing.assert_array_equal(ours.history.test_loss, theirs.history.test_loss)
    iterations = list_checkpoints(reference / "checkpoints")
    assert list_checkpoints(resumed / "checkpoints") == iterations and len(iterations) > 2
    for iteration in iterations:
        mine, _ = read_checkpoint(resumed / "checkpoints", iteration)
        other, _ = read_checkpoint(reference / "checkpoints", iteration)
        assert all(mine[key].tobytes() == other[key].tobytes() for key in other), iteration


def test_train_from_the_command_line_as_the_readme_shows(tmp_path):
    out = tmp_path / "relu"
    result = CliRunner().invoke(cli, [
        "train", "--model", "mlp", "--dataset", "tishby12", "--activation", "relu",
        "--hidden", "10-7-5", "--epochs", "1", "--record", "log:2", "--probe-size", "32",
        "--out", str(out), "-q",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((out / "config.json").read_text())
    assert (config["activation"], config["hidden_units"]) == ("relu", [10, 7, 5])
    result = CliRunner().invoke(cli, ["train", "--model", "deep", "--activation", "relu"])
    assert result.exit_code != 0
    assert "Invalid value for '--activation': is a classifier's option" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------------
# The classifier suite
# --------------------------------------------------------------------------------------------


def test_the_classifier_suite_runs_each_experiment_with_its_own_settings(tmp_path):
    runs, spec = classifier_runs(tmp_path, sigma="median")
    keys = [run.key for run in runs]
    assert keys[:5] == [f"tishby12-tanh/seed-{k}" for k in range(5)]
    assert keys[10:] == ["mnist-mlp-tanh", "mnist-mlp-relu", "mnist-cnn"]
    by_key = {run.key: run.config for run in runs}
    tanh = by_key["tishby12-tanh/seed-3"]
    assert (tanh.dataset, tanh.activation, tanh.epochs, tanh.seed) == (
        "tishby12",
        "tanh",
        10_000,
        3,
    )
    assert (tanh.batch_size, tanh.learning_rate, tanh.hidden_units) == (256, 4e-4, (10, 7, 5, 4, 3))
    assert tanh.sigma == "median"  # a suite option the experiments leave
    mlp = by_key["mnist-mlp-relu"]
    assert (mlp.dataset, mlp.optimizer, mlp.hidden_units) == ("mnist", "sgd", (1024, 20, 20, 20))
    assert spec["grid"]["seeds"] == [e.seeds for e in CLASSIFIER_EXPERIMENTS]
    few, _ = classifier_runs(tmp_path, experiments=["mnist-cnn"], seeds=2, dataset="mnist-5k",
                             epochs_scale=0.1)  # fmt: skip
    assert [(r.key, r.config.dataset, r.config.epochs) for r in few] == [
        ("mnist-cnn/seed-0", "mnist-5k", 2),
        ("mnist-cnn/seed-1", "mnist-5k", 2),
    ]


def test_a_sweep_takes_a_classic_experiment_with_its_own_dataset(tmp_path):
    from infoplane_tf.workflows.grid import expand

    runs = expand({"experiment": ["tishby12-relu"], "seed": [0, 1]}, tmp_path, epochs_scale=0.01)
    assert [(r.key, r.config.dataset, r.config.epochs) for r in runs] == [
        ("tishby12-relu/seed-0", "tishby12", 100),
        ("tishby12-relu/seed-1", "tishby12", 100),
    ]
    with pytest.raises(ParameterError, match="dataset must be given"):
        expand({"experiment": ["tishby12-relu", "mnist-cnn"]}, tmp_path)


@pytest.mark.parametrize(
    "kwargs, parameter",
    [
        ({"suite": "classifiers", "experiments": ["deep"]}, "experiments"),
        ({"suite": "classifiers", "epochs": 5}, "epochs"),
        ({"suite": "autoencoders"}, "dataset"),
        ({"suite": "gans"}, "suite"),
    ],
)
def test_reproduce_names_what_is_wrong_before_running(kwargs, parameter, tmp_path):
    with pytest.raises(ParameterError, match=parameter):
        reproduce(None, tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_every_classifier_experiment_is_a_valid_training_run():
    for experiment in CLASSIFIER_EXPERIMENTS:
        config = TrainConfig(model=experiment.model, **dict(experiment.options))
        config = dataclasses.replace(config, dataset=experiment.dataset)
        config.validate()
        assert MODELS[experiment.model].classifier
