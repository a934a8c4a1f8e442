"""The stall watchdog (SPEC §14): a callback still running past ``stall_threshold`` is reported
while it runs, once, with the loop thread's stack; the thread sleeps while the loop is idle and
stops at the terminal tick.

These tests use real threads and the watchdog's real time: every wait is bounded, and the
blocked callback is released before each test ends."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

import pytest

from kernel import Event, Runtime, RuntimeConfig, StallReport
from kernel._core.instruments import Instruments
from kernel._core.watchdog import Watchdog
from kernel.testing import ManualClock

from .hook_interrupts import InterruptOnce

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from kernel.testing import ErrorCollector

THRESHOLD: Final = 0.05
"""Short, so a test waits little; the loop thread blocks on an Event far longer."""
WAIT: Final = 5.0
"""The bound on every wait for the watchdog: generous for a loaded 2-core machine."""
WATCHDOG_THREAD: Final = "kernel-stall-watchdog"


class StallCatcher:
    """An instrument that keeps stall reports and signals the first."""

    def __init__(self) -> None:
        self.reports: list[StallReport] = []
        self.seen = threading.Event()

    def on_stall(self, report: StallReport) -> None:
        self.reports.append(report)
        self.seen.set()


def watchdog_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == WATCHDOG_THREAD]


def make(errors: ErrorCollector, threshold: float = THRESHOLD) -> tuple[Runtime, StallCatcher]:
    runtime = Runtime(RuntimeConfig(stall_threshold=threshold), error_handler=errors)
    catcher = StallCatcher()
    runtime.add_instrument(catcher)
    runtime.boot()
    return runtime, catcher


@contextmanager
def driving(step: Callable[[], object]) -> Iterator[threading.Thread]:
    """Run `step` (a tick) on a loop thread; join it, bounded, on the way out."""
    thread = threading.Thread(target=step, name="loop")
    thread.start()
    try:
        yield thread
    finally:
        thread.join(WAIT)
        assert not thread.is_alive()


def blocking_task_is_reported_while_it_blocks(errors: ErrorCollector) -> None:
    """The issue's acceptance test: check the report before releasing the blocked task."""
    runtime, catcher = make(errors)
    release = threading.Event()

    def wait_for_release() -> None:
        release.wait(WAIT)

    runtime.schedule_work(wait_for_release, name="blocker")
    try:
        with driving(runtime.tick) as loop:
            assert catcher.seen.wait(WAIT), "no stall report while the task blocked"
            assert loop.is_alive()
            assert not release.is_set()
            (report,) = catcher.reports
            assert report.phase == "task"
            assert report.callback == "blocker"
            assert report.tick == 1
            assert report.seconds >= THRESHOLD
            assert "wait_for_release" in report.stack
            assert runtime.stats().stalls == 1
            release.set()
    finally:
        release.set()
        runtime.close()
    assert not watchdog_threads()


def test_a_blocking_task_is_reported_while_it_blocks(errors: ErrorCollector) -> None:
    blocking_task_is_reported_while_it_blocks(errors)


