"""Faults: every callback kind x callable shape x exception kind, and the loop survives each.

For an `Exception` the contract is: reported once (to the error handler, with a description that
never raises), counted once, the rest of the tick runs, nothing stays RUNNING, a periodic timer
keeps its schedule. For a `BaseException` that is not an `Exception`: it propagates out of
`tick()`, and afterwards the runtime is consistent and the next ticks run everything left.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any, Final, NoReturn

import pytest

from kernel import EventResult, MissedTicks, Runtime, Task, TaskState, TimerHandle
from kernel.testing import ErrorCollector, ManualClock

from .liveness import bounded, sampled
from .stack_depth import HEADROOM, at_depth, recursion_limit_above_here

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel import ErrorReport


class Fatal(BaseException):
    """A `BaseException` that is neither `KeyboardInterrupt` nor `SystemExit`."""


EXCEPTIONS: Final[dict[str, Callable[[], BaseException]]] = {
    "ordinary": lambda: ValueError("ordinary"),
    "base-exception": lambda: Fatal("base"),
    "recursion": lambda: RecursionError("maximum recursion depth exceeded"),
    "memory": MemoryError,
    "exception-group": lambda: ExceptionGroup("group", [ValueError("a"), KeyError("b")]),
    "base-exception-group": lambda: BaseExceptionGroup("group", [Fatal("a")]),
}


class Ping:
    """The event every handler kind receives (hashable, so builtin shapes can take it)."""

    priority = 100


class Thrower:
    def __init__(self, throw: Callable[[], NoReturn]) -> None:
        self._throw = throw

    def method(self, *args: object) -> None:
        self._throw()

    def __call__(self, *args: object) -> None:
        self._throw()


class ThrowingDict(dict[object, object]):
    """``ThrowingDict(throw).__getitem__`` is a builtin method that calls back into Python."""

    def __init__(self, throw: Callable[[], NoReturn]) -> None:
        super().__init__()
        self._throw = throw

    def __missing__(self, key: object) -> object:
        self._throw()


class Unprintable:
    """A dict-backed proxy: missing attributes raise KeyError, and so does repr()."""

    def __init__(self, throw: Callable[[], NoReturn]) -> None:
        self._attrs: dict[str, object] = {}
        self._throw = throw

    def __getattr__(self, name: str) -> object:
        return self._attrs[name]

    def __call__(self, *args: object) -> None:
        self._throw()

    def __repr__(self) -> str:
        raise KeyError("unprintable")


def _call_throw(throw: Callable[[], NoReturn], *args: object) -> None:
    throw()


def _shape(name: str, throw: Callable[[], NoReturn]) -> Callable[..., object]:
    if name == "function":

        def function(*args: object) -> None:
            throw()

        return function
    if name == "lambda":
        return lambda *args: throw()
    if name == "partial":
        return functools.partial(_call_throw, throw)
    if name == "bound-method":
        return Thrower(throw).method
    if name == "instance":
        return Thrower(throw)
    if name == "builtin":
        return ThrowingDict(throw).__getitem__
    assert name == "unprintable"
    return Unprintable(throw)


SHAPES: Final = (
    "function",
    "lambda",
    "partial",
    "bound-method",
    "instance",
    "builtin",
    "unprintable",
)
ONE_ARGUMENT: Final = "key"
"""What task and timer callbacks are called with (builtin shapes take exactly one argument)."""


class Scenario:
    """One runtime with a faulty callback of one kind, a sentinel beside it, and the checks."""

    def __init__(self, kind: str, callback: Callable[..., object]) -> None:
        self.kind = kind
        self.errors = ErrorCollector()
        self.clock = ManualClock()
        self.after: list[str] = []
        self.task: Task | None = None
        handler = callback if kind == "error-handler" else self.errors
        self.rt = Runtime(clock=self.clock, error_handler=handler)
        self.rt.boot()
        self.fires = 0
        counted: Any = callback  # any shape: the bus and runtime take any callable
        rt = self.rt
        bus = rt.event_bus
        if kind == "task":
            rt.schedule_work(counted, ONE_ARGUMENT)
        elif kind == "Task":
            self.task = Task(counted, ONE_ARGUMENT)
            rt.schedule_task(self.task)
        elif kind == "one-shot":
            rt.schedule_delayed(0.0, counted, ONE_ARGUMENT)
        elif kind in ("periodic-skip", "periodic-delay"):
            policy = MissedTicks.SKIP if kind == "periodic-skip" else MissedTicks.DELAY
            self.periodic = rt.schedule_periodic(1.0, counted, ONE_ARGUMENT, missed=policy)
            self.clock.advance(1.0)
        elif kind == "handler":
            bus.subscribe(Ping, counted)
            bus.subscribe(Ping, self._sentinel_handler)
            rt.queue_event(Ping())
        elif kind == "context-handler":
            bus.subscribe_with_context(Ping, counted)
            bus.subscribe(Ping, self._sentinel_handler)
            rt.queue_event(Ping())
        elif kind == "async-handler":
            bus.subscribe(Ping, counted)
            bus.subscribe(Ping, self._sentinel_handler)
            bus.emit_async(Ping())
        else:
            assert kind == "error-handler"
            rt.schedule_work(self._failing_task)
        rt.schedule_work(self.after.append, "after")

    def _sentinel_handler(self, event: Ping) -> EventResult:
        self.after.append("handler")
        return EventResult.HANDLED

    @staticmethod
    def _failing_task() -> None:
        raise ValueError("the task that gets reported")


def _throw_for(exc_kind: str, scenario_calls: list[int]) -> Callable[[], NoReturn]:
    def throw() -> NoReturn:
        scenario_calls.append(1)
        raise EXCEPTIONS[exc_kind]()

    return throw


KINDS: Final = (
    "task",
    "Task",
    "one-shot",
    "periodic-skip",
    "periodic-delay",
    "handler",
    "context-handler",
    "async-handler",
    "error-handler",
)
NOT_APPLICABLE: Final = {("context-handler", "builtin")}
"""A context handler is called with two arguments; the builtin shape takes one."""
PHASES: Final = {
    "task": "task",
    "Task": "task",
    "one-shot": "timer",
    "periodic-skip": "timer",
    "periodic-delay": "timer",
    "handler": "event",
    "context-handler": "event",
    "async-handler": "event",
}
HANDLERS: Final = frozenset({"handler", "context-handler", "async-handler"})
TIMERS: Final = frozenset({"one-shot", "periodic-skip", "periodic-delay"})


def _cases() -> list[object]:
    cases: list[object] = []
    for kind in KINDS:
        for shape in SHAPES:
            if (kind, shape) in NOT_APPLICABLE:
                continue
            for exc_kind in EXCEPTIONS:
                cases.append(pytest.param(kind, shape, exc_kind, id=f"{kind}-{shape}-{exc_kind}"))
    return cases


def _caught(exc_kind: str) -> bool:
    return isinstance(EXCEPTIONS[exc_kind](), Exception)


FAULT_CASES: Final = _cases()


def contained_or_raised(exc_kind: str, step: Callable[[], object]) -> None:
    """Run `step`: an `Exception` kind is contained; any other kind propagates as itself."""
    expected = type(EXCEPTIONS[exc_kind]())
    if issubclass(expected, Exception):
        step()
        return
    with pytest.raises(expected) as raised:
        step()
    assert type(raised.value) is expected


@pytest.mark.parametrize(
    ("kind", "shape", "exc_kind"),
    # By default: every kind with every exception (plain functions), and every shape (ordinary
    # exceptions); the whole matrix under KERNEL_STRESS=1.
    sampled(
        FAULT_CASES, lambda kind, shape, exc_kind: shape == "function" or exc_kind == "ordinary"
    ),
)
def test_fault_is_contained(
    kind: str, shape: str, exc_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    callback = _shape(shape, _throw_for(exc_kind, calls))
    scenario = Scenario(kind, callback)
    rt, errors = scenario.rt, scenario.errors
    caught = _caught(exc_kind)
    with bounded(), caplog.at_level(logging.CRITICAL + 1, logger="kernel"):
        contained_or_raised(exc_kind, rt.tick)
        if not caught:
            rt.tick()  # the rest of the work runs on the next tick
        rt.run_until_idle()
    assert len(calls) == 1

    stats = rt.stats()
    # The work beside the faulty callback ran exactly once.
    assert scenario.after.count("after") == 1
    if kind in HANDLERS:
        assert scenario.after.count("handler") == (1 if caught else 0)
        assert stats.handler_errors == (1 if caught else 0)
        assert stats.tasks_failed == 0
    elif kind == "error-handler":
        assert stats.tasks_failed == 1
    else:
        assert stats.tasks_failed == 1
        assert stats.handler_errors == 0
    if scenario.task is not None:
        assert scenario.task.state is TaskState.FAILED
    assert stats.work_queue_len == stats.event_queue_len == stats.async_queue_len == 0

    reports: list[ErrorReport] = errors.take()
    if kind == "error-handler" or not caught:
        assert reports == []
    else:
        (report,) = reports
        assert report.phase == PHASES[kind]
        assert type(report.exception) is type(EXCEPTIONS[exc_kind]())
        assert isinstance(report.callback, str)
        assert report.callback

    if kind in ("periodic-skip", "periodic-delay"):
        # Not stuck: the timer fires again on its next period.
        assert scenario.periodic.pending
        with bounded(), caplog.at_level(logging.CRITICAL + 1, logger="kernel"):
            for _ in range(2):
                contained_or_raised(exc_kind, lambda: rt.advance(1.0))
        assert len(calls) == 3
    if kind in HANDLERS:
        # Not stuck: the next event reaches every handler again.
        with bounded(), caplog.at_level(logging.CRITICAL + 1, logger="kernel"):
            contained_or_raised(exc_kind, lambda: rt.event_bus.emit(Ping()))
        assert len(calls) == 2
    rt.shutdown()
    assert not rt.tick()
    report_at_stop = rt.shutdown_report()
    assert report_at_stop is not None
    assert report_at_stop.tasks_abandoned == report_at_stop.events_abandoned == 0


def test_fault_matrix_covers_every_combination() -> None:
    """The figure docs/reliability.md quotes: kinds x shapes x exception kinds survived."""
    assert len(FAULT_CASES) == len(KINDS) * len(SHAPES) * len(EXCEPTIONS) - len(
        NOT_APPLICABLE
    ) * len(EXCEPTIONS)


TIMER_OPERATIONS: Final = ("reset-earlier", "reset-later", "schedule", "schedule-periodic")


def _timer_operation_at_depth(operation: str, frames: int) -> bool:
    """Run one timer operation `frames` deeper under a low recursion limit; check the wheel."""
    rt = Runtime(clock=ManualClock())
    rt.boot()
    fired: list[str] = []
    rt.schedule_delayed(3.0, fired.append, "neighbour")
    handle = rt.schedule_delayed(2.0, fired.append, "handle")
    made: list[TimerHandle] = []
    calls: dict[str, Callable[[], object]] = {
        "reset-earlier": lambda: handle.reset(0.5),
        "reset-later": lambda: handle.reset(5.0),
        "schedule": lambda: made.append(rt.schedule_delayed(1.0, fired.append, "new")),
        "schedule-periodic": lambda: made.append(rt.schedule_periodic(1.0, fired.append, "new")),
    }
    with recursion_limit_above_here():
        done = at_depth(frames, calls[operation])
    assert len(rt.timer_wheel) == 2 + len(made)
    if operation.startswith("reset"):
        expected = (0.5 if operation == "reset-earlier" else 5.0) if done else 2.0
        assert handle.deadline == expected
    with bounded():
        rt.advance(1.0)
        for timer in made:
            timer.cancel()  # a periodic timer would fire for ever; a fired one-shot says False
        rt.advance(10.0)
    assert sorted(fired) == sorted(["neighbour", "handle"] + ["new"] * len(made))
    assert rt.is_idle()
    return done


@pytest.mark.parametrize("operation", TIMER_OPERATIONS)
def test_timer_operations_at_every_stack_depth_are_all_or_nothing(operation: str) -> None:
    """A RecursionError landing anywhere in a timer operation leaves the wheel whole: the
    operation happened or it did not, every timer still fires once, and the wheel empties."""
    outcomes = {_timer_operation_at_depth(operation, frames) for frames in range(HEADROOM)}
    assert outcomes == {True, False}
