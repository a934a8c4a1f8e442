"""Filing and firing: `TimerEntry` and the code that writes it (docs/timer_wheel.md).

`TimerEntry` is a timer's record in the wheel (its id, exact deadline and slot) and the part of
its handle that talks to the wheel (`cancel`, `reset`, `deadline`); `TimerHandle` extends it.
`TimerSlots`, the base of `TimerWheel`, builds on the levels (`timer_levels`): it files a timer in
the slot of its deadline grain, removes it on cancel, moves it on reset, takes a due slot apart
into runs of timers to fire, and finds the exact next deadline. This module is the only one that
writes an entry's `_slot` and `_when` (a subclass sets its own in ``__init__``), so the record and
the code that changes it stay together; the levels and the overflow heap only read them.

A timer goes to the level of the highest base-64 digit in which its deadline grain differs from
the wheel's position; when its coarse slot comes due it drops to a finer level (cascading), so it
fires on its own grain. Deadlines beyond the top level wait in the `OverflowHeap`.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import TYPE_CHECKING, ClassVar, Final, NewType, cast

from kernel._core.timer_levels import (
    DEAD_SLACK,
    HORIZON,
    LEVEL_OF_BIT_LENGTH,
    LEVELS,
    SLOT_BITS,
    SLOT_MASK,
    SLOTS,
    Slot,
    TimerLevels,
)
from kernel._core.validate import check_delay

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kernel._core.clock import Clock
    from kernel._core.grains import GrainScale

__all__ = ["TimerEntry", "TimerId", "TimerSlots", "new_timer_id", "past_the_float_range"]

TimerId = NewType("TimerId", int)
"""A timer's identity: an int unique within the process."""

# Process-wide, like task ids: an id from one runtime can never cancel another runtime's timer.
# A bound C method, so drawing an id costs no Python frame on the scheduling hot path.
new_timer_id: Final = cast("Iterator[TimerId]", itertools.count(1)).__next__
"""Return a fresh, process-unique `TimerId`."""

_INFINITY: Final = math.inf
_FIRE_ORDER: Final = operator.attrgetter("_when", "_id")
"""Timers firing together go by exact deadline, then scheduling order (SPEC §11)."""
_WHEN: Final = operator.attrgetter("_when")
"""The sort key of a run without equal deadlines (`_in_firing_order`)."""
_RUN_SLACK: Final = 1e-3
"""Of a grain: at least the float noise `GrainScale.deadline_grain` forgives, so a run key is the
deadline's grain even for a deadline computed a hair past it (``0.065 * 1000``)."""
_FEW: Final = 3
"""Timers a slot may hold for `_process` to convert each deadline rather than ask `due_by`."""
_SPLIT_GRAINS: Final = 2**62
"""A coarse slot is split into per-grain runs only where grain numbers fit this (always, but at
clock values near the float range)."""


class TimerEntry:
    """A timer's record in the wheel, and what its handle asks of the wheel (`TimerHandle`).

    The wheel owns `_slot` (where the timer is filed; None once it cannot fire) and `_when` (its
    exact deadline in clock seconds); `_id` orders equal deadlines. A subclass sets all three in
    its ``__init__`` (no base call: one Python frame less per timer scheduled) and may override
    the hooks. Use an entry on the runtime's thread.
    """

    __slots__ = ("_id", "_slot", "_when")

    _id: TimerId
    _when: float
    _slot: Slot[TimerEntry] | None

    _periodic: ClassVar[bool] = False
    """True for a timer the wheel re-files after it fires (`_advance`) instead of retiring it."""

    @property
    def deadline(self) -> float | None:
        """The next deadline in clock seconds, rounded up to the resolution; None unless pending."""
        slot = self._slot
        return None if slot is None else slot.deadline_seconds(self._when)

    def cancel(self) -> bool:
        """Stop the timer from firing. Idempotent; works from inside any callback.

        A task the timer already queued still runs.

        Returns:
            True if the timer was pending; False if it already fired (one-shot), was cancelled,
            or failed.
        """
        slot = self._slot
        if slot is None:
            return False
        slot.wheel._remove(self)
        return True

    def reset(self, delay: float) -> bool:
        """Re-arm a pending timer to fire `delay` seconds from now; a periodic's grid restarts there.

        O(1): a deadline moved later is rewritten in place, and the wheel re-files the timer
        when its old slot comes due. A task the timer already queued still runs.

        Returns:
            True if the timer was pending; False (nothing changes) otherwise.

        Raises:
            TypeError: `delay` is not a number.
            ValueError: `delay` is negative or not finite (checked even when not pending), or
                would put the deadline past the largest float.
        """
        seconds = check_delay(delay)
        slot = self._slot
        if slot is None:
            return False
        slot.wheel._rearm(self, seconds)
        return True

    # -- hooks the wheel calls -------------------------------------------------------------------

    def _release(self) -> None:
        """The timer will not fire again (cancelled): drop what it holds. Nothing here."""

    def _restart(self, when: float) -> None:
        """`reset` moved a periodic timer's next deadline to `when` (only if `_periodic`)."""

    def _advance(self, now: float, now_grain: int, scale: GrainScale) -> tuple[float, int]:
        """A periodic timer fired at `now`: its next deadline and that deadline's grain."""
        raise NotImplementedError


