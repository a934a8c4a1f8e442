"""`GrainScale`: clock seconds to integer timer grains and back (docs/timer_wheel.md, "Time in grains").

A deadline rounds **up** to the next grain and a time rounds **down**, so a timer never fires
before its deadline. Grain ``k`` happens at ``k / hz`` seconds (``hz = 1 / resolution``): for a
resolution like 0.001 that division is exact where ``k * resolution`` is not, so deadlines read as
written (7.22, not 7.2200…01).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final, final

from kernel._core.config import check_resolution

__all__ = ["GRAIN_TOLERANCE", "GrainScale"]

GRAIN_TOLERANCE: Final = 1e-9
"""Of a grain (SPEC §11): float noise in ``now + delay`` must not push a deadline to the next grain."""
_NOISE_ULPS: Final = 4
"""Far from zero the noise outgrows 1e-9 of a grain: forgive this many ulps of the grain count."""
_EXACT_GRAINS: Final = 2**20
"""Below this many grains, 4 ulps of the grain count are under 1e-9 of a grain."""
_FLOAT_INTS: Final = 2**53
"""Grains below this convert to a float exactly, so ``grain / hz`` rounds once."""
_DUE_BY_STEPS: Final = 4
"""Floats `due_by` steps back from a grain's time before giving up (one is the most seen)."""
_MAX_NOISE: Final = 1e-3
"""Never forgive more than this much of a grain: past ~2**40 grains floats cannot tell grains apart
well, and rounding a deadline down by a whole ulp there would fire it a grain early."""


@final
class GrainScale:
    """Converts between clock seconds and grains of `resolution` seconds. Immutable.

    Args:
        resolution: seconds per grain, in ``[1e-6, 1.0]``.

    Raises:
        TypeError: `resolution` is not a number.
        ValueError: `resolution` is outside ``[1e-6, 1.0]`` or not finite.
    """

    __slots__ = ("hz", "resolution")

    def __init__(self, resolution: float) -> None:
        check_resolution(resolution, "resolution")
        self.resolution = resolution
        self.hz = 1.0 / resolution
        """Grains per second; grain ``k`` happens at ``k / hz``."""

    def deadline_grain(self, when: float) -> int:
        """The grain a deadline rounds up to: ``ceil`` of its grain count, forgiving float noise.

        The noise forgiven is 1e-9 of a grain (SPEC §11) or, far from zero where float spacing is
        coarser than that, 4 ulps of the grain count, at most 1e-3 of a grain: 7.22 s at 1 ms is
        grain 7220 at any clock origin, never 7221. Never early, absolutely: the grain's own clock
        time (`seconds`) is never before `when` by more than that noise, even where floats
        are coarser than grains (a 1 µs grain at a 1e12 s origin) and the product ``when * hz``
        lands grains away from the truth; then the grain comes from the clock's own value.

        Raises:
            ValueError: `when` is not finite.
        """
        hz = self.hz
        grains = when * hz
        if -_EXACT_GRAINS < grains < _EXACT_GRAINS:
            noise = GRAIN_TOLERANCE
        else:
            noise = _NOISE_ULPS * math.ulp(grains)
            if noise > _MAX_NOISE:
                noise = _MAX_NOISE
        try:
            grain = math.ceil(grains - noise)
        except (OverflowError, ValueError):
            # Any finite delay is accepted (SPEC §11); past ~1.8e305 s at 1 ms ``when * hz`` is
            # infinite, but the exact product still names the grain (below).
            pass
        else:
            # The grain's own clock time, correctly rounded (`seconds`: exact past 2**53 grains too).
            at = grain / hz if -_FLOAT_INTS < grain < _FLOAT_INTS else self.seconds(grain)
            # Forgiven: the noise, plus the product's own rounding (half an ulp of it).
            if at >= when or (when - at) * hz <= noise + 0.5 * math.ulp(grains):
                return grain
        # Floats could not tell the grains apart: the exact product names the grain. Its exact time
        # is at or after `when`, so its time correctly rounded is too (`when` is a float).
        return _exact_grains(when, hz, "when", up=True)

    def now_grain(self, now: float) -> int:
        """The last grain whose time (`seconds`) is at or before `now`.

        Raises:
            ValueError: `now` is not finite.
        """
        hz = self.hz
        try:
            grain = math.floor(now * hz)
        except (OverflowError, ValueError):
            grain = _exact_grains(now, hz, "now")
        else:
            if -_FLOAT_INTS < grain < _FLOAT_INTS - 1 and grain / hz <= now < (grain + 1) / hz:
                return grain  # the common case: the product was close enough
        return self._first_grain_at_or_after(grain, now, after=True) - 1

    def seconds(self, grain: int) -> float:
        """The clock time of `grain`: ``grain / hz``, correctly rounded to a float.

        Non-decreasing in `grain`, so "the grain's time is at or before now" orders like the grains.
        """
        if -_FLOAT_INTS < grain < _FLOAT_INTS:
            return grain / self.hz  # the int converts exactly: one rounding
        # Past 2**53 grains `grain / hz` would round the grain to a float first: divide exactly.
        return float(Fraction(grain) / Fraction(self.hz))

    def _first_grain_at_or_after(self, estimate: int, when: float, *, after: bool = False) -> int:
        """The first grain whose time is at or after `when` (strictly after if `after`).

        Gallops from `estimate` and bisects: O(log distance) conversions. Used only where
        floats cannot tell grains apart (or the product overflowed), so the estimate is close.
        """
        seconds = self.seconds

        def reached(grain: int) -> bool:
            at = seconds(grain)
            return at > when if after else at >= when

        if reached(estimate):
            high, step = estimate, 1
            while reached(estimate - step):
                high = estimate - step
                step *= 2
            low = estimate - step  # not reached
        else:
            low, step = estimate, 1
            while not reached(estimate + step):
                low = estimate + step
                step *= 2
            high = estimate + step  # reached
        while high - low > 1:
            middle = (low + high) // 2
            if reached(middle):
                high = middle
            else:
                low = middle
        return high

    def due_by(self, grain: int) -> float:
        """A time such that every deadline at or before it rounds to `grain` or earlier.

        Usually `seconds` of `grain`: a deadline on a grain's own time rounds to that grain. Where
        that float lies a hair past the exact time (far from zero), a float or two before it;
        -inf if even that does not do (nothing is then decided by comparison alone).
        `deadline_grain` never decreases as the deadline grows, so the wheel decides most timers
        of a slot with one float comparison against this time and converts only the others.
        """
        at = self.seconds(grain)
        for _ in range(_DUE_BY_STEPS):
            if self.deadline_grain(at) <= grain:
                return at
            at = math.nextafter(at, -math.inf)
        return -math.inf

    def deadline_seconds(self, when: float) -> float:
        """A deadline rounded up to its grain, in clock seconds (what `TimerHandle.deadline` says)."""
        return self.seconds(self.deadline_grain(when))

    def __repr__(self) -> str:
        return f"GrainScale(resolution={self.resolution!r})"


def _exact_grains(time: float, hz: float, name: str, *, up: bool = False) -> int:
    """``floor(time * hz)`` (``ceil`` if `up`) computed exactly, where floats cannot tell grains
    apart.

    Raises:
        ValueError: `time` is not finite.
    """
    if not math.isfinite(time):
        msg = f"{name} must be a finite time, got {time!r}"
        raise ValueError(msg)
    exact = Fraction(time) * Fraction(hz)
    return math.ceil(exact) if up else math.floor(exact)
