"""Every public entry point rejects bad arguments with a message naming the argument and value,
and leaves the runtime unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kernel import EventBus, MissedTicks, Runtime, RuntimeConfig, Task, TimerWheel
from kernel.testing import ManualClock

# The runtime is typed Any here on purpose: every call below passes a wrongly typed argument.
Call = Callable[[Any], object]

CASES: list[tuple[str, Call, type[Exception], str]] = [
    (
        "schedule_work-fn",
        lambda rt: rt.schedule_work(3),
        TypeError,
        r"^fn must be callable, got 3$",
    ),
    (
        "schedule_work-name",
        lambda rt: rt.schedule_work(print, name=5),
        TypeError,
        r"^name must be a str or None, got 5$",
    ),
    (
        "with_priority-priority",
        lambda rt: rt.schedule_work_with_priority(-2, print),
        ValueError,
        r"^priority must be in \[0, 2\*\*32\), got -2$",
    ),
    (
        "with_priority-bool",
        lambda rt: rt.schedule_work_with_priority(True, print),
        TypeError,
        r"^priority must be an int in \[0, 2\*\*32\), got True$",
    ),
    (
        "with_priority-fn",
        lambda rt: rt.schedule_work_with_priority(1, None),
        TypeError,
        r"^fn must be callable, got None$",
    ),
    ("schedule_task", lambda rt: rt.schedule_task(print), TypeError, r"^task must be a Task, got"),
    (
        "delayed-negative",
        lambda rt: rt.schedule_delayed(-0.1, print),
        ValueError,
        r"^delay must be >= 0, got -0.1$",
    ),
    (
        "delayed-nan",
        lambda rt: rt.schedule_delayed(float("nan"), print),
        ValueError,
        r"^delay must be finite, got nan$",
    ),
    (
        "delayed-bool",
        lambda rt: rt.schedule_delayed(True, print),
        TypeError,
        r"^delay must be a number of seconds \(int or float\), got True$",
    ),
    (
        "delayed-str",
        lambda rt: rt.schedule_delayed("1", print),
        TypeError,
        r"^delay must be a number of seconds \(int or float\), got '1'$",
    ),
    (
        "delayed-fn",
        lambda rt: rt.schedule_delayed(1, "print"),
        TypeError,
        r"^fn must be callable, got 'print'$",
    ),
    (
        "delayed-priority",
        lambda rt: rt.schedule_delayed(1, print, priority=2**32),
        ValueError,
        r"^priority must be in \[0, 2\*\*32\), got 4294967296$",
    ),
    (
        "delayed-name",
        lambda rt: rt.schedule_delayed(1, print, name=b"x"),
        TypeError,
        r"^name must be a str or None, got b'x'$",
    ),
    (
        "periodic-zero",
        lambda rt: rt.schedule_periodic(0, print),
        ValueError,
        r"^interval must be > 0, got 0$",
    ),
    (
        "periodic-inf",
        lambda rt: rt.schedule_periodic(float("inf"), print),
        ValueError,
        r"^interval must be finite, got inf$",
    ),
    (
        "periodic-missed",
        lambda rt: rt.schedule_periodic(1, print, missed="skip"),
        TypeError,
        r"^missed must be a MissedTicks, got 'skip'$",
    ),
    (
        "cancel_timer",
        lambda rt: rt.cancel_timer("1"),
        TypeError,
        r"^timer_id must be an int, got '1'$",
    ),
    ("set_scope", lambda rt: rt.set_scope(3), TypeError, r"^scope must be an EventScope, got 3$"),
    (
        "advance-negative",
        lambda rt: rt.advance(-1),
        ValueError,
        r"^seconds must be >= 0, got -1$",
    ),
    (
        "advance-inf",
        lambda rt: rt.advance(float("inf")),
        ValueError,
        r"^seconds must be finite, got inf$",
    ),
    (
        "run_until_idle",
        lambda rt: rt.run_until_idle(0),
        ValueError,
        r"^max_ticks must be >= 1, got 0$",
    ),
    (
        "emit_async-scope",
        lambda rt: rt.event_bus.emit_async(object(), scope=1),
        TypeError,
        r"^scope must be an EventScope or None, got 1$",
    ),
    (
        "subscribe-type",
        lambda rt: rt.event_bus.subscribe(1, print),
        TypeError,
        r"^event_type must be a class, got 1$",
    ),
    (
        "queue_event-priority",
        lambda rt: rt.queue_event(type("E", (), {"priority": 1.5})()),
        TypeError,
        r"^event priority must be an int in \[0, 2\*\*32\), got 1.5$",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_and_changes_nothing(
    call: Call, error: type[Exception], message: str
) -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    runtime.schedule_work(print)
    before = runtime.stats()
    with pytest.raises(error, match=message):
        call(runtime)
    assert runtime.stats() == before
    assert runtime.timer_wheel.next_deadline() is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"config": {"batch_size": 16}}, TypeError, r"^config must be a RuntimeConfig, got"),
        ({"clock": object()}, TypeError, r"^clock must be a Clock \(an object with a now\(\)"),
        ({"event_bus": "bus"}, TypeError, r"^event_bus must be an EventBus, got 'bus'$"),
        ({"error_handler": 1}, TypeError, r"^error_handler must be callable, got 1$"),
    ],
    ids=["config", "clock", "event_bus", "error_handler"],
)
def test_runtime_constructor_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    config = kwargs.pop("config", None)
    with pytest.raises(error, match=message):
        Runtime(config, **kwargs)  # type: ignore[arg-type]


def test_rejected_constructor_leaves_the_bus_free() -> None:
    bus = EventBus()
    with pytest.raises(TypeError):
        Runtime(event_bus=bus, error_handler=1)  # type: ignore[arg-type]
    assert Runtime(event_bus=bus).event_bus is bus


def test_timer_wheel_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"^max_timers must be >= 1, got 0$"):
        TimerWheel(ManualClock(), max_timers=0)
    wheel = TimerWheel(ManualClock())
    with pytest.raises(ValueError, match=r"^interval must be > 0, got -1$"):
        wheel.schedule_periodic(-1, print, missed=MissedTicks.DELAY)
    assert len(wheel) == 0


def test_reset_validates_even_when_not_pending() -> None:
    runtime = Runtime(RuntimeConfig(max_timers=1), clock=ManualClock())
    runtime.schedule_delayed(1, print)
    failed = runtime.schedule_delayed(1, print)
    assert failed.failed
    with pytest.raises(ValueError, match=r"^delay must be >= 0, got -5$"):
        failed.reset(-5)
    assert not failed.reset(1)


def test_task_priority_check_happens_before_any_state_change() -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    with pytest.raises(TypeError):
        runtime.schedule_task(Task(print, priority="1"))  # type: ignore[arg-type]
    assert runtime.stats().work_queue_len == 0


def test_an_int_too_large_for_a_float_is_not_a_finite_delay() -> None:
    runtime = Runtime(clock=ManualClock())
    with pytest.raises(ValueError, match=r"^delay must be finite, got 1000000"):
        runtime.schedule_delayed(10**400, print)
