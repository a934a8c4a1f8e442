"""Tests for `kernel._core.timer_wheel`: the standalone `TimerWheel`.

A Hypothesis state machine drives a wheel and a plain heapq model side by side (never early, never
late, exactly once, cancelled never fires, batches in order, exact live count and next deadline,
`_check()` after every step), and unit tests pin the edges: rounding, level boundaries, far clock
origins, the overflow heap, capacity, lazy re-arming and periodic catch-up.
"""

from __future__ import annotations

import dataclasses
import gc
import heapq
import itertools
import math
import sys
from typing import TYPE_CHECKING, Final, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import kernel._core.grains as grains_module
import kernel._core.timer_levels as levels_module
from kernel import MissedTicks, TimerHandle, TimerWheel
from kernel._core.timer_periodic import PeriodicTimer
from kernel.testing import ManualClock

from .strategies import (
    HORIZON,
    LEVEL_EDGES,
    ROUNDING_CASES,
    deadline_grain,
    grain_time,
    hz_of,
    now_grain,
    resolutions,
)

if TYPE_CHECKING:
    from collections.abc import Callable


def noop() -> None:
    """A timer callback; the wheel never calls it (it only hands handles back)."""


# -- the reference model ------------------------------------------------------------------------


@dataclasses.dataclass(slots=True, kw_only=True)
class ModelTimer:
    """What the model knows about one timer the machine scheduled."""

    handle: TimerHandle
    when: float = math.nan  # exact (unrounded) next deadline
    grain: int = 0  # its rounded grain
    interval: float | None = None  # None for a one-shot
    policy: MissedTicks = MissedTicks.SKIP
    anchor: float = 0.0  # a SKIP grid: deadline k is anchor + k * interval
    count: int = 0
    missed: int = 0
    pending: bool = False


class WheelModel:
    """A plain reference: live timers in a dict, the due ones found with a heap.

    It restates the wheel's rules from SPEC §4/§11 without its levels, slots or caches.
    """

    def __init__(self, clock: ManualClock, resolution: float, max_timers: int) -> None:
        self.clock = clock
        self.hz = hz_of(resolution)
        self.max_timers = max_timers
        self.live: dict[int, ModelTimer] = {}
        self.dropped = 0

    def next_grain(self) -> int | None:
        return min((t.grain for t in self.live.values()), default=None)

    def arm(self, timer: ModelTimer, when: float) -> None:
        timer.when = when
        timer.grain = deadline_grain(when, self.hz)

    def expire(self) -> list[tuple[float, int, ModelTimer]]:
        """The timers due now, as (exact deadline, id, timer) in firing order, re-armed."""
        now = self.clock.now()
        current = now_grain(now, self.hz)
        due = [(t.when, int(t.handle.id), t) for t in self.live.values() if t.grain <= current]
        heapq.heapify(due)
        fired = [heapq.heappop(due) for _ in range(len(due))]
        for _, timer_id, timer in fired:
            if timer.interval is None:
                timer.pending = False
                del self.live[timer_id]
            elif timer.policy is MissedTicks.DELAY:
                self.arm(timer, now + timer.interval)
                if timer.grain <= current:  # an interval lost in float rounding
                    self.arm(timer, grain_time(current + 1, self.hz))
                    while timer.grain <= current:
                        self.arm(timer, math.nextafter(timer.when, math.inf))
            else:
                self.skip_to_grid(timer, current)
        return fired

    def skip_to_grid(self, timer: ModelTimer, current: int) -> None:
        """Move a SKIP timer to its first grid point after `current` (binary search)."""
        assert timer.interval is not None
        anchor, interval = timer.anchor, timer.interval

        def after(k: int) -> bool:
            return deadline_grain(anchor + k * interval, self.hz) > current

        low, high = timer.count, timer.count + 1  # after(low) is False: it just fired
        while not after(high):
            low, high = high, high + 2 * (high - low)
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if after(mid) else (mid, high)
        timer.missed += high - timer.count - 1
        timer.count = high
        self.arm(timer, anchor + high * interval)


# -- the state machine --------------------------------------------------------------------------

ORIGIN_GRAINS: Final = (0, 1, 2**40, 2**40 + 37, 64**3 - 2, HORIZON - 3, 5 * HORIZON - 1, 2**50)
"""Clock origins in grains: zero, far from zero (tokio#8334's lesson), just below level edges."""
DELAY_KINDS: Final = ("seconds", "grains", "grains", "edge", "absolute", "overflow", "huge")
"""How `delay_for` builds a delay; short ones twice as likely, so that timers also fire."""
ADVANCE_KINDS: Final = ("small", "big", "boundary", "deadline", "deadline", "before_deadline")
"""How `advance` moves the clock; jumps to the next deadline twice as likely, for the same reason."""

delay_specs = st.tuples(
    st.sampled_from(DELAY_KINDS),
    st.integers(min_value=0, max_value=5000),
    st.sampled_from((0.0, 0.5, 1e-7, 0.999)),
    st.sampled_from(LEVEL_EDGES),
    st.integers(min_value=-1, max_value=1),
)
"""(kind, count, fraction, level edge, offset): `TimerWheelMachine.delay_for` makes a delay."""

interval_specs = st.one_of(
    st.floats(min_value=0.3, max_value=3.0).map(lambda x: ("grains", x)),
    st.sampled_from((1, 2, 63, 64, 65, 4096, 100_000)).map(lambda n: ("grains", float(n))),
    st.floats(min_value=0.01, max_value=2.0).map(lambda x: ("seconds", x)),
)


