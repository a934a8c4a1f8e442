"""Timer handles: what `TimerWheel.schedule` and `schedule_periodic` return (docs/timer_wheel.md).

A handle *is* the wheel's entry for its timer (one object per timer, no separate record), so it
holds only what the wheel needs: the callable, its exact deadline, its id, and the slot it sits in.
"""

from __future__ import annotations

import enum
import itertools
import math
from typing import TYPE_CHECKING, ClassVar, Final, NewType, Protocol, cast, final

from kernel._core.task import describe_work
from kernel._core.validate import check_delay

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import TracebackType

    from kernel._core.ticks import TickScale
    from kernel._core.work_queue import WorkQueue

__all__ = [
    "MissedTicks",
    "PeriodicEntry",
    "PeriodicTimer",
    "TimerHandle",
    "TimerHome",
    "TimerId",
    "TimerSlot",
    "WheelEntry",
    "fire_run",
    "new_timer_id",
]

TimerId = NewType("TimerId", int)
"""A timer's identity: an int unique within the process."""

# Process-wide, like task ids: an id from one runtime can never cancel another runtime's timer.
# A bound C method, so drawing an id costs no Python frame on the scheduling hot path.
new_timer_id: Final = cast("Iterator[TimerId]", itertools.count(1)).__next__
"""Return a fresh, process-unique `TimerId`."""


class TimerHome(Protocol):
    """What a handle asks of the wheel that filed it (`TimerWheel` implements it).

    The handle holds its wheel only through this interface, so this module never imports the
    wheel's: the dependency runs one way, wheel → handle.
    """

    def _remove(self, handle: TimerHandle) -> None:
        """Cancel the pending `handle`: it leaves its slot at once."""
        ...

    def _rearm(self, handle: TimerHandle, delay: float) -> None:
        """Move the pending `handle`'s next deadline to ``now + delay``."""
        ...

    def _deadline_seconds(self, when: float) -> float:
        """The deadline `when`, rounded up to the wheel's resolution, in clock seconds."""
        ...


class TimerSlot(Protocol):
    """Where a pending handle is filed: it knows the wheel that owns it (`timer_wheel.Slot`)."""

    @property
    def wheel(self) -> TimerHome:
        """The wheel that filed the timer."""
        ...


class WheelEntry(Protocol):
    """What the wheel reads and writes of the handles it files (`TimerWheel` is its only user).

    A handle *is* the wheel's record of its timer, so the wheel owns two of its fields: `_slot`
    (where it is filed; None once it cannot fire) and `_when` (its exact deadline). Everything
    else it asks of the handle through these methods.
    """

    _id: TimerId
    _when: float
    _slot: TimerSlot | None

    def _release(self) -> None:
        """The timer will not fire again: drop what its callable holds."""
        ...


class PeriodicEntry(WheelEntry, Protocol):
    """What the wheel asks of a periodic timer besides `WheelEntry`."""

    def _advance(self, now: float, now_tick: int, scale: TickScale) -> int:
        """Move past a fire at `now` to the next deadline; return its tick."""
        ...

    def _restart(self, when: float) -> None:
        """Start the grid again with its first deadline at `when` (`TimerHandle.reset`)."""
        ...


class MissedTicks(enum.Enum):
    """What a periodic timer does about periods that passed while the loop was busy."""

    SKIP = "skip"
    """Stay on the grid ``start + k * interval``: after a stall, fire once and count the skipped
    periods in `TimerHandle.missed_ticks`. No drift, no catch-up burst. The default."""
    DELAY = "delay"
    """Re-arm at ``fire time + interval`` (the reference system's behaviour; drifts)."""


