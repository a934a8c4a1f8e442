"""Tests for `kernel._core.timer_levels`: the wheel's geometry, its slots and the earliest slot.

The levels are exercised end to end by tests/test_timer_wheel.py (its state machine checks every
slot after every step); here are the geometry and the parts a wheel never reaches on its own.
"""

from __future__ import annotations

import pytest

from kernel._core.grains import GrainScale
from kernel._core.timer_levels import (
    DUE,
    FAR,
    HORIZON,
    LEVEL_OF_BIT_LENGTH,
    LEVELS,
    SLOT_BITS,
    SLOTS,
    Slot,
    TimerLevels,
    slot_start,
    slot_width,
)
from kernel._core.timer_slots import TimerEntry


def test_levels_geometry_is_six_levels_of_64_slots() -> None:
    assert (SLOTS, LEVELS, HORIZON) == (64, 6, 2**36)
    assert [slot_width(level) for level in range(LEVELS)] == [64**k for k in range(LEVELS)]


@pytest.mark.parametrize(
    ("diff", "level"),
    [(0, 0), (1, 0), (63, 0), (64, 1), (4095, 1), (4096, 2), (2**30, 5), (HORIZON - 1, 5)],
    ids=lambda value: str(value),
)
def test_level_of_bit_length_is_the_highest_differing_base_64_digit(diff: int, level: int) -> None:
    assert LEVEL_OF_BIT_LENGTH[diff.bit_length()] == level
    assert max(0, diff.bit_length() - 1) // SLOT_BITS == level


@pytest.mark.parametrize(
    ("elapsed", "level", "index", "start"),
    [(0, 0, 5, 5), (70, 0, 9, 73), (70, 1, 3, 192), (5000, 2, 1, 4096), (2**36 + 7, 5, 0, 2**36)],
    ids=["level-0", "level-0-second-turn", "level-1", "level-2", "level-5-next-block"],
)
def test_slot_start_is_the_slots_first_grain_in_the_positions_turn(
    elapsed: int, level: int, index: int, start: int
) -> None:
    assert slot_start(elapsed, level, index) == start


def test_slot_width_and_bit_by_kind() -> None:
    levels: TimerLevels[TimerEntry] = TimerLevels(GrainScale(0.001), 0.0)
    ordinary = Slot(levels, 2, 7)
    due = Slot(levels, DUE, 0)
    far = Slot(levels, FAR, 0)
    assert (ordinary.width, ordinary.bit) == (4096, 1 << 7)
    assert (due.width, due.bit) == (1, 0)
    assert (far.width, far.bit) == (HORIZON, 0)
    assert ordinary.deadline_seconds(0.0004) == 0.001  # the wheel's rounding, up to a grain


def test_empty_levels_have_no_earliest_slot_and_no_live_entries() -> None:
    levels: TimerLevels[TimerEntry] = TimerLevels(GrainScale(0.001), 2.5)
    assert levels._elapsed == 2500  # the position starts at the clock's grain
    assert levels._earliest_slot() == (None, 0)
    assert levels._live_entries() == []


def test_levels_leave_filing_to_the_subclass() -> None:
    levels: TimerLevels[TimerEntry] = TimerLevels(GrainScale(0.001), 0.0)
    with pytest.raises(NotImplementedError):
        levels._remove(TimerEntry())
    with pytest.raises(NotImplementedError):
        levels._rearm(TimerEntry(), 1.0)
