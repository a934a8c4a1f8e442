"""The first terminal tick: the bounded STOPPING drain, or EMERGENCY's abandonment, and the report.

It is resumable: an interrupt (`KeyboardInterrupt` from a drained task) propagates out of the
tick with the report not yet made, and the next terminal tick goes on where it stopped. What the
report counts is read from the parts' own counters against a `StopProgress` taken at the first
attempt, so the interrupted and the resumed halves add up exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel._core.phases import discard_async, dispatch_events
from kernel._core.scope import release
from kernel._core.state import RuntimeState
from kernel._core.stats import ShutdownReport

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.bus import EventBus
    from kernel._core.event_queue import EventQueue
    from kernel._core.executor import Executor
    from kernel._core.scope import EventScope
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.work_queue import WorkQueue

__all__ = ["StopProgress", "drain", "stop"]


class StopProgress:
    """Where the first terminal tick stands, kept across interrupted attempts.

    Taken when the runtime first stops: the executor's run count, the queued events and the
    async events taken so far. Everything the drain did since is the difference, whichever
    attempt did it; the drain's budget is what is left of `drain_limit`.
    """

    __slots__ = (
        "_async_taken",
        "_queued_events",
        "_tasks_run",
        "drain_limit",
        "thread_jobs_abandoned",
        "thread_jobs_cancelled",
        "timers_cancelled",
    )

    def __init__(
        self, executor: Executor, events: EventQueue, bus: EventBus, drain_limit: int
    ) -> None:
        self._tasks_run = executor.executed + executor.failed
        self._queued_events = len(events)  # a stopped queue only shrinks: pushes are refused
        self._async_taken = bus.async_taken
        self.drain_limit = drain_limit
        self.timers_cancelled = 0
        self.thread_jobs_cancelled = 0  # added up by the runtime, which stops the thread pool
        self.thread_jobs_abandoned = 0

    def tasks_drained(self, executor: Executor) -> int:
        """Tasks run (returned or raised) since the stop began."""
        return executor.executed + executor.failed - self._tasks_run

    def events_drained(self, events: EventQueue, bus: EventBus) -> int:
        """Queued and async events dispatched since the stop began."""
        return self._queued_events - len(events) + bus.async_taken - self._async_taken

    def budget(self, executor: Executor, events: EventQueue, bus: EventBus) -> int:
        """Callbacks the drain may still run."""
        done = self.tasks_drained(executor) + self.events_drained(events, bus)
        return max(0, self.drain_limit - done)


def stop(
    state: Callable[[], RuntimeState],
    progress: StopProgress,
    *,
    wheel: TimerWheel,
    events: EventQueue,
    work: WorkQueue,
    bus: EventBus,
    executor: Executor,
    scope: EventScope | None,
    ticks: int,
) -> ShutdownReport:
    """Cancel pending timers, drain (STOPPING only), abandon the rest, and report it all.

    `state` reads the runtime's state: an emergency stop from a drained callback ends the drain
    at once, what is left is abandoned, and the report says EMERGENCY. Abandoned tasks are not
    run (a `Task` stays PENDING). Abandoned events release their scopes (async events their own,
    queued events the runtime's current scope), so nobody waits for an event that will never be
    dispatched. If an interrupt propagates, call again: it resumes from `progress`.
    """
    progress.timers_cancelled += wheel.cancel_all()
    if state() is RuntimeState.STOPPING:
        drain(events, work, bus, executor, scope, progress.budget(executor, events, bus))
    tasks_drained = progress.tasks_drained(executor)
    events_drained = progress.events_drained(events, bus)
    tasks_abandoned = executor.discard(work.clear())
    queued_abandoned = len(events.clear())
    if scope is not None:
        for _ in range(queued_abandoned):  # as if dispatched: nobody waits for them
            release(scope)
    events_abandoned = queued_abandoned + discard_async(bus)
    return ShutdownReport(
        state=state(),
        tasks_drained=tasks_drained,
        events_drained=events_drained,
        tasks_abandoned=tasks_abandoned,
        events_abandoned=events_abandoned,
        timers_cancelled=progress.timers_cancelled,
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

    Follow-up events that handlers emit through their context join the drain. A round that runs
    nothing ends it: that happens only once an emergency stop has halted the executor and the
    bus, and the queues they would have emptied are left for the caller to abandon.

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
        if not (round_events or round_tasks or round_async):
            break
        tasks += round_tasks
        dispatched += round_events + round_async
    return tasks, dispatched
