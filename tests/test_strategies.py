"""kernel.testing.strategies: every value drawn is one the runtime's own checks accept (fed to the
real API), the documented notable values come up, bad arguments are refused, and importing
kernel.testing does not import Hypothesis."""

from __future__ import annotations

import math
import subprocess
import sys
from typing import TYPE_CHECKING, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kernel import Priority, Runtime, RuntimeConfig, Task
from kernel.testing import ErrorCollector, ManualClock
from kernel.testing.strategies import (
    DEFAULT_RESOLUTION,
    MAX_PRIORITY,
    MAX_RESOLUTION,
    MIN_RESOLUTION,
    ScheduledCall,
    delays,
    intervals,
    priorities,
    resolutions,
    schedules,
)

if TYPE_CHECKING:
    from collections.abc import Callable


GRAIN_NOISE: Final = 1e-3
"""Of a grain: the most float noise a deadline may be rounded down by (SPEC §11)."""


def booted(resolution: float = DEFAULT_RESOLUTION) -> tuple[Runtime, ErrorCollector]:
    errors = ErrorCollector()
    config = RuntimeConfig(timer_resolution=resolution)
    rt = Runtime(config, clock=ManualClock(), error_handler=errors)
    rt.boot()
    return rt, errors


def within_a_grain_after(deadline: float | None, exact: float, resolution: float) -> bool:
    """SPEC §11: a rounded deadline is at or after the exact one (but for float noise, at most
    1e-3 of a grain) and less than a grain after it."""
    assert deadline is not None
    return exact - GRAIN_NOISE * resolution <= deadline <= exact + resolution


# -- importing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "imports_hypothesis"),
    [
        ("kernel.testing", False),
        ("kernel.testing.plugin", False),
        ("kernel.testing.strategies", True),
    ],
    ids=["testing", "plugin", "strategies"],
)
def test_only_the_strategies_module_imports_hypothesis(
    module: str, imports_hypothesis: bool
) -> None:
    code = f"import sys, {module}; print('hypothesis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == str(imports_hypothesis)


# -- resolutions and priorities ------------------------------------------------------------------


@given(resolutions())
def test_resolutions_are_accepted_by_runtime_config(resolution: float) -> None:
    assert RuntimeConfig(timer_resolution=resolution).timer_resolution == resolution


@pytest.mark.parametrize(
    ("resolution", "accepted"),
    [
        (MIN_RESOLUTION, True),
        (MAX_RESOLUTION, True),
        (math.nextafter(MIN_RESOLUTION, 0.0), False),
        (math.nextafter(MAX_RESOLUTION, 2.0), False),
    ],
    ids=["min", "max", "below-min", "above-max"],
)
def test_resolution_bounds_are_the_runtimes(resolution: float, accepted: bool) -> None:
    if accepted:
        RuntimeConfig(timer_resolution=resolution)
    else:
        with pytest.raises(ValueError, match=r"^timer_resolution must be"):
            RuntimeConfig(timer_resolution=resolution)


@given(priorities())
def test_priorities_are_accepted_by_every_scheduling_call(priority: int) -> None:
    rt, errors = booted()
    ran: list[int] = []
    assert rt.schedule_work_with_priority(priority, ran.append, 1)
    assert rt.schedule_task(Task(ran.append, 2, priority=priority))
    handle = rt.schedule_delayed(0, ran.append, 3, priority=priority)
    assert not handle.failed
    rt.advance(DEFAULT_RESOLUTION)
    assert ran == [1, 2, 3]
    assert errors.reports == []


def test_priority_bound_is_the_runtimes() -> None:
    rt, _ = booted()
    assert rt.schedule_work_with_priority(MAX_PRIORITY, print)
    with pytest.raises(ValueError, match=r"^priority must be in \[0, 2\*\*32\), got 4294967296$"):
        rt.schedule_work_with_priority(MAX_PRIORITY + 1, print)


# -- delays and intervals ------------------------------------------------------------------------


@given(st.data(), resolutions(), st.sampled_from([0.0, 1e-9, 0.5, 3600.0]))
def test_delays_are_accepted_by_schedule_delayed_and_reset(
    data: st.DataObject, resolution: float, max_value: float
) -> None:
    delay = data.draw(delays(max_value=max_value, resolution=resolution))
    assert 0 <= delay <= max_value
    rt, _ = booted(resolution)
    handle = rt.schedule_delayed(delay, print)
    assert not handle.failed
    assert within_a_grain_after(handle.deadline, delay, resolution)
    assert handle.reset(delay)


@given(st.data(), resolutions(), st.sampled_from([1e-300, 1e-7, 0.5, 3600.0]))
def test_intervals_are_accepted_by_schedule_periodic(
    data: st.DataObject, resolution: float, max_value: float
) -> None:
    interval = data.draw(intervals(max_value=max_value, resolution=resolution))
    assert 0 < interval <= max_value
    rt, _ = booted(resolution)
    handle = rt.schedule_periodic(interval, print)
    assert not handle.failed
    assert within_a_grain_after(handle.deadline, interval, resolution)


