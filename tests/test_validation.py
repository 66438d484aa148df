"""The shared argument checks (``infoplane_tf.validation``)."""

import math

import pytest

from infoplane_tf.validation import (
    ParameterError,
    fraction,
    names,
    non_negative_float,
    one_of,
    positive_float,
    positive_int,
    positive_ints,
    sigma_rule,
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
            sigma_rule,
            "wide",
            "x must be one of paper, scaled, median, silverman, knn, alignment or a number > 0",
        ),
        (
            sigma_rule,
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
    assert sigma_rule("x", "0.5") == 0.5 and sigma_rule("x", "median") == "median"
    assert positive_ints("x", (w for w in (256, 128))) == (256, 128)  # a generator, read once
    assert names("x", (n for n in ["E1", "Z"])) == ("E1", "Z")
    assert positive_ints("x", ()) == ()


def test_a_remedy_is_named():
    error = ParameterError("out", "runs/a already exists", remedy="overwrite")
    assert str(error) == "out runs/a already exists (set overwrite)"
    assert error.remedy == "overwrite" and error.requirement == "runs/a already exists"
