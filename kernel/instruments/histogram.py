"""`LatencyHistogram`: tick and per-phase callback durations in fixed log-spaced buckets.

See docs/observability.md for how to read it and what its percentiles promise.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Final, Protocol, final

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = [
    "BUCKETS_PER_OCTAVE",
    "BUCKET_COUNT",
    "HIGHEST_SECONDS",
    "LOWEST_SECONDS",
    "LatencyHistogram",
    "TickTiming",
    "format_seconds",
]

LOWEST_SECONDS: Final = 1e-6
"""The lower edge of the first bucket: a microsecond, below what a Python callback can take."""
HIGHEST_SECONDS: Final = 1e3
"""Durations up to here keep the bucket precision; a callback this long is a hang, not latency."""
BUCKETS_PER_OCTAVE: Final = 8
"""Edges grow by 2^(1/8) ≈ 1.0905: a percentile is within 9.05% of the observation it stands for."""
BUCKET_COUNT: Final = math.ceil(BUCKETS_PER_OCTAVE * math.log2(HIGHEST_SECONDS / LOWEST_SECONDS))
"""240 buckets span 1 µs to 1,000 s (the top edge is 2^30 µs ≈ 1,073.7 s)."""

_EDGES: Final[tuple[float, ...]] = tuple(
    LOWEST_SECONDS * 2.0 ** (i / BUCKETS_PER_OCTAVE) for i in range(BUCKET_COUNT)
)
"""``_EDGES[i]`` is the lower edge of bucket ``i``; bucket ``i`` holds ``[_EDGES[i], _EDGES[i+1])``."""
_UPPER: Final[tuple[float, ...]] = (*_EDGES[1:], math.inf)
"""``_UPPER[i]`` is the upper edge of bucket ``i``; the top bucket is open-ended (values clamp)."""
_LOG2_LOWEST: Final = math.log2(LOWEST_SECONDS)
"""Subtracted from a duration's log2 to give its bucket index over `BUCKETS_PER_OCTAVE`."""
_TICK: Final = "tick"
"""The summary's row name for tick durations."""
_SUMMARY_PERCENTILES: Final = (50, 90, 99)
"""The summary's columns: the typical tick, the slow one, and the one users notice."""


class TickTiming(Protocol):
    """What `LatencyHistogram.after_tick` reads from a tick report (`kernel.TickReport` has it)."""

    @property
    def seconds(self) -> float:
        """The tick's duration in seconds."""
        ...


@final
class _Series:
    """One histogram: bucket counts, the number of observations and the exact maximum."""

    __slots__ = ("buckets", "count", "max")

    def __init__(self) -> None:
        self.buckets = [0] * BUCKET_COUNT
        self.count = 0
        self.max = 0.0


