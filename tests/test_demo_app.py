"""kernel.demo.app: the editor's behaviour on a ManualClock, with a job runner the test drives."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
from typing import TYPE_CHECKING, Any

import pytest

urwid = pytest.importorskip("urwid")

from kernel import Runtime, RuntimeState, StallReport  # noqa: E402
from kernel.demo.app import (  # noqa: E402
    AUTOSAVE_DELAY,
    EditorApp,
    ErrorRoute,
    FileChanged,
    StallNotifier,
)
from kernel.demo.document import Document  # noqa: E402
from kernel.demo.files import signature  # noqa: E402
from kernel.instruments import LatencyHistogram  # noqa: E402
from kernel.testing import ErrorCollector, ManualClock  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path


class ManualJobs:
    """A job runner the test drives: jobs wait in `pending` until `finish_all()`."""

    def __init__(self) -> None:
        self.pending: list[tuple[Callable[..., object], tuple[object, ...], Any, str]] = []

    def submit(self, fn: Callable[..., object], /, *args: object, on_done: Any, name: str) -> None:
        self.pending.append((fn, args, on_done, name))

    def finish_all(self) -> int:
        done = 0
        while self.pending:
            fn, args, on_done, _ = self.pending.pop(0)
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()
            try:
                future.set_result(fn(*args))
            except Exception as exc:
                future.set_exception(exc)
            on_done(future)
            done += 1
        return done


@dataclasses.dataclass
class Setup:
    app: EditorApp
    rt: Runtime
    clock: ManualClock
    jobs: ManualJobs
    path: Path
    errors: ErrorCollector

    def type(self, text: str) -> None:
        for char in text:
            self.app.view.edit.keypress((80,), char)

    def screen(self, size: tuple[int, int] = (80, 6)) -> list[str]:
        self.app.refresh_status()
        canvas = self.app.view.widget.render(size, focus=True)
        return [line.rstrip() for line in canvas.decoded_text]


@pytest.fixture
def runtimes() -> Iterator[Callable[..., Runtime]]:
    """Booted runtimes on manual clocks, closed at teardown (their fds released)."""
    made: list[Runtime] = []

    def make(**kwargs: Any) -> Runtime:
        rt = Runtime(clock=kwargs.pop("clock", None) or ManualClock(), **kwargs)
        rt.boot()
        made.append(rt)
        return rt

    yield make
    for rt in made:
        rt.close()


@pytest.fixture
def setup(tmp_path: Path, runtimes: Callable[..., Runtime]) -> Iterator[Setup]:
    path = tmp_path / "notes.txt"
    path.write_text("one two\n")
    clock = ManualClock()
    errors = ErrorCollector()
    rt = runtimes(clock=clock, error_handler=errors)
    jobs = ManualJobs()
    app = EditorApp(rt, Document(path), jobs=jobs, now_text=lambda: f"t={clock.now():.1f}")
    yield Setup(app, rt, clock, jobs, path, errors)
    assert errors.reports == []


def test_autosave_is_one_timer_reset_per_keystroke(setup: Setup) -> None:
    app, rt, path = setup.app, setup.rt, setup.path
    app.start()
    timers = len(rt.timer_wheel)  # the clock
    for char in "abcde":
        setup.type(char)
        assert len(rt.timer_wheel) == timers + 1  # one autosave timer, moved, never added again
        rt.advance(AUTOSAVE_DELAY / 2)
    assert path.read_text() == "one two\n"  # typing never paused for a whole second
    rt.advance(AUTOSAVE_DELAY / 2 - 0.001)
    assert app.saves == 0
    rt.advance(0.001)  # exactly one second after the last key
    assert path.read_text() == "abcdeone two\n"
    assert app.saves == 1
    assert app.view.message == "autosaved notes.txt"
    setup.type("f")  # after it fired, the next key starts a new timer
    rt.advance(AUTOSAVE_DELAY)
    assert (app.saves, path.read_text()) == (2, "abcdefone two\n")


def test_autosave_of_an_unmodified_text_only_counts(setup: Setup) -> None:
    setup.app.on_autosave()
    assert setup.app.saves == 0
    assert [job[3] for job in setup.jobs.pending] == ["word count"]


def test_clock_updates_every_second(setup: Setup) -> None:
    setup.app.start()
    setup.rt.take_render_pending()
    assert setup.screen()[-2].endswith("t=0.0")
    setup.rt.advance(0.999)
    assert not setup.rt.is_render_pending()
    setup.rt.advance(0.001)
    assert setup.rt.take_render_pending()
    assert setup.screen()[-2].endswith("t=1.0")
    setup.rt.advance(2.0)
    assert setup.screen()[-2].endswith("t=3.0")


def test_ctrl_s_saves_now_and_cancels_the_autosave(setup: Setup) -> None:
    app = setup.app
    setup.type("x")
    setup.rt.advance(0.2)
    assert app.on_key("ctrl s") is True
    assert setup.path.read_text() == "xone two\n"
    assert app.saves == 1
    setup.rt.advance(5.0)
    assert app.saves == 1  # the pending autosave was cancelled
    status = setup.screen()[-2]
    assert "notes.txt  Ln 1, Col 2" in status
    assert "saved t=0.2" in status


def test_save_failure_goes_to_the_message_line(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    setup.type("x")
    setup.app.save()
    assert setup.app.view.message == "save failed: No space left on device"
    assert setup.app.doc.is_modified


def test_scratch_buffer_cannot_save(runtimes: Callable[..., Runtime]) -> None:
    rt = runtimes()
    app = EditorApp(rt, Document(None), jobs=ManualJobs(), now_text=lambda: "now")
    app.view.edit.keypress((80,), "x")
    app.on_key("ctrl s")
    assert app.view.message.startswith("a scratch buffer has no file")
    app.on_autosave()  # nothing to save: counts only
    assert app.saves == 0


def test_word_count_runs_as_a_job_and_shows_on_done(setup: Setup) -> None:
    app, jobs = setup.app, setup.jobs
    app.start()
    assert [(job[1], job[3]) for job in jobs.pending] == [(("one two\n",), "word count")]
    setup.type("three ")
    app.count()  # a second request while one runs waits for it
    assert len(jobs.pending) == 1
    assert jobs.finish_all() == 2  # the first, then the one it started again
    assert app.counts == (3, 2)
    assert "3 words, 2 lines" in setup.screen()[-2]


def test_word_count_failure_is_shown(setup: Setup) -> None:
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_exception(MemoryError("too big"))
    setup.app.on_counted(future)
    assert setup.app.view.message == "word count failed: MemoryError('too big')"


def test_our_own_save_seen_by_the_watcher_is_ignored(setup: Setup) -> None:
    setup.type("x")
    setup.app.save()
    setup.app.file_changed_from_thread(signature(setup.path))
    setup.rt.run_until_idle()
    assert setup.app.view.message == "saved notes.txt"
    assert setup.rt.stats().commands_processed == 1


def test_outside_change_reloads_an_unmodified_text(setup: Setup) -> None:
    setup.path.write_text("from elsewhere")
    setup.app.file_changed_from_thread(signature(setup.path))
    setup.rt.run_until_idle()
    assert setup.app.view.text == "from elsewhere"
    assert setup.app.view.message == "notes.txt: changed on disk, reloaded"
    assert not setup.app.doc.is_modified
    assert len(setup.rt.timer_wheel) == 0  # a reload is not typing: no autosave


def test_outside_change_of_a_modified_text_only_warns(setup: Setup) -> None:
    setup.type("mine ")
    setup.path.write_text("theirs")
    setup.rt.queue_event(FileChanged(signature(setup.path)))
    setup.rt.run_until_idle()
    assert setup.app.view.text == "mine one two\n"
    assert setup.app.view.message.startswith("notes.txt changed on disk: ^R reloads it")
    setup.app.on_key("ctrl r")
    assert setup.app.view.text == "theirs"


def test_deleted_file_is_reported(setup: Setup) -> None:
    setup.path.unlink()
    setup.rt.queue_event(FileChanged(None))
    setup.rt.run_until_idle()
    assert setup.app.view.message == "notes.txt was deleted on disk: ^S writes it again"


def test_reload_failure_is_shown(setup: Setup) -> None:
    setup.path.unlink()
    setup.path.mkdir()
    setup.app.reload()
    assert setup.app.view.message.startswith("reload failed: ")


def test_f2_toggles_the_stats_panel(setup: Setup) -> None:
    app = setup.app
    app.start()
    assert app.on_key("f2") is True
    assert [app.view.is_stats_shown] == [True]  # (a list: mypy would narrow the property)
    screen = "\n".join(setup.screen((80, 20)))
    assert "kernel stats" in screen
    assert "(not measured here)" in screen
    setup.rt.advance(1.0)  # refreshed with the clock
    assert "ticks" in "\n".join(setup.screen((80, 20)))
    app.on_key("f2")
    assert not app.view.is_stats_shown
    app.view.show_stats(None)  # hiding twice is fine
    assert not app.view.is_stats_shown


def test_stats_panel_shows_latency_percentiles(runtimes: Callable[..., Runtime]) -> None:
    rt = runtimes()
    histogram = LatencyHistogram()
    histogram.observe(0.002)
    app = EditorApp(
        rt, Document(None), jobs=ManualJobs(), now_text=lambda: "now", histogram=histogram
    )
    app.toggle_stats()
    text = "\n".join(
        line.rstrip() for line in app.view.widget.render((80, 24), focus=True).decoded_text
    )
    assert "p99" in text
    assert "p99          2.000 ms" in text
    assert "ticks seen          1" in text


def test_f3_runs_a_slow_task_and_the_stall_notice_reaches_the_message_line(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kernel.demo.app.SLOW_TASK_SECONDS", 0.0)
    app = setup.app
    app.on_key("f3")
    assert app.view.message.startswith("F3: a task will block the loop")
    setup.rt.advance(0.05)
    assert app.view.message == "the slow task blocked the loop for 0.0 s"

    report = StallReport(phase="timer", callback="slow task (F3)", tick=7, seconds=0.52, stack="")
    StallNotifier(app).on_stall(report)  # as the watchdog thread would
    setup.rt.run_until_idle()
    assert app.view.message == (
        "stall watchdog: timer 'slow task (F3)' blocked the loop for 0.5 s (tick 7);"
        " its stack is printed at exit"
    )


def test_unknown_keys_are_not_handled(setup: Setup) -> None:
    assert setup.app.on_key("f12") is False
    assert setup.app.on_key(("mouse press", 1, 0, 0)) is False


def test_ctrl_q_stops_the_runtime_gracefully(setup: Setup) -> None:
    setup.app.start()
    setup.app.on_key("ctrl q")
    assert setup.rt.state is RuntimeState.STOPPING
    report = setup.rt.run()
    assert report.timers_cancelled == 1  # the clock
    assert setup.app.view.message == "quitting..."


def test_error_reports_go_to_the_message_line(runtimes: Callable[..., Runtime]) -> None:
    route = ErrorRoute()
    rt = runtimes(error_handler=route)
    rt.schedule_work(lambda: 1 / 0, name="oops")
    rt.run_until_idle()  # before the app is connected: kept
    app = EditorApp(rt, Document(None), jobs=ManualJobs(), now_text=lambda: "now")
    route.connect(app.show_error)
    assert app.view.message == "error in task oops: ZeroDivisionError: division by zero"
    rt.schedule_work(lambda: [][0], name="again")
    rt.run_until_idle()
    assert app.view.message.startswith("error in task again: IndexError")
    assert len(route.reports) == 2


def test_background_job_repeats_until_stopped(setup: Setup) -> None:
    app, jobs = setup.app, setup.jobs
    app.start_background_job()
    fn, args, on_done, name = jobs.pending.pop()
    future: concurrent.futures.Future[Any] = concurrent.futures.Future()
    future.set_result(fn(*args))
    on_done(future)
    assert name == "background"
    assert app.background_runs == 1
    assert len(jobs.pending) == 1  # the next one
    app.stop_background_job()
    jobs.finish_all()
    assert app.background_runs == 2
    assert jobs.pending == []


def test_render_on_demand_loop_draws_only_when_asked(setup: Setup) -> None:
    from kernel.demo.headless import HeadlessScreen
    from kernel.hosts.urwid import KernelEventLoop

    screen = HeadlessScreen((60, 8))
    loop = setup.app.main_loop(screen, KernelEventLoop(setup.rt))
    loop.start()
    try:
        setup.rt.take_render_pending()
        loop.entering_idle()
        assert screen.frames == 0
        loop.process_input(["z"])
        loop.entering_idle()
        assert screen.frames == 1
        assert screen.lines[1] == "zone two"
        loop.entering_idle()
        assert screen.frames == 1
    finally:
        loop.stop()


def test_queue_event_from_a_thread_is_a_command(setup: Setup) -> None:
    setup.app.notice_from_thread("hello from a thread")
    assert setup.rt.next_timeout() == 0.0
    setup.rt.run_until_idle()
    assert setup.app.view.message == "hello from a thread"
