"""The wheel's slots: where a pending timer is filed, and how it leaves (docs/timer_wheel.md).

`TimerEntry` is a timer's record in the wheel (its id, exact deadline and slot) and the part of
its handle that talks to the wheel (`cancel`, `reset`, `deadline`); `TimerHandle` extends it.
`TimerSlots`, the base of `TimerWheel`, is the machinery: six levels of 64 `Slot`s and the
overflow heap; it files a timer by its deadline grain, unlinks it on cancel, moves it on reset and
takes a due slot apart into runs of timers to fire. This module is the only one that writes an
entry's `_slot` and `_when` (a subclass sets its own in ``__init__``), so the record and the code
that changes it stay together.

A timer goes to the level of the highest base-64 digit in which its deadline grain differs from
the wheel's position; when its coarse slot comes due it drops to a finer level (cascading), so it
fires on its own grain. Deadlines beyond the top level wait in the `OverflowHeap`.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import TYPE_CHECKING, ClassVar, Final, NewType, cast, final

from kernel._core.timer_overflow import OverflowHeap
from kernel._core.validate import check_delay

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kernel._core.clock import Clock
    from kernel._core.grains import GrainScale

__all__ = [
    "DEAD_SLACK",
    "DUE",
    "FAR",
    "HORIZON_BITS",
    "LEVELS",
    "SLOTS",
    "SLOT_BITS",
    "Slot",
    "TimerEntry",
    "TimerId",
    "TimerSlots",
    "new_timer_id",
    "past_the_float_range",
    "slot_width",
]

TimerId = NewType("TimerId", int)
"""A timer's identity: an int unique within the process."""

# Process-wide, like task ids: an id from one runtime can never cancel another runtime's timer.
# A bound C method, so drawing an id costs no Python frame on the scheduling hot path.
new_timer_id: Final = cast("Iterator[TimerId]", itertools.count(1)).__next__
"""Return a fresh, process-unique `TimerId`."""

SLOT_BITS: Final = 6
"""64 slots per level: a level's occupancy fits one machine word (tokio, Linux)."""
SLOTS: Final = 1 << SLOT_BITS
LEVELS: Final = 6
"""Six levels reach 64**6 grains: about 2.2 years at the default 1 ms resolution."""
HORIZON_BITS: Final = SLOT_BITS * LEVELS
_HORIZON: Final = 1 << HORIZON_BITS
_SLOT_MASK: Final = SLOTS - 1
_LEVEL_OF_BIT_LENGTH: Final = tuple(
    max(0, bits - 1) // SLOT_BITS for bits in range(HORIZON_BITS + 1)
)
"""The wheel level for a difference of that many bits (a table lookup instead of a division)."""
DUE: Final = -1
"""The level number of the slot holding timers already due (deadline at or before the position)."""
FAR: Final = LEVELS
"""The level number of the overflow slot (deadlines beyond the top level)."""
DEAD_SLACK: Final = 64
"""Dead timers a slot (and `TimerWheel`'s id map) may list beyond its live count before it is
rebuilt: small ones are rebuilt rarely, large ones once their dead outnumber their live."""
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
    _slot: Slot | None

    _periodic: ClassVar[bool] = False
    """True for a timer the wheel re-files after it fires (`_advance`) instead of retiring it."""

    @property
    def deadline(self) -> float | None:
        """The next deadline in clock seconds, rounded up to the resolution; None unless pending."""
        slot = self._slot
        return None if slot is None else slot.wheel._deadline_seconds(self._when)

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


@final
class Slot:
    """One bucket of timers; `live` counts the timers that still belong to it."""

    __slots__ = ("bit", "entries", "index", "level", "live", "wheel", "width")

    def __init__(self, wheel: TimerSlots, level: int, index: int) -> None:
        self.wheel = wheel
        self.level = level
        self.index = index
        self.bit = 1 << index if 0 <= level < LEVELS else 0
        # Grains the slot spans from the grain it comes due: the due slot holds what is due at the
        # position, the overflow slot a whole block of the horizon.
        self.width = _HORIZON if level == FAR else 1 if level == DUE else slot_width(level)
        self.entries: list[TimerEntry] = []
        self.live = 0


