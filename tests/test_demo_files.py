"""kernel.demo.files: reading, atomic writes, signatures."""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING

import pytest

from kernel.demo.files import DEFAULT_MODE, FileSignature, atomic_write, read_text, signature

if TYPE_CHECKING:
    from pathlib import Path


def test_read_text_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_text(tmp_path / "new.txt") == ""


def test_read_text_replaces_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"caf\xc3\xa9 \xff")
    assert read_text(path) == "café \ufffd"


def test_read_text_of_a_directory_raises(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        read_text(tmp_path)


def test_signature_is_mtime_and_size_or_none(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    assert signature(path) is None
    path.write_text("abc")
    info = path.stat()
    assert signature(path) == FileSignature(mtime_ns=info.st_mtime_ns, size=3)


def test_atomic_write_replaces_content_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old")
    path.chmod(0o600)
    written = atomic_write(path, "new ✓")
    assert path.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert written == signature(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]  # no temporary file left


def test_atomic_write_creates_a_new_file_with_the_default_mode_less_the_umask(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.txt"
    umask = os.umask(0o022)
    try:
        atomic_write(path, "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == DEFAULT_MODE & ~0o022


def test_atomic_write_failure_leaves_the_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old")

    def refuse(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]
