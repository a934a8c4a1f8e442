"""`TimerWheel`: a hierarchical timer wheel with cascading, in the manner of tokio's.

Time is counted in integer *ticks* of `resolution` seconds on the clock's own scale. Six levels of
64 slots each cover 64**6 ticks (2.2 years at 1 ms); a timer goes to the level of the highest
base-64 digit in which its deadline tick differs from the wheel's position, and when its coarse
slot comes due it drops to a finer level, so it fires on its own tick. Deadlines beyond the top
level wait in an overflow heap. docs/timer_wheel.md explains the layout, with a diagram.

Costs (n = pending timers): schedule O(1) (O(log f) past the horizon, f overflow timers);
cancel amortised O(1) (the id map drops dead timers in batches); a deadline pushed later O(1)
(the timer is re-filed when its old slot comes due); firing O(1) amortised per timer plus
O(k log k) to order the k timers due on one tick, a tick at a time (`expire_runs`); `next_deadline()` O(1) when cached, else
O(levels + s) for the s timers of the earliest occupied slot.
"""

from __future__ import annotations

import heapq
import math
import operator
import sys
from typing import TYPE_CHECKING, Final, Protocol, final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.task import Priority, check_name
from kernel._core.ticks import TickScale
from kernel._core.timer_handle import (
    FailedTimer,
    MissedTicks,
    PeriodicTimer,
    TimerHandle,
    TimerId,
    new_timer_id,
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

__all__ = ["LEVELS", "SLOT_BITS", "ScheduleTimer", "Slot", "TimerWheel"]

Ts = TypeVarTuple("Ts")

SLOT_BITS: Final = 6
"""64 slots per level: a level's occupancy fits one machine word (tokio, Linux)."""
SLOTS: Final = 1 << SLOT_BITS
LEVELS: Final = 6
"""Six levels reach 64**6 ticks: about 2.2 years at the default 1 ms resolution."""
HORIZON_BITS: Final = SLOT_BITS * LEVELS
_HORIZON: Final = 1 << HORIZON_BITS
_SLOT_MASK: Final = SLOTS - 1
_LEVEL_OF_BIT_LENGTH: Final = tuple(
    max(0, bits - 1) // SLOT_BITS for bits in range(HORIZON_BITS + 1)
)
"""The wheel level for a difference of that many bits (a table lookup instead of a division)."""
_DUE: Final = -1
"""The level number of the slot holding timers already due (deadline at or before the position)."""
_FAR: Final = LEVELS
"""The level number of the overflow slot (deadlines beyond the top level)."""
_NORMAL: Final = int(Priority.NORMAL)
_LARGEST_FLOAT: Final = sys.float_info.max
_INFINITY: Final = math.inf
_DEAD_SLACK: Final = 64
"""Dead timers the id map (and a slot, or the overflow heap) may hold beyond its live count
before it is rebuilt: small ones are rebuilt rarely, large ones once their dead outnumber
their live."""
_FIRE_ORDER: Final = operator.attrgetter("_when", "_id")
"""Timers firing together go by exact deadline, then scheduling order (SPEC §11)."""
_WHEN: Final = operator.attrgetter("_when")
"""The sort key of a run without equal deadlines (`_in_firing_order`)."""
_RUN_SLACK: Final = 1e-3
"""Of a tick: at least the float noise `TickScale.deadline_tick` forgives, so a run key is the
deadline's tick even for a deadline computed a hair past it (``0.065 * 1000``)."""
_FEW: Final = 3
"""Timers a slot may hold for `_process` to convert each deadline rather than ask `due_by`."""
_SPLIT_TICKS: Final = 2**62
"""A coarse slot is split into per-tick runs only where tick numbers fit this (always, but at
clock values near the float range)."""


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
class Slot:
    """One bucket of timers; `live` counts the timers that still belong to it."""

    __slots__ = ("bit", "entries", "index", "level", "live", "wheel", "width")

    def __init__(self, wheel: TimerWheel, level: int, index: int) -> None:
        self.wheel = wheel
        self.level = level
        self.index = index
        self.bit = 1 << index if 0 <= level < LEVELS else 0
        # Ticks the slot spans from the tick it comes due: the due slot holds what is due at the
        # position, the overflow slot a whole block of the horizon.
        self.width = _HORIZON if level == _FAR else 1 if level == _DUE else _width(level)
        self.entries: list[TimerHandle] = []
        self.live = 0


@final
class TimerWheel:
    """Pending timers in a six-level hierarchical wheel, firing never early and in order.

    A timer fires in the first `expire` call whose time is at or after its deadline rounded up to
    `resolution`; timers firing together come out ordered by exact deadline, then scheduling
    order. Cancelled timers free their place at once, and a slot whose timers were all cancelled
    is emptied on the spot, so cancelled timers neither hold memory nor wake the loop.

    Args:
        clock: the time source for `schedule` and `reset`.
        resolution: seconds per tick, the rounding step of deadlines.
        max_timers: the most live timers; scheduling past it returns a failed handle.

    Raises:
        TypeError: `resolution` is not a number, or `max_timers` not an int.
        ValueError: `resolution` is outside ``[1e-6, 1.0]``, or `max_timers` < 1.

    Not thread-safe: schedule, cancel and expire on one thread.
    """

    __slots__ = (
        "_by_id",
        "_clock",
        "_dead",
        "_deadline_seconds",
        "_deadline_tick",
        "_dropped",
        "_due",
        "_elapsed",
        "_far",
        "_far_heap",
        "_limit",
        "_max_timers",
        "_next_dirty",
        "_next_slot",
        "_next_tick",
        "_now_tick",
        "_occupied",
        "_scale",
        "_slots",
        "_tick_seconds",
        "live",
    )

    def __init__(self, clock: Clock, *, resolution: float = 0.001, max_timers: int = 1024) -> None:
        check_positive_int(max_timers, "max_timers")
        scale = TickScale(resolution)
        self._clock = clock
        self._scale = scale
        # The conversions, bound once: the wheel calls them on every timer it files or fires.
        self._deadline_tick = scale.deadline_tick
        self._now_tick = scale.now_tick
        self._tick_seconds = scale.seconds
        self._deadline_seconds = scale.deadline_seconds
        self._max_timers = max_timers
        self._limit = max_timers  # what scheduling compares against: max_timers, or 0 once closed
        self._slots = [Slot(self, level, i) for level in range(LEVELS) for i in range(SLOTS)]
        self._occupied = [0] * LEVELS  # bit i of level L set <=> slot L*64+i has live timers
        self._due = Slot(self, _DUE, 0)
        self._far = Slot(self, _FAR, 0)
        self._far_heap: list[tuple[int, int, TimerHandle]] = []
        # Every live timer by id, for `cancel(id)`; built by the first such call (a program that
        # cancels through handles never pays for it). Timers that fired or were cancelled stay
        # in it until the dead outnumber the live: one rebuild then costs less than a delete at a
        # random spot of a large dict for each of them.
        self._by_id: dict[TimerId, TimerHandle] | None = None
        self.live = 0
        """Live timers, as ``len()``: read-only outside this class (a plain attribute so
        `Runtime.tick` tests it for the price of an attribute read, PERF.md P6)."""
        self._dead = 0
        self._elapsed = self._now_tick(clock.now())  # every slot before this tick is processed
        self._next_tick: int | None = None  # exact earliest deadline tick, valid unless dirty
        self._next_slot: Slot | None = None  # the slot that deadline came from
        self._next_dirty = False
        self._dropped = 0

    # -- public API -----------------------------------------------------------------------------

    @property
    def resolution(self) -> float:
        """Seconds per tick."""
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
            raise _past_the_float_range("delay", delay, now)
        # Everything that can fail comes before the first change: a refused timer leaves no trace.
        tick = self._deadline_tick(when)
        handle = TimerHandle(new_timer_id(), when, fn, args, priority, name)
        self._file(handle, tick)
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
        return self._schedule_periodic(interval, fn, args, priority, name, missed)

    def cancel(self, timer_id: int) -> bool:
        """Cancel the pending timer with this id. Amortised O(1).

        Returns:
            True if it was pending; False for an unknown, fired, cancelled or failed id.
        """
        by_id = self._by_id
        if by_id is None:
            by_id = self._by_id = {h._id: h for h in self._live_handles()}
            self._dead = 0
        handle = by_id.get(timer_id)  # type: ignore[call-overload]  # any int may be asked
        return handle is not None and handle.cancel()

    def next_deadline(self) -> float | None:
        """The earliest deadline of a live timer, in clock seconds (rounded), or None.

        Runtime complexity: O(1) when cached; otherwise O(levels) plus the timers in the
        earliest occupied slot.
        """
        tick = self.next_tick()
        return None if tick is None else self._tick_seconds(tick)

    def seconds_until_next(self, now: float) -> float | None:
        """Seconds from `now` to the earliest deadline: 0.0 if a timer is due, None if none.

        Nothing fires before the wheel's position (the furthest time `expire` has seen): after a
        clock that went backwards, the wait runs to that position, so a loop sleeps instead of
        ticking in vain until the clock comes round again.
        """
        tick = self.next_tick()
        if tick is None:
            return None
        if tick < self._elapsed:
            tick = self._elapsed
        if tick <= self._now_tick(now):
            return 0.0
        return self._tick_seconds(tick) - now

    def next_tick(self) -> int | None:
        """The earliest deadline of a live timer as a tick number, or None."""
        if self._next_dirty:
            self._find_next()
        return self._next_tick

    def expire(self, now: float) -> list[TimerHandle]:
        """Advance to `now` and return the timers due, ordered by (exact deadline, scheduling order).

        One-shot timers returned are no longer pending. Periodic timers are re-armed on their
        grid (`MissedTicks.SKIP`, counting skipped periods) or at ``now + interval``
        (`MissedTicks.DELAY`). A clock jump visits only occupied slots, never every tick between.
        It is `expire_runs` with the runs joined into one list.
        """
        fired: list[TimerHandle] = []
        self.expire_runs(now, fired.extend)
        return fired

    def expire_runs(self, now: float, sink: Callable[[list[TimerHandle]], object]) -> int:
        """Advance to `now` and hand the timers due to `sink`, a *run* at a time; return how many.

        A run is the due timers of one tick (of one slot at the finest level, or of the slot of
        timers already overdue), ordered by (exact deadline, scheduling order); runs come in tick
        order, so together they are `expire`'s list. Each run is handed over as soon as it is
        sorted, while its timers are still in the CPU's cache (PERF.md P3, P4); the sink (the
        timers phase queues their tasks) must not call back into the wheel. One-shots are no
        longer pending when their run is handed over; periodic timers are re-armed after it.
        """
        if not self.live:
            return 0
        now_tick = self._now_tick(now)
        fired = 0
        while True:
            slot, start = self._earliest_slot()
            if slot is None or start > now_tick:
                break
            if start > self._elapsed:
                self._elapsed = start
            fired += self._process(slot, start, now, now_tick, sink)
            self._next_dirty = True
        # Every slot up to now is processed, so the position can move to now even when nothing
        # fired: new timers then land on the finest levels, never on a stale coarse one.
        if now_tick > self._elapsed:
            self._elapsed = now_tick
        return fired

    def cancel_all(self) -> int:
        """Cancel every pending timer; return how many there were. O(n)."""
        handles = self._live_handles()
        for handle in handles:
            handle._slot = None
            handle._release()
        for slot in (*self._slots, self._due, self._far):
            slot.entries.clear()
            slot.live = 0
        self._occupied = [0] * LEVELS
        self._far_heap.clear()
        if self._by_id is not None:
            self._by_id.clear()
        self.live = self._dead = 0
        self._next_tick = None
        self._next_slot = None
        self._next_dirty = False
        return len(handles)

    def close(self) -> None:
        """Refuse (and count) every later schedule; pending timers stay. Idempotent."""
        self._limit = 0

    def __repr__(self) -> str:
        return (
            f"<TimerWheel live={self.live} next_deadline={self.next_deadline()}"
            f" resolution={self._scale.resolution} max_timers={self._max_timers}>"
        )

    # -- filing ---------------------------------------------------------------------------------

    def _schedule_periodic(
        self,
        interval: float,
        fn: Callable[..., object],
        args: tuple[object, ...],
        priority: int,
        name: str | None,
        missed: MissedTicks,
    ) -> TimerHandle:
        """`schedule_periodic` with positional arguments."""
        seconds = check_interval(interval)
        _check_timer_args(fn, priority, name)
        check_instance(missed, MissedTicks, "missed", "a MissedTicks")
        if self.live >= self._limit:
            return self._failed()
        now = self._clock.now()
        when = now + seconds
        if when == _INFINITY:
            raise _past_the_float_range("interval", interval, now)
        tick = self._deadline_tick(when)
        handle = PeriodicTimer(new_timer_id(), when, fn, args, priority, name, seconds, missed)
        self._file(handle, tick)
        by_id = self._by_id
        if by_id is not None:
            by_id[handle._id] = handle
        self.live += 1
        return handle

    def _failed(self) -> TimerHandle:
        self._dropped += 1
        return FailedTimer(new_timer_id(), math.nan, None, (), _NORMAL, None)

    def _file(self, handle: TimerHandle, tick: int) -> None:
        """Put a live timer in the slot for `tick`, relative to the wheel's position. O(1)."""
        elapsed = self._elapsed
        diff = tick ^ elapsed
        if tick > elapsed and 0 <= diff < _HORIZON:
            # The level is the highest base-64 digit in which `tick` and the position differ.
            # Ticks on either side of zero (a negative clock) differ in the sign, above every
            # level (their XOR is negative): they wait in the overflow heap like far ones, and
            # enter the wheel when the block that starts at tick 0 comes due.
            level = _LEVEL_OF_BIT_LENGTH[diff.bit_length()]
            slot = self._slots[level * SLOTS + ((tick >> (level * SLOT_BITS)) & _SLOT_MASK)]
            if not slot.live:
                self._occupied[level] |= slot.bit
            slot.entries.append(handle)
        elif tick > elapsed:
            slot = self._far
            heapq.heappush(self._far_heap, (tick, handle._id, handle))
        else:
            slot = self._due
            slot.entries.append(handle)
        slot.live += 1
        handle._slot = slot
        next_tick = self._next_tick
        if (next_tick is None or tick < next_tick) and not self._next_dirty:
            self._next_tick = tick
            self._next_slot = slot

    def _remove(self, handle: TimerHandle) -> None:
        """Cancel a pending timer: it leaves its slot and frees its place at once.

        The slot lets go of it first; the handle and the counts change after that in plain
        stores, so an exception at any call (a `RecursionError` at the stack's limit) leaves
        either the timer pending and counted, or cancelled and uncounted, never half of each.
        """
        slot = handle._slot
        assert isinstance(slot, Slot)  # a handle's home is the wheel's Slot (a TimerSlot)
        self._unlink(slot)
        handle._slot = None
        self.live -= 1
        self._dead += 1
        handle._release()  # a cancelled timer never runs: free what its callable holds
        if self._dead > self.live + _DEAD_SLACK:
            self._compact()

    def _retire(self, count: int) -> None:
        """Count `count` timers as no longer live (`_remove` does the same inline for one)."""
        self.live -= count
        self._dead += count
        if self._dead > self.live + _DEAD_SLACK:
            self._compact()

    def _compact(self) -> None:
        """Rebuild the id map without the dead, once they outnumber the live: one pass over the
        map, amortised O(1) per timer that died."""
        by_id = self._by_id
        if by_id is not None:
            self._by_id = (
                {i: h for i, h in by_id.items() if h._slot is not None} if self.live else {}
            )
        self._dead = 0

    def _unlink(self, slot: Slot) -> None:
        """One timer left `slot`: empty the slot on the spot if it was the last live one, and
        compact it once its dead entries outnumber the live ones (amortised O(1))."""
        live = slot.live - 1
        # Compacting (which calls, and so may fail) comes before any change: it only swaps a
        # list for an equivalent one. What follows is plain stores.
        if live and slot is self._far:
            if len(self._far_heap) > 2 * live + _DEAD_SLACK:
                self._compact_far()
        elif live and len(slot.entries) > 2 * live + _DEAD_SLACK:
            # Cancelled timers beside a live one (debounce by cancel on a frozen clock) would
            # otherwise stay listed until the slot comes due, however many there are.
            slot.entries = [h for h in dict.fromkeys(slot.entries) if h._slot is slot]
        slot.live = live
        if not live:
            slot.entries = []
            if slot is self._far:
                self._far_heap = []
            else:
                self._occupied[slot.level] &= ~slot.bit
        if slot is self._next_slot:
            self._next_dirty = True

    def _compact_far(self) -> None:
        """Rebuild the overflow heap from its live timers, as asyncio does once cancelled
        entries outnumber live ones. O(f) for f overflow timers, amortised O(1) per cancel."""
        far = self._far
        live = {id(entry[2]): entry[2] for entry in self._far_heap if entry[2]._slot is far}
        heap: list[tuple[int, int, TimerHandle]] = [
            (self._deadline_tick(h._when), h._id, h) for h in live.values()
        ]
        heapq.heapify(heap)
        self._far_heap = heap

    def _rearm(self, handle: TimerHandle, delay: float) -> None:
        """Move a pending timer's next deadline to ``now + delay`` (`TimerHandle.reset`)."""
        now = self._clock.now()
        when = now + delay
        if when == _INFINITY:
            raise _past_the_float_range("delay", delay, now)
        if isinstance(handle, PeriodicTimer):
            handle._restart(when)
        if when >= handle._when:
            # Later: rewrite in place; the old slot re-files it when it comes due.
            handle._when = when
            if handle._slot is self._next_slot:
                self._next_dirty = True
            return
        slot = handle._slot
        assert isinstance(slot, Slot)
        self._unlink(slot)
        handle._when = when
        self._file(handle, self._deadline_tick(when))

    # -- expiring -------------------------------------------------------------------------------

    def _earliest_slot(self) -> tuple[Slot | None, int]:
        """The first slot to process and the tick at which it comes due."""
        if self._due.live:
            return self._due, self._elapsed
        elapsed = self._elapsed
        for level in range(LEVELS):
            occupied = self._occupied[level]
            if occupied:
                index = (occupied & -occupied).bit_length() - 1
                shift = level * SLOT_BITS
                start = (elapsed >> (shift + SLOT_BITS) << (shift + SLOT_BITS)) | (index << shift)
                return self._slots[level * SLOTS + index], start
        if self._far.live:
            # Overflow timers enter the wheel when their 2**36-tick block begins.
            return self._far, self._far_heap[0][0] >> HORIZON_BITS << HORIZON_BITS
        return None, 0

    def _take(self, slot: Slot) -> list[TimerHandle]:
        """Empty `slot` (for overflow: its due block) and return the timers that belonged to it."""
        if slot is self._far:
            block = self._elapsed >> HORIZON_BITS
            heap = self._far_heap
            taken: dict[int, TimerHandle] = {}  # a timer re-filed earlier may sit in the heap twice
            while heap and heap[0][0] >> HORIZON_BITS <= block:
                handle = heapq.heappop(heap)[2]
                if handle._slot is slot:
                    taken[id(handle)] = handle
            members = list(taken.values())
        else:
            members = [handle for handle in slot.entries if handle._slot is slot]
            if len(members) > slot.live:
                # A timer that left this slot (re-armed earlier) and came back to it (re-armed
                # earlier into the same slot, or re-filed here later) is listed twice.
                members = list(dict.fromkeys(members))
            slot.entries = []
            if slot.level != _DUE:
                self._occupied[slot.level] &= ~slot.bit
        slot.live -= len(members)
        if slot is self._far and not slot.live:
            self._far_heap.clear()  # only stale duplicates can be left
        return members

    def _process(
        self,
        slot: Slot,
        start: int,
        now: float,
        now_tick: int,
        sink: Callable[[list[TimerHandle]], object],
    ) -> int:
        """Fire the due timers of `slot` (which comes due at `start`) run by run; re-file the rest.

        A timer fires here if its deadline tick is at or before both `now_tick` and the slot's
        last tick. Any other is re-filed from the slot's start: one level finer if it lies
        within the slot (cascading), or in a later slot if its deadline was moved past this one
        (`reset`), so it fires in its own slot, in order. Returns how many fired.
        """
        limit = start + slot.width - 1
        if now_tick < limit:
            limit = now_tick
        members = self._take(slot)
        # Most timers are decided by one float comparison with `due_by`; the rest are converted.
        # A few timers are converted outright: each costs a call, `due_by` costs three.
        due_by = self._scale.due_by(limit) if len(members) > _FEW else -_INFINITY
        deadline_tick = self._deadline_tick
        hz = self._scale.hz
        # A coarse slot is split into per-tick runs. The run key only has to grow with the
        # deadline: ``ceil(when * hz - 1e-3)`` does (as ``-int(...)``), and is the deadline's
        # tick but for one within a thousandth of a tick past a boundary, which joins the run
        # before. It is finite wherever `due_by` is.
        split = slot.width > 1 and -_SPLIT_TICKS < due_by * hz < _SPLIT_TICKS
        runs: dict[int, list[TimerHandle]] = {}
        run: list[TimerHandle] | None
        periodic: list[PeriodicTimer] = []
        fired: list[TimerHandle] = []
        for handle in members:
            when = handle._when
            if when > due_by:
                tick = deadline_tick(when)
                if tick > limit:
                    self._file(handle, tick)
                    continue
            if split:
                key = -int(_RUN_SLACK - when * hz)
                run = runs.get(key)
                if run is None:
                    runs[key] = [handle]
                else:
                    run.append(handle)
            else:
                fired.append(handle)
            if isinstance(handle, PeriodicTimer):
                periodic.append(handle)
            else:
                handle._slot = None
        count = sum(map(len, runs.values())) if split else len(fired)
        if count > len(periodic):
            self._retire(count - len(periodic))  # the one-shots: no longer live
        try:
            if split:
                for key in sorted(runs):
                    sink(_in_firing_order(runs[key]))
            elif fired:
                sink(_in_firing_order(fired))
        finally:
            for handle in periodic:  # after its run was handed over: the sort read its deadline
                self._file(handle, handle._advance(now, now_tick, self._scale))
        return count

    # -- the next deadline ----------------------------------------------------------------------

    def _find_next(self) -> None:
        """Recompute the exact earliest deadline and cache it with its slot."""
        self._next_dirty = False
        while True:
            slot, start = self._earliest_slot()
            if slot is None:
                self._next_tick = self._next_slot = None
                return
            tick: int | None
            if slot is self._far:
                tick = self._far_front()
            else:
                end = self._elapsed + 1 if slot is self._due else start + _width(slot.level)
                tick = self._earliest_in(slot, end)
            if tick is not None:
                self._next_tick = tick
                self._next_slot = slot
                return

    def _earliest_in(self, slot: Slot, end: int) -> int | None:
        """The earliest deadline in `slot` that lies before `end`.

        Timers re-armed past the slot (deadlines moved later in place) are re-filed now; if
        nothing else is left, returns None and the slot is empty.
        """
        best: int | None = None
        stale: list[tuple[TimerHandle, int]] = []
        for handle in slot.entries:
            if handle._slot is slot:
                tick = self._deadline_tick(handle._when)
                if tick >= end:
                    stale.append((handle, tick))
                elif best is None or tick < best:
                    best = tick
        if best is None:
            for handle, tick in dict.fromkeys(stale):  # a timer may be listed twice (see _take)
                self._unlink(slot)
                self._file(handle, tick)
        return best

    def _far_front(self) -> int:
        """The earliest overflow deadline, after dropping or re-sorting stale heap entries."""
        heap = self._far_heap
        while True:
            tick, _, handle = heap[0]
            actual = self._deadline_tick(handle._when)
            if handle._slot is self._far and actual == tick:
                return tick
            heapq.heappop(heap)
            if handle._slot is self._far:
                heapq.heappush(heap, (actual, handle._id, handle))

    def _live_handles(self) -> list[TimerHandle]:
        """Every pending timer, each once, from the slots and the overflow heap. O(n)."""
        live: dict[int, TimerHandle] = {}  # by identity: a timer may be listed twice (see _take)
        for slot in (*self._slots, self._due):
            if slot.live:
                live.update((id(h), h) for h in slot.entries if h._slot is slot)
        far = self._far
        live.update((id(entry[2]), entry[2]) for entry in self._far_heap if entry[2]._slot is far)
        return list(live.values())

    # -- invariants -----------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert the wheel's invariants (for tests)."""
        live = self._live_handles()
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
            entries = [e[2] for e in self._far_heap] if special is self._far else special.entries
            assert special.live == len({id(h) for h in entries if h._slot is special})
        assert sum(s.live for s in (*self._slots, self._due, self._far)) == self.live
        for handle in live:
            home = handle._slot
            assert isinstance(home, Slot)
            if home.level == _DUE or home is self._far:
                continue
            start = self._slot_start(home)
            assert start > self._elapsed
            # Never filed past its deadline; a deadline re-armed in place only moves later.
            assert self._deadline_tick(handle._when) >= start
        if not self._next_dirty:
            ticks = [self._deadline_tick(h._when) for h in live]
            assert self._next_tick == (min(ticks) if ticks else None)

    def _slot_start(self, slot: Slot) -> int:
        shift = slot.level * SLOT_BITS
        base = self._elapsed >> (shift + SLOT_BITS) << (shift + SLOT_BITS)
        return base | (slot.index << shift)


def _width(level: int) -> int:
    return 1 << (level * SLOT_BITS)


def _in_firing_order(run: list[TimerHandle]) -> list[TimerHandle]:
    """Sort a run of due timers by (exact deadline, id), in place, and return it.

    Sorting by the float deadline alone is much cheaper (C-level float keys, no tuple per timer);
    the (deadline, id) key is needed only when two deadlines are equal.
    """
    if len(run) > 1:
        run.sort(key=_WHEN)
        if len(set(map(_WHEN, run))) < len(run):
            run.sort(key=_FIRE_ORDER)
    return run


def _past_the_float_range(name: str, value: float, now: float) -> ValueError:
    return ValueError(
        f"{name} must keep the deadline within the float range, got {value!r} at now={now!r}"
    )


def _check_timer_args(fn: object, priority: object, name: object) -> None:
    check_callable(fn)
    check_priority(priority)
    check_name(name)
