"""`kernel.hosts.urwid.KernelEventLoop` (SPEC §13): every method of urwid's `EventLoop` interface,
urwid's semantics inside `run()`, deterministic `MainLoop` apps on a `ManualClock`, and urwid's
event-loop contract as an acceptance check (tests/test_hosts_urwid_contract.py runs it against
urwid's own loops too). Skipped when urwid is not installed."""

from __future__ import annotations

import concurrent.futures
import importlib
import os
import signal
import socket
import sys
import threading
from typing import TYPE_CHECKING, Any

import pytest

urwid = pytest.importorskip("urwid")
urwid_testing = pytest.importorskip("urwid.testing")

from kernel import (  # noqa: E402  # after the skip: kernel.hosts.urwid imports urwid
    InvalidStateError,
    MonotonicClock,
    Runtime,
    RuntimeConfig,
    RuntimeState,
)
from kernel.hosts.urwid import KernelEventLoop  # noqa: E402

from .urwid_support import exit_after, exit_loop  # noqa: E402  # after the skip

if TYPE_CHECKING:
    from collections.abc import Iterator

    from kernel.testing import ErrorCollector, ManualClock

JOIN: float = 10.0
"""Seconds a helper thread gets to finish before the test calls it hung."""


@pytest.fixture
def rt(clock: ManualClock, errors: ErrorCollector) -> Iterator[Runtime]:
    """A runtime on virtual time: run() jumps to each deadline instead of sleeping."""
    runtime = Runtime(clock=clock, error_handler=errors)
    yield runtime
    runtime.close()


@pytest.fixture
def evl(rt: Runtime) -> KernelEventLoop:
    return KernelEventLoop(rt)


# -- construction --------------------------------------------------------------------------------


def test_default_runtime_is_a_running_one_on_the_monotonic_clock() -> None:
    evl = KernelEventLoop()
    assert evl.runtime.state is RuntimeState.RUNNING
    assert isinstance(evl.runtime.clock, MonotonicClock)
    assert isinstance(evl, urwid.EventLoop)
    evl.runtime.close()


def test_a_booting_runtime_is_booted_and_a_running_one_kept(rt: Runtime) -> None:
    assert rt.state is RuntimeState.BOOTING
    evl = KernelEventLoop(rt)
    assert evl.runtime is rt
    assert rt.stats().state is RuntimeState.RUNNING
    assert KernelEventLoop(rt).runtime is rt


def test_a_stopped_runtime_is_refused(rt: Runtime) -> None:
    rt.close()
    with pytest.raises(InvalidStateError, match=r"^KernelEventLoop needs a Booting or Running"):
        KernelEventLoop(rt)


def test_a_non_runtime_is_refused() -> None:
    with pytest.raises(TypeError, match=r"^runtime must be a kernel Runtime or None, got 'rt'$"):
        KernelEventLoop("rt")  # type: ignore[arg-type]  # the bad input under test


def test_import_without_urwid_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "urwid", None)  # makes `import urwid` fail
    monkeypatch.delitem(sys.modules, "kernel.hosts.urwid")
    with pytest.raises(ImportError, match=r"pip install 'kernel\[urwid\]'"):
        importlib.import_module("kernel.hosts.urwid")


# -- alarms ------------------------------------------------------------------------------------


def test_alarms_fire_in_deadline_order_on_virtual_time(
    evl: KernelEventLoop, clock: ManualClock
) -> None:
    fired: list[tuple[str, float]] = []
    evl.alarm(2.0, lambda: fired.append(("two", clock.now())))
    evl.alarm(0.5, lambda: fired.append(("half", clock.now())))
    evl.alarm(3.0, exit_loop)
    evl.run()
    assert fired == [("half", 0.5), ("two", 2.0)]
    assert clock.now() == 3.0


def test_alarm_zero_fires_in_the_next_iteration_not_the_current_one(evl: KernelEventLoop) -> None:
    order: list[str] = []

    def first() -> None:
        order.append("first")
        evl.alarm(0, lambda: order.append("zero"))
        evl.alarm(-1, lambda: order.append("negative"))
        order.append("first done")

    evl.alarm(0, first)
    evl.alarm(1.0, exit_loop)
    ticks = evl.runtime.stats().ticks
    evl.run()
    assert order == ["first", "first done", "zero", "negative"]
    assert evl.runtime.stats().ticks - ticks >= 3  # first, then the zero alarms a tick later


