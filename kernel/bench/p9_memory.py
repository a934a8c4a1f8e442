"""P9: memory per pending one-shot timer, against an asyncio `TimerHandle`."""

from __future__ import annotations

import asyncio
import random
import tracemalloc
from typing import TYPE_CHECKING, Final

from kernel import Runtime, RuntimeConfig
from kernel.bench.runner import Row, alternate, noop

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from kernel.bench.runner import Settings

__all__ = ["measure"]

TIMERS: Final = 100_000
QUICK_TIMERS: Final = 2_000
MAX_DELAY: Final = 3600.0
"""Delays up to an hour: the timers spread over four wheel levels, as an editor's would."""
SEED: Final = 9
ROUNDS: Final = 3
"""Allocation sizes barely vary between rounds; three confirm it."""
GOAL: Final = 1.0


def measure(settings: Settings) -> list[Row]:
    """Bytes that `tracemalloc` sees allocated and still held after scheduling N timers, per timer.

    The kernel side schedules with ``rt.schedule_delayed(delay, fn)`` on a runtime whose
    ``max_timers`` is N; the anchor with ``loop.call_later(delay, fn)``. Neither keeps the
    handles: what is counted is what the runtime or the loop holds for a pending timer (the
    handle, its index and its place in the wheel or the heap). The runtime or loop itself is
    made before tracing starts.
    """
    n = settings.size(TIMERS, QUICK_TIMERS)
    rng = random.Random(SEED)
    delays = [rng.random() * MAX_DELAY for _ in range(n)]
    kernel, anchor = alternate(
        [lambda: _kernel(delays), lambda: _asyncio(delays)], settings, "P9 memory", rounds=ROUNDS
    )
    return [
        Row(
            id="P9",
            workload=f"memory per pending one-shot timer, {n:,} timers [bytes per timer]",
            unit="bytes",
            kernel=kernel["bytes"],
            kernel_rounds=kernel.rounds["bytes"],
            anchor=anchor["bytes"],
            anchor_rounds=anchor.rounds["bytes"],
            goal=GOAL,
        )
    ]


def _kernel(delays: Sequence[float]) -> dict[str, float]:
    runtime = Runtime(RuntimeConfig(max_timers=len(delays)))
    runtime.boot()
    result = _traced(runtime.schedule_delayed, delays)
    assert len(runtime.timer_wheel) == len(delays)
    return result


def _asyncio(delays: Sequence[float]) -> dict[str, float]:
    loop = asyncio.new_event_loop()
    try:
        return _traced(loop.call_later, delays)
    finally:
        loop.close()


def _traced(
    schedule: Callable[[float, Callable[[], None]], object], delays: Sequence[float]
) -> dict[str, float]:
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for delay in delays:
            schedule(delay, noop)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return {"bytes": (after - before) / len(delays)}