class TimerSlots(TimerLevels[TimerEntry]):
    """The operations that move timers into and out of the slots: the base of `TimerWheel`.

    Args:
        clock: the time source for `reset`; the position starts at its time.
        scale: the grain scale of the wheel.

    Not thread-safe.
    """

    __slots__ = ("_clock", "_dead", "live")

    def __init__(self, clock: Clock, scale: GrainScale) -> None:
        super().__init__(scale, clock.now())
        self._clock = clock
        self.live = 0
        """Live timers, as ``len()``: read-only outside this class (a plain attribute so
        `Runtime.tick` tests it for the price of an attribute read, PERF.md P6)."""
        self._dead = 0  # timers that died since the last `_drop_dead`

    def cancel_all(self) -> int:
        """Cancel every pending timer; return how many there were. O(n)."""
        entries = self._live_entries()
        for entry in entries:
            entry._slot = None
            entry._release()
        for slot in (*self._slots, self._due, self._far):
            slot.entries.clear()
            slot.live = 0
        self._occupied = [0] * LEVELS
        self._overflow.clear()
        self.live = 0
        self._drop_dead()
        self._next_grain = None
        self._next_slot = None
        self._next_dirty = False
        return len(entries)

    def _drop_dead(self) -> None:
        """Hook: the dead outnumber the live (`TimerWheel` rebuilds its id map); reset the count."""
        self._dead = 0

    # -- filing ---------------------------------------------------------------------------------

    def _file(self, entry: TimerEntry, grain: int) -> None:
        """Put a live timer in the slot for `grain`, relative to the wheel's position. O(1)."""
        elapsed = self._elapsed
        diff = grain ^ elapsed
        if grain > elapsed and 0 <= diff < HORIZON:
            # The level is the highest base-64 digit in which `grain` and the position differ.
            # Grains on either side of zero (a negative clock) differ in the sign, above every
            # level (their XOR is negative): they wait in the overflow heap like far ones, and
            # enter the wheel when the block that starts at grain 0 comes due.
            level = LEVEL_OF_BIT_LENGTH[diff.bit_length()]
            slot = self._slots[level * SLOTS + ((grain >> (level * SLOT_BITS)) & SLOT_MASK)]
            if not slot.live:
                self._occupied[level] |= slot.bit
            slot.entries.append(entry)
        elif grain > elapsed:
            slot = self._far
            self._overflow.push(grain, entry)
        else:
            slot = self._due
            slot.entries.append(entry)
        slot.live += 1
        entry._slot = slot
        next_grain = self._next_grain
        if (next_grain is None or grain < next_grain) and not self._next_dirty:
            self._next_grain = grain
            self._next_slot = slot

    def _remove(self, entry: TimerEntry) -> None:
        """Cancel a pending timer: it leaves its slot and frees its place at once.

        The slot lets go of it first; the entry and the counts change after that in plain
        stores, so an exception at any call (a `RecursionError` at the stack's limit) leaves
        either the timer pending and counted, or cancelled and uncounted, never half of each.
        """
        slot = entry._slot
        assert slot is not None  # only a pending timer is removed
        self._unlink(slot)
        entry._slot = None
        self.live -= 1
        self._dead += 1
        entry._release()  # a cancelled timer never runs: free what its callable holds
        if self._dead > self.live + DEAD_SLACK:
            self._drop_dead()

    def _rearm(self, entry: TimerEntry, delay: float) -> None:
        """Move a pending timer's next deadline to ``now + delay`` (`TimerEntry.reset`)."""
        now = self._clock.now()
        when = now + delay
        if when == _INFINITY:
            raise past_the_float_range("delay", delay, now)
        if entry._periodic:
            entry._restart(when)
        if when >= entry._when:
            # Later: rewrite in place; the old slot re-files it when it comes due.
            entry._when = when
            if entry._slot is self._next_slot:
                self._next_dirty = True
            return
        slot = entry._slot
        assert slot is not None
        self._unlink(slot)
        entry._when = when
        self._file(entry, self._deadline_grain(when))

    # -- expiring -------------------------------------------------------------------------------

    def _process(
        self,
        slot: Slot[TimerEntry],
        start: int,
        now: float,
        now_grain: int,
        sink: Callable[[list[TimerEntry]], object],
    ) -> int:
        """Fire the due timers of `slot` (which comes due at `start`) run by run; re-file the rest.

        A timer fires here if its deadline grain is at or before both `now_grain` and the slot's
        last grain. Any other is re-filed from the slot's start: one level finer if it lies
        within the slot (cascading), or in a later slot if its deadline was moved past this one
        (`reset`), so it fires in its own slot, in order. Returns how many fired.
        """
        limit = start + slot.width - 1
        if now_grain < limit:
            limit = now_grain
        members = self._take(slot)
        # Most timers are decided by one float comparison with `due_by`; the rest are converted.
        # A few timers are converted outright: each costs a call, `due_by` costs three.
        due_by = self._scale.due_by(limit) if len(members) > _FEW else -_INFINITY
        deadline_grain = self._deadline_grain
        hz = self._scale.hz
        # A coarse slot is split into per-grain runs. The run key only has to grow with the
        # deadline: ``ceil(when * hz - 1e-3)`` does (as ``-int(...)``), and is the deadline's
        # grain but for one within a thousandth of a grain past a boundary, which joins the run
        # before. It is finite wherever `due_by` is.
        split = slot.width > 1 and -_SPLIT_GRAINS < due_by * hz < _SPLIT_GRAINS
        runs: dict[int, list[TimerEntry]] = {}
        run: list[TimerEntry] | None
        periodic: list[TimerEntry] = []
        fired: list[TimerEntry] = []
        for entry in members:
            when = entry._when
            if when > due_by:
                grain = deadline_grain(when)
                if grain > limit:
                    self._file(entry, grain)
                    continue
            if split:
                key = -int(_RUN_SLACK - when * hz)
                run = runs.get(key)
                if run is None:
                    runs[key] = [entry]
                else:
                    run.append(entry)
            else:
                fired.append(entry)
            if entry._periodic:
                periodic.append(entry)
            else:
                entry._slot = None
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
            for entry in periodic:  # after its run was handed over: the sort read its deadline
                entry._when, grain = entry._advance(now, now_grain, self._scale)
                self._file(entry, grain)
        return count

    def _retire(self, count: int) -> None:
        """Count `count` timers as no longer live (`_remove` does the same inline for one)."""
        self.live -= count
        self._dead += count
        if self._dead > self.live + DEAD_SLACK:
            self._drop_dead()

    # -- the next deadline ----------------------------------------------------------------------

    def _find_next(self) -> None:
        """Recompute the exact earliest deadline and cache it with its slot."""
        self._next_dirty = False
        while True:
            slot, start = self._earliest_slot()
            if slot is None:
                self._next_grain = self._next_slot = None
                return
            grain: int | None
            if slot is self._far:
                grain = self._overflow.front()
            else:
                end = self._elapsed + 1 if slot is self._due else start + slot.width
                grain = self._earliest_in(slot, end)
            if grain is not None:
                self._next_grain = grain
                self._next_slot = slot
                return

    def _earliest_in(self, slot: Slot[TimerEntry], end: int) -> int | None:
        """The earliest deadline in `slot` that lies before `end`.

        Timers re-armed past the slot (deadlines moved later in place) are re-filed now; if
        nothing else is left, returns None and the slot is empty.
        """
        best: int | None = None
        stale: list[tuple[TimerEntry, int]] = []
        for entry in slot.entries:
            if entry._slot is slot:
                grain = self._deadline_grain(entry._when)
                if grain >= end:
                    stale.append((entry, grain))
                elif best is None or grain < best:
                    best = grain
        if best is None:
            for entry, grain in dict.fromkeys(stale):  # a timer may be listed twice (see _take)
                self._unlink(slot)
                self._file(entry, grain)
        return best


def _in_firing_order(run: list[TimerEntry]) -> list[TimerEntry]:
    """Sort a run of due timers by (exact deadline, id), in place, and return it.

    Sorting by the float deadline alone is much cheaper (C-level float keys, no tuple per timer);
    the (deadline, id) key is needed only when two deadlines are equal.
    """
    if len(run) > 1:
        run.sort(key=_WHEN)
        if len(set(map(_WHEN, run))) < len(run):
            run.sort(key=_FIRE_ORDER)
    return run


def past_the_float_range(name: str, value: float, now: float) -> ValueError:
    """The error for a delay or interval that puts a deadline past the largest float."""
    return ValueError(
        f"{name} must keep the deadline within the float range, got {value!r} at now={now!r}"
    )
