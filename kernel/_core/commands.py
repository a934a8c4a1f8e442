"""Commands from other threads: the command types, `CommandSender`, and the channel behind it.

The channel is one `queue.SimpleQueue` shared by every sender of a runtime, plus a wake-up lock
that a waiting `run()` sleeps on: `send()` never blocks and wakes it at once, with no self-pipe
and no polling (docs/threading.md).
"""

from __future__ import annotations

import dataclasses
import os
import queue
import threading
from typing import TYPE_CHECKING, Final, TypeAlias, final

from kernel._core.task import Task
from kernel._core.validate import check_instance

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CommandChannel",
    "CommandSender",
    "Completion",
    "Emergency",
    "QueueEvent",
    "RuntimeCommand",
    "ScheduleTask",
    "Shutdown",
]


# The two commands without fields declare their empty __slots__ themselves: on Python 3.11,
# ``slots=True`` rebuilds the class and the generated frozen ``__setattr__`` then fails with
# "TypeError: super(type, obj)" instead of raising FrozenInstanceError (CPython gh-90562).
@dataclasses.dataclass(frozen=True)
class Shutdown:
    """Ask a RUNNING runtime to stop gracefully (ignored in any other state)."""

    __slots__ = ()


@dataclasses.dataclass(frozen=True)
class Emergency:
    """Stop the runtime at once, in any state: nothing more runs."""

    __slots__ = ()


@dataclasses.dataclass(frozen=True, slots=True)
class ScheduleTask:
    """Queue `task` as `Runtime.schedule_task` would; a refusal is counted and reported.

    Raises:
        TypeError: `task` is not a `Task`.
    """

    task: Task

    def __post_init__(self) -> None:
        check_instance(self.task, Task, "task", "a Task")


@dataclasses.dataclass(frozen=True, slots=True)
class QueueEvent:
    """Queue `event` as `Runtime.queue_event` would; a refusal is counted (and reported if the
    event's priority is invalid)."""

    event: object


RuntimeCommand: TypeAlias = Shutdown | Emergency | ScheduleTask | QueueEvent
"""Any command a `CommandSender` accepts."""

_COMMAND_TYPES = (Shutdown, Emergency, ScheduleTask, QueueEvent)


@final
class Completion:
    """Not a command: a call the runtime makes on its own thread when it takes this item out.

    Worker-thread completions travel the command channel in this wrapper, so they wake `run()`
    and keep their order, without counting as commands (SPEC §17).
    """

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], object]) -> None:
        self.callback = callback


# Releases the GIL for one syscall; where the platform has no sched_yield (Windows), a wake-up
# simply waits for the sender's next blocking call.
_yield_gil: Final[Callable[[], None]] = getattr(os, "sched_yield", lambda: None)


