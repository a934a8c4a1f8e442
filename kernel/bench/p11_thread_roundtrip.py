"""P11: the `run_in_thread` round trip, submit to ``on_done`` on the loop, against asyncio."""

from __future__ import annotations

import asyncio
import threading
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Final

from kernel import Runtime, ScheduleTask, Shutdown, Task
from kernel.bench.latency import JOIN_TIMEOUT, NS_PER_US, alternate_latencies, rows
from kernel.bench.runner import join_loop_thread, loop_thread, noop

if TYPE_CHECKING:
    from concurrent.futures import Future

    from kernel.bench.runner import Row, Settings

__all__ = ["measure"]

JOBS: Final = 60
"""Round trips per side per round: five rounds give 300."""
QUICK_JOBS: Final = 10
GOAL: Final = 1.0


class _Trip:
    """One round trip's two timestamps, both taken on the loop thread."""

    def __init__(self) -> None:
        self.submitted = 0
        self.done = 0
        self.finished = threading.Event()

    def latency(self) -> float:
        return (self.done - self.submitted) / NS_PER_US


def measure(settings: Settings) -> list[Row]:
    """From just before the submit to the first line of the completion callback, on the loop.

    Kernel: a task on the loop thread calls ``rt.run_in_thread(noop, on_done=...)``; ``on_done``
    runs in a later tick on the loop thread. Anchor: a coroutine on the loop thread does
    ``await loop.run_in_executor(None, noop)`` and takes the time when it resumes. Both loops
    run on their own thread and use their default pools (warmed up first). The main thread
    starts one trip at a time and waits for it.
    """
    n = settings.size(JOBS, QUICK_JOBS)
    kernel, anchor = alternate_latencies(
        settings, "P11 thread round trip", _kernel, _asyncio, n, QUICK_JOBS
    )
    return rows("P11", "run_in_thread submit to on_done on the loop", kernel, anchor, GOAL)


def _kernel(n: int) -> list[float]:
    runtime = Runtime()
    runtime.boot()
    sender = runtime.command_sender()
    thread = loop_thread(runtime.run, "bench-kernel-thread")
    thread.start()

    def submit(trip: _Trip) -> None:
        def on_done(future: Future[Any]) -> None:
            trip.done = perf_counter_ns()
            trip.finished.set()

        trip.submitted = perf_counter_ns()
        runtime.run_in_thread(noop, on_done=on_done)

    try:
        latencies: list[float] = []
        for _ in range(n):
            trip = _Trip()
            sender.send(ScheduleTask(Task(submit, trip)))
            if not trip.finished.wait(JOIN_TIMEOUT):
                raise RuntimeError("no completion")
            latencies.append(trip.latency())
        return latencies
    finally:
        sender.send(Shutdown())
        join_loop_thread(thread)


def _asyncio(n: int) -> list[float]:
    loop = asyncio.new_event_loop()
    thread = loop_thread(loop.run_forever, "bench-asyncio-thread")
    thread.start()

    async def trip_once(trip: _Trip) -> None:
        trip.submitted = perf_counter_ns()
        await loop.run_in_executor(None, noop)
        trip.done = perf_counter_ns()

    try:
        latencies: list[float] = []
        for _ in range(n):
            trip = _Trip()
            asyncio.run_coroutine_threadsafe(trip_once(trip), loop).result(JOIN_TIMEOUT)
            latencies.append(trip.latency())
        return latencies
    finally:
        asyncio.run_coroutine_threadsafe(loop.shutdown_default_executor(), loop).result(
            JOIN_TIMEOUT
        )
        loop.call_soon_threadsafe(loop.stop)
        join_loop_thread(thread)
        loop.close()
