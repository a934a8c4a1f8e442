"""kernel._core.tick_report: `TickReport`, `TickRecorder` (timed phases) and `PhaseSeconds`."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import pytest

from kernel import (
    Event,
    QueueEvent,
    Runtime,
    RuntimeState,
    ScheduleTask,
    ShutdownReport,
    Task,
    TickReport,
)
from kernel._core.tick_report import PHASE_NAMES, PhaseSeconds, PhaseTable, TickRecorder

if TYPE_CHECKING:
    from kernel.testing import ManualClock
    from tests.conftest import MakeRuntime


class Event1(Event):
    pass


def noop() -> None:
    pass


def test_tick_report_counts_every_phase(make_runtime: MakeRuntime, clock: ManualClock) -> None:
    rt = make_runtime()
    left, right = socket.socketpair()
    try:
        rt.add_reader(left, lambda: left.recv(1))
        right.send(b"x")
        rt.schedule_delayed(0.01, noop)
        clock.advance(0.01)
        rt.event_bus.subscribe(Event1, lambda event: None)
        rt.queue_event(Event1())
        rt.event_bus.emit_async(Event1())
        rt.schedule_work(noop)
        (report,) = rt.run_ticks(1)
    finally:
        rt.remove_reader(left)
        rt.close()
        left.close()
        right.close()
    assert report == TickReport(
        tick=1,
        state=RuntimeState.RUNNING,
        commands=0,
        io_callbacks=1,
        timers_fired=1,
        events_dispatched=1,
        tasks_run=2,
        async_dispatched=1,
        seconds=report.seconds,
        phase_seconds=report.phase_seconds,
    )
    assert list(report.phase_seconds) == ["io", "timers", "events", "tasks", "async"]
    assert all(s >= 0.0 for s in report.phase_seconds.values())
    assert report.seconds >= sum(report.phase_seconds.values())


def test_tick_report_counts_commands(rt: Runtime) -> None:
    sender = rt.command_sender()
    sender.send(ScheduleTask(Task(noop)))
    sender.send(QueueEvent(Event1()))
    (report,) = rt.run_ticks(1)
    assert report.commands == 2
    assert report.tasks_run == 1
    assert report.events_dispatched == 1
    assert next(iter(report.phase_seconds)) == "commands"


def test_idle_tick_report_is_empty(rt: Runtime) -> None:
    (report,) = rt.run_ticks(1)
    assert report.tick == 1
    assert report.tasks_run == 0
    assert dict(report.phase_seconds) == {}
    assert len(report.phase_seconds) == 0
    assert report.seconds >= 0.0


def test_phase_seconds_is_a_read_only_mapping() -> None:
    phases = PhaseSeconds({"tasks": 0.5, "io": 0.25})
    assert list(phases) == ["io", "tasks"]
    assert len(phases) == 2
    assert phases["tasks"] == 0.5
    with pytest.raises(KeyError):
        phases["timers"]
    with pytest.raises(KeyError):
        phases["nonsense"]
    assert repr(phases) == "PhaseSeconds({'io': 0.25, 'tasks': 0.5})"
    assert set(PHASE_NAMES) >= set(phases)


def returning(value: Any) -> Any:
    def phase(*args: Any) -> Any:
        return value

    return phase


def table(**changes: Any) -> PhaseTable:
    """A phase table whose phases return 1..6 (commands..async) and no shutdown report."""
    phases: dict[str, Any] = {
        name: returning(i)
        for i, name in enumerate(("commands", "io", "timers", "events", "tasks", "async_events"), 1)
    }
    phases["stop"] = returning(None)
    return PhaseTable(**(phases | changes))


def run_all(phases: PhaseTable) -> None:
    for name in ("commands", "io", "timers", "events", "tasks", "async_events", "stop"):
        getattr(phases, name)()


def test_tick_recorder_reports_each_phases_count_and_seconds() -> None:
    recorder = TickRecorder(table())
    start = recorder.start()
    run_all(recorder.timed)
    report = recorder.finish(7, RuntimeState.RUNNING, start)
    assert report[:8] == (7, RuntimeState.RUNNING, 1, 2, 3, 4, 5, 6)
    assert list(report.phase_seconds) == list(PHASE_NAMES)
    assert report.seconds >= sum(report.phase_seconds.values()) >= 0.0


def test_tick_recorder_timed_phases_return_the_plain_result() -> None:
    recorder = TickRecorder(table())
    recorder.start()
    assert recorder.timed.tasks("arg") == 5
    assert recorder.timed.stop() is None


def test_tick_recorder_idle_tick_is_all_zeros() -> None:
    recorder = TickRecorder(table())
    start = recorder.start()
    report = recorder.finish(1, RuntimeState.RUNNING, start)
    assert report[:8] == (1, RuntimeState.RUNNING, 0, 0, 0, 0, 0, 0)
    assert len(report.phase_seconds) == 0
    assert isinstance(report, TickReport)


def test_tick_recorder_start_forgets_the_last_tick() -> None:
    recorder = TickRecorder(table())
    start = recorder.start()
    run_all(recorder.timed)
    recorder.finish(1, RuntimeState.RUNNING, start)
    start = recorder.start()
    recorder.timed.io()
    report = recorder.finish(2, RuntimeState.RUNNING, start)
    assert report[:8] == (2, RuntimeState.RUNNING, 0, 2, 0, 0, 0, 0)
    assert list(report.phase_seconds) == ["io"]


def test_tick_recorder_terminal_tick_reports_the_drain() -> None:
    drained = ShutdownReport(
        state=RuntimeState.STOPPING,
        tasks_drained=9,
        events_drained=8,
        tasks_abandoned=0,
        events_abandoned=0,
        timers_cancelled=0,
        ticks=3,
    )
    recorder = TickRecorder(table(stop=returning(drained)))
    start = recorder.start()
    assert recorder.timed.stop() is drained
    report = recorder.finish(3, RuntimeState.STOPPING, start)
    assert (report.tasks_run, report.events_dispatched) == (9, 8)
    assert list(report.phase_seconds) == ["stop"]
    start = recorder.start()  # the next tick forgets the drain
    assert recorder.finish(4, RuntimeState.STOPPING, start).tasks_run == 0


def test_tick_recorder_times_a_phase_that_raises() -> None:
    def boom(*args: Any) -> int:
        raise ValueError("boom")

    recorder = TickRecorder(table(events=boom))
    start = recorder.start()
    with pytest.raises(ValueError, match=r"^boom$"):
        recorder.timed.events()
    report = recorder.finish(1, RuntimeState.RUNNING, start)
    assert list(report.phase_seconds) == ["events"]
    assert report.events_dispatched == 0  # no result: the count stays 0


def test_phase_seconds_is_in_tick_order_whatever_the_input_order() -> None:
    phases = PhaseSeconds({"stop": 0.1, "commands": 0.2, "async": 0.3})
    assert list(phases) == ["commands", "async", "stop"]
    assert dict(phases) == {"commands": 0.2, "async": 0.3, "stop": 0.1}
    assert "timers" not in phases
    assert phases.get("timers") is None


def test_phase_seconds_ignores_unknown_names() -> None:
    phases = PhaseSeconds({"tasks": 0.5, "bogus": 1.0})
    assert dict(phases) == {"tasks": 0.5}
