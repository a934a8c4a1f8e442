"""P8R: P8's idle CPU with a reader registered, so `run()` sleeps in its selector."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.bench.p8_idle_cpu import GOAL, QUICK_WAIT, ROUNDS, TIMER_DELAY, WAIT, idle_episode
from kernel.bench.runner import Row, alternate

if TYPE_CHECKING:
    from kernel.bench.runner import Settings

__all__ = ["measure"]


def measure(settings: Settings) -> list[Row]:
    """Process CPU time over wall time while ``rt.run()`` waits in the selector.

    As P8 (`kernel.bench.p8_idle_cpu`), plus a reader on a socketpair that never becomes
    readable.
    """
    wait = settings.size(WAIT, QUICK_WAIT)
    (sample,) = alternate(
        [lambda: idle_episode(wait, with_reader=True)],
        settings,
        "P8R idle CPU (selector)",
        rounds=ROUNDS,
        warmup=[lambda: idle_episode(QUICK_WAIT, with_reader=True)],
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
