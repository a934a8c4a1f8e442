"""P7S: P7's cross-thread wake-up latency with `run()` waiting in its selector (a reader is
registered), against asyncio; P7 itself measures the lock wait mode."""

from __future__ import annotations

import asyncio
import socket
from typing import TYPE_CHECKING, Final, TypeVar

from kernel import Runtime, ScheduleTask, Shutdown, Task
from kernel.bench.latency import Probe, alternate_latencies, rows, timed_wakeups
from kernel.bench.runner import join_loop_thread, loop_thread, noop

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Row, Settings

__all__ = ["measure"]

T = TypeVar("T")

WAKEUPS: Final = 60
"""Wake-ups per side per round: five rounds give 300."""
QUICK_WAKEUPS: Final = 10
GOAL: Final = 1.0


def measure(settings: Settings) -> list[Row]:
    """As P7: ``sender.send(ScheduleTask(task))`` to the task's first line, while ``rt.run()``
    sleeps, but with a reader registered on an idle socketpair, so the wait is in the selector
    and the wake-up goes through the wake-up socketpair. The anchor is P7's:
    ``loop.call_soon_threadsafe(fn)`` into a sleeping ``run_forever``."""
    n = settings.size(WAKEUPS, QUICK_WAKEUPS)
    kernel, anchor = alternate_latencies(
        settings, "P7S wake-up latency (selector)", _kernel, _asyncio, n, QUICK_WAKEUPS
    )
    return rows(
        "P7S",
        "wake-up latency in the selector wait mode, send() to task start",
        kernel,
        anchor,
        GOAL,
    )


def _sender(send: Callable[[T], object], message: T) -> Callable[[], object]:
    """The timed call, with its message built before the timed span (as P7)."""
    return lambda: send(message)


def _kernel(n: int) -> list[float]:
    here, there = socket.socketpair()
    probe = Probe()
    runtime = Runtime()
    runtime.boot()
    runtime.add_reader(here, noop)  # never readable: it only selects the wait mode
    sender = runtime.command_sender()
    thread = loop_thread(runtime.run, "bench-kernel-select")
    thread.start()
    try:
        return timed_wakeups(n, probe, lambda: _sender(sender.send, ScheduleTask(Task(probe.hit))))
    finally:
        sender.send(Shutdown())
        join_loop_thread(thread)
        here.close()
        there.close()


def _asyncio(n: int) -> list[float]:
    probe = Probe()
    loop = asyncio.new_event_loop()
    thread = loop_thread(loop.run_forever, "bench-asyncio-run")
    thread.start()
    try:
        return timed_wakeups(n, probe, lambda: _sender(loop.call_soon_threadsafe, probe.hit))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        join_loop_thread(thread)
        loop.close()
