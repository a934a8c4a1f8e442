"""Tasks: a callable with its arguments, a priority, an id and a state (docs/architecture.md).

A `Task` is the unit the work queue holds and the executor runs. `Runtime.schedule_work` does not
build one (it queues the bare callable, which is cheaper); `Runtime.schedule_task` takes one the
caller keeps, to cancel it or read its state later.
"""

from __future__ import annotations

import enum
import itertools
from typing import TYPE_CHECKING, ClassVar, Final, NewType, final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.validate import check_callable, check_priority

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "Priority",
    "Task",
    "TaskId",
    "TaskState",
    "describe_callable",
    "describe_work",
    "enqueue",
]

Ts = TypeVarTuple("Ts")

TaskId = NewType("TaskId", int)
"""A task's identity: an int unique within the process."""

# Process-wide on purpose: SPEC §3 wants TaskIds unique within a process, not within a runtime.
# `next()` on itertools.count is atomic under the GIL, so tasks made on any thread get distinct ids.
_task_ids: Final = itertools.count(1)


class Priority(enum.IntEnum):
    """Named priority levels. Lower runs first; any int in ``[0, 2**32)`` is also a priority."""

    CRITICAL = 0
    HIGH = 50
    NORMAL = 100
    LOW = 200
    IDLE = 1000


class TaskState(enum.Enum):
    """A task's lifecycle: PENDING → RUNNING → COMPLETED or FAILED; PENDING → CANCELLED."""

    PENDING = "Pending"
    RUNNING = "Running"
    COMPLETED = "Completed"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    def __str__(self) -> str:
        return self.value


_PENDING: Final = TaskState.PENDING
_RUNNING: Final = TaskState.RUNNING
_COMPLETED: Final = TaskState.COMPLETED
_FAILED: Final = TaskState.FAILED


@final
class Task:
    """A callable to run once on the runtime's thread, with a priority and a name for reports.

    Args:
        fn: the callable; it is called as ``fn(*args)``.
        *args: positional arguments for `fn`.
        priority: lower runs first (`Priority` or any int in ``[0, 2**32)``).
        name: shown in error reports instead of the callable's qualified name.

    Raises:
        TypeError: `fn` is not callable, `priority` is not an int, or `name` is not a str.
        ValueError: `priority` is out of range.

    A task is not thread-safe: create it anywhere, but cancel it and read its state on the thread
    that drives the runtime (or hand it over with a `ScheduleTask` command).
    """

    __slots__ = ("_args", "_created_at", "_fn", "_id", "_name", "_priority", "_queued", "_state")

    _phase: ClassVar[str] = "task"

    def __init__(
        self,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = Priority.NORMAL,
        name: str | None = None,
    ) -> None:
        check_callable(fn)
        check_priority(priority)
        check_name(name)
        self._fn: Callable[..., object] | None = fn
        self._args: tuple[object, ...] = args
        self._priority = priority
        self._name = name
        self._id = TaskId(next(_task_ids))
        self._state = _PENDING
        self._queued = False

    @property
    def id(self) -> TaskId:
        """This task's process-unique id."""
        return self._id

    @property
    def priority(self) -> int:
        """The priority the task was created with; lower runs first."""
        return self._priority

    @property
    def name(self) -> str | None:
        """The name given at creation, or None."""
        return self._name

    @property
    def state(self) -> TaskState:
        """The current `TaskState`."""
        return self._state

    @property
    def is_queued(self) -> bool:
        """True while the task sits in a runtime's work queue."""
        return self._queued

    def cancel(self) -> bool:
        """Make a PENDING task CANCELLED so it never runs.

        A queued cancelled task leaves the queue when it reaches the front, without using a batch
        slot, and is counted in ``tasks_cancelled`` then.

        Returns:
            True if the task was PENDING; False if it already ran, failed, or was cancelled.
        """
        if self._state is not _PENDING:
            return False
        self._state = TaskState.CANCELLED
        if not self._queued:
            self._release()
        return True

    # `_start`, `_requeue` and `_finish` are leaves (plain stores, no calls): the executor calls
    # them at a stack depth it has already reached, so they cannot fail there, not even at the
    # stack's limit (issue #8 item 9).

    def _start(self) -> bool:
        """Called by the executor when the task leaves the queue; False means skip it."""
        self._queued = False
        if self._state is not _PENDING:
            self._fn = None  # `_release`, inlined to stay a leaf
            self._args = ()
            return False
        self._state = _RUNNING
        return True

    def _finish(self, ok: bool) -> None:
        """Called by the executor after the callable returned (`ok`) or raised."""
        self._state = _COMPLETED if ok else _FAILED
        self._fn = None  # `_release`, inlined to stay a leaf
        self._args = ()

    def _requeue(self) -> None:
        """Undo `_start`: the task goes back to the queue without having run (an instrument's
        ``before_callback`` hook was interrupted). A leaf, as `_start`."""
        self._state = _PENDING
        self._queued = True

    def _abandon(self) -> bool:
        """Called when a stopped runtime discards the queued task; it stays PENDING."""
        self._queued = False
        if self._state is _PENDING:
            return True
        self._release()
        return False

    def _release(self) -> None:
        # A finished task never runs again: drop the callable and arguments so whatever they hold
        # (closures, buffers) is freed even while the user keeps the Task object.
        self._fn = None
        self._args = ()

    def _set_created_at(self, stack: str) -> None:
        """Debug mode: where the task was created (read back with ``getattr(task, "_created_at",
        None)``; unset otherwise, so a task costs nothing more when debug mode is off)."""
        self._created_at = stack

    def _describe(self, fn: object = None) -> str:
        """The task's name, else its callable's qualified name (for error reports).

        `fn` names the callable once the task has released it (a report made after `_finish`).
        """
        return describe_work(self._name, self._fn if fn is None else fn, f"Task({self._id})")

    def __repr__(self) -> str:
        return f"<Task {self._id} {self._describe()!r} priority={self._priority} {self._state}>"


