"""`EditorApp`: the editor's behaviour, wired to kernel's timers, events, threads and instruments.

Every method runs on the loop thread, except `EditorApp.on_stall` (the watchdog's thread) and
the watcher's callback `EditorApp.file_changed_from_thread`: both only send a kernel event.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, Final

import urwid

from kernel import Event, EventResult, Priority, QueueEvent, RuntimeState
from kernel.demo.document import count_in_chunks, count_text
from kernel.demo.report import stats_lines
from kernel.demo.view import HELP, PALETTE, EditorView

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable

    from kernel import ErrorReport, Runtime, StallReport, TimerHandle
    from kernel.demo.document import Document
    from kernel.demo.files import FileSignature
    from kernel.demo.jobs import JobRunner
    from kernel.instruments import LatencyHistogram

__all__ = [
    "AUTOSAVE_DELAY",
    "CLOCK_INTERVAL",
    "SLOW_TASK_SECONDS",
    "EditorApp",
    "ErrorRoute",
    "StallNotifier",
]

AUTOSAVE_DELAY: Final = 1.0
"""Seconds after the last keystroke before the text is saved (and counted): a pause in typing."""
CLOCK_INTERVAL: Final = 1.0
"""The status line's clock shows seconds, so it changes once a second."""
SLOW_TASK_SECONDS: Final = 1.5
"""F3's task blocks the loop this long: three times the demo's stall threshold (0.5 s)."""
BACKGROUND_TEXT: Final = "lorem ipsum dolor sit amet " * 40_000
"""The background job's input (about 1 MB), as a real indexer or linter would chew on."""
BACKGROUND_CHUNK: Final = 16_384
"""The background job counts in pieces this big (about 0.2 ms each): one ``str.split`` of the
whole megabyte would hold the GIL for some 30 ms in one C call and freeze the loop that long."""
SLOW_TASK_DELAY: Final = 0.05
"""F3's task starts this long after the key, so the screen shows that it is coming first."""


@dataclasses.dataclass(frozen=True, slots=True)
class FileChanged(Event):
    """The watcher saw the file change on disk (`signature` None: it was deleted)."""

    signature: FileSignature | None
    priority: int = Priority.HIGH


@dataclasses.dataclass(frozen=True, slots=True)
class Notice(Event):
    """A message from another thread for the message line (a stall report, say)."""

    text: str
    priority: int = Priority.HIGH


class ErrorRoute:
    """A `kernel.Runtime` error handler that keeps reports off the screen.

    Reports go to the app's message line once `connect` named it; those that come earlier are
    kept and handed over then. Every report stays in `reports` (printed after the terminal is
    restored).
    """

    def __init__(self) -> None:
        self.reports: list[ErrorReport] = []
        self._target: Callable[[ErrorReport], object] | None = None

    def __call__(self, report: ErrorReport) -> None:
        """The error handler: record `report` and pass it on."""
        self.reports.append(report)
        if self._target is not None:
            self._target(report)

    def connect(self, target: Callable[[ErrorReport], object]) -> None:
        """Send reports to `target` from now on, starting with those already received."""
        self._target = target
        for report in self.reports:
            target(report)


