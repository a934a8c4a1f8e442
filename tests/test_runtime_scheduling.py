"""Runtime's scheduling facet: work, tasks, timers by id, queued events and the event scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kernel import (
    EventScope,
    Priority,
    Runtime,
    RuntimeConfig,
    Task,
    TaskState,
)

from .samples import Ping, Urgent, boom

if TYPE_CHECKING:
    from kernel.testing import ErrorCollector

    from .conftest import MakeRuntime


# -- work -----------------------------------------------------------------------------------------


def test_schedule_work_runs_in_the_next_tick(rt: Runtime) -> None:
    ran: list[int] = []
    assert rt.schedule_work(ran.append, 1)
    assert ran == []
    assert rt.tick()
    assert ran == [1]
    assert rt.is_idle()


@pytest.mark.parametrize("state", ["booting", "stopping", "emergency"])
def test_work_is_accepted_only_while_running(make_runtime: MakeRuntime, state: str) -> None:
    runtime = make_runtime(boot=state != "booting")
    if state == "stopping":
        runtime.shutdown()
    elif state == "emergency":
        runtime.emergency_stop()
    task = Task(print)
    assert not runtime.schedule_work(print)
    assert not runtime.schedule_work_with_priority(Priority.HIGH, print)
    assert not runtime.schedule_work(print, name="named")
    assert not runtime.schedule_task(task)
    assert runtime.stats().tasks_rejected == 4
    assert task.state is TaskState.PENDING
    assert not task.is_queued


def test_rejected_task_can_be_offered_again(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(boot=False)
    ran: list[str] = []
    task = Task(ran.append, "again")
    assert not runtime.schedule_task(task)
    runtime.boot()
    assert runtime.schedule_task(task)
    runtime.tick()
    assert ran == ["again"]
    assert task.state is TaskState.COMPLETED


def test_full_work_queue_rejects_the_newest(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(RuntimeConfig(work_queue_capacity=2))
    ran: list[int] = []
    task = Task(ran.append, 3, priority=Priority.CRITICAL)
    assert runtime.schedule_work(ran.append, 1)
    assert runtime.schedule_work(ran.append, 2)
    assert not runtime.schedule_task(task)
    assert task.state is TaskState.PENDING
    assert not task.is_queued
    assert runtime.stats().work_dropped == 1
    runtime.tick()
    assert ran == [1, 2]
    assert runtime.schedule_task(task)  # a dropped task may be offered again
    runtime.tick()
    assert ran == [1, 2, 3]


def test_priority_then_fifo(rt: Runtime) -> None:
    ran: list[str] = []
    rt.schedule_work_with_priority(Priority.LOW, ran.append, "low")
    rt.schedule_work(ran.append, "normal-1")
    rt.schedule_work_with_priority(Priority.CRITICAL, ran.append, "critical")
    rt.schedule_task(Task(ran.append, "high", priority=Priority.HIGH))
    rt.schedule_work_with_priority(75, ran.append, "75")
    rt.schedule_work(ran.append, "normal-2")
    rt.schedule_work_with_priority(Priority.IDLE, ran.append, "idle")
    rt.tick()
    assert ran == ["critical", "high", "75", "normal-1", "normal-2", "low", "idle"]


def test_schedule_task_that_is_queued_or_done_raises(rt: Runtime) -> None:
    task = Task(print)
    assert rt.schedule_task(task)
    with pytest.raises(
        ValueError, match=r"^task <Task \d+ 'builtins.print' .*> is already queued$"
    ):
        rt.schedule_task(task)
    done = Task(lambda: None)
    rt.schedule_task(done)
    rt.run_until_idle()
    with pytest.raises(ValueError, match=r"is Completed; only a Pending task can be scheduled$"):
        rt.schedule_task(done)
    cancelled = Task(print)
    cancelled.cancel()
    with pytest.raises(ValueError, match=r"is Cancelled; only a Pending task can be scheduled$"):
        rt.schedule_task(cancelled)
    assert rt.stats().tasks_rejected == 0


def test_queued_events_dispatch_by_priority_then_fifo(rt: Runtime) -> None:
    seen: list[str] = []
    rt.event_bus.subscribe(Ping, lambda e: seen.append(f"ping {e.n}"))
    rt.event_bus.subscribe(Urgent, lambda e: seen.append("urgent"))
    rt.queue_event(Ping(1))
    rt.queue_event(Ping(2))
    rt.queue_event(Urgent())
    rt.tick()
    assert seen == ["urgent", "ping 1", "ping 2"]
    assert rt.stats().events_dispatched == 3


def test_queue_event_full_or_stopping_is_dropped_and_counted(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(RuntimeConfig(priority_queue_capacity=1))
    assert runtime.queue_event(Ping())
    assert not runtime.queue_event(Ping())
    runtime.shutdown()
    assert not runtime.queue_event(Ping())
    assert not runtime.event_bus.emit_async(Ping())
    assert runtime.stats().events_dropped == 3


def test_queue_event_rejects_an_invalid_priority(rt: Runtime) -> None:
    with pytest.raises(ValueError, match=r"^event priority must be in \[0, 2\*\*32\), got -3$"):
        rt.queue_event(Urgent(priority=-3))
    assert rt.stats().event_queue_len == 0
    assert rt.stats().events_dropped == 0


def test_any_object_is_an_event(rt: Runtime) -> None:
    seen: list[str] = []
    rt.event_bus.subscribe(str, seen.append)
    rt.queue_event("hello")
    rt.tick()
    assert seen == ["hello"]


def test_current_scope_is_decremented_after_each_queued_event(rt: Runtime) -> None:
    scope = EventScope()
    for _ in range(3):
        scope.increment()
    rt.set_scope(scope)
    assert rt.current_scope is scope
    rt.queue_event(Ping())
    rt.queue_event(Ping())
    rt.event_bus.emit_async(Ping())  # async events do not touch the runtime's scope
    rt.tick()
    assert scope.in_flight == 1
    rt.queue_event(Ping())
    rt.queue_event(Ping())
    rt.tick()
    assert scope.in_flight == 0  # never below zero
    rt.clear_scope()
    assert rt.current_scope is None


def test_set_scope_rejects_a_non_scope(rt: Runtime) -> None:
    with pytest.raises(TypeError, match=r"^scope must be an EventScope, got None$"):
        rt.set_scope(None)  # type: ignore[arg-type]


def test_schedule_work_with_priority_and_name(rt: Runtime, errors: ErrorCollector) -> None:
    rt.schedule_work_with_priority(Priority.LOW, boom, name="named-low")
    rt.schedule_work(boom, name="named-normal")
    rt.tick()
    assert [r.callback for r in errors.take()] == ["named-normal", "named-low"]


def test_cancel_timer_by_id(rt: Runtime) -> None:
    handle = rt.schedule_delayed(1, print)
    assert rt.cancel_timer(handle.id)
    assert not rt.cancel_timer(handle.id)
    assert not rt.cancel_timer(123456789)
