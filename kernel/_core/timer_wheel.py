"""`TimerWheel`: a hierarchical timer wheel with cascading, in the manner of tokio's.

Time is counted in integer *grains* of `resolution` seconds on the clock's own scale (`grains`).
Six levels of 64 slots each cover 64**6 grains (2.2 years at 1 ms); a timer goes to the level of
the highest base-64 digit in which its deadline grain differs from the wheel's position, and when
its coarse slot comes due it drops to a finer level, so it fires on its own grain. Deadlines
beyond the top level wait in an overflow heap. This module is the public face: scheduling with
its checks, cancelling by id, expiring, the next deadline and the invariants. Underneath are the
levels (`timer_levels`), the filing and firing (`timer_slots`, which alone writes a timer's wheel
fields) and the overflow heap (`timer_overflow`). docs/timer_wheel.md explains the layout, with a
diagram.

Costs (n = pending timers): schedule O(1) (O(log f) past the horizon, f overflow timers);
cancel amortised O(1) (the id map drops dead timers in batches); a deadline pushed later O(1)
(the timer is re-filed when its old slot comes due); firing O(1) amortised per timer plus
O(k log k) to order the k timers due on one grain, a grain at a time (`expire_runs`);
`next_deadline()` O(1) when cached, else O(levels + s) for the s timers of the earliest
occupied slot.
"""

from __future__ import annotations

