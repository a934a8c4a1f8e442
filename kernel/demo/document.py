"""`Document`: the text being edited, the file it belongs to, and whether it is saved."""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING, Final

from kernel.demo.files import FileSignature, atomic_write, read_text, signature

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Document", "count_in_chunks", "count_text"]

OWN_SIGNATURES: Final = 8
"""How many of our own recent writes are recognised: the watcher may report an older save of
ours after a newer one (two saves within one poll interval), and that is no outside change."""


def count_text(text: str) -> tuple[int, int]:
    """``(words, lines)`` of `text`: whitespace-separated words, and lines as an editor numbers
    them (an empty text has one line; a final newline starts a new, empty one). O(len(text)).

    Pure and thread-safe: the app runs it on a worker thread.
    """
    return len(text.split()), text.count("\n") + 1


def count_in_chunks(text: str, chunk: int) -> int:
    """The whitespace-separated words of `text`, counted `chunk` characters at a time.

    The same answer as ``len(text.split())``, but each C call is short, so a worker thread
    running it lets the loop thread take the GIL every switch interval (5 ms). O(len(text)).

    Raises:
        ValueError: `chunk` is not positive.
    """
    if chunk <= 0:
        msg = f"chunk must be a positive number of characters, got {chunk!r}"
        raise ValueError(msg)
    words = 0
    joined = False  # the previous piece ended inside a word that this piece continues
    for start in range(0, len(text), chunk):
        piece = text[start : start + chunk]
        words += len(piece.split())
        if joined and not piece[0].isspace():
            words -= 1  # one word cut in two by the piece boundary
        joined = not piece[-1].isspace()
    return words


class Document:
    """The buffer's text and its file: load, save atomically, and tell our writes from others'.

    A document without a path is a scratch buffer: it edits but never saves. Not thread-safe:
    it belongs to the loop thread (the watcher thread only reports signatures).

    Args:
        path: the file to edit, or None for a scratch buffer.

    Raises:
        OSError: the file exists but cannot be read.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._saved_text = "" if path is None else read_text(path)
        self.text = self._saved_text
        self._ours: collections.deque[FileSignature | None] = collections.deque(
            maxlen=OWN_SIGNATURES
        )
        self._ours.append(None if path is None else signature(path))

    @property
    def name(self) -> str:
        """The file's name without its directory (what the status line shows), or ``[scratch]``."""
        return "[scratch]" if self.path is None else self.path.name

    @property
    def is_modified(self) -> bool:
        """True when the text differs from what was last loaded or saved."""
        return self.text != self._saved_text

    @property
    def signature(self) -> FileSignature | None:
        """The signature of the file as we last read or wrote it (None: none on disk)."""
        return self._ours[-1]

    def save(self) -> bool:
        """Write the text to the file atomically; False for a scratch buffer (nothing written).

        Raises:
            OSError: the write failed; the file and the document are unchanged.
        """
        if self.path is None:
            return False
        text = self.text
        self._ours.append(atomic_write(self.path, text))
        self._saved_text = text
        return True

    def is_ours(self, seen: FileSignature | None) -> bool:
        """True when `seen` is the file as we read it or as one of our recent saves left it."""
        return seen in self._ours

    def reload(self) -> None:
        """Read the file again, dropping unsaved edits.

        Raises:
            OSError: the file cannot be read.
        """
        if self.path is None:
            return
        self._saved_text = self.text = read_text(self.path)
        self._ours.append(signature(self.path))
