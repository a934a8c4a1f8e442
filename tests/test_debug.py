"""Debug mode: thread checks, creation stacks in error reports, slow-callback warnings; off by
default, on under ``python -X dev``, and absent (no shadowing methods) when off."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

import pytest

from kernel import Priority, Runtime, RuntimeConfig, ScheduleTask, Task
from kernel._core.debug import DRIVING_METHODS, is_debug
from kernel.testing import ErrorCollector, ManualClock

if TYPE_CHECKING:
    from collections.abc import Callable

JOIN: float = 5.0


def debug_runtime(errors: ErrorCollector, **config: Any) -> Runtime:
    runtime = Runtime(
        RuntimeConfig(debug=True, **config), clock=ManualClock(), error_handler=errors
    )
    runtime.boot()
    return runtime


def on_thread(call: Callable[[], object], name: str = "worker") -> BaseException | None:
    """Run `call` on a new thread; return what it raised (None if it returned)."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=target, name=name)
    thread.start()
    thread.join(JOIN)
    assert not thread.is_alive()
    return raised[0] if raised else None


def fail() -> None:
    raise ValueError("boom")


def test_debug_is_off_by_default_and_costs_no_method_shadowing() -> None:
    runtime = Runtime(RuntimeConfig(debug=False))
    assert not any(name in vars(runtime) for name in DRIVING_METHODS)
    assert on_thread(runtime.boot) is None  # no thread checks when off


def test_debug_default_follows_dev_mode() -> None:
    assert is_debug(None) is bool(sys.flags.dev_mode)
    assert is_debug(True) is True
    assert is_debug(False) is False
    code = "from kernel import Runtime\nrt = Runtime()\nprint('schedule_work' in vars(rt))\n"
    for flags, expected in (([], "False"), (["-X", "dev"], "True")):
        result = subprocess.run(
            [sys.executable, *flags, "-c", code],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout.strip() == expected


@pytest.mark.parametrize(
    ("method", "call"),
    [
        ("schedule_work", lambda rt: rt.schedule_work(print)),
        ("shutdown", lambda rt: rt.shutdown()),
        ("schedule_delayed", lambda rt: rt.schedule_delayed(1.0, print)),
        ("queue_event", lambda rt: rt.queue_event(object())),
        ("tick", lambda rt: rt.tick()),
    ],
    ids=["schedule_work", "shutdown", "schedule_delayed", "queue_event", "tick"],
)
def test_driving_methods_refuse_other_threads(
    errors: ErrorCollector, method: str, call: Callable[[Runtime], object]
) -> None:
    runtime = debug_runtime(errors)
    runtime.tick()  # the main thread drives from now on
    before = runtime.stats()
    raised = on_thread(lambda: call(runtime), name="intruder")
    assert isinstance(raised, RuntimeError)
    me = threading.current_thread()
    assert str(raised) == (
        f"{method}() called from thread 'intruder' (ident {_ident(raised)}), but this runtime"
        f" belongs to thread {me.name!r} (ident {me.ident}); from other threads use a"
        " CommandSender (rt.command_sender())"
    )
    assert runtime.stats() == before


def _ident(error: BaseException) -> str:
    return str(error).split("(ident ", 1)[1].split(")", 1)[0]


def test_the_first_tick_claims_the_driving_thread(errors: ErrorCollector) -> None:
    runtime = debug_runtime(errors)  # created and booted on this thread
    assert on_thread(runtime.tick, name="loop") is None  # the loop thread claims it
    raised = on_thread(runtime.tick, name="other")
    assert isinstance(raised, RuntimeError)
    assert "belongs to thread 'loop'" in str(raised)
    with pytest.raises(RuntimeError, match=r"^schedule_work\(\) called from thread 'MainThread'"):
        runtime.schedule_work(print)
    runtime.command_sender()  # thread-safe: not checked
    assert runtime.stats().ticks == 1


def test_commands_stay_thread_safe_in_debug_mode(errors: ErrorCollector) -> None:
    runtime = debug_runtime(errors)
    sender = runtime.command_sender()
    ran: list[int] = []
    assert on_thread(lambda: sender.send(ScheduleTask(Task(ran.append, 1)))) is None
    runtime.tick()
    assert ran == [1]


@pytest.mark.parametrize(
    ("schedule", "phase"),
    [
        (lambda rt: rt.schedule_work(fail), "task"),
        (lambda rt: rt.schedule_work_with_priority(Priority.HIGH, fail), "task"),
        (lambda rt: rt.schedule_task(Task(fail)), "task"),
        (lambda rt: rt.schedule_delayed(0.0, fail), "timer"),
        (lambda rt: rt.schedule_periodic(0.001, fail), "timer"),
    ],
    ids=["schedule_work", "with_priority", "schedule_task", "delayed", "periodic"],
)
def test_error_reports_say_where_the_work_was_created(
    errors: ErrorCollector, schedule: Callable[[Runtime], object], phase: str
) -> None:
    runtime = debug_runtime(errors)
    schedule(runtime)  # this line is in the recorded stack
    runtime.advance(0.001)
    report = errors.take()[0]
    assert report.phase == phase
    assert report.created_at is not None
    assert "test_error_reports_say_where_the_work_was_created" in report.created_at
    assert "schedule(runtime)" in report.created_at
    assert "kernel/_core/debug.py" not in report.created_at


def test_without_debug_reports_have_no_creation_stack(errors: ErrorCollector) -> None:
    runtime = Runtime(RuntimeConfig(debug=False), error_handler=errors)
    runtime.boot()
    runtime.schedule_task(Task(fail))
    runtime.tick()
    assert errors.take()[0].created_at is None


def test_debug_mode_keeps_argument_checks(errors: ErrorCollector) -> None:
    runtime = debug_runtime(errors)
    with pytest.raises(TypeError, match=r"^fn must be callable, got 3$"):
        runtime.schedule_work(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^task must be a Task, got 3$"):
        runtime.schedule_task(3)  # type: ignore[arg-type]
    assert runtime.schedule_work(int, "4", name="four") is True
    assert runtime.schedule_delayed(1.0, int).pending


def test_slow_callbacks_are_logged(
    errors: ErrorCollector, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = debug_runtime(errors, slow_callback_duration=1e-9)  # every callback is slow
    runtime.schedule_work(int, name="parse")
    with caplog.at_level(logging.WARNING, logger="kernel"):
        runtime.tick()
    (record,) = caplog.records
    assert record.getMessage().startswith("slow callback: task parse took ")
    assert record.getMessage().endswith(" s (slow_callback_duration=1e-09)")


def test_fast_callbacks_are_not_logged(
    errors: ErrorCollector, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = debug_runtime(errors, slow_callback_duration=60.0)
    runtime.schedule_work(int)
    with caplog.at_level(logging.WARNING, logger="kernel"):
        runtime.tick()
    assert caplog.records == []
