"""Running the editor in a real terminal: urwid's raw screen on a `KernelEventLoop`.

The terminal is restored on every exit (Ctrl-Q, SIGTERM, a crash); kernel's error reports and
log records are kept off the screen while it runs and printed once it is restored.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import signal
import sys
import termios
import traceback
from typing import TYPE_CHECKING, Final, TextIO

import urwid

from kernel import Runtime, RuntimeConfig
from kernel.demo.app import EditorApp, ErrorRoute, StallNotifier
from kernel.demo.document import Document
from kernel.demo.jobs import ThreadJobs
from kernel.demo.report import format_shutdown_report
from kernel.demo.select_host import SelectHost
from kernel.demo.watcher import FileWatcher
from kernel.hosts.urwid import KernelEventLoop
from kernel.instruments import LatencyHistogram

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = ["LOOPS", "STALL_THRESHOLD", "run_terminal", "wall_clock_text"]

STALL_THRESHOLD: Final = 0.5
"""Seconds a callback may block the loop before the watchdog reports it: ten frames at 60 Hz is
already a visible freeze, and F3's task (1.5 s) crosses it for sure."""
LOOPS: Final = ("kernel", "select")
SWITCH_INTERVAL: Final = 0.001
"""Seconds a worker thread may hold the GIL while the loop thread waits for it (CPython's
default is 5 ms): handling a key takes several GIL hand-offs (the wake-up, the read, the draw),
so with a busy worker the default alone adds up to tens of milliseconds per key."""
"""The event loops the editor runs on: kernel's, or urwid's own (the benchmark's comparison)."""


def wall_clock_text() -> str:
    """The local time as ``HH:MM:SS``, for the status line's clock."""
    return datetime.datetime.now().astimezone().strftime("%H:%M:%S")


class _KeptRecords(logging.Handler):
    """Keeps logger ``kernel``'s records while the screen is up (stderr would scribble on it)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _kernel_log_kept() -> Iterator[_KeptRecords]:
    logger = logging.getLogger("kernel")
    kept = _KeptRecords()
    propagate = logger.propagate
    logger.addHandler(kept)
    logger.propagate = False
    try:
        yield kept
    finally:
        logger.removeHandler(kept)
        logger.propagate = propagate


@contextlib.contextmanager
def _switch_interval(seconds: float) -> Iterator[None]:
    """CPython's GIL switch interval set to `seconds` while the editor runs, then put back."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(seconds)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@contextlib.contextmanager
def _terminal_restored(fd: int) -> Iterator[None]:
    """Put the terminal's settings back on any exit (urwid restores them too; this is the net)."""
    saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_terminal(
    path: Path | None,
    *,
    loop: str = "kernel",
    busy: bool = False,
    term_in: TextIO | None = None,
    term_out: TextIO | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run the editor on the controlling terminal until Ctrl-Q; return the exit status.

    Prints the `kernel.ShutdownReport` to `out` after the terminal is restored, then any kernel
    error reports and log records to `err`. Returns 0, or 1 if kernel reported errors. An
    exception (a bug in a urwid callback) propagates, after the terminal, the signal handlers
    and every thread and fd of the runtime are back to how they were.

    Args:
        path: the file to edit (None: a scratch buffer).
        loop: ``"kernel"`` (`KernelEventLoop`) or ``"select"`` (urwid's `SelectEventLoop`,
            with the runtime pumped from it: the benchmark's comparison).
        busy: keep a worker thread busy the whole time (the benchmark's background job).
        term_in, term_out: the terminal (default: `sys.stdin`, `sys.stdout`).
        out, err: where the report and the errors go (default: `sys.stdout`, `sys.stderr`).
    """
    term_in = sys.stdin if term_in is None else term_in
    session = _Session(path, loop, term_in, sys.stdout if term_out is None else term_out)
    with (
        _switch_interval(SWITCH_INTERVAL),
        _kernel_log_kept() as kept,
        _terminal_restored(term_in.fileno()),
    ):
        # Ctrl-S and Ctrl-Q are the terminal's flow control keys: free them for the editor.
        session.screen.tty_signal_keys(start="undefined", stop="undefined", fileno=term_in.fileno())
        session.run(busy=busy)
    return session.print_outcome(
        kept.records, sys.stdout if out is None else out, sys.stderr if err is None else err
    )


class _Session:
    """One run of the editor: the runtime, the app, its threads and the urwid loop around them."""

    def __init__(self, path: Path | None, loop: str, term_in: TextIO, term_out: TextIO) -> None:
        self.errors = ErrorRoute()
        rt = self.rt = Runtime(
            RuntimeConfig(stall_threshold=STALL_THRESHOLD), error_handler=self.errors
        )
        rt.boot()
        histogram = LatencyHistogram()
        app = self.app = EditorApp(
            rt, Document(path), jobs=ThreadJobs(rt), now_text=wall_clock_text, histogram=histogram
        )
        self.errors.connect(app.show_error)
        rt.add_instrument(histogram)
        rt.add_instrument(StallNotifier(app))
        self.watcher = None if path is None else FileWatcher(path, app.file_changed_from_thread)
        self.screen = urwid.display.raw.Screen(term_in, term_out)
        self.host = SelectHost(rt) if loop == "select" else None
        self.event_loop = KernelEventLoop(rt) if self.host is None else self.host.event_loop
        self.main_loop = app.main_loop(self.screen, self.event_loop)

    def run(self, *, busy: bool) -> None:
        """Run until Ctrl-Q (or SIGINT, SIGTERM); on any exit stop every thread and the runtime."""
        app, host, watcher = self.app, self.host, self.watcher
        previous = {
            signum: self.event_loop.set_signal_handler(signum, lambda *_: app.quit())
            for signum in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            if watcher is not None:
                watcher.start()
            if busy:
                app.start_background_job()
            app.start()
            if host is not None:
                host.start()
            self.main_loop.run()
        finally:
            if watcher is not None:
                watcher.stop()
            app.stop_background_job()
            if host is not None:
                host.stop()
            for signum, handler in previous.items():
                restored = signal.SIG_DFL if handler is None else handler  # None: not from Python
                self.event_loop.set_signal_handler(signum, restored)
            self.rt.close()  # after a crash: stop at once and release every OS resource

    def print_outcome(self, records: list[logging.LogRecord], out: TextIO, err: TextIO) -> int:
        """Print the report, then the errors and log records kept off the screen; the status."""
        report = self.rt.shutdown_report()
        assert report is not None  # close() ran the terminal tick at the latest
        print(format_shutdown_report(report), file=out)
        for error in self.errors.reports:
            print(f"{error.phase} {error.callback} raised (tick {error.tick}):", file=err)
            traceback.print_exception(error.exception, file=err)
        if records:
            print("kernel's log while the editor ran (kept off the screen):", file=err)
        for record in records:
            print(f"kernel log: {record.getMessage()}", file=err)
        return 1 if self.errors.reports else 0
