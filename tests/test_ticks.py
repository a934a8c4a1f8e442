"""TickScale: seconds to ticks and back (the rounding rules of SPEC §11)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from kernel._core.ticks import TickScale

from .strategies import deadline_tick as model_deadline_tick
from .strategies import now_tick as model_now_tick


@pytest.mark.parametrize(
    ("when", "tick"),
    [
        (7.22, 7220),
        (0.1 + 0.2, 300),  # float noise never adds a tick
        (0.3004, 301),  # between two ticks: the later one
        (1073741.823, 1073741823),  # far from zero too
        (0.0, 0),
        (-0.0015, -1),
    ],
    ids=["exact", "noise", "between", "far", "zero", "negative"],
)
def test_deadlines_round_up(when: float, tick: int) -> None:
    assert TickScale(0.001).deadline_tick(when) == tick


@pytest.mark.parametrize(
    ("now", "tick"),
    [(7.22, 7220), (7.2209, 7220), (7.2199999, 7219), (1073741.823, 1073741823)],
    ids=["on-a-tick", "just-after", "just-before", "far"],
)
def test_times_round_down(now: float, tick: int) -> None:
    assert TickScale(0.001).now_tick(now) == tick


def test_a_ticks_time_reads_as_written() -> None:
    scale = TickScale(0.001)
    assert scale.seconds(7220) == 7.22
    assert scale.deadline_seconds(7.2200001) == 7.221
    assert scale.now_tick(scale.seconds(2**40)) == 2**40


def test_huge_deadlines_are_exact() -> None:
    scale = TickScale(0.001)
    tick = scale.deadline_tick(1e306)  # 1e306 * 1000 overflows a float; the tick does not
    assert tick == int(1e306) * 1000
    assert scale.seconds(tick) == 1e306


@pytest.mark.parametrize(
    ("resolution", "error"), [(0, ValueError), (2.0, ValueError), ("1ms", TypeError)]
)
def test_resolution_is_validated(resolution: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"^resolution must be"):
        TickScale(resolution)  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(TickScale(0.25)) == "TickScale(resolution=0.25)"


def test_never_early_where_floats_are_coarser_than_ticks() -> None:
    """Issue #8 item 10: at a 1e12 s origin a float step is 122 µs; a 1 µs tick's time must
    still never come before the deadline it stands for."""
    scale = TickScale(1e-6)
    when = 1e12 + 1.0
    tick = scale.deadline_tick(when)
    assert scale.seconds(tick) >= when
    assert scale.now_tick(when) >= tick > scale.now_tick(math.nextafter(when, 0.0))


def test_times_past_the_float_product_convert_exactly() -> None:
    scale = TickScale(0.001)
    tick = scale.now_tick(1e308)  # the last of the ticks whose time rounds to 1e308
    assert tick >= int(1e308) * 1000
    assert scale.seconds(tick) == 1e308 < scale.seconds(tick + 1)


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_times_are_refused(bad: float) -> None:
    scale = TickScale(0.001)
    with pytest.raises(ValueError, match=r"^when must be a finite time, got"):
        scale.deadline_tick(bad)
    with pytest.raises(ValueError, match=r"^now must be a finite time, got"):
        scale.now_tick(bad)


@pytest.mark.parametrize(
    ("resolution", "now"),
    [(1e-6, 1045076810085359.8), (1e-6, 1550118016632.2502), (0.0007, 3.3e13 * 1.37)],
    ids=["1e15-us", "1.5e12-us", "far-inexact-resolution"],
)
def test_now_tick_is_the_last_tick_at_or_before_now_where_floats_are_coarse(
    resolution: float, now: float
) -> None:
    scale = TickScale(resolution)
    tick = scale.now_tick(now)
    assert scale.seconds(tick) <= now < scale.seconds(tick + 1)
    assert tick == model_now_tick(now, scale.hz)


@example(resolution=1e-06, tick=-35_184_372_088_824, before=0.0)  # a hair past: one tick back
@given(
    resolution=st.sampled_from((1e-6, 1e-4, 0.001, 0.01, 0.25, 1.0)),
    tick=st.one_of(st.integers(-(2**45), 2**45), st.integers(-(2**70), 2**70)),
    before=st.floats(min_value=0.0, max_value=3.0),
)
def test_every_deadline_at_or_before_due_by_rounds_to_that_tick_or_earlier(
    resolution: float, tick: int, before: float
) -> None:
    scale = TickScale(resolution)
    due_by = scale.due_by(tick)
    assert scale.deadline_tick(due_by) <= tick
    earlier = due_by - before * resolution  # a tick or more before, or a hair
    assert scale.deadline_tick(earlier) <= tick
    assert scale.deadline_tick(math.nextafter(due_by, -math.inf)) <= tick


def test_due_by_gives_up_where_no_time_near_the_tick_rounds_to_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(TickScale, "deadline_tick", lambda _self, _when: 10**30)
    assert TickScale(0.001).due_by(5) == -math.inf


@pytest.mark.parametrize(
    "when",
    [10001099511.629776, 1e10 + 0.5e-6, 2.0**40 + 3e-6, 9007199254.740993],
    ids=["wheel-machine-ci", "half-tick", "2**40-s", "2**53-ticks"],
)
def test_deadline_tick_past_2_53_ticks_takes_a_tick_whose_time_is_when(when: float) -> None:
    # Found by the wheel's state machine under the ci profile: at 1 µs past 2**53 ticks the
    # scale skipped the check "this tick's own time is at or after `when`" and took the next
    # tick, so `deadline` reported a float one step later than the model.
    scale = TickScale(1e-6)
    tick = scale.deadline_tick(when)
    assert tick == model_deadline_tick(when, scale.hz)
    assert scale.seconds(tick) >= when  # never early
