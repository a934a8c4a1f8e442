"""The phase functions of a tick, each on its own parts (kernel/_core/phases.py)."""

from __future__ import annotations

from kernel import EventBus, EventQueue, EventResult, EventScope, MissedTicks, WorkQueue
from kernel._core.executor import Executor
from kernel._core.phases import (
    discard_async,
    dispatch_async,
    dispatch_events,
    fire_timers,
    run_tasks,
)
from kernel._core.timer_wheel import TimerWheel
from kernel.testing import ManualClock


class Ping:
    priority = 100


def no_sink(
    phase: str, exc: BaseException, description: str, created_at: str | None = None, /
) -> None:
    raise AssertionError(f"unexpected report: {phase} {exc!r} {description}")


def test_fire_timers_queues_each_due_timer_and_returns_the_count() -> None:
    clock = ManualClock()
    wheel = TimerWheel(clock)
    work = WorkQueue(8)
    ran: list[str] = []
    wheel.schedule(0.5, ran.append, "a")
    wheel.schedule(1.0, ran.append, "b")
    wheel.schedule(5.0, ran.append, "later")
    clock.advance(1.0)
    assert fire_timers(wheel, work, clock.now()) == 2
    assert len(work) == 2
    assert len(wheel) == 1
    assert run_tasks(Executor(no_sink), work, 10) == 2
    assert ran == ["a", "b"]


def test_fire_timers_does_not_count_a_fire_whose_task_does_not_fit() -> None:
    clock = ManualClock()
    wheel = TimerWheel(clock)
    work = WorkQueue(1)
    wheel.schedule(0.5, print)
    wheel.schedule(0.5, print)
    clock.advance(0.5)
    assert fire_timers(wheel, work, clock.now()) == 1
    assert work.dropped == 1


def test_fire_timers_skips_a_periodic_timer_whose_task_is_still_queued() -> None:
    clock = ManualClock()
    wheel = TimerWheel(clock)
    work = WorkQueue(8)
    handle = wheel.schedule_periodic(1.0, print, missed=MissedTicks.DELAY)
    clock.advance(1.0)
    assert fire_timers(wheel, work, clock.now()) == 1
    clock.advance(1.0)
    assert fire_timers(wheel, work, clock.now()) == 0
    assert handle.missed_ticks == 1
    assert len(work) == 1


def test_dispatch_events_dispatches_up_to_the_limit_in_priority_order() -> None:
    events = EventQueue(8)
    bus = EventBus()
    seen: list[int] = []

    def on_int(event: int) -> EventResult:
        seen.append(event)
        return EventResult.HANDLED

    bus.subscribe(int, on_int)
    for value in (3, 1, 2):
        events.push_event(value)
    assert dispatch_events(events, bus, None, 2) == 2
    assert seen == [3, 1]
    assert len(events) == 1
    assert dispatch_events(events, bus, None, 5) == 1
    assert seen == [3, 1, 2]
    assert dispatch_events(events, bus, None, 5) == 0


def test_dispatch_events_leaves_events_queued_by_handlers_for_the_next_call() -> None:
    events = EventQueue(8)
    bus = EventBus()

    def requeue(event: Ping) -> None:
        events.push_event(Ping())

    bus.subscribe(Ping, requeue)
    events.push_event(Ping())
    assert dispatch_events(events, bus, None, 10) == 1
    assert len(events) == 1


def test_dispatch_events_releases_the_scope_once_per_event() -> None:
    events = EventQueue(8)
    bus = EventBus()
    scope = EventScope()
    for _ in range(3):
        scope.increment()
        events.push_event(Ping())
    assert dispatch_events(events, bus, scope, 2) == 2
    assert scope.in_flight == 1


def test_run_tasks_runs_up_to_the_limit_and_returns_the_count() -> None:
    work = WorkQueue(8)
    ran: list[int] = []
    for value in range(5):
        work.push((ran.append, (value,), None), 100)
    executor = Executor(no_sink)
    assert run_tasks(executor, work, 3) == 3
    assert ran == [0, 1, 2]
    assert len(work) == 2
    assert executor.executed == 3


def test_dispatch_async_dispatches_what_was_queued_and_returns_the_count() -> None:
    bus = EventBus()
    seen: list[Ping] = []

    def follow_up(event: Ping) -> None:
        seen.append(event)
        bus.emit_async(Ping())

    bus.subscribe(Ping, follow_up)
    bus.emit_async(Ping())
    bus.emit_async(Ping())
    assert dispatch_async(bus) == 2
    assert len(seen) == 2
    assert bus.queue_len == 2  # the follow-ups wait for the next call
    assert dispatch_async(bus, 1) == 1
    assert bus.queue_len == 2


def test_discard_async_drops_the_queue_and_releases_scopes() -> None:
    bus = EventBus()
    scope = EventScope()
    bus.emit_async(Ping(), scope)
    bus.emit_async(Ping())
    assert scope.in_flight == 1
    assert discard_async(bus) == 2
    assert bus.queue_len == 0
    assert scope.is_complete


def test_dispatch_events_with_no_budget_dispatches_nothing() -> None:
    events = EventQueue(8)
    events.push_event(Ping())
    assert dispatch_events(events, EventBus(), None, 0) == 0
    assert len(events) == 1
