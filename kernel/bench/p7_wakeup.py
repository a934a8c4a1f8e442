"""P7: cross-thread wake-up latency into a sleeping `run()`, against asyncio."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final, TypeVar

from kernel import Runtime, ScheduleTask, Shutdown, Task
from kernel.bench.runner import JOIN_TIMEOUT, Row, alternate, join_loop_thread, loop_thread

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = ["measure"]

M = TypeVar("M")

WAKEUPS: Final = 100
"""Wake-ups per side per round: `ROUNDS` rounds give 1,000 a side, so the pooled p99 is the
tenth-slowest wake-up, not the third (PERF.md asks for at least 200; issue #12 for 1,000)."""
QUICK_WAKEUPS: Final = 10
ROUNDS: Final = 10
"""Alternating rounds, the same for both sides: a slow phase of the machine lasts a round or
two, so it lands on both sides instead of on one side's whole sample."""
ASLEEP: Final = 0.002
"""Seconds between wake-ups: enough for the loop to finish the last one and block again."""
NS_PER_US: Final = 1_000
P99: Final = 99
GOAL: Final = 1.0


def measure(settings: Settings) -> list[Row]:
    """From just before the send to the first line of the callback, on another thread.

    The kernel side runs ``rt.run()`` on a thread with nothing pending, so it sleeps on its
    command channel; the main thread does ``sender.send(ScheduleTask(task))`` and the task
    records when it starts. The anchor runs ``loop.run_forever()`` on a thread and the main
    thread does ``loop.call_soon_threadsafe(fn)``. Median and 99th percentile over every
    wake-up of every round (`ROUNDS` rounds of `WAKEUPS`, sides alternating); each round's own
    median and p99 are kept as the row's rounds, for ``--compare``'s noise.
    """
    n = settings.size(WAKEUPS, QUICK_WAKEUPS)
    kernel: list[float] = []
    anchor: list[float] = []
    kernel_side, anchor_side = alternate(
        [lambda: _record(kernel, _kernel(n)), lambda: _record(anchor, _asyncio(n))],
        settings,
        "P7 wake-up latency",
        rounds=ROUNDS,
        warmup=[
            lambda: _record([], _kernel(QUICK_WAKEUPS)),
            lambda: _record([], _asyncio(QUICK_WAKEUPS)),
        ],
    )
    return [
        Row(
            id=f"P7 {label}",
            workload=f"wake-up latency, send() to task start, {label} of {len(kernel):,} [us]",
            unit="us",
            kernel=stat(kernel),
            kernel_rounds=kernel_side.rounds[label],
            anchor=stat(anchor),
            anchor_rounds=anchor_side.rounds[label],
            goal=GOAL,
        )
        for label, stat in (("median", statistics.median), ("p99", _p99))
    ]


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[P99 - 1]


def _record(pool: list[float], latencies: list[float]) -> dict[str, float]:
    """Add `latencies` to `pool`; return their own median and p99 (the round's values)."""
    pool.extend(latencies)
    return {"median": statistics.median(latencies), "p99": _p99(latencies)}


def _wakeups(
    n: int, prepare: Callable[[Callable[[], None]], M], send: Callable[[M], object]
) -> list[float]:
    """Time `n` wake-ups: each sends what `prepare` made of a callback, and waits for it to run.

    Only ``send(message)`` to the callback's first line is timed; `prepare` runs before.
    """
    started = [0]
    ran = threading.Event()

    def callback() -> None:
        started[0] = perf_counter_ns()
        ran.set()

    latencies: list[float] = []
    for _ in range(n):
        message = prepare(callback)
        time.sleep(ASLEEP)
        ran.clear()
        before = perf_counter_ns()
        send(message)
        assert ran.wait(JOIN_TIMEOUT)
        latencies.append((started[0] - before) / NS_PER_US)
    return latencies


def _same(fn: Callable[[], None]) -> Callable[[], None]:
    return fn


def _kernel(n: int) -> list[float]:
    runtime = Runtime()
    runtime.boot()
    sender = runtime.command_sender()
    thread = loop_thread(runtime.run, "bench-kernel-run")
    thread.start()
    try:
        return _wakeups(n, lambda fn: ScheduleTask(Task(fn)), sender.send)
    finally:
        sender.send(Shutdown())
        join_loop_thread(thread)


def _asyncio(n: int) -> list[float]:
    loop = asyncio.new_event_loop()
    thread = loop_thread(loop.run_forever, "bench-asyncio-run")
    thread.start()
    try:
        return _wakeups(n, _same, loop.call_soon_threadsafe)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        join_loop_thread(thread)
        loop.close()
