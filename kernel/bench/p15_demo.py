"""P15: the demo editor in a pseudo-terminal: idle CPU, and keystroke-to-screen latency.

Each episode starts ``python -m kernel.demo`` on the slave side of a pty, as a user's terminal
would, once on `kernel.hosts.urwid.KernelEventLoop` and once on urwid's own
``SelectEventLoop`` (``--loop select``: the same editor, kernel pumped from urwid's loop).
Skipped (no rows) when urwid is not installed or there is no ``/proc`` to read CPU time from.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final

import kernel
from kernel.bench.runner import Row, alternate

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kernel.bench.runner import Settings

__all__ = ["measure"]

IDLE: Final = 10.0
"""Seconds the editor sits idle while its CPU time is measured (PERF.md)."""
QUICK_IDLE: Final = 1.1
"""Long enough for one tick of the clock, so both loops have used some CPU."""
KEYS: Final = 250
"""Keystrokes timed per loop: PERF.md asks for at least 200."""
QUICK_KEYS: Final = 10
KEY_GAP: Final = 0.01
"""Seconds between a frame and the next key: a fast typist, with the loop settled in between."""
SETTLE: Final = 1.0
"""Seconds after the first frame before measuring: imports done, the first word count in."""
QUICK_SETTLE: Final = 0.2
TIMEOUT: Final = 20.0
"""Seconds to wait for a frame or an exit before calling the editor hung."""
TYPED: Final = b"XZQJK"
"""Keys typed, in turn: capitals that no status or message text contains, so seeing one in
the output means the frame with that key was drawn."""
CTRL_Q: Final = b"\x11"
BUDGET_MS: Final = 16.0
"""The p99 goal: one frame at 60 Hz."""
CPU_GOAL: Final = 0.01
"""At most 1% of one core while idle."""
SIZE: Final = (24, 80)
READ_SIZE: Final = 65536
LOOPS: Final = ("kernel", "select")
NS_PER_S: Final = 1e9


def measure(settings: Settings) -> list[Row]:
    """Idle CPU over `IDLE` s, and key→screen latency over `KEYS` keys with a busy worker."""
    if importlib.util.find_spec("urwid") is None or not Path("/proc/self/task").is_dir():
        return []
    idle = settings.size(IDLE, QUICK_IDLE)
    settle = settings.size(SETTLE, QUICK_SETTLE)
    keys = settings.size(KEYS, QUICK_KEYS)
    idle_kernel, idle_select = alternate(
        [lambda: _idle("kernel", idle, settle), lambda: _idle("select", idle, settle)],
        settings,
        "P15 demo idle CPU",
        rounds=1,
        warmup=[],
    )
    busy: dict[str, list[float]] = {loop: [] for loop in LOOPS}
    quiet: dict[str, list[float]] = {"kernel": []}
    alternate(
        [
            lambda: _typing("kernel", keys, settle, busy),
            lambda: _typing("select", keys, settle, busy),
            lambda: _typing("kernel", keys, settle, quiet, busy=False),
        ],
        settings,
        "P15 demo key latency",
        rounds=1,
        warmup=[],
    )
    return _rows(idle, keys, idle_kernel, idle_select, busy, quiet)


def _rows(
    idle: float,
    keys: int,
    idle_kernel: Mapping[str, float],
    idle_select: Mapping[str, float],
    busy: dict[str, list[float]],
    quiet: dict[str, list[float]],
) -> list[Row]:
    return [
        _row(
            "P15 idle",
            f"demo idle {idle:g} s on KernelEventLoop [CPU s vs wall s]",
            "s",
            idle_kernel["cpu"],
            idle_kernel["wall"],
            CPU_GOAL,
        ),
        _row(
            "P15 idle loops",
            f"demo idle {idle:g} s [CPU s, KernelEventLoop vs urwid SelectEventLoop]",
            "s",
            idle_kernel["cpu"],
            idle_select["cpu"],
        ),
        _row(
            "P15 key p50",
            f"demo key to screen, median of {keys}, busy worker [ms, Kernel vs Select loop]",
            "ms",
            statistics.median(busy["kernel"]),
            statistics.median(busy["select"]),
        ),
        _row(
            "P15 key p99",
            f"demo key to screen, p99 of {keys}, busy worker [ms, Kernel vs Select loop]",
            "ms",
            _p99(busy["kernel"]),
            _p99(busy["select"]),
        ),
        _row(
            "P15 key budget",
            f"demo key to screen p99 on KernelEventLoop [ms vs {BUDGET_MS:g} ms frame]",
            "ms",
            _p99(busy["kernel"]),
            BUDGET_MS,
            1.0,
        ),
        _row(
            "P15 key quiet",
            f"demo key to screen p99 of {keys}, no background job [ms vs {BUDGET_MS:g} ms]",
            "ms",
            _p99(quiet["kernel"]),
            BUDGET_MS,
        ),
    ]


def _row(
    row_id: str, workload: str, unit: str, kernel: float, anchor: float, goal: float | None = None
) -> Row:
    return Row(id=row_id, workload=workload, unit=unit, kernel=kernel, anchor=anchor, goal=goal)


def _p99(values: list[float]) -> float:
    if len(values) < 2:  # statistics.quantiles needs two
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


class _Editor:
    """``python -m kernel.demo`` on a fresh pty; the benchmark holds the master side."""

    def __init__(self, loop: str, *, busy: bool) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", *SIZE, 0, 0))
        command = [sys.executable, "-m", "kernel.demo", "--loop", loop]
        root = str(Path(kernel.__file__).resolve().parent.parent)
        self.process = subprocess.Popen(
            [*command, "--busy"] if busy else command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "PYTHONPATH": root},
            start_new_session=True,
        )
        os.close(slave)
        self.wait_for(b"editing", TIMEOUT)

    def wait_for(self, wanted: bytes, timeout: float) -> bool:
        """Read output until `wanted` appears in it (True) or `timeout` passes (False)."""
        deadline = time.perf_counter() + timeout
        seen = b""
        while wanted not in seen:
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return False
            if select.select([self.master], [], [], remaining)[0]:
                try:
                    seen = seen[-len(wanted) :] + os.read(self.master, READ_SIZE)
                except OSError:  # the editor exited
                    return False
        return True

    def cpu_seconds(self) -> float:
        """CPU time of every thread of the editor so far (``/proc/PID/task/*/schedstat``)."""
        total = 0
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            with contextlib.suppress(OSError):  # a thread that ended meanwhile
                total += int((task / "schedstat").read_text().split()[0])
        return total / NS_PER_S

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, CTRL_Q)
        try:
            self.wait_for(b"\x00never", 0.2)  # drain the last frames
            self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(TIMEOUT)
        finally:
            os.close(self.master)


def _idle(loop: str, seconds: float, settle: float) -> dict[str, float]:
    editor = _Editor(loop, busy=False)
    try:
        editor.wait_for(b"\x00never", settle)
        cpu, wall = editor.cpu_seconds(), time.perf_counter()
        editor.wait_for(b"\x00never", seconds)  # reads the clock's frames meanwhile
        return {"cpu": editor.cpu_seconds() - cpu, "wall": time.perf_counter() - wall}
    finally:
        editor.close()


def _typing(
    loop: str, keys: int, settle: float, into: dict[str, list[float]], *, busy: bool = True
) -> dict[str, float]:
    editor = _Editor(loop, busy=busy)
    try:
        editor.wait_for(b"\x00never", settle)
        for number in range(keys):
            key = TYPED[number % len(TYPED) : number % len(TYPED) + 1]
            started = time.perf_counter()
            os.write(editor.master, key)
            if not editor.wait_for(key, TIMEOUT):
                msg = f"P15: key {number} never reached the screen ({loop} loop)"
                raise RuntimeError(msg)
            into[loop].append((time.perf_counter() - started) * 1000)
            editor.wait_for(b"\x00never", KEY_GAP)
        return {"keys": float(keys)}
    finally:
        editor.close()
