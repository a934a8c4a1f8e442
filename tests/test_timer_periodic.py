"""Tests for `kernel._core.timer_periodic`: periodic timers, `MissedTicks` and the grid maths.

Periodic timers in a wheel are tested in tests/test_timer_wheel.py (its state machine has a model
of both policies) and through a runtime in tests/test_timers.py; here `next_on_grid` and
`PeriodicTimer._advance` on their own.
"""

from __future__ import annotations

import math
from typing import cast

import pytest

from kernel import MissedTicks, TimerId, TimerWheel
from kernel._core.grains import GrainScale
from kernel._core.timer_periodic import PeriodicTimer, next_on_grid
from kernel.testing import ManualClock


def noop() -> None:
    """A timer callback; nothing here runs it."""


def periodic(interval: float, policy: MissedTicks, when: float = 1.0) -> PeriodicTimer:
    return PeriodicTimer(TimerId(1), when, noop, (), 100, None, interval, policy)


@pytest.mark.parametrize(
    ("anchor", "interval", "low", "now_grain", "expected"),
    [
        (0.0, 0.1, 1, 50, 1),  # on time: the next point is after now already
        (0.0, 0.1, 1, 100, 2),  # exactly on point 1's grain: point 2
        (0.0, 0.1, 1, 1050, 11),  # a stall of ten periods
        (0.0, 1e-9, 1, 10, 10_000_001),  # points far finer than grains
        (5.0, 0.25, 3, 5000, 3),  # the estimate falls below `low`
    ],
    ids=["on-time", "on-a-point", "stalled", "finer-than-grains", "below-low"],
)
def test_next_on_grid_is_the_first_point_after_now(
    anchor: float, interval: float, low: int, now_grain: int, expected: int
) -> None:
    scale = GrainScale(0.001)
    k = next_on_grid(anchor, interval, low, now_grain, scale)
    assert k == expected
    assert scale.deadline_grain(anchor + k * interval) > now_grain
    assert k == low or scale.deadline_grain(anchor + (k - 1) * interval) <= now_grain


def test_skip_advance_stays_on_the_grid_and_counts_skipped_periods() -> None:
    scale = GrainScale(0.001)
    timer = periodic(0.1, MissedTicks.SKIP, when=0.1)
    when, grain = timer._advance(0.55, scale.now_grain(0.55), scale)
    assert (when, grain, timer.missed_ticks) == (0.1 + 5 * 0.1, 600, 4)
    timer._restart(2.0)  # `reset`: the grid starts again at the new deadline
    when, grain = timer._advance(2.0, scale.now_grain(2.0), scale)
    assert (when, grain, timer.missed_ticks) == (2.1, 2100, 4)


def test_delay_advance_rearms_from_the_fire_time() -> None:
    scale = GrainScale(0.001)
    timer = periodic(0.1, MissedTicks.DELAY, when=0.1)
    when, grain = timer._advance(0.55, scale.now_grain(0.55), scale)
    assert (when, grain, timer.missed_ticks) == (0.55 + 0.1, 650, 0)


def test_periodic_keeps_its_callable_while_pending() -> None:
    clock = ManualClock()
    timer = TimerWheel(clock).schedule_periodic(1.0, noop)
    timer._release()  # still pending, so it fires again: it keeps its callable
    kept = timer._fn
    assert kept is noop
    assert timer.cancel()  # the wheel releases a cancelled periodic timer
    assert timer._fn is None


def test_periodic_released_once_not_pending_drops_its_callable() -> None:
    timer = periodic(1.0, MissedTicks.SKIP)
    timer._slot = None  # as the wheel leaves it once cancelled
    timer._release()
    assert timer._fn is None
    assert (timer.interval, timer.policy) == (1.0, MissedTicks.SKIP)
    assert math.isfinite(timer._when)


class CoarseScale:
    """A `GrainScale` whose first deadline conversions land a grain early, as where floats are
    coarser than grains (the case `PeriodicTimer._advance` steps past with ``nextafter``)."""

    def __init__(self, early: int) -> None:
        self.scale = GrainScale(1e-6)
        self.early = early
        self.seconds = self.scale.seconds
        self.now_grain = self.scale.now_grain

    def deadline_grain(self, when: float) -> int:
        grain = self.scale.deadline_grain(when)
        if self.early:
            self.early -= 1
            return grain - 1
        return grain


def test_delay_periodic_steps_past_a_deadline_that_rounds_to_now() -> None:
    timer = PeriodicTimer(TimerId(1), 1.0, noop, (), 100, None, 1e-9, MissedTicks.DELAY)
    coarse = CoarseScale(early=3)
    now_grain = coarse.now_grain(1.0)
    when, grain = timer._advance(1.0, now_grain, cast("GrainScale", coarse))
    assert grain > now_grain
    assert coarse.early == 0
    assert when > coarse.seconds(now_grain)  # the wheel stores it as the timer's deadline
