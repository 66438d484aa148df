"""Argument checks shared by the whole library (plain Python, no TensorFlow).

Every check raises ``ParameterError``, a ``ValueError`` that names the Python parameter, so the
command line can say which ``--flag`` was wrong without the library knowing about flags.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Iterable

from infoplane_tf.width_rules import SIGMA_RULES


class ParameterError(ValueError):
    """A bad argument: ``parameter`` is its Python name, ``requirement`` what was expected, and
    ``remedy`` (optional) another parameter whose setting resolves it.

    ``str(error)`` reads ``"<parameter> <requirement>"``, e.g. ``"epochs must be a positive
    integer, got 0"``, then ``" (set <remedy>)"``.
    """

    def __init__(self, parameter: str, requirement: str, remedy: str | None = None):
        super().__init__(f"{parameter} {requirement}" + (f" (set {remedy})" if remedy else ""))
        self.parameter = parameter
        self.requirement = requirement
        self.remedy = remedy


def positive_int(parameter: str, value, minimum: int = 1) -> int:
    """``value`` as an int; ParameterError unless it is an integer ≥ ``minimum`` (no bools)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        expected = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
        raise ParameterError(parameter, f"must be {expected}, got {value!r}")
    return int(value)


def positive_ints(parameter: str, value) -> tuple[int, ...]:
    """A sequence of integers ≥ 1 (may be empty) as a tuple; ParameterError otherwise."""
    items = _items(value)
    if items is None or not all(
        not isinstance(item, bool) and isinstance(item, numbers.Integral) and item >= 1
        for item in items
    ):
        raise ParameterError(parameter, f"must be a sequence of positive integers, got {value!r}")
    return tuple(int(item) for item in items)


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
    items = _items(value)
    if items is None or not all(isinstance(item, str) for item in items):
        raise ParameterError(parameter, f"must be a list of names, got {value!r}")
    return items


def renamed(owner: str, old: str, new: str, old_value, new_value, depth: int = 1):
    """The value of a parameter renamed in 0.7: ``new_value``, or, when the caller used the old
    name (``old_value`` is not None), ``old_value`` with a DeprecationWarning naming both.

    Args:
        owner: what takes the parameter, e.g. ``"measure"`` (for the message).
        old, new: the parameter's old and new names.
        depth: frames between ``owner`` and this call (the warning points at ``owner``'s
            caller, so Python shows it to users by default).
    """
    if old_value is None:
        return new_value
    warnings.warn(
        f"{owner}({old}=...) is {new}=... since 0.7; {old} goes in 0.8",
        DeprecationWarning,
        stacklevel=2 + depth,
    )
    return old_value


def kernel_width(parameter: str, value) -> str | float:
    """A kernel-width rule: one of ``width_rules.SIGMA_RULES``, or a number > 0 (as a float, also
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


def _items(value) -> tuple | None:
    """The items of a list-like value (read once, so generators work), or None for a string or
    something that is not iterable."""
    if isinstance(value, str | bytes):
        return None
    try:
        return tuple(value)
    except TypeError:
        return None


def _real(parameter: str, value, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(parameter, f"must be {expected}, got {value!r}")
    return float(value)
