"""P5: one queued event dispatched to 1 and to 5 handlers, against blinker's `Signal.send`."""

from __future__ import annotations

import functools
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

import blinker

from kernel import Event, EventResult, Runtime
from kernel.bench.runner import Row, alternate, per_op

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.bench.runner import Settings

__all__ = ["measure"]

EVENTS: Final = 50_000
"""Events per sample: about 0.1 s a side."""
QUICK_EVENTS: Final = 1_000
HANDLER_COUNTS: Final = (1, 5)
GOAL: Final = 1.0


class Keystroke(Event):
    """The event dispatched: a plain `Event` at the default priority."""


def measure(settings: Settings) -> list[Row]:
    """Per event: ``rt.queue_event(ev)`` and the ``rt.tick()`` that dispatches it, vs blinker.

    The kernel side subscribes k no-op handlers on the runtime's bus, then queues one event and
    ticks, N times. The anchor sends the same event through a blinker `Signal` with k no-op
    receivers connected strongly (``weak=False``), N times.
    """
    n = settings.size(EVENTS, QUICK_EVENTS)
    rows = []
    for k in HANDLER_COUNTS:
        kernel, anchor = alternate(
            [functools.partial(_kernel, n, k), functools.partial(_blinker, n, k)],
            settings,
            f"P5 event to {k} handler(s)",
        )
        rows.append(
            Row(
                id=f"P5 x{k}",
                workload=f"queue_event + tick, dispatched to {k} handler(s) [ns per event]",
                unit="ns",
                kernel=kernel["event"],
                kernel_rounds=kernel.rounds["event"],
                anchor=anchor["event"],
                anchor_rounds=anchor.rounds["event"],
                goal=GOAL,
            )
        )
    return rows


def _handlers(k: int) -> list[Callable[[Keystroke], EventResult | None]]:
    def make() -> Callable[[Keystroke], EventResult | None]:
        def handler(event: Keystroke) -> EventResult | None:
            return None

        return handler

    return [make() for _ in range(k)]


def _kernel(n: int, k: int) -> dict[str, float]:
    runtime = Runtime()
    runtime.boot()
    for handler in _handlers(k):
        runtime.event_bus.subscribe(Keystroke, handler)
    queue_event, tick = runtime.queue_event, runtime.tick
    event = Keystroke()
    start = perf_counter_ns()
    for _ in range(n):
        queue_event(event)
        tick()
    end = perf_counter_ns()
    assert runtime.stats().events_dispatched == n
    return {"event": per_op(start, end, n)}


def _blinker(n: int, k: int) -> dict[str, float]:
    signal = blinker.Signal()
    for handler in _handlers(k):
        signal.connect(handler, weak=False)  # blinker calls receiver(sender): here, the event
    send = signal.send
    event = Keystroke()
    start = perf_counter_ns()
    for _ in range(n):
        send(event)
    end = perf_counter_ns()
    return {"event": per_op(start, end, n)}
