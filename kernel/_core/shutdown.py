"""The first terminal tick: the bounded STOPPING drain, or EMERGENCY's abandonment, and the report."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel._core.phases import discard_async, dispatch_events
from kernel._core.scope import release
from kernel._core.state import RuntimeState
from kernel._core.stats import ShutdownReport

if TYPE_CHECKING:
    from kernel._core.bus import EventBus
    from kernel._core.event_queue import EventQueue
    from kernel._core.executor import Executor
    from kernel._core.scope import EventScope
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.work_queue import WorkQueue

__all__ = ["drain", "stop"]


def stop(
    state: RuntimeState,
    *,
    wheel: TimerWheel,
    events: EventQueue,
    work: WorkQueue,
    bus: EventBus,
    executor: Executor,
    scope: EventScope | None,
    drain_limit: int,
    ticks: int,
) -> ShutdownReport:
    """Cancel pending timers, drain (STOPPING only), abandon the rest, and report it all.

    Abandoned tasks are not run (a `Task` stays PENDING). Abandoned events release their scopes
    (async events their own, queued events the runtime's current scope), so nobody waits for an
    event that will never be dispatched.
    """
    timers_cancelled = wheel.cancel_all()
    tasks_drained = events_drained = 0
    if state is RuntimeState.STOPPING:
        tasks_drained, events_drained = drain(events, work, bus, executor, scope, drain_limit)
    tasks_abandoned = executor.discard(work.clear())
    queued_abandoned = len(events.clear())
    if scope is not None:
        for _ in range(queued_abandoned):  # as if dispatched: nobody waits for them
            release(scope)
    events_abandoned = queued_abandoned + discard_async(bus)
    return ShutdownReport(
        state=state,
        tasks_drained=tasks_drained,
        events_drained=events_drained,
        tasks_abandoned=tasks_abandoned,
        events_abandoned=events_abandoned,
        timers_cancelled=timers_cancelled,
        ticks=ticks,
    )


def drain(
    events: EventQueue,
    work: WorkQueue,
    bus: EventBus,
    executor: Executor,
    scope: EventScope | None,
    limit: int,
) -> tuple[int, int]:
    """Repeat rounds of (queued events, tasks, async events) until empty or `limit` callbacks.

    Follow-up events that handlers emit through their context join the drain.

    Returns:
        (tasks run, events dispatched).
    """
    budget = limit
    tasks = dispatched = 0
    while budget and (events or work or bus.queue_len):
        round_events = dispatch_events(events, bus, scope, budget)
        budget -= round_events
        round_tasks = executor.run(work, budget) if budget else 0
        budget -= round_tasks
        round_async = bus.process_queue(budget) if budget else 0
        budget -= round_async
        tasks += round_tasks
        dispatched += round_events + round_async
    return tasks, dispatched
