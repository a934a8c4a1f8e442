"""LatencyHistogram: bucket edges, nearest-rank percentiles against a sorted list, bad input, summary."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kernel.instruments import LatencyHistogram, TickTiming
from kernel.instruments import histogram as histogram_module
from kernel.instruments.histogram import (
    BUCKET_COUNT,
    BUCKETS_PER_OCTAVE,
    HIGHEST_SECONDS,
    LOWEST_SECONDS,
    format_seconds,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

RATIO = 2.0 ** (1 / BUCKETS_PER_OCTAVE)
TOP_EDGE = LOWEST_SECONDS * 2.0**30
"""The top bucket's lower edge is one ratio below this."""
TOP_LOW = LOWEST_SECONDS * 2.0 ** ((BUCKET_COUNT - 1) / BUCKETS_PER_OCTAVE)

DURATIONS = st.floats(min_value=LOWEST_SECONDS, max_value=HIGHEST_SECONDS)
ANY_DURATIONS = st.one_of(
    DURATIONS, st.sampled_from([0.0, 5e-7, 999.0, 1000.0, 1500.0, 86_400.0]), st.integers(0, 5)
)
PHASES = st.sampled_from([None, "task", "timer", "event"])


def nearest_rank(values: list[float], p: float) -> float:
    """The model: the value at rank ceil(p/100 · n) (at least 1) of the sorted list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(Fraction(str(p)) * len(ordered) / 100))
    return ordered[rank - 1]


def edge(index: int) -> float:
    return float(LOWEST_SECONDS * 2.0 ** (index / BUCKETS_PER_OCTAVE))


# -- buckets ---------------------------------------------------------------------------------


def test_buckets_span_a_microsecond_to_a_thousand_seconds_at_ratio_2_to_the_eighth() -> None:
    assert BUCKET_COUNT == 240
    assert edge(BUCKET_COUNT - 1) < HIGHEST_SECONDS <= edge(BUCKET_COUNT)
    assert RATIO <= 2.0 ** (1 / 8)


def test_bucket_bounds_every_stored_edge_is_exact() -> None:
    for index in range(1, BUCKET_COUNT):
        low, high = LatencyHistogram.bucket_bounds(edge(index))
        assert low == edge(index), index
        assert LatencyHistogram.bucket_bounds(math.nextafter(low, 0.0))[1] == low, index
        if index < BUCKET_COUNT - 1:
            assert high == edge(index + 1), index


@pytest.mark.parametrize(
    ("seconds", "bounds"),
    [
        (0.0, (0.0, edge(1))),
        (1e-9, (0.0, edge(1))),
        (LOWEST_SECONDS, (0.0, edge(1))),
        (edge(1), (edge(1), edge(2))),
        (999.0, (TOP_LOW, math.inf)),
        (HIGHEST_SECONDS, (TOP_LOW, math.inf)),
        (TOP_EDGE, (TOP_LOW, math.inf)),
        (1e9, (TOP_LOW, math.inf)),
    ],
    ids=["zero", "nanosecond", "lowest", "second-edge", "999s", "1000s", "2^30us", "clamped-high"],
)
def test_bucket_bounds_clamp_to_the_end_buckets(
    seconds: float, bounds: tuple[float, float]
) -> None:
    assert LatencyHistogram.bucket_bounds(seconds) == bounds


@given(DURATIONS)
def test_bucket_bounds_hold_the_value_within_one_ratio(seconds: float) -> None:
    low, high = LatencyHistogram.bucket_bounds(seconds)
    assert low <= seconds < high
    if high != math.inf and low:
        assert high / low == pytest.approx(RATIO)


# -- percentiles -----------------------------------------------------------------------------


def test_percentile_is_the_upper_edge_of_the_ranked_bucket_capped_at_max() -> None:
    histogram = LatencyHistogram()
    for seconds in [edge(10), edge(20), edge(30)]:
        histogram.observe(seconds)
    assert histogram.percentile(0) == edge(11)  # rank 1: the first value's bucket's upper edge
    assert histogram.percentile(34) == edge(21)  # rank ceil(1.02) = 2
    assert histogram.percentile(33) == edge(11)  # rank ceil(0.99) = 1
    assert histogram.percentile(100) == edge(30)  # capped at the exact max
    assert histogram.max() == edge(30)
    assert histogram.count() == 3


def test_percentile_uses_the_decimal_p() -> None:
    histogram = LatencyHistogram()
    for index in range(1000):
        histogram.observe(edge(index % 200) if index < 999 else 500.0)
    # 99.9 % of 1000 is rank 999 exactly (a binary 99.9 * 10 would round up to rank 1000).
    assert histogram.percentile(99.9) < 500.0
    assert histogram.percentile(99.95) == 500.0


def test_percentile_of_an_empty_histogram_is_zero() -> None:
    histogram = LatencyHistogram()
    assert [histogram.percentile(p) for p in (0, 50, 100)] == [0.0, 0.0, 0.0]
    assert histogram.percentile(50, "task") == 0.0
    assert (histogram.count(), histogram.max(), histogram.count("task")) == (0, 0.0, 0)
    assert histogram.phases() == ()


def test_percentile_of_zero_durations_is_zero() -> None:
    histogram = LatencyHistogram()
    histogram.observe(0.0)
    histogram.observe(0)
    assert histogram.percentile(99) == 0.0
    assert histogram.count() == 2


def test_percentile_max_stays_exact_past_the_top_bucket() -> None:
    histogram = LatencyHistogram()
    histogram.observe(5000.0)
    histogram.observe(2000.0)
    assert histogram.max() == 5000.0
    assert histogram.percentile(50) == 5000.0  # the open-ended top bucket answers its max
    histogram._check()


@given(st.lists(DURATIONS, min_size=1, max_size=60), st.integers(0, 100) | st.floats(0, 100))
def test_percentile_is_within_one_ratio_above_the_nearest_rank(
    values: list[float], p: float
) -> None:
    histogram = LatencyHistogram()
    for seconds in values:
        histogram.observe(seconds)
    expected = nearest_rank(values, p)
    got = histogram.percentile(p)
    assert expected <= got <= expected * RATIO * (1 + 1e-12)
    assert histogram.percentile(100) == max(values) == histogram.max()


# -- phases, hooks, reset --------------------------------------------------------------------


@dataclass(frozen=True)
class FakeTickReport:
    """The part of kernel's tick report that the histogram reads."""

    seconds: float
    phase_seconds: Mapping[str, float] = field(default_factory=dict)


