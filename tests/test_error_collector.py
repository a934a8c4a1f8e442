"""kernel.testing.ErrorCollector: an error handler that keeps every report for a test."""

from __future__ import annotations

import pytest

from kernel import ErrorReport, Event, EventBus, Runtime
from kernel.testing import ErrorCollector, ManualClock


def report(callback: str, tick: int = 1) -> ErrorReport:
    return ErrorReport(phase="task", exception=ValueError(callback), callback=callback, tick=tick)


def test_error_collector_starts_empty() -> None:
    collector = ErrorCollector()
    assert collector.reports == []
    assert collector.take() == []
    assert repr(collector) == "<ErrorCollector reports=0>"


def test_error_collector_keeps_reports_oldest_first() -> None:
    collector = ErrorCollector()
    first, second = report("a"), report("b")
    collector(first)
    collector(second)
    assert collector.reports == [first, second]
    assert repr(collector) == "<ErrorCollector reports=2>"


def test_error_collector_take_returns_and_forgets() -> None:
    collector = ErrorCollector()
    first, second = report("a"), report("b")
    collector(first)
    kept = collector.reports
    taken = collector.take()
    assert taken == [first]
    assert taken is kept  # the same list, handed over without a copy
    assert collector.reports == []
    collector(second)
    assert collector.take() == [second]
    assert taken == [first]  # a later report does not reach an earlier take()


def test_error_collector_as_a_runtimes_error_handler() -> None:
    collector = ErrorCollector()
    rt = Runtime(clock=ManualClock(), error_handler=collector)
    rt.boot()

    def fail() -> None:
        raise ValueError("boom")

    rt.schedule_work(fail, name="failing")
    rt.run_until_idle()
    [caught] = collector.take()
    assert (caught.phase, caught.callback, caught.tick) == ("task", "failing", 1)
    assert isinstance(caught.exception, ValueError)
    assert collector.reports == []
    rt.close()


def test_error_collector_as_a_buses_error_handler() -> None:
    class Ping(Event):
        pass

    collector = ErrorCollector()
    bus = EventBus(error_handler=collector)

    def fail(event: Ping) -> None:
        raise KeyError("boom")

    bus.subscribe(Ping, fail)
    bus.emit(Ping())
    [caught] = collector.take()
    assert caught.phase == "event"
    assert isinstance(caught.exception, KeyError)
    assert caught.tick == 0


def test_error_collector_has_no_instance_dict() -> None:
    with pytest.raises(AttributeError, match=r"'ErrorCollector' object has no attribute 'extra'"):
        ErrorCollector().extra = 1  # type: ignore[attr-defined]
