"""What the app puts into `Runtime`: work, tasks, timers and events, and the event scope.

`SchedulingMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md): the
scheduling entry points of SPEC §4-§6. The two hottest, `schedule_work` and `schedule_delayed`,
are their owners' own bound methods, cached per runtime. It declares, as annotations only, the
parts it uses.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.scope import EventScope
from kernel._core.task import Priority, Task, enqueue
from kernel._core.timer_periodic import MissedTicks
from kernel._core.validate import check_callable, check_instance, check_int, check_priority

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.event_queue import EventQueue
    from kernel._core.timer_handle import TimerHandle
    from kernel._core.timer_wheel import ScheduleTimer, TimerWheel
    from kernel._core.work_queue import SubmitWork, WorkQueue

__all__ = ["SchedulingMixin"]

Ts = TypeVarTuple("Ts")

_NORMAL: Final = int(Priority.NORMAL)


class SchedulingMixin:
    """`schedule_work`, `schedule_task`, `schedule_delayed`, `schedule_periodic`, `cancel_timer`,
    `queue_event`, and the event scope."""

    _work: WorkQueue
    _wheel: TimerWheel
    _events: EventQueue
    _scope: EventScope | None

    # -- work -----------------------------------------------------------------------------------

    @functools.cached_property
    def schedule_work(self) -> SubmitWork:
        """``schedule_work(fn, /, *args, name=None) -> bool``: queue ``fn(*args)`` to run in a
        coming tick at `Priority.NORMAL`. O(1).

        With a `name`, the work is queued as a `Task` of that name (for error reports).

        Returns:
            True if queued; False if the runtime is not RUNNING (counted in ``tasks_rejected``)
            or the work queue is full (counted in ``work_dropped``).

        Raises:
            TypeError: `fn` is not callable, or `name` is not a str.

        It is the work queue's own `WorkQueue.submit`, bound once per runtime (a cached
        property): a task costs one Python frame, not two (PERF.md P1). The work queue is open
        only while RUNNING, and counts a refusal as rejected itself.
        """
        return self._work.submit

    def schedule_work_with_priority(
        self,
        priority: int,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        name: str | None = None,
    ) -> bool:
        """Like `schedule_work`, at `priority` (lower runs first; FIFO among equals).

        Raises:
            TypeError: a non-int `priority`, a non-callable `fn`, or a non-str `name`.
            ValueError: `priority` is outside ``[0, 2**32)``.
        """
        check_priority(priority)
        if name is not None:
            return self.schedule_task(Task(fn, *args, priority=priority, name=name))
        check_callable(fn)
        return self._work.push((fn, args, None), priority)

    def schedule_task(self, task: Task) -> bool:
        """Queue a `Task` the caller keeps (to cancel it or read its state).

        Returns:
            True if queued; False if the runtime is not RUNNING (``tasks_rejected``) or the work
            queue is full (``work_dropped``). A refused task stays PENDING and may be offered again.

        Raises:
            TypeError: `task` is not a `Task`.
            ValueError: the task is already queued, or is no longer PENDING.
        """
        check_instance(task, Task, "task", "a Task")
        return self._offer(task)

    def _offer(self, task: Task) -> bool:
        """`schedule_task` once `task` is known to be a Task (`ScheduleTask` commands checked)."""
        return enqueue(task, self._work.push)

    # -- timers ---------------------------------------------------------------------------------

    @functools.cached_property
    def schedule_delayed(self) -> ScheduleTimer:
        """``schedule_delayed(delay, fn, /, *args, priority=NORMAL, name=None) -> TimerHandle``:
        run ``fn(*args)`` as a task once `delay` seconds from now (never earlier). O(1).

        Timers may be scheduled while BOOTING or RUNNING and fire only in RUNNING ticks. When the
        runtime is stopping, or `max_timers` timers are live, the handle comes back with
        ``failed == True`` (counted in ``timers_dropped``). To debounce, re-arm one handle with
        `TimerHandle.reset` rather than cancelling and scheduling anew: it is O(1) in place.

        Raises:
            TypeError / ValueError: a bad `delay`, `fn`, `priority` or `name`.

        It is the timer wheel's own `TimerWheel.schedule`, bound once per runtime (a cached
        property): one Python frame less per timer (PERF.md P2).
        """
        return self._wheel.schedule

    def schedule_periodic(
        self,
        interval: float,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = _NORMAL,
        name: str | None = None,
        missed: MissedTicks = MissedTicks.SKIP,
    ) -> TimerHandle:
        """Run ``fn(*args)`` as a task every `interval` seconds until cancelled. O(1).

        The first deadline is ``now + interval``; `missed` chooses the catch-up policy. At most
        one of the timer's tasks is queued at a time; a fire that finds the previous task still
        queued is skipped and counted in `missed_ticks`. A raising callback is reported and the
        timer keeps its schedule.

        Raises:
            TypeError / ValueError: a bad `interval`, `fn`, `priority`, `name` or `missed`.
        """
        return self._wheel.schedule_periodic(
            interval, fn, *args, priority=priority, name=name, missed=missed
        )

    def cancel_timer(self, timer_id: int) -> bool:
        """Cancel a pending timer by id; True only if it was pending. Amortised O(1).

        The first call builds the wheel's id map, O(n) in the pending timers; cancelling through
        the `TimerHandle` never needs it.

        Raises:
            TypeError: `timer_id` is not an int.
        """
        return self._wheel.cancel(check_int(timer_id, "timer_id"))

    # -- events ---------------------------------------------------------------------------------

    def queue_event(self, event: object) -> bool:
        """Queue `event` for the events phase, by its ``priority`` attribute (default 100).

        Accepted while BOOTING and RUNNING. O(1) for the named priority levels.

        Returns:
            True if queued; False (counted in ``events_dropped``) if the queue is full or the
            runtime is shutting down.

        Raises:
            TypeError / ValueError: the event's ``priority`` attribute is not a valid priority.
        """
        return self._events.push_event(event)

    def set_scope(self, scope: EventScope) -> None:
        """Decrement `scope` after each event dispatched from the event queue (while > 0).

        Raises:
            TypeError: `scope` is not an `EventScope`.
        """
        check_instance(scope, EventScope, "scope", "an EventScope")
        self._scope = scope

    def clear_scope(self) -> None:
        """Forget the current scope."""
        self._scope = None

    @property
    def current_scope(self) -> EventScope | None:
        """The scope set by `set_scope`, or None."""
        return self._scope
