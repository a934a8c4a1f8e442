"""The first terminal tick: the bounded STOPPING drain, EMERGENCY, and the ShutdownReport."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from kernel import (
    Event,
    EventScope,
    HandlerContext,
    Runtime,
    RuntimeConfig,
    RuntimeState,
    ShutdownReport,
    Task,
    TaskState,
)

if TYPE_CHECKING:
    from kernel.testing import ErrorCollector

    from .conftest import MakeRuntime


@dataclass
class Step(Event):
    n: int = 0


def test_stopping_drains_every_queued_task(rt: Runtime) -> None:
    ran: list[int] = []
    for i in range(5):
        rt.schedule_work(ran.append, i)
    rt.shutdown()
    assert not rt.tick()
    assert ran == list(range(5))
    report = rt.shutdown_report()
    assert report == ShutdownReport(
        state=RuntimeState.STOPPING,
        tasks_drained=5,
        events_drained=0,
        tasks_abandoned=0,
        events_abandoned=0,
        timers_cancelled=0,
        ticks=1,
    )


def test_drain_runs_events_tasks_and_follow_ups_in_rounds(rt: Runtime) -> None:
    log: list[str] = []

    def chain(event: Step, ctx: HandlerContext) -> None:
        log.append(f"event {event.n}")
        if event.n < 3:
            ctx.emit(Step(event.n + 1))  # follow-ups are part of the drain

    rt.event_bus.subscribe_with_context(Step, chain)
    rt.queue_event(Step(0))
    rt.schedule_work(log.append, "task")
    rt.shutdown()
    assert not rt.queue_event(Step(9))  # new work offered while stopping is refused
    assert not rt.tick()
    assert log == ["event 0", "task", "event 1", "event 2", "event 3"]
    report = rt.shutdown_report()
    assert report is not None
    assert (report.tasks_drained, report.events_drained) == (1, 4)
    assert rt.is_idle()


def test_drain_failures_are_reported_and_counted(rt: Runtime, errors: ErrorCollector) -> None:
    def boom() -> None:
        raise ValueError("x")

    rt.schedule_work(boom)
    rt.schedule_work(print)
    rt.shutdown()
    rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_drained == 2
    assert rt.stats().tasks_failed == 1
    assert [r.phase for r in errors.take()] == ["task"]


def test_drain_limit_bounds_the_drain_and_the_rest_is_abandoned(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(RuntimeConfig(drain_limit=3))
    ran: list[int] = []
    endless: list[int] = []

    def forever(event: Step, ctx: HandlerContext) -> None:
        endless.append(event.n)
        ctx.emit(Step(event.n + 1))

    runtime.event_bus.subscribe_with_context(Step, forever)
    for i in range(4):
        runtime.schedule_work(ran.append, i)
    runtime.queue_event(Step(0))
    kept = Task(ran.append, 99)
    runtime.schedule_task(kept)
    runtime.shutdown()
    assert not runtime.tick()
    report = runtime.shutdown_report()
    assert report is not None
    assert (report.events_drained, report.tasks_drained) == (1, 2)
    assert (report.tasks_abandoned, report.events_abandoned) == (3, 1)
    assert ran == [0, 1]
    assert kept.state is TaskState.PENDING
    assert not kept.is_queued
    assert runtime.is_idle()
    assert not runtime.tick()  # later terminal ticks run nothing
    assert runtime.shutdown_report() is report


def test_emergency_abandons_everything(rt: Runtime) -> None:
    ran: list[int] = []
    scope = EventScope()
    rt.schedule_work(ran.append, 1)
    rt.queue_event(Step())
    rt.event_bus.emit_async(Step(), scope=scope)
    rt.schedule_delayed(1, print)
    rt.schedule_periodic(1, print)
    rt.emergency_stop()
    assert not rt.tick()
    assert ran == []
    assert rt.shutdown_report() == ShutdownReport(
        state=RuntimeState.EMERGENCY,
        tasks_drained=0,
        events_drained=0,
        tasks_abandoned=1,
        events_abandoned=2,
        timers_cancelled=2,
        ticks=1,
    )
    assert scope.is_complete  # nobody waits for an event that will never be dispatched
    stats = rt.stats()
    assert (stats.active_timers, stats.work_queue_len, stats.event_queue_len) == (0, 0, 0)


def test_cancelled_tasks_abandoned_at_the_stop_count_as_cancelled(rt: Runtime) -> None:
    task = Task(print)
    rt.schedule_task(task)
    task.cancel()
    rt.emergency_stop()
    rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 0
    assert rt.stats().tasks_cancelled == 1


def test_stop_cancels_pending_timers(rt: Runtime) -> None:
    one_shot = rt.schedule_delayed(5, print)
    periodic = rt.schedule_periodic(1, print)
    rt.shutdown()
    assert rt.schedule_delayed(1, print).failed
    rt.tick()
    assert not one_shot.pending
    assert not periodic.pending
    report = rt.shutdown_report()
    assert report is not None
    assert report.timers_cancelled == 2
    assert rt.stats().active_timers == 0


def test_shutdown_report_is_none_until_the_terminal_tick(rt: Runtime) -> None:
    assert rt.shutdown_report() is None
    rt.shutdown()
    assert rt.shutdown_report() is None
    rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    rt.emergency_stop()  # later state changes do not rewrite the report
    rt.tick()
    assert rt.shutdown_report() is report
    assert rt.state is RuntimeState.EMERGENCY


@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop"])
def test_run_in_a_terminal_state_runs_the_terminal_tick(rt: Runtime, stop: str) -> None:
    getattr(rt, stop)()
    report = rt.run()
    assert report is rt.shutdown_report()
    assert rt.run() is report


def test_abandoned_queued_events_release_the_current_scope(rt: Runtime) -> None:
    scope = EventScope()
    for _ in range(2):
        scope.increment()
        rt.queue_event(Step())
    rt.set_scope(scope)
    rt.emergency_stop()
    rt.tick()
    assert scope.is_complete


def test_drain_limit_smaller_than_the_queued_events(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(RuntimeConfig(drain_limit=2))
    seen: list[int] = []
    runtime.event_bus.subscribe(Step, lambda e: seen.append(e.n))
    for n in range(3):
        runtime.queue_event(Step(n))
    runtime.shutdown()
    runtime.tick()
    report = runtime.shutdown_report()
    assert report is not None
    assert (report.events_drained, report.events_abandoned) == (2, 1)
    assert seen == [0, 1]
