"""Argument checks shared by every public entry point.

Each check either returns the value (normalised where that is free) or raises `TypeError` /
`ValueError` with a message that names the argument and the value it got. They run before any
state changes, so a rejected call leaves everything as it was.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "MAX_PRIORITY",
    "check_callable",
    "check_delay",
    "check_instance",
    "check_int",
    "check_interval",
    "check_positive_int",
    "check_priority",
    "is_callable",
]

is_callable: Final[Callable[[object], bool]] = callable
"""`callable`, under a name type checkers do not narrow on: hot paths test it inline and call
`check_callable` (which raises) only when it fails."""

MAX_PRIORITY: Final = 2**32
"""Priorities are unsigned 32-bit values, as in the reference system's ``Priority(u32)``."""


def _require_int(value: object, name: str, expected: str) -> int:
    """Return `value` if it is an `int` (not `bool`); else raise `TypeError` saying `expected`.

    The one int check behind `check_priority`, `check_positive_int` and `check_int`.
    """
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"{name} must be {expected}, got {value!r}"
        raise TypeError(msg)
    return value


def check_priority(value: object, name: str = "priority") -> int:
    """Return `value` if it is a valid priority: an `int` (not `bool`) in ``[0, 2**32)``."""
    if type(value) is not int:  # the exact type first: the common case costs no call
        value = _require_int(value, name, "an int in [0, 2**32)")
    if not 0 <= value < MAX_PRIORITY:
        msg = f"{name} must be in [0, 2**32), got {value!r}"
        raise ValueError(msg)
    return value


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is an `int` (not `bool`) that is at least 1."""
    value = _require_int(value, name, "an int >= 1")
    if value < 1:
        msg = f"{name} must be >= 1, got {value!r}"
        raise ValueError(msg)
    return value


def _check_seconds(value: object, name: str) -> float:
    if type(value) is not float and (not isinstance(value, int | float) or isinstance(value, bool)):
        msg = f"{name} must be a number of seconds (int or float), got {value!r}"
        raise TypeError(msg)
    try:
        seconds = float(value)
    except OverflowError:  # an int too large for a float: not a finite number of seconds
        seconds = math.inf
    if not math.isfinite(seconds):
        msg = f"{name} must be finite, got {value!r}"
        raise ValueError(msg)
    return seconds


def check_delay(value: object, name: str = "delay") -> float:
    """Return `value` as seconds if it is a finite number >= 0."""
    seconds = _check_seconds(value, name)
    if seconds < 0.0:
        msg = f"{name} must be >= 0, got {value!r}"
        raise ValueError(msg)
    return seconds


def check_interval(value: object, name: str = "interval") -> float:
    """Return `value` as seconds if it is a finite number > 0."""
    seconds = _check_seconds(value, name)
    if seconds <= 0.0:
        msg = f"{name} must be > 0, got {value!r}"
        raise ValueError(msg)
    return seconds


def check_callable(value: object, name: str = "fn") -> None:
    """Raise `TypeError` unless `value` is callable."""
    if not callable(value):
        msg = f"{name} must be callable, got {value!r}"
        raise TypeError(msg)


def check_instance(value: object, expected: type | tuple[type, ...], name: str, what: str) -> None:
    """Raise `TypeError` (saying `name` must be `what`) unless `value` is an instance of `expected`."""
    if not isinstance(value, expected):
        msg = f"{name} must be {what}, got {value!r}"
        raise TypeError(msg)


def check_int(value: object, name: str) -> int:
    """Return `value` if it is an `int` (not `bool`)."""
    return _require_int(value, name, "an int")
