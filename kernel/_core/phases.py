"""The phases of a tick, as functions of exactly the parts they touch (docs/architecture.md).

`Runtime.tick()` calls them in the order of SPEC §7; the STOPPING drain reuses them with a budget.
Each handles only what was ready when it began and returns how much it did.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel._core.bus import EventBus
    from kernel._core.event_queue import EventQueue
    from kernel._core.scope import EventScope
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.work_queue import WorkQueue

__all__ = ["discard_async", "dispatch_events", "fire_timers"]


def fire_timers(wheel: TimerWheel, work: WorkQueue, now: float) -> int:
    """Queue the callback of every timer due at `now` as a task with the timer's priority.

    Timers are queued in (exact deadline, scheduling order) order. A fire whose task does not fit
    counts in the work queue's `dropped`; a periodic timer whose previous task has not run yet
    skips the fire and counts it in its `missed_ticks`.

    Returns:
        How many fires queued a task (``timers_fired``).
    """
    queued = 0
    for handle in wheel.expire(now):
        queued += handle._fire_into(work)
    return queued


def dispatch_events(events: EventQueue, bus: EventBus, scope: EventScope | None, limit: int) -> int:
    """Dispatch up to `limit` of the events queued when the call began, in priority order.

    After each event, `scope` (the runtime's current scope), if set and not complete, is
    decremented. Events queued by the handlers wait for the next call. Once the bus is halted
    (EMERGENCY), the rest stays queued.

    Returns:
        How many events were dispatched.
    """
    dispatch = bus._dispatch
    done = 0
    try:
        for lane, count in events.begin_batch():
            popleft = lane.popleft
            # Plain comparisons and a while loop: min() and range() would cost more than the
            # bookkeeping of a one-event batch (PERF.md P5).
            if count > limit - done:
                count = limit - done
            while count and not bus._halted:
                count -= 1
                event = popleft()
                events._len -= 1
                done += 1
                if scope is None:
                    dispatch(event, None)
                    continue
                try:
                    dispatch(event, None)
                finally:  # also when a handler raises KeyboardInterrupt: nobody waits forever
                    scope._decrement_if_positive()
            if done == limit or bus._halted:
                break
    finally:
        events.end_batch()
    return done


def discard_async(bus: EventBus) -> int:
    """Drop every event in the bus's async queue, releasing their scopes; return how many."""
    queue = bus._queue
    dropped = len(queue)
    while queue:
        _, scope = queue.popleft()
        if scope is not None:
            scope._decrement_if_positive()
    return dropped
