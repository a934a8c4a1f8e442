"""`IoSources`: readers and writers on a `selectors` selector, and the wait that watches them.

The selector and the wake-up socketpair (kernel/_core/wakeup.py) are created on first need and
released by `close()`. Polling is level-triggered: a source whose callback does not consume its
readiness is called again at the next poll (docs/main_loop.md).
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import selectors
from typing import TYPE_CHECKING, Any, Final

from kernel._core.callback import Callback
from kernel._core.wakeup import Wakeup

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.commands import CommandChannel
    from kernel._core.executor import ReportSink
    from kernel._core.instruments import Instruments

__all__ = ["READ", "WRITE", "IoSources", "check_fd"]

READ: Final = selectors.EVENT_READ
WRITE: Final = selectors.EVENT_WRITE
_KIND: Final = {READ: "reader", WRITE: "writer"}
_WAKEUP: Final = "wakeup"
"""The selector data of the wake-up fd (user sources have None)."""


def check_fd(fd: object, name: str = "fd") -> int:
    """Return the descriptor number of `fd`: an int >= 0, or an object whose ``fileno()`` is one.

    Raises:
        TypeError: `fd` is a bool, or neither an int nor an object with ``fileno()``.
        ValueError: the number is negative, or ``fileno()`` fails (a closed file object).
    """
    value: object = fd
    if not isinstance(fd, int):
        fileno = getattr(fd, "fileno", None)
        if not callable(fileno):
            msg = f"{name} must be an int >= 0 or an object with fileno(), got {fd!r}"
            raise TypeError(msg)
        try:
            value = fileno()
        except (OSError, ValueError) as exc:
            msg = f"{name} {fd!r} has no usable fileno(): {exc}"
            raise ValueError(msg) from exc
    if not isinstance(value, int) or isinstance(value, bool):
        msg = f"{name} must be an int >= 0 or an object with fileno(), got {fd!r}"
        raise TypeError(msg)
    if value < 0:
        msg = f"{name} must be >= 0, got {fd!r}"
        raise ValueError(msg)
    return value


class _Source:
    """One registered reader or writer: its callback and its place in registration order."""

    __slots__ = ("callback", "fd", "kind", "seq")

    def __init__(self, fd: int, kind: int, callback: Callback, seq: int) -> None:
        self.fd = fd
        self.kind = kind
        self.callback = callback
        self.seq = seq


class IoSources:
    """The readers and writers of one runtime, and the selector wait of its `run()`.

    At most one reader and one writer per fd; adding one for an fd that has one replaces it
    (the new one takes its place at the end of the registration order). `poll()` runs the
    callback of every ready source once, in registration order; removing a source, even from
    inside a callback, takes effect at once. Not thread-safe: the loop thread owns it (only the
    wake-up, through the command channel, is written from other threads).

    Args:
        report: receives ``("io", exception, description)`` for each caught exception.
        channel: the runtime's command channel; while the selector is open, its ``waker``
            writes the wake-up fd and `wait()` waits through it.
        selector_factory: makes the selector (default `selectors.DefaultSelector`).
    """

    __slots__ = (
        "_channel",
        "_factory",
        "_holds",
        "_readers",
        "_ready",
        "_report",
        "_selector",
        "_seq",
        "_wakeup",
        "_watch",
        "_woken",
        "_writers",
        "active",
    )

    def __init__(
        self,
        report: ReportSink,
        channel: CommandChannel,
        selector_factory: Callable[[], selectors.BaseSelector] = selectors.DefaultSelector,
        *,
        watch: Instruments | None = None,
    ) -> None:
        self._report = report
        self._watch = watch
        self._channel = channel
        self._factory = selector_factory
        self._selector: selectors.BaseSelector | None = None
        self._wakeup: Wakeup | None = None
        self._readers: dict[int, _Source] = {}
        self._writers: dict[int, _Source] = {}
        self._seq = itertools.count()
        self._holds = 0
        self._ready: list[tuple[selectors.SelectorKey, int]] | None = None
        self._woken = False  # the wake-up fd was seen readable and is not drained yet
        self.active = False
        """True while a reader, writer or hold (a signal handler) exists: `run()` then waits
        in the selector, and the tick's I/O phase polls."""

    # -- resources ------------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while the selector and the wake-up fd exist."""
        return self._selector is not None

    def open(self) -> Wakeup:
        """Create the selector and the wake-up fd if they do not exist; return the wake-up."""
        if self._wakeup is None:
            selector = self._factory()
            wakeup = Wakeup()
            selector.register(wakeup.fileno(), READ, _WAKEUP)
            self._selector = selector
            self._wakeup = wakeup
            self._channel.waker = wakeup.write
        return self._wakeup

    def close(self) -> int:
        """Remove every source and release the selector and the wake-up fd (idempotent).

        Returns:
            How many sources were removed.
        """
        removed = len(self._readers) + len(self._writers)
        self._readers.clear()
        self._writers.clear()
        self._holds = 0
        self._ready = None
        self._woken = False
        self.active = False
        self._channel.waker = None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if self._wakeup is not None:
            self._wakeup.close()
            self._wakeup = None
        return removed

    def fileno(self) -> int | None:
        """The selector's own fd (readable while a watched fd is ready), or None while not `active`.

        None while no source or hold exists: a stale wake-up byte in an idle selector must not
        make a host loop that watches this fd spin.

        Raises:
            NotImplementedError: the selector has no fd of its own (`select()` on Windows).
        """
        selector = self._selector
        if selector is None or not self.active:
            return None
        fileno = getattr(selector, "fileno", None)
        if fileno is None:
            msg = f"{type(selector).__name__} has no fd for a host loop to watch"
            raise NotImplementedError(msg)
        number: int = fileno()
        return number

    def hold(self) -> Wakeup:
        """Keep the selector open and `active` without a source (a signal handler's need)."""
        wakeup = self.open()
        self._holds += 1
        self.active = True
        return wakeup

    def release(self) -> None:
        """Undo one `hold()`."""
        self._holds -= 1
        self._update_active()

    def wake(self) -> None:
        """Make a waiting `wait()` return (from the loop thread, e.g. a signal handler)."""
        if self._wakeup is not None:
            self._wakeup.write()

    # -- sources --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Registered readers plus writers."""
        return len(self._readers) + len(self._writers)

    def add(self, kind: int, fd: object, fn: Any, args: tuple[Any, ...], name: str | None) -> None:
        """Register (or replace) the reader (`kind` READ) or writer (WRITE) of `fd`.

        Raises:
            TypeError / ValueError: a bad `fd`, `fn` or `name` (see `check_fd`).
            ValueError: `fd` is not open, is this runtime's own wake-up fd, or is refused by
                the selector (epoll refuses regular files and ``/dev/null``).
            OSError: the selector refused `fd` for another reason.
        """
        number = check_fd(fd)
        callback = Callback(fn, args, name)
        try:
            os.fstat(number)
        except OSError as exc:
            msg = f"fd must be an open file descriptor, got {fd!r} ({exc.strerror})"
            raise ValueError(msg) from None
        if self._wakeup is not None and number == self._wakeup.fileno():
            msg = f"fd {fd!r} is the runtime's own wake-up fd"
            raise ValueError(msg)
        created = self._selector is None
        self.open()
        try:
            self._register(number, kind)
        except BaseException:
            if created and not self.active:
                self.close()
            raise
        table = self._table(kind)
        table.pop(number, None)
        table[number] = _Source(number, kind, callback, next(self._seq))
        self.active = True
        self._ready = None  # what the last wait found predates this source

    def _register(self, fd: int, kind: int) -> None:
        selector = self._selector
        assert selector is not None
        old = self._events(fd)
        try:
            if old:
                selector.modify(fd, old | kind)
            else:
                selector.register(fd, kind)
        except PermissionError:
            msg = (
                f"fd {fd} cannot be watched: the selector refuses it (epoll refuses regular"
                " files and /dev/null; read them directly instead)"
            )
            raise ValueError(msg) from None
        except OSError:
            if old:  # `modify` dropped the fd from the selector: its other source is gone too
                self._readers.pop(fd, None)
                self._writers.pop(fd, None)
                self._update_active()
            raise

    def remove(self, kind: int, fd: object) -> bool:
        """Remove the reader (READ) or writer (WRITE) of `fd`; True if there was one.

        Works for an fd that was closed meanwhile.

        Raises:
            TypeError / ValueError: a bad `fd` (see `check_fd`).
        """
        number = check_fd(fd)
        source = self._table(kind).pop(number, None)
        if source is None:
            return False
        self._ready = None  # the fd may be closed and its number reused before the next poll
        selector = self._selector
        assert selector is not None
        rest = self._events(number)
        try:
            if rest:
                selector.modify(number, rest)
            else:
                selector.unregister(number)
        except (OSError, KeyError, ValueError):  # a closed fd: nothing left to watch
            self._readers.pop(number, None)
            self._writers.pop(number, None)
            self._unregister_quietly(number)
        self._update_active()
        return True

    # -- polling and waiting --------------------------------------------------------------------

    def poll(self) -> int:
        """Run the callback of every ready source once, in registration order; return how many.

        Asks the selector without waiting, unless `wait()` has just asked it: the first poll
        after a wait uses what the wait found (one system call less on every wake-up; sources
        removed since are skipped as always). A callback that raises an `Exception` is reported
        (``"io"``) and stays registered; other exceptions propagate. If the selector raises, each
        source whose fd is no longer open is reported and removed, and the others keep working
        (epoll forgets a closed fd silently, so there may be no error at all).
        """
        selector = self._selector
        if selector is None:
            return 0
        ready = self._ready
        if ready is None:
            try:
                ready = selector.select(0)
            except OSError as exc:
                self._purge_closed(exc)
                return 0
        else:
            self._ready = None
        if not ready:
            return 0
        readers, writers = self._readers, self._writers
        due: list[_Source] = []
        for key, events in ready:
            fd = key.fd
            if key.data is _WAKEUP:  # its only job was to end the wait: drained before the next
                self._woken = True
                continue
            if events & READ and (source := readers.get(fd)) is not None:
                due.append(source)
            if events & WRITE and (source := writers.get(fd)) is not None:
                due.append(source)
        if len(due) > 1:
            due.sort(key=_by_seq)
        ran = 0
        watch = self._watch
        for source in due:
            if self._table(source.kind).get(source.fd) is not source:
                continue  # removed (or replaced) by an earlier callback of this poll
            ran += 1
            callback = source.callback
            try:
                if watch is not None and watch.watching:
                    watch.call("io", callback, callback.fn, callback.args)
                else:
                    callback.fn(*callback.args)
            except Exception as exc:  # reported; the source stays registered
                self._report("io", exc, callback.describe())
            except BaseException as exc:  # not run (a hook's interrupt)? the next poll asks again
                if watch is not None:
                    watch.settle(exc, self._report, "io", callback.describe())
                raise
        return ran

    def ready(self) -> bool:
        """True if a registered source is ready now (asks the selector without waiting).

        A selector error counts as ready: the next `poll()` reports it.
        """
        selector = self._selector
        if selector is None:
            return False
        try:
            ready = selector.select(0)
        except OSError:
            return True
        return any(key.data is not _WAKEUP for key, _ in ready)

    def wait(self, timeout: float | None) -> None:
        """Block in the selector until a source is ready, a command arrives, or `timeout` passes.

        What the selector found is kept for the next `poll()`. A selector error ends the wait;
        the next `poll()` asks again and deals with it.
        """
        self._channel.wait_with(self._select, timeout)

    def _select(self, timeout: float | None) -> None:
        selector = self._selector
        assert selector is not None
        if self._woken:
            # Drained here rather than when seen: no system call (which would let a sending
            # thread take the GIL) between the wake-up and the work it brought.
            self._woken = False
            assert self._wakeup is not None
            self._wakeup.drain()
        try:
            self._ready = selector.select(timeout)
        except OSError:
            self._ready = None

    # -- helpers --------------------------------------------------------------------------------

    def _table(self, kind: int) -> dict[int, _Source]:
        return self._readers if kind == READ else self._writers

    def _events(self, fd: int) -> int:
        return (READ if fd in self._readers else 0) | (WRITE if fd in self._writers else 0)

    def _update_active(self) -> None:
        self.active = bool(self._readers or self._writers or self._holds)

    def _unregister_quietly(self, fd: int) -> None:
        selector = self._selector
        assert selector is not None  # only called while sources exist
        with contextlib.suppress(OSError, KeyError, ValueError):
            selector.unregister(fd)

    def _purge_closed(self, error: OSError) -> None:
        """After the selector raised: report and remove every source whose fd is closed.

        Raises:
            OSError: `error` again, if no closed fd explains it.
        """
        closed = [
            source
            for source in sorted((*self._readers.values(), *self._writers.values()), key=_by_seq)
            if not _is_open(source.fd)
        ]
        if not closed:
            raise error
        for source in closed:
            self._table(source.kind).pop(source.fd, None)
            self._unregister_quietly(source.fd)
        self._update_active()
        for source in closed:
            exc = OSError(errno.EBADF, f"{_KIND[source.kind]} fd {source.fd} was closed")
            exc.__cause__ = error
            self._report("io", exc, source.callback.describe())

    def _check(self) -> None:
        """Assert the invariants: the selector watches exactly the registered sources."""
        assert self.active == bool(self._readers or self._writers or self._holds)
        if self._selector is None:
            assert not self._readers
            assert not self._writers
            return
        watched = {
            key.fd: key.events
            for key in self._selector.get_map().values()
            if key.data is not _WAKEUP
        }
        expected = {fd: self._events(fd) for fd in {*self._readers, *self._writers}}
        assert watched == expected, (watched, expected)


def _by_seq(source: _Source) -> int:
    return source.seq


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