class EditorApp:
    """The editor: a `Document` shown in an `EditorView`, on a kernel `Runtime`.

    Args:
        runtime: the (booted or booting) runtime whose timers, events and threads the app uses.
        document: the text and its file.
        jobs: runs the word count off the loop thread (`kernel.demo.jobs.ThreadJobs`).
        now_text: the clock's text (the wall clock, or virtual time in the headless mode).
        histogram: tick latencies for the stats panel, or None to show none.
    """

    def __init__(
        self,
        runtime: Runtime,
        document: Document,
        *,
        jobs: JobRunner,
        now_text: Callable[[], str],
        histogram: LatencyHistogram | None = None,
    ) -> None:
        self.rt = runtime
        self.doc = document
        self._jobs = jobs
        self._now_text = now_text
        self._histogram = histogram
        self.view = EditorView(document.text, self._on_text_changed)
        self._sender = runtime.command_sender()
        self._autosave: TimerHandle | None = None
        self._clock_timer: TimerHandle | None = None
        self._clock = now_text()
        self._saved_at = "never" if document.path is None else "-"
        self.counts: tuple[int, int] | None = None
        self._counting = False
        self._count_again = False
        self._reloading = False
        self.saves = 0
        self._background = False
        self.background_runs = 0
        self.view.set_title(f" kernel demo: {document.name}    {HELP}")
        runtime.event_bus.subscribe(FileChanged, self.on_file_changed)
        runtime.event_bus.subscribe(Notice, self._on_notice)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the clock, count the words, and ask for the first frame."""
        self._clock_timer = self.rt.schedule_periodic(CLOCK_INTERVAL, self.on_clock, name="clock")
        self.count()
        self.say(f"editing {self.doc.name}")

    def main_loop(self, screen: urwid.BaseScreen, event_loop: urwid.EventLoop) -> urwid.MainLoop:
        """A urwid main loop showing this app on `screen`, redrawing only when asked to."""
        return RenderOnDemandLoop(
            self,
            self.view.widget,
            PALETTE,
            screen=screen,
            event_loop=event_loop,
            unhandled_input=self.on_key,
            handle_mouse=False,
        )

    def quit(self) -> None:
        """Ctrl-Q: stop gracefully (the drain runs; `run()` returns the report)."""
        self.say("quitting...")
        self.rt.shutdown()

    # -- keys and edits -------------------------------------------------------------------------

    def on_key(self, key: str | tuple[str, int, int, int]) -> bool:
        """urwid's unhandled input: the editor's commands. True if the key was one of them."""
        actions: dict[object, Callable[[], object]] = {
            "ctrl s": self.save,
            "ctrl q": self.quit,
            "ctrl r": self.reload,
            "f2": self.toggle_stats,
            "f3": self.start_slow_task,
        }
        action = actions.get(key)
        if action is None:
            return False
        action()
        self.rt.request_render()
        return True

    def _on_text_changed(self) -> None:
        """The user changed the text: re-arm the autosave (one timer, moved by `reset()`)."""
        self.doc.text = self.view.text
        if self._reloading:
            return
        if self._autosave is None or not self._autosave.reset(AUTOSAVE_DELAY):
            self._autosave = self.rt.schedule_delayed(
                AUTOSAVE_DELAY, self.on_autosave, name="autosave"
            )
        self.rt.request_render()

    # -- saving and counting --------------------------------------------------------------------

    def on_autosave(self) -> None:
        """The autosave timer: a pause in typing. Save if modified, and count the words."""
        if self.doc.is_modified and self.doc.path is not None:
            self.save(reason="autosaved")
        else:
            self.count()

    def save(self, reason: str = "saved") -> None:
        """Save now (Ctrl-S), atomically; a failure goes to the message line."""
        if self._autosave is not None:
            self._autosave.cancel()
        try:
            saved = self.doc.save()
        except OSError as exc:
            self.say(f"save failed: {exc.strerror or exc}")
            return
        if not saved:
            self.say("a scratch buffer has no file to save to: run the demo with a FILE")
            return
        self.saves += 1
        self._saved_at = self._now_text()
        self.say(f"{reason} {self.doc.name}")
        self.count()

    def count(self) -> None:
        """Count words and lines on a worker thread (one job at a time; a later request waits)."""
        if self._counting:
            self._count_again = True
            return
        self._counting = True
        self._jobs.submit(count_text, self.doc.text, on_done=self.on_counted, name="word count")

    def on_counted(self, future: concurrent.futures.Future[Any]) -> None:
        """The word count's result, on the loop thread."""
        self._counting = False
        error = future.exception()
        if error is not None:
            self.say(f"word count failed: {error!r}")
        else:
            self.counts = future.result()
        if self._count_again:
            self._count_again = False
            self.count()
        self.rt.request_render()

    # -- the file on disk -----------------------------------------------------------------------

    def file_changed_from_thread(self, signature: FileSignature | None) -> None:
        """The watcher's callback (its thread): hand the change to the loop as an event."""
        self._sender.send(QueueEvent(FileChanged(signature)))

    def on_file_changed(self, event: FileChanged) -> EventResult:
        """A change on disk: ignore our own saves, reload an unmodified text, else warn."""
        if self.doc.is_ours(event.signature):
            return EventResult.NOT_HANDLED
        if event.signature is None:
            self.say(f"{self.doc.name} was deleted on disk: ^S writes it again")
        elif self.doc.is_modified:
            self.say(f"{self.doc.name} changed on disk: ^R reloads it, ^S keeps your version")
        else:
            self.reload(reason="changed on disk, reloaded")
        return EventResult.HANDLED

    def reload(self, reason: str = "reloaded") -> None:
        """Ctrl-R: read the file again, dropping unsaved edits."""
        try:
            self.doc.reload()
        except OSError as exc:
            self.say(f"reload failed: {exc.strerror or exc}")
            return
        self._reloading = True
        try:
            self.view.set_text(self.doc.text)
        finally:
            self._reloading = False
        self.say(f"{self.doc.name}: {reason}")
        self.count()

    # -- the clock, the stats panel, the slow task ----------------------------------------------

    def on_clock(self) -> None:
        """The once-a-second timer: the clock, and the stats panel while it is shown."""
        self._clock = self._now_text()
        if self.view.is_stats_shown:
            self.view.show_stats(stats_lines(self.rt.stats(), self._histogram))
        self.rt.request_render()

    def toggle_stats(self) -> None:
        """F2: show or hide the stats panel."""
        if self.view.is_stats_shown:
            self.view.show_stats(None)
        else:
            self.view.show_stats(stats_lines(self.rt.stats(), self._histogram))

    def start_slow_task(self) -> None:
        """F3: soon, block the loop on purpose, so the stall watchdog reports it."""
        self.say(f"F3: a task will block the loop for {SLOW_TASK_SECONDS} s...")
        self.rt.schedule_delayed(SLOW_TASK_DELAY, self.slow_task, name="slow task (F3)")

    def slow_task(self) -> None:
        """Block the loop thread for `SLOW_TASK_SECONDS` (what a careless plugin would do)."""
        threading.Event().wait(SLOW_TASK_SECONDS)
        self.say(f"the slow task blocked the loop for {SLOW_TASK_SECONDS} s")

    def start_background_job(self) -> None:
        """Keep a worker thread counting a large text, job after job (the benchmark's load)."""
        self._background = True
        self._jobs.submit(
            count_in_chunks,
            BACKGROUND_TEXT,
            BACKGROUND_CHUNK,
            on_done=self._on_background_done,
            name="background",
        )

    def stop_background_job(self) -> None:
        """Submit no further background job (the running one finishes)."""
        self._background = False

    def _on_background_done(self, future: concurrent.futures.Future[Any]) -> None:
        self.background_runs += 1
        if self._background and self.rt.state is RuntimeState.RUNNING:
            self.start_background_job()

    def notice_from_thread(self, text: str) -> None:
        """Show `text` on the message line; callable from any thread (it sends a kernel event)."""
        self._sender.send(QueueEvent(Notice(text)))

    def _on_notice(self, event: Notice) -> EventResult:
        self.say(event.text)
        return EventResult.HANDLED

    # -- the message line and the status line ---------------------------------------------------

    def say(self, message: str) -> None:
        """Show `message` on the message line."""
        self.view.set_message(message)
        self.rt.request_render()

    def show_error(self, report: ErrorReport) -> None:
        """kernel's error reports, on the message line instead of over the screen."""
        error = report.exception
        self.say(f"error in {report.phase} {report.callback}: {type(error).__name__}: {error}")

    def refresh_status(self) -> None:
        """Compose the status line (just before a frame is drawn)."""
        line, column = self.view.cursor()
        modified = " [+]" if self.doc.is_modified else ""
        counts = "" if self.counts is None else f"{self.counts[0]} words, {self.counts[1]} lines  "
        self.view.set_status(
            f" {self.doc.name}{modified}  Ln {line}, Col {column}  {counts}saved {self._saved_at}",
            self._clock + " ",
        )


