"""The timer workload behind P3, P4 and the plot: fill N timers, cancel half, fire the rest.

One *load* is N delays below `MAX_DELAY` and a random half of the timers to cancel (the anchor
script's section 2). Each sample times, per operation: scheduling all N, cancelling the half, and
firing: the tick (or loop iteration) that runs every survivor once all deadlines have passed,
divided by the survivors. Kernel and heapq run on a virtual clock; asyncio has a real one, so its
sample waits (untimed) until the last deadline has passed and then times one loop iteration.

The kernel sample can also time its *harness* (P4): each operation's loop again with a no-op
function in place of the kernel call, on the same handles in the same order, so the cost of the
loop and of reaching a random one of N handles can be subtracted from the operation's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import heapq
import random
import sys
import time
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from kernel import Runtime, RuntimeConfig
from kernel.bench.runner import noop
from kernel.testing import ManualClock

if TYPE_CHECKING:
    from kernel import TimerHandle

__all__ = [
    "HARNESS",
    "MAX_DELAY",
    "TimerLoad",
    "asyncio_sample",
    "heapq_sample",
    "kernel_sample",
    "load",
]

MAX_DELAY: Final = 0.2
"""Deadlines within 0.2 s (as in the anchor script): 200 wheel ticks, two levels, no overflow."""
SEED: Final = 20261122
"""The anchor script's seed, so both draw the same kind of deadlines."""
HeapEntry: TypeAlias = list[Any]
"""``[deadline, seq, fn or None]``: mutable, so a cancel can clear ``fn`` in place."""
SETTLE: Final = 0.005
"""Extra seconds the asyncio sample sleeps past the last deadline, for the clock's granularity."""
HARNESS: Final = " harness"
"""Suffix of the metric that times an operation's harness: ``"cancel harness"``."""
HARNESS_PASSES: Final = 3
"""Passes of each harness loop per sample, the fastest kept: a stall in one pass must not inflate
the harness (and so make a net cost too small, or negative); the operation only has one pass."""
OPERATIONS: Final = ("schedule", "cancel", "fire")


@dataclasses.dataclass(frozen=True, slots=True)
class TimerLoad:
    """N delays in seconds, the indices of the half to cancel (in cancelling order), and of the
    other half in firing order: by delay, ties by index (the order they were scheduled)."""

    delays: tuple[float, ...]
    cancel: tuple[int, ...]
    fire: tuple[int, ...]

    @property
    def live(self) -> int:
        """Timers left to fire."""
        return len(self.delays) - len(self.cancel)


