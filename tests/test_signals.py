"""Signal handlers: delivered on the loop thread in the I/O phase, coalesced per tick, previous
handlers and wake-up fd restored, the wake-up fd of another party never stolen. Signals are sent
to this process on the main thread."""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import TYPE_CHECKING

import pytest

from kernel import InvalidStateError, Runtime, RuntimeState
from kernel._core.signals import check_signal

from .hook_interrupts import InterruptOnce

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.testing import ErrorCollector

JOIN: float = 10.0


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def current_wakeup_fd() -> int:
    fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(fd)
    return fd


def raise_signal(signum: int) -> None:
    """Send `signum` to this thread (the main one): its C handler runs before this returns,
    its Python handler at the interpreter's next check."""
    signal.raise_signal(signum)


def tick_until(rt: Runtime, done: Callable[[], bool]) -> None:
    for _ in range(1000):
        rt.tick()
        if done():
            return
    pytest.fail("condition not met after 1000 ticks")


def test_signal_callback_runs_once_per_tick_however_often_it_arrived(rt: Runtime) -> None:
    calls: list[str] = []
    rt.add_signal_handler(signal.SIGUSR1, calls.append, "usr1")
    for _ in range(3):
        raise_signal(signal.SIGUSR1)
    tick_until(rt, lambda: bool(calls))
    rt.tick()
    rt.tick()
    assert calls == ["usr1"]
    raise_signal(signal.SIGUSR1)
    tick_until(rt, lambda: len(calls) == 2)
    rt.close()


def test_signal_callbacks_run_in_registration_order(rt: Runtime) -> None:
    calls: list[str] = []
    rt.add_signal_handler(signal.SIGUSR2, calls.append, "usr2")
    rt.add_signal_handler(signal.SIGUSR1, calls.append, "usr1")
    raise_signal(signal.SIGUSR1)
    raise_signal(signal.SIGUSR2)
    tick_until(rt, lambda: len(calls) == 2)
    assert calls == ["usr2", "usr1"]
    rt.close()


def test_a_signal_wakes_run_in_the_selector(rt: Runtime) -> None:
    seen: list[int] = []

    def on_signal() -> None:
        seen.append(threading.get_ident())
        rt.shutdown()

    rt.add_signal_handler(signal.SIGUSR1, on_signal)
    # Sent from the last idle callback before the wait: the handler has run by the time the
    # selector waits, and only the wake-up fd can end that wait.
    rt.add_idle_callback(os.kill, os.getpid(), signal.SIGUSR1)
    report = rt.run()
    assert report.state is RuntimeState.STOPPING
    assert seen == [threading.get_ident()]


def test_sigint_handler_replaces_keyboard_interrupt(rt: Runtime) -> None:
    before = signal.getsignal(signal.SIGINT)
    rt.add_signal_handler(signal.SIGINT, rt.shutdown)
    rt.add_idle_callback(os.kill, os.getpid(), signal.SIGINT)
    report = rt.run()  # no KeyboardInterrupt
    assert report.state is RuntimeState.STOPPING
    assert signal.getsignal(signal.SIGINT) is before


def test_previous_handler_and_wakeup_fd_restored_on_remove(rt: Runtime) -> None:
    before = signal.getsignal(signal.SIGUSR1)
    fds_before = open_fds()
    assert current_wakeup_fd() == -1
    rt.add_signal_handler(signal.SIGUSR1, print)
    assert current_wakeup_fd() != -1
    rt.add_signal_handler(signal.SIGUSR1, print, name="second")  # replaces
    assert rt.remove_signal_handler(signal.SIGUSR1)
    assert not rt.remove_signal_handler(signal.SIGUSR1)
    assert signal.getsignal(signal.SIGUSR1) is before
    assert current_wakeup_fd() == -1
    rt.close()
    assert open_fds() == fds_before


