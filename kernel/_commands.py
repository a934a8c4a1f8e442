"""Commands from other threads: the command types, `CommandSender`, and the channel behind it.

The channel is one `queue.SimpleQueue` shared by every sender of a runtime, plus a
`threading.Event` that a waiting `run()` sleeps on: `send()` never blocks and wakes it at once,
with no self-pipe and no polling (docs/threading.md).
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from typing import TYPE_CHECKING, Final, TypeAlias, final

from kernel._task import Task
from kernel._validate import check_instance

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CommandChannel",
    "CommandSender",
    "Emergency",
    "QueueEvent",
    "RuntimeCommand",
    "ScheduleTask",
    "Shutdown",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Shutdown:
    """Ask a RUNNING runtime to stop gracefully (ignored in any other state)."""


@dataclasses.dataclass(frozen=True, slots=True)
class Emergency:
    """Stop the runtime at once, in any state: nothing more runs."""


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


class CommandChannel:
    """The FIFO of commands on their way to one runtime, with a wake-up for a waiting loop.

    Any thread may `put`; only the runtime's thread takes commands out (`take_all`) or waits.
    A sender appends, then sets the wake-up event; the loop clears the event and checks the queue
    before it waits, so a command sent at any moment either is seen or ends the wait at once.
    """

    __slots__ = ("_queue", "_wakeup", "empty", "on_put")

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[RuntimeCommand] = queue.SimpleQueue()
        self._wakeup = threading.Event()
        self.on_put: Callable[[], object] | None = None
        """Called on the sender's thread after each command, for hosts with their own loop."""
        self.empty: Final = self._queue.empty
        """Return True if no command is waiting (a C call: the runtime asks on every tick)."""

    def put(self, command: RuntimeCommand) -> None:
        """Append `command` and wake a waiting loop; never blocks. Thread-safe."""
        self._queue.put(command)
        self._wakeup.set()
        on_put = self.on_put
        if on_put is not None:
            on_put()

    def take_all(self) -> list[RuntimeCommand]:
        """Remove and return every command sent so far, in the order sent."""
        commands: list[RuntimeCommand] = []
        get = self._queue.get_nowait
        try:
            while True:
                commands.append(get())
        except queue.Empty:
            return commands

    def wait(self, timeout: float | None) -> bool:
        """Block until a command is waiting or `timeout` seconds pass (None: no limit).

        Returns:
            True if a command is waiting.
        """
        self._wakeup.clear()
        if not self._queue.empty():
            return True
        return self._wakeup.wait(timeout)


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
        check_instance(
            command, _COMMAND_TYPES, "command", "Shutdown, Emergency, ScheduleTask or QueueEvent"
        )
        self._channel.put(command)

    def __repr__(self) -> str:
        return "<CommandSender>"
