"""P12: tasks and timers driven by `kernel.hosts.asyncio.drive` inside asyncio, against `rt.run()`."""

from __future__ import annotations

import asyncio
import importlib
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel import Runtime, RuntimeConfig
from kernel.bench.runner import Row, alternate, per_op
from kernel.hosts.asyncio import drive

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = ["measure"]

CHAINS: Final = 16
"""Task chains running side by side: one default batch (16) of tasks in every tick."""
STEPS: Final = 3_000
"""Tasks per chain: each task schedules the next, as work that spawns work does."""
QUICK_STEPS: Final = 50
TIMERS: Final = 1_000
"""Zero-delay timers scheduled up front: they fire in the first ticks after the first ms."""
QUICK_TIMERS: Final = 50
GOAL: Final = 1.5


def measure(settings: Settings) -> list[Row]:
    """The same workload, started from a booted runtime, until its `ShutdownReport` is back.

    16 chains of tasks (each task schedules the next; the last one of all shuts the runtime
    down) and a burst of zero-delay timers, on the real clock with the default config. The
    kernel side awaits ``drive(rt)`` in a fresh asyncio loop (one tick per asyncio callback, so
    other asyncio tasks could run between ticks); the anchor calls ``rt.run()``. Per callback
    (task or timer). An informational row repeats the kernel side on uvloop when it is installed.
    """
    steps = settings.size(STEPS, QUICK_STEPS)
    timers = settings.size(TIMERS, QUICK_TIMERS)
    callbacks = CHAINS * steps + timers
    sides = [lambda: _drive(steps, timers, asyncio.new_event_loop), lambda: _run(steps, timers)]
    uvloop = _uvloop_factory()
    if uvloop is not None:
        sides.append(lambda: _drive(steps, timers, uvloop))
    results = alternate(sides, settings, "P12 drive() in asyncio vs run()")
    workload = "tasks and timers: drive(rt) in {} vs rt.run() [ns per callback, {:,} callbacks]"
    rows = [
        Row(
            id="P12",
            workload=workload.format("asyncio", callbacks),
            unit="ns",
            kernel=results[0]["callback"],
            anchor=results[1]["callback"],
            goal=GOAL,
        )
    ]
    if uvloop is not None:
        rows.append(
            Row(
                id="P12 uvloop",
                workload=workload.format("uvloop", callbacks),
                unit="ns",
                kernel=results[2]["callback"],
                anchor=results[1]["callback"],
                goal=None,
            )
        )
    return rows


def _uvloop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def _workload(steps: int, timers: int) -> Runtime:
    """A booted runtime holding the workload; the last callback to run shuts it down."""
    runtime = Runtime(RuntimeConfig(max_timers=timers + 1))
    runtime.boot()
    left = [CHAINS * steps + timers]

    def done() -> None:
        left[0] -= 1
        if not left[0]:
            runtime.shutdown()

    def step(remaining: int) -> None:
        done()
        if remaining > 1:
            runtime.schedule_work(step, remaining - 1)

    for _ in range(CHAINS):
        runtime.schedule_work(step, steps)
    for _ in range(timers):
        runtime.schedule_delayed(0.0, done)
    return runtime


def _run(steps: int, timers: int) -> dict[str, float]:
    runtime = _workload(steps, timers)
    start = perf_counter_ns()
    report = runtime.run()
    end = perf_counter_ns()
    assert report.tasks_abandoned == 0
    return {"callback": per_op(start, end, CHAINS * steps + timers)}


def _drive(
    steps: int, timers: int, factory: Callable[[], asyncio.AbstractEventLoop]
) -> dict[str, float]:
    runtime = _workload(steps, timers)

    async def timed() -> dict[str, float]:
        start = perf_counter_ns()
        report = await drive(runtime)
        end = perf_counter_ns()
        assert report.tasks_abandoned == 0
        return {"callback": per_op(start, end, CHAINS * steps + timers)}

    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(timed())
