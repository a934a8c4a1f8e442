"""`WorkQueue`: the bounded queue of work the executor runs, priority first, then FIFO."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, TypeAlias

from kernel._core.lanes import PriorityLanes

__all__ = ["WorkItem", "WorkOwner", "WorkQueue"]


class WorkOwner(Protocol):
    """What the executor needs from the object behind a queued item (a `Task` or a timer).

    `_start` and `_finish` must be leaves (plain stores, no calls): the executor calls them at a
    stack depth it has already reached, so a task can never be left RUNNING by a
    `RecursionError` at the stack's limit.
    """

    _phase: ClassVar[str]

    def _start(self) -> bool:
        """Return False if the item must be skipped (a cancelled task). A leaf: no calls."""
        ...

    def _finish(self, ok: bool) -> None:
        """Record that the callable returned (`ok`) or raised. A leaf: no calls."""
        ...

    def _describe(self, fn: object = None) -> str:
        """Name the work in an error report (`fn`: its callable, if already released)."""
        ...

    def _abandon(self) -> bool:
        """The item will never run; return False if it was a cancelled task."""
        ...


WorkItem: TypeAlias = tuple[Callable[..., object], tuple[object, ...], WorkOwner | None]
"""``(fn, args, owner)``: call ``fn(*args)``; `owner` is None for bare `schedule_work` calls."""


class WorkQueue(PriorityLanes[WorkItem]):
    """The runtime's bounded work queue: lowest priority value first, FIFO among equals.

    Push and pop are O(1) for the named `Priority` levels (one deque per level) and O(log p) the
    first time an ad-hoc priority is used, p being the number of distinct priorities queued. A full
    queue rejects the newest item and counts it in `dropped` (``work_dropped`` in the stats).
    Cancelled tasks stay queued, and counted in ``len()``, until they reach the front.
    """

    __slots__ = ()
