"""P1: one task, `Runtime.schedule_work` plus its share of `tick()`, against asyncio `call_soon`."""

from __future__ import annotations

import asyncio
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel import Runtime, RuntimeConfig
from kernel.bench.runner import Row, alternate, noop, per_op

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

TASKS: Final = 200_000
"""Tasks per sample: about 0.1 s a side, long enough to drown the timer's resolution."""
QUICK_TASKS: Final = 2_000
LARGE_BATCH: Final = 1024
"""The informational row's batch size: how much of P1 is the per-tick overhead."""
DEFAULT_BATCH: Final = RuntimeConfig().batch_size
"""The main row's batch size: the default config's (16)."""
GOAL: Final = 0.5


def measure(settings: Settings) -> list[Row]:
    """Queue N no-op tasks, then tick until all ran; per task, against asyncio.

    The kernel side uses the default `RuntimeConfig` except a work queue of N, so every task is
    queued first and then run 16 (``batch_size``) per tick; a second row shows a 1024-task batch.
    The anchor is N ``loop.call_soon(fn)`` calls followed by one ``run_forever`` that runs them.
    """
    n = settings.size(TASKS, QUICK_TASKS)
    kernel, large, anchor = alternate(
        [
            lambda: _kernel(n, DEFAULT_BATCH),
            lambda: _kernel(n, LARGE_BATCH),
            lambda: _asyncio(n),
        ],
        settings,
        "P1 schedule_work + tick",
    )
    workload = "one task: schedule_work + its share of tick() [ns per task, batch_size={}]"
    return [
        Row(
            id="P1",
            workload=workload.format(DEFAULT_BATCH),
            unit="ns",
            kernel=kernel["task"],
            kernel_rounds=kernel.rounds["task"],
            anchor=anchor["task"],
            anchor_rounds=anchor.rounds["task"],
            goal=GOAL,
        ),
        Row(
            id="P1 info",
            workload=workload.format(LARGE_BATCH),
            unit="ns",
            kernel=large["task"],
            kernel_rounds=large.rounds["task"],
            anchor=anchor["task"],
            anchor_rounds=anchor.rounds["task"],
            goal=None,
        ),
    ]


def _kernel(n: int, batch_size: int) -> dict[str, float]:
    runtime = Runtime(RuntimeConfig(work_queue_capacity=n, batch_size=batch_size))
    runtime.boot()
    schedule, tick = runtime.schedule_work, runtime.tick
    ticks = range(-(-n // batch_size))
    start = perf_counter_ns()
    for _ in range(n):
        schedule(noop)
    for _ in ticks:
        tick()
    end = perf_counter_ns()
    assert runtime.stats().tasks_executed == n
    return {"task": per_op(start, end, n)}


def _asyncio(n: int) -> dict[str, float]:
    loop = asyncio.new_event_loop()
    try:
        call_soon = loop.call_soon
        start = perf_counter_ns()
        for _ in range(n):
            call_soon(noop)
        call_soon(loop.stop)
        loop.run_forever()
        end = perf_counter_ns()
    finally:
        loop.close()
    return {"task": per_op(start, end, n)}
