"""Idle callbacks: ids, registration order, removal at once, reports, and when run() calls them
(before each wait, a ManualClock jump included; never from tick/advance/run_until_idle)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from kernel import InvalidStateError, Runtime, Shutdown
from kernel._core.idle import IdleCallbacks

from .hook_interrupts import instruments_with

if TYPE_CHECKING:
    from kernel.testing import ErrorCollector, ManualClock

JOIN: float = 10.0


def test_idle_callbacks_get_increasing_ids_and_run_in_order() -> None:
    idle = IdleCallbacks(lambda *report: None)
    calls: list[str] = []
    first = idle.add(calls.append, ("a",), None)
    second = idle.add(calls.append, ("b",), None)
    assert (first, second) == (1, 2)
    assert idle.run_all() == 2
    assert calls == ["a", "b"]
    assert idle.remove(first)
    assert not idle.remove(first)
    assert idle.add(calls.append, ("c",), None) == 3  # ids are never reused
    assert len(idle) == 2
    assert idle.clear() == 2
    assert idle.run_all() == 0


def test_idle_callback_removal_inside_a_callback_is_at_once() -> None:
    idle = IdleCallbacks(lambda *report: None)
    calls: list[str] = []
    ids: list[int] = []

    def first() -> None:
        calls.append("first")
        idle.remove(ids[1])
        ids.append(idle.add(calls.append, ("added",), None))  # waits for the next call

    ids.append(idle.add(first, (), None))
    ids.append(idle.add(calls.append, ("second",), None))
    assert idle.run_all() == 1
    assert calls == ["first"]
    assert idle.run_all() == 2
    assert calls == ["first", "first", "added"]


def test_idle_callback_that_raises_is_reported_and_stays() -> None:
    reports: list[tuple[str, BaseException, str]] = []
    idle = IdleCallbacks(lambda *report: reports.append(report))
    error = ValueError("no screen")

    def draw() -> None:
        raise error

    idle.add(draw, (), "render")
    idle.run_all()
    idle.run_all()
    assert reports == [("idle", error, "render"), ("idle", error, "render")]
    assert len(idle) == 1


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
def test_idle_callback_hook_interrupt_reports_the_callback_error_it_replaced(hook: str) -> None:
    """An instrument's interrupted callback hook is not the callback's own: after it, the
    callback's error is reported; before it, the callback did not run. It stays registered."""
    instruments, _ = instruments_with(hook)
    reports: list[tuple[str, BaseException, str]] = []
    idle = IdleCallbacks(lambda *report: reports.append(report), instruments)
    calls: list[int] = []

    def draw() -> None:
        calls.append(1)
        raise ValueError("no screen")

    idle.add(draw, (), "render")
    with pytest.raises(KeyboardInterrupt):
        idle.run_all()
    ran = hook == "after_callback"
    assert (len(calls), len(reports)) == ((1, 1) if ran else (0, 0))
    assert idle.run_all() == 1
    assert len(calls) == len(reports) == (2 if ran else 1)
    assert {(p, type(e), d) for p, e, d in reports} == {("idle", ValueError, "render")}


def test_idle_callback_base_exceptions_propagate() -> None:
    idle = IdleCallbacks(lambda *report: None)

    def stop() -> None:
        raise KeyboardInterrupt

    idle.add(stop, (), None)
    with pytest.raises(KeyboardInterrupt):
        idle.run_all()


def test_tick_advance_and_run_until_idle_never_call_idle_callbacks(rt: Runtime) -> None:
    calls: list[int] = []
    rt.add_idle_callback(calls.append, 1)
    rt.schedule_work(print)
    rt.schedule_delayed(1.0, print)
    rt.tick()
    rt.run_until_idle()
    rt.advance(2.0)
    assert calls == []
    assert rt.is_idle()  # idle callbacks are not work
    assert rt.next_timeout() is None


def test_run_calls_idle_callbacks_before_each_clock_jump(rt: Runtime, clock: ManualClock) -> None:
    seen: list[tuple[str, float]] = []
    rt.add_idle_callback(lambda: seen.append(("idle", clock.now())))
    rt.schedule_delayed(1.0, lambda: seen.append(("timer", clock.now())))
    rt.schedule_delayed(2.0, rt.shutdown)
    rt.run()
    assert seen == [("idle", 0.0), ("timer", 1.0), ("idle", 1.0)]


def test_work_made_by_an_idle_callback_runs_before_the_wait(
    rt: Runtime, clock: ManualClock
) -> None:
    seen: list[tuple[str, float]] = []
    pending = [2]

    def idle() -> None:
        seen.append(("idle", clock.now()))
        if pending[0]:
            pending[0] -= 1
            rt.schedule_work(lambda: seen.append(("work", clock.now())))

    rt.add_idle_callback(idle)
    rt.schedule_delayed(1.0, rt.shutdown)
    rt.run()
    assert seen == [
        ("idle", 0.0),
        ("work", 0.0),
        ("idle", 0.0),
        ("work", 0.0),
        ("idle", 0.0),
    ]


def test_render_in_an_idle_callback_once_per_burst(rt: Runtime, clock: ManualClock) -> None:
    frames: list[float] = []

    def render() -> None:
        if rt.take_render_pending():
            frames.append(clock.now())

    rt.add_idle_callback(render)
    for _ in range(5):
        rt.schedule_work(rt.request_render)
    rt.schedule_delayed(1.0, rt.request_render)
    rt.schedule_delayed(2.0, rt.shutdown)
    rt.run()
    assert frames == [0.0, 1.0]


def test_a_raising_idle_callback_is_reported_with_phase_idle(
    rt: Runtime, errors: ErrorCollector
) -> None:
    def fail() -> None:
        raise RuntimeError("draw failed")

    rt.add_idle_callback(fail, name="draw")
    rt.schedule_delayed(1.0, rt.shutdown)
    rt.run()
    [report] = errors.take()
    assert (report.phase, report.callback, str(report.exception)) == (
        "idle",
        "draw",
        "draw failed",
    )


def test_idle_callbacks_run_before_a_real_wait(rt: Runtime) -> None:
    sender = rt.command_sender()
    calls: list[int] = []
    threads: list[threading.Thread] = []

    def idle() -> None:
        calls.append(1)
        if len(calls) == 1:  # nothing pending: run() waits in real time for the command
            thread = threading.Thread(target=sender.send, args=(Shutdown(),))
            threads.append(thread)
            thread.start()

    rt.add_idle_callback(idle)
    rt.run()
    threads[0].join(timeout=JOIN)
    assert not threads[0].is_alive()
    assert calls[0] == 1


def test_add_idle_callback_in_a_terminal_state_raises(rt: Runtime) -> None:
    callback_id = rt.add_idle_callback(print)
    rt.emergency_stop()
    with pytest.raises(
        InvalidStateError, match=r"^add_idle_callback\(\) called in Emergency state"
    ):
        rt.add_idle_callback(print)
    assert rt.remove_idle_callback(callback_id)
