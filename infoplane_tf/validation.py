"""Argument checks shared by the whole library (plain Python, no TensorFlow).

Every check raises ``ParameterError``, a ``ValueError`` that names the Python parameter, so the
command line can say which ``--flag`` was wrong without the library knowing about flags.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

from infoplane_tf.catalog import SIGMA_RULES


class ParameterError(ValueError):
    """A bad argument: ``parameter`` is its Python name, ``requirement`` what was expected.

    ``str(error)`` reads ``"<parameter> <requirement>"``, e.g. ``"epochs must be a positive
    integer, got 0"``.
    """

    def __init__(self, parameter: str, requirement: str):
        super().__init__(f"{parameter} {requirement}")
        self.parameter = parameter
        self.requirement = requirement


def positive_int(parameter: str, value, minimum: int = 1) -> int:
    """``value`` as an int; ParameterError unless it is an integer ≥ ``minimum`` (no bools)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ParameterError(parameter, f"must be {expected}, got {value!r}")
    return int(value)


def positive_ints(parameter: str, value) -> tuple[int, ...]:
    """A sequence of integers ≥ 1 (may be empty) as a tuple; ParameterError otherwise."""
    try:
        ok = not isinstance(value, str | bytes) and all(
            not isinstance(item, bool) and isinstance(item, numbers.Integral) and item >= 1
            for item in value
        )
    except TypeError:  # not iterable
        ok = False
    if not ok:
        raise ParameterError(parameter, f"must be a sequence of positive integers, got {value!r}")
    return tuple(int(item) for item in value)


def positive_float(parameter: str, value) -> float:
    """``value`` as a float; ParameterError unless it is a finite number > 0."""
    number = _real(parameter, value, "a finite number > 0")
    if not (math.isfinite(number) and number > 0):
        raise ParameterError(parameter, f"must be a finite number > 0, got {value!r}")
    return number


def non_negative_float(parameter: str, value) -> float:
    """``value`` as a float; ParameterError unless it is a finite number ≥ 0."""
    number = _real(parameter, value, "a finite number >= 0")
    if not (math.isfinite(number) and number >= 0):
        raise ParameterError(parameter, f"must be a finite number >= 0, got {value!r}")
    return number


def fraction(parameter: str, value, *, include_one: bool = False) -> float:
    """``value`` as a float in (0, 1) (or (0, 1] with ``include_one``); else ParameterError."""
    interval = "(0, 1]" if include_one else "(0, 1)"
    number = _real(parameter, value, f"a number in {interval}")
    if not (0 < number < 1 or (include_one and number == 1)):
        raise ParameterError(parameter, f"must be a number in {interval}, got {value!r}")
    return number


def one_of(parameter: str, value, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices``; ParameterError listing them otherwise."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        raise ParameterError(parameter, f"must be one of {', '.join(choices)}, got {value!r}")
    return value


def names(parameter: str, value) -> tuple[str, ...]:
    """A sequence of strings (not one string) as a tuple; ParameterError otherwise."""
    try:
        ok = not isinstance(value, str) and all(isinstance(item, str) for item in value)
    except TypeError:  # not iterable
        ok = False
    if not ok:
        raise ParameterError(parameter, f"must be a list of names, got {value!r}")
    return tuple(value)


def sigma_rule(parameter: str, value) -> str | float:
    """A kernel-width rule: one of ``catalog.SIGMA_RULES``, or a number > 0 (as a float, also
    from text such as ``"0.5"``); ParameterError otherwise."""
    if isinstance(value, str) and value in SIGMA_RULES:
        return value
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise ParameterError(
            parameter, f"must be one of {', '.join(SIGMA_RULES)} or a number > 0, got {value!r}"
        )
    return number


def _real(parameter: str, value, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(parameter, f"must be {expected}, got {value!r}")
    return float(value)
