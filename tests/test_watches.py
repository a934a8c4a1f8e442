"""Watches: the registry of readers and writers, kept equal to the selector's registrations;
`check_fd`."""

from __future__ import annotations

import os
import selectors
import socket
import tempfile
from typing import TYPE_CHECKING, Any

import pytest

from kernel._core.callback import Callback
from kernel._core.watches import READ, WRITE, Watches, check_fd, kind_name

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def selector() -> Iterator[selectors.BaseSelector]:
    with selectors.DefaultSelector() as sel:
        yield sel


def callback(name: str) -> Callback:
    return Callback(print, (), name)


def test_watches_add_registers_in_order_and_replaces(
    selector: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    watches = Watches()
    a, b = (s.fileno() for s in pair)
    watches.add(selector, READ, a, callback("r-a"))
    watches.add(selector, WRITE, a, callback("w-a"))
    watches.add(selector, READ, b, callback("r-b"))
    watches._check(selector)
    assert (len(watches), watches.events(a), watches.events(b)) == (3, READ | WRITE, READ)
    watches.add(selector, READ, a, callback("r-a2"))  # replaces, and goes last
    watches._check(selector)
    order = sorted([*watches.readers.values(), *watches.writers.values()], key=lambda s: s.seq)
    assert [s.callback.name for s in order] == ["w-a", "r-b", "r-a2"]
    assert watches.table(READ) is watches.readers
    assert watches.table(WRITE) is watches.writers


def test_watches_remove_modifies_then_unregisters(
    selector: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    watches = Watches()
    fd = pair[0].fileno()
    watches.add(selector, READ, fd, callback("r"))
    watches.add(selector, WRITE, fd, callback("w"))
    assert watches.remove(selector, READ, fd)
    watches._check(selector)
    assert watches.events(fd) == WRITE
    assert not watches.remove(selector, READ, fd)
    assert watches.remove(selector, WRITE, fd)
    watches._check(selector)
    assert len(watches) == 0


def test_watches_remove_of_a_closed_fd_drops_both_sources(
    selector: selectors.BaseSelector,
) -> None:
    watches = Watches()
    a, b = socket.socketpair()
    fd = a.fileno()
    watches.add(selector, READ, fd, callback("r"))
    watches.add(selector, WRITE, fd, callback("w"))
    a.close()
    assert watches.remove(selector, READ, fd)
    assert len(watches) == 0
    watches._check(selector)
    b.close()


def test_watches_remove_closed_returns_them_in_registration_order(
    selector: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    watches = Watches()
    a, b = socket.socketpair()
    watches.add(selector, WRITE, a.fileno(), callback("w-a"))
    watches.add(selector, READ, pair[0].fileno(), callback("open"))
    watches.add(selector, READ, a.fileno(), callback("r-a"))
    a.close()
    closed = watches.remove_closed(selector)
    assert [s.callback.name for s in closed] == ["w-a", "r-a"]
    assert [kind_name(s.kind) for s in closed] == ["writer", "reader"]
    assert len(watches) == 1
    watches._check(selector)
    assert watches.remove_closed(selector) == []
    b.close()


def test_watches_refuse_a_regular_file_unchanged(selector: selectors.BaseSelector) -> None:
    watches = Watches()
    with (
        tempfile.TemporaryFile() as f,
        pytest.raises(ValueError, match=r"^fd \d+ cannot be watched: the selector refuses"),
    ):
        watches.add(selector, READ, f.fileno(), callback("file"))
    assert len(watches) == 0
    watches._check(selector)


def test_watches_a_failed_modify_drops_the_other_source(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    class NoModify(selectors.DefaultSelector):
        def modify(self, fileobj: Any, events: int, data: Any = None) -> Any:
            super().unregister(fileobj)  # as the stdlib does when epoll_ctl fails
            raise OSError("modify failed")

    watches = Watches()
    with NoModify() as selector:
        watches.add(selector, READ, pair[0].fileno(), callback("r"))
        with pytest.raises(OSError, match=r"^modify failed$"):
            watches.add(selector, WRITE, pair[0].fileno(), callback("w"))
        assert len(watches) == 0
        watches._check(selector)


def test_watches_a_refused_register_changes_nothing(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    class Refusing(selectors.DefaultSelector):
        def register(self, fileobj: Any, events: int, data: Any = None) -> Any:
            raise OSError("no room")

    watches = Watches()
    with Refusing() as selector, pytest.raises(OSError, match=r"^no room$"):
        watches.add(selector, READ, pair[0].fileno(), callback("r"))
    assert len(watches) == 0


def test_watches_clear_forgets_every_source(
    selector: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    watches = Watches()
    watches.add(selector, READ, pair[0].fileno(), callback("r"))
    watches.add(selector, WRITE, pair[1].fileno(), callback("w"))
    assert watches.clear() == 2
    assert len(watches) == 0
    watches._check(None)


def test_watches_check_ignores_the_owners_own_registrations(
    selector: selectors.BaseSelector, pair: tuple[socket.socket, socket.socket]
) -> None:
    watches = Watches()
    selector.register(pair[1].fileno(), READ, "wakeup")
    watches._check(selector)
    fd = os.dup(pair[0].fileno())
    try:
        selector.register(fd, READ)  # a user registration the registry does not know
        with pytest.raises(AssertionError):
            watches._check(selector)
    finally:
        selector.unregister(fd)
        os.close(fd)


@pytest.mark.parametrize(
    ("fd", "error", "message"),
    [
        (True, TypeError, r"^fd must be an int >= 0 or an object with fileno\(\), got True$"),
        (-1, ValueError, r"^fd must be >= 0, got -1$"),
        ("0", TypeError, r"^fd must be an int >= 0 or an object with fileno\(\), got '0'$"),
        (1.0, TypeError, r"^fd must be an int >= 0 or an object with fileno\(\), got 1.0$"),
    ],
    ids=["bool", "negative", "str", "float"],
)
def test_check_fd_rejects_bad_values(fd: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        check_fd(fd)


def test_check_fd_uses_fileno_and_checks_its_result() -> None:
    class Odd:
        def __init__(self, value: object) -> None:
            self.value = value

        def fileno(self) -> object:
            return self.value

        def __repr__(self) -> str:
            return "<Odd>"

    assert check_fd(Odd(3)) == 3
    with pytest.raises(TypeError, match=r"^fd must be an int >= 0 or an object with fileno"):
        check_fd(Odd("3"))
    with pytest.raises(ValueError, match=r"^fd must be >= 0, got <Odd>$"):
        check_fd(Odd(-2))
    a, b = socket.socketpair()
    a.close()
    b.close()
    with pytest.raises(ValueError, match=r"^fd must be >= 0"):
        check_fd(a)  # a closed socket's fileno() is -1
    with tempfile.TemporaryFile() as f:
        pass
    with pytest.raises(
        ValueError, match=r"^fd .* has no usable fileno\(\): I/O operation on closed"
    ):
        check_fd(f)
