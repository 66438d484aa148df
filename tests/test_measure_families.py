"""A run's checkpoints under several estimator families (``workflows.families``), stored as a
family set (``io.measurements``), plotted side by side and reported (``reports.families``)."""

import json
import shutil

import keras
import numpy as np
import pytest
from click.testing import CliRunner

import infoplane_tf as ip
from infoplane_tf.estimator.families import family_point
from infoplane_tf.io.runs import RunFormatError, load_run, write_measurement
from infoplane_tf.models.restore import build_recorded_model
from infoplane_tf.plotting import plot_families, plot_runs
from infoplane_tf.validation import ParameterError
from infoplane_tf_cli.main import cli

FAMILIES = ("binning", "kde", "knn", "renyi")
MEMBERS = ["binning-10", "binning-30", "kde-0.1", "knn-3", "renyi"]


@pytest.fixture(scope="module")
def deep_run(tiny_run, tmp_path_factory):
    return tiny_run(tmp_path_factory.mktemp("runs") / "deep")


@pytest.fixture(scope="module")
def family_set(deep_run):
    return ip.measure(deep_run, family=FAMILIES, bins=(10, 30), controls=1)


def probe(run):
    x, y = run.directory.read_probe()
    return x[: run.config["probe_size"]], y[: run.config["probe_size"]]


def test_every_member_is_its_family_on_each_checkpoints_own_forward_pass(deep_run, family_set):
    assert list(family_set) == MEMBERS
    x, y = probe(deep_run)
    for member, measured in family_set.items():
        trajectory = measured.trajectory
        np.testing.assert_array_equal(trajectory.iterations, deep_run.checkpoints)
        assert trajectory.settings["estimator"].get("family", "renyi") == member.split("-")[0]
    for row, iteration in enumerate(deep_run.checkpoints[::2]):
        model = deep_run.model_at(iteration)
        layers, output = model.representations_and_output(x)
        activations = model.representation_activations()
        for member in MEMBERS[:-1]:
            name, value = member.split("-")
            value = int(value) if name in ("binning", "knn") else float(value)
            point = family_point(name, value, layers, output, x, y, activations,
                                 output_activation=model.output_activation)  # fmt: skip
            measured = family_set[member].trajectory
            for key in ("i_xt", "i_t_out", "h_t", "i_t_label"):
                np.testing.assert_allclose(getattr(measured, key)[2 * row], point[key], atol=1e-9)
    recorded = ip.measure(deep_run).trajectory
    np.testing.assert_allclose(family_set["renyi"].trajectory.i_xt, recorded.i_xt, atol=1e-6)


def test_controls_are_each_family_on_fresh_networks(deep_run, family_set):
    x, y = probe(deep_run)
    (seed,) = family_set["knn-3"].controls["fresh-init"]["seeds"]
    keras.utils.set_random_seed(seed)
    model = build_recorded_model(deep_run.config)
    layers, output = model.representations_and_output(x)
    point = family_point("knn", 3, layers, output, x, y)
    fresh = family_set["knn-3"].controls["fresh-init"]["i_xt"]
    for j, name in enumerate(family_set["knn-3"].trajectory.layers):
        assert fresh[name] == [pytest.approx(point["i_xt"][j], abs=1e-9)]


def test_kde_keeps_its_lower_bound_beside_the_upper(family_set):
    kde = family_set["kde-0.1"]
    assert kde.trajectory.settings["estimator"]["bound"] == "upper"
    assert kde.lower.settings["estimator"]["bound"] == "lower"
    assert np.all(kde.lower.i_xt <= kde.trajectory.i_xt + 1e-12)
    assert all(family_set[m].lower is None for m in MEMBERS if m != "kde-0.1")


def test_binning_says_which_range_it_binned(family_set):
    ranges = family_set["binning-30"].trajectory.settings["estimator"]["range"]
    assert ranges == {"E1": "activation", "E2": "activation", "Z": "activation",
                      "D1": "activation", "D2": "activation", "output": "activation"}  # fmt: skip


