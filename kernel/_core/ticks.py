"""`TickScale`: clock seconds to integer timer ticks and back (docs/timer_wheel.md, "Ticks").

A deadline rounds **up** to the next tick and a time rounds **down**, so a timer never fires
before its deadline. Tick ``k`` happens at ``k / hz`` seconds (``hz = 1 / resolution``): for a
resolution like 0.001 that division is exact where ``k * resolution`` is not, so deadlines read as
written (7.22, not 7.2200…01).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Final, final

from kernel._core.config import check_resolution

__all__ = ["TICK_TOLERANCE", "TickScale"]

TICK_TOLERANCE: Final = 1e-9
"""Of a tick (SPEC §11): float noise in ``now + delay`` must not push a deadline to the next tick."""
_NOISE_ULPS: Final = 4
"""Far from zero the noise outgrows 1e-9 of a tick: forgive this many ulps of the tick count."""
_EXACT_TICKS: Final = 2**20
"""Below this many ticks, 4 ulps of the tick count are under 1e-9 of a tick."""
_FLOAT_INTS: Final = 2**53
"""Ticks below this convert to a float exactly, so ``tick / hz`` rounds once."""
_DUE_BY_STEPS: Final = 4
"""Floats `due_by` steps back from a tick's time before giving up (one is the most seen)."""
_MAX_NOISE: Final = 1e-3
"""Never forgive more than this much of a tick: past ~2**40 ticks floats cannot tell ticks apart
well, and rounding a deadline down by a whole ulp there would fire it a tick early."""


@final
class TickScale:
    """Converts between clock seconds and ticks of `resolution` seconds. Immutable.

    Args:
        resolution: seconds per tick, in ``[1e-6, 1.0]``.

    Raises:
        TypeError: `resolution` is not a number.
        ValueError: `resolution` is outside ``[1e-6, 1.0]`` or not finite.
    """

    __slots__ = ("hz", "resolution")

    def __init__(self, resolution: float) -> None:
        check_resolution(resolution, "resolution")
        self.resolution = resolution
        self.hz = 1.0 / resolution
        """Ticks per second; tick ``k`` happens at ``k / hz``."""

    def deadline_tick(self, when: float) -> int:
        """The tick a deadline rounds up to: ``ceil`` of its tick count, forgiving float noise.

        The noise forgiven is 1e-9 of a tick (SPEC §11) or, far from zero where float spacing is
        coarser than that, 4 ulps of the tick count, at most 1e-3 of a tick: 7.22 s at 1 ms is
        tick 7220 at any clock origin, never 7221. Never early, absolutely: the tick's own clock
        time (`seconds`) is never before `when` by more than that noise, even where floats
        are coarser than ticks (a 1 µs tick at a 1e12 s origin) and the product ``when * hz``
        lands ticks away from the truth; then the tick comes from the clock's own value.

        Raises:
            ValueError: `when` is not finite.
        """
        hz = self.hz
        ticks = when * hz
        if -_EXACT_TICKS < ticks < _EXACT_TICKS:
            noise = TICK_TOLERANCE
        else:
            noise = _NOISE_ULPS * math.ulp(ticks)
            if noise > _MAX_NOISE:
                noise = _MAX_NOISE
        try:
            tick = math.ceil(ticks - noise)
        except (OverflowError, ValueError):
            # Any finite delay is accepted (SPEC §11); past ~1.8e305 s at 1 ms ``when * hz`` is
            # infinite, but the exact product still names the tick (below).
            pass
        else:
            # The tick's own clock time, correctly rounded (`seconds`: exact past 2**53 ticks too).
            at = tick / hz if -_FLOAT_INTS < tick < _FLOAT_INTS else self.seconds(tick)
            # Forgiven: the noise, plus the product's own rounding (half an ulp of it).
            if at >= when or (when - at) * hz <= noise + 0.5 * math.ulp(ticks):
                return tick
        # Floats could not tell the ticks apart: the exact product names the tick. Its exact time
        # is at or after `when`, so its time correctly rounded is too (`when` is a float).
        return _exact_ticks(when, hz, "when", up=True)

    def now_tick(self, now: float) -> int:
        """The last tick whose time (`seconds`) is at or before `now`.

        Raises:
            ValueError: `now` is not finite.
        """
        hz = self.hz
        try:
            tick = math.floor(now * hz)
        except (OverflowError, ValueError):
            tick = _exact_ticks(now, hz, "now")
        else:
            if -_FLOAT_INTS < tick < _FLOAT_INTS - 1 and tick / hz <= now < (tick + 1) / hz:
                return tick  # the common case: the product was close enough
        return self._first_tick_at_or_after(tick, now, after=True) - 1

    def seconds(self, tick: int) -> float:
        """The clock time of `tick`: ``tick / hz``, correctly rounded to a float.

        Non-decreasing in `tick`, so "the tick's time is at or before now" orders like the ticks.
        """
        if -_FLOAT_INTS < tick < _FLOAT_INTS:
            return tick / self.hz  # the int converts exactly: one rounding
        # Past 2**53 ticks `tick / hz` would round the tick to a float first: divide exactly.
        return float(Fraction(tick) / Fraction(self.hz))

    def _first_tick_at_or_after(self, estimate: int, when: float, *, after: bool = False) -> int:
        """The first tick whose time is at or after `when` (strictly after if `after`).

        Gallops from `estimate` and bisects: O(log distance) conversions. Used only where
        floats cannot tell ticks apart (or the product overflowed), so the estimate is close.
        """
        seconds = self.seconds

        def reached(tick: int) -> bool:
            at = seconds(tick)
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

    def due_by(self, tick: int) -> float:
        """A time such that every deadline at or before it rounds to `tick` or earlier.

        Usually `seconds` of `tick`: a deadline on a tick's own time rounds to that tick. Where
        that float lies a hair past the exact time (far from zero), a float or two before it;
        -inf if even that does not do (nothing is then decided by comparison alone).
        `deadline_tick` never decreases as the deadline grows, so the wheel decides most timers
        of a slot with one float comparison against this time and converts only the others.
        """
        at = self.seconds(tick)
        for _ in range(_DUE_BY_STEPS):
            if self.deadline_tick(at) <= tick:
                return at
            at = math.nextafter(at, -math.inf)
        return -math.inf

    def deadline_seconds(self, when: float) -> float:
        """A deadline rounded up to its tick, in clock seconds (what `TimerHandle.deadline` says)."""
        return self.seconds(self.deadline_tick(when))

    def __repr__(self) -> str:
        return f"TickScale(resolution={self.resolution!r})"


def _exact_ticks(time: float, hz: float, name: str, *, up: bool = False) -> int:
    """``floor(time * hz)`` (``ceil`` if `up`) computed exactly, where floats cannot tell ticks
    apart.

    Raises:
        ValueError: `time` is not finite.
    """
    if not math.isfinite(time):
        msg = f"{name} must be a finite time, got {time!r}"
        raise ValueError(msg)
    exact = Fraction(time) * Fraction(hz)
    return math.ceil(exact) if up else math.floor(exact)
