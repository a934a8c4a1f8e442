"""kernel.demo.watcher: a real thread polling a real file."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from kernel.demo.files import FileSignature, signature
from kernel.demo.watcher import FileWatcher

if TYPE_CHECKING:
    from pathlib import Path


def test_poll_reports_each_change_once(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("a")
    seen: list[FileSignature | None] = []
    watcher = FileWatcher(path, seen.append, interval=None)
    assert watcher.poll() is False  # the starting point is not a change
    path.write_text("abc")
    assert watcher.poll() is True
    assert watcher.poll() is False
    path.unlink()
    assert watcher.poll() is True
    assert seen[1] is None
    assert seen[0] is not None
    assert seen[0].size == 3


def test_thread_polls_on_its_interval_and_stops(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("a")
    changed = threading.Event()
    seen: list[FileSignature | None] = []

    def on_change(sig: FileSignature | None) -> None:
        seen.append(sig)
        changed.set()

    watcher = FileWatcher(path, on_change, interval=0.01)
    watcher.start()
    try:
        assert [watcher.is_alive] == [True]  # (a list: mypy would narrow the property)
        path.write_text("changed")
        assert changed.wait(10.0)
    finally:
        assert watcher.stop()
    assert not watcher.is_alive
    assert seen == [signature(path)]
    assert watcher.stop()  # idempotent


def test_poll_now_waits_for_one_poll(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    seen: list[FileSignature | None] = []
    watcher = FileWatcher(path, seen.append, interval=None)
    watcher.start()
    try:
        assert watcher.poll_now()
        assert seen == []
        path.write_text("new")
        assert watcher.poll_now()
        assert seen == [signature(path)]  # called before poll_now returned
    finally:
        assert watcher.stop()


def test_stop_before_start_is_fine(tmp_path: Path) -> None:
    assert FileWatcher(tmp_path / "f", print).stop()


@pytest.mark.parametrize("interval", [0, -1.0], ids=["zero", "negative"])
def test_bad_interval_is_refused(tmp_path: Path, interval: float) -> None:
    with pytest.raises(ValueError, match=r"^interval must be a positive number .* got "):
        FileWatcher(tmp_path / "f", print, interval=interval)
