"""The runtime's hooks for host drivers (SPEC §13): `run_idle_callbacks()`, `io_fileno()` and
`wait()`, the parts of `run()` that a loop owning its own wait needs."""

from __future__ import annotations

import select
import selectors
import signal
import threading
from typing import TYPE_CHECKING

import pytest

from kernel import InvalidStateError, Runtime, ScheduleTask, Task
from kernel._core.commands import CommandChannel
from kernel._core.selector import IoSources

if TYPE_CHECKING:
    import socket

    from kernel.testing import ErrorCollector

    from .conftest import MakeRuntime

JOIN: float = 10.0
"""Seconds a helper thread (or a wait that a helper ends) gets before the test calls it hung."""


def readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


# -- run_idle_callbacks ------------------------------------------------------------------------


def test_run_idle_callbacks_runs_them_in_order_and_counts(rt: Runtime) -> None:
    calls: list[str] = []
    rt.add_idle_callback(calls.append, "a")
    second = rt.add_idle_callback(calls.append, "b")
    assert rt.run_idle_callbacks() == 2
    rt.remove_idle_callback(second)
    assert rt.run_idle_callbacks() == 1
    assert calls == ["a", "b", "a"]


def test_run_idle_callbacks_reports_a_raising_callback_and_keeps_it(
    rt: Runtime, errors: ErrorCollector
) -> None:
    rt.add_idle_callback(lambda: 1 / 0)
    assert rt.run_idle_callbacks() == 1
    assert rt.run_idle_callbacks() == 1
    assert [r.phase for r in errors.take()] == ["idle", "idle"]


def test_run_idle_callbacks_refuses_inside_a_tick(rt: Runtime, errors: ErrorCollector) -> None:
    rt.schedule_work(rt.run_idle_callbacks)
    rt.tick()
    (report,) = errors.take()
    assert isinstance(report.exception, InvalidStateError)
    assert str(report.exception) == "run_idle_callbacks() called from inside a tick"


# -- io_fileno ---------------------------------------------------------------------------------


def test_io_fileno_is_none_until_a_source_exists_and_after_close(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    assert rt.io_fileno() is None
    rt.add_reader(pair[0], lambda: None)
    fd = rt.io_fileno()
    assert isinstance(fd, int)
    assert fd not in {pair[0].fileno(), pair[1].fileno()}
    assert rt.remove_reader(pair[0])
    assert rt.io_fileno() is None  # an idle selector is not worth watching
    rt.add_writer(pair[0], lambda: None)
    assert rt.io_fileno() == fd
    rt.close()
    assert rt.io_fileno() is None


def test_io_fileno_is_readable_while_a_reader_is_ready(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    reads: list[bytes] = []
    rt.add_reader(pair[0], lambda: reads.append(pair[0].recv(16)))
    fd = rt.io_fileno()
    assert fd is not None
    assert not readable(fd)
    pair[1].send(b"hi")
    assert readable(fd)
    rt.tick()
    assert reads == [b"hi"]
    assert not readable(fd)
    rt.close()


def test_io_sources_fileno_refuses_a_selector_without_one() -> None:
    io = IoSources(lambda *_: None, CommandChannel(), selectors.SelectSelector)
    io.hold()
    with pytest.raises(NotImplementedError, match=r"^SelectSelector has no fd"):
        io.fileno()
    io.close()


# -- wait --------------------------------------------------------------------------------------


def test_wait_returns_after_the_timeout_without_sources(rt: Runtime) -> None:
    rt.wait(0)
    rt.wait(0.001)


def test_wait_returns_when_a_command_is_sent_from_a_thread(rt: Runtime) -> None:
    sender = rt.command_sender()
    ran: list[int] = []
    worker = threading.Thread(target=sender.send, args=(ScheduleTask(Task(ran.append, 1)),))
    worker.start()
    rt.wait()  # no timeout: a lost wake-up hangs here and faulthandler fails the test
    worker.join(JOIN)
    rt.run_until_idle()
    assert ran == [1]


def test_wait_returns_when_a_reader_is_ready(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    reads: list[bytes] = []
    rt.add_reader(pair[0], lambda: reads.append(pair[0].recv(16)))
    worker = threading.Thread(target=pair[1].send, args=(b"x",))
    worker.start()
    rt.wait()  # no timeout: a lost wake-up hangs here and faulthandler fails the test
    worker.join(JOIN)
    rt.tick()
    assert reads == [b"x"]
    rt.close()


def test_wait_returns_when_a_command_is_sent_while_it_selects(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    rt.add_reader(pair[0], lambda: None)
    sender = rt.command_sender()
    ran: list[int] = []
    worker = threading.Thread(target=sender.send, args=(ScheduleTask(Task(ran.append, 2)),))
    worker.start()
    rt.wait()  # no timeout: a lost wake-up hangs here and faulthandler fails the test
    worker.join(JOIN)
    rt.run_until_idle()
    assert ran == [2]
    rt.close()


@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (-1, ValueError, r"^timeout must be >= 0, got -1$"),
        ("1", TypeError, r"^timeout must be"),
        (float("nan"), ValueError, r"^timeout must be"),
    ],
    ids=["negative", "str", "nan"],
)
def test_wait_rejects_a_bad_timeout(
    rt: Runtime, timeout: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rt.wait(timeout)  # type: ignore[arg-type]  # the bad input under test


def test_wait_refuses_inside_a_tick(make_runtime: MakeRuntime, errors: ErrorCollector) -> None:
    rt = make_runtime()
    rt.schedule_work(rt.wait, 0)
    rt.tick()
    (report,) = errors.take()
    assert str(report.exception) == "wait() called from inside a tick"


def test_a_signal_wakes_the_selector_after_another_party_took_the_wakeup_fd(
    rt: Runtime, pair: tuple[socket.socket, socket.socket]
) -> None:
    """A loop started after the runtime (uvloop) may replace the process's signal wake-up fd:
    the runtime's own selector must still wake, so a host watching `io_fileno()` ticks."""
    seen: list[int] = []
    rt.add_signal_handler(signal.SIGUSR2, seen.append, 1)
    fd = rt.io_fileno()
    assert fd is not None
    pair[1].setblocking(False)
    ours = signal.set_wakeup_fd(pair[1].fileno(), warn_on_full_buffer=False)
    try:
        signal.raise_signal(signal.SIGUSR2)
        assert readable(fd)
        rt.tick()
        assert seen == [1]
    finally:
        signal.set_wakeup_fd(ours)
        rt.close()