class TimerHandle:
    """A scheduled timer: cancel it, re-arm it, or ask when it fires.

    Handles do not cancel when garbage-collected (``rt.schedule_delayed(1, fn)`` must not be
    cancelled at once); leaving a ``with`` block does cancel. Use a handle on the runtime's thread.
    """

    __slots__ = ("_args", "_created_at", "_fn", "_id", "_name", "_priority", "_slot", "_when")

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
        self._slot: TimerSlot | None = None  # where the wheel filed it; None once it cannot fire
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
    def deadline(self) -> float | None:
        """The next deadline in clock seconds, rounded up to the resolution; None unless pending."""
        slot = self._slot
        return None if slot is None else slot.wheel._deadline_seconds(self._when)

    @property
    def missed_ticks(self) -> int:
        """Periods a periodic timer skipped (cumulative); always 0 for a one-shot."""
        return self._missed

    def cancel(self) -> bool:
        """Stop the timer from firing. Idempotent; works from inside any callback.

        A task the timer already queued still runs.

        Returns:
            True if the timer was pending; False if it already fired (one-shot), was cancelled,
            or failed.
        """
        slot = self._slot
        if slot is None:
            return False
        slot.wheel._remove(self)
        return True

    def reset(self, delay: float) -> bool:
        """Re-arm a pending timer to fire `delay` seconds from now; a periodic's grid restarts there.

        O(1): a deadline moved later is rewritten in place, and the wheel re-files the timer
        when its old slot comes due. A task the timer already queued still runs.

        Returns:
            True if the timer was pending; False (nothing changes) otherwise.

        Raises:
            TypeError: `delay` is not a number.
            ValueError: `delay` is negative or not finite (checked even when not pending), or
                would put the deadline past the largest float.
        """
        seconds = check_delay(delay)
        slot = self._slot
        if slot is None:
            return False
        slot.wheel._rearm(self, seconds)
        return True

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


class PeriodicTimer(TimerHandle):
    """A timer that fires every `interval` seconds until cancelled (see `MissedTicks`)."""

    __slots__ = ("_anchor", "_count", "_interval", "_missed", "_policy", "_queued")

    def __init__(
        self,
        timer_id: TimerId,
        when: float,
        fn: Callable[..., object],
        args: tuple[object, ...],
        priority: int,
        name: str | None,
        interval: float,
        policy: MissedTicks,
    ) -> None:
        super().__init__(timer_id, when, fn, args, priority, name)
        self._interval = interval
        self._policy = policy
        self._anchor = when  # the grid: deadline number k is anchor + k * interval
        self._count = 0
        self._missed = 0
        self._queued = False  # at most one queued task at a time (SPEC §11)

    @property
    def interval(self) -> float:
        """Seconds between deadlines."""
        return self._interval

    @property
    def policy(self) -> MissedTicks:
        """How missed periods are handled."""
        return self._policy

    def _fire_into(self, work: WorkQueue) -> bool:
        if self._queued:
            self._missed += 1
            return False
        fn = self._fn
        assert fn is not None
        self._queued = work.push((fn, self._args, self), self._priority)
        return self._queued

    def _finish(self, ok: bool) -> None:
        self._queued = False

    def _release(self) -> None:
        # Nothing to free while the timer can fire again; `TimerWheel` releases on cancel.
        if self._slot is None:
            super()._release()

    def _restart(self, when: float) -> None:
        """Start the grid again with its first deadline at `when`; the wheel sets `_when`."""
        self._anchor = when
        self._count = 0

    def _advance(self, now: float, now_tick: int, scale: TickScale) -> int:
        """Move past a fire at `now` (tick `now_tick`) to the next deadline; return its tick.

        `MissedTicks.DELAY`: ``now + interval``. `MissedTicks.SKIP`: the first grid point
        ``anchor + k * interval`` whose tick is after `now_tick`, counting the grid points
        skipped on the way in `missed_ticks`.
        """
        if self._policy is MissedTicks.DELAY:
            when = now + self._interval
            tick = scale.deadline_tick(when)
            if tick <= now_tick:
                # The interval vanished in float rounding (below the clock's precision): fire
                # from the next tick on, and make the exact deadline say so. A deadline left at
                # or before now would be reported as past and fire again in this same expire.
                when = scale.seconds(now_tick + 1)
                while (tick := scale.deadline_tick(when)) <= now_tick:  # ticks finer than floats
                    when = math.nextafter(when, math.inf)
            self._when = when
            return tick
        anchor, interval, count = self._anchor, self._interval, self._count

        def tick_of(k: int) -> int:
            return scale.deadline_tick(anchor + k * interval)

        # The first grid point whose tick is after now_tick. Estimate it by division, gallop up
        # until past it, then bisect: O(log missed periods) conversions, even for a grid finer
        # than floats can tell apart, where stepping period by period could take millions.
        low = count + 1
        high = max(low, math.floor((scale.seconds(now_tick) - anchor) / interval))
        while tick_of(high) <= now_tick:
            high += high - low + 1
        while low < high:
            middle = (low + high) // 2
            if tick_of(middle) > now_tick:
                high = middle
            else:
                low = middle + 1
        self._missed += low - count - 1
        self._count = low
        self._when = anchor + low * interval
        return tick_of(low)


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
    was scheduled in debug mode) queues itself with its own handle as the owner. A periodic timer whose previous task is still queued skips the fire and counts it in
    `TimerHandle.missed_ticks`. A task that does not fit counts in the work queue's `dropped`.
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
