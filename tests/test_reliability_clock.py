"""Clock edge cases: negative and far origins, frozen, backwards and jumping clocks, level
boundaries and the float range, against a plain model of when each timer must fire.

The model is SPEC §4/§11 itself: a timer's rounded deadline is at or after its exact deadline
(``now + delay``, up to float noise) and less than a tick after it; it fires in the first tick
whose ``clock.now()`` is at or past the rounded deadline, never before; under `advance()` it
fires with the clock exactly at that deadline.
"""

from __future__ import annotations

import math
from typing import Final

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
)

from kernel import MissedTicks, Runtime, RuntimeConfig, TimerHandle
from kernel.testing import ManualClock

from .liveness import bounded, scaled
from .strategies import LEVEL_EDGES, RESOLUTIONS

STEP_TIMEOUT: Final = 3.0
"""Real seconds one rule may take before it counts as a hang."""
ORIGINS: Final = (0.0, -1.0, -1e6, -12_345.678, 1e9, 2**40 * 0.001, 1e12, -1e12)
"""Clock origins: zero, negative ones, and far ones where floats are coarser than a tick."""
TOLERANCE: Final = 1e-3
"""Of a tick: the most float noise a deadline may be rounded down by (SPEC §11)."""

origins = st.one_of(st.sampled_from(ORIGINS), st.floats(-1e7, 1e7, allow_nan=False))
delays = st.one_of(
    st.floats(0.0, 10.0, allow_nan=False),
    st.sampled_from([0.0, 1e-7, 0.1 + 0.2, 7.22, 1e4, 1e8, 1e9]),
    st.sampled_from(LEVEL_EDGES).map(float),  # scaled by the resolution in the rule
)
steps = st.one_of(
    st.floats(0.0, 5.0, allow_nan=False),
    st.sampled_from([0.0, 1e-6, 1.0, 64.0, 4096.0, 1e6, 1e9]),
)


class TimerClockMachine(RuleBasedStateMachine):
    """Timers on one runtime against a dict of when each must fire."""

    timers = Bundle("timers")

    @initialize(origin=origins, resolution=st.sampled_from(RESOLUTIONS))
    def start(self, origin: float, resolution: float) -> None:
        self.clock = ManualClock(origin)
        self.resolution = resolution
        config = RuntimeConfig(timer_resolution=resolution, max_timers=64)
        self.rt = Runtime(config, clock=self.clock)
        self.rt.boot()
        self.pending: dict[int, tuple[float, float]] = {}  # id -> (exact, rounded deadline)
        self.fired_at: list[float] = []  # clock times of the fires since the last move
        self.advanced_from = origin  # the clock when the last advance() began

    def _record(self) -> None:
        self.fired_at.append(self.clock.now())

    @rule(target=timers, delay=delays, level_edge=st.booleans())
    def schedule(self, delay: float, level_edge: bool) -> TimerHandle | None:
        if level_edge:
            delay = min(delay * self.resolution, 1e9)
        when = self.clock.now() + delay
        if not math.isfinite(when) or len(self.pending) == 64:
            return None
        handle = self.rt.schedule_delayed(delay, self._record)
        deadline = handle.deadline
        assert deadline is not None
        tick = self.resolution
        # Rounded up: at or after the exact deadline (up to float noise), less than a tick after.
        assert deadline >= when - TOLERANCE * tick - 4 * math.ulp(when)
        assert deadline - when <= tick * (1 + TOLERANCE) + 4 * math.ulp(when)
        self.pending[handle.id] = (when, deadline)
        return handle

    @rule(handle=consumes(timers))
    def cancel(self, handle: TimerHandle | None) -> None:
        if handle is None:
            return
        pending = handle.id in self.pending
        assert handle.cancel() is pending
        assert not handle.pending
        self.pending.pop(handle.id, None)

    @rule(step=steps)
    def advance(self, step: float) -> None:
        target = self.clock.now() + step
        if not math.isfinite(target):
            return
        self.fired_at = []
        self.advanced_from = self.clock.now()
        with bounded(STEP_TIMEOUT):
            self.rt.advance(step)
        self._settle(exact=True)

    @rule(step=steps)
    def jump_then_tick(self, step: float) -> None:
        """A clock that jumps (a suspended laptop) with no stepping: due timers fire late, once."""
        target = self.clock.now() + step
        if not math.isfinite(target):
            return
        self.fired_at = []
        self.clock.advance(step)
        with bounded(STEP_TIMEOUT):
            self.rt.tick()
            self.rt.tick()  # the fired timers' tasks ran in the first; nothing more is due
        self._settle(exact=False)

    @rule()
    def frozen_tick(self) -> None:
        self.fired_at = []
        with bounded(STEP_TIMEOUT):
            self.rt.tick()
        self._settle(exact=False)

    def _settle(self, *, exact: bool) -> None:
        now = self.clock.now()
        due = {i: d for i, d in self.pending.items() if d[1] <= now}
        for timer_id in due:
            del self.pending[timer_id]
        assert len(self.fired_at) == len(due)
        # A rounded deadline may lie up to float noise before the clock that scheduled it (at
        # 2e9 s, a 1 ms grid rounds a timer scheduled 1 µs past a tick down to that tick).
        expected = sorted(max(deadline, self.advanced_from) for _, deadline in due.values())
        if exact:
            # Under advance() each fired with the clock exactly at its rounded deadline (or at
            # once, if that was already past when advance() began).
            assert sorted(self.fired_at) == expected
        else:
            assert all(at == now for at in self.fired_at)
        # Never early: at or past both the rounded and (up to noise) the exact deadline.
        for (when, deadline), at in zip(
            sorted(due.values(), key=lambda d: d[1]), sorted(self.fired_at), strict=True
        ):
            assert at >= deadline
            assert at >= when - TOLERANCE * self.resolution - 4 * math.ulp(when)

    @invariant()
    def wheel_matches_model(self) -> None:
        if not hasattr(self, "rt"):
            return
        assert len(self.rt.timer_wheel) == len(self.pending)
        assert self.rt.stats().active_timers == len(self.pending)
        expected = min((d for _, d in self.pending.values()), default=None)
        assert self.rt.timer_wheel.next_deadline() == expected


