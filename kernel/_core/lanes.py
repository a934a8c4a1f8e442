"""`PriorityLanes`: the bounded priority-then-FIFO queue under `WorkQueue` and `EventQueue`.

Items wait in *lanes*, one `collections.deque` per priority value in use, and a `SortedList` keeps
the lane priorities in order. Pushing and popping an item is O(1) whenever its lane already exists,
which it always does for the named `Priority` levels (their lanes are kept even when empty). An
ad-hoc priority opens a lane in O(log p) and closes it again when it drains, where p is the number
of lanes. Nothing is ever O(log n) in the number of queued items.

A *batch* (`begin_batch` / `claim` / `end_batch`) lets a tick phase consume exactly the items
that were queued when it began, while callbacks may push more; the consumer pops from the lane
deques directly and the queue keeps its own length through `claim`. See docs/architecture.md,
"Tick phases".
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Final, Generic, TypeVar

from sortedcontainers import SortedList

from kernel._core.task import Priority
from kernel._core.validate import MAX_PRIORITY, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["PriorityLanes"]

T = TypeVar("T")

_KEPT_LANES: Final = frozenset(int(p) for p in Priority)
"""Lanes of the named levels stay open when empty, so steady traffic never reopens them."""


class PriorityLanes(Generic[T]):
    """A bounded queue that yields the lowest priority value first, FIFO among equals.

    A push onto a full (or closed) queue rejects the *newest* item and counts it in `dropped`;
    queued items are never evicted. Not thread-safe: one thread owns it.

    Args:
        capacity: the most items queued at once (an int >= 1).
    """

    __slots__ = (
        "_adhoc",
        "_capacity",
        "_dropped",
        "_front",
        "_front_priority",
        "_lanes",
        "_limit",
        "_order",
        "_ordered",
        "_rejected",
        "length",
    )

    def __init__(self, capacity: int) -> None:
        check_positive_int(capacity, "capacity")
        self._capacity = capacity
        self._limit = capacity  # what `push` compares against: the capacity, or 0 once closed
        self._lanes: dict[int, deque[T]] = {}
        self._order: SortedList[int] = SortedList()
        self._ordered: tuple[tuple[int, deque[T]], ...] = ()  # (priority, lane) in `_order`
        # The lane of the lowest priority that holds items, or None when the queue is empty;
        # `_front_priority` is then above every valid priority, so any push becomes the front.
        self._front: deque[T] | None = None
        self._front_priority = MAX_PRIORITY
        self.length = 0
        """The number of queued items, as ``len()``: read-only outside this class.

        A plain attribute so hot paths (`Runtime.tick`) test it for the price of an attribute
        read (PERF.md P5, P6); only `PriorityLanes` writes it.
        """
        self._dropped = 0
        self._rejected = 0
        self._adhoc = 0  # open lanes of priorities outside `_KEPT_LANES`

    @property
    def capacity(self) -> int:
        """The most items this queue holds at once."""
        return self._capacity

    @property
    def dropped(self) -> int:
        """How many pushes were refused because the queue was full (cumulative)."""
        return self._dropped

    @property
    def rejected(self) -> int:
        """How many pushes were refused because the queue was closed (cumulative)."""
        return self._rejected

    @property
    def is_closed(self) -> bool:
        """True while closed (`close()`): every push is refused and counted in `rejected`."""
        return self._limit == 0

    def __len__(self) -> int:
        """The number of queued items. O(1)."""
        return self.length

    def __iter__(self) -> Iterator[T]:
        """Iterate over the queued items in pop order without removing them. O(n)."""
        for _, lane in self._ordered:
            yield from lane

    def push(self, item: T, priority: int) -> bool:
        """Queue `item` behind every item of equal or lower priority value.

        The caller validates `priority` (an int in ``[0, 2**32)``).
        Runtime complexity: O(1) if the priority's lane is open, else O(log p).

        Returns:
            True if queued; False if the queue is full (counted in `dropped`) or closed
            (counted in `rejected`).
        """
        if self.length >= self._limit:
            return self._refuse()
        try:
            lane = self._lanes[priority]
        except KeyError:
            lane = self._open_lane(priority)
        lane.append(item)
        self.length += 1
        if priority < self._front_priority:
            self._front = lane
            self._front_priority = priority
        return True

    def pop(self) -> T:
        """Remove and return the front item. Runtime complexity: O(1) amortised.

        Raises:
            IndexError: the queue is empty.
        """
        front = self._front
        if front is None:
            msg = "pop from an empty queue"
            raise IndexError(msg)
        item = front.popleft()
        self.length -= 1
        if not front:
            self.end_batch()
        return item

    def peek_priority(self) -> int | None:
        """The priority of the front item, or None when empty. O(1)."""
        return None if self._front is None else self._front_priority

    def clear(self) -> list[T]:
        """Remove every item and return them in pop order. O(n)."""
        items = list(self)
        for lane in self._lanes.values():
            lane.clear()
        self.length = 0
        self.end_batch()
        return items

    def close(self) -> None:
        """Refuse (and count in `rejected`) every later push; queued items stay. Idempotent."""
        self._limit = 0

    def open(self) -> None:
        """Accept pushes again, up to the capacity. Idempotent."""
        self._limit = self._capacity

    def begin_batch(self) -> list[tuple[deque[T], int]]:
        """Start a batch by hand: each non-empty lane, in pop order, with its item count now.

        The consumer (`Executor.run`, the events phase) calls `claim(n)` before or as it pops n
        items from the front of those deques (at most the count of each), and
        `end_batch(unpopped)` when done, also on error, with the claimed items it did not pop.
        Items pushed meanwhile land behind the counted ones, so the batch never sees them. The
        queue keeps its own length: a consumer never writes it.
        Runtime complexity: O(p).
        """
        front = self._front
        if front is None:
            return []
        if len(front) == self.length:  # the common case: everything waits in one lane
            return [(front, self.length)]
        return [(lane, len(lane)) for _, lane in self._ordered if lane]

    def claim(self, count: int) -> None:
        """Count `count` items of the current batch as leaving the queue (popped next). O(1)."""
        self.length -= count

    def end_batch(self, unpopped: int = 0) -> None:
        """End a batch: give back `unpopped` claimed items, close emptied ad-hoc lanes, find the
        new front. O(p)."""
        if unpopped:
            self.length += unpopped
        if self._adhoc:
            self._close_empty_lanes()
        if not self.length:
            self._front = None
            self._front_priority = MAX_PRIORITY
        elif not self._front:
            # The front lane drained. Lanes before it were empty and pushes since went to the
            # front if they came earlier, so the first non-empty lane is the new front.
            self._front_priority, self._front = next((p, lane) for p, lane in self._ordered if lane)

    def _refuse(self) -> bool:
        """Count a refused push: `dropped` if full, `rejected` if closed. Returns False."""
        if self._limit:
            self._dropped += 1
        else:
            self._rejected += 1
        return False

    def _open_lane(self, priority: int) -> deque[T]:
        lane: deque[T] = deque()
        self._lanes[priority] = lane
        self._order.add(priority)
        self._reorder()
        if priority not in _KEPT_LANES:
            self._adhoc += 1
        return lane

    def _reorder(self) -> None:
        lanes = self._lanes
        self._ordered = tuple((p, lanes[p]) for p in self._order)

    def _close_empty_lanes(self) -> None:
        lanes = self._lanes
        closing = [p for p, lane in lanes.items() if not lane and p not in _KEPT_LANES]
        if closing:
            for priority in closing:
                del lanes[priority]
                self._order.remove(priority)
            self._adhoc -= len(closing)
            self._reorder()

    def _check(self) -> None:
        """Assert the structure's invariants (for tests)."""
        lanes = self._lanes
        assert list(self._order) == sorted(lanes)
        assert self._ordered == tuple((p, lanes[p]) for p in self._order)
        assert self._limit in (0, self._capacity)
        assert self.length == sum(len(lane) for lane in lanes.values())
        assert 0 <= self.length <= self._capacity
        assert all(lane or p in _KEPT_LANES for p, lane in lanes.items())
        assert self._adhoc == sum(1 for p in lanes if p not in _KEPT_LANES)
        non_empty = [p for p in self._order if lanes[p]]
        if non_empty:
            assert self._front is lanes[non_empty[0]]
            assert self._front_priority == non_empty[0]
        else:
            assert self._front is None
            assert self._front_priority == MAX_PRIORITY
        assert self._dropped >= 0
        assert self._rejected >= 0

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} len={self.length} capacity={self._capacity}"
            f" dropped={self._dropped} rejected={self._rejected}"
            f"{' closed' if self.is_closed else ''}>"
        )