def test_an_alarm_that_finds_the_work_queue_full_is_dropped_and_counted(
    clock: ManualClock,
) -> None:
    rt = Runtime(RuntimeConfig(work_queue_capacity=1), clock=clock)
    evl = KernelEventLoop(rt)
    fired: list[int] = []
    evl.alarm(0, lambda: fired.append(1))
    evl.alarm(0, lambda: fired.append(2))  # the queue is full
    evl.alarm(1.0, exit_loop)
    evl.run()
    assert fired == [1]
    assert rt.stats().work_dropped == 1
    rt.close()


@pytest.mark.parametrize(
    ("seconds", "error", "message"),
    [
        ("1", TypeError, r"^seconds must be a number, got '1'$"),
        (True, TypeError, r"^seconds must be a number, got True$"),
        (float("nan"), ValueError, r"^seconds must be finite, got nan$"),
        (float("inf"), ValueError, r"^seconds must be finite, got inf$"),
    ],
    ids=["str", "bool", "nan", "inf"],
)
def test_alarm_rejects_bad_seconds(
    evl: KernelEventLoop, seconds: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        evl.alarm(seconds, exit_loop)
    assert evl.runtime.is_idle()


def test_alarm_and_watch_file_reject_a_non_callable(
    evl: KernelEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    with pytest.raises(TypeError, match=r"^callback must be callable, got 1$"):
        evl.alarm(1, 1)  # type: ignore[arg-type]  # the bad input under test
    with pytest.raises(TypeError, match=r"^callback must be callable, got None$"):
        evl.watch_file(pair[0].fileno(), None)  # type: ignore[arg-type]
    assert evl.runtime.is_idle()
    assert evl.runtime.io_fileno() is None


@pytest.mark.parametrize("seconds", [0, 5.0], ids=["task", "timer"])
def test_remove_alarm_is_true_once_and_the_alarm_never_fires(
    evl: KernelEventLoop, seconds: float
) -> None:
    fired: list[int] = []
    handle = evl.alarm(seconds, lambda: fired.append(1))
    assert evl.remove_alarm(handle) is True
    assert evl.remove_alarm(handle) is False
    evl.alarm(10.0, exit_loop)
    evl.run()
    assert fired == []


def test_remove_alarm_after_it_fired_or_of_a_foreign_handle_is_false(evl: KernelEventLoop) -> None:
    handle = evl.alarm(1.0, exit_loop)
    evl.run()
    assert evl.remove_alarm(handle) is False
    assert evl.remove_alarm(object()) is False
    assert "alarm" in repr(handle)


# -- watched files -----------------------------------------------------------------------------


def test_a_watch_is_level_triggered(
    evl: KernelEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    calls: list[int] = []

    def on_readable() -> None:
        calls.append(1)  # does not read: called again in the next iteration
        if len(calls) == 3:
            raise urwid.ExitMainLoop

    pair[1].send(b"x")
    assert evl.watch_file(pair[0].fileno(), on_readable) == pair[0].fileno()
    evl.run()
    assert calls == [1, 1, 1]
    assert pair[0].recv(1) == b"x"


def test_remove_watch_file_is_true_once_and_a_second_watch_replaces_the_first(
    evl: KernelEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    calls: list[str] = []
    fd = pair[0].fileno()
    evl.watch_file(fd, lambda: calls.append("first"))
    handle = evl.watch_file(fd, exit_after(lambda: calls.append("second")))
    pair[1].send(b"x")
    evl.run()
    assert calls == ["second"]
    assert evl.remove_watch_file(handle) is True
    assert evl.remove_watch_file(handle) is False
    assert evl.remove_watch_file(12345) is False
    assert evl.runtime.io_fileno() is None


def test_remove_watch_file_of_a_closed_fd_is_still_true(evl: KernelEventLoop) -> None:
    a, b = socket.socketpair()
    handle = evl.watch_file(a, lambda: None)
    a.close()
    b.close()
    assert evl.remove_watch_file(handle) is True


# -- idle callbacks ----------------------------------------------------------------------------


def test_enter_idle_handles_start_at_one_and_remove_is_true_once(evl: KernelEventLoop) -> None:
    evl.runtime.add_idle_callback(lambda: None)  # the app's own kernel idle callback
    first = evl.enter_idle(lambda: None)
    second = evl.enter_idle(lambda: None)
    assert (first, second) == (1, 2)
    assert evl.remove_enter_idle(first) is True
    assert evl.remove_enter_idle(first) is False
    assert evl.remove_enter_idle(99) is False


def test_idle_callbacks_run_once_per_wait_and_never_spin(
    evl: KernelEventLoop, clock: ManualClock
) -> None:
    idles: list[float] = []
    evl.enter_idle(lambda: idles.append(clock.now()))
    for seconds in (1.0, 2.0, 3.0):
        evl.alarm(seconds, lambda: None)
    evl.alarm(4.0, exit_loop)
    evl.run()
    # Once before each of the four waits (0 → 1 → 2 → 3 → 4), however long they are.
    assert idles == [0.0, 1.0, 2.0, 3.0]


def test_a_removed_idle_callback_never_runs(evl: KernelEventLoop) -> None:
    idles: list[int] = []
    handle = evl.enter_idle(lambda: idles.append(1))
    assert evl.remove_enter_idle(handle) is True
    evl.alarm(0.01, exit_loop)
    evl.run()
    assert idles == []


# -- run(): urwid's semantics ------------------------------------------------------------------


def test_run_reraises_a_callback_error_and_can_run_again(
    evl: KernelEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    error = ZeroDivisionError("boom")

    def fail() -> None:
        raise error

    evl.alarm(0, fail)
    with pytest.raises(ZeroDivisionError) as info:
        evl.run()
    assert info.value is error
    assert info.value.__context__ is None  # the carrier does not leak into the chain
    # The same loop runs again; a watch raising ends it the same way.
    evl.watch_file(pair[0].fileno(), fail)
    pair[1].send(b"x")
    with pytest.raises(ZeroDivisionError):
        evl.run()
    evl.remove_watch_file(pair[0].fileno())
    evl.enter_idle(fail)
    with pytest.raises(ZeroDivisionError):
        evl.run()


def test_an_error_stops_the_tick_at_once(evl: KernelEventLoop) -> None:
    ran: list[str] = []

    def fail() -> None:
        raise urwid.ExitMainLoop

    evl.alarm(0, fail)
    evl.alarm(0, lambda: ran.append("second"))
    evl.run()
    assert ran == []  # stopped after the first callback
    evl.alarm(1.0, exit_loop)
    evl.run()
    assert ran == ["second"]  # still queued: it runs in the next run()


def test_run_returns_when_the_runtime_stops_and_then_refuses(evl: KernelEventLoop) -> None:
    drained: list[int] = []
    evl.runtime.schedule_delayed(1.0, evl.runtime.shutdown)
    evl.alarm(0.5, lambda: evl.runtime.schedule_work(drained.append, 1))
    evl.run()
    assert evl.runtime.state is RuntimeState.STOPPING
    assert drained == [1]
    with pytest.raises(InvalidStateError, match=r"^run\(\) called with the runtime in Stopping"):
        evl.run()


def test_run_refuses_to_nest(evl: KernelEventLoop) -> None:
    evl.alarm(0, evl.run)
    with pytest.raises(RuntimeError, match=r"^run\(\) called from inside run\(\)$"):
        evl.run()


def test_outside_run_kernel_reports_callback_errors(
    evl: KernelEventLoop, clock: ManualClock, errors: ErrorCollector
) -> None:
    evl.alarm(1.0, exit_loop)
    evl.runtime.advance(1.0)
    (report,) = errors.take()
    assert isinstance(report.exception, urwid.ExitMainLoop)
    assert report.phase == "timer"


def test_run_waits_in_real_time_for_a_watch_with_a_manual_clock(
    evl: KernelEventLoop, pair: tuple[socket.socket, socket.socket]
) -> None:
    def on_readable() -> None:
        assert pair[0].recv(16) == b"late"
        raise urwid.ExitMainLoop

    evl.watch_file(pair[0].fileno(), on_readable)
    worker = threading.Timer(0.01, pair[1].send, args=(b"late",))
    worker.start()
    evl.run()  # no timer pending: waits in the selector
    worker.join(JOIN)


def test_run_polls_watches_before_jumping_virtual_time(
    evl: KernelEventLoop, clock: ManualClock, pair: tuple[socket.socket, socket.socket]
) -> None:
    seen: list[float] = []

    def on_readable() -> None:
        pair[0].recv(16)
        seen.append(clock.now())

    evl.watch_file(pair[0].fileno(), on_readable)
    pair[1].send(b"now")
    evl.alarm(0, lambda: pair[1].send(b"again"))  # ready while a 5 s alarm is pending
    evl.alarm(5.0, exit_loop)
    evl.run()
    assert seen == [0.0, 0.0]


# -- signals and executors ---------------------------------------------------------------------


def test_set_signal_handler_runs_the_handler_on_the_loop_and_gives_the_signal_back(
    evl: KernelEventLoop,
) -> None:
    seen: list[tuple[int, object]] = []

    def handler(signum: int, frame: object) -> None:
        seen.append((signum, frame))
        raise urwid.ExitMainLoop

    before = signal.getsignal(signal.SIGUSR1)
    assert evl.set_signal_handler(signal.SIGUSR1, handler) is before
    assert evl.set_signal_handler(signal.SIGUSR1, handler) is handler  # replaced by itself
    evl.alarm(0, lambda: os.kill(os.getpid(), signal.SIGUSR1))
    evl.run()
    assert seen == [(signal.SIGUSR1, None)]
    assert evl.set_signal_handler(signal.SIGUSR1, before) is handler
    assert signal.getsignal(signal.SIGUSR1) is before
    assert evl.runtime.io_fileno() is None  # the kernel handler is gone


@pytest.mark.parametrize("given_back", [signal.SIG_DFL, signal.SIG_IGN], ids=["dfl", "ign"])
def test_set_signal_handler_with_a_constant_installs_it(
    evl: KernelEventLoop, given_back: signal.Handlers
) -> None:
    before = signal.getsignal(signal.SIGUSR2)
    try:
        evl.set_signal_handler(signal.SIGUSR2, lambda s, f: None)
        evl.set_signal_handler(signal.SIGUSR2, given_back)
        assert signal.getsignal(signal.SIGUSR2) == given_back
        assert evl.set_signal_handler(signal.SIGUSR2, before) == given_back  # not ours: plain
    finally:
        signal.signal(signal.SIGUSR2, before)


def test_set_signal_handler_with_none_only_removes_ours(evl: KernelEventLoop) -> None:
    before = signal.getsignal(signal.SIGUSR2)
    evl.set_signal_handler(signal.SIGUSR2, lambda s, f: None)
    evl.set_signal_handler(signal.SIGUSR2, None)
    assert signal.getsignal(signal.SIGUSR2) is before


def test_run_in_executor_uses_the_given_executor(evl: KernelEventLoop) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        future = evl.run_in_executor(
            pool, lambda a, b=0: (threading.current_thread().name, a, b), 1, b=2
        )
        name, a, b = future.result(JOIN)
    assert (a, b) == (1, 2)
    assert name != threading.current_thread().name


def test_run_in_executor_without_one_uses_the_runtimes_threads(
    evl: KernelEventLoop, errors: ErrorCollector
) -> None:
    ok = evl.run_in_executor(None, lambda a, b=0: a + b, 1, b=2)
    failed = evl.run_in_executor(None, lambda: 1 / 0)
    assert ok.result(JOIN) == 3
    assert isinstance(failed.exception(JOIN), ZeroDivisionError)
    evl.alarm(0, lambda: None)
    evl.alarm(1.0, exit_loop)
    evl.run()  # the completions are handled on the loop, and a failure is the future's
    assert evl.runtime.stats().thread_jobs_failed == 1
    assert errors.reports == []
