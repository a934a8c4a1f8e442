"""`OverflowHeap`: the timers whose deadlines lie past the wheel's horizon (docs/timer_wheel.md).

Six levels of 64 slots cover 64**6 grains (2.2 years at 1 ms). A later deadline waits here, in a
binary heap of ``(deadline grain, id, timer)``, until the block of the horizon that holds it begins;
then the wheel takes the block's timers and files them on its levels. The heap deletes lazily, as
asyncio's does: a cancelled timer stays listed until it reaches the front, or until the dead
outnumber the live and the heap is rebuilt. The heap only reads its timers' fields (through
`OverflowEntry`); the wheel's slots (`timer_slots`) own them.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING, Final, Generic, Protocol, TypeVar, final

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["OverflowEntry", "OverflowHeap"]

_DEAD_SLACK: Final = 64
"""Dead entries the heap may hold beyond twice its live count before it is rebuilt: a small heap
is rebuilt rarely, a large one once its dead outnumber its live."""


class OverflowEntry(Protocol):
    """What the heap reads of a timer (`timer_slots.TimerEntry` has it); it never writes."""

    @property
    def _id(self) -> int:
        """The timer's id: the tie-break between equal deadline grains."""
        ...

    @property
    def _when(self) -> float:
        """The timer's exact deadline in clock seconds (it may have moved later in place)."""
        ...

    @property
    def _slot(self) -> object:
        """Where the timer is filed; the heap's `home` while it waits here."""
        ...


E = TypeVar("E", bound=OverflowEntry)


@final
class OverflowHeap(Generic[E]):
    """Timers past the horizon, ordered by deadline grain, then id.

    An entry is *live* while its timer's `_slot` is `home` (the wheel's overflow slot). A timer
    re-armed earlier and filed here again may be listed twice; every method that returns timers
    returns each live one once.

    Args:
        home: the slot object whose timers these are (compared by identity).
        grain_of: a deadline's grain (`GrainScale.deadline_grain`), to re-sort a timer whose
            deadline moved later in place.

    Not thread-safe; used only by the wheel that owns it.
    """

    __slots__ = ("_grain_of", "_heap", "_home")

    def __init__(self, home: object, grain_of: Callable[[float], int]) -> None:
        self._home = home
        self._grain_of = grain_of
        self._heap: list[tuple[int, int, E]] = []

    def __len__(self) -> int:
        """Entries listed, the dead included. O(1)."""
        return len(self._heap)

    def push(self, grain: int, entry: E) -> None:
        """List `entry` at deadline `grain`. O(log f) for f listed entries."""
        heapq.heappush(self._heap, (grain, entry._id, entry))

    def first_listed(self) -> int:
        """The smallest grain listed (perhaps a dead or moved entry's: never after the live
        front). The heap must not be empty. O(1)."""
        return self._heap[0][0]

    def front(self) -> int:
        """The earliest live deadline grain, after dropping dead entries and re-sorting moved
        ones at the front. There must be a live entry. Amortised O(log f)."""
        heap = self._heap
        home = self._home
        while True:
            grain, _, entry = heap[0]
            actual = self._grain_of(entry._when)
            if entry._slot is home and actual == grain:
                return grain
            heapq.heappop(heap)
            if entry._slot is home:
                heapq.heappush(heap, (actual, entry._id, entry))

    def take_before(self, end: int) -> list[E]:
        """Remove every entry listed before grain `end`; return the live ones, each once.

        O(k log f) for the k entries removed.
        """
        heap = self._heap
        home = self._home
        taken: dict[int, E] = {}  # by identity: a timer re-filed earlier may be listed twice
        while heap and heap[0][0] < end:
            entry = heapq.heappop(heap)[2]
            if entry._slot is home:
                taken[id(entry)] = entry
        return list(taken.values())

    def shed(self, live: int) -> None:
        """Rebuild the heap from its live entries if more than ``2 * live + _DEAD_SLACK`` are
        listed (a cancel just left `live`): O(f), amortised O(1) per cancel."""
        if len(self._heap) > 2 * live + _DEAD_SLACK:
            heap = [(self._grain_of(e._when), e._id, e) for e in self.members()]
            heapq.heapify(heap)
            self._heap = heap

    def members(self) -> list[E]:
        """Every live entry, each once. O(f)."""
        home = self._home
        live = {id(entry[2]): entry[2] for entry in self._heap if entry[2]._slot is home}
        return list(live.values())

    def listed(self) -> list[E]:
        """Every entry listed, dead and duplicates included (for invariant checks). O(f)."""
        return [entry[2] for entry in self._heap]

    def clear(self) -> None:
        """Drop every entry. O(1)."""
        self._heap = []
