"""Time sources. This is the only module that reads the system clock."""

from __future__ import annotations

import time
from typing import Protocol, final, runtime_checkable

__all__ = ["Clock", "MonotonicClock"]


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now() -> float``: monotonic seconds on an arbitrary origin.

    `Runtime` reads time only through its clock, so tests can inject a
    `kernel.testing.ManualClock` and make every tick deterministic.
    """

    def now(self) -> float:
        """Return the current time in seconds; it must never go backwards."""
        ...


@final
class MonotonicClock:
    """The default clock: `time.monotonic()`. Stateless and safe to share between runtimes."""

    __slots__ = ()

    # The builtin itself, not a Python wrapper around it: the runtime reads the clock on every
    # timer operation and every tick with pending timers, and a wrapper frame doubles that cost.
    now = staticmethod(time.monotonic)

    def __repr__(self) -> str:
        return "MonotonicClock()"