class TimerSlots:
    """The slots of a timer wheel and the operations that move timers in and out of them.

    `TimerWheel` is the public class; this base holds what its entries' fields are written by.
    Not thread-safe.
    """

    __slots__ = (
        "_clock",
        "_dead",
        "_deadline_grain",
        "_deadline_seconds",
        "_due",
        "_elapsed",
        "_far",
        "_grain_seconds",
        "_next_dirty",
        "_next_grain",
        "_next_slot",
        "_now_grain",
        "_occupied",
        "_overflow",
        "_scale",
        "_slots",
        "live",
    )

    def __init__(self, clock: Clock, scale: GrainScale) -> None:
        self._clock = clock
        self._scale = scale
        # The conversions, bound once: the wheel calls them on every timer it files or fires.
        self._deadline_grain = scale.deadline_grain
        self._now_grain = scale.now_grain
        self._grain_seconds = scale.seconds
        self._deadline_seconds = scale.deadline_seconds
        self._slots = [Slot(self, level, i) for level in range(LEVELS) for i in range(SLOTS)]
        self._occupied = [0] * LEVELS  # bit i of level L set <=> slot L*64+i has live timers
        self._due = Slot(self, DUE, 0)
        self._far = Slot(self, FAR, 0)
        self._overflow: OverflowHeap[TimerEntry] = OverflowHeap(self._far, self._deadline_grain)
        self.live = 0
        """Live timers, as ``len()``: read-only outside this class (a plain attribute so
        `Runtime.tick` tests it for the price of an attribute read, PERF.md P6)."""
        self._dead = 0  # timers that died since the last `_drop_dead`
        self._elapsed = self._now_grain(clock.now())  # every slot before this grain is processed
        self._next_grain: int | None = None  # exact earliest deadline grain, valid unless dirty
        self._next_slot: Slot | None = None  # the slot that deadline came from
        self._next_dirty = False

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
        if grain > elapsed and 0 <= diff < _HORIZON:
            # The level is the highest base-64 digit in which `grain` and the position differ.
            # Grains on either side of zero (a negative clock) differ in the sign, above every
            # level (their XOR is negative): they wait in the overflow heap like far ones, and
            # enter the wheel when the block that starts at grain 0 comes due.
            level = _LEVEL_OF_BIT_LENGTH[diff.bit_length()]
            slot = self._slots[level * SLOTS + ((grain >> (level * SLOT_BITS)) & _SLOT_MASK)]
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

    def _unlink(self, slot: Slot) -> None:
        """One timer left `slot`: empty the slot on the spot if it was the last live one, and
        compact it once its dead entries outnumber the live ones (amortised O(1))."""
        live = slot.live - 1
        # Compacting (which calls, and so may fail) comes before any change: it only swaps a
        # list for an equivalent one. What follows is plain stores.
        if live and slot is self._far:
            self._overflow.shed(live)
        elif live and len(slot.entries) > 2 * live + DEAD_SLACK:
            # Cancelled timers beside a live one (debounce by cancel on a frozen clock) would
            # otherwise stay listed until the slot comes due, however many there are.
            slot.entries = [e for e in dict.fromkeys(slot.entries) if e._slot is slot]
        slot.live = live
        if not live:
            slot.entries = []
            if slot is self._far:
                self._overflow.clear()
            else:
                self._occupied[slot.level] &= ~slot.bit
        if slot is self._next_slot:
            self._next_dirty = True

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

    def _take(self, slot: Slot) -> list[TimerEntry]:
        """Empty `slot` (for overflow: its due block) and return the timers that belonged to it."""
        if slot is self._far:
            end = ((self._elapsed >> HORIZON_BITS) + 1) << HORIZON_BITS
            members = self._overflow.take_before(end)
        else:
            members = [entry for entry in slot.entries if entry._slot is slot]
            if len(members) > slot.live:
                # A timer that left this slot (re-armed earlier) and came back to it (re-armed
                # earlier into the same slot, or re-filed here later) is listed twice.
                members = list(dict.fromkeys(members))
            slot.entries = []
            if slot.level != DUE:
                self._occupied[slot.level] &= ~slot.bit
        slot.live -= len(members)
        if slot is self._far and not slot.live:
            self._overflow.clear()  # only stale duplicates can be left
        return members

    def _process(
        self,
        slot: Slot,
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

    def _live_entries(self) -> list[TimerEntry]:
        """Every pending timer, each once, from the slots and the overflow heap. O(n)."""
        live: dict[int, TimerEntry] = {}  # by identity: a timer may be listed twice (see _take)
        for slot in (*self._slots, self._due):
            if slot.live:
                live.update((id(e), e) for e in slot.entries if e._slot is slot)
        live.update((id(e), e) for e in self._overflow.members())
        return list(live.values())


def slot_width(level: int) -> int:
    """Grains a slot of `level` (0 to 5) spans: 64**level."""
    return 1 << (level * SLOT_BITS)


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
