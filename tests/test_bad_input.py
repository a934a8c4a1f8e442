"""Every public entry point rejects bad arguments with a message naming the argument and value,
and leaves the runtime unchanged."""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable
from typing import Any

import pytest

from kernel import (
    EventBus,
    InvalidStateError,
    MissedTicks,
    Runtime,
    RuntimeConfig,
    Task,
    TimerWheel,
)
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
    (
        "add_instrument-hook",
        lambda rt: rt.add_instrument(type("I", (), {"after_tick": 3})()),
        TypeError,
        r"^instrument <.*I object at .*>: its after_tick attribute must be callable, got 3$",
    ),
    ("run_ticks-zero", lambda rt: rt.run_ticks(0), ValueError, r"^n must be >= 1, got 0$"),
    (
        "run_ticks-bool",
        lambda rt: rt.run_ticks(True),
        TypeError,
        r"^n must be an int >= 1, got True$",
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


# -- SPEC §12: I/O sources, signals, idle callbacks, worker threads ------------------------------


def _closed_fd() -> int:
    """An fd number that is not open (both ends of a fresh pipe, closed)."""
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    os.close(write_fd)
    return read_fd


def _with_regular_file(call: Callable[[object], object]) -> object:
    with tempfile.TemporaryFile() as f:
        return call(f)


def _with_dev_null(call: Callable[[int], object]) -> object:
    fd = os.open(os.devnull, os.O_RDONLY)
    try:
        return call(fd)
    finally:
        os.close(fd)


FD_TYPE = r"must be an int >= 0 or an object with fileno\(\), got "
REFUSED = r"^fd \d+ cannot be watched: the selector refuses it \(epoll refuses regular files"


def _fd_cases(method: str) -> list[tuple[str, Call, type[Exception], str]]:
    add = f"add_{method}"
    return [
        (
            f"{add}-bool",
            lambda rt: getattr(rt, add)(True, print),
            TypeError,
            rf"^fd {FD_TYPE}True$",
        ),
        (
            f"{add}-negative",
            lambda rt: getattr(rt, add)(-3, print),
            ValueError,
            r"^fd must be >= 0, got -3$",
        ),
        (f"{add}-str", lambda rt: getattr(rt, add)("0", print), TypeError, rf"^fd {FD_TYPE}'0'$"),
        (f"{add}-float", lambda rt: getattr(rt, add)(0.0, print), TypeError, rf"^fd {FD_TYPE}0.0$"),
        (
            f"{add}-closed",
            lambda rt: getattr(rt, add)(_closed_fd(), print),
            ValueError,
            r"^fd must be an open file descriptor, got \d+ \(Bad file descriptor\)$",
        ),
        (
            f"{add}-regular-file",
            lambda rt: _with_regular_file(lambda f: getattr(rt, add)(f, print)),
            ValueError,
            REFUSED,
        ),
        (
            f"{add}-dev-null",
            lambda rt: _with_dev_null(lambda fd: getattr(rt, add)(fd, print)),
            ValueError,
            REFUSED,
        ),
        (
            f"{add}-fn",
            lambda rt: getattr(rt, add)(0, "print"),
            TypeError,
            r"^fn must be callable, got 'print'$",
        ),
        (
            f"{add}-name",
            lambda rt: getattr(rt, add)(0, print, name=3),
            TypeError,
            r"^name must be a str or None, got 3$",
        ),
        (
            f"remove_{method}-bool",
            lambda rt: getattr(rt, f"remove_{method}")(False),
            TypeError,
            rf"^fd {FD_TYPE}False$",
        ),
        (
            f"remove_{method}-negative",
            lambda rt: getattr(rt, f"remove_{method}")(-1),
            ValueError,
            r"^fd must be >= 0, got -1$",
        ),
    ]


IO_CASES: list[tuple[str, Call, type[Exception], str]] = [
    *_fd_cases("reader"),
    *_fd_cases("writer"),
    (
        "add_signal_handler-SIGKILL",
        lambda rt: rt.add_signal_handler(signal.SIGKILL, print),
        ValueError,
        r"^signum must be a catchable signal \(not SIGKILL or SIGSTOP\), got <Signals.SIGKILL: 9>$",
    ),
    (
        "add_signal_handler-SIGSTOP",
        lambda rt: rt.add_signal_handler(signal.SIGSTOP, print),
        ValueError,
        r"^signum must be a catchable signal \(not SIGKILL or SIGSTOP\), got <Signals.SIGSTOP",
    ),
    (
        "add_signal_handler-invalid",
        lambda rt: rt.add_signal_handler(-1, print),
        ValueError,
        r"^signum must be a valid signal number, got -1$",
    ),
    (
        "add_signal_handler-bool",
        lambda rt: rt.add_signal_handler(True, print),
        TypeError,
        r"^signum must be an int \(a signal number\), got True$",
    ),
    (
        "add_signal_handler-fn",
        lambda rt: rt.add_signal_handler(signal.SIGUSR1, None),
        TypeError,
        r"^fn must be callable, got None$",
    ),
    (
        "add_signal_handler-name",
        lambda rt: rt.add_signal_handler(signal.SIGUSR1, print, name=b"x"),
        TypeError,
        r"^name must be a str or None, got b'x'$",
    ),
    (
        "remove_signal_handler-str",
        lambda rt: rt.remove_signal_handler("SIGINT"),
        TypeError,
        r"^signum must be an int \(a signal number\), got 'SIGINT'$",
    ),
    (
        "add_idle_callback-fn",
        lambda rt: rt.add_idle_callback(5),
        TypeError,
        r"^fn must be callable, got 5$",
    ),
    (
        "add_idle_callback-name",
        lambda rt: rt.add_idle_callback(print, name=1.5),
        TypeError,
        r"^name must be a str or None, got 1.5$",
    ),
    (
        "remove_idle_callback-str",
        lambda rt: rt.remove_idle_callback("1"),
        TypeError,
        r"^callback_id must be an int, got '1'$",
    ),
    (
        "remove_idle_callback-bool",
        lambda rt: rt.remove_idle_callback(True),
        TypeError,
        r"^callback_id must be an int, got True$",
    ),
    (
        "run_in_thread-fn",
        lambda rt: rt.run_in_thread("job"),
        TypeError,
        r"^fn must be callable, got 'job'$",
    ),
    (
        "run_in_thread-on_done",
        lambda rt: rt.run_in_thread(print, on_done=[]),
        TypeError,
        r"^on_done must be callable, got \[\]$",
    ),
    (
        "run_in_thread-name",
        lambda rt: rt.run_in_thread(print, name=0),
        TypeError,
        r"^name must be a str or None, got 0$",
    ),
]


def _os_state() -> tuple[object, ...]:
    wakeup_fd = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup_fd)
    return (
        sorted(os.listdir("/proc/self/fd")),
        wakeup_fd,
        signal.getsignal(signal.SIGUSR1),
        threading.active_count(),
    )