def test_a_stall_is_reported_once_and_logged(
    errors: ErrorCollector, caplog: pytest.LogCaptureFixture
) -> None:
    runtime, catcher = make(errors)
    release = threading.Event()
    second = threading.Event()

    def block() -> None:
        release.wait(WAIT)

    runtime.schedule_work(block)
    with caplog.at_level(logging.WARNING, logger="kernel"), driving(runtime.tick):
        assert catcher.seen.wait(WAIT)
        # Give the watchdog several more samples (bounded) while the same callback runs.
        second.wait(THRESHOLD * 4)
        release.set()
    runtime.close()
    assert len(catcher.reports) == 1
    assert runtime.stats().stalls == 1
    (record,) = [r for r in caplog.records if r.name == "kernel"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(f"stall: task {__name__}.")
    assert "the loop thread's stack:" in record.getMessage()


class Ping(Event):
    pass


@pytest.mark.parametrize("phase", ["timer", "event", "idle"])
def test_stalls_in_other_phases_are_reported(errors: ErrorCollector, phase: str) -> None:
    runtime, catcher = make(errors)
    release = threading.Event()

    def block(*args: object) -> None:
        release.wait(WAIT)

    if phase == "timer":  # run(): it waits for the rounded-up deadline
        runtime.schedule_delayed(0.0, block, name="slow-timer")
        runtime.schedule_delayed(0.0, runtime.shutdown)
        step: Callable[[], object] = runtime.run
    elif phase == "event":
        runtime.event_bus.subscribe(Ping, block)
        runtime.queue_event(Ping())
        step = runtime.tick
    else:
        runtime.add_idle_callback(block, name="slow-idle")
        runtime.add_idle_callback(runtime.shutdown)
        step = runtime.run
    try:
        with driving(step):
            assert catcher.seen.wait(WAIT)
            assert catcher.reports[0].phase == phase
            release.set()
    finally:
        release.set()
        runtime.close()


def test_a_stall_during_the_stopping_drain(errors: ErrorCollector) -> None:
    runtime, catcher = make(errors)
    release = threading.Event()

    def drained() -> None:
        release.wait(WAIT)

    runtime.schedule_work(drained, name="drained")
    runtime.shutdown()
    try:
        with driving(runtime.tick):
            assert catcher.seen.wait(WAIT)
            assert catcher.reports[0].callback == "drained"
            assert "drain" in catcher.reports[0].stack
            release.set()
    finally:
        release.set()
    report = runtime.shutdown_report()
    assert report is not None
    assert report.tasks_drained == 1
    assert not watchdog_threads()  # stopped (joined) by the terminal tick


def test_the_watchdog_starts_on_first_need(errors: ErrorCollector) -> None:
    runtime, _ = make(errors)
    for _ in range(3):
        runtime.tick()  # idle ticks run no callback
    assert not watchdog_threads()
    runtime.schedule_work(int)
    runtime.tick()
    assert len(watchdog_threads()) == 1
    runtime.close()
    assert not watchdog_threads()
    runtime.close()  # idempotent


def test_the_watchdog_sleeps_while_the_loop_is_idle(errors: ErrorCollector) -> None:
    runtime, catcher = make(errors, threshold=THRESHOLD)
    runtime.schedule_work(int)
    runtime.tick()
    (thread,) = watchdog_threads()
    # After the callback, the watchdog finds nothing running and waits without a timeout:
    # its thread is blocked in Event.wait(), which the stack shows.
    frames = _wait_until_sleeping(thread)
    assert frames, "the watchdog never went to sleep"
    runtime.schedule_work(int)
    runtime.tick()  # wakes it; nothing stalls
    runtime.close()
    assert catcher.reports == []


def _wait_until_sleeping(thread: threading.Thread) -> bool:
    import sys
    import traceback

    done = threading.Event()
    for _ in range(100):
        frame = sys._current_frames().get(thread.ident or -1)
        stack = "".join(traceback.format_stack(frame)) if frame is not None else ""
        if "event.wait()" in stack:
            return True
        done.wait(WAIT / 100)
    return False  # pragma: no cover - only when the watchdog never sleeps


def test_a_raising_on_stall_is_logged_and_removed(
    errors: ErrorCollector, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = Runtime(RuntimeConfig(stall_threshold=THRESHOLD), error_handler=errors)
    seen = threading.Event()

    class Broken:
        def on_stall(self, report: StallReport) -> None:
            seen.set()
            raise RuntimeError("broken on_stall")

    broken = Broken()
    runtime.add_instrument(broken)
    runtime.boot()
    release = threading.Event()
    runtime.schedule_work(lambda: release.wait(WAIT))
    with caplog.at_level(logging.WARNING, logger="kernel"), driving(runtime.tick):
        assert seen.wait(WAIT)
        release.set()
    runtime.close()  # joins the watchdog, which removed the instrument after the hook raised
    assert runtime.remove_instrument(broken) is False
    assert any("raised in on_stall" in r.getMessage() for r in caplog.records)
    assert errors.reports == []  # no ErrorReport for it


def test_no_watchdog_without_a_threshold(errors: ErrorCollector) -> None:
    runtime = Runtime(error_handler=errors)
    runtime.boot()
    runtime.schedule_work(int)
    runtime.tick()
    assert not watchdog_threads()
    assert runtime.stats().stalls == 0


def test_stall_report_text() -> None:
    report = StallReport(phase="task", callback="x", tick=3, seconds=0.25, stack="  here\n")
    assert str(report) == (
        "stall: task x has run for 0.250 s (tick 3); the loop thread's stack:\n  here\n"
    )


def test_a_stopped_watchdog_ignores_wake_ups() -> None:
    instruments = Instruments(lambda *report: None, lambda: None)
    watchdog = Watchdog(instruments, THRESHOLD, lambda: 0)
    watchdog.stop()  # never started: nothing to join
    watchdog.wake()
    assert not watchdog_threads()


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
@pytest.mark.parametrize("phase", ["task", "timer", "event", "idle"])
def test_a_hook_interrupt_ends_the_callback_s_heartbeat(
    errors: ErrorCollector, hook: str, phase: str
) -> None:
    """An instrument's callback hook interrupted: no marker is left behind, so the watchdog
    goes to sleep and reports no stall (stall tracking ended with the callback)."""
    clock = ManualClock()
    runtime = Runtime(RuntimeConfig(stall_threshold=THRESHOLD), clock=clock, error_handler=errors)
    catcher = StallCatcher()
    runtime.add_instrument(catcher)
    runtime.boot()
    try:
        runtime.schedule_work(int)
        runtime.tick()  # starts the watchdog
        (thread,) = watchdog_threads()
        runtime.add_instrument(InterruptOnce(hook))
        if phase == "task":
            runtime.schedule_work(int)
        elif phase == "timer":
            runtime.schedule_delayed(1.0, int)
        elif phase == "event":
            runtime.event_bus.subscribe(Ping, lambda event: None)
            runtime.queue_event(Ping())
        else:
            runtime.add_idle_callback(int)
        clock.advance(1.0)
        with pytest.raises(KeyboardInterrupt):
            (runtime.run_idle_callbacks if phase == "idle" else runtime.tick)()
        assert _wait_until_sleeping(thread), "a marker was left: the watchdog never slept"
    finally:
        runtime.close()
    assert catcher.reports == []
    assert not watchdog_threads()
