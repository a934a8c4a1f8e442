"""PriorityLanes: unit tests and a model-based state machine."""

from __future__ import annotations

import heapq
import itertools

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kernel import Priority
from kernel._core.lanes import PriorityLanes
from kernel.testing.strategies import priorities

# Named levels keep their lanes; the others open and close lanes as they fill and drain.
PRIORITIES = priorities()


class LanesModel(RuleBasedStateMachine):
    """PriorityLanes against a heap of (priority, sequence, item)."""

    def __init__(self) -> None:
        super().__init__()
        self.capacity = 8
        self.lanes: PriorityLanes[int] = PriorityLanes(self.capacity)
        self.model: list[tuple[int, int, int]] = []
        self.seq = itertools.count()
        self.dropped = 0

    @rule(priority=PRIORITIES, item=st.integers())
    def push(self, priority: int, item: int) -> None:
        accepted = self.lanes.push(item, priority)
        assert accepted == (len(self.model) < self.capacity)
        if accepted:
            heapq.heappush(self.model, (priority, next(self.seq), item))
        else:
            self.dropped += 1

    @precondition(lambda self: self.model)
    @rule()
    def pop(self) -> None:
        assert self.lanes.pop() == heapq.heappop(self.model)[2]

    @rule(limit=st.integers(min_value=1, max_value=10), pushes=st.lists(PRIORITIES, max_size=4))
    def batch(self, limit: int, pushes: list[int]) -> None:
        """Consume through the batch protocol while pushing: only items queued before count."""
        before = sorted(self.model)
        taken: list[int] = []
        lanes = self.lanes.begin_batch()
        for lane, count in lanes:
            for _ in range(min(count, limit - len(taken))):
                taken.append(lane.popleft())
                self.lanes.claim(1)
                for priority in pushes:  # pushes during the batch land behind it
                    if self.lanes.push(-1, priority):
                        before.append((priority, next(self.seq), -1))
                    else:
                        self.dropped += 1
                pushes = []
        self.lanes.end_batch()
        assert taken == [item for _, _, item in before[: len(taken)]]
        self.model = before[len(taken) :]
        heapq.heapify(self.model)

    @rule()
    def clear(self) -> None:
        assert self.lanes.clear() == [item for _, _, item in sorted(self.model)]
        self.model = []

    @invariant()
    def matches_model(self) -> None:
        self.lanes._check()
        assert len(self.lanes) == len(self.model)
        assert list(self.lanes) == [item for _, _, item in sorted(self.model)]
        assert self.lanes.peek_priority() == (min(self.model)[0] if self.model else None)
        assert self.lanes.dropped == self.dropped


TestLanesModel = LanesModel.TestCase


def test_lanes_order_is_priority_then_fifo() -> None:
    lanes: PriorityLanes[str] = PriorityLanes(10)
    for item, priority in [("n1", 100), ("h", 50), ("n2", 100), ("l", 200), ("n3", 100), ("c", 0)]:
        lanes.push(item, priority)
    assert [lanes.pop() for _ in range(6)] == ["c", "h", "n1", "n2", "n3", "l"]


def test_lanes_full_queue_rejects_the_newest_and_counts_it() -> None:
    lanes: PriorityLanes[str] = PriorityLanes(2)
    assert lanes.push("a", 100)
    assert lanes.push("b", 100)
    assert not lanes.push("urgent", 0)
    assert lanes.dropped == 1
    assert list(lanes) == ["a", "b"]


def test_lanes_pop_from_empty_raises() -> None:
    with pytest.raises(IndexError, match=r"^pop from an empty queue$"):
        PriorityLanes[int](1).pop()


@pytest.mark.parametrize(
    ("capacity", "error", "message"),
    [
        (0, ValueError, r"^capacity must be >= 1, got 0$"),
        (True, TypeError, r"^capacity must be an int >= 1, got True$"),
        (1.5, TypeError, r"^capacity must be an int >= 1, got 1.5$"),
    ],
    ids=["zero", "bool", "float"],
)
def test_lanes_capacity_is_validated(
    capacity: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        PriorityLanes(capacity)  # type: ignore[arg-type]


def test_lanes_close_rejects_later_pushes_and_keeps_items() -> None:
    lanes: PriorityLanes[int] = PriorityLanes(4)
    lanes.push(1, 100)
    lanes.close()
    assert lanes.is_closed
    assert not lanes.push(2, 100)
    assert (lanes.rejected, lanes.dropped) == (1, 0)
    assert lanes.pop() == 1
    lanes.open()
    assert lanes.push(3, 100)
    assert not lanes.is_closed


def test_lanes_adhoc_lanes_close_when_drained_named_lanes_stay() -> None:
    lanes: PriorityLanes[int] = PriorityLanes(4)
    lanes.push(1, 77)
    lanes.push(2, Priority.NORMAL)
    assert lanes.pop() == 1
    assert lanes.pop() == 2
    assert set(lanes._lanes) == {100}
    lanes._check()


def test_lanes_repr_shows_size_and_state() -> None:
    lanes: PriorityLanes[int] = PriorityLanes(3)
    lanes.push(1, 5)
    lanes.close()
    assert repr(lanes) == "<PriorityLanes len=1 capacity=3 dropped=0 rejected=0 closed>"
    assert lanes.capacity == 3
