"""`FileWatcher`: a thread that polls a file's signature and reports each change."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Final

from kernel.demo.files import FileSignature, signature

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["POLL_INTERVAL", "FileWatcher"]

POLL_INTERVAL: Final = 0.5
"""Seconds between two looks at the file: a change shows within half a second, and one
``stat()`` every half second costs nothing measurable."""
JOIN_TIMEOUT: Final = 5.0
"""Seconds `FileWatcher.stop` waits for the thread; a poll is one ``stat()``, far below this."""


class FileWatcher:
    """Polls ``os.stat`` of one file on its own thread and calls `on_change` when it differs.

    `on_change(signature)` runs on the watcher thread, with the new `FileSignature` (None when
    the file disappeared), once per change seen; it must be thread-safe (the app sends a kernel
    event through a `kernel.CommandSender`). The first look only records the starting point.

    With ``interval=None`` the thread polls only when asked by `poll_now` (the headless mode,
    where a poll must happen at a known point of virtual time).

    Args:
        path: the file to watch.
        on_change: called with each new signature, on the watcher thread.
        interval: seconds between polls, or None to poll only on request.

    Raises:
        ValueError: `interval` is not positive.
    """

    def __init__(
        self,
        path: Path,
        on_change: Callable[[FileSignature | None], object],
        *,
        interval: float | None = POLL_INTERVAL,
    ) -> None:
        if interval is not None and not interval > 0:
            msg = f"interval must be a positive number of seconds or None, got {interval!r}"
            raise ValueError(msg)
        self._path = path
        self._on_change = on_change
        self._interval = interval
        self._last = signature(path)
        self._wake = threading.Event()
        self._polled = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="kernel-demo-watcher", daemon=True)

    @property
    def is_alive(self) -> bool:
        """True while the thread runs (between `start` and the end of `stop`)."""
        return self._thread.is_alive()

    def start(self) -> None:
        """Start the thread.

        Raises:
            RuntimeError: started twice.
        """
        self._thread.start()

    def poll_now(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Ask the thread to poll at once and wait until it has (and called `on_change`).

        Returns:
            True if the poll happened within `timeout` seconds.
        """
        self._polled.clear()
        self._wake.set()
        return self._polled.wait(timeout)

    def stop(self, timeout: float = JOIN_TIMEOUT) -> bool:
        """Stop the thread and join it; True if it ended within `timeout` (idempotent)."""
        self._stopping = True
        self._wake.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            if self._stopping:
                self._polled.set()
                return
            self.poll()
            self._polled.set()

    def poll(self) -> bool:
        """Look at the file once (on the calling thread); True if it changed since the last look."""
        seen = signature(self._path)
        if seen == self._last:
            return False
        self._last = seen
        self._on_change(seen)
        return True