import math
import sys
from typing import TYPE_CHECKING, Final, Protocol, final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.grains import GrainScale
from kernel._core.task import Priority, check_name
from kernel._core.timer_handle import FailedTimer, TimerHandle
from kernel._core.timer_levels import DUE, LEVELS, SLOTS, Slot, slot_start
from kernel._core.timer_periodic import MissedTicks, PeriodicTimer
from kernel._core.timer_slots import (
    TimerEntry,
    TimerId,
    TimerSlots,
    new_timer_id,
    past_the_float_range,
)
from kernel._core.validate import (
    check_callable,
    check_delay,
    check_instance,
    check_interval,
    check_positive_int,
    check_priority,
    is_callable,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.clock import Clock

__all__ = ["ScheduleTimer", "TimerWheel"]

Ts = TypeVarTuple("Ts")

_NORMAL: Final = int(Priority.NORMAL)
_LARGEST_FLOAT: Final = sys.float_info.max
_INFINITY: Final = math.inf


class ScheduleTimer(Protocol):
    """The signature of `TimerWheel.schedule` (and so of `Runtime.schedule_delayed`)."""

    def __call__(
        self,
        delay: float,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = ...,
        name: str | None = None,
    ) -> TimerHandle: ...


@final
class TimerWheel(TimerSlots):
    """Pending timers in a six-level hierarchical wheel, firing never early and in order.

    A timer fires in the first `expire` call whose time is at or after its deadline rounded up to
    `resolution`; timers firing together come out ordered by exact deadline, then scheduling
    order. Cancelled timers free their place at once, and a slot whose timers were all cancelled
    is emptied on the spot, so cancelled timers neither hold memory nor wake the loop.

    Args:
        clock: the time source for `schedule` and `reset`.
        resolution: seconds per grain, the rounding step of deadlines.
        max_timers: the most live timers; scheduling past it returns a failed handle.

    Raises:
        TypeError: `resolution` is not a number, or `max_timers` not an int.
        ValueError: `resolution` is outside ``[1e-6, 1.0]``, or `max_timers` < 1.

    Not thread-safe: schedule, cancel and expire on one thread.
    """

    __slots__ = ("_by_id", "_dropped", "_limit", "_max_timers")

    def __init__(self, clock: Clock, *, resolution: float = 0.001, max_timers: int = 1024) -> None:
        check_positive_int(max_timers, "max_timers")
        super().__init__(clock, GrainScale(resolution))
        self._max_timers = max_timers
        self._limit = max_timers  # what scheduling compares against: max_timers, or 0 once closed
        # Every live timer by id, for `cancel(id)`; built by the first such call (a program that
        # cancels through handles never pays for it). Timers that fired or were cancelled stay
        # in it until the dead outnumber the live: one rebuild then costs less than a delete at a
        # random spot of a large dict for each of them.
        self._by_id: dict[TimerId, TimerEntry] | None = None
        self._dropped = 0

    # -- public API -----------------------------------------------------------------------------

    @property
    def resolution(self) -> float:
        """Seconds per grain."""
        return self._scale.resolution

    @property
    def max_timers(self) -> int:
        """The most live timers."""
        return self._max_timers

    @property
    def dropped(self) -> int:
        """Schedules refused because the wheel was full or closed (cumulative)."""
        return self._dropped

    def __len__(self) -> int:
        """The number of live (pending) timers. O(1)."""
        return self.live

    def schedule(
        self,
        delay: float,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = _NORMAL,
        name: str | None = None,
    ) -> TimerHandle:
        """Fire ``fn(*args)`` once, `delay` seconds from now (rounded up to the resolution).

        `Runtime.schedule_delayed` is this method, bound (PERF.md P2: one frame less per call).
        Runtime complexity: O(1).

        Returns:
            A pending handle, or a failed one (counted in `dropped`) if the wheel is full or
            closed.

        Raises:
            TypeError / ValueError: a bad `delay`, `fn`, `priority` or `name`.
        """
        # The common case (a non-negative float, a plain int priority, no name) is checked
        # inline; anything else takes the full checks, which raise with a clear message.
        if delay.__class__ is not float or not 0.0 <= delay <= _LARGEST_FLOAT:
            delay = check_delay(delay)
        if priority is not _NORMAL or name is not None or not is_callable(fn):
            _check_timer_args(fn, priority, name)
        if self.live >= self._limit:
            return self._failed()
        now = self._clock.now()
        when = now + delay
        if when == _INFINITY:
            raise past_the_float_range("delay", delay, now)
        # Everything that can fail comes before the first change: a refused timer leaves no trace.
        grain = self._deadline_grain(when)
        handle = TimerHandle(new_timer_id(), when, fn, args, priority, name)
        self._file(handle, grain)
        by_id = self._by_id
        if by_id is not None:
            by_id[handle._id] = handle
        self.live += 1
        return handle

    def schedule_periodic(
        self,
        interval: float,
        fn: Callable[..., object],
        /,
        *args: object,
        priority: int = _NORMAL,
        name: str | None = None,
        missed: MissedTicks = MissedTicks.SKIP,
    ) -> TimerHandle:
        """Fire ``fn(*args)`` every `interval` seconds, first at ``now + interval``.

        Runtime complexity: O(1).

        Raises:
            TypeError / ValueError: a bad `interval`, `fn`, `priority`, `name` or `missed`.
        """
        seconds = check_interval(interval)
        _check_timer_args(fn, priority, name)
        check_instance(missed, MissedTicks, "missed", "a MissedTicks")
        if self.live >= self._limit:
            return self._failed()
        now = self._clock.now()
        when = now + seconds
        if when == _INFINITY:
            raise past_the_float_range("interval", interval, now)
        grain = self._deadline_grain(when)
        handle = PeriodicTimer(new_timer_id(), when, fn, args, priority, name, seconds, missed)
        self._file(handle, grain)
        by_id = self._by_id
        if by_id is not None:
            by_id[handle._id] = handle
        self.live += 1
        return handle

    def cancel(self, timer_id: int) -> bool:
        """Cancel the pending timer with this id. Amortised O(1).

        Returns:
            True if it was pending; False for an unknown, fired, cancelled or failed id.
        """
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = {h._id: h for h in self._live_entries()}
            self._dead = 0
        handle = by_id.get(timer_id)  # type: ignore[call-overload]  # any int may be asked
        return handle is not None and handle.cancel()

    def next_deadline(self) -> float | None:
        """The earliest deadline of a live timer, in clock seconds (rounded), or None.

        Runtime complexity: O(1) when cached; otherwise O(levels) plus the timers in the
        earliest occupied slot.
        """
        grain = self.next_grain()
        return None if grain is None else self._grain_seconds(grain)

    def seconds_until_next(self, now: float) -> float | None:
        """Seconds from `now` to the earliest deadline: 0.0 if a timer is due, None if none.

        Nothing fires before the wheel's position (the furthest time `expire` has seen): after a
        clock that went backwards, the wait runs to that position, so a loop sleeps instead of
        ticking in vain until the clock comes round again.
        """
        grain = self.next_grain()
        if grain is None:
            return None
        if grain < self._elapsed:
            grain = self._elapsed
        if grain <= self._now_grain(now):
            return 0.0
        return self._grain_seconds(grain) - now

    def next_grain(self) -> int | None:
        """The earliest deadline of a live timer as a grain number, or None."""
        if self._next_dirty:
            self._find_next()
        return self._next_grain

    def expire(self, now: float) -> list[TimerHandle]:
        """Advance to `now` and return the timers due, ordered by (exact deadline, scheduling order).

        One-shot timers returned are no longer pending. Periodic timers are re-armed on their
        grid (`MissedTicks.SKIP`, counting skipped periods) or at ``now + interval``
        (`MissedTicks.DELAY`). A clock jump visits only occupied slots, never every grain between.
        It is `expire_runs` with the runs joined into one list.
        """
        fired: list[TimerHandle] = []
        self.expire_runs(now, fired.extend)
        return fired

    def expire_runs(self, now: float, sink: Callable[[list[TimerHandle]], object]) -> int:
        """Advance to `now` and hand the timers due to `sink`, a *run* at a time; return how many.

        A run is the due timers of one grain (of one slot at the finest level, or of the slot of
        timers already overdue), ordered by (exact deadline, scheduling order); runs come in grain
        order, so together they are `expire`'s list. Each run is handed over as soon as it is
        sorted, while its timers are still in the CPU's cache (PERF.md P3, P4); the sink (the
        timers phase queues their tasks) must not call back into the wheel. One-shots are no
        longer pending when their run is handed over; periodic timers are re-armed after it.
        """
        if not self.live:
            return 0
        now_grain = self._now_grain(now)
        fired = 0
        while True:
            slot, start = self._earliest_slot()
            if slot is None or start > now_grain:
                break
            if start > self._elapsed:
                self._elapsed = start
            # A sink of handles takes these runs: every entry this wheel files is a TimerHandle.
            fired += self._process(slot, start, now, now_grain, sink)  # type: ignore[arg-type]
            self._next_dirty = True
        # Every slot up to now is processed, so the position can move to now even when nothing
        # fired: new timers then land on the finest levels, never on a stale coarse one.
        if now_grain > self._elapsed:
            self._elapsed = now_grain
        return fired

    def close(self) -> None:
        """Refuse (and count) every later schedule; pending timers stay. Idempotent."""
        self._limit = 0

    def __repr__(self) -> str:
        return (
            f"<TimerWheel live={self.live} next_deadline={self.next_deadline()}"
            f" resolution={self._scale.resolution} max_timers={self._max_timers}>"
        )

    def _failed(self) -> TimerHandle:
        self._dropped += 1
        return FailedTimer(new_timer_id(), math.nan, None, (), _NORMAL, None)

    def _drop_dead(self) -> None:
        """Rebuild the id map without the dead, once they outnumber the live: one pass over the
        map, amortised O(1) per timer that died."""
        by_id = self._by_id
        if by_id is not None:
            self._by_id = (
                {i: h for i, h in by_id.items() if h._slot is not None} if self.live else {}
            )
        self._dead = 0

    # -- invariants -----------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert the wheel's invariants (for tests)."""
        live = self._live_entries()
        assert len(live) == self.live <= self._max_timers
        if self._by_id is not None:
            assert len(self._by_id) == self.live + self._dead
            assert all(self._by_id[h._id] is h for h in live)
        for level in range(LEVELS):
            for index in range(SLOTS):
                slot = self._slots[level * SLOTS + index]
                members = {id(h) for h in slot.entries if h._slot is slot}
                assert slot.live == len(members), (level, index)
                assert bool(self._occupied[level] >> index & 1) == (slot.live > 0)
                if not slot.live:
                    assert not slot.entries
        for special in (self._due, self._far):
            entries = self._overflow.listed() if special is self._far else special.entries
            assert special.live == len({id(h) for h in entries if h._slot is special})
        assert sum(s.live for s in (*self._slots, self._due, self._far)) == self.live
        for handle in live:
            home = handle._slot
            assert isinstance(home, Slot)
            if home.level == DUE or home is self._far:
                continue
            start = slot_start(self._elapsed, home.level, home.index)
            assert start > self._elapsed
            # Never filed past its deadline; a deadline re-armed in place only moves later.
            assert self._deadline_grain(handle._when) >= start
        if not self._next_dirty:
            grains = [self._deadline_grain(h._when) for h in live]
            assert self._next_grain == (min(grains) if grains else None)


def _check_timer_args(fn: object, priority: object, name: object) -> None:
    check_callable(fn)
    check_priority(priority)
    check_name(name)
