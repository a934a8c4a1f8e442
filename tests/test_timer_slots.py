"""Tests for `kernel._core.timer_slots`: `TimerEntry` and the filing and firing machinery.

`TimerWheel` (tests/test_timer_wheel.py) is the machinery's public face and its state machine the
deep test; here the contract between the machinery and its entries is tested on its own, with
entries of the tests' making: what a hook is asked and when, and which fields the machinery sets.
"""

from __future__ import annotations

from typing import ClassVar

import pytest

from kernel._core.grains import GrainScale
from kernel._core.timer_slots import (
    TimerEntry,
    TimerId,
    TimerSlots,
    new_timer_id,
    past_the_float_range,
)
from kernel.testing import ManualClock


class OneShot(TimerEntry):
    """The least entry: an id and a deadline; records what the wheel tells it."""

    __slots__ = ("released",)

    def __init__(self, when: float) -> None:
        self._id = new_timer_id()
        self._when = when
        self._slot = None
        self.released = 0

    def _release(self) -> None:
        self.released += 1


class Repeating(OneShot):
    """A periodic entry whose next deadline is always `step` seconds after the fire."""

    __slots__ = ("restarts", "step")

    _periodic: ClassVar[bool] = True

    def __init__(self, when: float, step: float) -> None:
        super().__init__(when)
        self.step = step
        self.restarts: list[float] = []

    def _restart(self, when: float) -> None:
        self.restarts.append(when)

    def _advance(self, now: float, now_grain: int, scale: GrainScale) -> tuple[float, int]:
        when = now + self.step
        return when, scale.deadline_grain(when)


def make_slots(now: float = 0.0) -> tuple[ManualClock, TimerSlots]:
    clock = ManualClock(now)
    return clock, TimerSlots(clock, GrainScale(0.001))


def file(slots: TimerSlots, entry: TimerEntry) -> None:
    """Schedule as `TimerWheel.schedule` does once its checks have passed."""
    slots._file(entry, slots._deadline_grain(entry._when))
    slots.live += 1


def fire(slots: TimerSlots, now: float) -> list[TimerEntry]:
    """Process every slot due by `now`, as `TimerWheel.expire_runs` does."""
    fired: list[TimerEntry] = []
    now_grain = slots._now_grain(now)
    while True:
        slot, start = slots._earliest_slot()
        if slot is None or start > now_grain:
            return fired
        slots._elapsed = max(slots._elapsed, start)
        slots._process(slot, start, now, now_grain, fired.extend)
        slots._next_dirty = True


def test_timer_ids_are_fresh_and_increasing() -> None:
    first, second = new_timer_id(), new_timer_id()
    assert second > first > 0


def test_an_entry_not_filed_is_not_pending_and_cannot_be_cancelled_or_reset() -> None:
    entry = OneShot(1.0)
    assert (entry._slot, entry.deadline) == (None, None)
    assert entry.cancel() is False
    assert entry.reset(1.0) is False
    with pytest.raises(ValueError, match=r"^delay must be >= 0, got -1.0$"):
        entry.reset(-1.0)  # checked even when not pending


def test_filing_sets_the_slot_and_cancel_clears_it_and_releases_once() -> None:
    _, slots = make_slots()
    entry = OneShot(0.5)
    file(slots, entry)
    assert entry.deadline == 0.5  # pending: filed in a slot
    assert entry.cancel() is True
    assert (entry._slot, entry.released, slots.live) == (None, 1, 0)
    assert entry.cancel() is False
    assert entry.released == 1


def test_firing_retires_a_one_shot_without_releasing_it() -> None:
    _, slots = make_slots()
    entry = OneShot(0.25)
    file(slots, entry)
    assert fire(slots, 0.25) == [entry]
    assert (entry._slot, entry.released, slots.live) == (None, 0, 0)  # its task releases it


def test_firing_refiles_a_periodic_entry_at_the_deadline_it_advances_to() -> None:
    _, slots = make_slots()
    entry = Repeating(0.1, step=0.3)
    file(slots, entry)
    assert fire(slots, 0.15) == [entry]
    assert (entry._when, entry.deadline, slots.live) == (0.15 + 0.3, 0.45, 1)  # set by the wheel
    assert fire(slots, 0.449) == []
    assert fire(slots, 0.45) == [entry]
    assert entry._when == pytest.approx(0.75)


def test_reset_tells_only_a_periodic_entry_to_restart() -> None:
    clock, slots = make_slots()
    one_shot, periodic = OneShot(1.0), Repeating(1.0, step=1.0)
    file(slots, one_shot)
    file(slots, periodic)
    clock.advance_to(0.5)
    assert one_shot.reset(0.1)
    assert periodic.reset(2.0)
    assert (one_shot._when, periodic._when, periodic.restarts) == (0.6, 2.5, [2.5])


def test_reset_past_the_float_range_raises_and_changes_nothing() -> None:
    _, slots = make_slots(1e308)
    entry = OneShot(1e308 + 1.0)
    file(slots, entry)
    with pytest.raises(ValueError, match=r"^delay must keep the deadline within the float range"):
        entry.reset(1e308)
    assert entry._when == 1e308 + 1.0
    assert entry._slot is not None


def test_cancel_all_releases_every_pending_entry() -> None:
    _, slots = make_slots()
    entries = [OneShot(0.001 * i) for i in range(1, 5)] + [Repeating(0.5, 1.0)]
    for entry in entries:
        file(slots, entry)
    assert slots.cancel_all() == 5
    assert [e.released for e in entries] == [1] * 5
    assert all(e._slot is None for e in entries)
    assert (slots.live, slots._next_grain, fire(slots, 10.0)) == (0, None, [])


def test_the_base_entry_has_no_periodic_behaviour() -> None:
    entry = TimerEntry()
    assert entry._periodic is False
    entry._release()  # nothing to free
    entry._restart(1.0)
    with pytest.raises(NotImplementedError):
        entry._advance(0.0, 0, GrainScale(0.001))


def test_past_the_float_range_names_the_argument_the_value_and_now() -> None:
    error = past_the_float_range("interval", 1e308, 1e308)
    assert str(error) == (
        "interval must keep the deadline within the float range, got 1e+308 at now=1e+308"
    )


def test_timer_id_is_an_int() -> None:
    assert TimerId(7) == 7
