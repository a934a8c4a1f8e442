"""Re-entrancy: every callback kind calling every driving and lifecycle method of its runtime.

Driving methods (`tick`, `run`, `run_until_idle`, `advance`) and `boot` must refuse with
`InvalidStateError` (or find nothing to do) instead of nesting a tick; lifecycle methods take
effect at the documented point; nothing hangs, and the runtime then stops with exact reports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import pytest

from kernel import (
    EventResult,
    InvalidStateError,
    MissedTicks,
    Runtime,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
    TaskState,
)
from kernel.testing import ErrorCollector, ManualClock

from .liveness import bounded

if TYPE_CHECKING:
    from collections.abc import Callable


class Ping:
    priority = 100


def noop() -> None:
    """Work that does nothing, queued beside the re-entrant callback."""


def _call(rt: Runtime, method: str) -> object:
    if method == "tick":
        return rt.tick()
    if method == "run":
        return rt.run()
    if method == "run_until_idle":
        return rt.run_until_idle()
    if method == "advance":
        rt.advance(0.5)
        return None
    if method == "boot":
        rt.boot()
        return None
    if method == "shutdown":
        rt.shutdown()
        return None
    if method == "emergency_stop":
        rt.emergency_stop()
        return None
    if method == "process_queue":
        return rt.event_bus.process_queue()
    if method == "emit":
        return rt.event_bus.emit(object())
    if method == "emit_async":
        return rt.event_bus.emit_async(object())
    if method == "schedule_work":
        return rt.schedule_work(noop)
    if method == "send":
        rt.command_sender().send(ScheduleTask(Task(noop)))
        return None
    assert method == "send-shutdown"
    rt.command_sender().send(Shutdown())
    return None


METHODS: Final = (
    "tick",
    "run",
    "run_until_idle",
    "advance",
    "boot",
    "shutdown",
    "emergency_stop",
    "process_queue",
    "emit",
    "emit_async",
    "schedule_work",
    "send",
    "send-shutdown",
)
NESTING: Final = frozenset({"tick", "run", "run_until_idle", "advance", "boot"})
"""Methods that may raise InvalidStateError from inside a tick."""
KINDS: Final = (
    "task",
    "Task",
    "one-shot",
    "periodic",
    "handler",
    "context-handler",
    "async-handler",
    "error-handler",
)


def _arm(rt: Runtime, kind: str, callback: Callable[[], None]) -> list[Task]:
    bus = rt.event_bus
    tasks: list[Task] = []
    if kind == "task":
        rt.schedule_work(callback)
    elif kind == "Task":
        tasks.append(Task(callback))
        rt.schedule_task(tasks[0])
    elif kind == "one-shot":
        rt.schedule_delayed(0.0, callback)
    elif kind == "periodic":
        rt.schedule_periodic(0.25, callback, missed=MissedTicks.SKIP)
    elif kind == "handler":
        bus.subscribe(Ping, lambda e: callback())
        rt.queue_event(Ping())
    elif kind == "context-handler":
        bus.subscribe_with_context(Ping, lambda e, ctx: callback())
        rt.queue_event(Ping())
    elif kind == "async-handler":
        bus.subscribe(Ping, lambda e: callback())
        bus.emit_async(Ping())
        bus.emit_async(Ping())
    else:
        raise AssertionError(kind)
    # Work beside the callback that must still run (or be reported as abandoned), exactly once.
    tasks.append(Task(noop))
    rt.schedule_task(tasks[-1])
    return tasks


def _marks(kind: str, method: str) -> list[pytest.MarkDecorator]:
    return []


def _cases() -> list[object]:
    return [
        pytest.param(
            kind,
            method,
            id=f"{kind}-{method}",
            marks=_marks(kind, method),
        )
        for kind in KINDS
        for method in METHODS
    ]


REENTRANCY_CASES: Final = _cases()


@pytest.mark.parametrize(("kind", "method"), REENTRANCY_CASES)
def test_reentrant_call_is_refused_or_applied(kind: str, method: str) -> None:
    outcomes: list[object] = []
    errors = ErrorCollector()
    rt: Runtime

    acted: list[bool] = []

    def callback() -> None:
        if acted:  # a periodic timer, a second event, or a nested dispatch: act once
            return
        acted.append(True)
        try:
            outcomes.append(_call(rt, method))
        except InvalidStateError as exc:
            outcomes.append(exc)

    def error_handler(report: object) -> None:
        errors(report)  # type: ignore[arg-type]  # an ErrorReport
        callback()

    rt = Runtime(clock=ManualClock(), error_handler=error_handler)
    rt.boot()
    if kind == "error-handler":

        def failing() -> None:
            raise ValueError("reported")

        rt.schedule_work(failing)
        tasks = [Task(noop)]
        rt.schedule_task(tasks[0])
    else:
        tasks = _arm(rt, kind, callback)

    with bounded():
        rt.advance(0.25) if kind == "periodic" else rt.tick()
        assert len(outcomes) == 1
        outcome = outcomes[0]
        if method in NESTING and isinstance(outcome, InvalidStateError):
            assert "tick" in str(outcome) or "Booting" in str(outcome)
        else:
            assert method not in ("tick", "boot"), outcome
        rt.shutdown()
        for _ in range(3):
            if not rt.tick():
                break
        assert not rt.tick()

    report = rt.shutdown_report()
    assert report is not None
    stats = rt.stats()
    assert stats.work_queue_len == stats.event_queue_len == stats.async_queue_len == 0
    assert all(task.state is not TaskState.RUNNING for task in tasks)
    if rt.state is RuntimeState.STOPPING:
        # A graceful stop ran everything: the work beside the callback completed once.
        assert tasks[-1].state is TaskState.COMPLETED
    else:
        assert method == "emergency_stop"
        assert tasks[-1].state in (TaskState.COMPLETED, TaskState.PENDING)
        assert report.tasks_abandoned == (1 if tasks[-1].state is TaskState.PENDING else 0)
    expected_reports = 1 if kind == "error-handler" else 0
    assert len(errors.reports) == expected_reports
    assert EventResult.NOT_HANDLED.is_not_handled


def test_advance_inside_a_tick_refuses_before_moving_time() -> None:
    """Found by the matrix above: `advance()` from a callback moved the clock to a pending
    deadline before its `tick()` refused, and the outer `advance()` then had to go backwards
    (fixed with issue #7: driving methods refuse inside a tick before they do anything)."""
    clock = ManualClock()
    rt = Runtime(clock=clock)
    rt.boot()
    rt.schedule_delayed(0.5, noop)
    outcomes: list[BaseException] = []

    def nested() -> None:
        try:
            rt.advance(1.0)
        except InvalidStateError as exc:
            outcomes.append(exc)

    rt.schedule_work(nested)
    rt.tick()
    assert len(outcomes) == 1
    assert clock.now() == 0.0
