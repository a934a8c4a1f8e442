"""kernel.demo in a real pseudo-terminal, read back through pyte (a terminal emulator).

In-process runs of `run_terminal` (measured by coverage) with a helper thread as the user, and
one end-to-end run of ``python -m kernel.demo FILE`` in a subprocess: type, save, resize, quit,
then check the file, the exit status, the printed report and the restored terminal settings.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

pytest.importorskip("urwid")
pyte = pytest.importorskip("pyte")

from kernel.demo import app as demo_app  # noqa: E402
from kernel.demo.terminal import run_terminal, wall_clock_text  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

ROOT: Final = Path(__file__).resolve().parent.parent
TIMEOUT: Final = 20.0
"""Seconds to wait for something to show on the screen (the machine is shared and slow)."""
CTRL_Q: Final = b"\x11"
CTRL_S: Final = b"\x13"
F2: Final = b"\x1bOQ"
F3: Final = b"\x1bOR"


def set_size(fd: int, rows: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


class Pty:
    """A pseudo-terminal whose output a thread feeds to a pyte screen."""

    def __init__(self, columns: int = 80, rows: int = 24) -> None:
        self.master, self.slave = os.openpty()
        set_size(self.slave, rows, columns)
        self.saved = termios.tcgetattr(self.slave)
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            with self._lock:
                self.raw += data
                self.stream.feed(data)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def display(self) -> list[str]:
        with self._lock:
            return list(self.screen.display)

    def wait_for(self, text: str, row: int | None = None) -> list[str]:
        """Wait until `text` shows (on `row` if given); return the screen."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            lines = self.display()
            if any(text in line for line in (lines if row is None else [lines[row]])):
                return lines
            time.sleep(0.02)
        raise AssertionError(f"{text!r} not on the screen:\n" + "\n".join(self.display()))

    def resize(self, columns: int, rows: int, pid: int) -> None:
        with self._lock:
            self.screen.resize(rows, columns)
        set_size(self.master, rows, columns)
        os.kill(pid, signal.SIGWINCH)

    def close(self) -> None:
        self._stop.set()
        self._reader.join(TIMEOUT)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty() -> Iterator[Pty]:
    terminal = Pty()
    yield terminal
    terminal.close()


