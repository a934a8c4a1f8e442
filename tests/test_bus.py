"""EventBus on blinker: ordering, results, error isolation, context, scopes, subscriptions."""

from __future__ import annotations

import gc
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import blinker
import pytest

from kernel import (
    Event,
    EventBus,
    EventResult,
    Runtime,
    Subscription,
)
from kernel._core.bus import watch_bus
from kernel.testing import ErrorCollector, ManualClock

from .hook_interrupts import instruments_with

if TYPE_CHECKING:
    from collections.abc import Callable

HANDLED, CONSUMED, NOT_HANDLED = EventResult.HANDLED, EventResult.CONSUMED, EventResult.NOT_HANDLED


@dataclass
class Key(Event):
    key: str = "a"


@dataclass
class Other(Event):
    value: int = 0


class SpecialKey(Key):
    pass


@pytest.fixture
def collector() -> ErrorCollector:
    return ErrorCollector()


@pytest.fixture
def bus(collector: ErrorCollector) -> EventBus:
    return EventBus(error_handler=collector)


def test_emit_calls_handler_with_the_event(bus: EventBus) -> None:
    seen: list[Key] = []

    def handler(event: Key) -> EventResult:
        seen.append(event)
        return HANDLED

    bus.subscribe(Key, handler)
    event = Key("x")
    assert bus.emit(event) is HANDLED
    assert seen == [event]
    assert bus.dispatched == 1


def test_emit_without_handlers_is_not_handled(bus: EventBus) -> None:
    assert bus.emit(Key()) is NOT_HANDLED
    assert bus.handler_count(Key) == 0


def test_handlers_are_keyed_by_exact_type(bus: EventBus) -> None:
    seen: list[str] = []
    bus.subscribe(Key, lambda e: seen.append("key"))
    bus.subscribe(Other, lambda e: seen.append("other"))
    assert bus.emit(SpecialKey()) is NOT_HANDLED
    assert bus.emit(Other()) is NOT_HANDLED  # None counts as NOT_HANDLED
    assert seen == ["other"]


def test_handlers_run_by_priority_then_subscription_order(bus: EventBus) -> None:
    order: list[str] = []
    for name, priority in [("low", 200), ("high", 50), ("normal-1", 100), ("normal-2", 100)]:
        bus.subscribe(Key, lambda e, n=name: order.append(n), priority=priority)  # type: ignore[misc]
    bus.emit(Key())
    assert order == ["high", "normal-1", "normal-2", "low"]


def recorder(calls: list[str], name: str, result: EventResult) -> Callable[[Key], EventResult]:
    """A handler that records its name and returns `result`."""

    def handler(event: Key) -> EventResult:
        calls.append(name)
        return result

    return handler


def test_consumed_stops_propagation(bus: EventBus) -> None:
    calls: list[str] = []
    bus.subscribe(Key, recorder(calls, "first", HANDLED), priority=10)
    bus.subscribe(Key, recorder(calls, "consumer", CONSUMED), priority=50)
    bus.subscribe(Key, recorder(calls, "late", HANDLED), priority=100)
    assert bus.emit(Key()) is CONSUMED
    assert calls == ["first", "consumer"]


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        ([NOT_HANDLED, None], NOT_HANDLED),
        ([NOT_HANDLED, HANDLED, NOT_HANDLED], HANDLED),
        ([HANDLED, CONSUMED, HANDLED], CONSUMED),
    ],
    ids=["none-handled", "one-handled", "consumed"],
)
def test_emit_combines_results(
    bus: EventBus, results: list[EventResult | None], expected: EventResult
) -> None:
    for result in results:
        bus.subscribe(Key, lambda e, r=result: r)  # type: ignore[misc]
    assert bus.emit(Key()) is expected


def test_a_raising_handler_is_reported_and_the_others_still_run(
    bus: EventBus, collector: ErrorCollector
) -> None:
    calls: list[str] = []

    def broken(event: Key) -> EventResult:
        raise ValueError("oops")

    bus.subscribe(Key, broken, priority=10)
    bus.subscribe(Key, recorder(calls, "after", NOT_HANDLED), priority=20)
    assert bus.emit(Key()) is NOT_HANDLED  # the raising handler does not count
    assert calls == ["after"]
    assert bus.handler_errors == 1
    [report] = collector.take()
    assert (report.phase, report.tick) == ("event", 0)
    assert report.callback.endswith("broken")
    assert isinstance(report.exception, ValueError)


def test_a_handler_returning_garbage_is_reported(bus: EventBus, collector: ErrorCollector) -> None:
    bus.subscribe(Key, lambda e: "yes")  # type: ignore[arg-type,return-value]
    assert bus.emit(Key()) is NOT_HANDLED
    [report] = collector.take()
    assert isinstance(report.exception, TypeError)
    assert str(report.exception).endswith("returned 'yes'; expected an EventResult or None")
    assert bus.handler_errors == 1


def test_handlers_are_held_strongly(bus: EventBus) -> None:
    seen: list[int] = []

    def subscribe_a_closure() -> None:
        bus.subscribe(Other, lambda e: seen.append(e.value))

    subscribe_a_closure()
    gc.collect()
    bus.emit(Other(7))
    assert seen == [7]


def test_each_bus_has_its_own_blinker_namespace() -> None:
    first, second = EventBus(), EventBus()
    seen: list[str] = []
    first.subscribe(Key, lambda e: seen.append("first"))
    second.subscribe(Key, lambda e: seen.append("second"))
    first.emit(Key())
    assert seen == ["first"]
    assert first._namespace is not second._namespace
    assert all(not name.startswith(__name__) for name in blinker.default_namespace)