class TimerWheelMachine(RuleBasedStateMachine):
    """Random schedules, cancels, re-arms, clock moves and expiries against `WheelModel`."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.wheel = TimerWheel(self.clock)
        self.model = WheelModel(self.clock, 0.001, 1024)
        self.timers: list[ModelTimer] = []
        self.gone: set[int] = set()  # ids of timers cancelled, or fired once as one-shots
        self.resolution = 0.001
        self.observe_next = True

    @initialize(
        resolution=resolutions,
        origin=st.sampled_from(ORIGIN_GRAINS),
        origin_fraction=st.sampled_from((0.0, 0.5)),
        max_timers=st.sampled_from((3, 12, 64)),
        observe_next=st.booleans(),
    )
    def setup(
        self,
        resolution: float,
        origin: int,
        origin_fraction: float,
        max_timers: int,
        observe_next: bool,
    ) -> None:
        hz = hz_of(resolution)
        self.clock = ManualClock(grain_time(origin, hz) + origin_fraction * resolution)
        self.wheel = TimerWheel(self.clock, resolution=resolution, max_timers=max_timers)
        self.model = WheelModel(self.clock, resolution, max_timers)
        self.resolution = resolution
        # Asking for the next deadline re-files lazily re-armed timers; half the runs never ask
        # between steps, so the wheel also meets long sequences with a stale cache.
        self.observe_next = observe_next

    # -- helpers --------------------------------------------------------------------------------

    @property
    def hz(self) -> float:
        return self.model.hz

    def current_grain(self) -> int:
        return now_grain(self.clock.now(), self.hz)

    def delay_for(self, spec: tuple[str, int, float, int, int]) -> float:
        """Turn a drawn `delay_specs` value into seconds from now."""
        kind, count, fraction, edge, offset = spec
        now = self.clock.now()
        if kind == "seconds":
            return count / 1000 + fraction
        if kind == "grains":
            return (count + fraction) * self.resolution
        if kind == "edge":  # 64**k - 1, 64**k, 64**k + 1 grains from now
            return edge * self.resolution
        if kind == "absolute":  # the deadline lands on (or next to) a multiple of 64**k
            size = 64 ** (1 + count % 6)
            target = (self.current_grain() // size + 1) * size + offset
            return max(0.0, grain_time(target, self.hz) - now)
        if kind == "overflow":  # past the six levels' horizon
            return ((1 + count % 3) * HORIZON + edge + offset) * self.resolution
        return float(10 ** (7 + count % 6))  # huge: years to millennia

    def pick(self, index: int) -> ModelTimer:
        """A timer to act on: a live one for even `index` (when any), else any handle made."""
        live = self.model.live
        if index % 2 == 0 and live:
            return list(live.values())[index // 2 % len(live)]
        return self.timers[index // 2 % len(self.timers)]

    def add(self, handle: TimerHandle, timer: ModelTimer, when: float) -> None:
        """Record a schedule's outcome in the model and check the handle it returned."""
        self.timers.append(timer)
        if len(self.model.live) >= self.model.max_timers:
            self.model.dropped += 1
            assert handle.failed
            assert not handle.pending
            assert handle.deadline is None
            return
        assert not handle.failed
        self.model.arm(timer, when)
        timer.anchor = when
        timer.pending = True
        self.model.live[handle.id] = timer

    def cancel_in_model(self, timer: ModelTimer, returned: bool) -> None:
        assert returned == timer.pending
        if timer.pending:
            timer.pending = False
            self.gone.add(timer.handle.id)
            del self.model.live[timer.handle.id]

    # -- rules ----------------------------------------------------------------------------------

    @rule(spec=delay_specs)
    def schedule(self, spec: tuple[str, int, float, int, int]) -> None:
        delay = self.delay_for(spec)
        handle = self.wheel.schedule(delay, noop)
        self.add(handle, ModelTimer(handle=handle), self.clock.now() + delay)

    @rule(interval_spec=interval_specs, policy=st.sampled_from(MissedTicks))
    def schedule_periodic(self, interval_spec: tuple[str, float], policy: MissedTicks) -> None:
        kind, amount = interval_spec
        interval = amount * self.resolution if kind == "grains" else amount
        handle = self.wheel.schedule_periodic(interval, noop, missed=policy)
        timer = ModelTimer(handle=handle, interval=interval, policy=policy)
        self.add(handle, timer, self.clock.now() + interval)

    @precondition(lambda self: self.timers)
    @rule(index=st.integers(min_value=0, max_value=10**6))
    def cancel_handle(self, index: int) -> None:
        timer = self.pick(index)
        self.cancel_in_model(timer, timer.handle.cancel())

    @precondition(lambda self: self.timers)
    @rule(index=st.integers(min_value=0, max_value=10**6), unknown=st.booleans())
    def cancel_by_id(self, index: int, unknown: bool) -> None:
        if unknown:
            assert not self.wheel.cancel(10**18 + index)
            return
        timer = self.pick(index)
        self.cancel_in_model(timer, self.wheel.cancel(timer.handle.id))

    @precondition(lambda self: self.timers)
    @rule(
        index=st.integers(min_value=0, max_value=10**6),
        direction=st.sampled_from(("earlier", "later", "any")),
        fraction=st.floats(min_value=0.0, max_value=1.0),
        spec=delay_specs,
    )
    def reset(
        self,
        index: int,
        direction: str,
        fraction: float,
        spec: tuple[str, int, float, int, int],
    ) -> None:
        timer = self.pick(index)
        now = self.clock.now()
        remaining = max(0.0, timer.when - now) if timer.pending else 1.0
        if direction == "earlier":
            delay = remaining * fraction
        elif direction == "later":
            delay = remaining + self.delay_for(spec)
        else:
            delay = self.delay_for(spec)
        returned = timer.handle.reset(delay)
        assert returned == timer.pending
        if timer.pending:
            self.model.arm(timer, now + delay)
            timer.anchor = now + delay
            timer.count = 0

    @rule(
        kind=st.sampled_from(ADVANCE_KINDS),
        grains=st.integers(min_value=0, max_value=64**7),
        fraction=st.floats(min_value=0.0, max_value=3.0),
        level=st.integers(min_value=1, max_value=7),
        offset=st.integers(min_value=-1, max_value=1),
    )
    def advance(self, kind: str, grains: int, fraction: float, level: int, offset: int) -> None:
        now, current, hz = self.clock.now(), self.current_grain(), self.hz
        target: float | None
        if kind == "small":
            target = now + fraction * self.resolution
        elif kind == "big":  # a jump of 64**(level-1) to 64**level grains, and a fraction
            jump = 64 ** (level - 1) + grains % 64**level
            target = grain_time(current + jump, hz) + (fraction % 1.0) * self.resolution
        elif kind == "boundary":  # exactly on (or next to) a multiple of 64**level grains
            size = 64**level
            target = grain_time((current // size + 1) * size + offset, hz)
        else:
            next_grain = self.model.next_grain()
            if next_grain is None:
                return
            target = grain_time(next_grain, hz)
            if kind == "before_deadline":
                target = math.nextafter(target, -math.inf)
        if target >= now:
            self.clock.advance_to(target)

    @precondition(lambda self: self.model.live)  # an empty wheel has nothing to say
    @rule()
    def expire(self) -> None:
        now = self.clock.now()
        current = self.current_grain()
        due = {t.handle.id: (t.when, t.handle.deadline) for t in self.model.live.values()}
        fired = self.wheel.expire(now)
        expected = self.model.expire()
        assert [h.id for h in fired] == [timer.handle.id for _, _, timer in expected]
        # The same properties, stated on the wheel's answer alone.
        ids = [h.id for h in fired]
        assert len(set(ids)) == len(ids), "a timer fired twice in one batch"
        assert not set(ids) & self.gone, "a cancelled or fired one-shot fired"
        keys = [(due[h.id][0], h.id) for h in fired]
        assert keys == sorted(keys), "fired out of (exact deadline, scheduling order)"
        for handle in fired:
            deadline = due[handle.id][1]
            assert deadline is not None
            assert deadline <= now, "fired early"
            if not isinstance(handle, PeriodicTimer):
                assert not handle.pending
                self.gone.add(handle.id)
        for timer in self.model.live.values():
            deadline = timer.handle.deadline
            assert deadline is not None
            assert deadline > grain_time(current, self.hz), "a due timer did not fire"

    @rule(chance=st.integers(min_value=0, max_value=19))
    def cancel_all(self, chance: int) -> None:
        # Rarely, since it empties the wheel; and never for 0, the value the shrinker tries first.
        if chance < 19:
            return
        assert self.wheel.cancel_all() == len(self.model.live)
        for timer in self.model.live.values():
            timer.pending = False
            self.gone.add(timer.handle.id)
        self.model.live.clear()

    # -- invariants -----------------------------------------------------------------------------

    @invariant()
    def structure_holds(self) -> None:
        self.wheel._check()
        assert len(self.wheel) == len(self.model.live)
        assert self.wheel.dropped == self.model.dropped
        assert len(self.wheel) <= self.model.max_timers

    @invariant()
    def next_deadline_matches(self) -> None:
        if not self.observe_next:
            return
        expected = self.model.next_grain()
        assert self.wheel.next_grain() == expected
        assert self.wheel.next_deadline() == (None if expected is None else expected / self.hz)
        self.wheel._check()  # also with the cache fresh

    @invariant()
    def handles_match(self) -> None:
        for timer in self.timers:
            handle = timer.handle
            assert handle.pending == timer.pending
            assert handle.deadline == (grain_time(timer.grain, self.hz) if timer.pending else None)
            assert handle.missed_ticks == timer.missed

    def teardown(self) -> None:
        # Whatever the run left, the wheel still agrees with the model at the end.
        if self.model.live:
            assert self.wheel.next_grain() == self.model.next_grain()
            self.wheel._check()


MACHINE_STEPS: Final = 120
"""Steps per run: enough for timers to cascade down the levels, periodic timers to stall and
debounce-style re-arms to pile up (200 such runs take about 10 s)."""

TestTimerWheelMachine = TimerWheelMachine.TestCase
TestTimerWheelMachine.settings = settings(
    # The heaviest property test (about 0.4 s a run under coverage): 6 runs under the default
    # profile (the unit tests below cover every line and branch of the timer modules without
    # it), the profile's 200 under CI's.
    max_examples=6 if settings().max_examples < 200 else settings().max_examples,
    stateful_step_count=MACHINE_STEPS,
)


# -- unit tests: rounding and time conversion ---------------------------------------------------


def make_wheel(
    start: float = 0.0, *, resolution: float = 0.001, max_timers: int = 1024
) -> tuple[ManualClock, TimerWheel]:
    clock = ManualClock(start)
    return clock, TimerWheel(clock, resolution=resolution, max_timers=max_timers)


def fire_ids(wheel: TimerWheel, clock: ManualClock) -> list[int]:
    """Expire at the clock's time, check the invariants, and return the fired ids."""
    fired = [int(handle.id) for handle in wheel.expire(clock.now())]
    wheel._check()
    return fired


class CeilBudget:
    """Stands in for `math` in the grain scale's module (`kernel._core.grains`), failing once
    `ceil` is called too often."""

    def __init__(self, budget: int) -> None:
        self.calls = 0
        self.budget = budget

    def __getattr__(self, name: str) -> object:
        return getattr(math, name)

    def ceil(self, value: float) -> int:
        self.calls += 1
        assert self.calls <= self.budget, f"more than {self.budget} grain conversions"
        return math.ceil(value)


@pytest.mark.parametrize(("resolution", "start", "delay", "deadline"), ROUNDING_CASES)
def test_wheel_schedule_rounds_deadline_up(
    resolution: float, start: float, delay: float, deadline: float
) -> None:
    _, wheel = make_wheel(start, resolution=resolution)
    handle = wheel.schedule(delay, noop)
    assert handle.deadline == deadline
    assert wheel.next_deadline() == deadline


NOISE_FREE_GRAINS: Final = 2**22
"""Below this many grains a grain's own float time rounds back to exactly that grain. Far beyond,
where the float error of ``(grain / hz) * hz`` can exceed the noise the wheel forgives (at most
1e-3 of a grain), it may round one grain up (never down: a timer is never early)."""


@given(grain=st.integers(min_value=0, max_value=2**52), resolution=resolutions)
def test_wheel_grain_conversions_agree_with_the_spec_rule(grain: int, resolution: float) -> None:
    _, wheel = make_wheel(resolution=resolution)
    hz = hz_of(resolution)
    time = grain_time(grain, hz)
    assert wheel._deadline_grain(time) == deadline_grain(time, hz)
    assert wheel._deadline_grain(time) in (
        (grain,) if grain < NOISE_FREE_GRAINS else (grain, grain + 1)
    )
    assert wheel._now_grain(time) == grain == now_grain(time, hz)
    between = math.nextafter(time, math.inf)
    assert wheel._now_grain(between) == now_grain(between, hz)
    assert wheel._deadline_grain(between) == deadline_grain(between, hz)


# -- unit tests: level edges, far origins, overflow ---------------------------------------------

ORIGINS: Final = (0, 2**40, HORIZON - 2, 3 * HORIZON - 1)
BINARY_RESOLUTION: Final = 2**-10
"""About a millisecond, and a power of two: grain times and their sums are exact floats, so a
delay of n grains lands exactly n grains on, however far from zero the clock is."""


def assert_fires_exactly_at(
    clock: ManualClock, wheel: TimerWheel, grain: int, ids: list[int]
) -> None:
    """Nothing of `ids` fires before `grain` (a grain, a level slot, or a float earlier); all at it."""
    hz = 1.0 / wheel.resolution
    for before in (grain - 64**2, grain - 64, grain - 1):
        if grain_time(before, hz) > clock.now():
            clock.advance_to(grain_time(before, hz))
            assert not set(fire_ids(wheel, clock)) & set(ids)
    clock.advance_to(math.nextafter(grain_time(grain, hz), -math.inf))
    assert not set(fire_ids(wheel, clock)) & set(ids)
    clock.advance_to(grain_time(grain, hz))
    assert fire_ids(wheel, clock) == ids


@pytest.mark.parametrize("origin", ORIGINS, ids=[f"origin={o}" for o in ORIGINS])
@pytest.mark.parametrize("grains", LEVEL_EDGES, ids=[f"grains={t}" for t in LEVEL_EDGES])
def test_wheel_fires_level_edge_delays_exactly_on_time(origin: int, grains: int) -> None:
    clock, wheel = make_wheel(origin * BINARY_RESOLUTION, resolution=BINARY_RESOLUTION)
    handle = wheel.schedule(grains * BINARY_RESOLUTION, noop)
    late = wheel.schedule((grains + 1) * BINARY_RESOLUTION, noop)
    assert handle.deadline == (origin + grains) * BINARY_RESOLUTION
    assert_fires_exactly_at(clock, wheel, origin + grains, [handle.id])
    assert wheel.next_deadline() == (origin + grains + 1) * BINARY_RESOLUTION
    assert_fires_exactly_at(clock, wheel, origin + grains + 1, [late.id])


@pytest.mark.parametrize("origin", ORIGINS, ids=[f"origin={o}" for o in ORIGINS])
@pytest.mark.parametrize("grains", LEVEL_EDGES, ids=[f"grains={t}" for t in LEVEL_EDGES])
def test_wheel_fires_level_edge_delays_on_the_rounded_grain_at_1ms(
    origin: int, grains: int
) -> None:
    clock, wheel = make_wheel(origin / 1000.0)
    when = clock.now() + grains / 1000.0
    grain = deadline_grain(when, 1000.0)
    assert grain in (origin + grains, origin + grains + 1)  # + 1: see NOISE_FREE_GRAINS
    handle = wheel.schedule(grains / 1000.0, noop)
    assert handle.deadline == grain / 1000.0
    assert_fires_exactly_at(clock, wheel, grain, [handle.id])


@pytest.mark.parametrize("level", range(1, 7), ids=[f"64**{k}" for k in range(1, 7)])
def test_wheel_fires_deadlines_on_absolute_level_boundaries(level: int) -> None:
    size = 64**level
    clock, wheel = make_wheel((2**40 + 5) * BINARY_RESOLUTION, resolution=BINARY_RESOLUTION)
    base = (2**40 // size + 1) * size
    handles = {
        wheel.schedule((base + d) * BINARY_RESOLUTION - clock.now(), noop).id: base + d
        for d in (-1, 0, 1)
    }
    assert wheel.next_deadline() == (base - 1) * BINARY_RESOLUTION
    for handle_id, grain in handles.items():
        assert_fires_exactly_at(clock, wheel, grain, [handle_id])
    assert len(wheel) == 0


def test_wheel_fires_overflow_timers_exactly_on_time() -> None:
    clock, wheel = make_wheel(2**40 * BINARY_RESOLUTION, resolution=BINARY_RESOLUTION)
    delays_in_grains = [3 * HORIZON + 7, HORIZON + 1, HORIZON, 2 * HORIZON - 1, 10 * HORIZON]
    handles = [wheel.schedule(t * BINARY_RESOLUTION, noop) for t in delays_in_grains]
    wheel._check()
    order = sorted(range(len(handles)), key=lambda i: delays_in_grains[i])
    for i in order:
        deadline = handles[i].deadline
        assert deadline == (2**40 + delays_in_grains[i]) * BINARY_RESOLUTION
        assert wheel.next_deadline() == deadline
        clock.advance_to(math.nextafter(deadline, -math.inf))
        assert fire_ids(wheel, clock) == []
        clock.advance_to(deadline)
        assert fire_ids(wheel, clock) == [handles[i].id]


@pytest.mark.parametrize(
    "delay", [1e300, 1e306, sys.float_info.max], ids=["1e300", "1e306", "float-max"]
)
def test_wheel_accepts_any_finite_delay(delay: float) -> None:
    clock, wheel = make_wheel(resolution=1e-6)
    handle = wheel.schedule(delay, noop)
    soon = wheel.schedule(1.0, noop)
    assert handle.pending
    assert handle.deadline == delay
    clock.advance(1e9)
    assert fire_ids(wheel, clock) == [soon.id]
    assert wheel.next_deadline() == delay
    assert handle.reset(2.0)
    assert handle.deadline == 1e9 + 2.0
    assert handle.reset(delay)
    assert handle.cancel()
    assert len(wheel) == 0


def test_wheel_big_jump_fires_each_overdue_timer_once_in_order() -> None:
    clock, wheel = make_wheel(2**40 / 1000.0)
    delays = [((i * 7919) % 5003) * 64 ** (i % 7) / 1000.0 for i in range(600)]
    handles = [wheel.schedule(delay, noop) for delay in delays]
    expected = sorted(handles, key=lambda h: (h._when, h.id))
    clock.advance(max(delays) + 1)  # past every deadline, the overflow ones included
    fired = wheel.expire(clock.now())
    wheel._check()
    assert [h.id for h in fired] == [h.id for h in expected]
    assert fire_ids(wheel, clock) == []
    assert len(wheel) == 0


def test_wheel_orders_a_batch_by_exact_deadline_then_scheduling_order() -> None:
    clock, wheel = make_wheel(resolution=0.01)
    late = wheel.schedule(0.009, noop)
    first = wheel.schedule(0.001, noop)
    tie_a = wheel.schedule(0.005, noop)
    tie_b = wheel.schedule(0.005, noop)
    assert {h.deadline for h in (late, first, tie_a, tie_b)} == {0.01}
    clock.advance_to(0.01)
    assert fire_ids(wheel, clock) == [first.id, tie_a.id, tie_b.id, late.id]


def place(handle: TimerHandle) -> tuple[int, int]:
    """(level, slot index) of a pending timer."""
    slot = handle._slot
    assert isinstance(slot, levels_module.Slot)
    return slot.level, slot.index


def test_wheel_equal_deadlines_listed_out_of_order_fire_in_scheduling_order() -> None:
    # A run is sorted by the float deadline alone unless two are equal; here the slot lists the
    # later-scheduled timer first, so only the (deadline, id) fallback gets the order right.
    clock, wheel = make_wheel()
    first = wheel.schedule(0.150, noop)  # level 1, slot 2
    second = wheel.schedule(0.100, noop)  # level 1, slot 1
    other = wheel.schedule(0.0999, noop)  # same grain, earlier deadline
    assert first.reset(0.100)  # earlier: re-filed into slot 1, listed after `second`
    assert first._when == second._when
    assert place(first) == place(second) == (1, 1)
    clock.advance_to(1.0)
    assert fire_ids(wheel, clock) == [other.id, first.id, second.id]


def test_wheel_timer_rearmed_past_its_slot_is_refiled_not_fired_from_it() -> None:
    clock, wheel = make_wheel()
    moved = wheel.schedule(0.100, noop)  # level 1, slot 1 (grains 64-127)
    later_slot = wheel.schedule(0.140, noop)  # level 1, slot 2 (grains 128-191): between them
    assert moved.reset(0.200)  # later: still listed in slot 1, its deadline in slot 3's span
    assert place(moved) == (1, 1)
    clock.advance_to(1.0)  # both slots due in one call
    runs: list[list[int]] = []
    assert wheel.expire_runs(clock.now(), lambda run: runs.append([h.id for h in run])) == 2
    assert runs == [[later_slot.id], [moved.id]]  # each in its own slot's turn
    wheel._check()


def test_wheel_overdue_timer_rearmed_later_leaves_the_due_slot() -> None:
    clock, wheel = make_wheel(1.0)
    due = wheel.schedule(0.0, noop)  # grain 1000 = the position: the due slot
    between = wheel.schedule(0.002, noop)
    assert due.reset(0.005)  # later: listed in the due slot, deadline 1.005
    clock.advance_to(1.010)
    assert fire_ids(wheel, clock) == [between.id, due.id]


def place_grains(wheel: TimerWheel, run: list[TimerHandle]) -> list[int]:
    """The deadline grain of each timer of a run."""
    return [wheel._deadline_grain(h._when) for h in run]


def test_wheel_coarse_slot_due_as_a_whole_comes_out_as_per_grain_runs() -> None:
    clock, wheel = make_wheel()
    delays = [(64 + (i * 37) % 64) / 1000 - (i % 3) * 0.0003 for i in range(200)]
    handles = [wheel.schedule(delay, noop) for delay in delays]  # all in level 1, slot 1
    assert {place(h) for h in handles} == {(1, 1)}
    clock.advance_to(0.2)
    runs: list[list[TimerHandle]] = []
    assert wheel.expire_runs(clock.now(), runs.append) == len(handles)
    grains = [set(place_grains(wheel, run)) for run in runs]
    assert all(len(run_grains) == 1 for run_grains in grains)  # one grain per run
    assert len(runs) == 64  # every grain of the slot
    joined = [h for run in runs for h in run]
    assert joined == sorted(handles, key=lambda h: (h._when, h.id))
    assert not any(h.pending for h in handles)
    wheel._check()


def test_wheel_partly_due_coarse_slot_fires_the_due_and_cascades_the_rest() -> None:
    clock, wheel = make_wheel()
    handles = [wheel.schedule((64 + i) / 1000, noop) for i in range(64)]  # level 1, slot 1
    clock.advance_to(0.1)  # grains 64-100 are due, 101-127 are not
    runs: list[list[TimerHandle]] = []
    wheel.expire_runs(clock.now(), runs.append)
    assert [h for run in runs for h in run] == handles[:37]
    assert all(place(h)[0] == 0 for h in handles[37:])
    wheel._check()


def test_wheel_expire_runs_rearms_periodic_timers_after_their_run() -> None:
    clock, wheel = make_wheel()
    periodic = wheel.schedule_periodic(0.100, noop)
    one_shot = wheel.schedule(0.100, noop)
    clock.advance_to(0.1)
    seen: list[tuple[int, bool, float | None]] = []

    def sink(run: list[TimerHandle]) -> None:
        seen.extend((h.id, h.pending, h.deadline) for h in run)

    assert wheel.expire_runs(clock.now(), sink) == 2
    # Handed over on the deadline that fired; the periodic one re-armed only afterwards.
    assert seen == [(periodic.id, True, 0.1), (one_shot.id, False, None)]
    assert periodic.deadline == 0.2
    assert len(wheel) == 1


def test_wheel_run_split_is_skipped_where_grain_numbers_grow_past_the_limit() -> None:
    clock, wheel = make_wheel(2.0**80, resolution=1.0)  # grains past 2**62: one run per slot
    handles = [wheel.schedule(float(2**30 * k), noop) for k in (3, 1, 2)]
    clock.advance_to(2.0**80 + 2.0**33)
    assert fire_ids(wheel, clock) == [handles[1].id, handles[2].id, handles[0].id]


def test_wheel_never_fires_a_float_before_the_deadline() -> None:
    clock, wheel = make_wheel()
    handle = wheel.schedule(0.0005, noop)
    clock.advance_to(0.0005)  # the exact deadline, but not yet the grain it rounds up to
    assert fire_ids(wheel, clock) == []
    clock.advance_to(math.nextafter(0.001, 0.0))
    assert fire_ids(wheel, clock) == []
    clock.advance_to(0.001)
    assert fire_ids(wheel, clock) == [handle.id]


def test_wheel_zero_delay_fires_on_the_next_expire() -> None:
    clock, wheel = make_wheel(1.0005)
    handle = wheel.schedule(0, noop)
    assert fire_ids(wheel, clock) == []  # due at 1.001: now's grain is 1.000
    clock.advance_to(1.001)
    assert fire_ids(wheel, clock) == [handle.id]
    on_grain = wheel.schedule(0.0, noop)
    assert fire_ids(wheel, clock) == [on_grain.id]


def test_wheel_expire_with_nothing_due_returns_nothing() -> None:
    clock, wheel = make_wheel()
    assert wheel.expire(clock.now()) == []
    wheel.schedule(5, noop)
    clock.advance(4.999)
    assert fire_ids(wheel, clock) == []


# -- unit tests: capacity, cancel, close ---------------------------------------------------------


def test_wheel_max_timers_bounds_live_timers_exactly() -> None:
    clock, wheel = make_wheel(max_timers=3)
    handles = [wheel.schedule(1, noop), wheel.schedule_periodic(1, noop), wheel.schedule(2, noop)]
    failed = wheel.schedule(1, noop)
    failed_periodic = wheel.schedule_periodic(1, noop)
    assert failed.failed
    assert failed_periodic.failed
    assert (failed.pending, failed.deadline, failed.missed_ticks) == (False, None, 0)
    assert len({h.id for h in (*handles, failed, failed_periodic)}) == 5
    assert wheel.dropped == 2
    assert len(wheel) == 3
    assert handles[2].cancel()  # a cancelled timer frees its place at once
    again = wheel.schedule(3, noop)
    assert not again.failed
    clock.advance(1)
    assert fire_ids(wheel, clock) == [handles[0].id, handles[1].id]
    assert len(wheel) == 2  # the fired one-shot left; the periodic one stays
    assert not wheel.schedule(1, noop).failed
    assert wheel.schedule(1, noop).failed
    assert wheel.dropped == 3


def test_wheel_failed_handle_cannot_be_cancelled_or_reset() -> None:
    _, wheel = make_wheel(max_timers=1)
    wheel.schedule(1, noop)
    failed = wheel.schedule(1, noop)
    assert not failed.cancel()
    assert not wheel.cancel(failed.id)
    assert not failed.reset(1)
    with pytest.raises(ValueError, match=r"^delay must be >= 0, got -1$"):
        failed.reset(-1)
    assert "failed" in repr(failed)


def test_wheel_cancel_by_id_returns_true_only_for_pending_timers() -> None:
    clock, wheel = make_wheel()
    handle = wheel.schedule(1, noop)
    assert not wheel.cancel(handle.id + 10**9)
    assert wheel.cancel(handle.id)
    assert not wheel.cancel(handle.id)
    assert not handle.cancel()
    fired = wheel.schedule(0, noop)
    assert fire_ids(wheel, clock) == [fired.id]
    assert not wheel.cancel(fired.id)


def has_id_map(wheel: TimerWheel) -> bool:
    """Whether the wheel built its id map (read through a call: no narrowing between reads)."""
    return wheel._by_id is not None


def test_wheel_id_map_is_built_by_the_first_cancel_by_id() -> None:
    clock, wheel = make_wheel()
    by_handle = [wheel.schedule(0.001 * i, noop) for i in range(1, 5)]
    far = wheel.schedule(2**36 / 1000 + 1.0, noop)  # the overflow heap is searched too
    assert by_handle[0].cancel()
    assert not has_id_map(wheel)  # cancelling through handles never builds it
    assert not wheel.cancel(by_handle[0].id)
    assert has_id_map(wheel)
    later = wheel.schedule(0.5, noop)  # known to the map once it exists
    assert wheel.cancel(later.id)
    assert wheel.cancel(far.id)
    assert wheel.cancel(by_handle[3].id)
    wheel._check()
    clock.advance_to(1.0)
    assert fire_ids(wheel, clock) == [by_handle[1].id, by_handle[2].id]


def test_wheel_id_map_drops_its_dead_once_they_outnumber_the_live() -> None:
    _, wheel = make_wheel()
    keep = wheel.schedule(1.0, noop)
    assert not wheel.cancel(10**18)  # builds the map
    for _ in range(100):  # a debounce through the map
        assert wheel.cancel(wheel.schedule(0.3, noop).id)
    wheel._check()
    assert wheel._by_id is not None
    assert len(wheel._by_id) <= 1 + 65  # rebuilt without the dead at least once
    assert wheel.cancel(keep.id)
    assert wheel.cancel_all() == 0
    assert wheel._by_id == {}
    wheel._check()


def test_wheel_cancel_all_without_an_id_map_finds_every_timer() -> None:
    _, wheel = make_wheel()
    handles = [wheel.schedule(delay, noop) for delay in (0.0, 0.01, 5.0, 2**36 / 1000 + 1.0)]
    assert handles[1].reset(0.0)  # listed twice: counted once
    assert wheel.cancel_all() == 4
    assert not has_id_map(wheel)
    assert not any(h.pending for h in handles)
    wheel._check()


def test_wheel_next_deadline_looks_at_one_slot_not_every_timer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, wheel = make_wheel(max_timers=10_000)
    handles = [wheel.schedule(1 + i * 0.0371, noop) for i in range(10_000)]
    assert wheel.next_deadline() == 1.0
    # Each cancel empties the cached earliest slot; finding the next one may read the timers of
    # one slot (at most ~110 of these), never all 10,000.
    budget = CeilBudget(250)
    monkeypatch.setattr(grains_module, "math", budget)
    for earliest, following in itertools.pairwise(handles[:3000]):
        budget.calls = 0
        assert earliest.cancel()
        assert wheel.next_deadline() == following.deadline
    monkeypatch.undo()
    wheel._check()


def test_wheel_cancelling_every_timer_of_a_slot_empties_it_at_once() -> None:
    _, wheel = make_wheel()
    handles = [wheel.schedule(0.5 + i / 10**6, noop) for i in range(100)]
    # The wheel files handles in its Slots.
    slot = cast("levels_module.Slot[TimerHandle]", handles[0]._slot)
    assert slot is not None
    assert all(h._slot is slot for h in handles)
    for handle in handles:
        assert handle.cancel()
    assert slot.entries == []
    assert slot.live == 0
    assert wheel.next_deadline() is None
    wheel._check()


def test_wheel_close_refuses_later_schedules_and_keeps_pending_ones() -> None:
    clock, wheel = make_wheel()
    handle = wheel.schedule(1, noop)
    wheel.close()
    wheel.close()
    assert wheel.schedule(1, noop).failed
    assert wheel.schedule_periodic(1, noop).failed
    assert wheel.dropped == 2
    clock.advance(1)
    assert fire_ids(wheel, clock) == [handle.id]


def test_wheel_cancel_all_cancels_every_pending_timer() -> None:
    clock, wheel = make_wheel()
    handles = [wheel.schedule(d, noop) for d in (0, 1, 1e9)]
    periodic = wheel.schedule_periodic(0.5, noop)
    assert wheel.cancel_all() == 4
    assert not any(h.pending for h in (*handles, periodic))
    assert len(wheel) == 0
    assert wheel.next_deadline() is None
    clock.advance(2e9)
    assert fire_ids(wheel, clock) == []
    assert wheel.cancel_all() == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"resolution": 0}, ValueError, r"^resolution must be in \[1e-06, 1.0\] seconds, got 0$"),
        ({"resolution": -0.001}, ValueError, r"^resolution must be in .* seconds, got -0.001$"),
        ({"resolution": 2.0}, ValueError, r"^resolution must be in .* seconds, got 2.0$"),
        ({"resolution": math.nan}, ValueError, r"^resolution must be in .* seconds, got nan$"),
        ({"resolution": True}, TypeError, r"^resolution must be a number of seconds, got True$"),
        ({"resolution": "1ms"}, TypeError, r"^resolution must be a number of seconds, got '1ms'$"),
        ({"max_timers": 0}, ValueError, r"^max_timers must be >= 1, got 0$"),
        ({"max_timers": 1.5}, TypeError, r"^max_timers must be an int >= 1, got 1.5$"),
    ],
    ids=["zero", "negative", "too-coarse", "nan", "bool", "str", "max-timers-zero", "max-float"],
)
def test_wheel_rejects_bad_construction(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        TimerWheel(ManualClock(), **kwargs)  # type: ignore[arg-type]


def test_wheel_schedule_rejects_bad_arguments_and_changes_nothing() -> None:
    _, wheel = make_wheel()
    cases: list[tuple[Callable[[], object], type[Exception], str]] = [
        (lambda: wheel.schedule(-1, noop), ValueError, r"^delay must be >= 0, got -1$"),
        (lambda: wheel.schedule(math.inf, noop), ValueError, r"^delay must be finite, got inf$"),
        (lambda: wheel.schedule(0, 1), TypeError, r"^fn must be callable, got 1$"),  # type: ignore[arg-type]
        (lambda: wheel.schedule(0, noop, priority=-1), ValueError, r"^priority must be in"),
        (lambda: wheel.schedule(0, noop, name=1), TypeError, r"^name must be a str or None"),  # type: ignore[arg-type]
        (lambda: wheel.schedule_periodic(0, noop), ValueError, r"^interval must be > 0, got 0$"),
        (
            lambda: wheel.schedule_periodic(1, noop, missed="skip"),  # type: ignore[arg-type]
            TypeError,
            r"^missed must be a MissedTicks, got 'skip'$",
        ),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()
    assert len(wheel) == 0
    assert wheel.dropped == 0


def test_wheel_seconds_until_next() -> None:
    clock, wheel = make_wheel()
    assert wheel.seconds_until_next(clock.now()) is None
    wheel.schedule(0.5, noop)
    clock.advance(0.2)
    assert wheel.seconds_until_next(clock.now()) == pytest.approx(0.3)
    clock.advance(0.3)
    assert wheel.seconds_until_next(clock.now()) == 0.0
    assert "live=1" in repr(wheel)


# -- unit tests: re-arming ----------------------------------------------------------------------


def test_wheel_rearm_later_is_lazy_and_keeps_one_entry() -> None:
    clock, wheel = make_wheel()
    handle = wheel.schedule(0.3, noop)
    for keystroke in range(1000):  # a debounce: each keystroke pushes the deadline 1 ms later
        clock.advance(0.001)
        assert handle.reset(0.3)
        assert wheel.expire(clock.now()) == []
        if keystroke % 100 == 0:
            wheel._check()  # O(slots): every 100th keystroke keeps the test fast
    entries = sum(len(slot.entries) for slot in wheel._slots) + len(wheel._due.entries)
    assert entries + len(wheel._overflow) <= 2
    deadline = handle.deadline
    assert deadline == pytest.approx(1.3)
    assert deadline is not None
    clock.advance_to(math.nextafter(deadline, 0.0))
    assert fire_ids(wheel, clock) == []
    clock.advance_to(deadline)
    assert fire_ids(wheel, clock) == [handle.id]


def rearm_into_the_same_slot(clock: ManualClock, wheel: TimerWheel) -> TimerHandle:
    clock.advance_to(0.064)
    wheel.schedule(0.010, noop)  # keeps the slot alive
    handle = wheel.schedule(0.005, noop)
    handle.reset(0.002)  # earlier, into the slot it is already in
    return handle


def rearm_back_through_a_cascade(clock: ManualClock, wheel: TimerWheel) -> TimerHandle:
    handle = wheel.schedule(0.150, noop)
    wheel.schedule(0.160, noop)  # keeps the first slot alive
    handle.reset(0.070)  # earlier: to the previous level-1 slot
    handle.reset(0.150)  # later, in place; the cascade re-files it into the first slot
    clock.advance_to(0.064)
    assert fire_ids(wheel, clock) == []
    return handle


def rearm_within_the_due_slot(clock: ManualClock, wheel: TimerWheel) -> TimerHandle:
    wheel.schedule(0, noop)
    handle = wheel.schedule(0, noop)
    handle.reset(1)
    handle.reset(0)
    return handle


@pytest.mark.parametrize(
    "scenario",
    [rearm_into_the_same_slot, rearm_back_through_a_cascade, rearm_within_the_due_slot],
    ids=["same-slot", "back-through-cascade", "due-slot"],
)
def test_wheel_rearm_back_into_a_slot_fires_once(
    scenario: Callable[[ManualClock, TimerWheel], TimerHandle],
) -> None:
    clock, wheel = make_wheel()
    handle = scenario(clock, wheel)
    wheel._check()
    clock.advance(1)
    fired = fire_ids(wheel, clock)
    assert fired.count(handle.id) == 1
    assert len(fired) == 2
    assert len(wheel) == 0


def test_wheel_rearm_earlier_periodic_into_same_slot_fires_once_per_period() -> None:
    clock, wheel = make_wheel()
    clock.advance_to(0.064)
    wheel.schedule(0.010, noop)
    periodic = wheel.schedule_periodic(0.005, noop)
    assert periodic.reset(0.002)
    clock.advance_to(0.066)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.deadline == 0.071
    assert len(wheel) == 2


# -- unit tests: periodic timers ----------------------------------------------------------------


@pytest.mark.parametrize("origin", [0.0, 2**40 / 1000.0], ids=["origin=0", "origin=2**40"])
def test_wheel_skip_with_interval_far_below_resolution_is_found_directly(
    origin: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, wheel = make_wheel(origin)
    periodic = wheel.schedule_periodic(1e-9, noop)
    budget = CeilBudget(2000)  # stepping through ~10.5 ms of 1 ns periods would take millions
    monkeypatch.setattr(grains_module, "math", budget)
    clock.advance_to(origin + 0.0105)  # mid-grain: ~10.5 ms of 1 ns periods behind
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.deadline == (round(origin * 1000) + 11) / 1000.0
    clock.advance_to(origin + 0.011)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.missed_ticks > 10_000_000


@pytest.mark.parametrize(
    ("origin", "resolution", "interval"),
    [(2**40 / 1000.0, 0.001, 1e-7), (0.0, 0.001, 1e-13), (1e11, 1e-6, 1e-6)],
    ids=["below-clock-precision", "below-grain-tolerance", "grains-finer-than-floats"],
)
def test_wheel_delay_interval_lost_in_rounding_fires_once_per_expire(
    origin: float, resolution: float, interval: float
) -> None:
    clock, wheel = make_wheel(origin, resolution=resolution)
    periodic = wheel.schedule_periodic(interval, noop, missed=MissedTicks.DELAY)
    other = wheel.schedule(0, noop)
    assert sorted(fire_ids(wheel, clock)) == [periodic.id, other.id]
    deadline = periodic.deadline
    assert deadline is not None
    assert deadline > clock.now()
    assert wheel.next_deadline() == deadline
    assert fire_ids(wheel, clock) == []
    clock.advance_to(deadline)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.missed_ticks == 0


def test_wheel_skip_after_a_stall_fires_once_and_counts_missed_periods() -> None:
    clock, wheel = make_wheel(2**40 / 1000.0)
    start = clock.now()
    periodic = wheel.schedule_periodic(0.1, noop)
    clock.advance_to(start + 1.05)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.missed_ticks == 9  # deadlines at 0.2 .. 1.0 were skipped
    assert periodic.deadline == pytest.approx(start + 1.1)
    clock.advance_to(start + 100.0)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.missed_ticks == 9 + 989


NOISY_GRAIN: Final = 65_691_502
"""A grain whose own time rounds one grain up at resolution 0.003 (see NOISE_FREE_GRAINS)."""
NOISY_TIME: Final = NOISY_GRAIN / hz_of(0.003)


@pytest.mark.parametrize(
    ("resolution", "start", "interval", "now"),
    [
        (0.001, 0.0, 0.1, 1.05),
        (0.001, 0.0, 0.7, 1000.0),
        (0.003, 10.0, 1 / 3, 12345.678),
        (0.001, 2**40 / 1000.0, 1e-9, 2**40 / 1000.0 + 0.0105),
        (0.003, math.nextafter(NOISY_TIME, 0.0), 1e-12, NOISY_TIME),
    ],
    ids=["tenths", "sevenths", "thirds", "nanoseconds-far-out", "estimate-overshoots"],
)
def test_wheel_skip_lands_on_the_first_grid_point_after_now(
    resolution: float, start: float, interval: float, now: float
) -> None:
    clock, wheel = make_wheel(start, resolution=resolution)
    periodic = wheel.schedule_periodic(interval, noop)
    model = WheelModel(clock, resolution, 1)
    timer = ModelTimer(handle=periodic, interval=interval, anchor=start + interval, pending=True)
    model.arm(timer, start + interval)
    model.live[periodic.id] = timer
    clock.advance_to(now)
    assert fire_ids(wheel, clock) == [periodic.id] == [t.handle.id for _, _, t in model.expire()]
    assert periodic.deadline == grain_time(timer.grain, model.hz)
    assert periodic.missed_ticks == timer.missed


def test_wheel_delay_rearms_at_fire_time_plus_interval() -> None:
    clock, wheel = make_wheel()
    periodic = wheel.schedule_periodic(1, noop, missed=MissedTicks.DELAY)
    clock.advance_to(2.5)
    assert fire_ids(wheel, clock) == [periodic.id]
    assert periodic.deadline == 3.5
    assert periodic.missed_ticks == 0


def test_wheel_periodic_handle_reports_interval_and_policy() -> None:
    _, wheel = make_wheel()
    periodic = wheel.schedule_periodic(0.25, noop, missed=MissedTicks.DELAY)
    assert isinstance(periodic, PeriodicTimer)
    assert (periodic.interval, periodic.policy) == (0.25, MissedTicks.DELAY)
    default = wheel.schedule_periodic(2, noop)
    assert isinstance(default, PeriodicTimer)
    assert (default.interval, default.policy) == (2.0, MissedTicks.SKIP)


def test_wheel_periodic_timers_do_not_keep_their_callable_once_cancelled() -> None:
    _, wheel = make_wheel()
    periodic = wheel.schedule_periodic(1, noop)
    assert periodic.cancel()
    gc.collect()
    assert periodic._fn is None


def test_wheel_float_noise_never_adds_a_grain_far_from_zero() -> None:
    """Past ~2**20 grains float noise exceeds 1e-9 of a grain; the wheel forgives a few ulps."""
    clock, wheel = make_wheel(8343.325)
    assert wheel.schedule(1.977, noop).deadline == 8345.302
    clock.advance_to(0.0 + 8343.325)
    assert wheel.schedule(1073741.823 - 8343.325, noop).deadline == 1073741.823


def test_wheel_cancelled_overflow_timer_is_skipped_when_its_block_comes_due() -> None:
    clock, wheel = make_wheel()
    beyond = HORIZON * 0.001  # seconds past the top level, into the overflow heap
    cancelled = wheel.schedule(beyond + 1, noop)
    kept = wheel.schedule(beyond + 2, noop)
    assert cancelled.cancel()  # its heap entry stays until the block is taken
    wheel._check()
    clock.advance_to(beyond + 2)
    assert fire_ids(wheel, clock) == [kept.id]
    assert len(wheel) == 0


@pytest.mark.parametrize("delay", [10.0, 1e9], ids=["slot", "overflow-heap"])
def test_wheel_compacts_a_slot_once_its_cancelled_outnumber_its_live(delay: float) -> None:
    """Issue #8 item 5: cancelled timers beside live ones are freed, not kept until the slot
    comes due (debounce by cancel on a frozen clock)."""
    clock, wheel = make_wheel(max_timers=4)
    kept = [wheel.schedule(delay, noop), wheel.schedule(delay, noop)]
    for _ in range(1_000):
        wheel.schedule(delay, noop).cancel()
    wheel._check()
    slot = kept[0]._slot
    assert isinstance(slot, levels_module.Slot)
    listed = len(wheel._overflow) if delay > 1e6 else len(slot.entries)
    assert listed <= 2 * len(kept) + levels_module.DEAD_SLACK + 1
    clock.advance(delay)
    assert wheel.expire(clock.now()) == kept
    wheel._check()
