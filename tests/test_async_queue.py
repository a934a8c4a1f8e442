"""AsyncQueue: the bus's FIFO of events dispatched later — emit_async and process_queue, scopes
held until dispatched or discarded, close and halt, the nested-process count."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from kernel import Event, EventBus, EventScope, HandlerContext
from kernel._core.async_queue import AsyncQueue
from kernel.testing import ErrorCollector


@dataclass
class Key(Event):
    key: str = "a"


@dataclass
class Other(Event):
    value: int = 0


@pytest.fixture
def bus() -> EventBus:
    return EventBus(error_handler=ErrorCollector())


def recording() -> tuple[AsyncQueue, list[tuple[object, EventScope | None]]]:
    seen: list[tuple[object, EventScope | None]] = []
    return AsyncQueue(lambda event, scope: seen.append((event, scope))), seen


def test_emit_async_queues_until_process_queue(bus: EventBus) -> None:
    total: list[int] = []
    bus.subscribe(Other, lambda e: total.append(e.value))
    assert bus.emit_async(Other(10))
    assert bus.emit_async(Other(20))
    assert bus.emit_async(Other(30))
    assert total == []
    assert bus.queue_len == 3
    assert bus.process_queue() == 3
    assert total == [10, 20, 30]
    assert bus.queue_len == 0


def test_process_queue_takes_only_what_was_queued_when_called(bus: EventBus) -> None:
    seen: list[int] = []

    def handler(event: Other, ctx: HandlerContext) -> None:
        seen.append(event.value)
        ctx.emit(Other(event.value + 1))

    bus.subscribe_with_context(Other, handler)
    bus.emit_async(Other(0))
    assert bus.process_queue() == 1
    assert seen == [0]
    assert bus.process_queue() == 1
    assert seen == [0, 1]


def test_process_queue_limit(bus: EventBus) -> None:
    for value in range(5):
        bus.emit_async(Other(value))
    assert bus.process_queue(limit=2) == 2
    assert bus.queue_len == 3
    with pytest.raises(ValueError, match=r"^limit must be >= 1, got 0$"):
        bus.process_queue(limit=0)
    assert bus.queue_len == 3


def test_scoped_emit_async_counts_in_flight_and_follow_ups_inherit(bus: EventBus) -> None:
    scope = EventScope()
    scopes_seen: list[EventScope | None] = []

    def handler(event: Other, ctx: HandlerContext) -> None:
        scopes_seen.append(ctx.scope)
        if event.value < 2:
            ctx.emit(Other(event.value + 1))

    bus.subscribe_with_context(Other, handler)
    bus.emit_async(Other(0), scope=scope)
    assert scope.in_flight == 1
    bus.process_queue()
    assert scope.in_flight == 1  # the follow-up joined the scope
    bus.process_queue()
    bus.process_queue()
    assert scope.is_complete
    assert scopes_seen == [scope, scope, scope]
    bus.emit(Other(5))
    assert scopes_seen[-1] is None


def test_emit_async_rejects_a_bad_scope(bus: EventBus) -> None:
    with pytest.raises(TypeError, match=r"^scope must be an EventScope or None, got 'x'$"):
        bus.emit_async(Key(), scope="x")  # type: ignore[arg-type]
    assert bus.queue_len == 0


def test_async_queue_put_and_follow_up_hold_their_scope_until_dispatched() -> None:
    queue, seen = recording()
    scope = EventScope()
    assert queue.put("a", scope)
    queue.follow_up("b", scope)
    queue.follow_up("c", None)
    assert (len(queue), scope.in_flight) == (3, 2)
    assert queue.process() == 3
    assert seen == [("a", scope), ("b", scope), ("c", None)]
    assert (queue.taken, scope.is_complete) == (3, True)


def test_async_queue_close_refuses_put_but_not_follow_up() -> None:
    queue, _ = recording()
    scope = EventScope()
    queue.close()
    assert not queue.put("a", scope)
    assert (queue.dropped, scope.in_flight, len(queue)) == (1, 0, 0)
    queue.follow_up("b", scope)
    assert (len(queue), scope.in_flight) == (1, 1)


def test_async_queue_halt_dispatches_nothing_more() -> None:
    seen: list[object] = []

    def dispatch(event: object, scope: EventScope | None) -> None:
        seen.append(event)
        queue.halt()

    queue = AsyncQueue(dispatch)
    for name in "abc":
        queue.put(name)
    assert queue.process() == 1
    assert seen == ["a"]
    assert not queue.put("d")
    assert (len(queue), queue.dropped) == (2, 1)


def test_async_queue_discard_releases_every_scope() -> None:
    queue, seen = recording()
    scope = EventScope()
    queue.put("a", scope)
    queue.put("b")
    queue.follow_up("c", scope)
    assert queue.discard() == 3
    assert (len(queue), scope.is_complete, seen, queue.taken) == (0, True, [], 0)
    assert queue.discard() == 0


def test_async_queue_releases_the_scope_when_dispatch_raises() -> None:
    scope = EventScope()

    def dispatch(event: object, scope: EventScope | None) -> None:
        raise KeyboardInterrupt

    queue = AsyncQueue(dispatch)
    queue.put("a", scope)
    queue.put("b", scope)
    with pytest.raises(KeyboardInterrupt):
        queue.process()
    assert (scope.in_flight, len(queue), queue.taken) == (1, 1, 1)


def test_async_queue_nested_process_stops_at_what_stood_when_called() -> None:
    seen: list[object] = []

    def dispatch(event: object, scope: EventScope | None) -> None:
        seen.append(event)
        if event == "a":
            queue.put("late")
            assert queue.process(limit=1) == 1  # takes "b" from inside "a"'s dispatch

    queue = AsyncQueue(dispatch)
    for name in "abc":
        queue.put(name)
    assert queue.process() == 2  # "a" and "c": the nested call took "b"
    assert seen == ["a", "b", "c"]
    assert list(queue.events) == [("late", None)]
