"""P3: the cost of firing one live timer with 1,000,000 pending, against asyncio."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from kernel.bench import timers
from kernel.bench.runner import Row, alternate

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

PENDING: Final = 1_000_000
QUICK_PENDING: Final = 5_000
WARMUP_PENDING: Final = 10_000
"""The warm-up runs a small load: a 1M-timer asyncio sample takes seconds."""
ROUNDS: Final = 3
"""Three rounds: a round of both sides takes about ten seconds at 1M timers."""
GOAL: Final = 0.25


def measure(settings: Settings) -> list[Row]:
    """Fire cost per live timer: N timers within 0.2 s, half cancelled at random, all due.

    The kernel side (`timers.kernel_sample`) jumps a `ManualClock` past every deadline and times
    the one tick that fires the survivors and runs their tasks; the asyncio side sleeps (untimed)
    until every deadline has passed and times the one loop iteration that runs them.
    """
    n = settings.size(PENDING, QUICK_PENDING)
    small = timers.load(min(n, WARMUP_PENDING))
    kernel, anchor = alternate(
        [
            lambda: timers.kernel_sample(timers.load(n)),
            lambda: timers.asyncio_sample(timers.load(n)),
        ],
        settings,
        f"P3 fire with {n:,} pending",
        rounds=ROUNDS,
        warmup=[lambda: timers.kernel_sample(small), lambda: timers.asyncio_sample(small)],
    )
    return [
        Row(
            id="P3",
            workload=f"fire one live timer, {n:,} pending, half cancelled [ns per fired timer]",
            unit="ns",
            kernel=kernel["fire"],
            kernel_rounds=kernel.rounds["fire"],
            anchor=anchor["fire"],
            anchor_rounds=anchor.rounds["fire"],
            goal=GOAL,
        )
    ]