@pytest.mark.parametrize(
    ("call", "error", "message"), [c[1:] for c in IO_CASES], ids=[c[0] for c in IO_CASES]
)
def test_io_entry_points_reject_bad_input_and_change_nothing(
    call: Call, error: type[Exception], message: str
) -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    idle_id = runtime.add_idle_callback(print)
    before = (runtime.stats(), _os_state())
    with pytest.raises(error, match=message):
        call(runtime)
    assert (runtime.stats(), _os_state()) == before
    assert runtime.remove_idle_callback(idle_id)
    assert not runtime.remove_idle_callback(idle_id + 1)  # nothing was added
    runtime.close()


@pytest.mark.parametrize(
    "call",
    [
        lambda rt, fd: rt.add_reader(fd, print),
        lambda rt, fd: rt.add_writer(fd, print),
        lambda rt, fd: rt.add_signal_handler(signal.SIGUSR1, print),
        lambda rt, fd: rt.add_idle_callback(print),
        lambda rt, fd: rt.run_in_thread(print),
    ],
    ids=["add_reader", "add_writer", "add_signal_handler", "add_idle_callback", "run_in_thread"],
)
@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop"])
def test_io_entry_points_refuse_terminal_states(
    call: Callable[[Any, int], object], stop: str
) -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    getattr(runtime, stop)()
    before = (runtime.stats(), _os_state())
    with pytest.raises(InvalidStateError, match=r"^\w+\(\) called in (Stopping|Emergency) state"):
        call(runtime, 0)
    assert (runtime.stats(), _os_state()) == before
    runtime.close()


def test_signal_handlers_refuse_other_threads_and_change_nothing() -> None:
    runtime = Runtime(clock=ManualClock())
    runtime.boot()
    before = (runtime.stats(), _os_state())
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            runtime.add_signal_handler(signal.SIGUSR1, print)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=10.0)
    assert not thread.is_alive()
    assert [str(e) for e in errors] == [
        "add_signal_handler() works only on the main thread (Python runs signal handlers there)"
    ]
    assert (runtime.stats(), _os_state()) == before


@pytest.mark.parametrize(
    ("field", "value", "error", "message"),
    [
        ("max_worker_threads", 0, ValueError, r"^max_worker_threads must be >= 1, got 0$"),
        (
            "max_worker_threads",
            True,
            TypeError,
            r"^max_worker_threads must be an int >= 1, got True$",
        ),
        (
            "max_worker_threads",
            2.0,
            TypeError,
            r"^max_worker_threads must be an int >= 1, got 2.0$",
        ),
        ("thread_join_timeout", -1, ValueError, r"^thread_join_timeout must be >= 0, got -1$"),
        (
            "thread_join_timeout",
            float("inf"),
            ValueError,
            r"^thread_join_timeout must be finite, got inf$",
        ),
        (
            "thread_join_timeout",
            False,
            TypeError,
            r"^thread_join_timeout must be a number of seconds \(int or float\), got False$",
        ),
        ("stall_threshold", 0, ValueError, r"^stall_threshold must be > 0, got 0$"),
        ("stall_threshold", -1.0, ValueError, r"^stall_threshold must be > 0, got -1.0$"),
        ("stall_threshold", float("nan"), ValueError, r"^stall_threshold must be finite, got nan$"),
        (
            "stall_threshold",
            True,
            TypeError,
            r"^stall_threshold must be a number of seconds \(int or float\), got True$",
        ),
    ],
    ids=[
        "workers-zero",
        "workers-bool",
        "workers-float",
        "join-negative",
        "join-inf",
        "join-bool",
        "stall-zero",
        "stall-negative",
        "stall-nan",
        "stall-bool",
    ],
)
def test_new_config_fields_reject_bad_values(
    field: str, value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RuntimeConfig(**{field: value})  # type: ignore[arg-type]
