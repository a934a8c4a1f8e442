"""`kernel.hosts.asyncio.drive` (SPEC §13/§17) on real asyncio loops, and on uvloop when it is
importable: timers, commands and thread completions, readers, writers and signals, idle
callbacks, no busy loop, cancellation, and the hook detached afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from kernel import (
    InvalidStateError,
    MonotonicClock,
    Runtime,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
)
from kernel.hosts.asyncio import drive

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Coroutine, Iterator

    from kernel.testing import ErrorCollector

T = TypeVar("T")

JOIN: float = 10.0
"""Seconds a helper thread gets to finish before the test calls it hung."""
SHORT: float = 0.02
"""A timer delay short enough to keep tests fast and long enough to be 'later'."""


class Runner:
    """Runs a coroutine to completion on a fresh loop of one kind (asyncio or uvloop)."""

    def __init__(self, factory: Callable[[], asyncio.AbstractEventLoop]) -> None:
        self.factory = factory

    def __call__(self, coro: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=self.factory) as runner:
            return runner.run(coro)


@pytest.fixture(params=["asyncio", "uvloop"])
def run(request: pytest.FixtureRequest) -> Runner:
    if request.param == "uvloop":
        uvloop = pytest.importorskip("uvloop")
        return Runner(uvloop.new_event_loop)
    return Runner(asyncio.new_event_loop)


@pytest.fixture
def rt(errors: ErrorCollector) -> Iterator[Runtime]:
    """A booted runtime on the real monotonic clock (drive() is about real time)."""
    runtime = Runtime(error_handler=errors)
    runtime.boot()
    yield runtime
    runtime.close()


class ShiftedClock:
    """A real-time clock on another origin: drive() must arm its timer relatively."""

    def now(self) -> float:
        return MonotonicClock.now() + 1000.0


# -- lifecycle ---------------------------------------------------------------------------------


def test_drive_refuses_a_booting_runtime(run: Runner) -> None:
    rt = Runtime()
    with pytest.raises(InvalidStateError, match=r"^drive\(\) called in Booting state"):
        run(drive(rt))
    assert rt.state is RuntimeState.BOOTING


def test_drive_returns_the_report_of_a_runtime_that_is_stopping(run: Runner, rt: Runtime) -> None:
    ran: list[int] = []
    rt.schedule_work(ran.append, 1)
    rt.shutdown()
    report = run(drive(rt))
    assert report.state is RuntimeState.STOPPING
    assert report.tasks_drained == 1
    assert ran == [1]
    assert run(drive(rt)) is report  # terminal: the same report at once


def test_drive_fires_timers_in_order_then_stops(run: Runner, rt: Runtime) -> None:
    fired: list[str] = []
    rt.schedule_delayed(2 * SHORT, fired.append, "late")
    rt.schedule_delayed(SHORT, fired.append, "early")
    rt.schedule_delayed(3 * SHORT, rt.shutdown)
    report = run(drive(rt))
    assert fired == ["early", "late"]
    assert report.state is RuntimeState.STOPPING
    assert rt.stats().timers_fired == 3


@pytest.mark.parametrize("clock", [MonotonicClock(), ShiftedClock()], ids=["monotonic", "shifted"])
def test_drive_fires_timers_no_earlier_than_their_deadline(
    run: Runner, errors: ErrorCollector, clock: Any
) -> None:
    rt = Runtime(clock=clock, error_handler=errors)
    rt.boot()
    seen: list[float] = []
    deadline = clock.now() + SHORT

    def fire() -> None:
        seen.append(clock.now())
        rt.shutdown()

    rt.schedule_delayed(SHORT, fire)
    run(drive(rt))
    assert len(seen) == 1
    assert seen[0] >= deadline


def test_drive_rearms_when_an_earlier_deadline_appears_and_after_a_cancel(
    run: Runner, rt: Runtime
) -> None:
    fired: list[str] = []
    sender = rt.command_sender()
    # Armed for the 1 s timer first; a command then schedules a much earlier one, which must fire
    # without waiting for the second.
    slow = rt.schedule_delayed(1.0, fired.append, "slow")
    cancelled = rt.schedule_delayed(SHORT, fired.append, "cancelled")

    def add_early() -> None:
        cancelled.cancel()  # the armed handle now fires early: it just re-arms
        rt.schedule_delayed(2 * SHORT, fired.append, "early")
        rt.schedule_delayed(3 * SHORT, rt.shutdown)

    async def main() -> None:
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0)
        sender.send(ScheduleTask(Task(add_early)))
        await task

    run(main())
    assert fired == ["early"]
    assert not slow.pending  # cancelled by the stop


# -- wake-ups: commands and thread completions -------------------------------------------------


def test_drive_wakes_for_commands_from_another_thread(run: Runner, rt: Runtime) -> None:
    sender = rt.command_sender()
    ran: list[int] = []
    started = threading.Event()

    def worker() -> None:
        started.wait(JOIN)
        for i in range(50):
            sender.send(ScheduleTask(Task(ran.append, i)))
        sender.send(Shutdown())

    async def main() -> None:
        thread = threading.Thread(target=worker)
        thread.start()
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0)
        started.set()
        await task
        thread.join(JOIN)

    run(main())  # no timer is pending: only the wake-ups can end this
    assert ran == list(range(50))
    assert rt.stats().commands_processed == 51


def test_drive_runs_thread_completions_on_the_loop(run: Runner, rt: Runtime) -> None:
    done: list[tuple[int, bool]] = []
    release = threading.Event()

    def on_done(future: Any) -> None:
        done.append((future.result(), threading.current_thread() is threading.main_thread()))
        rt.shutdown()

    def start() -> None:
        rt.run_in_thread(lambda: release.wait(JOIN) and 42, on_done=on_done)

    async def main() -> None:
        rt.schedule_work(start)
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0.001)
        release.set()
        await task

    run(main())
    assert done == [(42, True)]


def test_drive_detaches_its_wakeup_hook(run: Runner, rt: Runtime) -> None:
    rt.shutdown()
    run(drive(rt))
    # After drive() returned, the hook is gone: a late send touches no (closed) loop.
    rt.command_sender().send(Shutdown())


def test_a_send_after_the_loop_closed_is_swallowed(rt: Runtime) -> None:
    loop = asyncio.new_event_loop()
    task = loop.create_task(drive(rt))
    loop.run_until_complete(asyncio.sleep(0))  # drive() is waiting, its hook installed
    loop.close()
    rt.command_sender().send(Shutdown())  # the closed loop's RuntimeError is swallowed
    # The loop cannot run the task any more: cancel the coroutine by hand, as a task would.
    task._log_destroy_pending = False  # type: ignore[attr-defined]  # it will never finish as a task
    with pytest.raises(asyncio.CancelledError):
        task.get_coro().throw(asyncio.CancelledError())
    assert rt.state is RuntimeState.STOPPING  # drained by the cancellation


# -- other asyncio tasks, idle callbacks, no busy loop -----------------------------------------


def test_other_asyncio_tasks_run_between_ticks(run: Runner, rt: Runtime) -> None:
    order: list[str] = []

    def kernel_step(n: int) -> None:
        order.append("k")
        if n:
            rt.schedule_work(kernel_step, n - 1)
        else:
            rt.shutdown()

    async def other() -> None:
        for _ in range(3):
            order.append("a")
            await asyncio.sleep(0)

    async def main() -> None:
        rt.schedule_work(kernel_step, 5)
        await asyncio.gather(drive(rt), other())

    run(main())
    assert order.count("k") == 6
    assert order.count("a") == 3
    assert order.index("a", 1) < order.index("k", 2)  # interleaved, not kernel-first


def test_pending_pumps_are_never_doubled(run: Runner, rt: Runtime) -> None:
    """Each iteration of a busy runtime gets one `call_soon` pump, plus one per wake-up: a wake-up
    pump must not schedule a second `call_soon` pump while one is pending (they would multiply)."""
    steps = 0

    def step() -> None:
        nonlocal steps
        steps += 1
        if steps < 300:
            rt.schedule_work(step)
        else:
            rt.shutdown()

    async def main() -> int:
        rt.schedule_work(step)
        task = asyncio.ensure_future(drive(rt))
        sender = rt.command_sender()
        iterations = 0
        while not task.done():
            iterations += 1
            sender.send(ScheduleTask(Task(int)))  # a wake-up pump beside the pending soon pump
            await asyncio.sleep(0)
        return iterations

    iterations = run(main())
    assert steps == 300
    assert rt.stats().ticks <= 2 * iterations + 2


def test_idle_callbacks_run_before_each_wait_and_their_work_before_it(
    run: Runner, rt: Runtime
) -> None:
    calls: list[str] = []

    def idle() -> None:
        calls.append("idle")
        if calls.count("idle") == 1:
            rt.schedule_work(calls.append, "work")

    rt.add_idle_callback(idle)
    rt.schedule_delayed(SHORT, rt.shutdown)
    run(drive(rt))
    assert calls[:3] == ["idle", "work", "idle"]


def test_an_idle_runtime_costs_no_ticks(
    run: Runner, rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], lambda: None)  # watched, never readable
    rt.schedule_delayed(5 * SHORT, rt.shutdown)
    run(drive(rt))
    # A busy loop would tick thousands of times in 0.1 s. A sleeping one ticks at the start, at
    # the timer, for the terminal tick, and at most once more for an early timer fire.
    assert rt.stats().ticks <= 4


# -- readers, writers, signals -----------------------------------------------------------------


def test_readers_and_writers_work_inside_asyncio(
    run: Runner, rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    got: list[bytes] = []
    wrote: list[int] = []

    def on_writable() -> None:
        wrote.append(pair[1].send(b"ping"))
        rt.remove_writer(pair[1])

    def on_readable() -> None:
        got.append(pair[0].recv(16))
        rt.remove_reader(pair[0])
        rt.shutdown()

    rt.add_reader(pair[0], on_readable)
    rt.add_writer(pair[1], on_writable)
    run(drive(rt))
    assert wrote == [4]
    assert got == [b"ping"]


def test_a_reader_added_while_driven_is_watched_and_a_removed_one_is_not(
    run: Runner, rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    got: list[bytes] = []

    def on_readable() -> None:
        got.append(pair[0].recv(16))
        if len(got) == 2:
            rt.remove_reader(pair[0])
            rt.schedule_delayed(SHORT, rt.shutdown)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0)
        rt.command_sender().send(ScheduleTask(Task(rt.add_reader, pair[0], on_readable)))
        for _ in range(2):
            await asyncio.sleep(0.001)
            await loop.sock_sendall(pair[1], b"x")
        await asyncio.sleep(0.001)
        pair[1].send(b"after")  # unwatched now: never read
        await task

    run(main())
    assert b"".join(got) == b"xx"
    assert pair[0].recv(16) == b"after"


def test_signal_handlers_run_on_the_loop_inside_asyncio(run: Runner, rt: Runtime) -> None:
    seen: list[bool] = []

    def on_signal() -> None:
        seen.append(threading.current_thread() is threading.main_thread())
        rt.shutdown()

    async def main() -> None:
        # Added once the loop runs: uvloop sets the process's signal wake-up fd when it starts,
        # and kernel then chains to it instead of being saved and restored by uvloop after
        # kernel closed its fd (docs/hosts.md).
        rt.add_signal_handler(signal.SIGUSR1, on_signal)
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0.001)
        os.kill(os.getpid(), signal.SIGUSR1)
        await task

    run(main())
    assert seen == [True]


# -- cancellation and errors -------------------------------------------------------------------


def test_cancelling_drive_drains_then_raises(run: Runner, rt: Runtime) -> None:
    ran: list[str] = []
    rt.schedule_delayed(60.0, ran.append, "never")

    async def main() -> None:
        task = asyncio.ensure_future(drive(rt))
        await asyncio.sleep(0.001)
        rt.schedule_work(ran.append, "drained")  # run by the drain, or by a pump before it
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert ran == ["drained"]
    report = rt.shutdown_report()
    assert report is not None
    assert report.state is RuntimeState.STOPPING  # graceful, not an emergency stop
    assert report.timers_cancelled == 1


def test_keyboard_interrupt_leaves_the_loop_and_the_cancelled_drive_drains(
    run: Runner, rt: Runtime
) -> None:
    def interrupt() -> None:
        raise KeyboardInterrupt

    rt.schedule_work(interrupt)
    with pytest.raises(KeyboardInterrupt):
        run(drive(rt))
    assert rt.state is RuntimeState.STOPPING  # asyncio cancelled drive(), which drained
    assert rt.shutdown_report() is not None


class NoReaderLoop(asyncio.SelectorEventLoop):
    """A real selector loop without add_reader, as Windows' Proactor loop."""

    # typeshed types add_reader generically over the callback's arguments; this one takes none.
    def add_reader(self, fd: Any, callback: Any, *args: Any) -> None:  # type: ignore[override]
        msg = "no add_reader on this loop"
        raise NotImplementedError(msg)


def test_a_loop_that_refuses_the_selector_fd_makes_drive_raise(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], lambda: None)
    fds_before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(NotImplementedError, match=r"^no add_reader on this loop$"):
        Runner(NoReaderLoop)(drive(rt))
    assert rt.state is RuntimeState.RUNNING
    assert set(os.listdir("/proc/self/fd")) <= fds_before  # the duplicate fd was closed
