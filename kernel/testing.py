"""Test helpers: `ManualClock`, a clock that moves only when told to, and `ErrorCollector`.

With a `ManualClock` a runtime is fully deterministic: `Runtime.advance()` walks virtual time from
deadline to deadline, and nothing ever waits in real time for a timer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from kernel._core.reporting import ErrorReport

__all__ = ["ErrorCollector", "ManualClock"]


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


@final
class ErrorCollector:
    """An error handler that keeps every `ErrorReport`, for tests to inspect.

    Pass it as ``Runtime(error_handler=collector)`` or ``EventBus(error_handler=collector)``.
    """

    __slots__ = ("reports",)

    def __init__(self) -> None:
        self.reports: list[ErrorReport] = []
        """The reports received so far, oldest first."""

    def __call__(self, report: ErrorReport) -> None:
        """Record `report`."""
        self.reports.append(report)

    def take(self) -> list[ErrorReport]:
        """Return the reports so far and forget them."""
        reports, self.reports = self.reports, []
        return reports

    def __repr__(self) -> str:
        return f"<ErrorCollector reports={len(self.reports)}>"