@final
class LatencyHistogram:
    """Duration histograms: one for ticks, one per phase for the callbacks that ran in it.

    An instrument (SPEC §14): added with ``rt.add_instrument(histogram)``, it records each tick's
    duration from `after_tick` and each callback's duration, under its phase (``"task"``,
    ``"timer"``, ``"event"``, ...), from `after_callback`. It can also be fed directly with
    `observe`. It never reads the time itself.

    Buckets are fixed and log-spaced: bucket ``i`` holds ``[1 µs · 2^(i/8), 1 µs · 2^((i+1)/8))``,
    240 of them up to 2^30 µs ≈ 1,073.7 s. A duration below 1 µs counts in the first bucket, one at
    or above the top bucket's lower edge (≈ 984.4 s) in the top bucket; `max` stays exact.

    Every query for a phase that was never observed answers as for an empty histogram. Not
    thread-safe: use it on the thread that drives the runtime (where the hooks run).

    Memory: 240 counters per phase observed, plus the tick's.
    """

    __slots__ = ("_phases", "_ticks")

    def __init__(self) -> None:
        self._ticks = _Series()
        self._phases: dict[str, _Series] = {}

    # -- recording ------------------------------------------------------------------------------

    def observe(self, seconds: float, phase: str | None = None) -> None:
        """Record one duration: a tick's if `phase` is None, else one callback's in `phase`.

        O(1): the bucket index comes from a logarithm, not a search.

        Raises:
            TypeError: `seconds` is not an int or float (or is a bool); `phase` is not a str.
            ValueError: `seconds` is negative or not finite; `phase` is empty. Nothing is
                recorded.
        """
        _check_seconds(seconds)
        series = self._ticks if phase is None else self._phase_series(phase, create=True)
        series.buckets[_bucket_index(seconds)] += 1
        series.count += 1
        if seconds > series.max:
            series.max = float(seconds)

    def after_tick(self, report: TickTiming) -> None:
        """Instrument hook: record the tick's duration, ``report.seconds``.

        The phases' rows come from `after_callback`, one observation per callback, so the
        report's per-phase totals are not read: nothing is counted twice.
        """
        self.observe(report.seconds)

    def after_callback(
        self, phase: str, callback: str, seconds: float, error: BaseException | None
    ) -> None:
        """Instrument hook: record one callback's duration under `phase` (failed ones too)."""
        del callback, error  # latency is the same whoever ran and however it ended
        self.observe(seconds, phase)

    def reset(self) -> None:
        """Forget every observation and every phase name."""
        self._ticks = _Series()
        self._phases.clear()

    def _phase_series(self, phase: object, *, create: bool) -> _Series:
        """`phase`'s series; a new one (kept if `create`) the first time a valid name is seen."""
        series = self._phases.get(phase) if isinstance(phase, str) else None
        if series is None:
            name = _checked_phase(phase)
            series = _Series()
            if create:
                self._phases[name] = series
        return series

    # -- reading --------------------------------------------------------------------------------

    def percentile(self, p: float, phase: str | None = None) -> float:
        """The `p`-th percentile (0 to 100, nearest rank) of ticks, or of `phase`'s callbacks.

        Nearest rank: the observation at rank ``max(1, ceil(p / 100 · count))`` in sorted order
        (`p` read as the decimal it prints as, so 99.9 means 0.999). The answer is the upper edge
        of that observation's bucket, capped at the exact maximum: never below the observation
        and at most 2^(1/8) times it (for observations from 1 µs up to ≈ 984.4 s; below 1 µs, at
        most the first bucket's upper edge, ≈ 1.09 µs). ``percentile(100)`` is the exact `max`.
        An empty histogram answers 0.0.

        O(buckets) = O(240).

        Raises:
            TypeError: `p` is not an int or float (or is a bool); `phase` is not a str or None.
            ValueError: `p` is outside [0, 100] or not finite.
        """
        _check_percent(p)
        series = self._series(phase)
        if series.count == 0:
            return 0.0
        rank = max(1, math.ceil(Fraction(str(p)) * series.count / 100))
        seen = 0
        for index, count in enumerate(series.buckets):
            seen += count
            if seen >= rank:
                return min(_UPPER[index], series.max)
        raise AssertionError("unreachable: the bucket counts add up to count")  # pragma: no cover

    def count(self, phase: str | None = None) -> int:
        """How many ticks were recorded, or callbacks in `phase`. O(1).

        Raises:
            TypeError: `phase` is not a str or None.
        """
        return self._series(phase).count

    def max(self, phase: str | None = None) -> float:
        """The longest tick recorded, or callback in `phase`, exactly; 0.0 when empty. O(1).

        Raises:
            TypeError: `phase` is not a str or None.
        """
        return self._series(phase).max

    def phases(self) -> tuple[str, ...]:
        """The phase names observed since the last `reset`, in the order first observed."""
        return tuple(self._phases)

    def summary(self) -> str:
        """A text table: a row for ticks, then one per phase; count, p50, p90, p99 and max.

        Durations carry their unit (µs, ms or s); an empty row shows ``-``. Lines end without
        trailing spaces; the text ends without a newline.
        """
        rows = [("phase", "count", *(f"p{p}" for p in _SUMMARY_PERCENTILES), "max")]
        for name, series in self._named_series():
            if series.count == 0:
                values = ["-"] * (len(_SUMMARY_PERCENTILES) + 1)
            else:
                phase = None if series is self._ticks else name
                values = [
                    *(format_seconds(self.percentile(p, phase)) for p in _SUMMARY_PERCENTILES),
                    format_seconds(series.max),
                ]
            rows.append((name, str(series.count), *values))
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        return "\n".join(
            "  ".join(
                [row[0].ljust(widths[0])]
                + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            )
            for row in rows
        )

    def _named_series(self) -> Iterator[tuple[str, _Series]]:
        yield _TICK, self._ticks
        yield from self._phases.items()

    def _series(self, phase: str | None) -> _Series:
        return self._ticks if phase is None else self._phase_series(phase, create=False)

    def _check(self) -> None:
        """Assert the invariants: counts add up, the max lies in the highest non-empty bucket."""
        for _, series in self._named_series():
            assert sum(series.buckets) == series.count
            assert series.max >= 0.0
            if series.count:
                top = max(i for i, n in enumerate(series.buckets) if n)
                assert _bucket_index(series.max) == top
            else:
                assert series.max == 0.0

    def __repr__(self) -> str:
        return f"<LatencyHistogram ticks={self._ticks.count} phases={len(self._phases)}>"

    @staticmethod
    def bucket_bounds(seconds: float) -> tuple[float, float]:
        """The ``[low, high)`` edges of the bucket that `seconds` counts in.

        The first bucket's low edge is 0.0 (durations below 1 µs clamp into it) and the top
        bucket's high edge is infinity (durations past it clamp into it).

        Raises:
            TypeError / ValueError: as `observe`.
        """
        _check_seconds(seconds)
        index = _bucket_index(seconds)
        return (0.0 if index == 0 else _EDGES[index]), _UPPER[index]


