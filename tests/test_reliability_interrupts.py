"""Interrupts: `KeyboardInterrupt` / `SystemExit` from anywhere a callback runs.

After each interrupt propagates out of `tick()`, the runtime must be consistent: nothing stuck
RUNNING, nothing lost, nothing run twice, every counter and the `ShutdownReport` exact, and
ticking again finishes the work.
"""

from __future__ import annotations

import concurrent.futures
import signal
import socket
from typing import TYPE_CHECKING, Final, NoReturn

import pytest

from kernel import (
    EventScope,
    HandlerContext,
    QueueEvent,
    Runtime,
    RuntimeConfig,
    ScheduleTask,
    Task,
    TaskState,
)
from kernel.testing import ErrorCollector, ManualClock

from .liveness import LIVENESS_TIMEOUT, bounded

if TYPE_CHECKING:
    from concurrent.futures import Future

INTERRUPTS: Final = [
    pytest.param(KeyboardInterrupt, id="KeyboardInterrupt"),
    pytest.param(SystemExit, id="SystemExit"),
]
BATCH: Final = 6


class Ping:
    priority = 100

    def __init__(self, n: int = 0) -> None:
        self.n = n


def runtime(config: RuntimeConfig | None = None) -> tuple[Runtime, ErrorCollector, ManualClock]:
    clock = ManualClock()
    errors = ErrorCollector()
    rt = Runtime(config, clock=clock, error_handler=errors)
    rt.boot()
    return rt, errors, clock


def raiser(kind: type[BaseException]) -> NoReturn:
    raise kind


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("k", range(BATCH))
def test_interrupt_from_the_kth_task_of_a_batch(kind: type[BaseException], k: int) -> None:
    rt, errors, _ = runtime(RuntimeConfig(batch_size=BATCH))
    ran: list[int] = []
    tasks = [Task(raiser, kind) if i == k else Task(ran.append, i) for i in range(BATCH + 2)]
    for task in tasks:
        rt.schedule_task(task)
    with pytest.raises(kind):
        rt.tick()
    assert ran == list(range(k))
    assert tasks[k].state is TaskState.FAILED
    assert all(t.state is TaskState.PENDING for t in tasks[k + 1 :])
    assert rt.stats().work_queue_len == BATCH + 1 - k
    with bounded():
        rt.run_until_idle()
    assert ran == [i for i in range(BATCH + 2) if i != k]
    stats = rt.stats()
    assert (stats.tasks_executed, stats.tasks_failed) == (BATCH + 1, 1)
    assert errors.reports == []


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize(
    "where",
    [
        "queued",
        "async",
        "scoped-async",
    ],
)
def test_interrupt_from_a_handler(kind: type[BaseException], where: str) -> None:
    rt, errors, _ = runtime()
    scope = EventScope()
    rt.set_scope(scope)
    seen: list[int] = []

    def handler(event: Ping, ctx: HandlerContext) -> None:
        seen.append(event.n)
        if event.n == 0:
            raise kind

    rt.event_bus.subscribe_with_context(Ping, handler)
    for n in range(3):
        if where == "queued":
            scope.increment()
            rt.queue_event(Ping(n))
        else:
            rt.event_bus.emit_async(Ping(n), scope=scope if where == "scoped-async" else None)
    with pytest.raises(kind):
        rt.tick()
    with bounded():
        rt.run_until_idle()
    assert seen == [0, 1, 2]
    assert scope.wait(0)
    stats = rt.stats()
    assert stats.events_dispatched == 3
    assert stats.event_queue_len == stats.async_queue_len == 0
    assert errors.reports == []


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("periodic", [False, True], ids=["one-shot", "periodic"])
def test_interrupt_from_a_timer(kind: type[BaseException], periodic: bool) -> None:
    rt, errors, clock = runtime()
    calls: list[float] = []

    def callback() -> None:
        calls.append(clock.now())
        if len(calls) == 1:
            raise kind

    handle = rt.schedule_periodic(1.0, callback) if periodic else rt.schedule_delayed(1.0, callback)
    other = rt.schedule_delayed(1.0, calls.append, -1.0)
    with pytest.raises(kind):
        rt.advance(1.0)
    with bounded():
        rt.advance(2.0)
    assert calls[:2] == [1.0, -1.0]
    assert not other.pending
    if periodic:
        assert calls[2:] == [2.0, 3.0]
        assert handle.pending
    else:
        assert calls[2:] == []
    assert rt.stats().tasks_failed == 1
    assert errors.reports == []


@pytest.mark.parametrize("kind", INTERRUPTS)
def test_interrupt_from_the_error_handler(kind: type[BaseException]) -> None:
    def handler(report: object) -> None:
        raise kind

    rt = Runtime(clock=ManualClock(), error_handler=handler)
    rt.boot()
    failing = Task(raiser, ValueError)
    after = Task(print, "after")
    rt.schedule_task(failing)
    rt.schedule_task(after)
    with pytest.raises(kind):
        rt.tick()
    assert failing.state is TaskState.FAILED
    with bounded():
        rt.run_until_idle()
    assert after.state is TaskState.COMPLETED
    stats = rt.stats()
    assert (stats.tasks_executed, stats.tasks_failed) == (1, 1)


