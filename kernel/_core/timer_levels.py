"""The wheel's levels: six levels of 64 slots, the position, and which slot comes due first.

Time is counted in integer grains (`GrainScale`). Level L's slots span 64**L grains each; the
occupancy of a level is one int bitmap, so the first occupied slot is found with a bit trick, and
a clock jump visits only occupied slots. `TimerLevels` is the base of `TimerSlots` (which files
and fires timers, and owns their fields) and of `TimerWheel`: it holds the slots, the due slot,
the overflow slot with its heap, and the position, and takes a due slot's timers out. It only
reads a timer's `_slot`, through `OverflowEntry` (docs/timer_wheel.md, "Levels and slots").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Generic, TypeVar, final

from kernel._core.timer_overflow import OverflowEntry, OverflowHeap

if TYPE_CHECKING:
    from kernel._core.grains import GrainScale

__all__ = [
    "DEAD_SLACK",
    "DUE",
    "FAR",
    "HORIZON",
    "HORIZON_BITS",
    "LEVELS",
    "LEVEL_OF_BIT_LENGTH",
    "SLOTS",
    "SLOT_BITS",
    "SLOT_MASK",
    "Slot",
    "TimerLevels",
    "slot_start",
    "slot_width",
]

SLOT_BITS: Final = 6
"""64 slots per level: a level's occupancy fits one machine word (tokio, Linux)."""
SLOTS: Final = 1 << SLOT_BITS
LEVELS: Final = 6
"""Six levels reach 64**6 grains: about 2.2 years at the default 1 ms resolution."""
HORIZON_BITS: Final = SLOT_BITS * LEVELS
HORIZON: Final = 1 << HORIZON_BITS
"""Grains the levels cover; a later deadline waits in the overflow heap."""
SLOT_MASK: Final = SLOTS - 1
LEVEL_OF_BIT_LENGTH: Final = tuple(
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

E = TypeVar("E", bound=OverflowEntry)


@final
class Slot(Generic[E]):
    """One bucket of timers; `live` counts the timers that still belong to it."""

    __slots__ = ("bit", "deadline_seconds", "entries", "index", "level", "live", "wheel", "width")

    def __init__(self, wheel: TimerLevels[E], level: int, index: int) -> None:
        self.wheel = wheel
        self.deadline_seconds = wheel._deadline_seconds
        """A deadline rounded up to its grain, in clock seconds (`TimerEntry.deadline`)."""
        self.level = level
        self.index = index
        self.bit = 1 << index if 0 <= level < LEVELS else 0
        # Grains the slot spans from the grain it comes due: the due slot holds what is due at the
        # position, the overflow slot a whole block of the horizon.
        self.width = HORIZON if level == FAR else 1 if level == DUE else slot_width(level)
        self.entries: list[E] = []
        self.live = 0


class TimerLevels(Generic[E]):
    """The slots of a timer wheel, its position, and the slot that comes due first.

    Args:
        scale: the grain scale of the wheel.
        now: the clock's time: the position starts at its grain.

    Not thread-safe.
    """

    __slots__ = (
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
    )

    def __init__(self, scale: GrainScale, now: float) -> None:
        self._scale = scale
        # The conversions, bound once: the wheel calls them on every timer it files or fires.
        self._deadline_grain = scale.deadline_grain
        self._now_grain = scale.now_grain
        self._grain_seconds = scale.seconds
        self._deadline_seconds = scale.deadline_seconds
        self._slots = [Slot(self, level, i) for level in range(LEVELS) for i in range(SLOTS)]
        self._occupied = [0] * LEVELS  # bit i of level L set <=> slot L*64+i has live timers
        self._due: Slot[E] = Slot(self, DUE, 0)
        self._far: Slot[E] = Slot(self, FAR, 0)
        self._overflow: OverflowHeap[E] = OverflowHeap(self._far, self._deadline_grain)
        self._elapsed = self._now_grain(now)  # every slot before this grain is processed
        self._next_grain: int | None = None  # exact earliest deadline grain, valid unless dirty
        self._next_slot: Slot[E] | None = None  # the slot that deadline came from
        self._next_dirty = False

    def _remove(self, entry: E) -> None:
        """Cancel the pending `entry` (`TimerSlots` files timers, and so removes them)."""
        raise NotImplementedError

    def _rearm(self, entry: E, delay: float) -> None:
        """Move the pending `entry`'s deadline to ``now + delay`` (`TimerSlots`)."""
        raise NotImplementedError

    def _earliest_slot(self) -> tuple[Slot[E] | None, int]:
        """The first slot to process and the grain at which it comes due."""
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
            # Overflow timers enter the wheel when their 2**36-grain block begins.
            return self._far, self._overflow.first_listed() >> HORIZON_BITS << HORIZON_BITS
        return None, 0

    def _take(self, slot: Slot[E]) -> list[E]:
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

    def _unlink(self, slot: Slot[E]) -> None:
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

    def _live_entries(self) -> list[E]:
        """Every pending timer, each once, from the slots and the overflow heap. O(n)."""
        live: dict[int, E] = {}  # by identity: a timer may be listed twice (see _take)
        for slot in (*self._slots, self._due):
            if slot.live:
                live.update((id(e), e) for e in slot.entries if e._slot is slot)
        live.update((id(e), e) for e in self._overflow.members())
        return list(live.values())


def slot_width(level: int) -> int:
    """Grains a slot of `level` (0 to 5) spans: 64**level."""
    return 1 << (level * SLOT_BITS)


def slot_start(elapsed: int, level: int, index: int) -> int:
    """The first grain of slot `index` of `level` in the current turn of that level, for a
    wheel at position `elapsed`."""
    shift = level * SLOT_BITS
    return (elapsed >> (shift + SLOT_BITS) << (shift + SLOT_BITS)) | (index << shift)
