"""Runtime acceptance tests of SPEC §12/§17: readers and writers, the two wait modes of run(),
close() and the context manager, and OS resources (counted in /proc/self/fd)."""

from __future__ import annotations

import os
import socket
import threading
from typing import TYPE_CHECKING

import pytest

from kernel import (
    Emergency,
    InvalidStateError,
    LivelockError,
    Runtime,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
)
from kernel.testing import ErrorCollector, ManualClock

if TYPE_CHECKING:
    from .conftest import MakeRuntime

JOIN: float = 10.0
"""Seconds any helper thread gets to finish before the test calls it hung."""


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_reader_runs_only_in_running_ticks(
    make_runtime: MakeRuntime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt = make_runtime(boot=False)
    calls: list[int] = []
    rt.add_reader(pair[0], calls.append, 1)
    pair[1].send(b"x")
    rt.tick()
    assert calls == []
    rt.boot()
    rt.tick()
    assert calls == [1]
    rt.close()


def test_io_is_the_first_phase_of_a_running_tick(
    rt: Runtime, clock: ManualClock, pair: tuple[socket.socket, socket.socket]
) -> None:
    order: list[str] = []
    rt.schedule_delayed(0, order.append, "timer task")
    rt.schedule_work(order.append, "task")
    rt.event_bus.subscribe(int, lambda event: order.append("event"))
    rt.queue_event(1)

    def on_readable() -> None:
        order.append("io")
        # Work it creates joins this tick's later phases.
        rt.schedule_work(order.append, "from io")

    rt.add_writer(pair[0], on_readable)
    clock.advance(0.001)
    rt.tick()
    # The I/O phase queued its task before the timers phase queued the timer's.
    assert order == ["io", "event", "task", "from io", "timer task"]
    rt.close()


def test_io_callback_errors_are_reported_with_phase_io_and_the_tick(
    rt: Runtime, errors: ErrorCollector, pair: tuple[socket.socket, socket.socket]
) -> None:
    def fail() -> None:
        raise RuntimeError("bad fd handler")

    rt.add_writer(pair[0], fail, name="the writer")
    rt.tick()
    rt.tick()
    reports = errors.take()
    assert [(r.phase, r.callback, r.tick, str(r.exception)) for r in reports] == [
        ("io", "the writer", 1, "bad fd handler"),
        ("io", "the writer", 2, "bad fd handler"),
    ]
    rt.close()


def test_emergency_from_an_io_callback_stops_the_rest_of_the_tick(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    ran: list[str] = []
    rt.schedule_work(ran.append, "task")
    rt.add_writer(pair[0], rt.emergency_stop)
    assert rt.tick()
    assert ran == []
    assert not rt.tick()
    assert rt.state is RuntimeState.EMERGENCY
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 1


def test_io_sources_do_not_count_for_idleness_or_timeouts(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    rt.add_writer(pair[0], print)
    assert rt.is_idle()
    assert rt.next_timeout() is None
    rt.close()


def test_remove_reader_and_writer_say_whether_there_was_one(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    rt.add_writer(pair[0], print)
    assert rt.remove_writer(pair[0]) is True
    assert rt.remove_writer(pair[0]) is False
    assert rt.remove_reader(pair[0]) is True  # the reader outlives its fd's writer
    assert rt.remove_reader(pair[0]) is False
    rt.close()


def test_add_in_a_terminal_state_raises_and_remove_returns_false(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    rt.shutdown()
    with pytest.raises(InvalidStateError, match=r"^add_reader\(\) called in Stopping state"):
        rt.add_reader(pair[1], print)
    with pytest.raises(InvalidStateError, match=r"^add_writer\(\) called in Stopping state"):
        rt.add_writer(pair[1], print)
    assert not rt.tick()
    assert not rt.remove_reader(pair[0])  # the terminal tick removed every source


def test_terminal_tick_releases_every_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    before = open_fds()
    rt = Runtime(clock=ManualClock())
    rt.boot()
    assert open_fds() == before  # created on first need only
    rt.add_reader(pair[0], print)
    rt.add_writer(pair[1], print)
    assert len(open_fds() - before) == 3  # the selector and the wake-up pair
    rt.shutdown()
    assert not rt.tick()
    assert open_fds() == before


def test_run_wakes_for_a_pipe_written_by_another_thread(rt: Runtime) -> None:
    read_fd, write_fd = os.pipe()
    received: list[bytes] = []

    def on_readable() -> None:
        received.append(os.read(read_fd, 100))
        rt.shutdown()

    rt.add_reader(read_fd, on_readable)
    writer = threading.Thread(target=os.write, args=(write_fd, b"hello"))
    writer.start()
    report = rt.run()
    writer.join(timeout=JOIN)
    assert not writer.is_alive()
    assert received == [b"hello"]
    assert report.state is RuntimeState.STOPPING
    os.close(read_fd)
    os.close(write_fd)


@pytest.mark.parametrize("with_reader", [False, True], ids=["lock", "selector"])
def test_send_wakes_run_in_both_wait_modes(
    rt: Runtime, pair: tuple[socket.socket, socket.socket], with_reader: bool
) -> None:
    if with_reader:
        rt.add_reader(pair[0], print)  # never readable: run() waits in the selector
    sender = rt.command_sender()
    ran = threading.Event()
    threads = [
        threading.Thread(target=sender.send, args=(ScheduleTask(Task(ran.set)),)),
        threading.Thread(target=lambda: sender.send(Shutdown()) if ran.wait(JOIN) else None),
    ]
    for thread in threads:
        thread.start()
    report = rt.run()
    for thread in threads:
        thread.join(timeout=JOIN)
        assert not thread.is_alive()
    assert ran.is_set()
    assert report.tasks_drained == 0
    assert rt.stats().tasks_executed == 1


def test_many_sends_from_threads_are_never_lost_in_selector_mode(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    sender = rt.command_sender()
    count: list[int] = []
    per_thread = 200

    def send_many() -> None:
        for _ in range(per_thread):
            sender.send(ScheduleTask(Task(count.append, 1)))

    threads = [threading.Thread(target=send_many) for _ in range(4)]
    for thread in threads:
        thread.start()

    def stop_when_done() -> None:
        if len(count) == 4 * per_thread:
            rt.shutdown()

    rt.add_idle_callback(stop_when_done)
    rt.run()
    for thread in threads:
        thread.join(timeout=JOIN)
        assert not thread.is_alive()
    assert len(count) == 4 * per_thread


def test_run_on_a_manual_clock_polls_io_at_each_step(
    rt: Runtime, clock: ManualClock, pair: tuple[socket.socket, socket.socket]
) -> None:
    seen: list[tuple[float, bytes]] = []

    def on_readable() -> None:
        seen.append((clock.now(), pair[0].recv(1)))

    rt.add_reader(pair[0], on_readable)
    rt.schedule_delayed(1.0, pair[1].send, b"a")
    rt.schedule_delayed(2.0, pair[1].send, b"b")
    rt.schedule_delayed(3.0, rt.shutdown)
    rt.run()
    assert seen == [(1.0, b"a"), (2.0, b"b")]


def test_advance_polls_io_at_each_step(
    rt: Runtime, clock: ManualClock, pair: tuple[socket.socket, socket.socket]
) -> None:
    seen: list[float] = []

    def on_readable() -> None:
        seen.append(clock.now())
        pair[0].recv(1)

    rt.add_reader(pair[0], on_readable)
    pair[1].send(b"x")
    rt.schedule_delayed(1.0, pair[1].send, b"y")
    rt.advance(2.0)
    assert seen == [0.0, 1.0]
    rt.close()


def test_a_closed_fd_does_not_break_the_loop(
    rt: Runtime, errors: ErrorCollector, pair: tuple[socket.socket, socket.socket]
) -> None:
    doomed_a, doomed_b = socket.socketpair()
    calls: list[str] = []
    rt.add_reader(doomed_a, calls.append, "doomed")
    rt.add_writer(pair[0], calls.append, "alive")
    doomed_a.close()
    doomed_b.close()
    rt.tick()
    rt.tick()
    assert calls == ["alive", "alive"]  # epoll forgot the closed fd; nothing to report
    assert errors.reports == []
    rt.close()


def test_close_is_emergency_for_a_running_runtime_and_idempotent(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    before = open_fds()
    rt.add_reader(pair[0], print)
    rt.schedule_work(print)
    rt.close()
    assert rt.state is RuntimeState.EMERGENCY
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 1
    assert open_fds() == before
    rt.close()
    assert rt.shutdown_report() is report


def test_close_keeps_a_stopped_runtime_stopping(rt: Runtime) -> None:
    rt.shutdown()
    rt.close()  # STOPPING without its terminal tick: the drain runs
    assert rt.stats().state is RuntimeState.STOPPING
    rt2_report = rt.shutdown_report()
    assert rt2_report is not None
    assert rt2_report.state is RuntimeState.STOPPING


def test_close_of_a_booting_runtime(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(boot=False)
    rt.close()
    assert rt.state is RuntimeState.EMERGENCY


def test_context_manager_boots_drains_and_releases(
    clock: ManualClock, errors: ErrorCollector, pair: tuple[socket.socket, socket.socket]
) -> None:
    before = open_fds()
    ran: list[int] = []
    with Runtime(clock=clock, error_handler=errors) as rt:
        assert rt.state is RuntimeState.RUNNING
        rt.add_reader(pair[0], print)
        rt.schedule_work(ran.append, 1)
    assert ran == [1]
    assert rt.stats().state is RuntimeState.STOPPING
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_drained == 1
    assert open_fds() == before


def test_context_manager_on_an_exception_stops_at_once_and_propagates(
    clock: ManualClock, pair: tuple[socket.socket, socket.socket]
) -> None:
    before = open_fds()
    ran: list[int] = []
    rt = Runtime(clock=clock)

    def body() -> None:
        with rt:
            rt.add_writer(pair[0], print)
            rt.schedule_work(ran.append, 1)
            raise KeyError("oops")

    with pytest.raises(KeyError, match="oops"):
        body()
    assert ran == []
    assert rt.state is RuntimeState.EMERGENCY
    assert rt.shutdown_report() is not None
    assert open_fds() == before


def test_context_manager_around_run(clock: ManualClock) -> None:
    with Runtime(clock=clock) as rt:
        rt.schedule_delayed(5.0, rt.shutdown)
        report = rt.run()
    assert report.state is RuntimeState.STOPPING
    assert clock.now() == 5.0


def test_context_manager_on_an_already_booted_runtime(rt: Runtime) -> None:
    with rt as same:
        assert same is rt
    assert rt.state is RuntimeState.STOPPING


def test_emergency_command_wakes_the_selector_wait(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    sender = rt.command_sender()
    thread = threading.Thread(target=sender.send, args=(Emergency(),))
    thread.start()
    report = rt.run()
    thread.join(timeout=JOIN)
    assert not thread.is_alive()
    assert report.state is RuntimeState.EMERGENCY


def test_advance_calls_a_reader_that_never_reads_a_livelock(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], print)
    pair[1].send(b"x")
    with pytest.raises(LivelockError, match=r"^I/O was still ready after max_ticks=5 ticks"):
        rt.advance(1.0, max_ticks=5)
    rt.close()
