"""`Wakeup`: the wake-up fd a runtime's selector watches, so other threads can end its wait.

A non-blocking socketpair, used Trio-style as "empty or not": a writer sends one zero byte and
ignores a full buffer (a byte already waiting wakes the loop just as well); the loop drains
everything when it wakes. No data is carried. The write end also serves as the process's signal
wake-up fd (`signal.set_wakeup_fd`), whose bytes are drained and ignored the same way: which
signals arrived is recorded by the Python-level handlers (kernel/_core/signals.py).
"""

from __future__ import annotations

import socket
from typing import Final

__all__ = ["Wakeup"]

_DRAIN_CHUNK: Final = 4096
"""Bytes per ``recv`` while draining: a full buffer of wake-ups empties in one or two calls."""
_BYTE: Final = b"\0"


class Wakeup:
    """A non-blocking socketpair: `write()` from any thread makes `fileno()` readable.

    Created open; `close()` releases both ends (idempotent). Thread-safety: `write` may be called
    from any thread, even after `close()` (it then does nothing); `drain` and `close` belong to
    the loop thread. Socket objects (not raw fds) are used so that a write racing with `close()`
    can never reach a reused descriptor number.
    """

    __slots__ = ("_reader", "_writer")

    def __init__(self) -> None:
        reader, writer = socket.socketpair()
        reader.setblocking(False)
        writer.setblocking(False)
        self._reader = reader
        self._writer = writer

    def fileno(self) -> int:
        """The read end, which the selector watches."""
        return self._reader.fileno()

    @property
    def write_fd(self) -> int:
        """The write end's fd, for `signal.set_wakeup_fd` (-1 once closed)."""
        return self._writer.fileno()

    def write(self) -> None:
        """Make the read end readable. Never blocks or raises: a full or closed pair is fine."""
        # try/except rather than contextlib.suppress: this is on every cross-thread wake-up.
        try:  # noqa: SIM105
            self._writer.send(_BYTE)
        except OSError:  # BlockingIOError (full: a wake-up is pending anyway) or closed
            pass

    def drain(self) -> int:
        """Read every pending byte; return how many there were.

        A read that returns less than a full chunk emptied the buffer, so a wake-up costs one
        system call (no second read just to hit ``BlockingIOError``).
        """
        drained = 0
        recv = self._reader.recv
        while True:
            try:
                data = recv(_DRAIN_CHUNK)
            except OSError:  # BlockingIOError: empty (or closed)
                return drained
            drained += len(data)
            if len(data) < _DRAIN_CHUNK:  # empty now (b"": the write end was closed)
                return drained

    @property
    def closed(self) -> bool:
        """True once `close()` ran."""
        return self._reader.fileno() == -1

    def close(self) -> None:
        """Close both ends (idempotent)."""
        self._reader.close()
        self._writer.close()
