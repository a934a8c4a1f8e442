"""IoSources: level-triggered readers and writers in registration order, removal at once, closed
fds, refused fds, and lazily created resources; a state machine against a plain model."""

from __future__ import annotations

import os
import selectors
import socket
import tempfile
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kernel._core.commands import CommandChannel
from kernel._core.selector import IoSources
from kernel._core.watches import READ, WRITE

from .hook_interrupts import instruments_with

Reports = list[tuple[str, BaseException, str]]


def make(selector_factory: Any = selectors.DefaultSelector) -> tuple[IoSources, Reports]:
    reports: Reports = []

    def report(phase: str, exc: BaseException, callback: str) -> None:
        reports.append((phase, exc, callback))

    return IoSources(report, CommandChannel(), selector_factory), reports


def test_io_sources_open_nothing_until_the_first_source(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    io, _ = make()
    assert (io.is_open, io.active) == (False, False)
    assert io.poll() == 0
    io.add(READ, pair[0], print, (), None)
    assert (io.is_open, io.active) == (True, True)
    io._check()
    assert io.remove(READ, pair[0])
    # Kept open until close(): no churn of fds.
    assert (io.is_open, io.active) == (True, False)
    assert io.close() == 0
    assert (io.is_open, io.active) == (False, False)
    io._check()


def test_io_sources_reader_is_level_triggered(pair: tuple[socket.socket, socket.socket]) -> None:
    io, _ = make()
    calls: list[str] = []
    io.add(READ, pair[0].fileno(), calls.append, ("r",), None)
    assert io.poll() == 0
    pair[1].send(b"x")
    assert io.poll() == 1
    assert io.poll() == 1  # not read: ready again
    pair[0].recv(1)
    assert io.poll() == 0
    assert calls == ["r", "r"]
    io.close()


def test_io_sources_run_ready_callbacks_in_registration_order() -> None:
    io, _ = make()
    pairs = [socket.socketpair() for _ in range(3)]
    calls: list[str] = []
    io.add(WRITE, pairs[2][0], calls.append, ("w2",), None)
    io.add(READ, pairs[1][0], calls.append, ("r1",), None)
    io.add(READ, pairs[0][0], calls.append, ("r0",), None)
    io.add(READ, pairs[2][0], calls.append, ("r2",), None)
    for _, peer in pairs:
        peer.send(b"x")
    assert io.poll() == 4
    assert calls == ["w2", "r1", "r0", "r2"]
    # Replacing a source moves it to the end of the order.
    calls.clear()
    io.add(READ, pairs[1][0], calls.append, ("r1'",), None)
    assert io.poll() == 4
    assert calls == ["w2", "r0", "r2", "r1'"]
    io._check()
    assert io.close() == 4
    for a, b in pairs:
        a.close()
        b.close()


def test_io_sources_removal_inside_a_callback_takes_effect_at_once() -> None:
    io, _ = make()
    (a, peer_a), (b, peer_b) = socket.socketpair(), socket.socketpair()
    calls: list[str] = []

    def first() -> None:
        calls.append("a")
        assert io.remove(READ, b)
        assert io.remove(READ, a)  # its own

    io.add(READ, a, first, (), None)
    io.add(READ, b, calls.append, ("b",), None)
    peer_a.send(b"x")
    peer_b.send(b"x")
    assert io.poll() == 1
    assert calls == ["a"]
    assert len(io) == 0
    assert io.poll() == 0
    io.close()
    for s in (a, peer_a, b, peer_b):
        s.close()


def test_io_sources_a_raising_callback_is_reported_and_stays(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    io, reports = make()
    error = ValueError("boom")

    def fail() -> None:
        raise error

    io.add(READ, pair[0], fail, (), "reader-name")
    io.add(WRITE, pair[0], fail, (), None)
    pair[1].send(b"x")
    assert io.poll() == 2
    assert [(p, e, c[-4:]) for p, e, c in reports] == [
        ("io", error, "reader-name"[-4:]),
        ("io", error, "fail"),
    ]
    assert len(io) == 2
    io.close()


def test_io_sources_base_exceptions_propagate(pair: tuple[socket.socket, socket.socket]) -> None:
    io, reports = make()

    def interrupt() -> None:
        raise KeyboardInterrupt

    io.add(WRITE, pair[0], interrupt, (), None)
    with pytest.raises(KeyboardInterrupt):
        io.poll()
    assert reports == []
    assert len(io) == 1
    io.close()


def test_io_sources_reader_and_writer_on_one_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    io, _ = make()
    calls: list[str] = []
    io.add(READ, pair[0], calls.append, ("r",), None)
    io.add(WRITE, pair[0], calls.append, ("w",), None)
    io._check()
    assert io.poll() == 1
    assert calls == ["w"]
    assert io.remove(WRITE, pair[0])
    assert not io.remove(WRITE, pair[0])
    io._check()
    pair[1].send(b"x")
    assert io.poll() == 1
    assert calls == ["w", "r"]
    io.close()


def test_io_sources_remove_after_the_fd_was_closed() -> None:
    io, _ = make()
    a, b = socket.socketpair()
    io.add(READ, a.fileno(), print, (), None)
    io.add(WRITE, a.fileno(), print, (), None)
    fd = a.fileno()
    a.close()
    assert io.remove(READ, fd)  # modify fails on the closed fd: both sources go
    assert not io.remove(WRITE, fd)
    assert len(io) == 0
    io._check()
    io.close()
    b.close()


def test_io_sources_epoll_forgets_a_closed_fd_silently() -> None:
    io, reports = make()
    a, b = socket.socketpair()
    io.add(READ, a.fileno(), print, (), None)
    a.close()
    b.close()
    assert io.poll() == 0  # no error to report: the source stays until removed
    assert reports == []
    assert len(io) == 1
    io.close()


def test_io_sources_a_selector_error_reports_and_removes_only_closed_fds() -> None:
    io, reports = make(selectors.SelectSelector)  # select() raises EBADF for a closed fd
    (a, peer_a), (b, peer_b) = socket.socketpair(), socket.socketpair()
    calls: list[str] = []
    io.add(READ, a.fileno(), calls.append, ("a",), "watch-a")
    io.add(READ, b.fileno(), calls.append, ("b",), None)
    fd = a.fileno()
    a.close()
    peer_b.send(b"x")
    assert io.poll() == 0
    [(phase, exc, callback)] = reports
    assert (phase, callback) == ("io", "watch-a")
    assert isinstance(exc, OSError)
    assert f"reader fd {fd} was closed" in str(exc)
    assert len(io) == 1
    assert io.poll() == 1
    assert calls == ["b"]
    io.wait(0)  # works again too
    io.close()
    for s in (peer_a, b, peer_b):
        s.close()


def test_io_sources_a_selector_error_without_a_closed_fd_propagates() -> None:
    class Broken(selectors.SelectSelector):
        def select(self, timeout: float | None = None) -> list[Any]:
            raise OSError("broken")

    io, _ = make(Broken)
    a, b = socket.socketpair()
    io.add(READ, a, print, (), None)
    with pytest.raises(OSError, match=r"^broken$"):
        io.poll()
    io.wait(0)  # a wait only ends on an error; the poll reports it
    io.close()
    a.close()
    b.close()


def test_io_sources_refuse_a_regular_file_with_a_clear_error() -> None:
    io, _ = make()
    with (
        tempfile.TemporaryFile() as f,
        pytest.raises(ValueError, match=r"^fd \d+ cannot be watched: the selector refuses"),
    ):
        io.add(READ, f, print, (), None)
    assert not io.is_open  # what this call opened, it closed again
    assert len(io) == 0


def test_io_sources_refuse_dev_null() -> None:
    io, _ = make()
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        with pytest.raises(ValueError, match=r"epoll refuses regular files and /dev/null"):
            io.add(READ, fd, print, (), None)
    finally:
        os.close(fd)
    assert not io.is_open


def test_io_sources_a_failed_add_keeps_resources_other_sources_need(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    io, _ = make()
    io.add(READ, pair[0], print, (), None)
    with tempfile.TemporaryFile() as f, pytest.raises(ValueError, match="cannot be watched"):
        io.add(READ, f, print, (), None)
    assert io.is_open
    assert len(io) == 1
    io._check()
    io.close()


def test_io_sources_other_os_errors_from_the_selector_propagate() -> None:
    class Refusing(selectors.DefaultSelector):
        def register(self, fileobj: Any, events: int, data: Any = None) -> Any:
            if data is None:
                raise OSError("no room")
            return super().register(fileobj, events, data)

    io, _ = make(Refusing)
    a, b = socket.socketpair()
    with pytest.raises(OSError, match=r"^no room$"):
        io.add(READ, a, print, (), None)
    assert not io.is_open
    io.close()
    a.close()
    b.close()


def test_io_sources_refuse_their_own_wakeup_fd(pair: tuple[socket.socket, socket.socket]) -> None:
    io, _ = make()
    io.add(READ, pair[0], print, (), None)
    wakeup = io.open()
    with pytest.raises(ValueError, match=r"is the runtime's own wake-up fd$"):
        io.add(READ, wakeup.fileno(), print, (), None)
    io.close()


def test_io_sources_hold_keeps_them_active_without_a_source() -> None:
    io, _ = make()
    io.hold()
    assert (io.is_open, io.active) == (True, True)
    io.wake()
    assert io.poll() == 0  # the wake-up byte is drained, no callback
    io.release()
    assert (io.is_open, io.active) == (True, False)
    io.close()
    io.wake()  # closed: nothing to do


class IoMachine(RuleBasedStateMachine):
    """IoSources against a plain model: a registration-order list and per-pair readiness."""

    PAIRS = 3

    def __init__(self) -> None:
        super().__init__()
        self.io, self.reports = make()
        self.pairs = [socket.socketpair() for _ in range(self.PAIRS)]
        self.order: list[tuple[int, int]] = []  # (kind, pair index), registration order
        self.readable = [False] * self.PAIRS
        self.calls: list[tuple[int, int]] = []

    def _fd(self, index: int) -> int:
        return self.pairs[index][0].fileno()

    @rule(kind=st.sampled_from([READ, WRITE]), index=st.integers(0, PAIRS - 1))
    def add(self, kind: int, index: int) -> None:
        self.io.add(kind, self._fd(index), self.calls.append, ((kind, index),), None)
        if (kind, index) in self.order:
            self.order.remove((kind, index))
        self.order.append((kind, index))

    @rule(kind=st.sampled_from([READ, WRITE]), index=st.integers(0, PAIRS - 1))
    def remove(self, kind: int, index: int) -> None:
        expected = (kind, index) in self.order
        assert self.io.remove(kind, self._fd(index)) == expected
        if expected:
            self.order.remove((kind, index))

    @rule(index=st.integers(0, PAIRS - 1))
    def make_readable(self, index: int) -> None:
        self.pairs[index][1].send(b"x")
        self.readable[index] = True

    @precondition(lambda self: any(self.readable))
    @rule(index=st.integers(0, PAIRS - 1))
    def consume(self, index: int) -> None:
        if self.readable[index]:
            self.pairs[index][0].recv(4096)
            self.readable[index] = False

    @rule()
    def poll(self) -> None:
        self.calls.clear()
        expected = [
            (kind, index) for kind, index in self.order if kind == WRITE or self.readable[index]
        ]
        assert self.io.poll() == len(expected)
        assert self.calls == expected

    @invariant()
    def consistent(self) -> None:
        assert len(self.io) == len(self.order)
        assert self.io.active == bool(self.order)
        self.io._check()
        assert self.reports == []

    def teardown(self) -> None:
        self.io.close()
        for a, b in self.pairs:
            a.close()
            b.close()


TestIoMachine = IoMachine.TestCase


def test_io_sources_a_failed_modify_drops_both_sources_of_the_fd(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    class NoModify(selectors.DefaultSelector):
        def modify(self, fileobj: Any, events: int, data: Any = None) -> Any:
            super().unregister(fileobj)  # as the stdlib does when epoll_ctl fails
            raise OSError("modify failed")

    io, _ = make(NoModify)
    io.add(READ, pair[0], print, (), None)
    with pytest.raises(OSError, match=r"^modify failed$"):
        io.add(WRITE, pair[0], print, (), None)
    assert len(io) == 0
    io._check()
    io.close()


def test_io_sources_ready_asks_without_waiting(pair: tuple[socket.socket, socket.socket]) -> None:
    io, _ = make()
    assert not io.ready()  # nothing open
    io.add(READ, pair[0], print, (), None)
    io.wake()
    assert not io.ready()  # the wake-up fd alone is not a ready source
    pair[1].send(b"x")
    assert io.ready()
    io.close()


def test_io_sources_ready_counts_a_selector_error_as_ready() -> None:
    io, _ = make(selectors.SelectSelector)
    a, b = socket.socketpair()
    io.add(READ, a.fileno(), print, (), None)
    a.close()
    assert io.ready()
    io.close()
    b.close()


def test_io_sources_drain_the_wakeup_before_the_next_wait_not_when_seen() -> None:
    io, _ = make()
    wakeup = io.hold()
    io.wake()
    assert io.poll() == 0  # seen: noted, not read (no system call before the tick's work)
    io.wait(0)  # drained before the selector is asked again, so this returns at once
    assert wakeup.drain() == 0
    io.wake()
    io.wait(0)  # a wait uses what it found for the next poll
    assert io.poll() == 0
    io.release()
    io.close()


def test_io_sources_a_source_added_after_a_wait_is_polled_afresh() -> None:
    io, _ = make()
    (a, peer_a), (b, peer_b) = socket.socketpair(), socket.socketpair()
    calls: list[str] = []
    io.add(READ, a, calls.append, ("a",), None)
    peer_a.send(b"x")
    io.wait(0)  # finds a ready
    assert io.remove(READ, a)
    io.add(READ, b, calls.append, ("b",), None)
    peer_b.send(b"x")
    assert io.poll() == 1  # not what the wait found (a), but what is ready now (b)
    assert calls == ["b"]
    io.close()
    for s in (a, peer_a, b, peer_b):
        s.close()


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
def test_io_sources_a_hook_interrupt_reports_the_callback_error_it_replaced(
    pair: tuple[socket.socket, socket.socket], hook: str
) -> None:
    """An instrument's interrupted callback hook is not the callback's own (docs/reliability.md):
    after it, the reader's own error is reported; before it, the reader did not run, and the
    next poll runs it (level-triggered)."""
    instruments, _ = instruments_with(hook)
    reports: Reports = []
    io = IoSources(lambda *report: reports.append(report), CommandChannel(), watch=instruments)
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise ValueError("the reader's own")

    io.add(READ, pair[0], fail, (), "reader")
    pair[1].send(b"x")
    with pytest.raises(KeyboardInterrupt):
        io.poll()
    ran = hook == "after_callback"
    assert (len(calls), len(reports)) == ((1, 1) if ran else (0, 0))
    assert io.poll() == 1
    assert len(calls) == len(reports) == (2 if ran else 1)
    assert {(p, type(e), d) for p, e, d in reports} == {("io", ValueError, "reader")}
    io.close()