class CommandChannel:
    """The FIFO of commands on their way to one runtime, with a wake-up for a waiting loop.

    Any thread may `put`; only the runtime's thread takes commands out (`take`, `take_all`) or waits.
    The wake-up is a `threading.Lock` used as a binary semaphore, so waking is a C-level lock
    release with no Python frame on either side: a sender appends, then releases the lock; the
    loop checks the queue, then acquires the lock with a timeout. A release that comes before
    the wait leaves the lock open, so the wait returns at once and no wake-up is lost.
    """

    __slots__ = ("_queue", "_selecting", "_sleeping", "_wakeup", "empty", "on_put", "waker")

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[RuntimeCommand | Completion] = queue.SimpleQueue()
        self._wakeup = threading.Lock()
        self._wakeup.acquire()  # held while no wake-up is pending
        self._sleeping = False  # True while the loop waits in `wait()`
        self.on_put: Callable[[], object] | None = None
        """Called on the sender's thread after each command, for hosts with their own loop."""
        self._selecting = False  # True while the loop waits in `wait_with()`
        self.waker: Callable[[], object] | None = None
        """Wakes a loop waiting in `wait_with` (writes its wake-up fd); set by the I/O sources."""
        self.empty: Final = self._queue.empty
        """Return True if no command is waiting (a C call: the runtime asks on every tick)."""

    def put(self, command: RuntimeCommand | Completion) -> None:
        """Append `command` and wake a waiting loop; never blocks. Thread-safe."""
        self._queue.put(command)
        if self._selecting:
            # The loop may be asleep in its selector: write the wake-up fd (only then, so an
            # awake loop never pays for a syscall and a drain). The lock is not released: the
            # loop is not waiting on it, and its next lock wait checks the queue first anyway.
            waker = self.waker
            if waker is not None:
                waker()
                _yield_gil()  # hand the GIL to the loop just woken, as below
        else:
            try:
                self._wakeup.release()
            except RuntimeError:  # already released: a wake-up is pending anyway
                pass
            else:
                if self._sleeping:
                    # Hand the GIL to the loop we just woke, as a self-pipe write would:
                    # otherwise it waits for this thread to block or for the 5 ms switch
                    # interval.
                    _yield_gil()
        on_put = self.on_put
        if on_put is not None:
            on_put()

    def waiting(self) -> int:
        """How many items are waiting now (others may arrive meanwhile)."""
        return self._queue.qsize()

    def take(self) -> RuntimeCommand | Completion:
        """Remove and return the oldest item; call it only when `waiting()` says one is there.

        Commands leave the channel one at a time, each just before it is applied: if applying
        one raises (a `KeyboardInterrupt`), every later command is still in the channel.
        """
        # Only the runtime's thread takes commands out, so a counted command is still there.
        return self._queue.get_nowait()

    def take_all(self) -> list[RuntimeCommand | Completion]:
        """Remove and return every command sent so far, in the order sent."""
        commands: list[RuntimeCommand | Completion] = []
        empty, get = self._queue.empty, self._queue.get_nowait
        while not empty():
            commands.append(get())
        return commands

    def wait(self, timeout: float | None) -> bool:
        """Block until a command is waiting or `timeout` seconds pass (None: no limit).

        Returns:
            True if a command is waiting (or a stale wake-up ended the wait early; callers
            re-check, as `run()` does on its next tick).
        """
        if not self._queue.empty():
            return True
        self._sleeping = True
        try:
            return self._wakeup.acquire(True, -1 if timeout is None else timeout)
        finally:
            self._sleeping = False

    def wait_with(self, wait: Callable[[float | None], object], timeout: float | None) -> None:
        """Call ``wait(timeout)`` (a selector's wait) unless a command is already waiting.

        While it runs, `put` calls `waker`, which must end `wait`. The flag is set before the
        queue is checked, so a command put after the check always finds it set: no wake-up is
        lost, and a loop that is awake is never written to.
        """
        self._selecting = True
        try:
            if self._queue.empty():
                wait(timeout)
        finally:
            self._selecting = False


@final
class CommandSender:
    """Sends commands to a runtime from any thread. Obtain one with `Runtime.command_sender()`.

    Commands are applied at the start of the runtime's next tick, in the order sent across all
    senders; `send` never blocks and wakes a `run()` that is waiting.
    """

    __slots__ = ("_channel",)

    def __init__(self, channel: CommandChannel) -> None:
        self._channel = channel

    def send(self, command: RuntimeCommand) -> None:
        """Send `command`. Thread-safe; never blocks (unless a `Runtime.set_wakeup` hook does).

        Raises:
            TypeError: `command` is not one of `Shutdown`, `Emergency`, `ScheduleTask`,
                `QueueEvent`.
        """
        if command.__class__ not in _COMMAND_TYPES:
            check_instance(
                command,
                _COMMAND_TYPES,
                "command",
                "Shutdown, Emergency, ScheduleTask or QueueEvent",
            )
        self._channel.put(command)

    def __repr__(self) -> str:
        return "<CommandSender>"
