"""Shared Hypothesis strategies and the tick arithmetic that timer tests compare against.

The helpers restate SPEC §11's rounding rule on their own (rather than calling the wheel), so a
test that uses them checks the wheel's conversions instead of trusting them.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

import pytest
from hypothesis import strategies as st

TICK_TOLERANCE: Final = 1e-9
"""SPEC §11: float noise within 1e-9 of a tick never adds a tick..."""
NOISE_ULPS: Final = 4
"""...and far from zero, where floats are coarser than that, noise within 4 ulps of the count,"""
MAX_NOISE: Final = 1e-3
"""...but never more than 1e-3 of a tick, so no deadline is ever rounded down a whole tick."""
SLOT_BITS: Final = 6
LEVELS: Final = 6
HORIZON: Final = 64**LEVELS
"""Ticks the six levels cover; later deadlines wait in the overflow heap."""

RESOLUTIONS: Final = (0.001, 1e-6, 1.0, 0.25, 0.003, 0.0007)
"""The default, both ends of the allowed range, an exact binary fraction, and two inexact ones."""
LEVEL_EDGES: Final = tuple(64**k + d for k in range(1, LEVELS + 1) for d in (-1, 0, 1))
"""Tick counts at every level boundary: 64**k - 1, 64**k and 64**k + 1 for k = 1..6."""


def hz_of(resolution: float) -> float:
    """Ticks per second, computed as the wheel does (``tick / hz`` is a tick's time)."""
    return 1.0 / resolution


def deadline_tick(when: float, hz: float) -> int:
    """The tick a deadline rounds up to: ``ceil(when * hz)`` forgiving float noise, but never
    to a tick whose own time comes before `when` by more than that noise (issue #8 item 10:
    where floats are coarser than ticks, the product can land ticks early)."""
    ticks = when * hz
    noise = max(TICK_TOLERANCE, min(NOISE_ULPS * math.ulp(ticks), MAX_NOISE))
    tick = math.ceil(ticks - noise)
    at = tick_time(tick, hz)
    if at >= when or (Fraction(when) - Fraction(at)) * Fraction(hz) <= noise + math.ulp(ticks) / 2:
        return tick
    return math.ceil(Fraction(when) * Fraction(hz))  # exact: its time is never before `when`


def now_tick(now: float, hz: float) -> int:
    """The last tick whose time (`tick_time`) is at or before `now`."""
    tick = math.floor(Fraction(now) * Fraction(hz))
    while tick_time(tick + 1, hz) <= now:
        tick += 1
    while tick_time(tick, hz) > now:
        tick -= 1
    return tick


def tick_time(tick: int, hz: float) -> float:
    """The clock time of `tick`: ``tick / hz`` correctly rounded to a float."""
    return float(Fraction(tick) / Fraction(hz))


resolutions: Final = st.sampled_from(RESOLUTIONS)


ROUNDING_CASES: Final = [
    pytest.param(*case, id=name)
    for name, case in [
        ("7.22-stays", (0.001, 0.0, 7.22, 7.22)),
        ("float-noise-adds-no-tick", (0.001, 0.0, 0.1 + 0.2, 0.3)),
        ("half-tick-up", (0.001, 0.0, 0.0005, 0.001)),
        ("just-past-tick-up", (0.001, 0.0, 0.0011, 0.002)),
        ("zero", (0.001, 0.0, 0, 0.0)),
        ("zero-between-ticks", (0.001, 1.0005, 0.0, 1.001)),
        ("zero-mid-tick-int-delay", (0.001, 2.0005, 0, 2.001)),
        ("quarter-seconds", (0.25, 0.0, 0.3, 0.5)),
        ("whole-seconds", (1.0, 0.0, 0.5, 1.0)),
        ("whole-seconds-later", (1.0, 10.0, 0.001, 11.0)),
        ("int-delay", (1.0, 0.0, 2, 2.0)),
        ("microseconds", (1e-6, 0.0, 1e-7, 1e-6)),
        ("microseconds-and-a-half", (1e-6, 0.0, 1.5e-6, 2e-6)),
        ("far-origin", (0.001, 2**40 * 0.001, 7.22, 2**40 * 0.001 + 7.22)),
    ]
]
"""``(resolution, start, delay, deadline)``: a delay from `start` and the rounded deadline it
must report, for the wheel on its own and through the Runtime alike."""
