"""`RuntimeStats` and `ShutdownReport`: frozen snapshots of what a runtime did."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel._core.state import RuntimeState

__all__ = ["RuntimeStats", "ShutdownReport"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RuntimeStats:
    """A snapshot of a runtime's queues and cumulative counters (`Runtime.stats()`).

    Work offered to the runtime is always either run (``tasks_executed``), failed
    (``tasks_failed``), cancelled, rejected, dropped, or still queued, and the counters say which.
    """

    state: RuntimeState
    """The lifecycle state."""
    event_queue_len: int
    """Events waiting in the priority event queue."""
    work_queue_len: int
    """Tasks waiting in the work queue, cancelled ones not yet at the front included."""
    work_dropped: int
    """Tasks (and timer fires) refused because the work queue was full."""
    tasks_executed: int
    """Tasks that completed without raising."""
    tasks_failed: int
    """Tasks that raised."""
    active_timers: int
    """Live timers: pending, not cancelled."""
    timers_dropped: int
    """Timer schedules refused (capacity, or a stopping runtime)."""
    ticks: int
    """Calls of `tick()`, in any state."""
    tasks_rejected: int
    """Tasks refused because the runtime was not RUNNING, or was not given a schedulable task."""
    tasks_cancelled: int
    """Cancelled tasks that left the queue without running."""
    events_dispatched: int
    """Events dispatched by the bus: queued, async and emitted."""
    events_dropped: int
    """Events refused: a full event queue, or a runtime shutting down."""
    handler_errors: int
    """Exceptions raised by event handlers (caught and reported)."""
    timers_fired: int
    """Timer fires whose task was queued."""
    commands_processed: int
    """Commands taken from the channel, whether applied, ignored or rejected."""
    async_queue_len: int
    """Events waiting in the bus's async queue."""
    thread_jobs_submitted: int
    """Jobs accepted by `Runtime.run_in_thread`."""
    thread_jobs_done: int
    """Jobs that returned or raised, counted when the loop thread handles their completion."""
    thread_jobs_failed: int
    """Jobs that raised (also in ``thread_jobs_done``), counted on the loop thread."""
    thread_jobs_cancelled: int
    """Jobs cancelled before they started (by their future, or at the stop)."""
    thread_jobs_running: int
    """Jobs that have started on a worker thread and not finished."""
    stalls: int = 0
    """Stalls the watchdog reported (`RuntimeConfig.stall_threshold`)."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ShutdownReport:
    """What the first terminal tick did: drained, abandoned and cancelled (`Runtime.run()`)."""

    state: RuntimeState
    """STOPPING or EMERGENCY: how the runtime stopped."""
    tasks_drained: int
    """Tasks the STOPPING drain ran (successful or failed)."""
    events_drained: int
    """Events the STOPPING drain dispatched (queued and async)."""
    tasks_abandoned: int
    """Queued tasks that never ran: left at the drain limit, or by EMERGENCY."""
    events_abandoned: int
    """Queued events never dispatched: left at the drain limit, or by EMERGENCY."""
    timers_cancelled: int
    """Timers still pending at the stop, cancelled then."""
    ticks: int
    """``stats().ticks`` when the report was made."""
    thread_jobs_cancelled: int = 0
    """Worker-thread jobs not yet started at the stop, cancelled then."""
    thread_jobs_abandoned: int = 0
    """Worker-thread jobs still running when the stop stopped waiting: their ``on_done``
    never runs."""
