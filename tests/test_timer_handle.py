"""Tests for `kernel._core.timer_handle`: the handle and how a run of due timers becomes tasks.

Scheduling, cancelling and re-arming through a wheel are tested in tests/test_timer_wheel.py and,
through a runtime, in tests/test_timers.py; here `fire_run` and the handle's own surface.
"""

from __future__ import annotations

import math

import pytest

from kernel._core.timer_handle import FailedTimer, TimerHandle, fire_run
from kernel._core.timer_periodic import MissedTicks, PeriodicTimer
from kernel._core.timer_slots import TimerId
from kernel._core.work_queue import WorkQueue


def noop(*_: object) -> None:
    """A timer callback; nothing here runs it."""


def one_shot(name: str | None = None, priority: int = 100) -> TimerHandle:
    return TimerHandle(TimerId(1), 1.0, noop, ("arg",), priority, name)


def test_fire_run_queues_an_unnamed_one_shot_under_the_shared_owner_and_drops_its_callable() -> (
    None
):
    work = WorkQueue(8)
    first, second = one_shot(), one_shot()
    fire_run(work, [first, second])
    items = [work.pop(), work.pop()]
    assert [(fn, args) for fn, args, _ in items] == [(noop, ("arg",))] * 2
    owners = {id(owner) for _, _, owner in items}
    assert len(owners) == 1
    assert items[0][2] not in (first, second)
    assert (first._fn, first._args) == (None, ())


def test_fire_run_queues_a_named_timer_as_its_own_owner() -> None:
    work = WorkQueue(8)
    named = one_shot("save")
    fire_run(work, [named])
    assert work.pop() == (noop, ("arg",), named)
    kept = named._fn
    assert kept is noop  # kept until its task finishes
    named._finish(True)
    assert (named._fn, named._args) == (None, ())


def test_fire_run_keeps_the_priority_order_of_the_work_queue() -> None:
    work = WorkQueue(8)
    low, high = one_shot("low", priority=200), one_shot("high", priority=0)
    fire_run(work, [low, high])
    assert [work.pop()[2], work.pop()[2]] == [high, low]


def test_fire_run_counts_a_periodic_fire_whose_task_is_still_queued_as_missed() -> None:
    work = WorkQueue(8)
    periodic = PeriodicTimer(TimerId(2), 1.0, noop, (), 100, None, 1.0, MissedTicks.SKIP)
    fire_run(work, [periodic])
    fire_run(work, [periodic])
    assert (len(work), periodic.missed_ticks) == (1, 1)
    periodic._finish(True)
    fire_run(work, [periodic])
    assert (len(work), periodic.missed_ticks) == (2, 1)


def test_fire_run_into_a_full_queue_counts_the_drop_and_frees_the_callable() -> None:
    work = WorkQueue(1)
    kept, dropped = one_shot("kept"), one_shot("dropped")
    fire_run(work, [kept, dropped])
    assert (len(work), work.dropped) == (1, 1)
    assert (dropped._fn, dropped._args) == (None, ())


@pytest.mark.parametrize(
    ("handle", "state"),
    [
        (one_shot("named"), "done"),
        (FailedTimer(TimerId(3), math.nan, None, (), 100, None), "failed"),
    ],
    ids=["done", "failed"],
)
def test_handle_repr_says_its_state(handle: TimerHandle, state: str) -> None:
    assert repr(handle) == f"<{type(handle).__name__} {handle.id} {handle._describe()!r} {state}>"
    assert handle.pending is False
    assert handle.missed_ticks == 0


def test_fire_run_queues_a_timer_that_records_where_it_was_scheduled_as_its_own_owner() -> None:
    work = WorkQueue(8)
    handle = one_shot()
    handle._set_created_at("  File 'editor.py', line 7")  # debug mode
    fire_run(work, [handle])
    assert work.pop() == (noop, ("arg",), handle)


def test_handle_describes_itself_by_name_else_by_callable() -> None:
    assert one_shot("autosave")._describe() == "autosave"
    assert "noop" in one_shot()._describe()
    assert one_shot()._abandon() is True
