"""A complete raw-terminal program on kernel: kernel *is* the main loop.

Type text (UTF-8, decoded incrementally, so a character split across reads is fine), Backspace
deletes, Ctrl-S counts the words on a worker thread, resizing the terminal redraws, Ctrl-Q (or
SIGTERM) stops gracefully. The terminal is restored on every exit, and kernel's error reports
are kept off the raw screen and printed to stderr once the terminal is back to normal.

Run it: ``python docs/examples/tui_main_loop.py``. docs/main_loop.md walks through it;
tests/test_main_loop_example.py drives it through a real pseudo-terminal.
"""

from __future__ import annotations

import codecs
import os
import signal
import sys
import termios
import traceback
import tty
from typing import TYPE_CHECKING

from kernel import ErrorReport, Runtime

if TYPE_CHECKING:
    from concurrent.futures import Future

CTRL_Q = "\x11"
CTRL_S = "\x13"
BACKSPACE = ("\x7f", "\b")
READ_SIZE = 4096


def count_words(text: str) -> int:
    """The "blocking" job: runs on a worker thread, touches no shared state."""
    return len(text.split())


class Editor:
    """The app's state and its callbacks; every method runs on the loop thread."""

    def __init__(self, rt: Runtime, fd_in: int, fd_out: int) -> None:
        self.rt = rt
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""
        self.status = "Ctrl-S: count words   Ctrl-Q: quit"
        self.size = os.get_terminal_size(fd_out)

    def on_input(self) -> None:
        """stdin is readable: read what is there, decode it, and update the text."""
        try:
            data = os.read(self.fd_in, READ_SIZE)
        except OSError:  # EIO: the terminal went away
            data = b""
        if not data:  # end of input
            self.rt.shutdown()
            return
        for char in self.decoder.decode(data):
            if char == CTRL_Q:
                self.rt.shutdown()
                return
            if char == CTRL_S:
                self.status = "counting..."
                self.rt.run_in_thread(count_words, self.text, on_done=self.on_counted)
            elif char in BACKSPACE:
                self.text = self.text[:-1]
            elif char.isprintable():
                self.text += char
        self.rt.request_render()

    def on_counted(self, future: Future[int]) -> None:
        """The worker's result, delivered on the loop thread."""
        self.status = f"words: {future.result()}"
        self.rt.request_render()

    def on_resize(self) -> None:
        """SIGWINCH, delivered on the loop thread in the I/O phase."""
        self.size = os.get_terminal_size(self.fd_out)
        self.status = f"resized to {self.size.columns}x{self.size.lines}"
        self.rt.request_render()

    def render(self) -> None:
        """An idle callback: draws once per burst of input, just before the loop sleeps."""
        if not self.rt.take_render_pending():
            return
        columns, lines = self.size
        screen = (
            "\x1b[H\x1b[2J"  # home, clear
            + "kernel note"[:columns]
            + "\r\n"
            + self.text[-columns:]
            + f"\x1b[{lines};1H"  # the last line
            + self.status[:columns]
            + f"\x1b[2;{min(len(self.text), columns) + 1}H"  # the cursor after the text
        )
        os.write(self.fd_out, screen.encode())


def main(fd_in: int = 0, fd_out: int = 1) -> int:
    """Run the editor on a terminal; return the exit status (1 if kernel reported errors)."""
    reports: list[ErrorReport] = []  # kept off the raw screen until the terminal is restored
    saved = termios.tcgetattr(fd_in)
    try:
        tty.setraw(fd_in)
        os.write(fd_out, b"\x1b[?1049h")  # the alternate screen
        with Runtime(error_handler=reports.append) as rt:
            editor = Editor(rt, fd_in, fd_out)
            rt.add_reader(fd_in, editor.on_input)
            rt.add_signal_handler(signal.SIGWINCH, editor.on_resize)
            rt.add_signal_handler(signal.SIGTERM, rt.shutdown)
            rt.add_idle_callback(editor.render)
            rt.request_render()
            rt.run()
    finally:  # any exit: Ctrl-Q, SIGTERM, an exception, KeyboardInterrupt
        os.write(fd_out, b"\x1b[?1049l")
        termios.tcsetattr(fd_in, termios.TCSADRAIN, saved)
    for report in reports:
        print(f"{report.phase} {report.callback} raised (tick {report.tick}):", file=sys.stderr)
        traceback.print_exception(report.exception, file=sys.stderr)
    print("bye", file=sys.stderr)
    return 1 if reports else 0


if __name__ == "__main__":
    sys.exit(main())
