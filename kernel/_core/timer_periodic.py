"""Periodic timers: `PeriodicTimer`, `MissedTicks` and the grid maths (docs/timer_wheel.md).

A periodic timer's deadlines lie on a grid ``anchor + k * interval``. When the loop was busy past
several of them, `MissedTicks` says what happens: stay on the grid and count the skipped periods
(`SKIP`), or start again from the fire time (`DELAY`). Finding the next grid point after a stall
of millions of periods takes O(log missed periods) grain conversions (`next_on_grid`). The wheel
re-files the timer at the deadline `PeriodicTimer._advance` returns.
"""

from __future__ import annotations

import enum
import math
from typing import TYPE_CHECKING, ClassVar

from kernel._core.timer_handle import TimerHandle

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.grains import GrainScale
    from kernel._core.timer_slots import TimerId
    from kernel._core.work_queue import WorkQueue

__all__ = ["MissedTicks", "PeriodicTimer", "next_on_grid"]


class MissedTicks(enum.Enum):
    """What a periodic timer does about periods that passed while the loop was busy."""

    SKIP = "skip"
    """Stay on the grid ``start + k * interval``: after a stall, fire once and count the skipped
    periods in `TimerHandle.missed_ticks`. No drift, no catch-up burst. The default."""
    DELAY = "delay"
    """Re-arm at ``fire time + interval`` (the reference system's behaviour; drifts)."""


class PeriodicTimer(TimerHandle):
    """A timer that fires every `interval` seconds until cancelled (see `MissedTicks`)."""

    __slots__ = ("_anchor", "_count", "_interval", "_missed", "_policy", "_queued")

    _periodic: ClassVar[bool] = True

    def __init__(
        self,
        timer_id: TimerId,
        when: float,
        fn: Callable[..., object],
        args: tuple[object, ...],
        priority: int,
        name: str | None,
        interval: float,
        policy: MissedTicks,
    ) -> None:
        super().__init__(timer_id, when, fn, args, priority, name)
        self._interval = interval
        self._policy = policy
        self._anchor = when  # the grid: deadline number k is anchor + k * interval
        self._count = 0
        self._missed = 0
        self._queued = False  # at most one queued task at a time (SPEC §11)

    @property
    def interval(self) -> float:
        """Seconds between deadlines."""
        return self._interval

    @property
    def policy(self) -> MissedTicks:
        """How missed periods are handled."""
        return self._policy

    def _fire_into(self, work: WorkQueue) -> bool:
        if self._queued:
            self._missed += 1
            return False
        fn = self._fn
        assert fn is not None
        self._queued = work.push((fn, self._args, self), self._priority)
        return self._queued

    def _finish(self, ok: bool) -> None:
        self._queued = False

    def _release(self) -> None:
        # Nothing to free while the timer can fire again; the wheel releases on cancel.
        if self._slot is None:
            super()._release()

    def _restart(self, when: float) -> None:
        """Start the grid again with its first deadline at `when` (the wheel sets the deadline)."""
        self._anchor = when
        self._count = 0

    def _advance(self, now: float, now_grain: int, scale: GrainScale) -> tuple[float, int]:
        """Move past a fire at `now` (grain `now_grain`); return the next deadline and its grain.

        `MissedTicks.DELAY`: ``now + interval``. `MissedTicks.SKIP`: the first grid point
        ``anchor + k * interval`` whose grain is after `now_grain`, counting the grid points
        skipped on the way in `missed_ticks`. The wheel stores the deadline and re-files the timer.
        """
        if self._policy is MissedTicks.DELAY:
            when = now + self._interval
            grain = scale.deadline_grain(when)
            if grain <= now_grain:
                # The interval vanished in float rounding (below the clock's precision): fire
                # from the next grain on, and make the exact deadline say so. A deadline left at
                # or before now would be reported as past and fire again in this same expire.
                when = scale.seconds(now_grain + 1)
                while (
                    grain := scale.deadline_grain(when)
                ) <= now_grain:  # grains finer than floats
                    when = math.nextafter(when, math.inf)
            return when, grain
        anchor, interval, count = self._anchor, self._interval, self._count
        k = next_on_grid(anchor, interval, count + 1, now_grain, scale)
        self._missed += k - count - 1
        self._count = k
        when = anchor + k * interval
        return when, scale.deadline_grain(when)


def next_on_grid(
    anchor: float, interval: float, low: int, now_grain: int, scale: GrainScale
) -> int:
    """The first ``k >= low`` whose grid point ``anchor + k * interval`` has a grain after
    `now_grain`.

    Estimates `k` by division, gallops up until past it, then bisects: O(log missed periods)
    conversions, even for a grid finer than floats can tell apart, where stepping period by
    period could take millions.
    """

    def grain_of(k: int) -> int:
        return scale.deadline_grain(anchor + k * interval)

    high = max(low, math.floor((scale.seconds(now_grain) - anchor) / interval))
    while grain_of(high) <= now_grain:
        high += high - low + 1
    while low < high:
        middle = (low + high) // 2
        if grain_of(middle) > now_grain:
            high = middle
        else:
            low = middle + 1
    return low
