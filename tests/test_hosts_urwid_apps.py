"""Real `urwid.MainLoop` apps on `KernelEventLoop` (SPEC §13): deterministic runs on a
`ManualClock` with terminal-less screens (frames out, keys in, alarms on virtual time), idle
redraws that never spin, and one end-to-end run in a real pseudo-terminal read with pyte.
Skipped when urwid (or, for the terminal test, pyte) is not installed."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

urwid = pytest.importorskip("urwid")
urwid_testing = pytest.importorskip("urwid.testing")

from urwid.display.common import BaseScreen  # noqa: E402  # after the skip

from kernel import Runtime  # noqa: E402  # after the skip: kernel.hosts.urwid imports urwid
from kernel.hosts.urwid import KernelEventLoop  # noqa: E402
from kernel.testing import ManualClock  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
TERMINAL_WAIT: float = 20.0
"""Seconds the pty test waits for the app to show something before calling it hung."""


def uptime_app(evl: KernelEventLoop, screen: Any, *, quit_after: float | None = None) -> Any:
    """An editor line and a status line that a kernel periodic timer updates every second."""
    edit = urwid.Edit("> ")
    status = urwid.Text("uptime 0 s")
    seconds = 0

    def every_second() -> None:
        nonlocal seconds
        seconds += 1
        status.set_text(f"uptime {seconds} s")

    def on_key(key: str) -> None:
        if key == "esc":
            raise urwid.ExitMainLoop

    evl.runtime.schedule_periodic(1.0, every_second)
    main = urwid.MainLoop(
        urwid.Filler(urwid.Pile([edit, status]), valign="top"),
        screen=screen,
        event_loop=evl,
        unhandled_input=on_key,
    )
    if quit_after is not None:
        main.set_alarm_in(quit_after, lambda loop, data: on_key("esc"))
    return main


class CountingScreen(BaseScreen):
    """A terminal-less screen that records the text of every draw and reads no input."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__()
        self.size = size
        self.frames: list[list[str]] = []

    def get_cols_rows(self) -> tuple[int, int]:
        return self.size

    def draw_screen(self, size: tuple[int, int], canvas: Any) -> None:
        self.frames.append([line.rstrip() for line in canvas.decoded_text])

    def hook_event_loop(self, event_loop: Any, callback: Callable[..., Any]) -> None:
        """No input to watch."""

    def unhook_event_loop(self, event_loop: Any) -> None:
        """Nothing was watched."""

    def get_input(self, raw_keys: bool = False) -> list[str]:
        return []


# -- deterministic: ManualClock ----------------------------------------------------------------


def test_a_scripted_main_loop_runs_to_its_frames_in_no_virtual_time() -> None:
    rt = Runtime(clock=ManualClock())
    screen = urwid_testing.ScriptedScreen(size=(12, 2), inputs=[["h", "i"], ["backspace"], ["esc"]])
    uptime_app(KernelEventLoop(rt), screen).run()
    assert [[line.rstrip() for line in frame.decoded_text] for frame in screen.canvases] == [
        [">", "uptime 0 s"],
        ["> hi", "uptime 0 s"],
        ["> h", "uptime 0 s"],
    ]
    assert rt.clock.now() == 0.0  # keys came at once; no timer had to fire
    rt.close()


def test_scripted_frames_match_urwids_select_loop() -> None:
    """The same script gives the same frames on urwid's own loop (the reference)."""

    def frames(evl: Any) -> list[tuple[str, ...]]:
        screen = urwid_testing.ScriptedScreen(size=(10, 1), inputs=[["a", "b"], ["backspace"]])
        urwid.MainLoop(urwid.Filler(urwid.Edit("> ")), screen=screen, event_loop=evl).run()
        return [frame.decoded_text for frame in screen.canvases]

    rt = Runtime(clock=ManualClock())
    assert frames(KernelEventLoop(rt)) == frames(urwid.SelectEventLoop())
    rt.close()


def test_alarms_and_kernel_timers_fire_on_virtual_time_and_idle_draws_never_spin() -> None:
    clock = ManualClock()
    rt = Runtime(clock=clock)
    screen = CountingScreen((14, 2))
    uptime_app(KernelEventLoop(rt), screen, quit_after=10.5).run()
    # Two draws at the start (MainLoop's own alarm(0) and the first idle, as on urwid's select
    # loop), then one after each of the ten seconds: idle callbacks are not work.
    assert len(screen.frames) == 12
    assert screen.frames[0] == [">", "uptime 0 s"]
    assert screen.frames[-1] == [">", "uptime 10 s"]
    assert clock.now() == 10.5
    rt.close()


def test_an_app_is_stepped_with_advance_keys_in_frames_out() -> None:
    rt = Runtime(clock=ManualClock())
    screen = urwid_testing.ScriptedScreen(size=(14, 2))
    main = uptime_app(KernelEventLoop(rt), screen)
    main.process_input(["o", "k"])
    rt.advance(3.0)
    main.draw_screen()
    assert [line.rstrip() for line in screen.last_text] == ["> ok", "uptime 3 s"]
    with pytest.raises(urwid.ExitMainLoop):
        main.process_input(["esc"])
    rt.close()


# -- end to end: a real terminal ---------------------------------------------------------------

APP = """
import urwid
from kernel.hosts.urwid import KernelEventLoop

evl = KernelEventLoop()
edit = urwid.Edit("> ")


def on_key(key):
    if key == "esc":
        raise urwid.ExitMainLoop


body = urwid.Filler(urwid.Pile([urwid.Text("kernel in a pty"), edit]), valign="top")
urwid.MainLoop(body, event_loop=evl, unhandled_input=on_key).run()
evl.runtime.close()
print("clean exit:", edit.edit_text)
"""


class Terminal:
    """A pty with a pyte screen on the master side."""

    def __init__(self, pyte: Any, master: int) -> None:
        self.master = master
        self.screen = pyte.Screen(80, 24)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""

    def read_until(self, predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TERMINAL_WAIT
        while not predicate():
            assert time.monotonic() < deadline, f"timed out; screen: {self.screen.display}"
            if select.select([self.master], [], [], 0.05)[0]:
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    return
                self.raw += data
                self.stream.feed(data)

    def shows(self, text: str) -> bool:
        return any(text in line for line in self.screen.display)


def test_a_main_loop_app_runs_on_kernel_in_a_real_terminal() -> None:
    pyte = pytest.importorskip("pyte")
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", APP],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    terminal = Terminal(pyte, master)
    try:
        terminal.read_until(lambda: terminal.shows("kernel in a pty"))
        os.write(master, b"hi")
        terminal.read_until(lambda: terminal.shows("> hi"))
        os.write(master, b"\x1b")  # esc: urwid completes it with an alarm, then exits
        terminal.read_until(lambda: b"clean exit: hi" in terminal.raw)
        assert child.wait(TERMINAL_WAIT) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(TERMINAL_WAIT)
        os.close(master)