def test_a_family_set_round_trips_through_the_run_directory_and_plots(
    deep_run, family_set, tmp_path
):
    run_dir = tmp_path / "deep"
    shutil.copytree(deep_run.path, run_dir, ignore=shutil.ignore_patterns("measurements"))
    write_measurement(run_dir, "fam", family_set)
    loaded = load_run(run_dir, "fam")
    assert list(loaded.families) == MEMBERS
    for member, measured in family_set.items():
        back = loaded.families[member]
        for key in ("i_xt", "i_t_out", "h_t", "sigma", "i_t_label"):
            np.testing.assert_allclose(getattr(back.trajectory, key),
                                       getattr(measured.trajectory, key), rtol=1e-6)  # fmt: skip
        fresh, written = back.controls["fresh-init"], measured.controls["fresh-init"]
        assert fresh["seeds"] == written["seeds"]
        for layer, values in written["i_xt"].items():
            assert fresh["i_xt"][layer] == pytest.approx(values, rel=1e-6)
    np.testing.assert_allclose(loaded.families["kde-0.1"].lower.i_xt,
                               family_set["kde-0.1"].lower.i_xt, rtol=1e-6)  # fmt: skip
    one = load_run(run_dir, "fam/knn-3")
    assert one.families is None and one.label.endswith("[fam/knn-3]")
    np.testing.assert_allclose(one.trajectory.i_xt, family_set["knn-3"].trajectory.i_xt,
                               rtol=1e-6)  # fmt: skip
    with pytest.raises(RunFormatError, match="no member 'knn-5'; it has: binning-10"):
        load_run(run_dir, "fam/knn-5")
    (figure,) = plot_runs(loaded, tmp_path / "families.png", kind="families")
    assert figure.read_bytes().startswith(b"\x89PNG")
    (plane,) = plot_runs(one, tmp_path / "knn.png", kind="ip")
    assert plane.read_bytes().startswith(b"\x89PNG")


