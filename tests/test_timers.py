"""Timers through the `Runtime` (SPEC §4, §8, §11): one test per sentence, on a manual clock.

The wheel's own edges (levels, overflow, rounding helpers) and its model-based state machine live
in test_timer_wheel.py; here every test goes through `schedule_delayed`, `schedule_periodic`,
`cancel_timer`, `tick`, `advance` or `run`, as a program would.
"""

from __future__ import annotations

import gc
import math
from typing import TYPE_CHECKING, Final

import pytest

from kernel import (
    KernelError,
    LivelockError,
    MissedTicks,
    Priority,
    Runtime,
    RuntimeConfig,
    RuntimeState,
    TimerHandle,
)
from kernel.testing import ManualClock

from .strategies import ROUNDING_CASES, deadline_grain

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel.testing import ErrorCollector

    from .conftest import MakeRuntime

DEBOUNCE: Final = 0.3
"""The debounce delay of the editor examples: 300 ms after the last keystroke."""


def noop() -> None:
    """A timer callback that does nothing."""


def boom() -> None:
    raise ValueError("boom")


def is_pending(handle: TimerHandle) -> bool:
    """`handle.pending`, read through a call so type checkers do not narrow it between reads."""
    return handle.pending


def deadline_of(handle: TimerHandle) -> float | None:
    """`handle.deadline`, likewise."""
    return handle.deadline