class InterruptingPriority:
    def __init__(self, kind: type[BaseException]) -> None:
        self.kind = kind

    @property
    def priority(self) -> int:
        raise self.kind


@pytest.mark.parametrize("kind", INTERRUPTS)
def test_interrupt_while_applying_commands(kind: type[BaseException]) -> None:
    rt, errors, _ = runtime()
    sender = rt.command_sender()
    before, after = Task(print, "before"), Task(print, "after")
    sender.send(ScheduleTask(before))
    sender.send(QueueEvent(InterruptingPriority(kind)))
    sender.send(ScheduleTask(after))
    with pytest.raises(kind):
        rt.tick()
    with bounded():
        rt.tick()
        rt.run_until_idle()
    assert (before.state, after.state) == (TaskState.COMPLETED, TaskState.COMPLETED)
    stats = rt.stats()
    assert stats.commands_processed == 3
    assert stats.tasks_executed == 2
    assert stats.events_dropped == 1  # the interrupted event was never queued: counted
    assert errors.reports == []


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("where", ["task", "queued-event", "async-event"])
def test_interrupt_during_the_drain(kind: type[BaseException], where: str) -> None:
    rt, errors, _ = runtime()
    rt.schedule_delayed(5.0, print)
    rt.schedule_periodic(1.0, print)
    ran: list[str] = []
    interrupted = [False]

    def once(event: Ping) -> None:
        ran.append(f"event {event.n}")
        if event.n == 0 and not interrupted[0]:
            interrupted[0] = True
            raise kind

    rt.event_bus.subscribe(Ping, once)
    rt.schedule_work(ran.append, "task 1")
    if where == "task":
        rt.schedule_work(raiser, kind)
    elif where == "queued-event":
        rt.queue_event(Ping(0))
    else:
        rt.event_bus.emit_async(Ping(0))
    rt.schedule_work(ran.append, "task 2")
    rt.queue_event(Ping(1))
    rt.shutdown()
    with pytest.raises(kind):
        rt.tick()
    assert rt.shutdown_report() is None
    with bounded():
        assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.timers_cancelled == 2
    tasks = 3 if where == "task" else 2
    events = 1 if where == "task" else 2
    assert (report.tasks_drained, report.events_drained) == (tasks, events)
    assert (report.tasks_abandoned, report.events_abandoned) == (0, 0)
    assert sorted(ran) == sorted(
        ["task 1", "task 2", "event 1"] + ([] if where == "task" else ["event 0"])
    )
    assert rt.stats().tasks_failed == (1 if where == "task" else 0)
    assert errors.reports == []


# -- Part II callback kinds: I/O, signals, idle, on_done, instrument hooks ----------------------


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("where", ["reader", "writer"])
def test_interrupt_from_an_io_callback(kind: type[BaseException], where: str) -> None:
    """The interrupted source and the ready one after it both run again: level-triggered."""
    rt, errors, _ = runtime()
    seen: list[str] = []
    first, second = socket.socketpair(), socket.socketpair()
    try:
        first[1].send(b"1")
        second[1].send(b"2")

        add = rt.add_reader if where == "reader" else rt.add_writer
        remove = rt.remove_reader if where == "reader" else rt.remove_writer

        def interrupting() -> None:
            seen.append("first")
            if seen.count("first") == 1:
                raise kind
            assert remove(first[0])  # the second call: done (a socket stays writable)

        add(first[0], interrupting)
        rt.add_reader(second[0], lambda: seen.append(second[0].recv(1).decode()))
        rt.schedule_work(seen.append, "task")
        with pytest.raises(kind):
            rt.tick()
        assert seen == ["first"]
        with bounded():
            rt.tick()
        assert seen == ["first", "first", "2", "task"]  # nothing lost, nothing run twice
        assert not remove(first[0])
        assert rt.remove_reader(second[0])
        with bounded():
            rt.run_until_idle()
        assert seen == ["first", "first", "2", "task"]
        assert errors.reports == []
    finally:
        rt.close()
        for sock in (*first, *second):
            sock.close()