def test_hooks_record_ticks_and_callbacks_per_phase() -> None:
    histogram = LatencyHistogram()
    report: TickTiming = FakeTickReport(0.004, {"task": 0.003})
    histogram.after_tick(report)
    histogram.after_callback("task", "autosave", 0.002, None)
    histogram.after_callback("timer", "blink", 0.0001, None)
    histogram.after_callback("task", "lint", 0.001, ValueError("bad"))
    assert histogram.phases() == ("task", "timer")
    assert (histogram.count(), histogram.max()) == (1, 0.004)
    assert (histogram.count("task"), histogram.max("task")) == (2, 0.002)
    assert (histogram.count("timer"), histogram.max("timer")) == (1, 0.0001)
    assert histogram.count("event") == 0
    assert histogram.phases() == ("task", "timer")  # reading a phase does not create it
    histogram._check()


def test_reset_forgets_everything() -> None:
    histogram = LatencyHistogram()
    histogram.observe(0.5)
    histogram.observe(0.25, "io")
    histogram.reset()
    assert (histogram.count(), histogram.max(), histogram.phases()) == (0, 0.0, ())
    assert histogram.count("io") == 0
    assert repr(histogram) == "<LatencyHistogram ticks=0 phases=0>"
    histogram._check()


class HistogramModel(RuleBasedStateMachine):
    """LatencyHistogram against plain lists of observations, per tick and per phase."""

    def __init__(self) -> None:
        super().__init__()
        self.histogram = LatencyHistogram()
        self.model: dict[str | None, list[float]] = {}

    @rule(seconds=ANY_DURATIONS, phase=PHASES)
    def observe(self, seconds: float, phase: str | None) -> None:
        self.histogram.observe(seconds, phase)
        self.model.setdefault(phase, []).append(seconds)

    @rule()
    def reset(self) -> None:
        self.histogram.reset()
        self.model.clear()

    @precondition(lambda self: bool(self.model))
    @rule(p=st.integers(0, 100) | st.floats(0, 100), data=st.data())
    def percentile(self, p: float, data: st.DataObject) -> None:
        phase = data.draw(st.sampled_from(sorted(self.model, key=str)))
        values = self.model[phase]
        expected = nearest_rank(values, p)
        got = self.histogram.percentile(p, phase)
        assert expected <= got <= max(values)
        if LOWEST_SECONDS <= expected < TOP_LOW:
            assert got <= expected * RATIO * (1 + 1e-12)
        elif expected < LOWEST_SECONDS:
            assert got <= edge(1)

    @invariant()
    def matches_model(self) -> None:
        self.histogram._check()
        assert self.histogram.phases() == tuple(p for p in self.model if p is not None)
        for phase in [None, "task", "timer", "event"]:
            values = self.model.get(phase, [])
            assert self.histogram.count(phase) == len(values)
            assert self.histogram.max(phase) == max(values, default=0.0)


