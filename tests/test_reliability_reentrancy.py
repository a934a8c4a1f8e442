"""Re-entrancy: every callback kind calling every driving and lifecycle method of its runtime.

Driving methods (`tick`, `run`, `run_until_idle`, `advance`) and `boot` must refuse with
`InvalidStateError` (or find nothing to do) instead of nesting a tick; lifecycle methods take
effect at the documented point; nothing hangs, and the runtime then stops with exact reports.
"""

from __future__ import annotations

import signal
import socket
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

from .liveness import bounded, sampled

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
    if method == "close":
        rt.close()
        return None
    if method == "run_ticks":
        return rt.run_ticks(2)
    if method == "run_idle_callbacks":
        return rt.run_idle_callbacks()
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
    "close",
    "run_ticks",
    "run_idle_callbacks",
)
NESTING: Final = frozenset(
    {"tick", "run", "run_until_idle", "advance", "boot", "close", "run_ticks", "run_idle_callbacks"}
)
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


@pytest.mark.parametrize(
    ("kind", "method"),
    # By default a third of the pairs, a diagonal that meets every kind and every method; the
    # whole matrix under KERNEL_STRESS=1.
    sampled(
        REENTRANCY_CASES,
        lambda kind, method: (KINDS.index(kind) + METHODS.index(method)) % 3 == 0,
    ),
)
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
            assert method not in ("tick", "boot", "close", "run_ticks"), outcome
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


# -- Part II callback kinds: I/O, signals, idle, on_done, instrument hooks ----------------------

SOURCE_KINDS: Final = (
    "reader",
    "writer",
    "signal",
    "idle",
    "on_done",
    "before_tick",
    "after_tick",
    "before_callback",
    "after_callback",
    "on_error",
    "on_state",
)
OUTSIDE_A_TICK: Final = frozenset({"idle"})
"""Idle callbacks run between ticks (`run()` before a wait, or `run_idle_callbacks()`): driving
methods are allowed there. Every other kind runs inside a tick (``before_tick`` and
``after_tick`` hooks are part of theirs), where driving methods are refused."""


class _Instrument:
    """An instrument with one hook, set by name."""


class _Source:
    """One runtime with a re-entrant callback of one Part II kind; `trigger()` runs it."""

    def __init__(self, kind: str, callback: Callable[[], None]) -> None:
        self.kind = kind
        self.errors = ErrorCollector()
        self.rt = rt = Runtime(clock=ManualClock(), error_handler=self.errors)
        rt.boot()
        self.pair = socket.socketpair()
        self.pair[1].send(b"x")
        self.instrument: _Instrument | None = None
        if kind == "reader":
            rt.add_reader(self.pair[0], self._once, rt.remove_reader, callback)
        elif kind == "writer":
            rt.add_writer(self.pair[0], self._once, rt.remove_writer, callback)
        elif kind == "signal":
            rt.add_signal_handler(signal.SIGUSR1, callback)
        elif kind == "idle":
            rt.add_idle_callback(callback)
            rt.schedule_delayed(1.0, rt.shutdown)  # ends a run() the callback starts
        elif kind == "on_done":
            rt.run_in_thread(int, on_done=lambda future: callback())
        else:
            self.instrument = _Instrument()
            setattr(self.instrument, kind, lambda *args: callback())
            rt.add_instrument(self.instrument)
            if kind == "on_error":
                rt.schedule_work(_failing)
            elif kind == "on_state":
                rt.schedule_work(rt.shutdown)
        self.beside = Task(noop)
        rt.schedule_task(self.beside)

    def _once(self, remove: Callable[[socket.socket], bool], callback: Callable[[], None]) -> None:
        remove(self.pair[0])  # a ready socket would call it at every tick, and run() would spin
        callback()

    def trigger(self) -> None:
        rt = self.rt
        if self.kind == "idle":
            rt.run_idle_callbacks()
            return
        if self.kind == "signal":
            signal.raise_signal(signal.SIGUSR1)
        elif self.kind == "on_done":
            while rt.next_timeout() != 0.0:
                rt.wait(0.1)
        rt.tick()

    def close(self) -> None:
        for sock in self.pair:
            sock.close()


def _failing() -> None:
    raise ValueError("reported")


SOURCE_REENTRANCY_CASES: Final = [
    pytest.param(kind, method, id=f"{kind}-{method}") for kind in SOURCE_KINDS for method in METHODS
]


@pytest.mark.parametrize(
    ("kind", "method"),
    # By default a third of the pairs, a diagonal that meets every kind and every method; the
    # whole matrix under KERNEL_STRESS=1.
    sampled(
        SOURCE_REENTRANCY_CASES,
        lambda kind, method: (SOURCE_KINDS.index(kind) + METHODS.index(method)) % 3 == 0,
    ),
)
def test_reentrant_call_from_a_source_is_refused_or_applied(kind: str, method: str) -> None:
    outcomes: list[object] = []

    def callback() -> None:
        if outcomes:  # a hook or a signal called again: act once
            return
        outcomes.append("acting")
        try:
            outcomes[0] = _call(source.rt, method)
        except InvalidStateError as exc:
            outcomes[0] = exc

    source = _Source(kind, callback)
    rt = source.rt
    try:
        with bounded():
            source.trigger()
            assert len(outcomes) == 1
            outcome = outcomes[0]
            if kind not in OUTSIDE_A_TICK and method in NESTING:
                assert isinstance(outcome, InvalidStateError), outcome
            if isinstance(outcome, InvalidStateError):
                assert method in NESTING, outcome
                if kind in OUTSIDE_A_TICK:
                    assert method == "boot", outcome  # refused only for being RUNNING
                else:
                    assert "tick" in str(outcome) or "Booting" in str(outcome)
            else:
                # Inside a tick these always refuse (run(), called in a terminal state, and
                # the others may find nothing to do); between ticks they all act.
                refused = ("tick", "boot", "close", "run_ticks", "run_idle_callbacks")
                assert kind in OUTSIDE_A_TICK or method not in refused, outcome
            if source.instrument is not None:
                rt.remove_instrument(source.instrument)
            rt.shutdown()
            for _ in range(3):
                if not rt.tick():
                    break
            assert not rt.tick()
        report = rt.shutdown_report()
        assert report is not None
        stats = rt.stats()
        assert stats.work_queue_len == stats.event_queue_len == stats.async_queue_len == 0
        assert source.beside.state in (TaskState.COMPLETED, TaskState.PENDING)
        if report.state is RuntimeState.STOPPING:
            assert source.beside.state is TaskState.COMPLETED
        else:
            assert method in ("emergency_stop", "close")
            assert report.tasks_abandoned == (source.beside.state is TaskState.PENDING)
        assert [r.phase for r in source.errors.reports] == (["task"] if kind == "on_error" else [])
        assert rt.io_fileno() is None
        assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
        assert report.thread_jobs_abandoned == 0
    finally:
        rt.close()
        source.close()
