"""``python -m kernel``: a runnable example, an editor session in a little over a second.

Keystrokes arrive as events; each one re-arms a 0.3 s debounce timer that "saves" the buffer once
typing pauses; a periodic timer redraws a status line; a pause of 0.4 s lets the save happen, and
the session ends with a graceful shutdown and its report. Pass ``--virtual`` to run it on a
`kernel.testing.ManualClock` instead: the same timeline, instantly.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernel import (
    Clock,
    Event,
    EventResult,
    HandlerContext,
    MonotonicClock,
    Priority,
    Runtime,
    ShutdownReport,
)
from kernel.testing import ManualClock

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["KeyPressed", "main", "run_session"]

TYPED = "hello, kernel"
KEY_INTERVAL = 0.05  # seconds between keystrokes while typing
PAUSE_AFTER = 5  # the typist pauses after this many keys
PAUSE = 0.4  # long enough for the 0.3 s debounce to fire
DEBOUNCE = 0.3


@dataclass
class KeyPressed(Event):
    """One keystroke; keys outrank the default priority so input is never starved."""

    char: str
    priority: int = Priority.HIGH


def run_session(clock: Clock, say: Callable[[str], None]) -> ShutdownReport:
    """Run the example session on `clock`, reporting each step through `say`."""
    runtime = Runtime(clock=clock)
    start = clock.now()
    buffer: list[str] = []

    def stamp(text: str) -> None:
        say(f"[{clock.now() - start:5.2f}s] {text}")

    def save() -> None:
        stamp(f"saved {''.join(buffer)!r}")

    debounce = runtime.schedule_delayed(DEBOUNCE, save, name="save")
    debounce.cancel()  # armed by the first key

    def on_key(event: KeyPressed, ctx: HandlerContext) -> EventResult:
        nonlocal debounce
        buffer.append(event.char)
        # Push the save back; once it has fired (or before the first key) it is no longer
        # pending, reset() says so, and a new timer takes over.
        if not debounce.reset(DEBOUNCE):
            debounce = runtime.schedule_delayed(DEBOUNCE, save, name="save")
        ctx.request_render()
        return EventResult.HANDLED

    runtime.event_bus.subscribe_with_context(KeyPressed, on_key)

    def status() -> None:
        if runtime.take_render_pending():
            stamp(f"status: {len(buffer)} chars")

    runtime.schedule_periodic(0.25, status, name="status")

    at = 0.0
    for index, char in enumerate(TYPED):
        at += PAUSE if index == PAUSE_AFTER else KEY_INTERVAL
        runtime.schedule_delayed(at, runtime.queue_event, KeyPressed(char), priority=Priority.HIGH)
    runtime.schedule_delayed(at + DEBOUNCE + 0.1, runtime.shutdown, name="quit")

    runtime.boot()
    report = runtime.run()
    stats = runtime.stats()
    stamp(
        f"stopped: {stats.tasks_executed} tasks run, {stats.events_dispatched} events"
        f" dispatched, {report.timers_cancelled} timer(s) cancelled at the stop"
    )
    return report


def main(argv: list[str] | None = None) -> int:
    """Run the example; ``--virtual`` uses a ManualClock."""
    args = sys.argv[1:] if argv is None else argv
    clock: Clock = ManualClock() if "--virtual" in args else MonotonicClock()
    run_session(clock, print)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
