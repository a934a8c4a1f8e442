"""The headless mode: a key script on virtual time, the final screen and the report printed.

The same app as in a terminal, on a `KernelEventLoop` whose runtime has a
`kernel.testing.ManualClock`, with a screen that keeps the frames instead of drawing them.
Everything that could depend on real time is pinned down, so the output is the same, byte for
byte, on every run: worker-thread jobs are waited for (bounded) before the loop goes on, the
file watcher polls exactly when the loop goes idle, the clock shows virtual time, and the stats
panel leaves out real durations.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import urwid

from kernel import Runtime
from kernel.demo.app import EditorApp, ErrorRoute
from kernel.demo.document import Document
from kernel.demo.jobs import SettledThreadJobs
from kernel.demo.report import format_shutdown_report
from kernel.demo.watcher import FileWatcher
from kernel.hosts.urwid import KernelEventLoop
from kernel.testing import ManualClock

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "BUILTIN_SCRIPT",
    "KEY_INTERVAL",
    "SCREEN_SIZE",
    "HeadlessScreen",
    "Step",
    "parse_script",
    "run_headless",
]

SCREEN_SIZE: Final = (80, 24)
"""The headless screen: the classic terminal size, small enough to read in a README."""
KEY_INTERVAL: Final = 0.1
"""Virtual seconds between two scripted keys: a brisk typist (10 keys a second)."""
SCRATCH_NAME: Final = "notes.txt"
"""The file a headless run edits when none is given (in a temporary directory)."""
BUILTIN_SCRIPT: Final = (
    "Hello from kernel!{enter}{enter}"
    "This editor's main loop is a kernel Runtime:{enter}"
    "keys, timers, threads and redraws, one tick at a time.{wait 1.5}{f2}"
    "{enter}Saved 1 s after the last key; Ctrl-S saves now.{ctrl s}{wait 2}{ctrl q}"
)
"""What ``--headless`` types without ``--script``: text, a pause (the autosave fires and the
words are counted on a worker thread), the stats panel, Ctrl-S, and Ctrl-Q."""

_TOKEN: Final = re.compile(r"\{([^{}]*)\}|(\n)|(.)", re.DOTALL)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One step of a key script: press `key` (a urwid key name), or wait `seconds` if key is None."""

    key: str | None = None
    seconds: float = 0.0


def parse_script(script: str) -> list[Step]:
    """Parse a key script: characters are typed; ``{name}`` presses a urwid key (``{enter}``,
    ``{ctrl s}``, ``{f2}``, ``{up}``, ``{backspace}``); ``{wait S}`` waits S virtual seconds; a
    newline is ``{enter}``.

    Raises:
        ValueError: an empty ``{}``, or a wait that is not a non-negative number.
    """
    steps: list[Step] = []
    for match in _TOKEN.finditer(script):
        name, newline, char = match.groups()
        if newline is not None:
            steps.append(Step(key="enter"))
        elif char is not None:
            steps.append(Step(key=char))
        elif name.startswith("wait "):
            seconds = _parse_seconds(name.removeprefix("wait ").strip())
            steps.append(Step(seconds=seconds))
        elif name.strip():
            steps.append(Step(key=name.strip()))
        else:
            msg = f"script has an empty key name {{}} at offset {match.start()}"
            raise ValueError(msg)
    return steps


def _parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0.0 <= seconds < float("inf"):
        msg = f"script has a bad wait: {{wait {text}}} (a number of seconds >= 0 is needed)"
        raise ValueError(msg)
    return seconds


class HeadlessScreen(urwid.BaseScreen):
    """A urwid screen without a terminal: it keeps the text of the last frame drawn.

    Args:
        size: ``(columns, rows)``.
    """

    def __init__(self, size: tuple[int, int] = SCREEN_SIZE) -> None:
        super().__init__()
        self.size = size
        self.lines: list[str] = []
        self.frames = 0

    def get_cols_rows(self) -> tuple[int, int]:
        """The fixed size."""
        return self.size

    def draw_screen(self, size: tuple[int, int], canvas: urwid.Canvas) -> None:
        """Keep the frame's text (trailing blanks removed)."""
        self.frames += 1
        self.lines = [line.rstrip() for line in canvas.decoded_text]

    def hook_event_loop(self, event_loop: urwid.EventLoop, callback: Any) -> None:
        """No input to watch: the script feeds keys through the main loop."""

    def unhook_event_loop(self, event_loop: urwid.EventLoop) -> None:
        """Nothing was hooked."""

    def get_input_descriptors(self) -> list[int]:
        """No input descriptors."""
        return []

    @property
    def text(self) -> str:
        """The last frame, one line per row."""
        return "\n".join(self.lines)


def _virtual_clock_text(clock: ManualClock) -> str:
    whole = int(clock.now())
    return f"{whole // 3600:02}:{whole // 60 % 60:02}:{whole % 60:02}"


@contextlib.contextmanager
def _file_to_edit(path: Path | None) -> Iterator[Path]:
    if path is not None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="kernel-demo-") as directory:
        yield Path(directory) / SCRATCH_NAME


def run_headless(
    steps: Sequence[Step], path: Path | None = None, *, size: tuple[int, int] = SCREEN_SIZE
) -> str:
    """Run the editor on `steps` in virtual time; return the final screen and the report.

    Keys are `KEY_INTERVAL` virtual seconds apart; a Ctrl-Q is added if the script has none.
    Without `path` the editor edits ``notes.txt`` in a temporary directory, removed afterwards.
    """
    with _file_to_edit(path) as target:
        clock = ManualClock()
        errors = ErrorRoute()
        rt = Runtime(clock=clock, error_handler=errors)
        app = EditorApp(
            rt,
            Document(target),
            jobs=SettledThreadJobs(rt),
            now_text=lambda: _virtual_clock_text(clock),
        )
        errors.connect(app.show_error)
        watcher = FileWatcher(target, app.file_changed_from_thread, interval=None)
        screen = HeadlessScreen(size)
        event_loop = KernelEventLoop(rt)
        main_loop = app.main_loop(screen, event_loop)
        rt.add_idle_callback(watcher.poll_now)  # before urwid's: the change is seen, then drawn
        _schedule(steps, event_loop, main_loop)
        watcher.start()
        try:
            app.start()
            main_loop.run()
        finally:
            watcher.stop()
            rt.close()
    report = rt.shutdown_report()
    assert report is not None
    return f"{screen.text}\n\n{format_shutdown_report(report)}\n"


def _schedule(
    steps: Sequence[Step], event_loop: urwid.EventLoop, main_loop: urwid.MainLoop
) -> None:
    """One alarm per key, at its virtual time (counted in milliseconds: no float drift)."""
    at_ms = 0
    keys = [step for step in steps if step.key is not None]
    if not any(step.key == "ctrl q" for step in keys):
        steps = [*steps, Step(key="ctrl q")]
    for step in steps:
        if step.key is None:
            at_ms += round(step.seconds * 1000)
            continue
        at_ms += round(KEY_INTERVAL * 1000)
        event_loop.alarm(at_ms / 1000, _press(main_loop, step.key))


def _press(main_loop: urwid.MainLoop, key: str) -> Any:
    return lambda: main_loop.process_input([key])
