"""`ManualClock`: a `kernel.Clock` that moves only when a test tells it to (docs/testing.md)."""

from __future__ import annotations

import math
from typing import final

__all__ = ["ManualClock"]


@final
class ManualClock:
    """A `kernel.Clock` whose time changes only through `advance` and `advance_to`.

    Args:
        start: the initial time in seconds (a finite number).

    Not thread-safe: move it on the thread that drives the runtime.
    """

    __slots__ = ("_now",)

    def __init__(self, start: float = 0.0) -> None:
        self._now = _check_time(start, "start")

    def now(self) -> float:
        """The current virtual time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by `seconds`.

        Raises:
            TypeError: `seconds` is not a number.
            ValueError: `seconds` is negative or not finite, or the time would pass the largest
                float. The time is unchanged.
        """
        step = _check_time(seconds, "seconds")
        if step < 0.0:
            msg = f"seconds must be >= 0 (time can't go backwards), got {seconds!r}"
            raise ValueError(msg)
        now = self._now + step
        if now == math.inf:
            msg = f"seconds must keep the time within the float range, got {seconds!r}"
            raise ValueError(msg)
        self._now = now

    def advance_to(self, when: float) -> None:
        """Set time to `when` exactly (no float drift from adding differences).

        Raises:
            TypeError: `when` is not a number.
            ValueError: `when` is before the current time, or not finite.
        """
        target = _check_time(when, "when")
        if target < self._now:
            msg = f"when must be >= now ({self._now!r}; time can't go backwards), got {when!r}"
            raise ValueError(msg)
        self._now = target

    def __repr__(self) -> str:
        return f"ManualClock(now={self._now!r})"


def _check_time(value: object, name: str) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        msg = f"{name} must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    try:
        seconds = float(value)
    except OverflowError:  # an int past the float range: not a finite number of seconds
        seconds = math.inf
    if not math.isfinite(seconds):
        msg = f"{name} must be finite, got {value!r}"
        raise ValueError(msg)
    return seconds