def _bucket_index(seconds: float) -> int:
    """The bucket of a finite, non-negative duration, in O(1).

    The logarithm gives the index up to rounding; one comparison with the stored edges each
    way makes values exactly on an edge land in the bucket that edge opens.
    """
    if seconds < _EDGES[1]:
        return 0
    if seconds >= _EDGES[-1]:
        return BUCKET_COUNT - 1
    index = int((math.log2(seconds) - _LOG2_LOWEST) * BUCKETS_PER_OCTAVE)
    if seconds < _EDGES[index]:
        return index - 1
    if seconds >= _UPPER[index]:
        return index + 1
    return index


def _check_seconds(seconds: object) -> None:
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        msg = f"seconds must be a number, got {seconds!r}"
        raise TypeError(msg)
    if not (seconds >= 0.0 and math.isfinite(seconds)):
        msg = f"seconds must be finite and >= 0, got {seconds!r}"
        raise ValueError(msg)


def _check_percent(p: object) -> None:
    if not isinstance(p, int | float) or isinstance(p, bool):
        msg = f"p must be a number from 0 to 100, got {p!r}"
        raise TypeError(msg)
    if not 0.0 <= p <= 100.0:  # also rejects NaN
        msg = f"p must be from 0 to 100, got {p!r}"
        raise ValueError(msg)


def _checked_phase(phase: object) -> str:
    if not isinstance(phase, str):
        msg = f"phase must be a str or None, got {phase!r}"
        raise TypeError(msg)
    if not phase:
        msg = f"phase must not be empty, got {phase!r}"
        raise ValueError(msg)
    return phase


def format_seconds(seconds: float) -> str:
    """`seconds` as short text with a unit: ``"0"``, ``"12.3 µs"``, ``"4.56 ms"``, ``"1.20 s"``.

    Three significant figures (µs below a millisecond, ms below a second, else s); values below
    1 µs print in µs too (``"0.500 µs"``).
    """
    if seconds == 0.0:
        return "0"
    for scale, unit in ((1e-6, "µs"), (1e-3, "ms")):
        value = seconds / scale
        if float(f"{value:.3g}") < 1000.0:
            return f"{_three_figures(value)} {unit}"
    return f"{_three_figures(seconds)} s"


def _three_figures(value: float) -> str:
    value = float(f"{value:.3g}")
    if value >= 100.0:
        return f"{value:.0f}"
    if value >= 10.0:
        return f"{value:.1f}"
    if value >= 1.0:
        return f"{value:.2f}"
    return f"{value:.3f}"
