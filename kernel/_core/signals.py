"""`SignalHandlers`: POSIX signals delivered as callbacks on the loop thread, in the I/O phase.

How it works: each handled signal gets a Python-level handler that records the signal number in
a pending set, and the process's signal wake-up fd (`signal.set_wakeup_fd`) is pointed at the
runtime's wake-up socketpair, so a signal ends a selector wait at once whichever thread the OS
delivered it to. The next I/O phase runs the callback of each pending signal once, however many
times it arrived since the last one.

The wake-up fd is one slot per process. If another party already set it (asyncio does, for
instance), kernel does not steal it: it leaves that fd in place and *chains* instead, its
Python-level handler writing kernel's own wake-up socket. Python runs signal handlers on the
main thread, which interrupts and resumes the selector wait, so the wait still ends promptly.
Previous Python handlers and the previous wake-up fd are restored when the last handler is
removed and when the runtime releases its resources (docs/main_loop.md).
"""

from __future__ import annotations

import signal
import threading
from typing import TYPE_CHECKING, Any, Final

from kernel._core.callback import Callback

if TYPE_CHECKING:
    from types import FrameType

    from kernel._core.executor import ReportSink
    from kernel._core.instruments import Instruments
    from kernel._core.selector import IoSources

__all__ = ["SignalHandlers", "check_signal"]

_UNCATCHABLE: Final = frozenset({signal.SIGKILL, signal.SIGSTOP})
"""Signals no process can handle: the OS kills or stops it without asking."""


def check_signal(signum: object) -> int:
    """Return `signum` if it is a catchable signal number.

    Raises:
        TypeError: `signum` is not an int (or is a bool).
        ValueError: it is not a valid signal number, or is SIGKILL or SIGSTOP.
    """
    if not isinstance(signum, int) or isinstance(signum, bool):
        msg = f"signum must be an int (a signal number), got {signum!r}"
        raise TypeError(msg)
    if signum not in signal.valid_signals():
        msg = f"signum must be a valid signal number, got {signum!r}"
        raise ValueError(msg)
    if signum in _UNCATCHABLE:
        msg = f"signum must be a catchable signal (not SIGKILL or SIGSTOP), got {signum!r}"
        raise ValueError(msg)
    return int(signum)