@functools.cache
def load(n: int) -> TimerLoad:
    """The load of `n` timers (made once per size, outside any timing)."""
    rng = random.Random(SEED)
    delays = tuple(rng.random() * MAX_DELAY for _ in range(n))
    cancel = tuple(rng.sample(range(n), n // 2))
    cancelled = set(cancel)
    live = (index for index in range(n) if index not in cancelled)
    return TimerLoad(delays, cancel, tuple(sorted(live, key=lambda index: delays[index])))


def kernel_sample(timers: TimerLoad, repeat: int = 1, *, harness: bool = False) -> dict[str, float]:
    """Schedule, cancel and fire `timers` on a fresh runtime, `repeat` times; ns per operation.

    The runtime has room for every timer and runs every fired task in the tick that fires it.
    With `harness`, also ``"<operation> harness"``: after each operation, the same loop with a
    no-op in place of the kernel call, on the same handles in the same order (`_harness`).
    """
    n = len(timers.delays)
    config = RuntimeConfig(max_timers=n, work_queue_capacity=n, batch_size=n)
    total = dict.fromkeys(OPERATIONS, 0)
    if harness:
        total.update(dict.fromkeys([op + HARNESS for op in OPERATIONS], 0))
    for _ in range(repeat):
        clock = ManualClock()
        runtime = Runtime(config, clock=clock)
        runtime.boot()
        schedule = runtime.schedule_delayed
        start = perf_counter_ns()
        handles = [schedule(delay, noop) for delay in timers.delays]
        scheduled = perf_counter_ns()
        for index in timers.cancel:
            handles[index].cancel()
        cancelled = perf_counter_ns()
        clock.advance(2 * MAX_DELAY)
        fire_start = perf_counter_ns()
        runtime.tick()
        fire_end = perf_counter_ns()
        assert runtime.stats().tasks_executed == timers.live
        total["schedule"] += scheduled - start
        total["cancel"] += cancelled - scheduled
        total["fire"] += fire_end - fire_start
        if harness:
            for op, ns in _harness(timers, handles).items():
                total[op + HARNESS] += ns
    return _per_op(total, timers, repeat)


def _touch(*_: object) -> None:
    """The harness's stand-in for a kernel call: a no-op Python function.

    Called with a handle, it costs what a no-op method call on the handle would: one frame, and
    the write to the handle's reference count that brings its memory into the cache, the access
    a kernel call on that handle starts with.
    """


def _harness(timers: TimerLoad, handles: list[TimerHandle]) -> dict[str, int]:
    """Each operation's loop with `_touch` for the kernel call; the fastest of `HARNESS_PASSES`.

    Schedule: the same comprehension over the delays. Cancel: the same loop over the same handles
    in the same random order. Fire (one ``tick()`` in the workload): one visit to every fired
    handle in firing order, the least any timer structure must do to run their callbacks.
    """
    touch = _touch
    fired = [handles[index] for index in timers.fire]
    best = dict.fromkeys(OPERATIONS, sys.maxsize)
    for _ in range(HARNESS_PASSES):
        start = perf_counter_ns()
        _ = [touch(delay, noop) for delay in timers.delays]
        scheduled = perf_counter_ns()
        for index in timers.cancel:
            touch(handles[index])
        cancelled = perf_counter_ns()
        for handle in fired:
            touch(handle)
        end = perf_counter_ns()
        for op, ns in zip(
            OPERATIONS, (scheduled - start, cancelled - scheduled, end - cancelled), strict=True
        ):
            best[op] = min(best[op], ns)
    return best


def asyncio_sample(timers: TimerLoad) -> dict[str, float]:
    """``loop.call_later`` N timers, cancel half, fire the rest in one loop iteration."""
    loop = asyncio.new_event_loop()
    try:
        call_later = loop.call_later
        start = perf_counter_ns()
        handles = [call_later(delay, noop) for delay in timers.delays]
        scheduled = perf_counter_ns()
        for index in timers.cancel:
            handles[index].cancel()
        cancelled = perf_counter_ns()
        # Untimed: let every deadline pass, so the timed iteration fires all and never idles.
        time.sleep(max(0.0, max(h.when() for h in handles) - loop.time() + SETTLE))
        loop.call_soon(loop.stop)
        fire_start = perf_counter_ns()
        loop.run_forever()
        fire_end = perf_counter_ns()
    finally:
        loop.close()
    total = {
        "schedule": scheduled - start,
        "cancel": cancelled - scheduled,
        "fire": fire_end - fire_start,
    }
    return _per_op(total, timers, 1)


def heapq_sample(timers: TimerLoad, repeat: int = 1) -> dict[str, float]:
    """A heap of ``[deadline, seq, fn]`` entries (the heapq docs' recipe), `repeat` times: cancel
    sets ``fn`` to None; firing pops every due entry and calls the live ones."""
    total = {"schedule": 0, "cancel": 0, "fire": 0}
    push, pop = heapq.heappush, heapq.heappop
    for _ in range(repeat):
        heap: list[HeapEntry] = []
        entries = []
        now = 0.0
        start = perf_counter_ns()
        for seq, delay in enumerate(timers.delays):
            entry: HeapEntry = [now + delay, seq, noop]
            push(heap, entry)
            entries.append(entry)
        scheduled = perf_counter_ns()
        for index in timers.cancel:
            entries[index][2] = None
        cancelled = perf_counter_ns()
        now += 2 * MAX_DELAY
        fired = 0
        fire_start = perf_counter_ns()
        while heap and heap[0][0] <= now:
            fn = pop(heap)[2]
            if fn is not None:
                fn()
                fired += 1
        fire_end = perf_counter_ns()
        assert fired == timers.live
        total["schedule"] += scheduled - start
        total["cancel"] += cancelled - scheduled
        total["fire"] += fire_end - fire_start
    return _per_op(total, timers, repeat)


def _per_op(total: dict[str, int], timers: TimerLoad, repeat: int) -> dict[str, float]:
    counts = {"schedule": len(timers.delays), "cancel": len(timers.cancel), "fire": timers.live}
    return {
        metric: ns / (counts[metric.removesuffix(HARNESS)] * repeat) for metric, ns in total.items()
    }
