"""The public surface: every SPEC name imports from kernel, and nothing private leaks."""

from __future__ import annotations

import types

import kernel
import kernel.instruments
import kernel.testing

SPEC_NAMES = [
    "Runtime",
    "RuntimeConfig",
    "RuntimeState",
    "RuntimeStats",
    "Task",
    "TaskId",
    "TaskState",
    "Priority",
    "TimerHandle",
    "TimerWheel",
    "MissedTicks",
    "Event",
    "EventResult",
    "EventBus",
    "Subscription",
    "HandlerContext",
    "EventScope",
    "Shutdown",
    "Emergency",
    "ScheduleTask",
    "QueueEvent",
    "RuntimeCommand",
    "CommandSender",
    "Clock",
    "MonotonicClock",
    "ErrorReport",
    "ShutdownReport",
    "KernelError",
    "InvalidStateError",
]


def test_every_spec_name_is_exported() -> None:
    missing = [name for name in SPEC_NAMES if name not in kernel.__all__]
    assert missing == []


def test_every_exported_name_resolves_and_is_documented() -> None:
    for name in kernel.__all__:
        value = getattr(kernel, name)
        assert value is not None, name
        if isinstance(value, type):
            assert value.__doc__, f"{name} has no docstring"


def test_nothing_private_leaks() -> None:
    public = {
        name
        for name, value in vars(kernel).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(kernel.__all__)
    # Not identifiers: the helpers pytest's assertion rewriting adds to the modules of a
    # distribution that declares a pytest11 entry point ("@py_builtins", "@pytest_ar").
    modules = {
        name
        for name, value in vars(kernel).items()
        if isinstance(value, types.ModuleType) and name.isidentifier()
    }
    assert all(
        name.startswith("_") or name in {"testing", "bench", "instruments", "hosts", "demo"}
        for name in modules
    )


def test_testing_exports() -> None:
    assert kernel.testing.__all__ == ["ErrorCollector", "ManualClock"]
    assert all(getattr(kernel.testing, name).__doc__ for name in kernel.testing.__all__)


def test_all_is_sorted() -> None:
    assert list(kernel.__all__) == sorted(kernel.__all__)


def test_instruments_exports() -> None:
    assert kernel.instruments.__all__ == ["LatencyHistogram", "TickTiming"]
    assert all(getattr(kernel.instruments, name).__doc__ for name in kernel.instruments.__all__)