def test_clock_machine_a_deadline_rounded_below_the_clock_fires_at_once() -> None:
    """Found under KERNEL_STRESS: the model expected advance(0) to fire a timer with the clock
    at its rounded deadline, which float noise had put 1 µs before the clock that scheduled it."""
    state = TimerClockMachine()
    state.start(origin=1e9, resolution=0.001)
    state.advance(step=1e9)
    state.advance(step=1e-6)
    assert state.schedule(delay=0.0, level_edge=False) is not None
    state.advance(step=0.0)
    state.wheel_matches_model()
    state.teardown()


TestTimerClockMachine = TimerClockMachine.TestCase
TestTimerClockMachine.settings = settings(
    max_examples=scaled(60, 400), stateful_step_count=20, deadline=None
)


class SettableClock:
    """A clock that may be set anywhere, backwards included (a contract violation kernel survives)."""

    def __init__(self, now: float) -> None:
        self.value = now

    def now(self) -> float:
        return self.value


def test_backwards_clock_never_fires_early_nor_loses_a_timer() -> None:
    clock = SettableClock(10.0)
    rt = Runtime(clock=clock)
    rt.boot()
    fired: list[tuple[str, float]] = []
    rt.schedule_delayed(1.0, lambda: fired.append(("first", clock.now())))  # at 11
    clock.value = 5.0
    second = rt.schedule_delayed(1.0, lambda: fired.append(("second", clock.now())))  # at 6
    assert second.deadline == 6.0
    # Nothing fires before the furthest time the wheel has seen (10.0): a loop waits for it
    # instead of spinning on a timer reported due that no tick can fire.
    clock.value = 6.0
    assert rt.next_timeout() == 4.0
    rt.tick()
    assert fired == []
    with bounded():
        for now in (5.0, 5.5, 6.0, 9.0, 11.0, 12.0):
            clock.value = now
            rt.tick()
    assert [name for name, _ in fired] == ["second", "first"]
    assert fired[0][1] >= 6.0
    assert fired[1][1] >= 11.0
    assert rt.is_idle()


@pytest.mark.parametrize("origin", [1e308, -1e308, 1.7e308])
def test_deadlines_near_the_float_range_fire_on_time(origin: float) -> None:
    clock = ManualClock(origin)
    rt = Runtime(clock=clock)
    rt.boot()
    fired: list[float] = []
    delay = min(1e300, 1.7976931348623157e308 - origin)
    handle = rt.schedule_delayed(delay, lambda: fired.append(clock.now()))
    deadline = handle.deadline
    assert deadline is not None
    assert deadline >= origin + delay
    with bounded():
        rt.advance(delay)
    assert fired == [deadline]
    assert rt.is_idle()


@pytest.mark.parametrize("origin", [1e12, 1e15, 2.0**40], ids=["1e12", "1e15", "2**40"])
def test_a_delay_period_finer_than_the_clocks_float_step_fires_once_per_step(
    origin: float,
) -> None:
    """1 µs periods where a float step of the clock is 122 µs or more: each step fires once."""
    clock = ManualClock(origin)
    rt = Runtime(RuntimeConfig(timer_resolution=1e-6), clock=clock)
    rt.boot()
    fired: list[float] = []
    handle = rt.schedule_periodic(1e-6, lambda: fired.append(clock.now()), missed=MissedTicks.DELAY)
    with bounded():
        for _ in range(5):
            clock.advance_to(math.nextafter(clock.now(), math.inf))
            rt.tick()
            rt.tick()
    assert fired == sorted(set(fired))
    assert len(fired) == 5
    assert handle.deadline is not None
    assert handle.deadline > clock.now()
