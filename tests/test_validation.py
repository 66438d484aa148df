"""The shared argument checks (``infoplane_tf.validation``)."""

import math

import pytest

from infoplane_tf.validation import (
    ParameterError,
    fraction,
    kernel_width,
    names,
    non_negative_float,
    one_of,
    positive_float,
    positive_int,
    positive_ints,
)


@pytest.mark.parametrize(
    "check, value, message",
    [
        (positive_int, 0, "x must be a positive integer, got 0"),
        (positive_int, True, "x must be a positive integer, got True"),
        (positive_int, 2.0, "x must be a positive integer, got 2.0"),
        (positive_float, math.inf, "x must be a finite number > 0, got inf"),
        (positive_float, "1", "x must be a finite number > 0, got '1'"),
        (non_negative_float, -0.5, "x must be a finite number >= 0, got -0.5"),
        (fraction, 1.0, "x must be a number in (0, 1), got 1.0"),
        (positive_ints, (3, 0), "x must be a sequence of positive integers, got (3, 0)"),
        (positive_ints, "12", "x must be a sequence of positive integers, got '12'"),
        (names, "E1", "x must be a list of names, got 'E1'"),
        (names, 5, "x must be a list of names, got 5"),
        (
            kernel_width,
            "wide",
            "x must be one of paper, scaled, median, silverman, knn, alignment or a number > 0",
        ),
        (
            kernel_width,
            0,
            "x must be one of paper, scaled, median, silverman, knn, alignment or a number > 0, "
            "got 0",
        ),
    ],
)
def test_bad_values_name_the_parameter(check, value, message):
    with pytest.raises(ParameterError) as error:
        check("x", value)
    assert str(error.value).startswith(message) and error.value.parameter == "x"


def test_good_values_come_back_normalized():
    assert positive_int("x", 3, minimum=2) == 3
    assert fraction("x", 1, include_one=True) == 1.0
    assert one_of("x", "b", ("a", "b")) == "b"
    assert kernel_width("x", "0.5") == 0.5 and kernel_width("x", "median") == "median"
    assert positive_ints("x", (w for w in (256, 128))) == (256, 128)  # a generator, read once
    assert names("x", (n for n in ["E1", "Z"])) == ("E1", "Z")
    assert positive_ints("x", ()) == ()


def test_a_remedy_is_named():
    error = ParameterError("out", "runs/a already exists", remedy="overwrite")
    assert str(error) == "out runs/a already exists (set overwrite)"
    assert error.remedy == "overwrite" and error.requirement == "runs/a already exists"


def test_sigma_rule_is_sigma_since_0_7_and_still_works_with_a_warning(tmp_path):
    import dataclasses
    import json

    from infoplane_tf.io.options import TrainConfig, config_from_json
    from infoplane_tf.io.run_dir import RunDirectory
    from infoplane_tf.workflows.grid import check_grid

    with pytest.warns(DeprecationWarning, match=r"TrainConfig\(sigma_rule=...\) is sigma=") as seen:
        config = TrainConfig(sigma_rule="median")
    assert seen[0].filename == __file__  # pointed at the caller: Python shows it to users
    assert config.sigma == "median" and "sigma_rule" not in dataclasses.asdict(config)
    assert dataclasses.replace(config, seed=1).sigma == "median"
    assert TrainConfig().sigma == "paper"
    # a run written before 0.7 reads with the new name, silently (its file is not a call)
    assert config_from_json({"sigma_rule": "knn", "model": "deep"}).sigma == "knn"
    (tmp_path / "config.json").write_text(json.dumps({"sigma_rule": "knn"}))
    assert RunDirectory(tmp_path).read_config() == {"sigma": "knn"}
    with pytest.warns(DeprecationWarning, match=r"grid\(sigma_rule=...\) is sigma="):
        assert check_grid({"sigma_rule": ["median", "0.5"]}) == {"sigma": ["median", 0.5]}


def test_the_old_sigma_flag_still_works_with_a_warning():
    from click.testing import CliRunner

    from infoplane_tf_cli.main import cli

    result = CliRunner().invoke(cli, ["train", "--sigma-rule", "wide", "--dataset", "mnist-5k"])
    assert result.exit_code == 2
    assert "warning: --sigma-rule is --sigma since 0.7" in result.output
    assert "Invalid value for '--sigma': must be one of paper" in result.output
    help_text = CliRunner().invoke(cli, ["train", "--help"]).output
    assert "--sigma " in help_text and "--sigma-rule" not in help_text
