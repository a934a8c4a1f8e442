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
        tick 7220 at any clock origin, never 7221.
        """
        ticks = when * self.hz
        if -_EXACT_TICKS < ticks < _EXACT_TICKS:
            noise = TICK_TOLERANCE
        else:
            noise = _NOISE_ULPS * math.ulp(ticks)
            if noise > _MAX_NOISE:
                noise = _MAX_NOISE
        try:
            return math.ceil(ticks - noise)
        except OverflowError:
            # Any finite delay is accepted (SPEC §11); past ~1.8e305 s at 1 ms ``when * hz`` is
            # infinite, but the exact product still names the tick.
            return math.ceil(Fraction(when) * Fraction(self.hz))

    def now_tick(self, now: float) -> int:
        """The last tick whose time (``tick / hz``) is at or before `now`."""
        hz = self.hz
        tick = math.floor(now * hz)
        if (tick + 1) / hz <= now:
            return tick + 1
        if tick / hz > now:
            return tick - 1
        return tick

    def seconds(self, tick: int) -> float:
        """The clock time of `tick` (``tick / hz``)."""
        try:
            return tick / self.hz
        except OverflowError:  # a tick past the float range (see `deadline_tick`)
            return float(Fraction(tick) / Fraction(self.hz))

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