def enqueue(
    task: Task, push: Callable[[tuple[Callable[..., object], tuple[object, ...], Task], int], bool]
) -> bool:
    """Offer a PENDING, unqueued `task` to a work queue's `push`; return whether it was queued.

    The item pushed is ``(fn, args, task)`` at the task's priority; the task records whether it
    is queued (`Task.is_queued`). A refused task stays PENDING and may be offered again.

    Raises:
        ValueError: the task is already queued, or is no longer PENDING.
    """
    if task._queued:
        msg = f"task {task!r} is already queued"
        raise ValueError(msg)
    if task._state is not _PENDING:
        msg = f"task {task!r} is {task._state}; only a Pending task can be scheduled"
        raise ValueError(msg)
    fn = task._fn
    assert fn is not None  # a PENDING task keeps its callable
    queued = push((fn, task._args, task), task._priority)
    task._queued = queued
    return queued


def check_name(name: object) -> None:
    """Raise `TypeError` unless `name` is a str or None."""
    if name is not None and not isinstance(name, str):
        msg = f"name must be a str or None, got {name!r}"
        raise TypeError(msg)


def describe_work(name: str | None, fn: object, released: str) -> str:
    """Name work in a report: its `name`, else its callable's, else `released` (no callable)."""
    if name is not None:
        return name
    return describe_callable(fn) if fn is not None else released


def describe_callable(fn: object) -> str:
    """A readable name for a callable: its qualified name, else its repr. Never raises.

    It runs on the error path, so it must not fail there: a callable whose attributes or
    ``repr()`` raise anything (a proxy whose ``__getattr__`` raises `KeyError`) is described by
    its type and address instead, like ``object.__repr__``.
    """
    try:
        qualname = getattr(fn, "__qualname__", None)
        if isinstance(qualname, str):
            module = getattr(fn, "__module__", None)
            return f"{module}.{qualname}" if isinstance(module, str) else qualname
        return repr(fn)
    except Exception:  # any failure falls back to the safe description below
        pass
    return f"<{type(fn).__qualname__} object at {id(fn):#x}>"
