"""What others ask of `Runtime`: commands from other threads, render and quit requests.

`RequestsMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md): the
command sender and wake-up hook, the commands phase of a tick, and the render and quit flags
handlers set through `HandlerContext`. It declares, as annotations only, the parts it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel._core.commands import (
    CommandChannel,
    CommandSender,
    Completion,
    QueueEvent,
    ScheduleTask,
    Shutdown,
)
from kernel._core.task import Task, describe_callable
from kernel._core.validate import check_callable

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.reporting import ErrorReporter

__all__ = ["RequestsMixin"]


class RequestsMixin:
    """`command_sender`, `set_wakeup`, the commands phase, the render flag and quit requests."""

    _channel: CommandChannel
    _report: ErrorReporter
    _render_pending: bool
    _quit_requested: bool
    _commands_processed: int
    _tasks_rejected: int
    _events_rejected: int

    if TYPE_CHECKING:  # what this facet calls of the runtime's other facets (for mypy only)

        def shutdown(self) -> None: ...

        def emergency_stop(self) -> None: ...

        def queue_event(self, event: object) -> bool: ...

        def _offer(self, task: Task) -> bool: ...

    def command_sender(self) -> CommandSender:
        """A sender other threads use to control this runtime (see `CommandSender`)."""
        return CommandSender(self._channel)

    def set_wakeup(self, callback: Callable[[], object] | None) -> None:
        """Call `callback` after every command sent, on the sending thread (None: stop).

        For a host that owns its loop and blocks in its own ``select()`` / ``poll()``: the
        callback writes to the host's self-pipe (or eventfd), the host wakes and calls `tick()`.
        `run()` needs none of this: `send()` wakes it already. The callback must be thread-safe
        and quick; an exception it raises propagates to the sender.

        Raises:
            TypeError: `callback` is neither callable nor None.
        """
        if callback is not None:
            check_callable(callback, "callback")
        self._channel.on_put = callback

    # -- the commands phase ----------------------------------------------------------------------

    def _apply_commands(self) -> int:
        """Apply the commands sent before this tick, in order, one at a time.

        Each leaves the channel just before it is applied and is counted then, so whatever
        escapes from applying one (an interrupt) leaves every later one queued for the next tick.
        Returns how many commands were taken (thread completions are not commands).
        """
        commands = 0
        channel = self._channel
        for _ in range(channel.waiting()):
            command = channel.take()
            if command.__class__ is Completion:  # a worker's job finished: not a command
                command.callback()
                continue
            commands += 1
            self._commands_processed += 1
            match command:
                case ScheduleTask(task):
                    self._apply_schedule_task(task)
                case QueueEvent(event):
                    self._apply_queue_event(event)
                case Shutdown():
                    self.shutdown()
                case _:  # Emergency: the sender accepts nothing else
                    self.emergency_stop()
        return commands

    def _apply_schedule_task(self, task: Task) -> None:
        try:
            self._offer(task)
        except ValueError as exc:
            self._tasks_rejected += 1
            self._report("command", exc, task._describe())

    def _apply_queue_event(self, event: object) -> None:
        # Reading the event's priority runs the sender's code: whatever it raises, the event
        # is refused and counted (and reported, unless it is an interrupt, which goes on).
        try:
            self.queue_event(event)
        except Exception as exc:
            self._events_rejected += 1
            self._report("command", exc, describe_callable(type(event)))
        except BaseException:
            self._events_rejected += 1
            raise

    def _settle_quit(self) -> None:
        """Honour `HandlerContext.request_quit` at the end of a phase."""
        self._quit_requested = False
        self.shutdown()

    # -- render flag ----------------------------------------------------------------------------

    def request_render(self) -> None:
        """Set the render flag (handlers use `HandlerContext.request_render`)."""
        self._render_pending = True

    def take_render_pending(self) -> bool:
        """Return the render flag and clear it."""
        pending = self._render_pending
        self._render_pending = False
        return pending

    def is_render_pending(self) -> bool:
        """Return the render flag without clearing it."""
        return self._render_pending

    def _request_quit(self) -> None:
        self._quit_requested = True
