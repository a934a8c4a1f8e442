"""`WorkQueue`: the bounded queue of work the executor runs, priority first, then FIFO."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Final, Protocol, TypeAlias

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.lanes import PriorityLanes
from kernel._core.task import Priority, Task, enqueue
from kernel._core.validate import check_callable, is_callable

__all__ = ["SubmitWork", "WorkItem", "WorkOwner", "WorkQueue"]

Ts = TypeVarTuple("Ts")
_NORMAL: Final = int(Priority.NORMAL)


class WorkOwner(Protocol):
    """What the executor needs from the object behind a queued item (a `Task` or a timer).

    `_start`, `_requeue` and `_finish` must be leaves (plain stores, no calls): the executor calls
    them at a stack depth it has already reached, so a task can never be left RUNNING by a
    `RecursionError` at the stack's limit.
    """

    _phase: ClassVar[str]

    def _start(self) -> bool:
        """Return False if the item must be skipped (a cancelled task). A leaf: no calls."""
        ...

    def _finish(self, ok: bool) -> None:
        """Record that the callable returned (`ok`) or raised. A leaf: no calls."""
        ...

    def _requeue(self) -> None:
        """Undo `_start`: the item goes back to the queue without having run. A leaf."""
        ...

    def _describe(self, fn: object = None) -> str:
        """Name the work in an error report (`fn`: its callable, if already released)."""
        ...

    def _abandon(self) -> bool:
        """The item will never run; return False if it was a cancelled task."""
        ...


WorkItem: TypeAlias = tuple[Callable[..., object], tuple[object, ...], WorkOwner | None]
"""``(fn, args, owner)``: call ``fn(*args)``; `owner` is None for bare `schedule_work` calls."""


class SubmitWork(Protocol):
    """The signature of `WorkQueue.submit` (and so of `Runtime.schedule_work`)."""

    def __call__(
        self, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> bool: ...


class WorkQueue(PriorityLanes[WorkItem]):
    """The runtime's bounded work queue: lowest priority value first, FIFO among equals.

    Push and pop are O(1) for the named `Priority` levels (one deque per level) and O(log p) the
    first time an ad-hoc priority is used, p being the number of distinct priorities queued. A full
    queue rejects the newest item and counts it in `dropped` (``work_dropped`` in the stats).
    Cancelled tasks stay queued, and counted in ``len()``, until they reach the front.
    """

    __slots__ = ("_normal",)

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity)
        self._normal = self._open_lane(_NORMAL)  # a named level's lane: open for good

    def submit(
        self, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> bool:
        """Queue ``fn(*args)`` at `Priority.NORMAL`: `Runtime.schedule_work` itself. O(1).

        The runtime binds this method as its `schedule_work`, so a task costs one Python frame
        instead of two (PERF.md P1); the push is written out here, in the queue that owns the
        bookkeeping, rather than in a call to `push`. With a `name`, a `Task` is queued.

        Returns:
            True if queued; False if the queue is closed (`rejected`) or full (`dropped`).

        Raises:
            TypeError: `fn` is not callable, or `name` is not a str.
        """
        if name is not None:
            return enqueue(Task(fn, *args, name=name), self.push)
        if not is_callable(fn):
            check_callable(fn)
        if self.length >= self._limit:
            return self._refuse()
        lane = self._normal
        lane.append((fn, args, None))
        self.length += 1
        if self._front_priority > _NORMAL:
            self._front = lane
            self._front_priority = _NORMAL
        return True
