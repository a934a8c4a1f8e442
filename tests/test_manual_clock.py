"""kernel.testing.ManualClock: a clock that moves only when a test tells it to."""

from __future__ import annotations

import pytest

from kernel import Clock
from kernel.testing import ManualClock


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(5.0)
    assert clock.now() == 5.0
    clock.advance(0.25)
    assert clock.now() == 5.25
    clock.advance_to(7.22)
    assert clock.now() == 7.22
    clock.advance(0)
    assert clock.now() == 7.22
    assert repr(clock) == "ManualClock(now=7.22)"
    assert isinstance(clock, Clock)


@pytest.mark.parametrize(
    ("method", "value", "error", "message"),
    [
        ("advance", -1, ValueError, r"^seconds must be >= 0 \(time can't go backwards\), got -1$"),
        ("advance", float("nan"), ValueError, r"^seconds must be finite, got nan$"),
        ("advance", float("inf"), ValueError, r"^seconds must be finite, got inf$"),
        ("advance", "1", TypeError, r"^seconds must be a number of seconds, got '1'$"),
        ("advance", True, TypeError, r"^seconds must be a number of seconds, got True$"),
        ("advance_to", 0.5, ValueError, r"^when must be >= now \(1.0; time can't go backwards\)"),
        ("advance_to", float("nan"), ValueError, r"^when must be finite, got nan$"),
    ],
    ids=["negative", "nan", "inf", "str", "bool", "to-past", "to-nan"],
)
def test_manual_clock_rejects_bad_steps(
    method: str, value: object, error: type[Exception], message: str
) -> None:
    clock = ManualClock(1.0)
    with pytest.raises(error, match=message):
        getattr(clock, method)(value)
    assert clock.now() == 1.0


def test_manual_clock_rejects_bad_start() -> None:
    with pytest.raises(ValueError, match=r"^start must be finite, got inf$"):
        ManualClock(float("inf"))


def test_manual_clock_starts_at_zero_by_default() -> None:
    assert ManualClock().now() == 0.0


@pytest.mark.parametrize(
    ("start", "error", "message"),
    [
        ("0", TypeError, r"^start must be a number of seconds, got '0'$"),
        (False, TypeError, r"^start must be a number of seconds, got False$"),
        (float("nan"), ValueError, r"^start must be finite, got nan$"),
        (10**400, ValueError, r"^start must be finite, got 1000000"),
    ],
    ids=["str", "bool", "nan", "int-past-float"],
)
def test_manual_clock_rejects_bad_start_values(
    start: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        ManualClock(start)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("method", "value", "error", "message"),
    [
        ("advance", 10**400, ValueError, r"^seconds must be finite, got 1000000"),
        ("advance_to", None, TypeError, r"^when must be a number of seconds, got None$"),
        ("advance_to", float("inf"), ValueError, r"^when must be finite, got inf$"),
    ],
    ids=["int-past-float", "to-none", "to-inf"],
)
def test_manual_clock_rejects_more_bad_steps(
    method: str, value: object, error: type[Exception], message: str
) -> None:
    clock = ManualClock(1.0)
    with pytest.raises(error, match=message):
        getattr(clock, method)(value)
    assert clock.now() == 1.0


def test_manual_clock_advance_refuses_to_overflow_the_float_range() -> None:
    clock = ManualClock(1.7e308)
    with pytest.raises(
        ValueError, match=r"^seconds must keep the time within the float range, got 1e\+308$"
    ):
        clock.advance(1e308)
    assert clock.now() == 1.7e308


def test_manual_clock_advance_to_the_current_time_is_allowed() -> None:
    clock = ManualClock(2.5)
    clock.advance_to(2.5)
    assert clock.now() == 2.5


def test_manual_clock_accepts_ints() -> None:
    clock = ManualClock(1)
    clock.advance(2)
    assert clock.now() == 3.0
    assert type(clock.now()) is float
    clock.advance_to(10)
    assert clock.now() == 10.0
    assert type(clock.now()) is float
