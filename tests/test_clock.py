"""MonotonicClock and kernel.testing.ManualClock."""

from __future__ import annotations

import pytest

from kernel import Clock, MonotonicClock
from kernel.testing import ManualClock


def test_monotonic_clock_never_goes_backwards() -> None:
    clock = MonotonicClock()
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
    assert isinstance(clock, Clock)
    assert repr(clock) == "MonotonicClock()"


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
