"""Subscription: one handler on one event type; cancelling; a blinker receiver."""

from __future__ import annotations

import gc
from dataclasses import dataclass

import pytest

from kernel import Event, EventBus, EventResult, HandlerContext, Subscription
from kernel._core.subscription import dispatch_order, receiver
from kernel.testing import ErrorCollector

HANDLED = EventResult.HANDLED


@dataclass
class Other(Event):
    value: int = 0


@dataclass
class Key(Event):
    key: str = "a"


@pytest.fixture
def bus() -> EventBus:
    return EventBus(error_handler=ErrorCollector())


def test_dropping_a_subscription_does_not_cancel_it(bus: EventBus) -> None:
    seen: list[int] = []
    bus.subscribe(Other, lambda e: seen.append(1))
    gc.collect()
    bus.emit(Other())
    assert seen == [1]


def test_subscription_cancel_is_idempotent(bus: EventBus) -> None:
    sub = bus.subscribe(Key, lambda e: None, priority=7)
    assert (sub.is_active, sub.event_type, sub.priority) == (True, Key, 7)
    assert "active" in repr(sub)
    assert sub.cancel()
    assert not sub.cancel()
    assert not sub.is_active
    assert bus.handler_count(Key) == 0
    assert "cancelled" in repr(sub)


def test_subscription_context_manager_cancels(bus: EventBus) -> None:
    with bus.subscribe(Key, lambda e: None) as sub:
        assert isinstance(sub, Subscription)
        assert bus.handler_count(Key) == 1
    assert bus.handler_count(Key) == 0


def test_subscription_is_callable_as_a_blinker_receiver(bus: EventBus) -> None:
    sub = bus.subscribe(Key, lambda e: HANDLED)
    contexts: list[HandlerContext] = []
    ctx_sub = bus.subscribe_with_context(Key, lambda e, ctx: contexts.append(ctx))
    assert sub(Key()) is HANDLED
    assert ctx_sub(Key()) is None
    assert contexts == [bus._context]


def test_dispatch_order_and_receiver_are_what_the_bus_sorts_and_calls(bus: EventBus) -> None:
    def handler(event: Key, ctx: HandlerContext) -> None:
        pass

    late = bus.subscribe(Key, print, priority=5)
    early = bus.subscribe_with_context(Key, handler, priority=5)
    first = bus.subscribe(Key, print, priority=1)
    assert [dispatch_order(s)[0] for s in (late, early, first)] == [5, 5, 1]
    assert dispatch_order(late) < dispatch_order(early)
    assert (receiver(early), receiver(first)) == ((handler, True), (print, False))