def test_several_family_sets_in_one_figure_get_a_row_pair_each(deep_run, family_set, tmp_path):
    run_dir = tmp_path / "deep"
    shutil.copytree(deep_run.path, run_dir, ignore=shutil.ignore_patterns("measurements"))
    write_measurement(run_dir, "a", family_set)
    write_measurement(run_dir, "b", {name: family_set[name] for name in ("knn-3", "renyi")})
    figure = plot_families([load_run(run_dir, "a"), load_run(run_dir, "b")])
    drawn = [ax for ax in figure.axes if ax.axison]
    assert len(figure.axes) == 4 * len(MEMBERS) and len(drawn) == 2 * (len(MEMBERS) + 2)
    titles = [ax.get_title() for ax in figure.axes[: len(MEMBERS)]]
    assert titles[3] == "a\nknn, k = 3" and titles[0].startswith("a\nbinning, B = 10")
    second = [ax.get_title() for ax in figure.axes[2 * len(MEMBERS) : 3 * len(MEMBERS)]]
    assert second[:2] == ["b\nknn, k = 3", "b\nrenyi, α = 1.01, σ paper, γ = 2.0"]
    assert not any(second[2:])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"family": "nope"},
            "family must be one of renyi, binning, binwidth, kde, knn, got 'nope'",
        ),
        ({"family": ("knn", "knn")}, "family names a family twice"),
        ({"bins": 30}, "bins is a parameter of family 'binning', not measured"),
        ({"family": "binning", "bins": 0}, "bins must be a positive integer, got 0"),
        ({"family": "kde", "noise_variance": -1.0}, "noise_variance must be a finite number > 0"),
        ({"family": ("knn", "renyi"), "gamma": (1.0, 2.0)}, "gamma must be one value"),
        ({"family": "knn", "k": 30}, "k must be below the probe's 30 samples, got 30"),
        ({"family": "knn", "bootstrap": 5}, "bootstrap cannot be combined with family 'knn'"),
        ({"family": "kde", "alpha": 2.0}, "alpha is a setting of family 'renyi', not measured"),
        ({"family": "knn", "estimator": "slq"}, "estimator is a setting of family 'renyi'"),
        ({"family": "kde", "noise_variance": (0.1234567, 0.1234568)}, "gives one member name"),
    ],
)
def test_bad_family_requests_are_named(deep_run, options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ip.measure(deep_run, **options)


def test_families_from_the_command_line_into_a_report(deep_run, tmp_path):
    runner = CliRunner()
    suite = tmp_path / "suite"
    shutil.copytree(deep_run.path, suite / "deep", ignore=shutil.ignore_patterns("measurements"))
    run = str(suite / "deep")
    result = runner.invoke(cli, ["measure", run, "--name", "fam", "--family", "binning,knn",
                                 "--bins", "10,30", "--controls", "1", "-q"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert list(load_run(run, "fam").families) == ["binning-10", "binning-30", "knn-3"]
    figure = tmp_path / "fam.png"
    result = runner.invoke(cli, ["plot", run, "--measurement", "fam", "--kind", "families",
                                 "-o", str(figure)])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["summary", run, "--measurement", "fam/knn-3"])
    assert result.exit_code == 0 and "deep [fam/knn-3]" in result.output
    rows = json.loads(runner.invoke(cli, ["summary", run, "--json", "--measurement", "fam"]).output)
    assert [row["member"] for row in rows[0]["families"]] == ["binning-10", "binning-30", "knn-3"]
    assert all(row["fresh_init_bits"] is not None for row in rows[0]["families"])
    result = runner.invoke(cli, ["report", str(suite), "--families", "fam"])
    assert result.exit_code == 0, result.output
    text = (suite / "REPORT-families.md").read_text()
    for member, title in (("binning-10", "binning, B = 10"), ("knn-3", "knn, k = 3")):
        assert f"| fam/{member} | {title}" in text
        assert f"| deep | fam | {title}" in text
    assert (suite / "figures" / "families" / "deep.png").is_file()
    result = runner.invoke(cli, ["report", str(suite), "--measurement", "fam/knn-3"])
    assert result.exit_code == 0, result.output
    assert "re-measured" in (suite / "REPORT-fam-knn-3.md").read_text()
    # Mistakes: one line each, naming the flag.
    for arguments, message in (
        (["measure", run, "--name", "x", "--bins", "30"], "Invalid value for '--bins'"),
        (["measure", run, "--name", "x", "--family", "nope"], "Invalid value for '--family'"),
        (["measure", run, "--name", "x", "--family", "knn", "--k", "2,x"], "comma-separated"),
        (["report", str(suite), "--families", "nope"], "no measurement 'nope'"),
    ):
        result = runner.invoke(cli, arguments)
        assert result.exit_code in (1, 2) and message in result.output, result.output
        assert "Traceback" not in result.output


def test_a_family_report_marks_what_a_family_cannot_tell_from_untrained(deep_run, tmp_path):
    from infoplane_tf.reports import write_family_report

    suite = tmp_path / "suite"
    shutil.copytree(deep_run.path, suite / "deep", ignore=shutil.ignore_patterns("measurements"))
    # Binning on a 30-image probe: every sample its own code at every point, trained or not.
    measured = ip.measure(suite / "deep", family="binning", bins=100, controls=1)
    assert np.allclose(measured["binning-100"].trajectory.i_xt[:, 0], np.log2(30))
    write_measurement(suite / "deep", "coarse", measured)
    with pytest.raises(ParameterError, match="labels needs at least one"):
        write_family_report(suite, [])
    text = write_family_report(suite, ["coarse"]).read_text()
    row = next(line for line in text.splitlines() if line.startswith("| coarse/binning-100"))
    numbers = next(
        line for line in text.splitlines() if line.startswith("| deep | coarse | binning")
    )
    assert "| 4.91 | 4.91 |" in numbers  # iteration 0 and the fresh level: log2 30
    assert row.count("✓") + row.count("✗") + row.count("·") + row.count("?") == 6


def test_a_readout_knows_its_outputs_activation():
    from infoplane_tf.readout import Readout

    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(3, activation="relu", name="h")(inputs)
    functional = keras.Model(inputs, keras.layers.Dense(2, activation="tanh")(hidden))
    assert Readout.for_model(functional).output_activation == "tanh"
    zoo = ip.build_model("deep", output_activation="linear")
    assert Readout.for_model(zoo, x_sample=np.zeros((2, 784), np.float32)).output_activation == (
        "linear"
    )