def test_previous_handlers_restored_at_the_terminal_tick(rt: Runtime) -> None:
    calls: list[int] = []
    previous = signal.signal(signal.SIGUSR1, lambda signum, frame: calls.append(signum))
    try:
        fds_before = open_fds()
        rt.add_signal_handler(signal.SIGUSR1, print)
        rt.add_signal_handler(signal.SIGUSR2, print)
        rt.shutdown()
        assert not rt.tick()
        assert current_wakeup_fd() == -1
        assert signal.getsignal(signal.SIGUSR2) is signal.SIG_DFL
        assert open_fds() == fds_before
        raise_signal(signal.SIGUSR1)
        assert calls == [signal.SIGUSR1]
        with pytest.raises(InvalidStateError, match=r"^add_signal_handler\(\) called in Stopping"):
            rt.add_signal_handler(signal.SIGUSR1, print)
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_handler_set_outside_python_is_restored_as_the_default() -> None:
    from kernel._core.signals import _restore_handler

    previous = signal.getsignal(signal.SIGUSR1)
    _restore_handler(signal.SIGUSR1, None)
    assert signal.getsignal(signal.SIGUSR1) is signal.SIG_DFL
    signal.signal(signal.SIGUSR1, previous)


def test_another_partys_wakeup_fd_is_not_stolen_but_chained(rt: Runtime) -> None:
    theirs, their_peer = socket.socketpair()
    theirs.setblocking(False)
    signal.set_wakeup_fd(theirs.fileno())
    try:
        calls: list[str] = []

        def on_signal() -> None:
            calls.append("usr1")
            rt.shutdown()

        rt.add_signal_handler(signal.SIGUSR1, on_signal)
        assert current_wakeup_fd() == theirs.fileno()
        rt.add_idle_callback(os.kill, os.getpid(), signal.SIGUSR1)
        rt.run()  # woken by kernel's own wake-up fd, written by its Python handler
        assert calls == ["usr1"]
        assert current_wakeup_fd() == theirs.fileno()
        assert their_peer.recv(16) == bytes([signal.SIGUSR1])  # they still got their byte
    finally:
        signal.set_wakeup_fd(-1)
        theirs.close()
        their_peer.close()


def test_a_wakeup_fd_replaced_meanwhile_is_left_in_place(rt: Runtime) -> None:
    rt.add_signal_handler(signal.SIGUSR1, print)
    theirs, peer = socket.socketpair()
    theirs.setblocking(False)
    try:
        signal.set_wakeup_fd(theirs.fileno())
        rt.close()
        assert current_wakeup_fd() == theirs.fileno()
    finally:
        signal.set_wakeup_fd(-1)
        theirs.close()
        peer.close()


def test_a_raising_signal_callback_is_reported_with_phase_io(
    rt: Runtime, errors: ErrorCollector
) -> None:
    def fail() -> None:
        raise RuntimeError("resize failed")

    rt.add_signal_handler(signal.SIGUSR1, fail, name="on-resize")
    raise_signal(signal.SIGUSR1)
    tick_until(rt, lambda: bool(errors.reports))
    [report] = errors.take()
    assert (report.phase, report.callback) == ("io", "on-resize")
    assert rt.remove_signal_handler(signal.SIGUSR1)  # it stayed registered
    rt.close()


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
def test_a_signal_callback_hook_interrupt_is_not_the_callback_s_own(
    rt: Runtime, errors: ErrorCollector, hook: str
) -> None:
    """An instrument's callback hook interrupted: before the callback, the signal stays pending
    (the next tick runs its callback); after it, the callback's own error is reported."""
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise RuntimeError("resize failed")

    rt.add_instrument(InterruptOnce(hook, at="on-resize"))
    rt.add_signal_handler(signal.SIGUSR1, fail, name="on-resize")
    try:
        raise_signal(signal.SIGUSR1)
        with pytest.raises(KeyboardInterrupt):
            tick_until(rt, lambda: False)
        ran = hook == "after_callback"
        assert (len(calls), len(errors.take())) == ((1, 1) if ran else (0, 0))
        rt.tick()  # no new signal: runs the callback only if it had not run
        assert calls == [1]
        reports = [(r.phase, r.callback) for r in errors.take()]
        assert reports == ([] if ran else [("io", "on-resize")])
    finally:
        rt.close()  # the previous signal handler back, whatever failed


