"""P13: a urwid alarm-and-watch workload on `KernelEventLoop`, against urwid's own loops.

Needs urwid (the ``urwid`` extra); without it the workload has no rows.
"""

from __future__ import annotations

import asyncio
import importlib
import socket
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Final

from kernel.bench.runner import Row, alternate, per_op

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = ["measure"]

ROUNDS_PER_SAMPLE: Final = 5_000
"""Alarm → write → watch → read round trips per sample."""
QUICK_ROUNDS_PER_SAMPLE: Final = 100
GOAL: Final = 1.0


def measure(settings: Settings) -> list[Row]:
    """N round trips through one loop's `run()`: an ``alarm(0, write)`` sends a byte on a
    socketpair, the ``watch_file`` callback reads it and arms the next alarm, an ``enter_idle``
    callback counts; the last read raises ``ExitMainLoop``. Per round trip, the kernel side
    (`KernelEventLoop` on the real clock) against urwid's `SelectEventLoop` and its
    `AsyncioEventLoop` (one row each). No rows without urwid.
    """
    try:
        urwid = importlib.import_module("urwid")
        hosts = importlib.import_module("kernel.hosts.urwid")
    except ImportError:
        return []
    n = settings.size(ROUNDS_PER_SAMPLE, QUICK_ROUNDS_PER_SAMPLE)
    kernel, select, asyncio_side = alternate(
        [
            lambda: _sample(urwid, n, _kernel_loop(hosts)),
            lambda: _sample(urwid, n, _select_loop(urwid)),
            lambda: _sample(urwid, n, _asyncio_loop(urwid)),
        ],
        settings,
        "P13 urwid alarm + watch",
    )
    workload = "urwid alarm(0) + watch_file round trip, KernelEventLoop vs {} [ns per round]"
    return [
        Row(
            id=f"P13 {name}",
            workload=workload.format(anchor_name),
            unit="ns",
            kernel=kernel["round"],
            anchor=anchor["round"],
            goal=GOAL,
        )
        for name, anchor_name, anchor in (
            ("select", "SelectEventLoop", select),
            ("asyncio", "AsyncioEventLoop", asyncio_side),
        )
    ]


Loop = tuple[Any, "Callable[[], None]"]
"""An event loop and what closes it afterwards."""


def _kernel_loop(hosts: Any) -> Callable[[], Loop]:
    def make() -> Loop:
        evl = hosts.KernelEventLoop()
        return evl, evl.runtime.close

    return make


def _select_loop(urwid: Any) -> Callable[[], Loop]:
    def make() -> Loop:
        return urwid.SelectEventLoop(), _nothing

    return make


def _asyncio_loop(urwid: Any) -> Callable[[], Loop]:
    def make() -> Loop:
        loop = asyncio.new_event_loop()
        return urwid.AsyncioEventLoop(loop=loop), loop.close

    return make


def _nothing() -> None:
    """Closes a loop that holds nothing."""


def _sample(urwid: Any, n: int, make: Callable[[], Loop]) -> dict[str, float]:
    evl, close = make()
    reader, writer = socket.socketpair()
    left = [n]
    idles = [0]

    def write() -> None:
        writer.send(b"x")

    def read() -> None:
        reader.recv(1)
        left[0] -= 1
        if not left[0]:
            raise urwid.ExitMainLoop
        evl.alarm(0, write)

    def idle() -> None:
        idles[0] += 1

    try:
        evl.watch_file(reader.fileno(), read)
        evl.enter_idle(idle)
        evl.alarm(0, write)
        start = perf_counter_ns()
        evl.run()
        end = perf_counter_ns()
    finally:
        reader.close()
        writer.close()
        close()
    assert not left[0]
    return {"round": per_op(start, end, n)}
