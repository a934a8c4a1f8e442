"""Runtime: the tick and its phases, flags, stats, next_timeout (SPEC §1-3, §5, §7)."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import pytest

from kernel import (
    EventBus,
    EventResult,
    HandlerContext,
    InvalidStateError,
    Priority,
    Runtime,
    RuntimeConfig,
    RuntimeState,
    Shutdown,
    Task,
    TaskState,
)

from .samples import Ping, Urgent

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.testing import ErrorCollector, ManualClock

    from .conftest import MakeRuntime


def boom() -> None:
    raise ValueError("boom")


# -- tasks in a tick ------------------------------------------------------------------------------


def test_batch_size_bounds_each_tick(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(RuntimeConfig(batch_size=5))
    ran: list[int] = []
    for i in range(12):
        runtime.schedule_work(ran.append, i)
    runtime.tick()
    assert ran == list(range(5))
    assert runtime.stats().work_queue_len == 7
    runtime.tick()
    runtime.tick()
    assert ran == list(range(12))


def test_task_states_through_a_run(rt: Runtime, errors: ErrorCollector) -> None:
    seen: list[TaskState] = []

    def record_state() -> None:
        seen.append(task.state)

    task = Task(record_state)
    failing = Task(boom, name="failing")
    rt.schedule_task(task)
    rt.schedule_task(failing)
    assert task.is_queued
    rt.tick()
    assert seen == [TaskState.RUNNING]
    assert (task.state, failing.state) == (TaskState.COMPLETED, TaskState.FAILED)
    assert not task.cancel()
    [report] = errors.take()
    assert (report.phase, report.callback) == ("task", "failing")


def test_cancelled_task_leaves_the_queue_at_the_front(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(RuntimeConfig(batch_size=1))
    ran: list[str] = []
    victim = Task(ran.append, "victim")
    runtime.schedule_task(victim)
    runtime.schedule_work(ran.append, "next")
    assert victim.cancel()
    assert runtime.stats().work_queue_len == 2  # still counted until it reaches the front
    runtime.tick()
    assert ran == ["next"]  # the cancelled task did not use the only batch slot
    stats = runtime.stats()
    assert (stats.tasks_cancelled, stats.work_queue_len, stats.tasks_executed) == (1, 0, 1)


def test_executor_catches_exceptions_and_counts(rt: Runtime, errors: ErrorCollector) -> None:
    ran: list[int] = []
    rt.schedule_work(boom)
    rt.schedule_work(ran.append, 1)
    before = rt.stats()
    assert (before.work_queue_len, before.tasks_executed) == (2, 0)
    assert rt.tick()
    after = rt.stats()
    assert (after.work_queue_len, after.tasks_executed, after.tasks_failed) == (0, 1, 1)
    assert ran == [1]
    [report] = errors.take()
    assert report.callback == f"{__name__}.boom"


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit], ids=["ctrl-c", "exit"])
def test_interrupt_from_a_task_propagates_and_the_runtime_goes_on(
    rt: Runtime, interrupt: type[BaseException]
) -> None:
    ran: list[str] = []

    def stop() -> None:
        raise interrupt

    rt.schedule_work(stop)
    rt.schedule_work(ran.append, "after")
    with pytest.raises(interrupt):
        rt.tick()
    assert rt.stats().tasks_failed == 1
    assert rt.stats().work_queue_len == 1
    assert rt.tick()
    assert ran == ["after"]


def test_tick_from_inside_a_tick_raises(rt: Runtime, errors: ErrorCollector) -> None:
    rt.schedule_work(rt.tick)
    rt.tick()
    [report] = errors.take()
    assert isinstance(report.exception, InvalidStateError)
    assert str(report.exception) == "tick() called from inside a tick"


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("run_until_idle", lambda rt: rt.run_until_idle()),
        ("advance", lambda rt: rt.advance(1.0)),
    ],
    ids=["run_until_idle", "advance"],
)
def test_driving_from_inside_a_tick_raises(
    rt: Runtime, errors: ErrorCollector, method: str, call: Callable[[Runtime], object]
) -> None:
    rt.schedule_work(call, rt)
    rt.tick()
    [report] = errors.take()
    assert isinstance(report.exception, InvalidStateError)
    assert str(report.exception) == f"{method}() called from inside a tick"
    assert rt.stats().tasks_failed == 1


# -- the tick's phases -------------------------------------------------------------------------


def test_tick_phases_run_in_order(rt: Runtime, clock: ManualClock) -> None:
    order: list[str] = []
    rt.event_bus.subscribe(Ping, lambda e: order.append(f"event {e.n}"))
    rt.schedule_work(order.append, "task")
    rt.event_bus.emit_async(Ping(2))
    rt.queue_event(Ping(1))
    rt.schedule_delayed(0, order.append, "timer")
    assert rt.tick()
    assert order == ["event 1", "task", "timer", "event 2"]


def test_each_phase_handles_only_what_was_ready_when_it_began(rt: Runtime) -> None:
    log: list[str] = []

    def on_ping(event: Ping, ctx: HandlerContext) -> None:
        log.append(f"ping {event.n}")
        if event.n == 0:
            rt.queue_event(Ping(1))  # queued during the events phase: next tick
            ctx.emit(Ping(2))  # follow-up: this tick's async phase

    def task() -> None:
        log.append("task")
        rt.schedule_work_with_priority(Priority.CRITICAL, log.append, "spawned")

    rt.event_bus.subscribe_with_context(Ping, on_ping)
    rt.queue_event(Ping(0))
    rt.schedule_work(task)
    rt.tick()
    assert log == ["ping 0", "task", "ping 2"]
    rt.tick()
    assert log == ["ping 0", "task", "ping 2", "ping 1", "spawned"]


def test_a_self_rescheduling_task_cannot_trap_the_tick(rt: Runtime) -> None:
    count: list[int] = []

    def again() -> None:
        count.append(1)
        rt.schedule_work(again)

    rt.schedule_work(again)
    for ticks in range(1, 4):
        rt.tick()
        assert len(count) == ticks


def test_booting_tick_applies_commands_only(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(boot=False)
    handled: list[Ping] = []
    runtime.event_bus.subscribe(Ping, handled.append)
    assert runtime.queue_event(Ping())  # events are accepted while booting
    runtime.schedule_delayed(0, print)
    assert runtime.tick()
    assert handled == []
    assert runtime.stats().ticks == 1
    runtime.boot()
    runtime.tick()
    assert len(handled) == 1


# -- events, render and quit ----------------------------------------------------------------------


def test_context_request_render_sets_the_runtime_flag(rt: Runtime) -> None:
    def handler(event: Ping, ctx: HandlerContext) -> EventResult:
        ctx.request_render()
        return EventResult.HANDLED

    rt.event_bus.subscribe_with_context(Ping, handler)
    rt.queue_event(Ping())
    assert not rt.is_render_pending()
    rt.tick()
    assert rt.is_render_pending()
    assert rt.take_render_pending()
    assert not rt.take_render_pending()


def test_request_render_and_flag(rt: Runtime) -> None:
    rt.request_render()
    assert rt.is_render_pending()
    assert rt.take_render_pending()
    assert not rt.is_render_pending()


def test_request_quit_stops_at_the_end_of_the_phase(rt: Runtime) -> None:
    log: list[str] = []

    def quitter(event: Ping, ctx: HandlerContext) -> None:
        log.append(f"event {event.n}")
        ctx.request_quit()

    rt.event_bus.subscribe_with_context(Ping, quitter)
    rt.queue_event(Ping(1))
    rt.queue_event(Ping(2))
    rt.schedule_work(log.append, "task")
    rt.event_bus.emit_async(Ping(3))
    assert rt.tick()  # the rest of the tick runs
    assert log == ["event 1", "event 2", "task", "event 3"]
    assert rt.state is RuntimeState.STOPPING
    assert not rt.tick()  # the next tick drains
    assert rt.shutdown_report() is not None


def test_shutdown_from_inside_a_task_finishes_the_tick(rt: Runtime) -> None:
    log: list[str] = []
    rt.event_bus.subscribe(Ping, lambda e: log.append("async"))
    rt.schedule_work(rt.shutdown)
    rt.schedule_work(log.append, "same batch")
    rt.event_bus.emit_async(Ping())
    assert rt.tick()
    assert log == ["same batch", "async"]
    assert rt.state is RuntimeState.STOPPING
    assert not rt.schedule_work(print)
    assert not rt.tick()


def test_emergency_from_inside_a_task_skips_the_rest_of_the_tick(rt: Runtime) -> None:
    log: list[str] = []
    rt.event_bus.subscribe(Ping, lambda e: log.append("async"))
    rt.schedule_work(rt.emergency_stop)
    rt.event_bus.emit_async(Ping())
    rt.tick()
    assert log == []
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert (report.state, report.events_abandoned) == (RuntimeState.EMERGENCY, 1)


def test_runtime_uses_the_given_bus(clock: ManualClock) -> None:
    bus = EventBus()
    runtime = Runtime(event_bus=bus, clock=clock)
    assert runtime.event_bus is bus
    assert runtime.clock is clock
    assert runtime.config == RuntimeConfig()


def test_timer_wheel_shows_the_live_timers(rt: Runtime) -> None:
    assert len(rt.timer_wheel) == 0
    assert rt.timer_wheel.next_deadline() is None
    handle = rt.schedule_delayed(2.0, print)
    assert len(rt.timer_wheel) == 1
    assert rt.timer_wheel.next_deadline() == rt.next_timeout() == 2.0
    handle.cancel()
    assert len(rt.timer_wheel) == 0


# -- observing ------------------------------------------------------------------------------------


def test_is_idle(rt: Runtime) -> None:
    assert rt.is_idle()
    rt.schedule_work(print)
    assert not rt.is_idle()
    rt.tick()
    assert rt.is_idle()
    rt.event_bus.emit_async(Ping())
    assert not rt.is_idle()
    rt.tick()
    handle = rt.schedule_delayed(60, print)
    assert not rt.is_idle()
    handle.cancel()
    assert rt.is_idle()


def test_next_timeout_by_state(make_runtime: MakeRuntime, clock: ManualClock) -> None:
    runtime = make_runtime(boot=False)
    runtime.queue_event(Ping())
    assert runtime.next_timeout() is None  # BOOTING: nothing runs yet
    runtime.boot()
    assert runtime.next_timeout() == 0.0
    runtime.tick()
    assert runtime.next_timeout() is None
    runtime.schedule_delayed(2.5, print)
    assert runtime.next_timeout() == 2.5
    clock.advance(1)
    assert runtime.next_timeout() == 1.5
    runtime.command_sender().send(Shutdown())
    assert runtime.next_timeout() == 0.0  # a command is waiting
    runtime.tick()  # applies it; the same tick is the terminal one
    assert runtime.state is RuntimeState.STOPPING
    assert runtime.next_timeout() is None


def test_next_timeout_is_zero_until_the_terminal_tick(rt: Runtime) -> None:
    rt.shutdown()
    assert rt.next_timeout() == 0.0
    assert not rt.tick()
    assert rt.next_timeout() is None


def test_stats_is_a_frozen_snapshot(rt: Runtime) -> None:
    stats = rt.stats()
    rt.schedule_work(print)
    assert stats.work_queue_len == 0
    assert rt.stats().work_queue_len == 1
    with pytest.raises(AttributeError):
        stats.ticks = 3  # type: ignore[misc]
    assert stats.state is RuntimeState.RUNNING


def test_every_piece_of_work_is_accounted_for(
    make_runtime: MakeRuntime, errors: ErrorCollector
) -> None:
    runtime = make_runtime(RuntimeConfig(work_queue_capacity=4, batch_size=2))
    tasks = [Task(print if i != 1 else boom) for i in range(6)]
    offered = [runtime.schedule_task(t) for t in tasks]
    tasks[2].cancel()
    runtime.tick()
    runtime.tick()
    stats = runtime.stats()
    outcome = (
        stats.tasks_executed
        + stats.tasks_failed
        + stats.tasks_cancelled
        + stats.work_dropped
        + stats.tasks_rejected
        + stats.work_queue_len
    )
    assert offered == [True] * 4 + [False] * 2
    assert outcome == 6
    assert (stats.tasks_executed, stats.tasks_failed, stats.tasks_cancelled) == (2, 1, 1)
    assert len(errors.take()) == 1


def test_repr(rt: Runtime) -> None:
    rt.schedule_work(print)
    assert repr(rt) == "<Runtime Running ticks=0 events=0 work=1 timers=0>"


def test_quit_requested_outside_a_tick_stops_at_the_next_tick(rt: Runtime) -> None:
    def quitter(event: Ping, ctx: HandlerContext) -> None:
        ctx.request_quit()

    rt.event_bus.subscribe_with_context(Ping, quitter)
    rt.event_bus.emit(Ping())  # the app dispatches synchronously, between ticks
    assert rt.stats().state is RuntimeState.RUNNING
    assert rt.next_timeout() == 0.0
    assert rt.run_until_idle() == 1  # honoured at the start of the tick, like Shutdown
    assert rt.state is RuntimeState.STOPPING
    assert rt.shutdown_report() is not None


def test_emergency_from_an_event_handler_skips_tasks_and_async(rt: Runtime) -> None:
    log: list[str] = []
    rt.event_bus.subscribe(Ping, lambda e: rt.emergency_stop())
    rt.event_bus.subscribe(Urgent, lambda e: log.append("async"))
    rt.queue_event(Ping())
    rt.schedule_work(log.append, "task")
    rt.event_bus.emit_async(Urgent())
    assert rt.tick()
    assert log == []
    assert not rt.tick()


def test_error_report_names_a_callable_without_a_qualname(
    rt: Runtime, errors: ErrorCollector
) -> None:
    rt.schedule_work(functools.partial(boom))
    rt.tick()
    [report] = errors.take()
    assert report.callback.startswith("functools.partial(<function boom")


def test_quit_requested_from_a_task_applies_after_the_tasks_phase(rt: Runtime) -> None:
    log: list[str] = []

    def quitter(event: Ping, ctx: HandlerContext) -> None:
        ctx.request_quit()

    rt.event_bus.subscribe_with_context(Ping, quitter)
    rt.event_bus.subscribe(Urgent, lambda e: log.append("async"))
    rt.schedule_work(rt.event_bus.emit, Ping())  # a task dispatches synchronously
    rt.schedule_work(log.append, "same batch")
    rt.event_bus.emit_async(Urgent())
    assert rt.tick()
    assert log == ["same batch", "async"]
    assert rt.stats().state is RuntimeState.STOPPING


def test_emergency_from_a_task_stops_the_rest_of_the_batch(rt: Runtime) -> None:
    log: list[str] = []
    rt.schedule_work(log.append, "before")
    rt.schedule_work(rt.emergency_stop)
    rt.schedule_work(log.append, "after")
    rt.tick()
    assert log == ["before"]
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 1


def test_emergency_from_a_handler_stops_the_rest_of_the_events(rt: Runtime) -> None:
    seen: list[int] = []

    def handler(event: Ping) -> None:
        seen.append(event.n)
        if event.n == 1:
            rt.emergency_stop()

    rt.event_bus.subscribe(Ping, handler)
    for n in range(1, 4):
        rt.queue_event(Ping(n))
    rt.tick()
    assert seen == [1]
    rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.events_abandoned == 2


def test_emergency_from_an_async_handler_stops_the_async_phase(rt: Runtime) -> None:
    seen: list[int] = []

    def handler(event: Ping) -> None:
        seen.append(event.n)
        rt.emergency_stop()

    rt.event_bus.subscribe(Ping, handler)
    rt.event_bus.emit_async(Ping(1))
    rt.event_bus.emit_async(Ping(2))
    rt.tick()
    assert seen == [1]
    assert rt.event_bus.queue_len == 1


def test_set_wakeup_calls_back_after_each_send(rt: Runtime) -> None:
    woken: list[int] = []
    rt.set_wakeup(lambda: woken.append(1))
    sender = rt.command_sender()
    sender.send(Shutdown())
    assert woken == [1]
    rt.set_wakeup(None)
    sender.send(Shutdown())
    assert woken == [1]
    with pytest.raises(TypeError, match=r"^callback must be callable, got 'pipe'$"):
        rt.set_wakeup("pipe")  # type: ignore[arg-type]
