"""kernel._core.validate: the argument checks behind every public entry point."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from kernel._core.validate import (
    MAX_PRIORITY,
    check_callable,
    check_delay,
    check_instance,
    check_int,
    check_interval,
    check_positive_int,
    check_priority,
    is_callable,
)

if TYPE_CHECKING:
    from collections.abc import Callable


class IntSubclass(int):
    pass


def test_max_priority_is_two_to_the_32() -> None:
    assert MAX_PRIORITY == 2**32


@pytest.mark.parametrize(
    ("check", "value", "expected"),
    [
        (check_priority, 0, 0),
        (check_priority, MAX_PRIORITY - 1, MAX_PRIORITY - 1),
        (check_priority, IntSubclass(5), IntSubclass(5)),
        (check_positive_int, 1, 1),
        (check_positive_int, 10**30, 10**30),
        (check_int, -3, -3),
        (check_int, 0, 0),
        (check_delay, 0, 0.0),
        (check_delay, 0.5, 0.5),
        (check_delay, 2, 2.0),
        (check_interval, 1e-9, 1e-9),
        (check_interval, 3, 3.0),
    ],
    ids=[
        "priority-0",
        "priority-max",
        "priority-int-subclass",
        "positive-1",
        "positive-huge",
        "int-negative",
        "int-zero",
        "delay-0",
        "delay-float",
        "delay-int",
        "interval-tiny",
        "interval-int",
    ],
)
def test_checks_return_valid_values(
    check: Callable[..., Any], value: object, expected: object
) -> None:
    result = check(value, "x")
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("check", "value", "error", "message"),
    [
        (check_priority, -1, ValueError, r"^x must be in \[0, 2\*\*32\), got -1$"),
        (
            check_priority,
            MAX_PRIORITY,
            ValueError,
            r"^x must be in \[0, 2\*\*32\), got 4294967296$",
        ),
        (check_priority, 1.0, TypeError, r"^x must be an int in \[0, 2\*\*32\), got 1.0$"),
        (check_priority, True, TypeError, r"^x must be an int in \[0, 2\*\*32\), got True$"),
        (check_positive_int, 0, ValueError, r"^x must be >= 1, got 0$"),
        (check_positive_int, "1", TypeError, r"^x must be an int >= 1, got '1'$"),
        (check_positive_int, False, TypeError, r"^x must be an int >= 1, got False$"),
        (check_int, 1.5, TypeError, r"^x must be an int, got 1.5$"),
        (check_int, None, TypeError, r"^x must be an int, got None$"),
        (check_delay, -0.1, ValueError, r"^x must be >= 0, got -0.1$"),
        (check_delay, float("nan"), ValueError, r"^x must be finite, got nan$"),
        (check_delay, float("-inf"), ValueError, r"^x must be finite, got -inf$"),
        (check_delay, 10**400, ValueError, r"^x must be finite, got 1000000"),
        (check_delay, "1", TypeError, r"^x must be a number of seconds \(int or float\), got '1'$"),
        (
            check_delay,
            True,
            TypeError,
            r"^x must be a number of seconds \(int or float\), got True$",
        ),
        (check_interval, 0, ValueError, r"^x must be > 0, got 0$"),
        (check_interval, -1.0, ValueError, r"^x must be > 0, got -1.0$"),
        (check_interval, float("inf"), ValueError, r"^x must be finite, got inf$"),
        (
            check_interval,
            None,
            TypeError,
            r"^x must be a number of seconds \(int or float\), got None$",
        ),
    ],
    ids=[
        "priority-negative",
        "priority-too-large",
        "priority-float",
        "priority-bool",
        "positive-zero",
        "positive-str",
        "positive-bool",
        "int-float",
        "int-none",
        "delay-negative",
        "delay-nan",
        "delay-minus-inf",
        "delay-int-past-float",
        "delay-str",
        "delay-bool",
        "interval-zero",
        "interval-negative",
        "interval-inf",
        "interval-none",
    ],
)
def test_checks_reject_bad_values_naming_argument_and_value(
    check: Callable[..., Any], value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        check(value, "x")


@pytest.mark.parametrize(
    ("check", "value", "message"),
    [
        (check_priority, -1, r"^priority must be"),
        (check_delay, -1, r"^delay must be"),
        (check_interval, 0, r"^interval must be"),
        (check_callable, None, r"^fn must be callable"),
    ],
    ids=["priority", "delay", "interval", "callable"],
)
def test_checks_default_argument_names(
    check: Callable[..., Any], value: object, message: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        check(value)


@pytest.mark.parametrize(
    "value", [print, len, IntSubclass, lambda: None], ids=["builtin", "len", "class", "lambda"]
)
def test_check_callable_accepts_callables(value: object) -> None:
    assert check_callable(value, "x") is None  # type: ignore[func-returns-value]
    assert is_callable(value) is True


@pytest.mark.parametrize("value", [None, 1, "print"], ids=["none", "int", "str"])
def test_check_callable_rejects_the_rest(value: object) -> None:
    with pytest.raises(TypeError, match=rf"^handler must be callable, got {value!r}$"):
        check_callable(value, "handler")
    assert is_callable(value) is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, int), ("s", (int, str)), (True, int)],
    ids=["exact", "tuple", "subclass"],
)
def test_check_instance_accepts_instances(value: object, expected: type | tuple[type, ...]) -> None:
    assert check_instance(value, expected, "x", "an int") is None  # type: ignore[func-returns-value]


def test_check_instance_rejects_others_saying_what_it_wanted() -> None:
    with pytest.raises(TypeError, match=r"^config must be a RuntimeConfig, got 3$"):
        check_instance(3, str, "config", "a RuntimeConfig")