def run_in_process(
    pty: Pty, user: Callable[[Pty], None], path: Path | None, **options: Any
) -> tuple[int, str, str]:
    """`run_terminal` on the pty (this thread), `user` typing on another; (status, out, err)."""
    failures: list[BaseException] = []

    def act() -> None:
        try:
            user(pty)
        except BaseException as exc:
            failures.append(exc)
        finally:
            with contextlib.suppress(OSError):
                pty.send(CTRL_Q)  # whatever happened, let the editor end

    term_in = open(pty.slave, encoding="utf-8", closefd=False)  # noqa: SIM115
    term_out = open(pty.slave, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    out, err = io.StringIO(), io.StringIO()
    helper = threading.Thread(target=act)
    helper.start()
    try:
        status = run_terminal(path, term_in=term_in, term_out=term_out, out=out, err=err, **options)
    finally:
        helper.join(TIMEOUT)
        term_in.close()
        term_out.close()
    if failures:
        raise failures[0]
    return status, out.getvalue(), err.getvalue()


def test_edit_save_resize_stats_and_quit(pty: Pty, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("one two\n")

    def user(pty: Pty) -> None:
        pty.wait_for("editing notes.txt", row=23)
        pty.send(b"hello ")
        pty.wait_for("hello one two", row=1)
        pty.send(CTRL_S)
        pty.wait_for("saved notes.txt", row=23)
        pty.resize(100, 30, os.getpid())
        pty.wait_for("saved notes.txt", row=29)  # the message line moved to the new last row
        pty.send(F2)
        lines = pty.wait_for("kernel stats")
        assert any("p99" in line for line in lines)

    status, out, err = run_in_process(pty, user, path)
    assert (status, err) == (0, "")
    assert path.read_text() == "hello one two\n"
    assert out.startswith("kernel stopped (Stopping) after ")
    assert termios.tcgetattr(pty.slave) == pty.saved


def test_f3_stall_report_shows_on_the_message_line(
    pty: Pty, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_app, "SLOW_TASK_SECONDS", 0.8)

    def user(pty: Pty) -> None:
        pty.wait_for("editing [scratch]", row=23)
        pty.send(F3)
        pty.wait_for("stall watchdog: timer 'slow task (F3)' blocked the loop", row=23)

    status, _out, err = run_in_process(pty, user, None)
    assert status == 0
    assert "kernel log: stall: timer slow task (F3) has run for" in err
    assert termios.tcgetattr(pty.slave) == pty.saved


def test_select_loop_with_a_background_job(
    pty: Pty, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_app, "AUTOSAVE_DELAY", 0.3)  # real seconds to wait: 1.0 by default
    path = tmp_path / "notes.txt"

    def user(pty: Pty) -> None:
        pty.wait_for("editing notes.txt", row=23)
        pty.send(b"on urwid's loop")
        pty.wait_for("autosaved notes.txt", row=23)

    status, out, err = run_in_process(pty, user, path, loop="select", busy=True)
    assert (status, err) == (0, "")
    assert path.read_text() == "on urwid's loop"
    assert "kernel stopped (Stopping)" in out


def test_kernel_errors_are_shown_in_the_app_and_printed_after(
    pty: Pty, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_clock(self: demo_app.EditorApp) -> None:
        raise OSError("the clock broke")

    monkeypatch.setattr(demo_app.EditorApp, "on_clock", broken_clock)
    monkeypatch.setattr(demo_app, "CLOCK_INTERVAL", 0.05)  # the first call: 1 s in by default

    def user(pty: Pty) -> None:
        pty.wait_for("error in timer clock: OSError: the clock broke", row=23)

    status, _out, err = run_in_process(pty, user, None)
    assert status == 1
    assert "timer clock raised (tick " in err
    assert "OSError: the clock broke" in err
    assert termios.tcgetattr(pty.slave) == pty.saved


def test_a_crash_restores_the_terminal(pty: Pty, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: demo_app.EditorApp) -> None:
        raise RuntimeError("a bug in the app")

    monkeypatch.setattr(demo_app.EditorApp, "toggle_stats", crash)

    def user(pty: Pty) -> None:
        pty.wait_for("editing [scratch]", row=23)
        pty.send(F2)

    with pytest.raises(RuntimeError, match=r"^a bug in the app$"):
        run_in_process(pty, user, None)
    assert termios.tcgetattr(pty.slave) == pty.saved


def test_wall_clock_text_is_hours_minutes_seconds() -> None:
    text = wall_clock_text()
    assert len(text) == 8
    assert text[2] == text[5] == ":"


def test_demo_in_a_subprocess_types_saves_resizes_and_quits(pty: Pty, tmp_path: Path) -> None:
    path = tmp_path / "file.txt"
    process = subprocess.Popen(
        [sys.executable, "-m", "kernel.demo", str(path)],
        stdin=pty.slave,
        stdout=pty.slave,
        stderr=pty.slave,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    try:
        pty.wait_for("editing file.txt", row=23)
        pty.send(b"typed in a pty")
        pty.wait_for("typed in a pty", row=1)
        pty.send(CTRL_S)
        pty.wait_for("saved file.txt", row=23)
        pty.resize(60, 12, process.pid)
        lines = pty.wait_for("saved file.txt", row=11)
        assert lines[10].startswith(" file.txt  Ln 1, Col 15  4 words, 1 lines")
        pty.send(CTRL_Q)
        assert process.wait(TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
    assert path.read_text() == "typed in a pty"
    deadline = time.monotonic() + TIMEOUT
    while b"thread jobs cancelled" not in pty.raw and time.monotonic() < deadline:
        time.sleep(0.02)
    assert b"kernel stopped (Stopping) after " in pty.raw
    assert termios.tcgetattr(pty.slave) == pty.saved


def test_switch_interval_is_short_while_running_and_restored_after(pty: Pty) -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []

    def user(pty: Pty) -> None:
        pty.wait_for("editing [scratch]", row=23)
        seen.append(sys.getswitchinterval())

    run_in_process(pty, user, None)
    assert seen == [pytest.approx(0.001)]
    assert sys.getswitchinterval() == before


@pytest.mark.parametrize("loop", ["kernel", "select"])
def test_signal_handlers_are_restored_after_the_run(pty: Pty, loop: str) -> None:
    before = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def user(pty: Pty) -> None:
        pty.wait_for("editing [scratch]", row=23)

    assert run_in_process(pty, user, None, loop=loop)[0] == 0
    assert {signum: signal.getsignal(signum) for signum in before} == before


def test_sigterm_quits_gracefully(pty: Pty) -> None:
    def user(pty: Pty) -> None:
        pty.wait_for("editing [scratch]", row=23)
        os.kill(os.getpid(), signal.SIGTERM)  # the run ends: no frame after it

    status, out, _err = run_in_process(pty, user, None)
    assert status == 0
    assert out.startswith("kernel stopped (Stopping)")