@pytest.mark.parametrize(
    ("strategy", "wanted"),
    [
        (delays(), lambda d: d == 0),
        (delays(), lambda d: 0 < d < DEFAULT_RESOLUTION),
        (delays(), lambda d: isinstance(d, int) and d > 0),
        (delays(), lambda d: d > 1),
        (intervals(), lambda i: 0 < i < DEFAULT_RESOLUTION),
        (intervals(), lambda i: isinstance(i, int)),
        (priorities(), lambda p: isinstance(p, Priority)),
        (priorities(), lambda p: p == Priority.NORMAL + 1),
        (priorities(), lambda p: p == MAX_PRIORITY),
        (resolutions(), lambda r: r == MIN_RESOLUTION),
    ],
    ids=[
        "delay-zero",
        "delay-sub-grain",
        "delay-int",
        "delay-long",
        "interval-sub-grain",
        "interval-int",
        "priority-named",
        "priority-neighbour",
        "priority-max",
        "resolution-min",
    ],
)
def test_the_notable_values_come_up(
    strategy: st.SearchStrategy[float], wanted: Callable[[float], bool]
) -> None:
    seen: list[float] = []

    @settings(max_examples=100, database=None)
    @given(strategy)
    def draw(value: float) -> None:
        if wanted(value):
            seen.append(value)

    draw()
    assert seen


# -- schedules ------------------------------------------------------------------------------------


@settings(max_examples=50)
@given(schedules(max_size=12, max_delay=2.0))
def test_schedules_drive_a_manual_clock_runtime(schedule: list[ScheduledCall]) -> None:
    """Each call runs once, never before its deadline; a grain's calls run by priority, then by
    exact deadline, then in scheduling order."""
    rt, errors = booted()
    ran: list[tuple[int, float]] = []
    clock = rt.clock
    deadlines: list[float] = []

    def record(index: int) -> None:
        ran.append((index, clock.now()))

    for index, (delay, priority) in enumerate(schedule):
        handle = rt.schedule_delayed(delay, record, index, priority=priority)
        assert handle.deadline is not None
        deadlines.append(handle.deadline)
    rt.advance(2.0 + DEFAULT_RESOLUTION)
    assert sorted(i for i, _ in ran) == list(range(len(schedule)))
    assert all(at >= deadlines[i] for i, at in ran)  # never before its (rounded) deadline
    expected = sorted(
        range(len(schedule)),
        key=lambda i: (deadlines[i], schedule[i].priority, schedule[i].delay, i),
    )
    assert [i for i, _ in ran] == expected
    assert errors.reports == []


@given(schedules(min_size=2, max_size=5, max_delay=0.0))
def test_schedules_respect_sizes_and_bounds(schedule: list[ScheduledCall]) -> None:
    assert 2 <= len(schedule) <= 5
    assert all(call.delay == 0 and 0 <= call.priority <= MAX_PRIORITY for call in schedule)


def test_schedules_repeat_delays_so_calls_share_a_grain() -> None:
    shared: list[bool] = []

    @settings(max_examples=100, database=None)
    @given(schedules(min_size=2, max_size=6))
    def draw(schedule: list[ScheduledCall]) -> None:
        shared.append(len({call.delay for call in schedule}) < len(schedule))

    draw()
    assert sum(shared) > len(shared) // 2


# -- bad arguments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda: delays(max_value=-1),
            ValueError,
            r"^max_value must be a finite number >= 0, got -1$",
        ),
        (
            lambda: delays(max_value=math.inf),
            ValueError,
            r"^max_value must be a finite number >= 0, got inf$",
        ),
        (
            lambda: delays(max_value="1"),  # type: ignore[arg-type]
            TypeError,
            r"^max_value must be a number of seconds, got '1'$",
        ),
        (
            lambda: intervals(max_value=0),
            ValueError,
            r"^max_value must be a finite number > 0, got 0$",
        ),
        (
            lambda: delays(resolution=2.0),
            ValueError,
            r"^resolution must be in \[1e-06, 1.0\], got 2.0$",
        ),
        (
            lambda: intervals(resolution=math.nan),
            ValueError,
            r"^resolution must be in \[1e-06, 1.0\], got nan$",
        ),
        (
            lambda: delays(resolution=True),
            TypeError,
            r"^resolution must be a number of seconds, got True$",
        ),
        (lambda: schedules(min_size=-1), ValueError, r"^min_size must be >= 0, got -1$"),
        (
            lambda: schedules(max_size=2.0),  # type: ignore[arg-type]
            TypeError,
            r"^max_size must be an int >= 0, got 2.0$",
        ),
        (
            lambda: schedules(min_size=3, max_size=2),
            ValueError,
            r"^min_size must be <= max_size \(2\), got 3$",
        ),
        (
            lambda: schedules(max_delay=-0.5),
            ValueError,
            r"^max_delay must be a finite number >= 0, got -0.5$",
        ),
    ],
    ids=[
        "negative-max",
        "infinite-max",
        "str-max",
        "zero-max-interval",
        "coarse-resolution",
        "nan-resolution",
        "bool-resolution",
        "negative-min-size",
        "float-max-size",
        "min-over-max",
        "negative-max-delay",
    ],
)
def test_bad_arguments_are_refused(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()
