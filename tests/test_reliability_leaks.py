"""Leaks: what kernel is done with, it lets go of (weak references and tracemalloc).

A finished, cancelled or abandoned piece of work must not keep its callable, its arguments or its
event alive, even while the user keeps the `Task` or `TimerHandle`; steady churn must not grow
memory.
"""

from __future__ import annotations

import gc
import tracemalloc
import weakref
from typing import Final

import pytest

from kernel import Runtime, RuntimeConfig, Task
from kernel.testing import ManualClock

from .liveness import scaled

CHURN: Final = scaled(5_000, 100_000)
GROWTH: Final = 64 * 1024
"""Bytes steady churn may leave behind (caches, a few slack entries): far below one per cycle."""


class Payload:
    """Something a callback holds: only weak references to it are kept by the tests."""


def runtime() -> tuple[Runtime, ManualClock]:
    clock = ManualClock()
    rt = Runtime(clock=clock)
    rt.boot()
    return rt, clock


def dead(ref: weakref.ref[Payload]) -> bool:
    gc.collect()
    return ref() is None


@pytest.mark.parametrize("ending", ["completed", "failed", "cancelled"])
def test_a_kept_task_lets_go_of_its_arguments(ending: str) -> None:
    """(An abandoned task stays PENDING and keeps its callable: it may be offered again.)"""
    rt = Runtime(clock=ManualClock(), error_handler=lambda report: None)  # keep no traceback
    rt.boot()
    payload = Payload()
    ref = weakref.ref(payload)

    def use(p: Payload) -> None:
        if ending == "failed":
            raise ValueError("failed")

    task = Task(use, payload)
    del payload
    rt.schedule_task(task)
    if ending == "cancelled":
        task.cancel()
    rt.tick()
    assert dead(ref), ending
    assert task.state.value  # the task object itself is still usable


@pytest.mark.parametrize("ending", ["fired", "cancelled", "periodic-cancelled", "stopped"])
def test_a_kept_timer_handle_lets_go_of_its_arguments(ending: str) -> None:
    rt, _ = runtime()
    payload = Payload()
    ref = weakref.ref(payload)
    if ending == "periodic-cancelled":
        handle = rt.schedule_periodic(1.0, lambda p: None, payload)
        rt.advance(2.0)
        handle.cancel()
    else:
        handle = rt.schedule_delayed(1.0, lambda p: None, payload)
        if ending == "fired":
            rt.advance(1.0)
        elif ending == "cancelled":
            handle.cancel()
        else:
            rt.shutdown()
            rt.tick()
    del payload
    assert dead(ref), ending
    assert not handle.pending


@pytest.mark.parametrize("path", ["queued", "async", "abandoned"])
def test_dispatched_or_abandoned_events_are_released(path: str) -> None:
    rt, _ = runtime()
    rt.event_bus.subscribe(Payload, lambda e: None)
    event = Payload()
    ref = weakref.ref(event)
    if path == "async":
        rt.event_bus.emit_async(event)
    else:
        rt.queue_event(event)
    del event
    if path == "abandoned":
        rt.emergency_stop()
    rt.tick()
    assert dead(ref), path


def test_a_cancelled_subscription_lets_go_of_its_handler() -> None:
    """Like a finished task, a cancelled subscription the app still holds drops its handler."""
    rt, _ = runtime()
    owner = Payload()
    ref = weakref.ref(owner)
    subscription = rt.event_bus.subscribe(Payload, lambda e, o=owner: None)  # type: ignore[misc]
    del owner
    assert not dead(ref)  # held strongly while subscribed (SPEC)
    assert subscription.cancel()
    assert dead(ref)
    assert rt.event_bus.handler_count(Payload) == 0


def _measure(cycle: object) -> int:
    assert callable(cycle)
    for _ in range(1000):  # warm up lanes, caches and the id map
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(CHURN):
            cycle()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_steady_churn_does_not_grow_memory() -> None:
    rt, clock = runtime()
    bus = rt.event_bus
    bus.subscribe(Payload, lambda e: None)

    def cycle() -> None:
        rt.schedule_work(len, ())
        rt.schedule_delayed(0.5, len, ()).cancel()
        rt.schedule_delayed(0.0, len, ())
        rt.queue_event(Payload())
        bus.emit_async(Payload())
        bus.subscribe(Payload, lambda e: None).cancel()
        rt.tick()
        clock.advance(0.001)

    assert _measure(cycle) < GROWTH
    rt.advance(1.0)
    assert rt.is_idle()


def test_debounce_by_reset_does_not_grow_memory() -> None:
    rt, clock = runtime()
    handle = rt.schedule_delayed(0.3, len, ())

    def cycle() -> None:
        handle.reset(0.3)
        clock.advance(0.0001)
        rt.tick()

    assert _measure(cycle) < GROWTH
    assert handle.pending


def test_debounce_by_cancel_on_a_frozen_clock_does_not_grow_memory() -> None:
    rt = Runtime(RuntimeConfig(max_timers=2), clock=ManualClock())
    rt.boot()
    rt.schedule_delayed(0.3, len, ())  # a live neighbour keeps the slot from emptying
    assert _measure(lambda: rt.schedule_delayed(0.3, len, ()).cancel()) < GROWTH
