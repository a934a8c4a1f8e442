"""`TimerHandle`: what `TimerWheel.schedule` returns, and how a fired timer becomes a task.

A handle *is* the wheel's entry for its timer (one object per timer, no separate record): it
extends `TimerEntry` (its id, deadline and slot, which the wheel's slots own) with the callable,
its arguments, priority and name, and the work-item protocol through which the executor runs the
task a fired timer queues (`fire_run`). The periodic timer extends it in `timer_periodic`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Final, final

from kernel._core.task import describe_work
from kernel._core.timer_slots import TimerEntry, TimerId

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from kernel._core.work_queue import WorkQueue

__all__ = ["FailedTimer", "TimerHandle", "fire_run"]


class TimerHandle(TimerEntry):
    """A scheduled timer: cancel it, re-arm it, or ask when it fires.

    Handles do not cancel when garbage-collected (``rt.schedule_delayed(1, fn)`` must not be
    cancelled at once); leaving a ``with`` block does cancel. Use a handle on the runtime's thread.
    """

    __slots__ = ("_args", "_created_at", "_fn", "_name", "_priority")

    failed: ClassVar[bool] = False
    """True if the timer could not be scheduled (capacity, or a stopping runtime)."""
    _phase: ClassVar[str] = "timer"
    _missed: int = 0

    def __init__(
        self,
        timer_id: TimerId,
        when: float,
        fn: Callable[..., object] | None,
        args: tuple[object, ...],
        priority: int,
        name: str | None,
    ) -> None:
        self._id = timer_id
        self._when = when  # the exact (unrounded) deadline in clock seconds
        self._fn = fn
        self._args = args
        self._priority = priority
        self._name = name
        self._slot = None  # where the wheel filed it; None once it cannot fire
        self._created_at: str | None = None  # debug mode: where it was scheduled

    @property
    def id(self) -> TimerId:
        """This timer's process-unique id (also for `Runtime.cancel_timer`)."""
        return self._id

    @property
    def pending(self) -> bool:
        """True while the timer can still fire."""
        return self._slot is not None

    @property
    def missed_ticks(self) -> int:
        """Periods a periodic timer skipped (cumulative); always 0 for a one-shot."""
        return self._missed

    def __enter__(self) -> TimerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    # -- the work-item protocol (see WorkOwner): a fired timer's task --------------------------

    def _fire_into(self, work: WorkQueue) -> bool:
        """Queue this timer's callback as a task; True if it was queued."""
        fn = self._fn
        assert fn is not None  # a timer that fires is pending, so it holds its callable
        if work.push((fn, self._args, self), self._priority):
            return True
        self._release()
        return False

    def _start(self) -> bool:
        return True

    def _requeue(self) -> None:
        pass  # `_start` changed nothing

    def _finish(self, ok: bool) -> None:
        # A one-shot fires once: drop what its callable holds (this is `_release`, inlined
        # because it runs once per fired timer).
        self._fn = None
        self._args = ()

    def _abandon(self) -> bool:
        self._finish(False)
        return True

    def _release(self) -> None:
        # A one-shot fires once: drop what the callable holds as soon as it is done with.
        self._fn = None
        self._args = ()

    def _set_created_at(self, stack: str) -> None:
        """Debug mode: where the timer was scheduled (None otherwise)."""
        self._created_at = stack

    def _describe(self, fn: object = None) -> str:
        return describe_work(self._name, self._fn if fn is None else fn, f"Timer({self._id})")

    def __repr__(self) -> str:
        state = "failed" if self.failed else ("pending" if self._slot is not None else "done")
        return f"<{type(self).__name__} {self._id} {self._describe()!r} {state}>"


class FailedTimer(TimerHandle):
    """The handle returned when a timer could not be scheduled; it never fires."""

    __slots__ = ()

    failed: ClassVar[bool] = True


@final
class _FiredOneShot:
    """The owner of every unnamed one-shot timer's queued task (a `WorkOwner`): one object for all.

    A one-shot gives up its callable when it fires, so once its task is queued nothing more is
    asked of the handle: the executor talks to this shared owner instead. At a million pending
    timers the handle is a cache miss away by the time its task runs (PERF.md P3, P4).
    """

    __slots__ = ()

    _phase: ClassVar[str] = "timer"

    def _start(self) -> bool:
        return True

    def _requeue(self) -> None:
        pass

    def _finish(self, ok: bool) -> None:
        pass

    def _abandon(self) -> bool:
        return True

    def _describe(self, fn: object = None) -> str:
        return describe_work(None, fn, "Timer")


_ONE_SHOT: Final = _FiredOneShot()


def fire_run(work: WorkQueue, run: list[TimerHandle]) -> None:
    """Queue the callbacks of a run of due timers (`TimerWheel.expire_runs`) in order.

    An unnamed one-shot is queued with the shared owner `_ONE_SHOT` and drops its callable here,
    while the wheel has just touched it; any other timer (named, periodic, or recording where it
    was scheduled in debug mode) queues itself with its own handle as the owner. A periodic timer
    whose previous task is still queued skips the fire and counts it in `TimerHandle.missed_ticks`. A task that does not fit counts in the work queue's `dropped`.
    """
    push = work.push
    for handle in run:
        if handle._name is None and handle._created_at is None and handle.__class__ is TimerHandle:
            fn = handle._fn
            assert fn is not None  # a timer that fires is pending, so it holds its callable
            push((fn, handle._args, _ONE_SHOT), handle._priority)
            handle._fn = None
            handle._args = ()
        else:
            handle._fire_into(work)
