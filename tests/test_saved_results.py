"""Every run shipped in saved_results/ loads, has the full schema and covers its whole run."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import infoplane_tf as ip
from infoplane_tf.catalog import CLASSIFIER_EXPERIMENTS, EXPERIMENT_NAMES, MODELS
from infoplane_tf.io.checkpoints import read_checkpoint
from infoplane_tf.io.run_dir import RunDirectory
from infoplane_tf.io.runs import is_run_dir, load_run
from infoplane_tf_cli.main import cli

SAVED = Path(__file__).resolve().parent.parent / "saved_results"
RUNS = sorted(p.parent for p in SAVED.rglob("config.json") if is_run_dir(p.parent))


def test_results_are_shipped():
    assert RUNS, f"no run directories under {SAVED}"
    assert (SAVED / "fashion-mnist" / "REPORT.md").is_file()


def _suites_fast(paths):
    """The two paper suites in the fast run; the other studies' runs (seeds, widths, inits)
    are checked by the full suite."""
    suites = ("fashion-mnist", "mnist")
    return [
        pytest.param(
            p,
            id=str(p.relative_to(SAVED)),
            marks=() if p.parent.name in suites else pytest.mark.slow,
        )
        for p in paths
    ]


@pytest.mark.parametrize("path", _suites_fast(RUNS))
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
    classifier = MODELS[config["model"]].classifier
    assert (run.examples is None) == classifier  # a classifier's output is no picture
    readme = (SAVED / "README.md").read_text()
    if path.parent.parent.parent.name == "seeds":
        # The MNIST seed study left its final weights out for the budget, and says so.
        assert "their `model.keras` files (1.9 MB each) were removed" in readme
    elif path.name.startswith("mnist-mlp-"):  # so did the classifier study's MNIST MLPs
        assert "MNIST MLP runs' `model.keras` (3.2 MB each, float32) were removed" in readme
        assert run.checkpoints[-1] == total
    else:
        assert (path / "model.keras").is_file()


FASHION = SAVED / "fashion-mnist"
MNIST = SAVED / "mnist"
SUITE = [FASHION / name for name in EXPERIMENT_NAMES]
MNIST_SUITE = [MNIST / name for name in EXPERIMENT_NAMES]


@pytest.mark.parametrize("path", MNIST_SUITE, ids=EXPERIMENT_NAMES)
def test_the_mnist_runs_are_the_papers_settings_on_full_mnist_with_checkpoints(path):
    run = load_run(path)
    config = run.config
    assert config["dataset"] == "mnist" and config["dataset_info"]["n_train"] in (60000, 6000)
    assert config["record"] == "iteration" and config["sigma"] == "paper"
    assert config["checkpoints"] == "log:12" and config["checkpoint_dtype"] == "float16"
    assert run.checkpoints[0] == 0 and run.checkpoints[-1] == 30000 and len(run.checkpoints) == 13
    x, y = RunDirectory(path).read_probe()
    assert x.shape == (100, 784) and y[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]


def _is_family_study(path: Path) -> bool:
    """A file (relative to its suite) of the estimator-family study (issue 24), which has a
    budget of its own: REPORT-families.md, figures/families/, measurements/families*/."""
    return path.name == "REPORT-families.md" or any(
        part.startswith("families") for part in path.parts[:-1]
    )


def test_the_mnist_study_fits_its_budget():
    files = [f for f in MNIST.rglob("*")
             if f.is_file() and not _is_family_study(f.relative_to(MNIST))]  # fmt: skip
    assert 0 < sum(f.stat().st_size for f in files) <= 100e6


def test_the_estimator_family_study_fits_its_budget():
    files = [f for suite in (MNIST, FASHION) for f in suite.rglob("*")
             if f.is_file() and _is_family_study(f.relative_to(suite))]  # fmt: skip
    kinds = {f.name for f in files}
    assert {"REPORT-families.md", "families.json", "deep.png"} <= kinds
    assert 0 < sum(f.stat().st_size for f in files) <= 15e6


@pytest.mark.parametrize("path", SUITE, ids=EXPERIMENT_NAMES)
def test_the_fashion_mnist_runs_keep_float16_checkpoints(path):
    run = load_run(path)
    assert run.config["checkpoints"] == "log:24" and run.config["checkpoint_dtype"] == "float16"
    total = int(run.trajectory.iterations[-1])
    assert run.checkpoints[0] == 0 and run.checkpoints[-1] == total and len(run.checkpoints) == 24
    values, epoch = read_checkpoint(path / "checkpoints", total)
    assert epoch == run.config["epochs"] and all(v.dtype != np.float64 for v in values.values())
    assert not (path / "resume.npz").exists()  # finished runs keep no resume state


def test_saved_checkpoints_fit_the_budget():
    checkpoints = sum(f.stat().st_size for f in FASHION.rglob("checkpoints/*.npz"))
    assert 0 < checkpoints < 150e6


@pytest.mark.parametrize(
    "path",
    [p if p.name == "sparse" else pytest.param(p, marks=pytest.mark.slow) for p in SUITE]
    + [p if p.name == "sparse" else pytest.param(p, marks=pytest.mark.slow) for p in MNIST_SUITE],
    ids=[f"fashion-mnist-{n}" for n in EXPERIMENT_NAMES] + [f"mnist-{n}" for n in EXPERIMENT_NAMES],
)
def test_float16_checkpoints_remeasure_the_recorded_trajectory_within_0_01_bit(path):
    # Each run keeps its probe (probe.npz): no dataset is needed.
    run = load_run(path)
    measured = ip.measure(run).trajectory
    rows = np.searchsorted(run.trajectory.iterations, measured.iterations)
    np.testing.assert_array_equal(run.trajectory.iterations[rows], run.checkpoints)
    for key in ("i_xt", "i_t_out", "h_t", "i_t_label"):
        difference = np.abs(getattr(measured, key) - getattr(run.trajectory, key)[rows])
        assert difference.max() <= 0.01, (key, difference.max())


def test_the_saved_sparse_run_measures_from_the_command_line(tmp_path):
    run = tmp_path / "sparse"
    shutil.copytree(FASHION / "sparse", run)
    arguments = ["measure", str(run), "--name", "gamma1", "--gamma", "1"]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    measured = load_run(run, "gamma1").trajectory
    assert measured.settings["estimator"]["gamma"] == 1.0
    np.testing.assert_array_equal(measured.iterations, load_run(run).checkpoints)
    assert np.isfinite(measured.i_xt).all()


CLASSIFIERS = SAVED / "classifiers"
CLASSIFIER_RUNS = sorted(p for p in RUNS if CLASSIFIERS in p.parents)
FAMILY_MEMBERS = ["renyi", "binning-10", "binning-30", "binning-100", "kde-0.001", "kde-0.01",
                  "kde-0.1", "knn-3"]  # fmt: skip


def test_the_classifier_study_holds_every_experiment_and_fits_its_budget():
    made = {p.relative_to(CLASSIFIERS).parts[0] for p in CLASSIFIER_RUNS}
    assert made == {e.name for e in CLASSIFIER_EXPERIMENTS}
    seeds = {
        e.name: sum(1 for p in CLASSIFIER_RUNS if e.name in p.parts) for e in CLASSIFIER_EXPERIMENTS
    }
    assert seeds == {e.name: e.seeds for e in CLASSIFIER_EXPERIMENTS}
    total = sum(f.stat().st_size for f in CLASSIFIERS.rglob("*") if f.is_file())
    assert 0 < total <= 40e6


@pytest.mark.parametrize("path", CLASSIFIER_RUNS, ids=lambda p: str(p.relative_to(CLASSIFIERS)))
def test_each_classifier_run_has_its_experiments_settings_and_four_families(path):
    run = load_run(path, "families")
    name = path.relative_to(CLASSIFIERS).parts[0]
    (experiment,) = [e for e in CLASSIFIER_EXPERIMENTS if e.name == name]
    for option, value in experiment.options.items():
        assert run.config[option] == (list(value) if isinstance(value, tuple) else value), option
    assert run.config["dataset"] == (experiment.dataset or "mnist")
    assert list(run.families) == FAMILY_MEMBERS
    for member, measured in run.families.items():
        np.testing.assert_array_equal(measured.trajectory.iterations, run.checkpoints)
        assert len(measured.controls["fresh-init"]["seeds"]) == 3, member
        assert measured.diagnostics is not None, member
    assert run.summary["final"]["test_accuracy"] > 0.5
    fixed = load_run(path, "binwidth")  # Saxe et al.'s fixed-width bins, beside
    assert list(fixed.families) == ["binwidth-0.07"]
    np.testing.assert_array_equal(fixed.trajectory.iterations, run.checkpoints)


def test_the_classifier_report_judges_every_claim_for_every_network():
    text = (CLASSIFIERS / "REPORT.md").read_text()
    for heading in ("## mlp on tishby12 (tishby12-tanh × 5, tishby12-relu × 5;",
                    "## mlp on mnist (mnist-mlp-tanh × 1, mnist-mlp-relu × 1;",
                    "## cnn on mnist (mnist-cnn × 1;"):  # fmt: skip
        assert heading in text, heading
    claims = text.split("## What the papers state")[0]
    rows = [line for line in claims.splitlines() if line.startswith("| Fitting")]
    columns = 1 + len(FAMILY_MEMBERS) + 1  # the claim, the family set, the fixed-width bins
    assert len(rows) == 3 and all(len(row.split(" | ")) == columns for row in rows)
