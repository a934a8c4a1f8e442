"""Time sources. This is the only module that reads the system clock."""

from __future__ import annotations

import time
from typing import Final, Protocol, final, runtime_checkable

__all__ = [
    "Clock",
    "MonotonicClock",
    "SettableClock",
    "SteppableClock",
    "perf_counter",
    "steppable",
]

perf_counter: Final = time.perf_counter
"""The performance counter every duration in kernel comes from (tick and callback durations, the
stall watchdog): real seconds whatever clock the runtime runs on, so a `ManualClock` runtime's
durations are real too. The builtin itself: a hook pays no wrapper frame."""


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now() -> float``: monotonic seconds on an arbitrary origin.

    `Runtime` reads time only through its clock, so tests can inject a
    `kernel.testing.ManualClock` and make every tick deterministic.
    """

    def now(self) -> float:
        """Return the current time in seconds; it must never go backwards."""
        ...


@runtime_checkable
class SteppableClock(Clock, Protocol):
    """A clock that moves only when told to: virtual time (`kernel.testing.ManualClock`).

    `Runtime.run()` jumps such a clock to the next deadline instead of sleeping, and
    `Runtime.advance()` needs one. Any clock with a callable ``advance`` qualifies (the check is
    structural: ``isinstance(clock, SteppableClock)``).
    """

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (>= 0)."""
        ...


@runtime_checkable
class SettableClock(SteppableClock, Protocol):
    """A steppable clock that can also be set to an exact time, avoiding float drift."""

    def advance_to(self, when: float) -> None:
        """Set the clock to `when` (not before its current time)."""
        ...


def steppable(clock: Clock) -> SteppableClock | None:
    """`clock` as a `SteppableClock` if its ``advance`` is callable, else None."""
    if isinstance(clock, SteppableClock) and callable(clock.advance):
        return clock
    return None


@final
class MonotonicClock:
    """The default clock: `time.monotonic()`. Stateless and safe to share between runtimes."""

    __slots__ = ()

    # The builtin itself, not a Python wrapper around it: the runtime reads the clock on every
    # timer operation and every tick with pending timers, and a wrapper frame doubles that cost.
    now = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return "MonotonicClock()"
