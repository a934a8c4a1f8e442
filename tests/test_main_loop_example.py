"""docs/examples/tui_main_loop.py, driven through a real pseudo-terminal: keys in (UTF-8 split
across writes), frames out, a worker-thread job, a resize, Ctrl-Q or SIGTERM out, and the
terminal settings restored. The doc shows the program verbatim."""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT: Final = Path(__file__).resolve().parent.parent
EXAMPLE: Final = ROOT / "docs" / "examples" / "tui_main_loop.py"
DOC: Final = ROOT / "docs" / "main_loop.md"
TIMEOUT: Final = 20.0
"""Seconds to wait for the program's output or exit (it starts a Python interpreter)."""
_ESCAPE: Final = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def set_size(fd: int, lines: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))


class Terminal:
    """The example running on the slave side of a pty; the test holds the master."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        set_size(self.slave, 24, 80)
        self.saved = termios.tcgetattr(self.slave)
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLE)],
            stdin=self.slave,
            stdout=self.slave,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            start_new_session=True,
        )
        self.output = b""
        self.mark = 0

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def expect(self, text: str) -> str:
        """Wait until `text` shows in the output since the last expect; return that output."""
        wanted = text.encode()
        deadline = time.monotonic() + TIMEOUT
        while True:
            visible = _ESCAPE.sub(b"", self.output[self.mark :])
            if wanted in visible:
                self.mark = len(self.output)
                return visible.decode(errors="replace")
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.process.poll() is not None:
                pytest.fail(f"{text!r} not seen; output {self.output[-500:]!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                self.output += os.read(self.master, 65536)

    def finish(self) -> tuple[int, str]:
        """Wait for the exit, read the last output; return the status and stderr."""
        _, stderr = self.process.communicate(timeout=TIMEOUT)
        while select.select([self.master], [], [], 0)[0]:
            self.output += os.read(self.master, 65536)
        return self.process.returncode, stderr.decode()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate(timeout=TIMEOUT)
        elif self.process.stderr is not None:
            self.process.stderr.close()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    term = Terminal()
    yield term
    term.close()


def test_example_edits_counts_resizes_and_quits_cleanly(terminal: Terminal) -> None:
    terminal.expect("Ctrl-Q: quit")
    # "é" and "ö" split across writes: the incremental decoder joins them.
    for chunk in (b"h\xc3", b"\xa9llo w\xc3", b"\xb6rld"):
        terminal.send(chunk)
    terminal.expect("héllo wörld")
    terminal.send(b"\x7f")
    terminal.expect("héllo wörlCtrl-S")  # the text line, then the status line
    terminal.send(b"\x13")
    terminal.expect("words: 2")
    set_size(terminal.master, 30, 100)
    terminal.process.send_signal(signal.SIGWINCH)  # not its controlling tty: the test tells it
    terminal.expect("resized to 100x30")
    terminal.send(b"\x11")
    status, stderr = terminal.finish()
    assert (status, stderr) == (0, "bye\n")
    assert termios.tcgetattr(terminal.slave) == terminal.saved
    assert terminal.output.endswith(b"\x1b[?1049l")  # left the alternate screen last


def test_example_stops_gracefully_on_sigterm(terminal: Terminal) -> None:
    terminal.expect("Ctrl-Q: quit")
    terminal.process.send_signal(signal.SIGTERM)
    status, stderr = terminal.finish()
    assert (status, stderr) == (0, "bye\n")
    assert termios.tcgetattr(terminal.slave) == terminal.saved


def test_doc_shows_the_example_verbatim() -> None:
    assert EXAMPLE.read_text(encoding="utf-8") in DOC.read_text(encoding="utf-8")
