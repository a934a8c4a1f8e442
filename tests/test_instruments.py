"""Instruments (SPEC §14): per-hook registration, the hooks' calls and order, TickReport and
run_ticks, and instruments that raise or remove themselves."""

from __future__ import annotations

import os
import signal
import socket
from typing import TYPE_CHECKING, Any

import pytest

from kernel import (
    ErrorReport,
    Event,
    InvalidStateError,
    Runtime,
    RuntimeState,
    Task,
    TickReport,
)
from kernel._core.instruments import (
    HOOKS,
    HookInterrupt,
    Instruments,
    describe_marker,
    describe_subject,
)
from kernel.instruments import LatencyHistogram

from .hook_interrupts import instruments_with

if TYPE_CHECKING:
    from collections.abc import Callable
    from concurrent.futures import Future

    from kernel.testing import ErrorCollector, ManualClock
    from tests.conftest import MakeRuntime


class Recorder:
    """Defines every hook and records each call as (hook, args)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []

    def before_tick(self, tick: int) -> None:
        self.calls.append(("before_tick", (tick,)))

    def after_tick(self, report: TickReport) -> None:
        self.calls.append(("after_tick", (report,)))

    def before_callback(self, phase: str, callback: str) -> None:
        self.calls.append(("before_callback", (phase, callback)))

    def after_callback(
        self, phase: str, callback: str, seconds: float, error: BaseException | None
    ) -> None:
        self.calls.append(("after_callback", (phase, callback, seconds, error)))

    def on_error(self, report: ErrorReport) -> None:
        self.calls.append(("on_error", (report,)))

    def on_stall(self, report: object) -> None:  # pragma: no cover - no stall in these tests
        self.calls.append(("on_stall", (report,)))

    def on_state(self, old: RuntimeState, new: RuntimeState) -> None:
        self.calls.append(("on_state", (old, new)))

    def named(self, hook: str) -> list[tuple[Any, ...]]:
        return [args for name, args in self.calls if name == hook]


class Event1(Event):
    pass


def noop() -> None:
    pass


def test_add_instrument_calls_only_the_hooks_defined(rt: Runtime) -> None:
    ticks: list[int] = []
    instrument = type("OnlyBefore", (), {"before_tick": lambda self, tick: ticks.append(tick)})()
    rt.add_instrument(instrument)
    rt.schedule_work(noop)
    rt.tick()
    rt.tick()
    assert ticks == [1, 2]


def test_add_instrument_is_idempotent_and_remove_reports_presence(rt: Runtime) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)
    rt.add_instrument(recorder)
    rt.tick()
    assert len(recorder.named("before_tick")) == 1
    assert rt.remove_instrument(recorder) is True
    assert rt.remove_instrument(recorder) is False
    rt.tick()
    assert len(recorder.named("before_tick")) == 1


def test_an_object_without_hooks_is_a_valid_instrument(rt: Runtime) -> None:
    instrument = object()
    rt.add_instrument(instrument)
    assert rt.tick() is True
    assert rt.remove_instrument(instrument) is True


def test_tick_hooks_wrap_the_tick_in_order(rt: Runtime) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)
    rt.schedule_work(noop, name="job")
    rt.tick()
    assert [name for name, _ in recorder.calls] == [
        "before_tick",
        "before_callback",
        "after_callback",
        "after_tick",
    ]
    assert recorder.named("before_tick") == [(1,)]
    assert recorder.named("before_callback") == [("task", "job")]
    (report,) = recorder.named("after_tick")[0]
    assert report.tick == 1
    assert report.tasks_run == 1


def test_run_ticks_stops_after_the_terminal_tick(rt: Runtime) -> None:
    rt.schedule_work(noop)
    rt.schedule_work(rt.shutdown)
    rt.schedule_work(noop)
    reports = rt.run_ticks(10)
    assert [r.state for r in reports] == [RuntimeState.STOPPING, RuntimeState.STOPPING]
    assert reports[0].tasks_run == 3
    last = reports[-1]
    assert last.tick == 2
    assert list(last.phase_seconds) == ["stop"]
    assert [r.tick for r in rt.run_ticks(3)] == [3]  # a terminal tick returns False at once


def test_run_ticks_reports_the_drain(rt: Runtime) -> None:
    rt.event_bus.subscribe(Event1, lambda event: None)
    rt.schedule_work(noop)
    rt.queue_event(Event1())
    rt.shutdown()
    (report,) = rt.run_ticks(5)
    assert report.state is RuntimeState.STOPPING
    assert (report.tasks_run, report.events_dispatched) == (1, 1)
    assert rt.run_ticks(2)[0].tasks_run == 0  # later terminal ticks run nothing


def test_run_ticks_removes_its_collector(rt: Runtime) -> None:
    rt.run_ticks(2)
    assert rt.tick() is True  # no hook left: the plain tick
    recorder = Recorder()
    rt.add_instrument(recorder)
    reports = rt.run_ticks(2)
    assert [args[0] for args in recorder.named("after_tick")] == reports


def test_run_ticks_refuses_inside_a_tick(rt: Runtime, errors: ErrorCollector) -> None:
    rt.schedule_work(lambda: rt.run_ticks(1))
    rt.tick()
    (report,) = errors.take()
    assert isinstance(report.exception, InvalidStateError)
    assert str(report.exception) == "run_ticks() called from inside a tick"


def test_callback_hooks_see_every_phase(
    make_runtime: MakeRuntime, clock: ManualClock, errors: ErrorCollector
) -> None:
    rt = make_runtime()
    recorder = Recorder()
    rt.add_instrument(recorder)
    boom = ValueError("boom")

    def fail(event: Event1) -> None:
        raise boom

    rt.event_bus.subscribe(Event1, fail)
    rt.queue_event(Event1())
    rt.schedule_delayed(0.0, noop, name="alarm")
    rt.schedule_work(noop)
    rt.add_idle_callback(rt.shutdown, name="idle-quit")
    done: list[Future[Any]] = []
    rt.run_in_thread(int, "7", on_done=done.append)
    rt.run()
    assert errors.take()[0].exception is boom
    after = recorder.named("after_callback")
    phases = {(phase, callback) for phase, callback, _, _ in after}
    assert ("event", f"{__name__}.{fail.__qualname__}") in phases
    assert ("timer", "alarm") in phases
    assert ("task", f"{__name__}.noop") in phases
    assert ("idle", "idle-quit") in phases
    assert any(phase == "thread" for phase, _ in phases)
    assert [err for _, callback, _, err in after if "fail" in callback] == [boom]
    assert len(recorder.named("before_callback")) == len(after)
    assert done
    assert done[0].result() == 7


def test_callback_hooks_see_io_and_signal_callbacks(rt: Runtime) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)
    left, right = socket.socketpair()
    try:
        rt.add_reader(left, lambda: left.recv(1), name="reader")
        right.send(b"x")
        rt.tick()
    finally:
        rt.remove_reader(left)
        rt.close()
        left.close()
        right.close()
    assert recorder.named("before_callback") == [("io", "reader")]


def test_on_error_and_on_state_hooks(rt: Runtime, errors: ErrorCollector) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)

    def fail() -> None:
        raise KeyError("x")

    rt.schedule_work(fail)
    rt.tick()
    (report,) = errors.take()
    assert recorder.named("on_error") == [(report,)]
    rt.shutdown()
    rt.tick()
    assert recorder.named("on_state") == [(RuntimeState.RUNNING, RuntimeState.STOPPING)]


@pytest.mark.parametrize(
    "hook", [h for h in HOOKS if h != "on_stall"], ids=[h for h in HOOKS if h != "on_stall"]
)
def test_a_raising_hook_removes_its_instrument_and_is_reported(
    rt: Runtime, errors: ErrorCollector, hook: str
) -> None:
    failure = RuntimeError(f"{hook} failed")
    calls: list[str] = []

    def raising(self: object, *args: object) -> None:
        calls.append(hook)
        raise failure

    bad = type("Bad", (), {hook: raising})()
    good = Recorder()
    rt.add_instrument(bad)
    rt.add_instrument(good)

    def fail() -> None:
        raise KeyError("task")

    rt.schedule_work(fail)  # gives on_error something to see
    rt.tick()
    rt.shutdown()  # gives on_state something to see
    rt.tick()
    reports = errors.take()
    instrument_reports = [r for r in reports if r.phase == "instrument"]
    assert len(instrument_reports) == 1
    assert instrument_reports[0].exception is failure
    assert instrument_reports[0].callback.endswith(f"{raising.__qualname__}")
    assert calls == [hook]  # removed after the first failure
    assert rt.remove_instrument(bad) is False
    assert good.named("before_tick") == [(1,), (2,)]  # the loop and the others went on


def test_an_instrument_can_remove_itself_from_its_own_hook(rt: Runtime) -> None:
    seen: list[int] = []

    class Once:
        def before_tick(self, tick: int) -> None:
            seen.append(tick)
            assert rt.remove_instrument(self) is True

    rt.add_instrument(Once())
    rt.tick()
    rt.tick()
    assert seen == [1]


def test_a_tick_that_raises_gets_no_after_tick(rt: Runtime) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)

    def interrupt() -> None:
        raise KeyboardInterrupt

    rt.schedule_work(interrupt)
    with pytest.raises(KeyboardInterrupt):
        rt.tick()
    assert recorder.named("after_tick") == []
    rt.tick()
    assert len(recorder.named("after_tick")) == 1


def test_an_instrument_added_by_a_task_takes_effect_next_tick(rt: Runtime) -> None:
    recorder = Recorder()
    rt.schedule_work(rt.add_instrument, recorder)
    rt.tick()
    assert recorder.named("after_tick") == []
    rt.tick()
    assert len(recorder.named("after_tick")) == 1
    rt.schedule_work(rt.remove_instrument, recorder)
    rt.tick()
    assert len(recorder.named("after_tick")) == 1


def test_describe_subject_and_marker() -> None:
    task = Task(noop, name="t")
    assert describe_subject("x") == "x"
    assert describe_subject(task) == "t"
    assert describe_subject(noop) == f"{__name__}.noop"
    assert describe_marker((noop, (), None)) == ("task", f"{__name__}.noop")
    assert describe_marker((noop, (), task)) == ("task", "t")
    assert describe_marker(("io", "reader")) == ("io", "reader")


def _hooked(instruments: Instruments) -> bool:
    return instruments.hooked  # read through a call: mypy keeps no narrowing across it


def test_instruments_registry_alone() -> None:
    changes: list[bool] = []
    reports: list[tuple[str, BaseException, str]] = []
    instruments = Instruments(lambda *r: reports.append(r), lambda: changes.append(True))
    hook: Callable[[str, str], None] = lambda phase, callback: None  # noqa: E731
    instrument = type("I", (), {"before_callback": staticmethod(hook)})()
    instruments.add(instrument)
    assert len(instruments) == 1
    assert instrument in instruments
    assert instruments.hooked
    assert instruments.watching
    assert not instruments.watch_ticks
    assert instruments.call("task", "x", lambda a: a + 1, (1,)) == 2
    assert instruments.remove(instrument)
    assert not _hooked(instruments)
    instruments.wake()  # no watchdog: nothing to wake
    assert changes == [True, True]
    assert reports == []


def test_an_after_callback_only_instrument_gets_durations(rt: Runtime) -> None:
    histogram = LatencyHistogram()  # defines after_tick and after_callback only
    rt.add_instrument(histogram)
    rt.schedule_work(noop)
    rt.schedule_work(noop)
    rt.tick()
    assert histogram.count() == 1
    assert histogram.count("task") == 2


def test_callback_hooks_see_signal_callbacks(rt: Runtime) -> None:
    recorder = Recorder()
    rt.add_instrument(recorder)
    rt.add_signal_handler(signal.SIGUSR1, noop, name="on-usr1")
    try:
        os.kill(os.getpid(), signal.SIGUSR1)
        rt.tick()
    finally:
        rt.close()
    assert recorder.named("before_callback") == [("io", "on-usr1")]


# -- a callback hook's interrupt is not the callback's own ---------------------------------------


def test_call_records_a_before_callback_interrupt_as_not_run() -> None:
    instruments, reports = instruments_with("before_callback")
    ran: list[int] = []
    with pytest.raises(KeyboardInterrupt) as caught:
        instruments.call("task", "t", ran.append, (1,))
    assert ran == []
    assert instruments.take_interrupt(KeyboardInterrupt()) is None  # not that one
    record = instruments.take_interrupt(caught.value)
    assert record == HookInterrupt(caught.value, ran=False)
    assert record.failure is None
    assert instruments.take_interrupt(caught.value) is None  # taken once
    assert instruments.current is None  # the heartbeat never moved
    assert len(instruments) == 1  # an interrupt leaves its instrument installed
    assert reports == []


def _returns() -> str:
    return "value"


def _raises_value_error() -> None:
    raise ValueError("the callback's own")


def _exits() -> None:
    raise SystemExit(3)


@pytest.mark.parametrize(
    ("fn", "result", "error", "failure"),
    [
        (_returns, "value", None, None),
        (_raises_value_error, None, ValueError, ValueError),
        (_exits, None, SystemExit, None),
    ],
    ids=["returned", "raised-exception", "raised-interrupt"],
)
def test_call_records_an_after_callback_interrupt_with_the_callback_outcome(
    fn: Callable[[], object],
    result: object,
    error: type[BaseException] | None,
    failure: type[BaseException] | None,
) -> None:
    instruments, reports = instruments_with("after_callback")
    with pytest.raises(KeyboardInterrupt) as caught:
        instruments.call("task", "t", fn, ())
    record = instruments.take_interrupt(caught.value)
    assert record is not None
    assert (record.interrupt, record.ran, record.result) == (caught.value, True, result)
    assert type(record.error) is (type(None) if error is None else error)
    assert type(record.failure) is (type(None) if failure is None else failure)
    assert caught.value.__context__ is record.error  # the callback's, kept as the context
    assert instruments.current is None  # the stall, if any, ended with the callback
    assert reports == []


def test_call_forgets_a_nested_record_its_callback_raised_through() -> None:
    """A hook's interrupt inside a callback is, to the callback around it, that callback's own."""
    instruments, _ = instruments_with("before_callback", at="inner")

    def outer() -> None:
        instruments.call("event", "inner", print, ("never",))

    with pytest.raises(KeyboardInterrupt) as caught:
        instruments.call("task", "outer", outer, ())  # the hook interrupts the inner call
    assert instruments.take_interrupt(caught.value) is None


@pytest.mark.parametrize(
    ("hook", "fn", "ran", "reported"),
    [
        ("before_callback", _raises_value_error, False, False),
        ("after_callback", _raises_value_error, True, True),
        ("after_callback", _exits, True, False),
        ("none", _exits, True, False),
    ],
    ids=["before", "after-exception", "after-interrupt", "the-callback-s-own"],
)
def test_settle_reports_the_error_an_interrupted_hook_replaced(
    hook: str, fn: Callable[[], object], ran: bool, reported: bool
) -> None:
    instruments, _ = instruments_with(hook)
    settled: list[tuple[str, BaseException, str]] = []
    with pytest.raises((KeyboardInterrupt, SystemExit)) as caught:
        instruments.call("io", "reader", fn, ())
    assert instruments.settle(caught.value, lambda *r: settled.append(r), "io", "reader") is ran
    assert [(p, type(e), d) for p, e, d in settled] == (
        [("io", ValueError, "reader")] if reported else []
    )
    assert instruments.take_interrupt(caught.value) is None  # settled: taken