def test_signal_base_exceptions_propagate(rt: Runtime) -> None:
    def stop() -> None:
        raise KeyboardInterrupt

    rt.add_signal_handler(signal.SIGUSR1, stop)
    raise_signal(signal.SIGUSR1)
    with pytest.raises(KeyboardInterrupt):
        tick_until(rt, lambda: False)
    rt.close()


def test_add_signal_handler_off_the_main_thread_raises(rt: Runtime) -> None:
    errors: list[BaseException] = []

    def attempt() -> None:
        for call in (
            lambda: rt.add_signal_handler(signal.SIGUSR1, print),
            lambda: rt.remove_signal_handler(signal.SIGUSR1),
        ):
            try:
                call()
            except RuntimeError as exc:
                errors.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=JOIN)
    assert not thread.is_alive()
    assert [str(e) for e in errors] == [
        "add_signal_handler() works only on the main thread (Python runs signal handlers there)",
        "remove_signal_handler() works only on the main thread (Python runs signal handlers there)",
    ]
    assert current_wakeup_fd() == -1


def test_a_signal_the_os_refuses_is_refused_and_nothing_changes(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_signal = signal.signal

    def refusing(signum: int, handler: object) -> object:
        if signum == signal.SIGUSR2:
            raise OSError(22, "Invalid argument")
        return real_signal(signum, handler)  # type: ignore[arg-type]

    monkeypatch.setattr(signal, "signal", refusing)
    fds_before = open_fds()
    with pytest.raises(
        ValueError, match=r"^signum <Signals.SIGUSR2: 12> cannot be handled: \[Errno 22\]"
    ):
        rt.add_signal_handler(signal.SIGUSR2, print)
    assert current_wakeup_fd() == -1
    assert open_fds() == fds_before


@pytest.mark.parametrize(
    ("signum", "error", "message"),
    [
        (True, TypeError, r"^signum must be an int \(a signal number\), got True$"),
        ("SIGINT", TypeError, r"^signum must be an int \(a signal number\), got 'SIGINT'$"),
        (0, ValueError, r"^signum must be a valid signal number, got 0$"),
        (10_000, ValueError, r"^signum must be a valid signal number, got 10000$"),
        (
            signal.SIGKILL,
            ValueError,
            r"^signum must be a catchable signal \(not SIGKILL or SIGSTOP\), got <Signals.SIGKILL",
        ),
        (signal.SIGSTOP, ValueError, r"^signum must be a catchable signal"),
    ],
    ids=["bool", "str", "zero", "large", "SIGKILL", "SIGSTOP"],
)
def test_check_signal_rejects(signum: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_signal(signum)


def test_only_arrived_signals_run_and_a_refused_second_signal_changes_nothing(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    rt.add_signal_handler(signal.SIGUSR1, calls.append, "usr1")
    rt.add_signal_handler(signal.SIGUSR2, calls.append, "usr2")
    raise_signal(signal.SIGUSR2)
    tick_until(rt, lambda: bool(calls))
    assert calls == ["usr2"]
    fds = open_fds()
    wakeup_fd = current_wakeup_fd()
    real_signal = signal.signal

    def refusing(signum: int, handler: object) -> object:
        if signum == signal.SIGHUP:
            raise ValueError("refused")
        return real_signal(signum, handler)  # type: ignore[arg-type]

    monkeypatch.setattr(signal, "signal", refusing)
    with pytest.raises(
        ValueError, match=r"^signum <Signals.SIGHUP: 1> cannot be handled: refused$"
    ):
        rt.add_signal_handler(signal.SIGHUP, print)
    assert (open_fds(), current_wakeup_fd()) == (fds, wakeup_fd)
    monkeypatch.undo()
    rt.close()


def test_signal_handlers_count_and_chain_flag() -> None:
    from kernel._core.commands import CommandChannel
    from kernel._core.selector import IoSources
    from kernel._core.signals import SignalHandlers

    io = IoSources(lambda *report: None, CommandChannel())
    handlers = SignalHandlers(io, lambda *report: None)
    handlers.add(signal.SIGUSR1, print, (), None)
    assert (len(handlers), handlers.chained) == (1, False)
    assert handlers.close() == 1
    assert len(handlers) == 0
    io.close()