TestHistogramModel = HistogramModel.TestCase
TestHistogramModel.settings = settings(stateful_step_count=25)  # runs grow lists; 25 suffice


# -- bad input -------------------------------------------------------------------------------


BAD_CALLS = [
    ("observe", (True,), TypeError, r"^seconds must be a number, got True$"),
    ("observe", ("1",), TypeError, r"^seconds must be a number, got '1'$"),
    ("observe", (-0.001,), ValueError, r"^seconds must be finite and >= 0, got -0\.001$"),
    ("observe", (math.nan,), ValueError, r"^seconds must be finite and >= 0, got nan$"),
    ("observe", (math.inf,), ValueError, r"^seconds must be finite and >= 0, got inf$"),
    ("observe", (0.1, 3), TypeError, r"^phase must be a str or None, got 3$"),
    ("observe", (0.1, ["task"]), TypeError, r"^phase must be a str or None, got \['task'\]$"),
    ("observe", (0.1, ""), ValueError, r"^phase must not be empty, got ''$"),
    ("percentile", (-1,), ValueError, r"^p must be from 0 to 100, got -1$"),
    ("percentile", (100.5,), ValueError, r"^p must be from 0 to 100, got 100\.5$"),
    ("percentile", (math.nan,), ValueError, r"^p must be from 0 to 100, got nan$"),
    ("percentile", (False,), TypeError, r"^p must be a number from 0 to 100, got False$"),
    ("percentile", ("50",), TypeError, r"^p must be a number from 0 to 100, got '50'$"),
    ("percentile", (50, 1), TypeError, r"^phase must be a str or None, got 1$"),
    ("count", (b"task",), TypeError, r"^phase must be a str or None, got b'task'$"),
    ("max", ("",), ValueError, r"^phase must not be empty, got ''$"),
    ("bucket_bounds", (-1.0,), ValueError, r"^seconds must be finite and >= 0, got -1\.0$"),
]


@pytest.mark.parametrize(
    ("method", "args", "error", "match"),
    BAD_CALLS,
    ids=[f"{method}{args!r}" for method, args, _, _ in BAD_CALLS],
)
def test_bad_input_raises_and_records_nothing(
    method: str, args: tuple[object, ...], error: type[Exception], match: str
) -> None:
    histogram = LatencyHistogram()
    histogram.observe(0.002, "task")
    with pytest.raises(error, match=match):
        getattr(histogram, method)(*args)
    assert (histogram.count(), histogram.phases(), histogram.count("task")) == (0, ("task",), 1)
    histogram._check()


# -- summary ---------------------------------------------------------------------------------


def test_summary_table_rows_for_ticks_then_phases_with_units() -> None:
    histogram = LatencyHistogram()
    for seconds in [0.001, 0.002, 0.0005, 1.5]:
        histogram.observe(seconds)
    histogram.observe(0.00002, "task")
    histogram.observe(0.00001, "task")
    histogram.observe(0.0003, "timer")
    assert histogram.summary() == (
        "phase  count      p50      p90      p99      max\n"
        "tick       4  1.02 ms   1.50 s   1.50 s   1.50 s\n"
        "task       2  10.4 µs  20.0 µs  20.0 µs  20.0 µs\n"
        "timer      1   300 µs   300 µs   300 µs   300 µs"
    )


def test_summary_of_an_empty_histogram_shows_dashes() -> None:
    assert LatencyHistogram().summary() == (
        "phase  count  p50  p90  p99  max\ntick       0    -    -    -    -"
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.0, "0"),
        (5e-7, "0.500 µs"),
        (1e-6, "1.00 µs"),
        (1.234e-5, "12.3 µs"),
        (0.000999, "999 µs"),
        (0.0009996, "1.00 ms"),
        (0.0123, "12.3 ms"),
        (0.99996, "1.00 s"),
        (12.345, "12.3 s"),
        (1234.5, "1230 s"),
    ],
    ids=lambda value: repr(value),
)
def test_format_seconds_three_figures_with_a_unit(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


@pytest.mark.parametrize("shift", [0.5, -0.5], ids=["estimate-low", "estimate-high"])
def test_bucket_index_corrects_a_logarithm_off_by_one(
    shift: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stored edges decide, not the logarithm: an estimate half a bucket off still lands."""
    monkeypatch.setattr(histogram_module, "_LOG2_LOWEST", math.log2(LOWEST_SECONDS) + shift / 8)
    for index in range(1, BUCKET_COUNT - 1):
        middle = edge(index) * 2.0 ** (0.5 / BUCKETS_PER_OCTAVE)
        for seconds in (edge(index), middle, math.nextafter(edge(index + 1), 0.0)):
            assert LatencyHistogram.bucket_bounds(seconds)[0] == edge(index), (index, seconds)