class SignalHandlers:
    """The signal callbacks of one runtime. Main thread only, as `signal.signal` itself.

    At most one callback per signal: a second `add` replaces the first, and removal restores
    the Python handler from before the first. Callbacks run in registration order.

    Args:
        io: the I/O sources, whose selector and wake-up fd the signals use (held open while
            any handler exists).
        report: receives ``("io", exception, description)`` for each caught exception.
    """

    __slots__ = (
        "_chained",
        "_handlers",
        "_io",
        "_own_fd",
        "_pending",
        "_previous",
        "_previous_wakeup_fd",
        "_report",
        "_watch",
    )

    def __init__(self, io: IoSources, report: ReportSink, watch: Instruments | None = None) -> None:
        self._io = io
        self._report = report
        self._watch = watch
        self._handlers: dict[int, Callback] = {}
        self._previous: dict[int, Any] = {}
        self._pending: set[int] = set()
        self._own_fd = -1
        self._previous_wakeup_fd = -1
        self._chained = False

    def __len__(self) -> int:
        """Signals with a callback."""
        return len(self._handlers)

    @property
    def chained(self) -> bool:
        """True while another party's signal wake-up fd was found set and left in place."""
        return self._chained

    def add(self, signum: object, fn: Any, args: tuple[Any, ...], name: str | None) -> None:
        """Run ``fn(*args)`` in the I/O phase after `signum` arrives (replacing its callback).

        Raises:
            RuntimeError: not called on the main thread.
            TypeError / ValueError: a bad `signum`, `fn` or `name`.
        """
        _check_main_thread("add_signal_handler")
        sig = check_signal(signum)
        callback = Callback(fn, args, name)
        first = not self._handlers
        created = not self._io.is_open
        if first:
            self._install_wakeup_fd()
        try:
            previous = signal.signal(sig, self._on_signal)
        except (OSError, ValueError) as exc:  # e.g. a signal the C library reserves
            if first:
                self._restore_wakeup_fd()
            if created and not self._io.active:
                self._io.close()  # opened for this call only: strictly on first need
            msg = f"signum {signum!r} cannot be handled: {exc}"
            raise ValueError(msg) from None
        signal.siginterrupt(sig, False)  # other threads' system calls restart, as in asyncio
        self._previous.setdefault(sig, previous)
        self._handlers.pop(sig, None)
        self._handlers[sig] = callback

    def remove(self, signum: object) -> bool:
        """Remove the callback of `signum` and restore the handler it replaced; True if any.

        Raises:
            RuntimeError: not called on the main thread.
            TypeError / ValueError: a bad `signum`.
        """
        _check_main_thread("remove_signal_handler")
        sig = check_signal(signum)
        if self._handlers.pop(sig, None) is None:
            return False
        self._pending.discard(sig)
        _restore_handler(sig, self._previous.pop(sig))
        if not self._handlers:
            self._restore_wakeup_fd()
        return True

    def close(self) -> int:
        """Remove every callback, restoring every previous handler and the wake-up fd.

        Returns:
            How many handlers were removed.
        """
        removed = len(self._handlers)
        for sig in list(self._handlers):
            self.remove(sig)
        return removed

    def run_pending(self) -> int:
        """Run, in registration order, the callback of each signal that arrived since the last
        call; return how many ran. An `Exception` is reported (``"io"``); others propagate."""
        if not self._pending:
            return 0
        # A handler running between these two reads adds to the set taken here: nothing lost.
        pending = self._pending
        self._pending = set()
        handlers = self._handlers
        ran = 0
        try:
            for sig, callback in list(handlers.items()):
                if sig not in pending or handlers.get(sig) is not callback:
                    continue
                pending.discard(sig)  # taken: whatever its callback raises, it ran once
                ran += 1
                watch = self._watch
                try:
                    if watch is not None and watch.watching:
                        watch.call("io", callback, callback.fn, callback.args)
                    else:
                        callback.fn(*callback.args)
                except Exception as exc:
                    self._report("io", exc, callback.describe())
                except BaseException as exc:
                    if watch is not None and not watch.settle(
                        exc, self._report, "io", callback.describe()
                    ):
                        pending.add(sig)  # a before_callback hook's interrupt: not run
                    raise
        finally:
            # An interrupt from a callback leaves the signals not yet run for the next poll.
            # (`|=` changes the set in place: a signal arriving meanwhile is kept too.)
            self._pending |= {sig for sig in pending if sig in handlers}
        return ran

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """The Python-level handler: runs on the main thread between bytecodes."""
        self._pending.add(signum)
        # Wake our selector even when the process's wake-up fd is ours: a loop started after
        # this runtime set it (uvloop, asyncio's add_signal_handler) may have replaced it since,
        # and then the C-level byte goes to that loop only. A spare byte is drained unread.
        self._io.wake()

    def _install_wakeup_fd(self) -> None:
        wakeup = self._io.hold()
        fd = wakeup.write_fd
        previous = signal.set_wakeup_fd(fd, warn_on_full_buffer=False)
        if previous != -1:  # someone else's (asyncio's?): put it back and chain instead
            signal.set_wakeup_fd(previous)
            self._chained = True
            self._own_fd = -1
        else:
            self._own_fd = fd
        self._previous_wakeup_fd = previous

    def _restore_wakeup_fd(self) -> None:
        if not self._chained:
            current = signal.set_wakeup_fd(self._previous_wakeup_fd)
            if current != self._own_fd:  # replaced by someone since: leave theirs in place
                signal.set_wakeup_fd(current)
        self._chained = False
        self._own_fd = self._previous_wakeup_fd = -1
        self._io.release()


def _check_main_thread(what: str) -> None:
    if threading.current_thread() is not threading.main_thread():
        msg = f"{what}() works only on the main thread (Python runs signal handlers there)"
        raise RuntimeError(msg)


def _restore_handler(sig: int, previous: Any) -> None:
    # None means the handler was not installed from Python: the default is the best guess.
    signal.signal(sig, signal.SIG_DFL if previous is None else previous)
