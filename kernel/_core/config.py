"""`RuntimeConfig`: the runtime's limits, validated on construction and never clamped."""

from __future__ import annotations

import dataclasses
import math
import os
from typing import Final

from kernel._core.validate import check_delay, check_interval, check_positive_int

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_DRAIN_LIMIT",
    "DEFAULT_MAX_TIMERS",
    "DEFAULT_PRIORITY_QUEUE_CAPACITY",
    "DEFAULT_SLOW_CALLBACK_DURATION",
    "DEFAULT_THREAD_JOIN_TIMEOUT",
    "DEFAULT_TIMER_RESOLUTION",
    "DEFAULT_WORK_QUEUE_CAPACITY",
    "MAX_TIMER_RESOLUTION",
    "MIN_TIMER_RESOLUTION",
    "RuntimeConfig",
    "check_resolution",
    "default_max_worker_threads",
]

DEFAULT_WORK_QUEUE_CAPACITY: Final = 1024
"""The reference system's default: enough for bursts of editor work, small enough to notice leaks."""
DEFAULT_PRIORITY_QUEUE_CAPACITY: Final = 256
"""The reference system's default event backlog."""
DEFAULT_BATCH_SIZE: Final = 16
"""Tasks per tick: bounds the time one tick spends on work so input stays responsive."""
DEFAULT_MAX_TIMERS: Final = 1024
"""The reference system's default live-timer limit."""
DEFAULT_TIMER_RESOLUTION: Final = 0.001
"""One millisecond per wheel grain, as in tokio: finer than a frame, coarse enough for six levels
to span two years."""
DEFAULT_DRAIN_LIMIT: Final = 100_000
"""Callbacks one STOPPING drain may run before the rest is abandoned: keeps shutdown finite."""
DEFAULT_THREAD_JOIN_TIMEOUT: Final = 5.0
"""Seconds a STOPPING drain waits for running worker-thread jobs, all together: long enough for
a save to finish, short enough that a hung job cannot hold the exit for good."""
DEFAULT_SLOW_CALLBACK_DURATION: Final = 0.1
"""asyncio's default: a tenth of a second is a visible hitch in an editor."""
MAX_WORKER_THREADS_CAP: Final = 32
"""The stdlib's cap on its default pool size (`concurrent.futures.ThreadPoolExecutor`)."""
MIN_TIMER_RESOLUTION: Final = 1e-6
"""Below a microsecond, float seconds cannot represent tick boundaries exactly for long uptimes."""
MAX_TIMER_RESOLUTION: Final = 1.0
"""Above a second, rounding deadlines up would make timers visibly late."""


_INT_FIELDS: Final = (
    "work_queue_capacity",
    "priority_queue_capacity",
    "batch_size",
    "max_timers",
    "drain_limit",
    "max_worker_threads",
)


def default_max_worker_threads() -> int:
    """The stdlib's default pool size: ``min(32, cpu_count + 4)``."""
    return min(MAX_WORKER_THREADS_CAP, (os.cpu_count() or 1) + 4)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeConfig:
    """The limits of one `Runtime`. Immutable; every field is checked when the config is made.

    Raises:
        TypeError: a field has the wrong type (integers reject `bool`).
        ValueError: a field is out of range; the message names the field and the value.
    """

    work_queue_capacity: int = DEFAULT_WORK_QUEUE_CAPACITY
    """Most tasks queued at once; a full queue rejects the newest task and counts it."""
    priority_queue_capacity: int = DEFAULT_PRIORITY_QUEUE_CAPACITY
    """Most events queued at once; a full queue rejects the newest event and counts it."""
    batch_size: int = DEFAULT_BATCH_SIZE
    """Most tasks run per RUNNING tick; the rest wait for the next tick."""
    max_timers: int = DEFAULT_MAX_TIMERS
    """Most live (pending, not cancelled) timers."""
    timer_resolution: float = DEFAULT_TIMER_RESOLUTION
    """Seconds per wheel grain, in ``[1e-6, 1.0]``; deadlines round up to a multiple of it."""
    drain_limit: int = DEFAULT_DRAIN_LIMIT
    """Most callbacks (tasks plus event dispatches) one STOPPING drain runs."""
    max_worker_threads: int = dataclasses.field(default_factory=default_max_worker_threads)
    """Threads of the `Runtime.run_in_thread` pool (default ``min(32, cpu_count + 4)``)."""
    thread_join_timeout: float = DEFAULT_THREAD_JOIN_TIMEOUT
    """Seconds (finite, >= 0) the STOPPING drain waits, in real time, for running jobs."""
    stall_threshold: float | None = None
    """Seconds (finite, > 0) one callback may run before the stall watchdog reports it while it
    still runs (`StallReport`); None: no watchdog (docs/observability.md)."""
    debug: bool | None = None
    """Debug mode: thread checks, creation stacks in error reports, slow-callback warnings.
    None (the default) follows ``python -X dev`` (``sys.flags.dev_mode``)."""
    slow_callback_duration: float = DEFAULT_SLOW_CALLBACK_DURATION
    """Seconds (finite, > 0): in debug mode, a callback that takes this long is logged."""

    def __post_init__(self) -> None:
        for field in _INT_FIELDS:
            check_positive_int(getattr(self, field), field)
        check_resolution(self.timer_resolution, "timer_resolution")
        check_delay(self.thread_join_timeout, "thread_join_timeout")
        if self.stall_threshold is not None:
            check_interval(self.stall_threshold, "stall_threshold")
        debug: object = self.debug
        if debug is not None and not isinstance(debug, bool):
            msg = f"debug must be a bool or None, got {debug!r}"
            raise TypeError(msg)
        check_interval(self.slow_callback_duration, "slow_callback_duration")


def check_resolution(value: object, name: str) -> None:
    """Raise unless `value` is a number of seconds in ``[1e-6, 1.0]`` (a timer resolution).

    Raises:
        TypeError: `value` is not an int or float (or is a bool).
        ValueError: `value` is not finite, or outside the range.
    """
    if not isinstance(value, int | float) or isinstance(value, bool):
        msg = f"{name} must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    if not (math.isfinite(value) and MIN_TIMER_RESOLUTION <= value <= MAX_TIMER_RESOLUTION):
        msg = f"{name} must be in [1e-06, 1.0] seconds, got {value!r}"
        raise ValueError(msg)
