"""kernel._core.stats: `RuntimeStats` and `ShutdownReport`, frozen snapshots of a runtime."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from kernel import Runtime, RuntimeState, RuntimeStats, ShutdownReport
from kernel.testing import ManualClock

STATS_COUNTERS = (
    "event_queue_len",
    "work_queue_len",
    "work_dropped",
    "tasks_executed",
    "tasks_failed",
    "active_timers",
    "timers_dropped",
    "ticks",
    "tasks_rejected",
    "tasks_cancelled",
    "events_dispatched",
    "events_dropped",
    "handler_errors",
    "timers_fired",
    "commands_processed",
    "async_queue_len",
    "thread_jobs_submitted",
    "thread_jobs_done",
    "thread_jobs_failed",
    "thread_jobs_cancelled",
    "thread_jobs_running",
)
REPORT_COUNTERS = (
    "tasks_drained",
    "events_drained",
    "tasks_abandoned",
    "events_abandoned",
    "timers_cancelled",
    "ticks",
)


def stats(**changes: Any) -> RuntimeStats:
    values: dict[str, Any] = dict.fromkeys(STATS_COUNTERS, 0)
    values["state"] = RuntimeState.RUNNING
    return RuntimeStats(**(values | changes))


def shutdown_report(**changes: Any) -> ShutdownReport:
    values: dict[str, Any] = dict.fromkeys(REPORT_COUNTERS, 0)
    values["state"] = RuntimeState.STOPPING
    return ShutdownReport(**(values | changes))


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (RuntimeStats, ("state", *STATS_COUNTERS, "stalls")),
        (
            ShutdownReport,
            ("state", *REPORT_COUNTERS, "thread_jobs_cancelled", "thread_jobs_abandoned"),
        ),
    ],
    ids=["runtime-stats", "shutdown-report"],
)
def test_snapshot_fields_in_order(cls: type[object], fields: tuple[str, ...]) -> None:
    assert tuple(f.name for f in dataclasses.fields(cls)) == fields  # type: ignore[arg-type]


def test_runtime_stats_stalls_defaults_to_zero() -> None:
    assert stats().stalls == 0
    assert stats(stalls=3).stalls == 3


def test_shutdown_report_thread_counters_default_to_zero() -> None:
    report = shutdown_report()
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (0, 0)


@pytest.mark.parametrize(
    "snapshot",
    [stats(), shutdown_report()],
    ids=["runtime-stats", "shutdown-report"],
)
def test_snapshots_are_frozen(snapshot: object) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError, match=r"^cannot assign to field 'ticks'$"):
        snapshot.ticks = 1  # type: ignore[attr-defined]
    assert not hasattr(snapshot, "__dict__")


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (RuntimeStats, r"RuntimeStats.__init__\(\) takes 1 positional argument but 2"),
        (ShutdownReport, r"ShutdownReport.__init__\(\) takes 1 positional argument but 2"),
    ],
    ids=["runtime-stats", "shutdown-report"],
)
def test_snapshots_are_keyword_only(cls: type[object], message: str) -> None:
    with pytest.raises(TypeError, match=rf"^{message}"):
        cls(RuntimeState.RUNNING)  # type: ignore[call-arg]


def test_snapshots_compare_by_value() -> None:
    assert stats(ticks=2) == stats(ticks=2)
    assert stats(ticks=2) != stats(ticks=3)
    assert hash(stats()) == hash(stats())
    assert shutdown_report(tasks_drained=1) == shutdown_report(tasks_drained=1)
    assert shutdown_report(tasks_drained=1) != shutdown_report(tasks_abandoned=1)


def test_runtime_stats_is_what_a_runtime_reports() -> None:
    rt = Runtime(clock=ManualClock())
    before = rt.stats()
    assert before == stats(state=RuntimeState.BOOTING)
    rt.boot()
    rt.schedule_work(lambda: None)
    rt.tick()
    assert rt.stats() == stats(tasks_executed=1, ticks=1)
    assert before.ticks == 0  # a snapshot does not follow the runtime
    rt.close()
