"""Latency helpers shared by the wake-up workloads (P7S, P10, P11): time cross-thread wake-ups
one at a time and summarise them as rows (median and 99th percentile)."""

from __future__ import annotations

import statistics
import threading
import time
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel.bench.runner import JOIN_TIMEOUT, Row, alternate

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = [
    "ASLEEP",
    "JOIN_TIMEOUT",
    "Probe",
    "alternate_latencies",
    "p99",
    "record",
    "rows",
    "timed_wakeups",
]

ASLEEP: Final = 0.002
"""Seconds between wake-ups: enough for the loop to finish the last one and block again."""
NS_PER_US: Final = 1_000
P99: Final = 99


class Probe:
    """The callback under test: records when it ran and tells the timing thread."""

    def __init__(self) -> None:
        self.started = 0
        self.ran = threading.Event()

    def hit(self) -> None:
        """The callback's first line: the end of the measured span."""
        self.started = perf_counter_ns()
        self.ran.set()


def timed_wakeups(n: int, probe: Probe, prepare: Callable[[], Callable[[], object]]) -> list[float]:
    """Time `n` wake-ups of a sleeping loop, from just before ``wake()`` to ``probe.hit()``, in µs.

    ``prepare()`` makes each ``wake`` callable before the timed span (as P7 builds its command).
    """
    latencies: list[float] = []
    for _ in range(n):
        wake = prepare()
        time.sleep(ASLEEP)
        probe.ran.clear()
        before = perf_counter_ns()
        wake()
        if not probe.ran.wait(JOIN_TIMEOUT):
            msg = "the loop did not wake up"
            raise RuntimeError(msg)
        latencies.append((probe.started - before) / NS_PER_US)
    return latencies


def alternate_latencies(
    settings: Settings,
    label: str,
    kernel_side: Callable[[int], list[float]],
    anchor_side: Callable[[int], list[float]],
    n: int,
    warmup_n: int,
) -> tuple[list[float], list[float]]:
    """Run `kernel_side(n)` and `anchor_side(n)` in alternating rounds (after a `warmup_n`
    warm-up of each); return every latency of every round, kernel's then the anchor's."""
    kernel: list[float] = []
    anchor: list[float] = []
    alternate(
        [lambda: record(kernel, kernel_side(n)), lambda: record(anchor, anchor_side(n))],
        settings,
        label,
        warmup=[
            lambda: record([], kernel_side(warmup_n)),
            lambda: record([], anchor_side(warmup_n)),
        ],
    )
    return kernel, anchor


def p99(values: list[float]) -> float:
    """The 99th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[P99 - 1]


def record(pool: list[float], latencies: list[float]) -> dict[str, float]:
    """Keep every latency in `pool` (for the percentiles); return the round's median."""
    pool.extend(latencies)
    return {"median": statistics.median(latencies)}


def rows(
    row_id: str, what: str, kernel: list[float], anchor: list[float], goal: float
) -> list[Row]:
    """A median row and a p99 row over every latency of every round."""
    return [
        Row(
            id=f"{row_id} {label}",
            workload=f"{what}, {label} of {len(kernel)} [us]",
            unit="us",
            kernel=stat(kernel),
            anchor=stat(anchor),
            goal=goal,
        )
        for label, stat in (("median", statistics.median), ("p99", p99))
    ]
