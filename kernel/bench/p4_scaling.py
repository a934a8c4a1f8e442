"""P4: the wheel's scaling, per-operation cost at 1,000,000 pending against the same at 1,000.

Both sizes are measured net of the harness: at a million handles, merely reaching a random one
(the list cell, then the handle's own memory) costs about twice a whole cancel among 1,000, so the
raw ratio mostly measures the machine's memory. Each sample also times the harness (`timers`
module: the same loops with a no-op function in place of the kernel call, on the same handles in
the same order) and the goal applies to ``(op - harness) at 1M / (op - harness) at 1k``; the raw
ratio is reported beside it.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Final

from kernel.bench import timers
from kernel.bench.runner import Row, alternate

if TYPE_CHECKING:
    from kernel.bench.runner import Settings, Side

__all__ = ["measure"]

PENDING: Final = 1_000_000
QUICK_PENDING: Final = 10_000
SMALL: Final = 1_000
"""The anchor's size: a wheel this small fits in the CPU caches."""
SMALL_REPEAT: Final = 100
"""1,000-timer loads per anchor sample, so it lasts as long as a timer's resolution allows."""
WARMUP_PENDING: Final = 10_000
ROUNDS: Final = 3
"""Three rounds: one 1M-timer sample takes about five seconds, its harness included."""
GOAL: Final = 1.5


def measure(settings: Settings) -> list[Row]:
    """Schedule, cancel and fire cost per timer with N pending ÷ the same with 1,000 pending.

    Both sides run `timers.kernel_sample` with its harness: N timers within 0.2 s, a random half
    cancelled, the rest fired in one tick. The small side repeats a 1,000-timer load
    `SMALL_REPEAT` times per sample. Two rows per operation: ``P4 <op>`` net of the harness (the
    goal), ``P4 <op> raw`` without subtracting it. Heap-based loops grow 5-15x over this range
    (see the plot in docs/performance.md).
    """
    n = settings.size(PENDING, QUICK_PENDING)
    small = timers.load(SMALL)
    repeat = settings.size(SMALL_REPEAT, 1)
    big, anchor = alternate(
        [
            lambda: timers.kernel_sample(timers.load(n), harness=True),
            lambda: timers.kernel_sample(small, repeat, harness=True),
        ],
        settings,
        f"P4 wheel at {n:,} vs {SMALL:,} pending",
        rounds=ROUNDS,
        warmup=[
            lambda: timers.kernel_sample(timers.load(min(n, WARMUP_PENDING)), harness=True),
            lambda: timers.kernel_sample(small, harness=True),
        ],
    )
    rows = []
    for op in timers.OPERATIONS:
        net_big, net_small = _net(big, op), _net(anchor, op)
        rows += [
            Row(
                id=f"P4 {op}",
                workload=f"wheel scaling: {op} at {n:,} vs {SMALL:,} pending, net of the harness"
                f" [ns per {op}]",
                unit="ns",
                kernel=_median(net_big),
                kernel_rounds=net_big,
                anchor=_median(net_small),
                anchor_rounds=net_small,
                goal=GOAL,
            ),
            Row(
                id=f"P4 {op} raw",
                workload=f"wheel scaling: {op} at {n:,} vs {SMALL:,} pending, harness included"
                f" [ns per {op}]",
                unit="ns",
                kernel=big[op],
                kernel_rounds=big.rounds[op],
                anchor=anchor[op],
                anchor_rounds=anchor.rounds[op],
                goal=None,
            ),
        ]
    return rows


def _net(side: Side, op: str) -> tuple[float, ...]:
    """`op`'s cost minus its harness's, round by round (both come from the same sample)."""
    raw, harness = side.rounds[op], side.rounds[op + timers.HARNESS]
    return tuple(r - h for r, h in zip(raw, harness, strict=True))


def _median(values: tuple[float, ...]) -> float:
    return statistics.median(values)
