"""Acceptance check (SPEC §13): urwid's event-loop contract, run against `KernelEventLoop` and, as a
control, against urwid's own `SelectEventLoop` and `AsyncioEventLoop`.

The scenarios follow what urwid's `EventLoopTestMixin` (tests/test_event_loops.py in urwid's
repository) checks, as described in docs/hosts.md: our own code, written from that description
(urwid is LGPL; nothing here is copied). Real monotonic time with delays of milliseconds, and
socketpairs; no terminal. Skipped when urwid is not installed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import TYPE_CHECKING, Any

import pytest

urwid = pytest.importorskip("urwid")

from kernel.hosts.urwid import KernelEventLoop  # noqa: E402  # after the skip

from .urwid_support import exit_after, exit_loop  # noqa: E402  # after the skip

if TYPE_CHECKING:
    import socket
    from collections.abc import Callable, Iterator

JOIN: float = 10.0
"""Seconds a worker thread gets before the test calls it hung."""


class Loop:
    """One loop under test, its idle-handle promise, and its cleanup."""

    def __init__(self, evl: Any, first_idle_handle: int | None, close: Callable[[], None]) -> None:
        self.evl = evl
        self.first_idle_handle = first_idle_handle
        self.close = close


def make_kernel() -> Loop:
    evl = KernelEventLoop()
    return Loop(evl, 1, evl.runtime.close)


def make_select() -> Loop:
    return Loop(urwid.SelectEventLoop(), 1, lambda: None)


def make_asyncio() -> Loop:
    loop = asyncio.new_event_loop()
    # urwid's asyncio loop numbers idle handles its own way (its suite skips that check).
    return Loop(urwid.AsyncioEventLoop(loop=loop), None, loop.close)


@pytest.fixture(
    params=[make_kernel, make_select, make_asyncio], ids=["kernel", "select", "asyncio"]
)
def loop(request: pytest.FixtureRequest) -> Iterator[Loop]:
    made: Loop = request.param()
    yield made
    made.close()


def test_an_alarm_writes_and_the_watch_reads_then_exits(
    loop: Loop, pair: tuple[socket.socket, socket.socket]
) -> None:
    evl, out = loop.evl, []
    reader, writer = pair

    def write() -> None:
        out.append("writing")
        writer.send(b"hi")

    def read() -> None:
        out.append(reader.recv(2).decode())
        raise urwid.ExitMainLoop

    evl.alarm(0, write)
    evl.watch_file(reader.fileno(), read)
    evl.run()
    assert out == ["writing", "hi"]


def test_removing_a_pending_alarm_from_a_callback_is_true_then_false(loop: Loop) -> None:
    evl = loop.evl
    results: list[object] = []
    far = evl.alarm(50, lambda: results.append("fired"))

    def remove() -> None:
        results.append(evl.remove_alarm(far))
        results.append(evl.remove_alarm(far))
        raise urwid.ExitMainLoop

    evl.alarm(0, remove)
    evl.run()
    assert results == [True, False]


def test_removing_a_watch_from_a_callback_is_true_then_false(
    loop: Loop, pair: tuple[socket.socket, socket.socket]
) -> None:
    evl = loop.evl
    results: list[object] = []
    handle = evl.watch_file(pair[0].fileno(), lambda: results.append("read"))

    def remove() -> None:
        results.append(evl.remove_watch_file(handle))
        results.append(evl.remove_watch_file(handle))
        raise urwid.ExitMainLoop

    evl.alarm(0, remove)
    evl.run()
    assert results == [True, False]


def test_an_idle_callback_removed_before_run_never_runs(loop: Loop) -> None:
    evl, ran = loop.evl, []
    handle = evl.enter_idle(lambda: ran.append(1))
    assert evl.remove_enter_idle(handle) is True
    assert evl.remove_enter_idle(handle) is False
    evl.alarm(0.01, exit_loop)
    evl.run()
    assert ran == []


def test_an_alarm_rearms_itself_from_its_callback(loop: Loop) -> None:
    evl, counts = loop.evl, []

    def countdown(n: int) -> None:
        counts.append(n)
        if n == 0:
            raise urwid.ExitMainLoop
        evl.alarm(0.01, lambda: countdown(n - 1))

    evl.alarm(0.01, lambda: countdown(2))
    evl.run()
    assert counts == [2, 1, 0]


def test_run_sees_input_alarms_and_idle_and_can_be_run_again(
    loop: Loop, pair: tuple[socket.socket, socket.socket]
) -> None:
    evl, out = loop.evl, []
    reader, writer = pair
    writer.send(b"data")  # readable before run() starts, and never read: level-triggered

    def idle() -> None:
        out.append("waiting")

    def say_hello() -> None:
        out.append("hello")

    evl.alarm(0.005, say_hello)
    evl.alarm(0.01, exit_after(lambda: out.append("clean exit")))
    handle = evl.enter_idle(idle)
    if loop.first_idle_handle is not None:
        assert handle == loop.first_idle_handle
    evl.run()
    assert {"waiting", "hello", "clean exit"} <= set(out)
    evl.remove_enter_idle(handle)

    # Same loop, nothing closed: the still-readable socket's watch fires and exits.
    fired: list[str] = []
    watch = evl.watch_file(reader.fileno(), exit_after(lambda: fired.append("readable")))
    evl.run()
    assert fired == ["readable"]
    assert evl.remove_watch_file(watch) is True

    # An error from an alarm, then from a watch, leaves run() each time.
    evl.alarm(0, lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        evl.run()
    watch = evl.watch_file(reader.fileno(), lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        evl.run()
    evl.remove_watch_file(watch)


def test_run_in_executor_completes_beside_the_loop(loop: Loop) -> None:
    evl, order = loop.evl, []
    with concurrent.futures.ThreadPoolExecutor(1) as pool:

        def job() -> bool:
            order.append("started")
            return True

        def submit() -> None:
            future = evl.run_in_executor(pool, job)
            future.add_done_callback(lambda f: order.append(f"callback {f.result()}"))
            order.append("future called")

        evl.alarm(0.005, submit)
        evl.alarm(0.1, exit_after(lambda: order.append("clean exit")))
        evl.run()
    assert order.index("future called") < order.index("clean exit")
    assert "started" in order
    assert "callback True" in order
    assert order[-1] == "clean exit"


def test_an_error_from_an_alarm_leaves_run(loop: Loop) -> None:
    loop.evl.alarm(0, lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        loop.evl.run()
