"""ErrorReport, the default logging handler, and the guard around error handlers."""

from __future__ import annotations

import logging

import pytest

from kernel import ErrorReport, Runtime
from kernel._core.reporting import ErrorReporter, log_error
from kernel.testing import ErrorCollector, ManualClock


def failing_task() -> None:
    raise ValueError("broken")


def test_default_handler_logs_to_the_kernel_logger_with_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    runtime.schedule_work(failing_task, name="loader")
    with caplog.at_level(logging.ERROR, logger="kernel"):
        runtime.tick()
    [record] = caplog.records
    assert record.name == "kernel"
    assert record.getMessage() == "task loader raised ValueError (tick 1)"
    assert record.exc_info is not None
    assert record.exc_info[1] is not None
    assert str(record.exc_info[1]) == "broken"


def test_error_report_carries_phase_callback_and_tick() -> None:
    collector = ErrorCollector()
    runtime = Runtime(clock=ManualClock(), error_handler=collector)
    runtime.boot()
    runtime.tick()
    runtime.schedule_work(failing_task)
    runtime.tick()
    [report] = collector.take()
    assert report.phase == "task"
    assert report.callback == f"{__name__}.failing_task"
    assert report.tick == 2 == runtime.stats().ticks
    assert isinstance(report.exception, ValueError)
    assert report.exception.__traceback__ is not None


def test_a_raising_error_handler_is_logged_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def bad_handler(report: ErrorReport) -> None:
        raise RuntimeError("handler broke")

    ran: list[int] = []
    runtime = Runtime(clock=ManualClock(), error_handler=bad_handler)
    runtime.boot()
    runtime.schedule_work(failing_task)
    runtime.schedule_work(ran.append, 1)
    with caplog.at_level(logging.ERROR, logger="kernel"):
        assert runtime.tick()
    assert ran == [1]
    [record] = caplog.records
    assert record.getMessage().startswith("the error handler raised while handling ErrorReport(")
    assert runtime.stats().tasks_failed == 1


def test_reporter_rejects_a_non_callable_handler() -> None:
    with pytest.raises(TypeError, match=r"^error_handler must be callable, got 3$"):
        ErrorReporter(3, lambda: 0)  # type: ignore[arg-type]


def test_reporter_exposes_its_handler() -> None:
    assert ErrorReporter(None, lambda: 0).handler is log_error


def test_error_collector_take_forgets() -> None:
    collector = ErrorCollector()
    report = ErrorReport(phase="task", exception=ValueError(), callback="f", tick=1)
    collector(report)
    assert repr(collector) == "<ErrorCollector reports=1>"
    assert collector.take() == [report]
    assert collector.reports == []
