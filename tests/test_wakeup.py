"""Wakeup: a non-blocking socketpair that is empty or not, written from any thread."""

from __future__ import annotations

import selectors
import threading

from kernel._core.wakeup import Wakeup


def test_wakeup_write_makes_the_read_end_readable_and_drain_empties_it() -> None:
    wakeup = Wakeup()
    with selectors.DefaultSelector() as selector:
        selector.register(wakeup.fileno(), selectors.EVENT_READ)
        assert selector.select(0) == []
        wakeup.write()
        wakeup.write()
        assert len(selector.select(0)) == 1
        assert wakeup.drain() == 2
        assert selector.select(0) == []
    wakeup.close()


def test_wakeup_write_never_raises_when_the_buffer_is_full() -> None:
    wakeup = Wakeup()
    for _ in range(200_000):  # far beyond any socket buffer
        wakeup.write()
    assert wakeup.drain() > 0
    assert wakeup.drain() == 0
    wakeup.close()


def test_wakeup_after_close_write_does_nothing_and_close_is_idempotent() -> None:
    wakeup = Wakeup()
    assert wakeup.write_fd != -1
    wakeup.close()
    wakeup.close()
    assert wakeup.closed
    assert wakeup.write_fd == -1
    wakeup.write()
    assert wakeup.drain() == 0


def test_wakeup_drain_stops_when_the_write_end_is_gone() -> None:
    wakeup = Wakeup()
    wakeup.write()
    wakeup._writer.close()
    assert wakeup.drain() == 1
    wakeup.close()


def test_wakeup_written_from_another_thread_ends_a_select() -> None:
    wakeup = Wakeup()
    with selectors.DefaultSelector() as selector:
        selector.register(wakeup.fileno(), selectors.EVENT_READ)
        writer = threading.Thread(target=wakeup.write)
        writer.start()
        assert len(selector.select(10.0)) == 1
        writer.join(timeout=10.0)
        assert not writer.is_alive()
    wakeup.close()


def test_wakeup_drain_reads_more_than_one_chunk() -> None:
    wakeup = Wakeup()
    wakeup._writer.send(bytes(10_000))
    assert wakeup.drain() == 10_000
    wakeup.close()
