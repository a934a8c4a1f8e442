"""`SelectHost`: the same editor on urwid's own ``SelectEventLoop``, kernel ticked from it.

Only for comparison (the benchmark's P15 ``--loop select``): urwid's loop owns the wait, and
the runtime is pumped from it — ticked while it has work, woken through a pipe by commands and
thread completions (`kernel.Runtime.set_wakeup`), and given one urwid alarm at its next timer
deadline. `kernel.hosts.urwid.KernelEventLoop` is the real integration; this shows what it
replaces.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any, Final

import urwid

if TYPE_CHECKING:
    from kernel import Runtime

__all__ = ["SelectHost"]

READ_SIZE: Final = 4096
"""Wake-up bytes drained per read: one per command, so one read empties any burst."""


class SelectHost:
    """Drives `runtime` from a ``urwid.SelectEventLoop`` (`event_loop`).

    `start` before the urwid main loop runs, `stop` after. When the runtime reaches its
    terminal tick (the app called ``shutdown()``), the pump raises ``urwid.ExitMainLoop``.
    """

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self.event_loop = urwid.SelectEventLoop()
        self._alarm: Any = None
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)

    def start(self) -> None:
        """Hook the runtime into the urwid loop (idle pump, wake-up pipe)."""
        self._rt.set_wakeup(self._wake)
        self.event_loop.watch_file(self._read, self._on_wake)
        self.event_loop.enter_idle(self.pump)

    def stop(self) -> None:
        """Unhook and close the pipe (idempotent)."""
        self._rt.set_wakeup(None)
        with contextlib.suppress(OSError):
            self.event_loop.remove_watch_file(self._read)
            os.close(self._read)
            os.close(self._write)

    def _wake(self) -> None:
        """On the sending thread: make the urwid loop's select() return."""
        with contextlib.suppress(BlockingIOError):  # a full pipe: a byte is already waiting
            os.write(self._write, b"!")

    def _on_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, READ_SIZE)
        self.pump()

    def pump(self) -> None:
        """Tick while the runtime has work, then set one alarm at its next deadline.

        Raises:
            urwid.ExitMainLoop: the runtime has stopped (its terminal tick ran).
        """
        rt = self._rt
        while rt.next_timeout() == 0.0:
            if not rt.tick():
                raise urwid.ExitMainLoop
        if self._alarm is not None:
            self.event_loop.remove_alarm(self._alarm)
            self._alarm = None
        timeout = rt.next_timeout()
        if timeout is not None:
            self._alarm = self.event_loop.alarm(timeout, self.pump)
