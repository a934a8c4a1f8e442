"""`Watches`: the readers and writers of one selector, and its registrations kept equal to them.

The registry half of `kernel._core.selector.IoSources`, which owns the selector itself, the
wake-up fd, polling and waiting. At most one reader and one writer per fd, each with its callback
and its place in registration order (docs/main_loop.md).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kernel._core.callback import Callback

__all__ = ["READ", "WRITE", "Source", "Watches", "check_fd", "kind_name"]

READ: Final = selectors.EVENT_READ
WRITE: Final = selectors.EVENT_WRITE
_KIND: Final = {READ: "reader", WRITE: "writer"}


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


def kind_name(kind: int) -> str:
    """``"reader"`` for `READ`, ``"writer"`` for `WRITE` (for error messages)."""
    return _KIND[kind]


class Source:
    """One registered reader or writer: its fd, its callback and its place in registration order.

    Its fields are read-only to everyone but its `Watches`.
    """

    __slots__ = ("callback", "fd", "kind", "seq")

    def __init__(self, fd: int, kind: int, callback: Callback, seq: int) -> None:
        self.fd = fd
        self.kind = kind
        self.callback = callback
        self.seq = seq


class Watches:
    """The readers and writers of one selector, by fd, and the selector's registrations.

    Each change is made to the selector first and to the tables after, so that the selector
    watches exactly the registered fds, each for the events of its sources (`_check`). User
    sources are registered with ``data=None``; the owner may register its own fds (the wake-up
    fd) with other data. Not thread-safe: the loop thread owns it.
    """

    __slots__ = ("_seq", "readers", "writers")

    def __init__(self) -> None:
        self.readers: dict[int, Source] = {}
        """The readers by fd (read-only to others: a poll looks its ready fds up here)."""
        self.writers: dict[int, Source] = {}
        """The writers by fd (read-only to others)."""
        self._seq = itertools.count()

    def __len__(self) -> int:
        """Registered readers plus writers."""
        return len(self.readers) + len(self.writers)

    def table(self, kind: int) -> dict[int, Source]:
        """`readers` for `READ`, `writers` for `WRITE`."""
        return self.readers if kind == READ else self.writers

    def events(self, fd: int) -> int:
        """The selector events `fd`'s sources need: READ, WRITE, both, or 0."""
        return (READ if fd in self.readers else 0) | (WRITE if fd in self.writers else 0)

    def add(self, selector: selectors.BaseSelector, kind: int, fd: int, callback: Callback) -> None:
        """Register (or replace) the source of `kind` for `fd`; it goes last in the order. O(1).

        Raises:
            ValueError: the selector refuses `fd` (epoll refuses regular files and /dev/null).
            OSError: the selector refused `fd` for another reason. If `fd` already had a
                source of the other kind, the failed ``modify`` dropped it from the selector,
                so that source is removed too.
        """
        old = self.events(fd)
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
            if old:
                self.readers.pop(fd, None)
                self.writers.pop(fd, None)
            raise
        table = self.table(kind)
        table.pop(fd, None)
        table[fd] = Source(fd, kind, callback, next(self._seq))

    def remove(self, selector: selectors.BaseSelector, kind: int, fd: int) -> bool:
        """Remove the source of `kind` for `fd`; True if there was one. O(1).

        Works for an fd that was closed meanwhile: the selector's error then means nothing is
        left to watch, and the fd's other source goes too.
        """
        source = self.table(kind).pop(fd, None)
        if source is None:
            return False
        rest = self.events(fd)
        try:
            if rest:
                selector.modify(fd, rest)
            else:
                selector.unregister(fd)
        except (OSError, KeyError, ValueError):  # a closed fd: nothing left to watch
            self.readers.pop(fd, None)
            self.writers.pop(fd, None)
            _unregister_quietly(selector, fd)
        return True

    def remove_closed(self, selector: selectors.BaseSelector) -> list[Source]:
        """Remove every source whose fd is no longer open; return them in registration order.

        O(n) in the sources (one ``fstat`` each).
        """
        closed = [
            source
            for source in sorted((*self.readers.values(), *self.writers.values()), key=by_seq)
            if not _is_open(source.fd)
        ]
        for source in closed:
            self.table(source.kind).pop(source.fd, None)
            _unregister_quietly(selector, source.fd)
        return closed

    def clear(self) -> int:
        """Forget every source (the owner closes the selector); return how many there were."""
        removed = len(self)
        self.readers.clear()
        self.writers.clear()
        return removed

    def _check(self, selector: selectors.BaseSelector | None) -> None:
        """Assert the invariant: `selector` watches exactly the registered sources' events."""
        if selector is None:
            assert not self.readers
            assert not self.writers
            return
        watched = {key.fd: key.events for key in selector.get_map().values() if key.data is None}
        expected = {fd: self.events(fd) for fd in {*self.readers, *self.writers}}
        assert watched == expected, (watched, expected)
        for kind in (READ, WRITE):
            assert all(s.fd == fd and s.kind == kind for fd, s in self.table(kind).items())


def by_seq(source: Source) -> int:
    """The sort key of registration order."""
    return source.seq


def _unregister_quietly(selector: selectors.BaseSelector, fd: int) -> None:
    with contextlib.suppress(OSError, KeyError, ValueError):
        selector.unregister(fd)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