def test_subscriptions_are_blinker_receivers(bus: EventBus) -> None:
    sub = bus.subscribe(Key, lambda e: None)
    signal = bus._signals[Key]
    assert list(signal.receivers.values()) == [sub]
    sub.cancel()
    assert Key not in bus._signals
    assert signal.name not in bus._namespace


def test_partial_unsubscribe(bus: EventBus) -> None:
    total: list[int] = []
    first = bus.subscribe(Other, lambda e: total.append(1))
    bus.subscribe(Other, lambda e: total.append(10))
    bus.emit(Other())
    first.cancel()
    bus.emit(Other())
    assert total == [1, 10, 10]


def test_subscribing_or_cancelling_during_dispatch_applies_next_time(bus: EventBus) -> None:
    calls: list[str] = []
    subs: list[Subscription] = []

    def first(event: Key) -> None:
        calls.append("first")
        subs[0].cancel()
        bus.subscribe(Key, lambda e: calls.append("new"))

    subs.append(bus.subscribe(Key, lambda e: calls.append("victim"), priority=200))
    bus.subscribe(Key, first, priority=10)
    bus.emit(Key())
    assert calls == ["first", "victim"]
    calls.clear()
    bus.emit(Key())
    assert calls == ["first", "new"]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("Key", lambda e: None), TypeError, r"^event_type must be a class, got 'Key'$"),
        ((Key, 5), TypeError, r"^handler must be callable, got 5$"),
        ((Key, print, -1), ValueError, r"^priority must be in \[0, 2\*\*32\), got -1$"),
        ((Key, print, "1"), TypeError, r"^priority must be an int in \[0, 2\*\*32\), got '1'$"),
    ],
    ids=["type", "handler", "priority-range", "priority-type"],
)
def test_subscribe_rejects_bad_arguments(
    bus: EventBus, args: tuple[object, ...], error: type[Exception], message: str
) -> None:
    for method in (bus.subscribe, bus.subscribe_with_context):
        with pytest.raises(error, match=message):
            method(*args)  # type: ignore[arg-type]
    assert bus._receivers == {}


def test_bus_belongs_to_one_runtime() -> None:
    bus = EventBus()
    runtime = Runtime(event_bus=bus)
    assert runtime.event_bus is bus
    with pytest.raises(ValueError, match=r"already belongs to another Runtime$"):
        Runtime(event_bus=bus)


def test_bus_in_a_runtime_reports_to_the_runtime_handler() -> None:
    own, runtime_errors = ErrorCollector(), ErrorCollector()
    bus = EventBus(error_handler=own)
    runtime = Runtime(event_bus=bus, clock=ManualClock(), error_handler=runtime_errors)
    runtime.boot()

    def broken(event: Key) -> None:
        raise RuntimeError("x")

    bus.subscribe(Key, broken)
    runtime.queue_event(Key())
    runtime.tick()
    assert own.reports == []
    [report] = runtime_errors.take()
    assert (report.phase, report.tick) == ("event", 1)
    assert runtime.stats().handler_errors == 1


def test_bus_repr(bus: EventBus) -> None:
    bus.subscribe(Key, print)
    bus.subscribe(Key, print)
    bus.emit_async(Key())
    assert repr(bus) == "<EventBus event_types=1 handlers=2 queue_len=1>"


# -- an instrument's callback hook interrupted: not the handler's own ----------------------------


async def _coroutine_handler(event: Key) -> None:
    raise AssertionError("never runs")  # pragma: no cover


def _raising_handler(event: Key) -> None:
    raise ValueError("the handler's own")


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        (_raising_handler, "^the handler's own$"),
        (lambda event: "yes", r"returned 'yes'; expected an EventResult or None$"),
        (_coroutine_handler, r"returned an awaitable \(coroutine\)"),
        (lambda event: HANDLED, None),
    ],
    ids=["raised", "garbage", "awaitable", "handled"],
)
def test_an_after_callback_interrupt_reports_what_the_handler_did_wrong(
    bus: EventBus, collector: ErrorCollector, handler: Callable[[Key], object], message: str | None
) -> None:
    calls: list[str] = []
    bus.subscribe(Key, handler, priority=10)  # type: ignore[arg-type]  # what is checked
    bus.subscribe(Key, recorder(calls, "next", HANDLED), priority=20)
    watch_bus(bus, instruments_with("after_callback")[0])
    with pytest.raises(KeyboardInterrupt):
        bus.emit(Key())
    assert calls == []  # an interrupt ends the event's dispatch, as the handler's own would
    reports = collector.take()
    assert bus.handler_errors == len(reports) == (0 if message is None else 1)
    if message is not None:
        assert re.search(message, str(reports[0].exception))
    assert bus.emit(Key()) is HANDLED  # the next dispatch is whole
    assert calls == ["next"]


def test_a_before_callback_interrupt_ends_the_dispatch_before_the_handler(
    bus: EventBus, collector: ErrorCollector
) -> None:
    calls: list[str] = []
    bus.subscribe(Key, recorder(calls, "first", HANDLED), priority=10)
    bus.subscribe(Key, recorder(calls, "second", HANDLED), priority=20)
    instruments, _ = instruments_with("before_callback")
    watch_bus(bus, instruments)
    with pytest.raises(KeyboardInterrupt) as caught:
        bus.emit(Key())
    assert calls == []
    assert instruments.take_interrupt(caught.value) is None  # the bus took it
    assert (bus.dispatched, bus.handler_errors) == (1, 0)
    assert collector.reports == []
    assert bus.emit(Key()) is HANDLED
    assert calls == ["first", "second"]
