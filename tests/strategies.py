"""Shared Hypothesis strategies and the grain arithmetic that timer tests compare against.

The helpers restate SPEC §11's rounding rule on their own (rather than calling the wheel), so a
test that uses them checks the wheel's conversions instead of trusting them.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final

import pytest
from hypothesis import strategies as st

GRAIN_TOLERANCE: Final = 1e-9
"""SPEC §11: float noise within 1e-9 of a grain never adds a grain..."""
NOISE_ULPS: Final = 4
"""...and far from zero, where floats are coarser than that, noise within 4 ulps of the count,"""
MAX_NOISE: Final = 1e-3
"""...but never more than 1e-3 of a grain, so no deadline is ever rounded down a whole grain."""
SLOT_BITS: Final = 6
LEVELS: Final = 6
HORIZON: Final = 64**LEVELS
"""Grains the six levels cover; later deadlines wait in the overflow heap."""

RESOLUTIONS: Final = (0.001, 1e-6, 1.0, 0.25, 0.003, 0.0007)
"""The default, both ends of the allowed range, an exact binary fraction, and two inexact ones."""
LEVEL_EDGES: Final = tuple(64**k + d for k in range(1, LEVELS + 1) for d in (-1, 0, 1))
"""Grain counts at every level boundary: 64**k - 1, 64**k and 64**k + 1 for k = 1..6."""


def hz_of(resolution: float) -> float:
    """Grains per second, computed as the wheel does (``grain / hz`` is a grain's time)."""
    return 1.0 / resolution


def deadline_grain(when: float, hz: float) -> int:
    """The grain a deadline rounds up to: ``ceil(when * hz)`` forgiving float noise, but never
    to a grain whose own time comes before `when` by more than that noise (issue #8 item 10:
    where floats are coarser than grains, the product can land grains early)."""
    grains = when * hz
    noise = max(GRAIN_TOLERANCE, min(NOISE_ULPS * math.ulp(grains), MAX_NOISE))
    grain = math.ceil(grains - noise)
    at = grain_time(grain, hz)
    if at >= when or (Fraction(when) - Fraction(at)) * Fraction(hz) <= noise + math.ulp(grains) / 2:
        return grain
    return math.ceil(Fraction(when) * Fraction(hz))  # exact: its time is never before `when`


def now_grain(now: float, hz: float) -> int:
    """The last grain whose time (`grain_time`) is at or before `now`."""
    grain = math.floor(Fraction(now) * Fraction(hz))
    while grain_time(grain + 1, hz) <= now:
        grain += 1
    while grain_time(grain, hz) > now:
        grain -= 1
    return grain


def grain_time(grain: int, hz: float) -> float:
    """The clock time of `grain`: ``grain / hz`` correctly rounded to a float."""
    return float(Fraction(grain) / Fraction(hz))


resolutions: Final = st.sampled_from(RESOLUTIONS)


ROUNDING_CASES: Final = [
    pytest.param(*case, id=name)
    for name, case in [
        ("7.22-stays", (0.001, 0.0, 7.22, 7.22)),
        ("float-noise-adds-no-grain", (0.001, 0.0, 0.1 + 0.2, 0.3)),
        ("half-grain-up", (0.001, 0.0, 0.0005, 0.001)),
        ("just-past-grain-up", (0.001, 0.0, 0.0011, 0.002)),
        ("zero", (0.001, 0.0, 0, 0.0)),
        ("zero-between-grains", (0.001, 1.0005, 0.0, 1.001)),
        ("zero-mid-grain-int-delay", (0.001, 2.0005, 0, 2.001)),
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
