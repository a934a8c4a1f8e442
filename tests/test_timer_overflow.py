"""Tests for `kernel._core.timer_overflow`: the heap of timers past the wheel's horizon.

The heap reads three fields of its entries and never writes them; these tests use a plain record
in place of a timer, and play the wheel's part by setting `_slot` and `_when` themselves.
"""

from __future__ import annotations

import dataclasses

import pytest

from kernel._core.timer_overflow import OverflowHeap

HOME = object()
"""The overflow slot the entries belong to while they wait in the heap."""


@dataclasses.dataclass(eq=False)
class Entry:
    """A stand-in for a timer: its id, exact deadline (in grains, as seconds at 1 Hz) and slot."""

    _id: int
    _when: float
    _slot: object = HOME


def grain_of(when: float) -> int:
    return int(when)


def make_heap(*entries: Entry) -> OverflowHeap[Entry]:
    heap: OverflowHeap[Entry] = OverflowHeap(HOME, grain_of)
    for entry in entries:
        heap.push(grain_of(entry._when), entry)
    return heap


def test_overflow_front_is_the_earliest_grain_then_the_lowest_id() -> None:
    late, early_b, early_a = Entry(1, 30.0), Entry(3, 20.0), Entry(2, 20.0)
    heap = make_heap(late, early_b, early_a)
    assert (heap.front(), heap.first_listed(), len(heap)) == (20, 20, 3)
    assert heap.take_before(21) == [early_a, early_b]
    assert heap.take_before(31) == [late]
    assert len(heap) == 0


def test_overflow_front_drops_dead_entries_and_resorts_moved_ones() -> None:
    dead, moved, live = Entry(1, 10.0), Entry(2, 11.0), Entry(3, 12.0)
    heap = make_heap(dead, moved, live)
    dead._slot = None  # cancelled: the wheel let go of it
    moved._when = 15.0  # re-armed later in place
    assert heap.first_listed() == 10  # never after the live front
    assert heap.front() == 12
    assert len(heap) == 2  # the dead entry is gone, the moved one listed again at its grain
    assert heap.take_before(13) == [live]
    assert heap.front() == 15


def test_overflow_take_before_returns_each_live_entry_once() -> None:
    twice, gone = Entry(1, 5.0), Entry(2, 6.0)
    heap = make_heap(twice, gone, Entry(3, 50.0))
    heap.push(4, twice)  # re-armed earlier and filed here again: listed twice
    gone._slot = None
    assert heap.take_before(10) == [twice]
    assert heap.members() == [heap.listed()[0]]
    assert heap.listed()[0]._id == 3


@pytest.mark.parametrize(
    ("listed", "live", "rebuilt"),
    [(10, 1, False), (67, 1, True), (200, 100, False), (265, 100, True)],
    ids=["few-dead", "past-slack", "half-dead", "dead-outnumber"],
)
def test_overflow_shed_rebuilds_once_the_dead_outnumber_the_live(
    listed: int, live: int, rebuilt: bool
) -> None:
    entries = [Entry(i, float(100 + i)) for i in range(listed)]
    heap = make_heap(*entries)
    for entry in entries[live:]:
        entry._slot = None
    heap.shed(live)
    assert len(heap) == (live if rebuilt else listed)
    assert heap.members() == entries[:live]


def test_overflow_shed_lists_a_moved_entry_at_its_new_grain() -> None:
    moved = Entry(0, 100.0)
    heap = make_heap(moved, *(Entry(i, 200.0, None) for i in range(1, 100)))
    moved._when = 150.0
    heap.shed(1)
    assert (len(heap), heap.first_listed(), heap.front()) == (1, 150, 150)


def test_overflow_clear_drops_every_entry() -> None:
    heap = make_heap(Entry(1, 1.0), Entry(2, 2.0))
    heap.clear()
    assert (len(heap), heap.members(), heap.take_before(10)) == (0, [], [])
