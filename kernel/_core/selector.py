"""`IoSources`: readers and writers on a `selectors` selector, and the wait that watches them.

The selector and the wake-up socketpair (kernel/_core/wakeup.py) are created on first need and
released by `close()`; the registry of readers and writers is a `Watches`
(kernel/_core/watches.py). Polling is level-triggered: a source whose callback does not consume
its readiness is called again at the next poll (docs/main_loop.md).
"""

from __future__ import annotations

import errno
import os
import selectors
from typing import TYPE_CHECKING, Any, Final

from kernel._core.callback import Callback
from kernel._core.wakeup import Wakeup
from kernel._core.watches import READ, WRITE, Source, Watches, by_seq, check_fd, kind_name

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.commands import CommandChannel
    from kernel._core.executor import ReportSink
    from kernel._core.instruments import Instruments

__all__ = ["IoSources"]

_WAKEUP: Final = "wakeup"
"""The selector data of the wake-up fd (user sources have None)."""


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
        "_ready",
        "_report",
        "_selector",
        "_wakeup",
        "_watch",
        "_watches",
        "_woken",
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
        self._watches = Watches()
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
        removed = self._watches.clear()
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
        return len(self._watches)

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
        selector = self._selector
        assert selector is not None
        try:
            self._watches.add(selector, kind, number, callback)
        except BaseException:
            self._update_active()  # a failed `modify` drops the fd's other source too
            if created and not self.active:
                self.close()
            raise
        self.active = True
        self._ready = None  # what the last wait found predates this source

    def remove(self, kind: int, fd: object) -> bool:
        """Remove the reader (READ) or writer (WRITE) of `fd`; True if there was one.

        Works for an fd that was closed meanwhile.

        Raises:
            TypeError / ValueError: a bad `fd` (see `check_fd`).
        """
        number = check_fd(fd)
        selector = self._selector
        if selector is None or not self._watches.remove(selector, kind, number):
            return False
        self._ready = None  # the fd may be closed and its number reused before the next poll
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
        readers, writers = self._watches.readers, self._watches.writers
        due: list[Source] = []
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
            due.sort(key=by_seq)
        ran = 0
        watch = self._watch
        for source in due:
            if (readers if source.kind == READ else writers).get(source.fd) is not source:
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

    def _update_active(self) -> None:
        self.active = bool(self._watches.readers or self._watches.writers or self._holds)

    def _purge_closed(self, error: OSError) -> None:
        """After the selector raised: report and remove every source whose fd is closed.

        Raises:
            OSError: `error` again, if no closed fd explains it.
        """
        selector = self._selector
        assert selector is not None  # only called by a poll, which needs the selector
        closed = self._watches.remove_closed(selector)
        if not closed:
            raise error
        self._update_active()
        for source in closed:
            exc = OSError(errno.EBADF, f"{kind_name(source.kind)} fd {source.fd} was closed")
            exc.__cause__ = error
            self._report("io", exc, source.callback.describe())

    def _check(self) -> None:
        """Assert the invariants: the selector watches the wake-up fd and exactly the sources."""
        watches = self._watches
        assert self.active == bool(watches.readers or watches.writers or self._holds)
        selector = self._selector
        if selector is None:
            assert len(watches) == 0
            return
        assert self._wakeup is not None
        assert selector.get_key(self._wakeup.fileno()).data is _WAKEUP
        watched = {
            key.fd: key.events for key in selector.get_map().values() if key.data is not _WAKEUP
        }
        expected = {fd: watches.events(fd) for fd in {*watches.readers, *watches.writers}}
        assert watched == expected, (watched, expected)
