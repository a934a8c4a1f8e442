"""P8R: P8's idle CPU with a reader registered, so `run()` sleeps in its selector."""

from __future__ import annotations

import socket
import threading
import time
from typing import TYPE_CHECKING, Final

from kernel import Runtime, Shutdown
from kernel.bench.runner import Row, alternate, noop

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]

WAIT: Final = 2.0
"""Seconds `run()` waits before it is told to shut down (as P8)."""
QUICK_WAIT: Final = 0.1
TIMER_DELAY: Final = 10.0
"""The pending timer's delay: far beyond the wait, so `run()` can only sleep."""
JOIN_TIMEOUT: Final = 10.0
ROUNDS: Final = 1
GOAL: Final = 0.02


def measure(settings: Settings) -> list[Row]:
    """Process CPU time over wall time while ``rt.run()`` waits in the selector.

    As P8, plus a reader on a socketpair that never becomes readable.
    """
    wait = settings.size(WAIT, QUICK_WAIT)
    (sample,) = alternate(
        [lambda: _idle(wait)],
        settings,
        "P8R idle CPU (selector)",
        rounds=ROUNDS,
        warmup=[lambda: _idle(QUICK_WAIT)],
    )
    return [
        Row(
            id="P8R",
            workload=(
                f"CPU while run() waits {wait:g} s in the selector (an idle reader)"
                f" for a timer {TIMER_DELAY:g} s away [CPU s vs wall s]"
            ),
            unit="s",
            kernel=sample["cpu"],
            anchor=sample["wall"],
            goal=GOAL,
        )
    ]


def _idle(wait: float) -> dict[str, float]:
    here, there = socket.socketpair()
    runtime = Runtime()
    runtime.boot()
    runtime.add_reader(here, noop)
    runtime.schedule_delayed(TIMER_DELAY, noop)
    sender = runtime.command_sender()
    thread = threading.Thread(target=runtime.run, name="bench-kernel-idle-reader")
    cpu, wall = time.process_time(), time.perf_counter()
    thread.start()
    time.sleep(wait)
    sender.send(Shutdown())
    thread.join(JOIN_TIMEOUT)
    result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    here.close()
    there.close()
    return result
