"""P14: P1, P5 and P6 with one ``after_tick`` instrument, and with the stall watchdog on, against
the same workload with neither (same run)."""

from __future__ import annotations

import functools
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel import Event, Runtime, RuntimeConfig, TickReport
from kernel.bench.runner import Row, alternate, noop, per_op

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = ["measure"]

TASKS: Final = 100_000
"""P1 tasks per sample (half of P1's: three sides to time)."""
EVENTS: Final = 50_000
"""P5 events per sample."""
TICKS: Final = 300_000
"""P6 idle ticks per sample."""
QUICK: Final = 2_000
STALL_THRESHOLD: Final = 1.0
"""The watchdog's threshold: far above any callback here, so it samples and never reports."""
GOAL: Final = 1.10
MODES: Final = ("plain", "after_tick", "watchdog")


class _TickCounter:
    """The instrument measured: it defines only ``after_tick`` and does as little as it can."""

    __slots__ = ("ticks",)

    def __init__(self) -> None:
        self.ticks = 0

    def after_tick(self, report: TickReport) -> None:
        self.ticks += 1


class _Keystroke(Event):
    """P5's event."""


def _runtime(mode: str, work_queue_capacity: int = RuntimeConfig().work_queue_capacity) -> Runtime:
    threshold = STALL_THRESHOLD if mode == "watchdog" else None
    runtime = Runtime(
        RuntimeConfig(stall_threshold=threshold, work_queue_capacity=work_queue_capacity)
    )
    if mode == "after_tick":
        runtime.add_instrument(_TickCounter())
    runtime.boot()
    return runtime


def _p1(n: int, mode: str) -> dict[str, float]:
    runtime = _runtime(mode, work_queue_capacity=n)
    schedule, tick = runtime.schedule_work, runtime.tick
    ticks = range(-(-n // runtime.config.batch_size))
    start = perf_counter_ns()
    for _ in range(n):
        schedule(noop)
    for _ in ticks:
        tick()
    end = perf_counter_ns()
    runtime.close()
    assert runtime.stats().tasks_executed == n
    return {"op": per_op(start, end, n)}


def _p5(n: int, mode: str) -> dict[str, float]:
    runtime = _runtime(mode)
    runtime.event_bus.subscribe(_Keystroke, lambda event: None)
    queue_event, tick = runtime.queue_event, runtime.tick
    event = _Keystroke()
    start = perf_counter_ns()
    for _ in range(n):
        queue_event(event)
        tick()
    end = perf_counter_ns()
    runtime.close()
    assert runtime.stats().events_dispatched == n
    return {"op": per_op(start, end, n)}


def _p6(n: int, mode: str) -> dict[str, float]:
    runtime = _runtime(mode)
    tick = runtime.tick
    start = perf_counter_ns()
    for _ in range(n):
        tick()
    end = perf_counter_ns()
    runtime.close()
    return {"op": per_op(start, end, n)}


_WORKLOADS: Final[dict[str, tuple[Callable[[int, str], dict[str, float]], int, str]]] = {
    "P1": (_p1, TASKS, "one task: schedule_work + its share of tick() [ns per task]"),
    "P5": (_p5, EVENTS, "queue_event + tick to 1 handler [ns per event]"),
    "P6": (_p6, TICKS, "idle tick() [ns per tick]"),
}


def measure(settings: Settings) -> list[Row]:
    """Each workload on three runtimes timed alternately: plain, with one ``after_tick``
    instrument, with ``stall_threshold`` set; a row per instrumented side, against plain."""
    rows = []
    for workload, (sample, full, text) in _WORKLOADS.items():
        n = settings.size(full, QUICK)
        plain, instrumented, watched = alternate(
            [functools.partial(sample, n, mode) for mode in MODES],
            settings,
            f"P14 {workload}",
        )
        for mode, side in (("after_tick", instrumented), ("watchdog", watched)):
            rows.append(
                Row(
                    id=f"P14 {workload} {mode}",
                    workload=f"{text}, {mode} vs none",
                    unit="ns",
                    kernel=side["op"],
                    kernel_rounds=side.rounds["op"],
                    anchor=plain["op"],
                    anchor_rounds=plain.rounds["op"],
                    goal=GOAL,
                )
            )
    return rows
