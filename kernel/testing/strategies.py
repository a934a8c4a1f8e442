"""Hypothesis strategies for testing an app on kernel: delays, intervals, priorities, resolutions,
and schedules of timed calls (docs/testing.md).

Every value they draw is one the runtime's own checks accept, including the awkward ones: a delay
of 0, delays shorter than a grain, grain multiples that floats cannot hold exactly (``0.1 + 0.2``),
the extreme priorities. This module needs Hypothesis (the ``test`` extra); importing
`kernel.testing` does not import it.
"""

from __future__ import annotations

import math
from typing import Final, NamedTuple

from hypothesis import strategies as st

from kernel import Priority, RuntimeConfig

__all__ = [
    "MAX_PRIORITY",
    "MAX_RESOLUTION",
    "MIN_RESOLUTION",
    "ScheduledCall",
    "delays",
    "intervals",
    "priorities",
    "resolutions",
    "schedules",
]

MIN_RESOLUTION: Final = 1e-6
"""The finest `RuntimeConfig.timer_resolution` the runtime accepts (SPEC §11)."""
MAX_RESOLUTION: Final = 1.0
"""The coarsest `RuntimeConfig.timer_resolution` the runtime accepts."""
MAX_PRIORITY: Final = 2**32 - 1
"""The largest priority: priorities are unsigned 32-bit values."""
DEFAULT_RESOLUTION: Final = RuntimeConfig().timer_resolution
"""What `delays` and `intervals` assume when not told the runtime's resolution."""
DEFAULT_MAX_SECONDS: Final = 3600.0
"""The longest delay or interval drawn by default: an hour, far past any debounce or poll."""
_NOTABLE_RESOLUTIONS: Final = (0.001, MIN_RESOLUTION, MAX_RESOLUTION, 0.25, 0.003, 0.0007)
"""The default, both ends of the range, an exact binary fraction and two inexact ones."""
_MAX_GRAIN_MULTIPLE: Final = 100_000
"""Grain multiples drawn stay below this many grains (a hundred seconds at the default)."""


class ScheduledCall(NamedTuple):
    """One call of a schedule: run after `delay` seconds, as a task of `priority`."""

    delay: float
    """Seconds from when the schedule is applied (``schedule_delayed``'s `delay`)."""
    priority: int
    """The task's priority when the timer fires (lower runs first)."""


def resolutions() -> st.SearchStrategy[float]:
    """Timer resolutions `RuntimeConfig` accepts: notable ones often, any in ``[1e-6, 1.0]``."""
    return st.one_of(
        st.sampled_from(_NOTABLE_RESOLUTIONS),
        st.floats(MIN_RESOLUTION, MAX_RESOLUTION),
    )


def priorities() -> st.SearchStrategy[int]:
    """Priorities every scheduling call accepts: ints in ``[0, 2**32)``.

    The named `Priority` levels, their neighbours (``NORMAL - 1``, ``NORMAL + 1``, ...) and both
    ends come up often, so equal priorities, where FIFO order decides, are common; any other
    value comes up too.
    """
    notable = sorted(
        {0, 1, MAX_PRIORITY}
        | {p + d for p in map(int, Priority) for d in (-1, 0, 1) if 0 <= p + d <= MAX_PRIORITY}
    )
    return st.one_of(
        st.sampled_from(list(Priority)),
        st.sampled_from(notable),
        st.integers(0, MAX_PRIORITY),
    )


def delays(
    *, max_value: float = DEFAULT_MAX_SECONDS, resolution: float = DEFAULT_RESOLUTION
) -> st.SearchStrategy[float]:
    """Delays ``schedule_delayed`` and ``TimerHandle.reset`` accept: numbers in ``[0, max_value]``.

    Zero, delays shorter than one grain of `resolution`, multiples of the grain (which floats hold
    only approximately, so the runtime's rounding is exercised) and whole seconds (ints) come up
    often, besides any float in range.

    Raises:
        TypeError / ValueError: `max_value` is not a finite number >= 0, or `resolution` is not
            one `RuntimeConfig` accepts.
    """
    top = _check_max(max_value, "max_value", allow_zero=True)
    grain = _check_resolution(resolution)
    return st.one_of(
        st.just(0.0),
        st.floats(0.0, min(grain, top)),
        _grain_multiples(0, grain, top),
        st.integers(0, math.floor(top)),
        st.floats(0.0, top),
    )


