"""Driving a runtime: run(), run_until_idle(), advance() (the timer details are in test_timers)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from kernel import (
    InvalidStateError,
    KernelError,
    LivelockError,
    Runtime,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
)

if TYPE_CHECKING:
    from kernel.testing import ManualClock

    from .conftest import MakeRuntime


def test_run_in_booting_raises(make_runtime: MakeRuntime) -> None:
    runtime = make_runtime(boot=False)
    with pytest.raises(InvalidStateError, match=r"^run\(\) called in Booting state; call boot"):
        runtime.run()


def test_run_processes_work_then_stops_on_a_command(rt: Runtime) -> None:
    ran: list[int] = []
    rt.schedule_work(ran.append, 1)
    sender = rt.command_sender()
    sender.send(ScheduleTask(Task(ran.append, 2)))
    rt.schedule_work(sender.send, Shutdown())
    report = rt.run()
    assert ran == [1, 2]
    assert rt.state is RuntimeState.STOPPING
    assert report.state is RuntimeState.STOPPING


def test_run_on_a_manual_clock_jumps_to_deadlines(rt: Runtime, clock: ManualClock) -> None:
    seen: list[float] = []
    rt.schedule_delayed(3600, lambda: seen.append(clock.now()))
    rt.schedule_delayed(7200, rt.shutdown)
    rt.run()  # returns at once in real time: virtual time jumps
    assert seen == [3600.0]
    assert clock.now() == 7200.0


def test_run_until_idle_counts_ticks(rt: Runtime) -> None:
    assert rt.run_until_idle() == 0
    ran: list[int] = []

    def chain(n: int) -> None:
        ran.append(n)
        if n < 3:
            rt.schedule_work(chain, n + 1)

    rt.schedule_work(chain, 0)
    assert rt.run_until_idle() == 4
    assert ran == [0, 1, 2, 3]


def test_run_until_idle_ignores_future_timers(rt: Runtime) -> None:
    rt.schedule_delayed(1, print)
    assert rt.run_until_idle() == 0
    assert not rt.is_idle()


def test_run_until_idle_detects_a_livelock(rt: Runtime) -> None:
    def forever() -> None:
        rt.schedule_work(forever)

    rt.schedule_work(forever)
    with pytest.raises(LivelockError, match=r"^work was still ready after max_ticks=50 ticks"):
        rt.run_until_idle(max_ticks=50)
    assert issubclass(LivelockError, KernelError)
    assert rt.stats().ticks == 50


@pytest.mark.parametrize(
    ("max_ticks", "error"), [(0, ValueError), (1.5, TypeError)], ids=["zero", "float"]
)
def test_run_until_idle_validates_max_ticks(
    rt: Runtime, max_ticks: object, error: type[Exception]
) -> None:
    with pytest.raises(error, match=r"^max_ticks must be"):
        rt.run_until_idle(max_ticks)  # type: ignore[arg-type]


def test_advance_needs_a_steppable_clock() -> None:
    runtime = Runtime()
    runtime.boot()
    with pytest.raises(TypeError, match=r"^advance\(\) needs a clock with an advance\(\) method"):
        runtime.advance(1)


def test_advance_in_booting_only_moves_the_clock(
    make_runtime: MakeRuntime, clock: ManualClock
) -> None:
    runtime = make_runtime(boot=False)
    fired: list[int] = []
    runtime.schedule_delayed(1, fired.append, 1)
    runtime.advance(5)
    assert clock.now() == 5.0
    assert fired == []
    runtime.boot()
    runtime.run_until_idle()
    assert fired == [1]


def test_advance_with_a_clock_that_only_has_advance(errors: object) -> None:
    class StepClock:
        def __init__(self) -> None:
            self.t = 0.0

        def now(self) -> float:
            return self.t

        def advance(self, seconds: float) -> None:
            self.t += seconds

    clock = StepClock()
    runtime = Runtime(clock=clock)
    runtime.boot()
    fired: list[float] = []
    runtime.schedule_delayed(0.25, lambda: fired.append(clock.now()))
    runtime.advance(1)
    assert fired == [0.25]
    assert clock.now() == 1.0


def test_advance_with_a_step_clock_by_zero_does_not_step() -> None:
    class StepClock:
        steps = 0

        def now(self) -> float:
            return 1.0

        def advance(self, seconds: float) -> None:
            self.steps += 1

    clock = StepClock()
    runtime = Runtime(clock=clock)
    runtime.boot()
    runtime.advance(0)
    assert clock.steps == 0
