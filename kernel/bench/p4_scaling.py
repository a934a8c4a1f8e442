"""P4: the wheel's scaling, per-operation cost at 1,000,000 pending against the same at 1,000."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from kernel.bench import timers
from kernel.bench.runner import Row, alternate

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

PENDING: Final = 1_000_000
QUICK_PENDING: Final = 10_000
SMALL: Final = 1_000
"""The anchor's size: a wheel this small fits in the CPU caches."""
SMALL_REPEAT: Final = 100
"""1,000-timer loads per anchor sample, so it lasts as long as a timer's resolution allows."""
WARMUP_PENDING: Final = 10_000
ROUNDS: Final = 3
"""Three rounds: one 1M-timer sample takes about four seconds."""
GOAL: Final = 1.5
OPERATIONS: Final = ("schedule", "cancel", "fire")


def measure(settings: Settings) -> list[Row]:
    """Schedule, cancel and fire cost per timer with N pending ÷ the same with 1,000 pending.

    Both sides run `timers.kernel_sample`: N timers within 0.2 s, a random half cancelled, the
    rest fired in one tick. The small side repeats a 1,000-timer load `SMALL_REPEAT` times per
    sample. Heap-based loops grow 5-15x over this range (see the plot in docs/performance.md).
    """
    n = settings.size(PENDING, QUICK_PENDING)
    small = timers.load(SMALL)
    repeat = settings.size(SMALL_REPEAT, 1)
    big, anchor = alternate(
        [lambda: timers.kernel_sample(timers.load(n)), lambda: timers.kernel_sample(small, repeat)],
        settings,
        f"P4 wheel at {n:,} vs {SMALL:,} pending",
        rounds=ROUNDS,
        warmup=[
            lambda: timers.kernel_sample(timers.load(min(n, WARMUP_PENDING))),
            lambda: timers.kernel_sample(small),
        ],
    )
    return [
        Row(
            id=f"P4 {op}",
            workload=f"wheel scaling: {op} at {n:,} pending vs at {SMALL:,} [ns per {op}]",
            unit="ns",
            kernel=big[op],
            anchor=anchor[op],
            goal=GOAL,
        )
        for op in OPERATIONS
    ]
