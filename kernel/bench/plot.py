"""``python -m kernel.bench --plot FILE``: per-operation cost against pending timers, as a PNG.

Runs the timer workload of `kernel.bench.timers` for kernel, asyncio and heapq at each size in
`SIZES` (sides alternated, medians of `ROUNDS`), prints the numbers as a Markdown table and draws
one panel per operation (schedule, cancel, fire) on log-log axes. Needs matplotlib, the optional
``bench`` extra; nothing else in `kernel.bench` imports it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final, TypeAlias

from kernel.bench import timers
from kernel.bench.runner import alternate

if TYPE_CHECKING:
    from kernel.bench.runner import Sample, Settings

__all__ = ["SIZES", "draw", "sweep"]

SIZES: Final = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES: Final = (1_000, 3_000)
ROUNDS: Final = 5
LARGE_ROUNDS: Final = 3
"""Three rounds at 1M timers, where one round of the three sides takes about fifteen seconds."""
SAMPLE_TIMERS: Final = 20_000
"""Kernel and heapq samples repeat a small load until they handle this many timers (asyncio's
cannot: each repetition waits for its deadlines in real time)."""
WARMUP_PENDING: Final = 10_000
"""The warm-up runs at most this many timers."""
OPERATIONS: Final = ("schedule", "cancel", "fire")
SIDES: Final = ("kernel", "asyncio", "heapq")
Sweep: TypeAlias = dict[str, dict[str, list[float]]]
"""``{side: {operation: [ns per op at each size]}}``."""


def sweep(settings: Settings) -> tuple[tuple[int, ...], Sweep]:
    """Measure every side at every size; return the sizes and the medians."""
    sizes = QUICK_SIZES if settings.quick else SIZES
    result: Sweep = {side: {op: [] for op in OPERATIONS} for side in SIDES}
    for n in sizes:
        medians = alternate(
            _samples(timers.load(n)),
            settings,
            f"plot: {n:,} pending",
            rounds=ROUNDS if n < max(SIZES) else LARGE_ROUNDS,
            warmup=_samples(timers.load(min(n, WARMUP_PENDING))),
        )
        for side, values in zip(SIDES, medians, strict=True):
            for op in OPERATIONS:
                result[side][op].append(values[op])
    return sizes, result


def _samples(load: timers.TimerLoad) -> list[Sample]:
    repeat = max(1, SAMPLE_TIMERS // len(load.delays))
    return [
        functools.partial(timers.kernel_sample, load, repeat),
        functools.partial(timers.asyncio_sample, load),
        functools.partial(timers.heapq_sample, load, repeat),
    ]


def draw(path: str, settings: Settings) -> None:
    """Run `sweep`, print its table, and save the three-panel plot to `path`."""
    import matplotlib  # the optional dependency, imported only here

    matplotlib.use("Agg")
    from matplotlib import pyplot

    sizes, result = sweep(settings)
    print("| side | operation | " + " | ".join(f"{n:,}" for n in sizes) + " |")
    print("|---|---|" + "--:|" * len(sizes))
    for side in SIDES:
        for op in OPERATIONS:
            cells = " | ".join(f"{v:,.0f}" for v in result[side][op])
            print(f"| {side} | {op} | {cells} |")
    figure, axes = pyplot.subplots(1, len(OPERATIONS), figsize=(13, 4.2), sharey=True)
    for axis, op in zip(axes, OPERATIONS, strict=True):
        for side, style in zip(SIDES, ("o-", "s--", "^:"), strict=True):
            axis.plot(sizes, result[side][op], style, label=side)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_title(f"{op} (ns per timer)")
        axis.set_xlabel("pending timers")
        axis.grid(visible=True, which="both", alpha=0.3)
    axes[0].set_ylabel("ns per operation")
    axes[0].legend()
    figure.suptitle("Per-operation cost against pending timers (half cancelled, rest fired)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