class Recorder:
    """Callbacks that record what ran, and when on the clock."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[object] = []
        self.times: list[float] = []

    def __call__(self, label: object = None) -> None:
        self.calls.append(label)
        self.times.append(self.clock.now())


@pytest.fixture
def record(clock: ManualClock) -> Recorder:
    return Recorder(clock)


# -- rounding (SPEC §11) --------------------------------------------------------------------------


@pytest.mark.parametrize(("resolution", "start", "delay", "deadline"), ROUNDING_CASES)
def test_schedule_delayed_rounds_the_deadline_up(
    make_runtime: MakeRuntime,
    clock: ManualClock,
    resolution: float,
    start: float,
    delay: float,
    deadline: float,
) -> None:
    clock.advance_to(start)
    rt = make_runtime(RuntimeConfig(timer_resolution=resolution))
    handle = rt.schedule_delayed(delay, noop)
    assert handle.deadline == deadline
    assert rt.timer_wheel.next_deadline() == deadline


def test_timer_fires_at_its_rounded_deadline_never_before(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    rt.schedule_delayed(0.0005, record, "t")  # rounds up to 0.001
    clock.advance_to(0.0005)  # the exact deadline is reached, its grain is not
    rt.tick()
    clock.advance_to(math.nextafter(0.001, 0.0))
    rt.tick()
    assert record.calls == []
    clock.advance_to(0.001)
    rt.tick()
    assert record.calls == ["t"]


def test_timers_due_in_one_grain_fire_by_exact_deadline_then_scheduling_order(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(RuntimeConfig(timer_resolution=0.01))
    for label, delay in [("c", 0.009), ("a", 0.001), ("b1", 0.005), ("b2", 0.005)]:
        assert rt.schedule_delayed(delay, record, label).deadline == 0.01
    clock.advance_to(0.01)
    rt.tick()
    assert record.calls == ["a", "b1", "b2", "c"]


# -- validation (SPEC §4) ------------------------------------------------------------------------

BAD_DELAYS: Final = [
    ("1", TypeError, r"^delay must be a number of seconds \(int or float\), got '1'$"),
    (None, TypeError, r"^delay must be a number of seconds \(int or float\), got None$"),
    (True, TypeError, r"^delay must be a number of seconds \(int or float\), got True$"),
    (-1, ValueError, r"^delay must be >= 0, got -1$"),
    (-1e-9, ValueError, r"^delay must be >= 0, got -1e-09$"),
    (math.nan, ValueError, r"^delay must be finite, got nan$"),
    (math.inf, ValueError, r"^delay must be finite, got inf$"),
    (-math.inf, ValueError, r"^delay must be finite, got -inf$"),
    (10**400, ValueError, r"^delay must be finite, got 10{400}$"),
]
BAD_DELAY_IDS: Final = [
    "str",
    "none",
    "bool",
    "negative",
    "tiny-negative",
    "nan",
    "inf",
    "-inf",
    "huge-int",
]


@pytest.mark.parametrize(("delay", "error", "message"), BAD_DELAYS, ids=BAD_DELAY_IDS)
def test_schedule_delayed_rejects_a_bad_delay(
    rt: Runtime, delay: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rt.schedule_delayed(delay, noop)  # type: ignore[arg-type]
    assert rt.stats().active_timers == 0
    assert rt.stats().timers_dropped == 0


@pytest.mark.parametrize(
    ("interval", "error", "message"),
    [
        ("1", TypeError, r"^interval must be a number of seconds \(int or float\), got '1'$"),
        (False, TypeError, r"^interval must be a number of seconds \(int or float\), got False$"),
        (0, ValueError, r"^interval must be > 0, got 0$"),
        (0.0, ValueError, r"^interval must be > 0, got 0.0$"),
        (-0.5, ValueError, r"^interval must be > 0, got -0.5$"),
        (math.nan, ValueError, r"^interval must be finite, got nan$"),
        (math.inf, ValueError, r"^interval must be finite, got inf$"),
    ],
    ids=["str", "bool", "zero", "zero-float", "negative", "nan", "inf"],
)
def test_schedule_periodic_rejects_a_bad_interval(
    rt: Runtime, interval: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rt.schedule_periodic(interval, noop)  # type: ignore[arg-type]
    assert rt.stats().active_timers == 0


@pytest.mark.parametrize(("delay", "error", "message"), BAD_DELAYS, ids=BAD_DELAY_IDS)
def test_timer_reset_rejects_a_bad_delay_and_keeps_the_deadline(
    rt: Runtime, delay: object, error: type[Exception], message: str
) -> None:
    handle = rt.schedule_delayed(1, noop)
    with pytest.raises(error, match=message):
        handle.reset(delay)  # type: ignore[arg-type]
    assert handle.deadline == 1.0


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda rt: rt.schedule_delayed(1, 1), TypeError, r"^fn must be callable, got 1$"),
        (
            lambda rt: rt.schedule_delayed(1, noop, priority=True),
            TypeError,
            r"^priority must be an int in \[0, 2\*\*32\), got True$",
        ),
        (
            lambda rt: rt.schedule_delayed(1, noop, priority=2**32),
            ValueError,
            r"^priority must be in \[0, 2\*\*32\), got 4294967296$",
        ),
        (
            lambda rt: rt.schedule_periodic(1, noop, priority=-1),
            ValueError,
            r"^priority must be in \[0, 2\*\*32\), got -1$",
        ),
        (
            lambda rt: rt.schedule_delayed(1, noop, name=b"n"),
            TypeError,
            r"^name must be a str or None, got b'n'$",
        ),
        (
            lambda rt: rt.schedule_periodic(1, noop, missed="skip"),
            TypeError,
            r"^missed must be a MissedTicks, got 'skip'$",
        ),
        (lambda rt: rt.cancel_timer("1"), TypeError, r"^timer_id must be an int, got '1'$"),
        (lambda rt: rt.cancel_timer(True), TypeError, r"^timer_id must be an int, got True$"),
    ],
    ids=[
        "fn",
        "priority-bool",
        "priority-big",
        "priority-negative",
        "name",
        "missed",
        "id",
        "id-bool",
    ],
)
def test_timer_calls_reject_bad_arguments(
    rt: Runtime, call: Callable[[Runtime], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(rt)
    assert rt.stats().active_timers == 0


def test_delays_and_intervals_may_be_int_or_float(rt: Runtime) -> None:
    assert rt.schedule_delayed(2, noop).deadline == 2.0
    assert rt.schedule_delayed(2.5, noop).deadline == 2.5
    assert rt.schedule_periodic(3, noop).deadline == 3.0
    assert rt.schedule_periodic(0.25, noop).deadline == 0.25


# -- firing (SPEC §4) ---------------------------------------------------------------------------


def test_zero_delay_fires_in_the_next_running_tick(rt: Runtime, record: Recorder) -> None:
    handle = rt.schedule_delayed(0, record, "now")
    assert handle.deadline == 0.0
    assert rt.next_timeout() == 0.0
    rt.tick()
    assert record.calls == ["now"]
    assert not handle.pending


def test_fired_timer_runs_its_callback_with_its_arguments_as_a_task(
    rt: Runtime, clock: ManualClock
) -> None:
    got: list[tuple[int, str]] = []
    rt.schedule_delayed(1, lambda a, b: got.append((a, b)), 7, "x")
    clock.advance(1)
    rt.tick()
    assert got == [(7, "x")]
    stats = rt.stats()
    assert (stats.timers_fired, stats.tasks_executed) == (1, 1)


def test_fired_timer_task_runs_with_the_timer_priority(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    rt.schedule_delayed(1, record, "low", priority=Priority.LOW)
    rt.schedule_delayed(1, record, "high", priority=Priority.HIGH)
    rt.schedule_delayed(1, record, "custom", priority=150)
    rt.schedule_work(record, "work")  # NORMAL, queued before the timers fire
    clock.advance(1)
    rt.tick()
    assert record.calls == ["high", "work", "custom", "low"]


def test_timers_fire_in_deadline_then_scheduling_order(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    for label, delay in [("d3", 0.003), ("d1a", 0.001), ("d2", 0.002), ("d1b", 0.001)]:
        rt.schedule_delayed(delay, record, label)
    clock.advance(1)
    rt.tick()
    assert record.calls == ["d1a", "d1b", "d2", "d3"]


def test_fire_into_a_full_work_queue_counts_in_work_dropped_only(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(RuntimeConfig(work_queue_capacity=1))
    handle = rt.schedule_delayed(1, record, "timer")
    rt.schedule_work(record, "work")  # fills the queue
    clock.advance(1)
    rt.tick()
    assert record.calls == ["work"]
    stats = rt.stats()
    assert (stats.work_dropped, stats.timers_fired, stats.active_timers) == (1, 0, 0)
    assert not handle.pending
    rt.tick()
    assert record.calls == ["work"]


def test_named_timer_into_a_full_work_queue_lets_go_of_its_callable(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(RuntimeConfig(work_queue_capacity=1))
    handle = rt.schedule_delayed(1, record, "timer", name="named")
    rt.schedule_work(record, "work")  # fills the queue
    clock.advance(1)
    rt.tick()
    assert record.calls == ["work"]
    assert rt.stats().work_dropped == 1
    assert handle._fn is None
    assert repr(handle) == f"<TimerHandle {handle.id} 'named' done>"  # described by its name


def test_large_clock_jump_fires_each_overdue_one_shot_once_in_one_tick(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    delays = [0.001, 0.5, 63.999, 3600.0, 86400.0 * 30, 86400.0 * 365 * 3, 86400.0 * 365 * 9]
    for i, delay in enumerate(delays):
        rt.schedule_delayed(delay, record, i)
    clock.advance(86400.0 * 365 * 10)  # ten years: past the wheel's 2.2-year top level
    assert rt.tick()
    assert record.calls == list(range(len(delays)))
    stats = rt.stats()
    assert (stats.ticks, stats.timers_fired, stats.active_timers) == (1, len(delays), 0)
    rt.tick()
    assert record.calls == list(range(len(delays)))


def test_timer_beyond_the_wheel_horizon_fires_exactly_on_time(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    horizon = 64**6 / 1000.0  # seconds the six levels cover at 1 ms: about 2.2 years
    delays = (horizon * 3 + 0.5, horizon * 3 + 0.501, horizon + 0.25)
    handles = [rt.schedule_delayed(delay, record, i) for i, delay in enumerate(delays)]
    deadlines = [h.deadline for h in handles]
    assert deadlines == [deadline_grain(d, 1000.0) / 1000.0 for d in delays]
    for deadline, delay in zip(deadlines, delays, strict=True):
        assert deadline == pytest.approx(delay, abs=0.0011)
    clock.advance_to(math.nextafter(deadlines[2] or 0.0, 0.0))
    rt.tick()
    assert record.calls == []
    rt.advance(horizon * 3)
    assert record.calls == [2, 0, 1]
    assert record.times == [deadlines[2], deadlines[0], deadlines[1]]


def test_any_finite_delay_is_accepted(rt: Runtime, clock: ManualClock) -> None:
    handle = rt.schedule_delayed(1e306, noop)
    assert handle.pending
    assert handle.deadline == 1e306
    assert rt.timer_wheel.next_deadline() == 1e306
    clock.advance(1e9)
    rt.tick()
    assert handle.pending
    assert rt.cancel_timer(handle.id)


def test_callback_can_cancel_a_timer_due_later(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    later = rt.schedule_delayed(2, record, "later")
    outcome: list[bool] = []
    rt.schedule_delayed(1, lambda: outcome.append(later.cancel()))
    rt.advance(5)
    assert outcome == [True]
    assert record.calls == []


def test_cancelling_a_timer_fired_in_the_same_tick_does_not_remove_its_task(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    outcome: list[bool] = []
    second: list[TimerHandle] = []
    rt.schedule_delayed(1, lambda: outcome.append(second[0].cancel()))
    second.append(rt.schedule_delayed(1, record, "second"))
    clock.advance(1)
    rt.tick()
    assert outcome == [False]  # it fired (its task was queued) before the first one ran
    assert record.calls == ["second"]


# -- states (SPEC §4, §11) ------------------------------------------------------------------------


def test_timers_scheduled_while_booting_fire_only_in_running_ticks(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(boot=False)
    handle = rt.schedule_delayed(1, record, "t")
    periodic = rt.schedule_periodic(0.5, record, "p")
    assert handle.pending
    assert periodic.pending
    clock.advance(2)
    assert rt.tick()
    assert record.calls == []
    assert rt.next_timeout() is None  # None while BOOTING, even with timers due
    rt.boot()
    assert rt.next_timeout() == 0.0
    rt.tick()
    assert record.calls == ["p", "t"]  # exact deadlines 0.5 and 1.0
    assert periodic.missed_ticks == 3  # 0.5 fired at 2.0; 1.0, 1.5 and 2.0 were skipped


@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop"])
@pytest.mark.parametrize("terminal_tick", [False, True], ids=["before-tick", "after-tick"])
def test_scheduling_in_a_terminal_state_returns_a_failed_handle(
    rt: Runtime, stop: str, terminal_tick: bool
) -> None:
    live = rt.schedule_delayed(5, noop)
    getattr(rt, stop)()
    if terminal_tick:
        rt.tick()
    failed = [
        rt.schedule_delayed(1, noop),
        rt.schedule_periodic(1, noop),
        rt.schedule_delayed(0, noop, priority=Priority.HIGH, name="late"),
    ]
    for handle in failed:
        assert handle.failed
        assert not handle.pending
        assert handle.deadline is None
        assert handle.id != live.id
    assert len({h.id for h in failed}) == 3
    assert rt.stats().timers_dropped == 3


def test_timers_do_not_fire_during_the_stopping_drain(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handle = rt.schedule_delayed(1, record, "timer")
    rt.schedule_work(record, "work")
    clock.advance(2)
    rt.shutdown()
    assert handle.pending  # cancelled at the stop, not before
    assert not rt.tick()
    assert record.calls == ["work"]
    assert not is_pending(handle)
    report = rt.shutdown_report()
    assert report is not None
    assert report.timers_cancelled == 1


@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop"])
def test_first_terminal_tick_cancels_every_pending_timer(
    rt: Runtime, clock: ManualClock, record: Recorder, stop: str
) -> None:
    handles = [
        rt.schedule_delayed(1, record, "a"),
        rt.schedule_delayed(1e9, record, "b"),
        rt.schedule_periodic(0.5, record, "p"),
    ]
    fired = rt.schedule_delayed(0, record, "fired")
    rt.tick()
    assert not fired.pending
    getattr(rt, stop)()
    assert rt.stats().active_timers == 3
    assert not rt.tick()
    assert not any(h.pending for h in handles)
    assert all(h.deadline is None for h in handles)
    assert rt.stats().active_timers == 0
    report = rt.shutdown_report()
    assert report is not None
    assert report.timers_cancelled == 3
    clock.advance(10)
    rt.tick()
    assert record.calls == ["fired"]
    assert not handles[0].cancel()
    assert not rt.cancel_timer(handles[2].id)


# -- capacity (SPEC §4, §11) --------------------------------------------------------------------


def test_max_timers_bounds_live_timers_exactly(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(RuntimeConfig(max_timers=3))
    live = [
        rt.schedule_delayed(1, noop),
        rt.schedule_periodic(1, noop),
        rt.schedule_delayed(2, noop),
    ]
    assert not any(h.failed for h in live)
    over = [rt.schedule_delayed(1, noop), rt.schedule_periodic(1, noop)]
    for handle in over:
        assert handle.failed
        assert not handle.pending
        assert handle.deadline is None
        assert handle.missed_ticks == 0
    assert len({h.id for h in (*live, *over)}) == 5  # fresh ids, never one in use
    stats = rt.stats()
    assert (stats.active_timers, stats.timers_dropped) == (3, 2)
    assert len(rt.timer_wheel) == 3


def test_cancelled_timer_frees_its_place_at_once(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(RuntimeConfig(max_timers=2))
    first = rt.schedule_delayed(1, noop)
    rt.schedule_periodic(1, noop)
    assert rt.schedule_delayed(1, noop).failed
    assert first.cancel()
    assert not rt.schedule_delayed(1, noop).failed  # no tick in between
    assert rt.stats().active_timers == 2
    assert rt.stats().timers_dropped == 1


def test_fired_one_shot_frees_its_place_at_once(
    make_runtime: MakeRuntime, clock: ManualClock
) -> None:
    rt = make_runtime(RuntimeConfig(max_timers=2))
    rt.schedule_periodic(10, noop)
    got: list[TimerHandle] = []
    rt.schedule_delayed(1, lambda: got.append(rt.schedule_delayed(1, noop)))
    clock.advance(1)
    rt.tick()
    assert not got[0].failed  # scheduled from the fired timer's own task, at the limit
    assert rt.stats().active_timers == 2


def test_periodic_timer_keeps_its_place_while_it_fires(
    make_runtime: MakeRuntime, clock: ManualClock
) -> None:
    rt = make_runtime(RuntimeConfig(max_timers=1))
    periodic = rt.schedule_periodic(1, noop)
    rt.advance(5)
    assert periodic.pending
    assert rt.schedule_delayed(1, noop).failed
    assert periodic.cancel()
    assert not rt.schedule_delayed(1, noop).failed


def test_failed_handle_cannot_be_cancelled_or_reset(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(RuntimeConfig(max_timers=1))
    rt.schedule_delayed(1, noop)
    failed = rt.schedule_delayed(1, noop)
    assert not failed.cancel()
    assert not rt.cancel_timer(failed.id)
    assert not failed.reset(1)
    with pytest.raises(ValueError, match=r"^delay must be >= 0, got -5$"):
        failed.reset(-5)
    with failed as entered:
        assert entered is failed
    assert not failed.pending


# -- handles (SPEC §4) ---------------------------------------------------------------------------


def test_handle_properties_through_a_one_shot_life(rt: Runtime, clock: ManualClock) -> None:
    handle = rt.schedule_delayed(1.5, noop, name="blink")
    other = rt.schedule_delayed(1.5, noop)
    assert isinstance(handle.id, int)
    assert handle.id != other.id
    assert not handle.failed
    assert handle.pending
    assert handle.deadline == 1.5
    assert handle.missed_ticks == 0
    assert "blink" in repr(handle)
    clock.advance(1.5)
    rt.tick()
    assert (is_pending(handle), deadline_of(handle)) == (False, None)  # fired: a one-shot is done
    assert not handle.cancel()
    assert not handle.reset(1)
    assert not rt.cancel_timer(handle.id)
    assert handle.missed_ticks == 0


def test_cancel_is_idempotent_and_a_cancelled_timer_never_fires(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handle = rt.schedule_delayed(1, record, "a")
    by_id = rt.schedule_delayed(1, record, "b")
    assert handle.cancel()
    assert not handle.cancel()
    assert not rt.cancel_timer(handle.id)
    assert rt.cancel_timer(by_id.id)
    assert not rt.cancel_timer(by_id.id)
    assert not by_id.cancel()
    assert not handle.pending
    assert handle.deadline is None
    assert not rt.cancel_timer(10**12)
    clock.advance(5)
    rt.tick()
    assert record.calls == []
    assert rt.stats().active_timers == 0


def test_leaving_a_with_block_cancels_the_timer(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    with rt.schedule_delayed(1, record, "a") as handle:
        assert handle.pending
    assert not is_pending(handle)
    with (
        pytest.raises(RuntimeError, match=r"^inside$"),
        rt.schedule_periodic(1, record) as periodic,
    ):
        raise RuntimeError("inside")
    assert not periodic.pending
    clock.advance(5)
    rt.tick()
    assert record.calls == []


def test_garbage_collection_does_not_cancel_a_timer(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    rt.schedule_delayed(1, record, "kept")  # the handle is dropped at once
    rt.schedule_periodic(1, record, "periodic")
    gc.collect()
    assert rt.stats().active_timers == 2
    rt.advance(1)
    assert record.calls == ["kept", "periodic"]


# -- cancelling from callbacks (SPEC §4, §11) ---------------------------------------------------


def test_one_shot_cancelling_itself_from_its_callback_gets_false(rt: Runtime) -> None:
    outcome: list[bool] = []
    handles: list[TimerHandle] = []
    handles.append(rt.schedule_delayed(1, lambda: outcome.append(handles[0].cancel())))
    rt.advance(1)
    assert outcome == [False]


def test_periodic_cancelling_itself_gets_true_and_never_fires_again(rt: Runtime) -> None:
    outcome: list[bool] = []
    handles: list[TimerHandle] = []

    def on_fire() -> None:
        if len(outcome) < 3:
            outcome.append(False)
        else:
            outcome.append(handles[0].cancel())

    handles.append(rt.schedule_periodic(1, on_fire))
    rt.advance(10)
    assert outcome == [False, False, False, True]
    assert not handles[0].pending
    assert rt.stats().timers_fired == 4


# -- reset (SPEC §4, §11) ------------------------------------------------------------------------


def test_reset_moves_the_deadline_later_and_earlier(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handle = rt.schedule_delayed(1, record, "t")
    clock.advance(0.5)
    assert handle.reset(5)
    assert handle.deadline == 5.5
    rt.advance(4.9)
    assert record.calls == []
    assert handle.reset(0.25)  # earlier
    assert handle.deadline == 5.65
    clock.advance_to(math.nextafter(5.65, 0.0))
    rt.tick()
    assert record.calls == []
    rt.advance(10)
    assert record.calls == ["t"]
    assert record.times == [5.65]


def test_reset_to_zero_fires_in_the_next_tick(rt: Runtime, record: Recorder) -> None:
    handle = rt.schedule_delayed(100, record, "t")
    assert handle.reset(0)
    rt.tick()
    assert record.calls == ["t"]


@pytest.mark.parametrize("how", ["fired", "cancelled"])
def test_reset_returns_false_and_changes_nothing_for_a_timer_not_pending(
    rt: Runtime, clock: ManualClock, record: Recorder, how: str
) -> None:
    handle = rt.schedule_delayed(1, record, "t")
    if how == "fired":
        rt.advance(1)
    else:
        handle.cancel()
    with pytest.raises(TypeError, match=r"^delay must be a number of seconds"):
        handle.reset("1")  # type: ignore[arg-type]
    assert not handle.reset(1)
    assert not handle.pending
    assert handle.deadline is None
    assert rt.stats().active_timers == 0
    rt.advance(5)
    assert record.calls == (["t"] if how == "fired" else [])


def test_reset_restarts_a_periodic_grid(rt: Runtime, clock: ManualClock, record: Recorder) -> None:
    periodic = rt.schedule_periodic(1, record)
    rt.advance(1.5)
    assert periodic.reset(0.3)
    assert periodic.deadline == 1.8
    rt.advance(3)
    assert record.times == [1.0, 1.8, 2.8, 3.8]


@pytest.mark.parametrize("action", ["reset", "cancel"])
def test_reset_or_cancel_never_removes_an_already_queued_task(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder, action: str
) -> None:
    rt = make_runtime(RuntimeConfig(batch_size=1))
    periodic = rt.schedule_periodic(1, record, "periodic", priority=Priority.LOW)
    clock.advance(1)
    rt.schedule_work(record, "busy")  # takes the only batch slot of the next tick
    rt.tick()
    assert record.calls == ["busy"]
    assert rt.stats().work_queue_len == 1  # the periodic's task is queued
    assert periodic.reset(10) if action == "reset" else periodic.cancel()
    rt.tick()
    assert record.calls == ["busy", "periodic"]


def test_timer_task_left_queued_at_an_emergency_stop_is_abandoned(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(RuntimeConfig(batch_size=1))
    handle = rt.schedule_delayed(1, record, "timer", priority=Priority.LOW)
    periodic = rt.schedule_periodic(1, record, "periodic", priority=Priority.IDLE)
    clock.advance(1)
    rt.schedule_work(record, "busy")
    rt.tick()
    assert record.calls == ["busy"]
    assert rt.stats().work_queue_len == 2  # both fired; neither task has run
    rt.emergency_stop()
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert (report.tasks_abandoned, report.timers_cancelled) == (2, 1)
    assert not handle.pending
    assert not periodic.pending
    assert record.calls == ["busy"]


# -- periodic timers (SPEC §4, §11) --------------------------------------------------------------


def test_periodic_first_deadline_is_now_plus_interval(rt: Runtime, clock: ManualClock) -> None:
    clock.advance(2.5)
    assert rt.schedule_periodic(0.75, noop).deadline == 3.25
    assert rt.schedule_periodic(0.75, noop, missed=MissedTicks.DELAY).deadline == 3.25


@pytest.mark.parametrize("origin", [0.0, 2**40 / 1000.0], ids=["origin=0", "origin=2**40ms"])
@pytest.mark.parametrize(
    "periods", [2_000, pytest.param(10_000, marks=pytest.mark.stress)], ids=["2000", "10000"]
)
def test_periodic_skip_has_no_drift_over_many_periods(
    periods: int, origin: float, errors: ErrorCollector
) -> None:
    clock = ManualClock(origin)
    rt = Runtime(clock=clock, error_handler=errors)
    rt.boot()
    times: list[float] = []
    periodic = rt.schedule_periodic(0.1, lambda: times.append(clock.now()))
    rt.advance(periods / 10)
    assert len(times) == periods
    expected = [deadline_grain(origin + 0.1 + k * 0.1, 1000.0) / 1000.0 for k in range(periods)]
    assert times == expected
    assert times[-1] == pytest.approx(origin + periods / 10, abs=0.0015)  # the grid, not drift
    assert periodic.missed_ticks == 0


def test_periodic_skip_after_a_stall_fires_once_and_counts_missed_ticks(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    periodic = rt.schedule_periodic(1, record, "p")
    clock.advance(5.5)  # deadlines 1, 2, 3, 4, 5 have passed
    rt.tick()
    assert record.calls == ["p"]
    assert periodic.missed_ticks == 4
    assert periodic.deadline == 6.0  # still on the grid
    rt.advance(2)
    assert record.times == [5.5, 6.0, 7.0]
    assert periodic.missed_ticks == 4


def test_periodic_delay_rearms_at_fire_time_plus_interval(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    periodic = rt.schedule_periodic(1, record, "p", missed=MissedTicks.DELAY)
    clock.advance(2.5)
    rt.tick()
    assert periodic.deadline == 3.5
    assert periodic.missed_ticks == 0  # under DELAY it counts only skipped fires
    rt.advance(2)
    assert record.times == [2.5, 3.5, 4.5]


@pytest.mark.parametrize("missed", list(MissedTicks), ids=[m.name for m in MissedTicks])
def test_periodic_timer_never_has_more_than_one_queued_task(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder, missed: MissedTicks
) -> None:
    rt = make_runtime(RuntimeConfig(batch_size=1))
    periodic = rt.schedule_periodic(1, record, "p", priority=Priority.LOW, missed=missed)
    for second in (1, 2, 3):
        clock.advance_to(second)
        rt.schedule_work(record, f"busy{second}")  # keeps the periodic's task from running
        rt.tick()
    assert record.calls == ["busy1", "busy2", "busy3"]
    stats = rt.stats()
    assert stats.work_queue_len == 1
    assert stats.timers_fired == 1
    assert periodic.missed_ticks == 2  # the fires at 2 and 3 were skipped
    rt.tick()
    assert record.calls[-1] == "p"
    rt.advance(1)
    assert record.calls[-1] == "p"
    assert rt.stats().timers_fired == 2
    assert periodic.missed_ticks == 2


def test_periodic_callback_error_is_reported_and_keeps_its_schedule(
    rt: Runtime, errors: ErrorCollector
) -> None:
    periodic = rt.schedule_periodic(1, boom, name="blinker")
    rt.advance(3)
    reports = errors.take()
    assert [(r.phase, r.callback, r.tick) for r in reports] == [
        ("timer", "blinker", 1),
        ("timer", "blinker", 2),
        ("timer", "blinker", 3),
    ]
    assert all(isinstance(r.exception, ValueError) for r in reports)
    assert periodic.pending
    assert periodic.deadline == 4.0
    stats = rt.stats()
    assert (stats.tasks_failed, stats.timers_fired) == (3, 3)


def test_one_shot_callback_error_is_reported_with_phase_timer(
    rt: Runtime, errors: ErrorCollector
) -> None:
    rt.schedule_delayed(1, boom)
    rt.advance(1)
    (report,) = errors.take()
    assert report.phase == "timer"
    assert report.callback == f"{__name__}.boom"
    assert str(report.exception) == "boom"


def test_fired_unnamed_one_shot_lets_go_of_its_callable_before_it_runs(
    rt: Runtime, clock: ManualClock
) -> None:
    seen: list[str] = []
    handles: list[TimerHandle] = []
    handle = rt.schedule_delayed(1, lambda: seen.append(repr(handles[0])))
    handles.append(handle)
    clock.advance(1)
    rt.tick()
    assert seen == [f"<TimerHandle {handle.id} 'Timer({handle.id})' done>"]


def test_queued_unnamed_one_shots_are_abandoned_by_an_emergency_stop(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(RuntimeConfig(batch_size=1))
    for label in "abc":
        rt.schedule_delayed(1, record, label)
    clock.advance(1)
    rt.tick()  # all three queued, one run
    assert record.calls == ["a"]
    rt.emergency_stop()
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert report.tasks_abandoned == 2
    assert record.calls == ["a"]


# -- counters (SPEC §4, §11) --------------------------------------------------------------------


def test_active_timers_and_timers_fired_count_exactly(rt: Runtime, clock: ManualClock) -> None:
    one_shots = [rt.schedule_delayed(d, noop) for d in (1, 2, 3)]
    periodic = rt.schedule_periodic(1, noop)
    assert rt.stats().active_timers == len(rt.timer_wheel) == 4
    one_shots[2].cancel()
    assert rt.stats().active_timers == 3
    rt.advance(1)
    stats = rt.stats()
    assert (stats.active_timers, stats.timers_fired) == (2, 2)
    rt.advance(1)
    stats = rt.stats()
    assert (stats.active_timers, stats.timers_fired) == (1, 4)
    periodic.cancel()
    assert rt.stats().active_timers == 0
    assert rt.is_idle()


def test_is_idle_is_false_while_a_timer_is_pending(rt: Runtime) -> None:
    handle = rt.schedule_delayed(1, noop)
    assert not rt.is_idle()
    handle.cancel()
    assert rt.is_idle()


def test_runtime_timer_wheel_reports_live_timers_and_next_deadline(
    make_runtime: MakeRuntime,
) -> None:
    rt = make_runtime(RuntimeConfig(timer_resolution=0.01, max_timers=7))
    wheel = rt.timer_wheel
    assert (wheel.resolution, wheel.max_timers) == (0.01, 7)
    assert wheel.next_deadline() is None
    rt.schedule_delayed(0.333, noop)
    rt.schedule_delayed(0.2, noop)
    assert len(wheel) == 2
    assert wheel.next_deadline() == 0.2


# -- next_timeout (SPEC §7, §11) -----------------------------------------------------------------


def test_next_timeout_follows_the_earliest_deadline(rt: Runtime, clock: ManualClock) -> None:
    assert rt.next_timeout() is None
    handle = rt.schedule_delayed(0.5004, noop)  # rounds up to 0.501
    rt.schedule_delayed(2, noop)
    clock.advance(0.2)
    assert rt.next_timeout() == pytest.approx(0.301)
    clock.advance_to(0.5004)
    assert rt.next_timeout() == pytest.approx(0.0006)
    clock.advance_to(0.501)
    assert rt.next_timeout() == 0.0
    rt.tick()
    assert not handle.pending
    assert rt.next_timeout() == pytest.approx(1.499)


@pytest.mark.parametrize("stop", ["shutdown", "emergency_stop"])
def test_next_timeout_around_the_stop(rt: Runtime, stop: str) -> None:
    rt.schedule_delayed(5, noop)
    getattr(rt, stop)()
    assert rt.next_timeout() == 0.0
    rt.tick()
    assert rt.next_timeout() is None


# -- virtual time: rt.advance (SPEC §8, §11) -----------------------------------------------------


class NowOnlyClock:
    """A clock that cannot be stepped."""

    def now(self) -> float:
        return 0.0


def test_advance_needs_a_clock_with_advance() -> None:
    rt = Runtime(clock=NowOnlyClock())
    rt.boot()
    with pytest.raises(TypeError, match=r"^advance\(\) needs a clock with an advance\(\) method"):
        rt.advance(1)


@pytest.mark.parametrize(
    ("seconds", "error", "message"),
    [
        (-1, ValueError, r"^seconds must be >= 0, got -1$"),
        (-0.001, ValueError, r"^seconds must be >= 0, got -0.001$"),
        (math.nan, ValueError, r"^seconds must be finite, got nan$"),
        (math.inf, ValueError, r"^seconds must be finite, got inf$"),
        ("1", TypeError, r"^seconds must be a number of seconds \(int or float\), got '1'$"),
    ],
    ids=["negative", "negative-float", "nan", "inf", "str"],
)
def test_advance_rejects_bad_seconds(
    rt: Runtime, clock: ManualClock, seconds: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        rt.advance(seconds)  # type: ignore[arg-type]
    assert clock.now() == 0.0


def test_advance_in_booting_only_moves_the_clock(
    make_runtime: MakeRuntime, clock: ManualClock, record: Recorder
) -> None:
    rt = make_runtime(boot=False)
    handle = rt.schedule_delayed(1, record, "t")
    rt.advance(5)
    assert clock.now() == 5.0
    assert record.calls == []
    assert handle.pending
    assert rt.stats().ticks == 0


def test_advance_callbacks_see_their_own_rounded_deadline(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handles = [rt.schedule_delayed(d, record, d) for d in (1.7, 0.0005, 0.25, 0.2501)]
    deadlines = {h.deadline for h in handles}
    rt.advance(2)
    assert record.calls == [0.0005, 0.25, 0.2501, 1.7]
    assert record.times == [0.001, 0.25, 0.251, 1.7]
    assert set(record.times) == deadlines
    assert clock.now() == 2.0


def test_advance_fires_timers_that_callbacks_schedule_within_the_span(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    def chain(step: int) -> None:
        record(step)
        if step < 5:
            rt.schedule_delayed(0.1, chain, step + 1)

    rt.schedule_delayed(0.1, chain, 1)
    rt.advance(0.45)
    assert record.calls == [1, 2, 3, 4]
    assert record.times == [0.1, 0.2, 0.3, 0.4]
    assert clock.now() == 0.45
    rt.advance(1)
    assert record.calls == [1, 2, 3, 4, 5]
    assert record.times[-1] == 0.5


def test_advance_counts_its_ticks_and_ends_idle(rt: Runtime, clock: ManualClock) -> None:
    rt.schedule_delayed(1, noop)
    rt.schedule_delayed(2, noop)
    rt.advance(3)
    assert rt.stats().ticks == 2
    assert rt.next_timeout() is None
    assert clock.now() == 3.0


def test_advance_raises_on_a_livelock(rt: Runtime) -> None:
    def again() -> None:
        rt.schedule_work(again)

    rt.schedule_delayed(1, again)
    with pytest.raises(KernelError, match=r"^work was still ready after max_ticks=50 ticks"):
        rt.advance(2, max_ticks=50)
    with pytest.raises(LivelockError):
        rt.advance(1, max_ticks=50)


# -- run() on a manual clock (SPEC §11) -----------------------------------------------------------


def test_run_on_a_manual_clock_jumps_from_deadline_to_deadline(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    def blink() -> None:
        record("blink")
        if len(record.calls) == 4:
            rt.schedule_delayed(0.5, rt.shutdown)

    rt.schedule_delayed(0.0005, record, "soon")
    rt.schedule_delayed(86400.0 * 365, record, "next year")
    rt.schedule_periodic(600, blink)
    report = rt.run()  # returns at once in real time: virtual time jumps
    assert report.state is RuntimeState.STOPPING
    assert report.timers_cancelled == 2  # the periodic timer and next year's
    assert record.calls == ["soon", "blink", "blink", "blink"]
    assert record.times == [0.001, 600.0, 1200.0, 1800.0]
    assert clock.now() == 1800.5


# -- debouncing (SPEC §4: "the cheap way to debounce") ------------------------------------------

KEYSTROKE_GAPS: Final = (0.0, 0.05, 0.12, 0.299, 0.001, 0.2, 0.29, 0.08)
"""Seconds between simulated keystrokes: every gap is shorter than the debounce delay."""


def type_keys(rt: Runtime, on_key: Callable[[], None]) -> float:
    """Simulate the keystrokes on the manual clock; return the time of the last one."""
    clock = rt.clock
    for gap in KEYSTROKE_GAPS:
        rt.advance(gap)
        on_key()
    return clock.now()


def test_debounce_by_cancel_and_reschedule_fires_once_after_the_last_key(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    pending: list[TimerHandle] = []

    def on_key() -> None:
        if pending:
            pending.pop().cancel()
        pending.append(rt.schedule_delayed(DEBOUNCE, record, "save"))

    last = type_keys(rt, on_key)
    rt.advance(5)
    assert record.calls == ["save"]
    assert record.times == [deadline_grain(last + DEBOUNCE, 1000.0) / 1000.0]
    assert record.times[0] == pytest.approx(last + DEBOUNCE)
    assert rt.stats().timers_fired == 1


def test_debounce_by_reset_fires_once_after_the_last_key(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handle = rt.schedule_delayed(DEBOUNCE, record, "save")
    handle.cancel()
    resets: list[bool] = []

    def on_key() -> None:
        nonlocal handle
        if handle.pending:
            resets.append(handle.reset(DEBOUNCE))
        else:
            handle = rt.schedule_delayed(DEBOUNCE, record, "save")

    last = type_keys(rt, on_key)
    assert resets == [True] * (len(KEYSTROKE_GAPS) - 1)
    rt.advance(5)
    assert record.calls == ["save"]
    assert record.times == [deadline_grain(last + DEBOUNCE, 1000.0) / 1000.0]
    assert rt.stats().timers_fired == 1
    assert rt.stats().active_timers == 0


def test_debounce_over_a_thousand_keystrokes_fires_once(
    rt: Runtime, clock: ManualClock, record: Recorder
) -> None:
    handle = rt.schedule_delayed(DEBOUNCE, record, "save")
    for key in range(1, 1001):  # a keystroke every millisecond for a second
        clock.advance_to(key / 1000)
        rt.tick()
        assert handle.reset(DEBOUNCE)
    rt.advance(DEBOUNCE - 0.001)
    assert record.calls == []
    rt.advance(1)
    assert record.calls == ["save"]
    assert record.times == [1.3]
    assert rt.stats().timers_fired == 1