class StallNotifier:
    """An instrument (``rt.add_instrument``) that puts the stall watchdog's reports on screen.

    `on_stall` runs on the watchdog's thread while the stalled callback still runs; the notice
    reaches the message line as a kernel event once the loop is free again.
    """

    def __init__(self, app: EditorApp) -> None:
        self._app = app

    def on_stall(self, report: StallReport) -> None:
        """Instrument hook: the watchdog's report of a callback still running too long."""
        self._app.notice_from_thread(
            f"stall watchdog: {report.phase} {report.callback!r} blocked the loop"
            f" for {report.seconds:.1f} s (tick {report.tick}); its stack is printed at exit"
        )


class RenderOnDemandLoop(urwid.MainLoop):
    """A urwid `MainLoop` that draws only when the runtime's render flag is set.

    urwid draws in an idle callback each time the loop is about to wait; here that callback
    first takes kernel's render flag (set by input, a resize, or the app), so an idle editor
    whose clock did not change draws nothing at all.
    """

    def __init__(self, app: EditorApp, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._app = app

    def process_input(self, keys: Any) -> bool:
        """Handle keys (and ``"window resize"``), then ask for a frame."""
        self._app.rt.request_render()
        return bool(super().process_input(keys))

    def entering_idle(self) -> None:
        """Draw, if something asked for it since the last frame."""
        if self._app.rt.take_render_pending():
            self._app.refresh_status()
            super().entering_idle()
