"""Commands from other threads: sender validation, ordering, acceptance rules, real threads."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from kernel import (
    CommandSender,
    Emergency,
    Event,
    QueueEvent,
    Runtime,
    RuntimeConfig,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
    TaskState,
)
from kernel._core.commands import CommandChannel

if TYPE_CHECKING:
    from kernel.testing import ErrorCollector

    from .conftest import MakeRuntime

JOIN_TIMEOUT = 30.0


@dataclass
class Note(Event):
    text: str = ""


def test_commands_are_small_frozen_dataclasses() -> None:
    task = Task(print)
    assert ScheduleTask(task).task is task
    assert QueueEvent("e").event == "e"
    assert Shutdown() == Shutdown()
    assert repr(Emergency()) == "Emergency()"
    with pytest.raises(AttributeError):
        ScheduleTask(task).task = Task(print)  # type: ignore[misc]


def test_schedule_task_command_needs_a_task() -> None:
    with pytest.raises(TypeError, match=r"^task must be a Task, got <built-in function print>$"):
        ScheduleTask(print)  # type: ignore[arg-type]


def test_sender_rejects_non_commands(rt: Runtime) -> None:
    sender = rt.command_sender()
    assert isinstance(sender, CommandSender)
    assert repr(sender) == "<CommandSender>"
    with pytest.raises(
        TypeError,
        match=r"^command must be Shutdown, Emergency, ScheduleTask or QueueEvent, got 'stop'$",
    ):
        sender.send("stop")  # type: ignore[arg-type]
    assert rt.next_timeout() is None  # nothing was queued


def test_commands_apply_at_the_start_of_the_tick_in_order(rt: Runtime) -> None:
    log: list[str] = []
    rt.event_bus.subscribe(Note, lambda e: log.append(e.text))
    sender = rt.command_sender()
    sender.send(ScheduleTask(Task(log.append, "task")))
    sender.send(QueueEvent(Note("event")))
    assert log == []
    rt.tick()  # both applied first, then the phases ran
    assert log == ["event", "task"]
    assert rt.stats().commands_processed == 2


def test_shutdown_command_makes_the_same_tick_drain(rt: Runtime) -> None:
    ran: list[int] = []
    rt.schedule_work(ran.append, 1)
    rt.command_sender().send(Shutdown())
    assert not rt.tick()
    assert ran == [1]
    assert rt.state is RuntimeState.STOPPING


def test_emergency_command_runs_nothing(rt: Runtime) -> None:
    ran: list[int] = []
    rt.schedule_work(ran.append, 1)
    rt.command_sender().send(Emergency())
    assert not rt.tick()
    assert ran == []
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 1


def test_shutdown_command_is_ignored_while_booting(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(boot=False)
    runtime.command_sender().send(Shutdown())
    assert runtime.tick()
    assert runtime.state is RuntimeState.BOOTING
    runtime.command_sender().send(Emergency())
    runtime.tick()
    stats = runtime.stats()
    assert stats.state is RuntimeState.EMERGENCY
    assert stats.commands_processed == 2


def test_schedule_task_command_outside_running_is_rejected_and_counted(
    make_runtime: MakeRuntime,
) -> None:
    runtime = make_runtime(boot=False)
    task = Task(print)
    runtime.command_sender().send(ScheduleTask(task))
    runtime.tick()
    stats = runtime.stats()
    assert (stats.tasks_rejected, stats.commands_processed) == (1, 1)
    assert task.state is TaskState.PENDING


def test_unschedulable_task_command_is_rejected_and_reported(
    rt: Runtime, errors: ErrorCollector
) -> None:
    task = Task(print, name="twice")
    sender = rt.command_sender()
    sender.send(ScheduleTask(task))
    sender.send(ScheduleTask(task))
    rt.tick()
    assert rt.stats().tasks_rejected == 1
    [report] = errors.take()
    assert (report.phase, report.callback, report.tick) == ("command", "twice", 1)
    assert "already queued" in str(report.exception)


def test_queue_event_command_with_bad_priority_is_dropped_and_reported(
    rt: Runtime, errors: ErrorCollector
) -> None:
    event = Note("x")
    event.priority = -1
    rt.command_sender().send(QueueEvent(event))
    rt.tick()
    assert rt.stats().events_dropped == 1
    [report] = errors.take()
    assert report.phase == "command"
    assert report.callback.endswith("Note")


def test_queue_event_command_when_stopping_is_counted(rt: Runtime) -> None:
    sender = rt.command_sender()
    rt.shutdown()
    sender.send(QueueEvent(Note()))
    sender.send(ScheduleTask(Task(print)))
    rt.tick()
    stats = rt.stats()
    assert (stats.events_dropped, stats.tasks_rejected, stats.commands_processed) == (1, 1, 2)


def test_channel_wait_returns_at_once_when_a_command_is_waiting() -> None:
    channel = CommandChannel()
    assert not channel.wait(0)
    channel.put(Shutdown())
    assert channel.wait(None)
    assert channel.take_all() == [Shutdown()]
    assert channel.empty()


@pytest.mark.parametrize(
    "per_thread",
    [2_500, pytest.param(10_000, marks=pytest.mark.stress)],
    ids=["2500-each", "10000-each"],
)
def test_four_threads_of_schedule_task_commands_while_the_loop_runs(per_thread: int) -> None:
    """4 threads x `per_thread` ScheduleTask while run() drives the loop: each task runs exactly
    once (10,000 each under ``KERNEL_STRESS=1``)."""
    threads = 4
    runtime = Runtime(RuntimeConfig(work_queue_capacity=threads * per_thread))
    runtime.boot()
    sender = runtime.command_sender()
    counts = [0] * (threads * per_thread)

    def bump(i: int) -> None:
        counts[i] += 1

    def produce(base: int) -> None:
        for i in range(base, base + per_thread):
            sender.send(ScheduleTask(Task(bump, i)))

    producers = [threading.Thread(target=produce, args=(n * per_thread,)) for n in range(threads)]

    def stop_when_done() -> None:
        for producer in producers:
            producer.join(JOIN_TIMEOUT)
        sender.send(Shutdown())

    for producer in producers:
        producer.start()
    stopper = threading.Thread(target=stop_when_done)
    stopper.start()
    report = runtime.run()
    stopper.join(JOIN_TIMEOUT)
    assert not stopper.is_alive()
    assert all(not p.is_alive() for p in producers)
    assert counts == [1] * (threads * per_thread)
    stats = runtime.stats()
    assert stats.commands_processed == threads * per_thread + 1
    assert stats.tasks_executed == threads * per_thread
    assert (stats.tasks_rejected, stats.work_dropped, stats.tasks_failed) == (0, 0, 0)
    assert report.state is RuntimeState.STOPPING


def test_send_wakes_a_sleeping_run() -> None:
    """run() on a real clock with nothing pending blocks; a send from another thread wakes it."""
    runtime = Runtime()
    runtime.boot()
    sender = runtime.command_sender()
    ran = threading.Event()
    result: list[object] = []
    loop = threading.Thread(target=lambda: result.append(runtime.run()))
    loop.start()
    sender.send(ScheduleTask(Task(ran.set)))
    assert ran.wait(JOIN_TIMEOUT)
    sender.send(Shutdown())
    loop.join(JOIN_TIMEOUT)
    assert not loop.is_alive()
    assert runtime.state is RuntimeState.STOPPING
    assert result == [runtime.shutdown_report()]


def test_channel_wait_with_skips_the_wait_when_a_command_is_waiting() -> None:
    channel = CommandChannel()
    waits: list[float | None] = []
    channel.put(Shutdown())
    channel.wait_with(waits.append, 1.0)
    assert waits == []


def test_channel_put_during_wait_with_calls_the_waker_only_then() -> None:
    channel = CommandChannel()
    woken: list[int] = []
    channel.put(Shutdown())  # not waiting: no waker call
    channel.take_all()
    channel.wait_with(lambda timeout: channel.put(Shutdown()), None)  # no waker set: fine
    channel.waker = lambda: woken.append(1)
    channel.take_all()
    channel.put(Shutdown())
    channel.take_all()
    channel.wait_with(lambda timeout: channel.put(Shutdown()), None)
    assert woken == [1]


@pytest.mark.parametrize("command", [Shutdown(), Emergency()], ids=["shutdown", "emergency"])
def test_fieldless_commands_are_frozen_and_slotted(command: object) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError, match=r"^cannot assign to field 'x'$"):
        command.x = 1  # type: ignore[attr-defined]
    assert not hasattr(command, "__dict__")
