"""MonotonicClock (kernel.testing.ManualClock: tests/test_manual_clock.py)."""

from __future__ import annotations

from kernel import Clock, MonotonicClock


def test_monotonic_clock_never_goes_backwards() -> None:
    clock = MonotonicClock()
    readings = [clock.now() for _ in range(1000)]
    assert readings == sorted(readings)
    assert isinstance(clock, Clock)
    assert repr(clock) == "MonotonicClock()"
