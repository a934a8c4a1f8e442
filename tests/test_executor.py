"""Executor: batches, exception catching, cancelled tasks, and consistency after interrupts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from kernel import Priority, Runtime, Task, TaskState, WorkQueue
from kernel._core.executor import Executor, refuse_awaitable

from .hook_interrupts import InterruptOnce, instruments_with

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kernel._core.instruments import Instruments
    from kernel._core.work_queue import WorkItem
    from kernel.testing import ErrorCollector


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, BaseException, str]] = []

    def __call__(
        self, phase: str, exc: BaseException, description: str, created_at: str | None = None, /
    ) -> None:
        self.calls.append((phase, exc, description))


def queue_of(*items: WorkItem, priority: int = Priority.NORMAL) -> WorkQueue:
    queue = WorkQueue(64)
    for item in items:
        assert queue.push(item, priority)
    return queue


def test_executor_runs_at_most_limit_items_in_order() -> None:
    ran: list[int] = []
    queue = queue_of(*[(ran.append, (i,), None) for i in range(20)])
    executor = Executor(Sink())
    assert executor.run(queue, 5) == 5
    assert ran == [0, 1, 2, 3, 4]
    assert len(queue) == 15
    assert executor.run(queue, 100) == 15
    assert ran == list(range(20))
    assert executor.executed == 20
    queue._check()


def test_executor_catches_exceptions_and_continues() -> None:
    ran: list[str] = []

    def boom() -> None:
        raise ValueError("bad")

    sink = Sink()
    queue = queue_of((ran.append, ("ok",), None), (boom, (), None), (ran.append, ("ok2",), None))
    executor = Executor(sink)
    assert executor.run(queue, 16) == 3
    assert ran == ["ok", "ok2"]
    assert (executor.executed, executor.failed) == (2, 1)
    [(phase, exc, description)] = sink.calls
    assert phase == "task"
    assert isinstance(exc, ValueError)
    assert description.endswith("test_executor_catches_exceptions_and_continues.<locals>.boom")


def test_executor_reports_a_task_by_name_and_marks_it_failed() -> None:
    def boom() -> None:
        raise KeyError("k")

    sink = Sink()
    task = Task(boom, name="loader")
    queue = queue_of((boom, (), task))
    task._queued = True
    Executor(sink).run(queue, 1)
    assert task.state is TaskState.FAILED
    assert not task.is_queued
    assert [(p, d) for p, _, d in sink.calls] == [("task", "loader")]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit], ids=["ctrl-c", "exit"])
def test_executor_lets_interrupts_propagate_and_stays_consistent(
    interrupt: type[BaseException],
) -> None:
    ran: list[int] = []

    def stop() -> None:
        raise interrupt

    task = Task(stop)
    task._queued = True
    queue = queue_of(
        (ran.append, (1,), None), (stop, (), task), (ran.append, (3,), None), (stop, (), None)
    )
    executor = Executor(Sink())
    with pytest.raises(interrupt):
        executor.run(queue, 16)
    assert ran == [1]
    assert task.state is TaskState.FAILED
    assert (executor.executed, executor.failed) == (1, 1)
    assert len(queue) == 2  # nothing lost: the rest stays queued
    queue._check()
    with pytest.raises(interrupt):
        executor.run(queue, 16)
    assert ran == [1, 3]
    assert (executor.executed, executor.failed) == (2, 2)
    assert len(queue) == 0
    queue._check()


def test_executor_skips_cancelled_tasks_without_using_a_slot() -> None:
    ran: list[str] = []
    tasks = [Task(ran.append, name) for name in "abcd"]
    queue = WorkQueue(8)
    for task in tasks:
        assert task._fn is not None
        queue.push((task._fn, task._args, task), task.priority)
        task._queued = True
    assert tasks[0].cancel()
    assert tasks[2].cancel()
    executor = Executor(Sink())
    assert executor.run(queue, 2) == 2
    assert ran == ["b", "d"]
    assert executor.cancelled == 2
    assert [t.state for t in tasks] == [
        TaskState.CANCELLED,
        TaskState.COMPLETED,
        TaskState.CANCELLED,
        TaskState.COMPLETED,
    ]


def test_executor_runs_only_work_queued_before_the_batch() -> None:
    queue = WorkQueue(8)
    ran: list[str] = []

    def spawn() -> None:
        ran.append("spawn")
        queue.push((ran.append, ("critical",), None), Priority.CRITICAL)

    queue.push((spawn, (), None), Priority.NORMAL)
    queue.push((ran.append, ("normal",), None), Priority.NORMAL)
    executor = Executor(Sink())
    assert executor.run(queue, 16) == 2
    assert ran == ["spawn", "normal"]
    assert executor.run(queue, 16) == 1
    assert ran == ["spawn", "normal", "critical"]


def test_executor_frees_room_for_work_a_task_queues() -> None:
    queue = WorkQueue(1)
    ran: list[int] = []

    def again(n: int) -> None:
        ran.append(n)
        assert queue.push((again, (n + 1,), None), 100)

    queue.push((again, (0,), None), 100)
    executor = Executor(Sink())
    for _ in range(3):
        executor.run(queue, 16)
    assert ran == [0, 1, 2]
    assert queue.dropped == 0


def test_executor_discard_counts_live_items_and_cancelled_tasks() -> None:
    keep, cancelled = Task(print), Task(print)
    keep._queued = cancelled._queued = True
    cancelled.cancel()
    executor = Executor(Sink())
    items: list[WorkItem] = [(print, (), None), (print, (), keep), (print, (), cancelled)]
    assert executor.discard(items) == 2
    assert executor.cancelled == 1
    assert keep.state is TaskState.PENDING
    assert not keep.is_queued


# -- coroutines: kernel never awaits ------------------------------------------------------------


async def save_async() -> None:
    raise AssertionError("a coroutine body must never run")  # pragma: no cover


AWAITABLE_MESSAGE = (
    r"^{phase} {name} returned an awaitable \(coroutine\), which kernel does not run:"
    r" coroutines belong to the asyncio host; it was closed$"
)


@pytest.mark.parametrize(
    ("schedule", "phase", "name"),
    [
        (lambda rt: rt.schedule_work(save_async), "task", r"\S+save_async"),
        (lambda rt: rt.schedule_task(Task(save_async, name="save")), "task", "save"),
        (lambda rt: rt.schedule_delayed(0.0, save_async, name="later"), "timer", "later"),
        (lambda rt: rt.schedule_periodic(1.0, save_async, name="tick"), "timer", "tick"),
    ],
    ids=["work", "task", "timer", "periodic"],
)
def test_a_coroutine_callback_is_closed_reported_and_failed(
    rt: Runtime,
    errors: ErrorCollector,
    schedule: Callable[[Runtime], object],
    phase: str,
    name: str,
) -> None:
    schedule(rt)
    rt.advance(1.0)  # no "coroutine was never awaited" warning: warnings are errors here
    [report] = errors.take()
    assert report.phase == phase
    assert isinstance(report.exception, TypeError)
    assert re.match(AWAITABLE_MESSAGE.format(phase=phase, name=name), str(report.exception))
    assert rt.stats().tasks_failed == 1
    assert rt.stats().tasks_executed == 0


def test_a_coroutine_handler_is_closed_and_reported(rt: Runtime, errors: ErrorCollector) -> None:
    async def on_ping(event: object) -> None:
        raise AssertionError("never runs")  # pragma: no cover

    rt.event_bus.subscribe(object, on_ping)  # type: ignore[arg-type]  # what the check is for
    rt.queue_event(object())
    rt.run_until_idle()
    [report] = errors.take()
    assert report.phase == "event"
    assert re.match(
        AWAITABLE_MESSAGE.format(phase="event handler", name=r"\S+on_ping"), str(report.exception)
    )
    assert rt.stats().handler_errors == 1


def test_refuse_awaitable_leaves_a_non_coroutine_awaitable_open() -> None:
    class Later:
        def __await__(self) -> Iterator[None]:
            yield None  # pragma: no cover

    error = refuse_awaitable(Later(), "task", "t")
    assert str(error).startswith("task t returned an awaitable (")


# -- an instrument's callback hook interrupted: not the item's own -------------------------------


def watched(executor: Executor, hook: str) -> Instruments:
    instruments, _ = instruments_with(hook)
    executor.watch(instruments)
    return instruments


@pytest.mark.parametrize("owned", [False, True], ids=["work", "task"])
def test_executor_requeues_first_an_item_whose_before_callback_is_interrupted(
    owned: bool,
) -> None:
    ran: list[int] = []
    task = Task(ran.append, 0)
    task._queued = True
    queue = queue_of(
        (ran.append, (-1,), None),
        (ran.append, (0,), task if owned else None),
        (ran.append, (1,), None),
    )
    executor = Executor(Sink())
    executor.run(queue, 1)
    instruments = watched(executor, "before_callback")
    with pytest.raises(KeyboardInterrupt):
        executor.run(queue, 16)
    assert ran == [-1]
    assert (executor.executed, executor.failed) == (1, 0)  # not run: neither executed nor failed
    assert len(queue) == 2
    queue._check()
    if owned:
        assert task.state is TaskState.PENDING
        assert task.is_queued
    assert instruments.take_interrupt(KeyboardInterrupt()) is None  # the executor took it
    assert executor.run(queue, 16) == 2
    assert ran == [-1, 0, 1]  # in its place: first
    assert (executor.executed, executor.failed) == (3, 0)
    if owned:
        assert task.state is TaskState.COMPLETED


async def _coroutine() -> None:
    raise AssertionError("never runs")  # pragma: no cover


def _raise_value_error() -> None:
    raise ValueError("the task's own")


def _exit() -> None:
    raise SystemExit(2)


@pytest.mark.parametrize("owned", [False, True], ids=["work", "task"])
@pytest.mark.parametrize(
    ("fn", "failed", "reported"),
    [
        (int, False, None),
        (_raise_value_error, True, ValueError),
        (_exit, True, None),
        (_coroutine, True, TypeError),
    ],
    ids=["returned", "raised", "interrupted", "awaitable"],
)
def test_executor_counts_an_item_whose_after_callback_is_interrupted_as_it_ended(
    owned: bool,
    fn: Callable[[], object],
    failed: bool,
    reported: type[Exception] | None,
) -> None:
    task = Task(fn, name="t")
    task._queued = True
    sink = Sink()
    queue = queue_of((fn, (), task if owned else None), (int, (), None))
    executor = Executor(sink)
    watched(executor, "after_callback")
    with pytest.raises(KeyboardInterrupt):
        executor.run(queue, 16)
    assert (executor.executed, executor.failed) == ((0, 1) if failed else (1, 0))
    assert [(phase, type(exc)) for phase, exc, _ in sink.calls] == (
        [("task", reported)] if reported else []
    )
    assert len(queue) == 1  # the next item waits
    queue._check()
    if owned:
        assert task.state is (TaskState.FAILED if failed else TaskState.COMPLETED)
        assert [d for _, _, d in sink.calls] == (["t"] if reported else [])
    assert executor.run(queue, 16) == 1
    assert (executor.executed, executor.failed) == ((1, 1) if failed else (2, 0))
    assert len(sink.calls) == (1 if reported else 0)  # reported once


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
@pytest.mark.parametrize("periodic", [False, True], ids=["one-shot", "periodic"])
def test_a_timer_whose_callback_hook_is_interrupted_fires_once(
    rt: Runtime, hook: str, periodic: bool
) -> None:
    fired: list[float] = []
    rt.add_instrument(InterruptOnce(hook))
    if periodic:
        handle = rt.schedule_periodic(1.0, fired.append, 1.0, name="tick")
    else:
        handle = rt.schedule_delayed(1.0, fired.append, 1.0, name="once")
    with pytest.raises(KeyboardInterrupt):
        rt.advance(1.0)
    assert fired == ([] if hook == "before_callback" else [1.0])
    rt.tick()  # the fire left queued by the interrupt runs now
    assert fired == [1.0]
    assert handle.pending is periodic
    assert handle.missed_ticks == 0
    stats = rt.stats()
    assert (stats.timers_fired, stats.tasks_executed, stats.tasks_failed) == (1, 1, 0)
    assert stats.work_queue_len == 0