def intervals(
    *, max_value: float = DEFAULT_MAX_SECONDS, resolution: float = DEFAULT_RESOLUTION
) -> st.SearchStrategy[float]:
    """Intervals ``schedule_periodic`` accepts: numbers in ``(0, max_value]``.

    As `delays`, without zero: sub-grain intervals (the runtime fires those at most once a tick),
    grain multiples, whole seconds, any float in range.

    Raises:
        TypeError / ValueError: `max_value` is not a finite number > 0, or `resolution` is not
            one `RuntimeConfig` accepts.
    """
    top = _check_max(max_value, "max_value", allow_zero=False)
    grain = _check_resolution(resolution)
    options = [
        st.floats(0.0, min(grain, top), exclude_min=True),
        _grain_multiples(1, grain, top),
        st.floats(0.0, top, exclude_min=True),
    ]
    if top >= 1:
        options.append(st.integers(1, math.floor(top)))
    return st.one_of(options)


def schedules(
    *,
    min_size: int = 0,
    max_size: int = 20,
    max_delay: float = 10.0,
    resolution: float = DEFAULT_RESOLUTION,
) -> st.SearchStrategy[list[ScheduledCall]]:
    """Lists of `ScheduledCall` to apply to a runtime (``schedule_delayed(delay, fn,
    priority=priority)``), typically on a `ManualClock`.

    Each list draws its delays from a small pool of its own, so several calls often fall due in
    the same grain, where priority and then scheduling order decide what runs first; each call
    draws its own priority (`priorities`).

    Raises:
        TypeError / ValueError: a size is not an int >= 0 or `min_size` > `max_size`; a bad
            `max_delay` or `resolution` (as for `delays`).
    """
    _check_size(min_size, "min_size")
    _check_size(max_size, "max_size")
    if min_size > max_size:
        msg = f"min_size must be <= max_size ({max_size!r}), got {min_size!r}"
        raise ValueError(msg)
    _check_max(max_delay, "max_delay", allow_zero=True)
    delay = delays(max_value=max_delay, resolution=resolution)

    @st.composite
    def draw_schedule(draw: st.DrawFn) -> list[ScheduledCall]:
        pool = draw(st.lists(delay, min_size=1, max_size=4))
        return draw(
            st.lists(
                st.builds(ScheduledCall, st.sampled_from(pool), priorities()),
                min_size=min_size,
                max_size=max_size,
            )
        )

    return draw_schedule()


def _grain_multiples(first: int, grain: float, top: float) -> st.SearchStrategy[float]:
    """``k * grain`` for k from `first`, as a float product (inexact on purpose), within `top`."""
    last = max(first, min(_MAX_GRAIN_MULTIPLE, math.floor(top / grain)))
    return st.integers(first, last).map(lambda k: min(k * grain, top))


def _check_size(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"{name} must be an int >= 0, got {value!r}"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be >= 0, got {value!r}"
        raise ValueError(msg)


def _check_max(value: object, name: str, *, allow_zero: bool) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        msg = f"{name} must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        msg = f"{name} must be a finite number {bound}, got {value!r}"
        raise ValueError(msg)
    return float(value)


def _check_resolution(value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool):
        msg = f"resolution must be a number of seconds, got {value!r}"
        raise TypeError(msg)
    if not MIN_RESOLUTION <= value <= MAX_RESOLUTION:  # NaN fails this too
        msg = f"resolution must be in [1e-06, 1.0], got {value!r}"
        raise ValueError(msg)
    return float(value)
