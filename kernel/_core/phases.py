"""The phases of a tick, as functions of exactly the parts they touch (docs/architecture.md).

`Runtime.tick()` calls them in the order of SPEC §7; the STOPPING drain reuses them with a budget.
Each handles only what was ready when it began and returns how much it did.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Final

from kernel._core.bus import EventBus, discard_queue, dispatch_batch
from kernel._core.executor import Executor
from kernel._core.timer_handle import fire_run

if TYPE_CHECKING:
    from kernel._core.selector import IoSources
    from kernel._core.signals import SignalHandlers
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.work_queue import WorkQueue

__all__ = [
    "discard_async",
    "dispatch_async",
    "dispatch_events",
    "fire_timers",
    "poll_io",
    "run_tasks",
]


def poll_io(io: IoSources, signals: SignalHandlers) -> int:
    """The first phase of a RUNNING tick: ready readers and writers, then arrived signals.

    The selector is asked without waiting; every ready source's callback runs once, in
    registration order, then the callback of each signal that arrived since the last poll.

    Returns:
        How many callbacks ran.
    """
    return io.poll() + signals.run_pending()


def fire_timers(wheel: TimerWheel, work: WorkQueue, now: float) -> int:
    """Queue the callback of every timer due at `now` as a task with the timer's priority.

    Timers are queued in (exact deadline, scheduling order) order. A fire whose task does not fit
    counts in the work queue's `dropped`; a periodic timer whose previous task has not run yet
    skips the fire and counts it in its `missed_ticks`.

    Returns:
        How many fires queued a task (``timers_fired``).
    """
    before = work.length
    wheel.expire_runs(now, partial(fire_run, work))
    return work.length - before  # nothing leaves the work queue while timers fire


dispatch_events: Final = dispatch_batch
"""``dispatch_events(events, bus, scope, limit) -> int``: the events phase.

Dispatch up to `limit` of the events queued when the call began, in priority order. After each
event, `scope` (the runtime's current scope), if set and not complete, is decremented. Events
queued by the handlers wait for the next call. Once the bus is halted (EMERGENCY), the rest stays
queued. Returns how many events were dispatched. It is `kernel._core.bus.dispatch_batch` itself,
not a wrapper: P5 pays for no extra call (PERF.md).
"""


run_tasks: Final = Executor.run
"""``run_tasks(executor, work, limit) -> int``: the tasks phase.

Run up to `limit` of the tasks queued when the call began, in priority-then-FIFO order.
Cancelled tasks met on the way are skipped without using a slot; tasks the callables queue wait
for the next call; after an emergency stop nothing more runs. Returns how many tasks ran
(returned or raised). It is `Executor.run` itself, not a wrapper: P1 pays for no extra call.
"""

dispatch_async: Final = EventBus.process_queue
"""``dispatch_async(bus, limit=None) -> int``: the async phase.

Dispatch the bus's async queue as it stood when the call began (at most `limit` events); return
how many were dispatched. It is `EventBus.process_queue` itself.
"""


def discard_async(bus: EventBus) -> int:
    """Drop every event in the bus's async queue, releasing their scopes; return how many."""
    return discard_queue(bus)
