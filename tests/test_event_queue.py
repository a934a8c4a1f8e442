"""EventQueue: events ordered by their priority attribute; a model-based state machine."""

from __future__ import annotations

import heapq
import itertools

import pytest
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kernel import Event, EventQueue
from kernel.testing.strategies import priorities

# Named levels keep their lanes; the others open and close lanes as they fill and drain.
PRIORITIES = priorities()


class Prioritised(Event):
    def __init__(self, priority: int, n: int) -> None:
        self.priority = priority
        self.n = n


class EventQueueModel(RuleBasedStateMachine):
    """EventQueue against a heap: events by their priority attribute, FIFO among equals."""

    def __init__(self) -> None:
        super().__init__()
        self.queue = EventQueue(5)
        self.model: list[tuple[int, int, object]] = []
        self.seq = itertools.count()
        self.closed = False

    @rule(priority=PRIORITIES)
    def push(self, priority: int) -> None:
        n = next(self.seq)
        event = Prioritised(priority, n)
        accepted = self.queue.push_event(event)
        assert accepted == (not self.closed and len(self.model) < 5)
        if accepted:
            heapq.heappush(self.model, (priority, n, event))

    @rule()
    def push_plain(self) -> None:
        """An object without a priority attribute queues at 100."""
        n = next(self.seq)
        event = object()
        if self.queue.push_event(event):
            heapq.heappush(self.model, (100, n, event))

    @precondition(lambda self: self.model)
    @rule()
    def pop(self) -> None:
        assert self.queue.pop() is heapq.heappop(self.model)[2]

    @rule()
    def close(self) -> None:
        self.queue.close()
        self.closed = True

    @invariant()
    def matches_model(self) -> None:
        self.queue._check()
        assert list(self.queue) == [event for _, _, event in sorted(self.model)]


TestEventQueueModel = EventQueueModel.TestCase


@pytest.mark.parametrize(
    ("priority", "error", "message"),
    [
        (-1, ValueError, r"^event priority must be in \[0, 2\*\*32\), got -1$"),
        (2**32, ValueError, r"^event priority must be in \[0, 2\*\*32\), got 4294967296$"),
        ("high", TypeError, r"^event priority must be an int in \[0, 2\*\*32\), got 'high'$"),
        (True, TypeError, r"^event priority must be an int in \[0, 2\*\*32\), got True$"),
    ],
    ids=["negative", "too-big", "str", "bool"],
)
def test_event_queue_rejects_invalid_priority_attribute(
    priority: object, error: type[Exception], message: str
) -> None:
    queue = EventQueue(4)
    event = Event()
    event.priority = priority  # type: ignore[assignment]
    with pytest.raises(error, match=message):
        queue.push_event(event)
    assert len(queue) == 0
    assert queue.dropped == 0


def test_event_queue_reads_priority_when_queued() -> None:
    queue = EventQueue(4)
    late, early = Event(), Event()
    late.priority = 10
    queue.push_event(late)
    late.priority = 500  # changing it afterwards does not move the queued event
    early.priority = 20
    queue.push_event(early)
    assert queue.pop() is late