@pytest.mark.parametrize("kind", INTERRUPTS)
def test_interrupt_from_a_signal_callback_loses_no_other_signal(
    kind: type[BaseException],
) -> None:
    """Found by this suite: the pending set was taken whole before the callbacks ran, so an
    interrupt from the first dropped every other signal that had arrived with it."""
    rt, errors, _ = runtime()
    seen: list[str] = []

    def interrupting() -> None:
        seen.append("usr1")
        raise kind

    try:
        rt.add_signal_handler(signal.SIGUSR1, interrupting)
        rt.add_signal_handler(signal.SIGUSR2, seen.append, "usr2")
        signal.raise_signal(signal.SIGUSR1)
        signal.raise_signal(signal.SIGUSR2)
        with pytest.raises(kind):
            rt.tick()
        assert seen == ["usr1"]
        with bounded():
            rt.tick()
            rt.tick()
        assert seen == ["usr1", "usr2"]  # once each: the interrupted one is not run again
        assert errors.reports == []
    finally:
        rt.close()
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("driver", ["run_idle_callbacks", "run"])
def test_interrupt_from_an_idle_callback(kind: type[BaseException], driver: str) -> None:
    rt, errors, _ = runtime()
    seen: list[str] = []

    def interrupting() -> None:
        seen.append("first")
        if seen.count("first") == 1:
            raise kind
        rt.shutdown()

    rt.add_idle_callback(interrupting)
    rt.add_idle_callback(seen.append, "second")
    with bounded():
        with pytest.raises(kind):
            rt.run_idle_callbacks() if driver == "run_idle_callbacks" else rt.run()
        assert seen == ["first"]
        assert rt.run_idle_callbacks() == 2 if driver == "run_idle_callbacks" else rt.run()
    assert seen == ["first", "first", "second"]
    assert errors.reports == []
    rt.close()


@pytest.mark.parametrize("kind", INTERRUPTS)
def test_interrupt_from_on_done(kind: type[BaseException]) -> None:
    """Every completion is handled once: the interrupted one is counted, the later ones wait."""
    rt, errors, _ = runtime()
    seen: list[int] = []

    def on_done(future: Future[int]) -> None:
        seen.append(future.result())
        if len(seen) == 1:
            raise kind

    futures = [rt.run_in_thread(int, n, on_done=on_done) for n in range(3)]
    concurrent.futures.wait(futures, timeout=LIVENESS_TIMEOUT)
    with bounded():
        while rt.stats().thread_jobs_done < 3:
            try:
                rt.tick()
            except kind:
                assert len(seen) == 1
            else:
                rt.wait(0.05)
    assert sorted(seen) == [0, 1, 2]
    stats = rt.stats()
    assert (stats.thread_jobs_submitted, stats.thread_jobs_done, stats.thread_jobs_failed) == (
        3,
        3,
        0,
    )
    assert errors.reports == []
    rt.shutdown()
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (0, 0)


INSTRUMENT_HOOKS: Final = [
    "before_tick",
    "after_tick",
    "before_callback",
    "after_callback",
    "on_error",
    "on_state",
]


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("hook", INSTRUMENT_HOOKS)
def test_interrupt_from_an_instrument_hook(kind: type[BaseException], hook: str) -> None:
    rt, errors, _ = runtime()
    fired: list[object] = []

    def interrupting(*args: object) -> None:
        fired.append(args)
        if len(fired) == 1:
            raise kind

    class Instrument:
        pass

    instrument = Instrument()
    setattr(instrument, hook, interrupting)
    rt.add_instrument(instrument)
    tasks = [Task(raiser, ValueError), Task(print, "after")]
    for task in tasks:
        rt.schedule_task(task)
    with pytest.raises(kind):
        (rt.shutdown if hook == "on_state" else rt.tick)()
    with bounded():
        rt.shutdown()
        while rt.tick():
            pass
    assert [task.state for task in tasks] == [TaskState.FAILED, TaskState.COMPLETED]
    assert [r.phase for r in errors.take()] == ["task"]  # once: not run twice
    stats = rt.stats()
    assert (stats.tasks_executed, stats.tasks_failed) == (1, 1)
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 0


@pytest.mark.parametrize("kind", INTERRUPTS)
@pytest.mark.parametrize("method", ["boot", "emergency_stop"])
def test_interrupt_from_on_state_leaves_the_transition_complete(
    kind: type[BaseException], method: str
) -> None:
    """Found by this suite: `on_state` ran in the middle of the transition, so an interrupt from
    it during `boot()` left a RUNNING runtime whose work queue refused every task, and during
    `emergency_stop()` a runtime whose executor still ran the rest of a batch."""

    class Interrupting:
        def on_state(self, old: object, new: object) -> None:
            raise kind

    rt = Runtime(clock=ManualClock())
    if method == "emergency_stop":
        rt.boot()
    rt.add_instrument(Interrupting())
    with pytest.raises(kind):
        rt.boot() if method == "boot" else rt.emergency_stop()
    ran: list[str] = []
    if method == "boot":
        rt.schedule_work(ran.append, "accepted")
        rt.tick()
        assert ran == ["accepted"]
        assert rt.stats().tasks_rejected == 0
    else:
        assert rt.schedule_work(ran.append, "refused") is False
        assert rt.stats().tasks_rejected == 1
        assert not rt.tick()
        assert ran == []
