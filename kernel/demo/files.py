"""Reading and atomically writing the edited file, and the signature the watcher compares."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import stat
import tempfile
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DEFAULT_MODE", "FileSignature", "atomic_write", "read_text", "signature"]

DEFAULT_MODE: Final = 0o644
"""The mode of a file the editor creates (before the umask), as most editors do."""
ENCODING: Final = "utf-8"
"""The editor reads and writes UTF-8 only; undecodable bytes are replaced when reading."""


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class FileSignature:
    """What identifies one version of a file on disk: its modification time and size.

    Two signatures differ when the file was written (or replaced) in between, except for a
    write of the same size within the filesystem's timestamp granularity (nanoseconds here).
    """

    mtime_ns: int
    size: int


def signature(path: Path) -> FileSignature | None:
    """The file's signature, or None when it does not exist (or cannot be stat-ed)."""
    try:
        info = path.stat()
    except OSError:
        return None
    return FileSignature(mtime_ns=info.st_mtime_ns, size=info.st_size)


def read_text(path: Path) -> str:
    """The file's text ("" when it does not exist yet: a new file).

    Raises:
        OSError: the file exists but cannot be read (a directory, no permission).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return ""
    return data.decode(ENCODING, errors="replace")


def atomic_write(path: Path, text: str) -> FileSignature | None:
    """Write `text` to `path` atomically and return the new file's signature.

    The text goes to a temporary file in the same directory (so `os.replace` never crosses a
    filesystem), is flushed and fsync-ed, takes the old file's permission bits (or
    `DEFAULT_MODE` less the umask for a new file), and then replaces `path` in one step: a
    reader sees the old content or the new one, never a mix. On any error the temporary file
    is removed and `path` is unchanged.

    Raises:
        OSError: the directory is not writable, the disk is full, and so on.
    """
    directory = path.parent
    mode = _mode_for(path)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(text.encode(ENCODING))
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    return signature(path)  # None only if someone deleted it at once


def _mode_for(path: Path) -> int:
    """The permission bits the new version gets: the old file's, or the default less the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return DEFAULT_MODE & ~umask
