"""P8: the CPU `run()` uses while it waits for a timer 10 s away, as a fraction of wall time."""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Final

from kernel import Runtime, Shutdown
from kernel.bench.runner import Row, alternate, join_loop_thread, loop_thread, noop

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["idle_episode", "measure"]

WAIT: Final = 2.0
"""Seconds `run()` waits before it is told to shut down (PERF.md)."""
QUICK_WAIT: Final = 0.1
TIMER_DELAY: Final = 10.0
"""The pending timer's delay: far beyond the wait, so `run()` can only sleep."""
ROUNDS: Final = 1
"""One two-second round: the figure is CPU against wall time, not against another side."""
GOAL: Final = 0.02


def measure(settings: Settings) -> list[Row]:
    """Process CPU time (`time.process_time`) over wall time while ``rt.run()`` waits.

    A runtime on the real clock holds one timer `TIMER_DELAY` seconds out; ``rt.run()`` starts
    on a thread, the main thread sleeps `WAIT` seconds and then sends `Shutdown`. CPU and wall
    time are taken around the whole episode, thread start and shutdown included.
    """
    wait = settings.size(WAIT, QUICK_WAIT)
    (sample,) = alternate(
        [lambda: idle_episode(wait)],
        settings,
        "P8 idle CPU",
        rounds=ROUNDS,
        warmup=[lambda: idle_episode(QUICK_WAIT)],
    )
    return [
        Row(
            id="P8",
            workload=f"CPU while run() waits {wait:g} s for a timer {TIMER_DELAY:g} s away [CPU s vs wall s]",
            unit="s",
            kernel=sample["cpu"],
            kernel_rounds=sample.rounds["cpu"],
            anchor=sample["wall"],
            anchor_rounds=sample.rounds["wall"],
            goal=GOAL,
        )
    ]


def idle_episode(wait: float, *, with_reader: bool = False) -> dict[str, float]:
    """CPU and wall seconds of one episode: ``rt.run()`` waits `wait` s, then `Shutdown`.

    With `with_reader` (P8R), one end of a socketpair that never becomes readable is watched,
    so ``run()`` sleeps in its selector instead of on the command channel's lock.
    """
    pair = socket.socketpair() if with_reader else None
    runtime = Runtime()
    runtime.boot()
    if pair is not None:
        runtime.add_reader(pair[0], noop)
    runtime.schedule_delayed(TIMER_DELAY, noop)
    sender = runtime.command_sender()
    thread = loop_thread(runtime.run, "bench-kernel-idle")
    cpu, wall = time.process_time(), time.perf_counter()
    thread.start()
    time.sleep(wait)
    sender.send(Shutdown())
    join_loop_thread(thread)
    result = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall}
    if pair is not None:
        for end in pair:
            end.close()
    return result
