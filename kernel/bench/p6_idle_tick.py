"""P6: an idle `Runtime.tick()` (nothing to do), against a plain Python function call."""

from __future__ import annotations

from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel import Runtime
from kernel.bench.runner import Row, alternate, noop, per_op

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

CALLS: Final = 300_000
"""Calls per sample (the anchor script's size): a few milliseconds for the plain calls."""
QUICK_CALLS: Final = 10_000
GOAL: Final = 20.0


def measure(settings: Settings) -> list[Row]:
    """Per call, loop included on both sides: ``rt.tick()`` on a booted runtime with nothing
    queued or pending, against ``fn()`` for a no-op function."""
    n = settings.size(CALLS, QUICK_CALLS)
    kernel, anchor = alternate([lambda: _tick(n), lambda: _call(n)], settings, "P6 idle tick")
    return [
        Row(
            id="P6",
            workload="idle tick() vs a plain function call [ns per call]",
            unit="ns",
            kernel=kernel["call"],
            kernel_rounds=kernel.rounds["call"],
            anchor=anchor["call"],
            anchor_rounds=anchor.rounds["call"],
            goal=GOAL,
        )
    ]


def _tick(n: int) -> dict[str, float]:
    runtime = Runtime()
    runtime.boot()
    tick = runtime.tick
    start = perf_counter_ns()
    for _ in range(n):
        tick()
    end = perf_counter_ns()
    assert runtime.stats().ticks == n
    return {"call": per_op(start, end, n)}


def _call(n: int) -> dict[str, float]:
    fn = noop
    start = perf_counter_ns()
    for _ in range(n):
        fn()
    end = perf_counter_ns()
    return {"call": per_op(start, end, n)}
