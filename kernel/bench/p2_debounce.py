"""P2: a debounce keystroke, cancel the pending timer and arm a new one 0.3 s out, against asyncio."""

from __future__ import annotations

import asyncio
from time import perf_counter_ns
from typing import TYPE_CHECKING, Final

from kernel import Runtime
from kernel.bench.runner import Row, alternate, noop, per_op

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

KEYSTROKES: Final = 100_000
"""Keystrokes per sample (the anchor script's debounce size): about 0.1 s a side."""
QUICK_KEYSTROKES: Final = 2_000
DEBOUNCE: Final = 0.3
"""The debounce delay of an editor's "typing stopped" timer."""
GOAL: Final = 0.5


def measure(settings: Settings) -> list[Row]:
    """Per keystroke: cancel the pending timer and schedule a new one `DEBOUNCE` seconds out.

    The kernel side runs on the default runtime (its real clock) with ``handle.cancel()`` and
    ``rt.schedule_delayed(0.3, fn)``; a second row re-arms the one handle with
    ``handle.reset(0.3)`` instead. The anchor is ``handle.cancel()`` and
    ``loop.call_later(0.3, fn)`` on an asyncio loop. Neither loop runs in between: this is the
    cost of the keystroke's own timer calls.
    """
    n = settings.size(KEYSTROKES, QUICK_KEYSTROKES)
    cancel, reset, anchor = alternate(
        [lambda: _kernel_cancel(n), lambda: _kernel_reset(n), lambda: _asyncio(n)],
        settings,
        "P2 debounce keystroke",
    )
    return [
        Row(
            id="P2",
            workload="debounce keystroke: cancel + schedule_delayed(0.3) [ns per keystroke]",
            unit="ns",
            kernel=cancel["keystroke"],
            kernel_rounds=cancel.rounds["keystroke"],
            anchor=anchor["keystroke"],
            anchor_rounds=anchor.rounds["keystroke"],
            goal=GOAL,
        ),
        Row(
            id="P2 reset",
            workload="debounce keystroke: handle.reset(0.3) [ns per keystroke]",
            unit="ns",
            kernel=reset["keystroke"],
            kernel_rounds=reset.rounds["keystroke"],
            anchor=anchor["keystroke"],
            anchor_rounds=anchor.rounds["keystroke"],
            goal=GOAL,
        ),
    ]


def _kernel_cancel(n: int) -> dict[str, float]:
    runtime = Runtime()
    runtime.boot()
    schedule = runtime.schedule_delayed
    handle = schedule(DEBOUNCE, noop)
    start = perf_counter_ns()
    for _ in range(n):
        handle.cancel()
        handle = schedule(DEBOUNCE, noop)
    end = perf_counter_ns()
    assert len(runtime.timer_wheel) == 1
    return {"keystroke": per_op(start, end, n)}


def _kernel_reset(n: int) -> dict[str, float]:
    runtime = Runtime()
    runtime.boot()
    reset = runtime.schedule_delayed(DEBOUNCE, noop).reset
    start = perf_counter_ns()
    for _ in range(n):
        reset(DEBOUNCE)
    end = perf_counter_ns()
    assert len(runtime.timer_wheel) == 1
    return {"keystroke": per_op(start, end, n)}


def _asyncio(n: int) -> dict[str, float]:
    loop = asyncio.new_event_loop()
    try:
        call_later = loop.call_later
        handle = call_later(DEBOUNCE, noop)
        start = perf_counter_ns()
        for _ in range(n):
            handle.cancel()
            handle = call_later(DEBOUNCE, noop)
        end = perf_counter_ns()
    finally:
        loop.close()
    return {"keystroke": per_op(start, end, n)}
