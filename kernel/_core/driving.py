"""Driving a runtime: `run()`, `run_until_idle()` and `advance()` (docs/architecture.md).

These use only the runtime's public surface, plus the command channel's blocking wait, the I/O
sources' selector wait, and the idle callbacks. `run()` has two wait modes: on the channel's lock
while no reader, writer or signal handler is registered, else in the selector (SPEC §12).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Protocol

from kernel._core.clock import SettableClock, steppable
from kernel._core.errors import InvalidStateError, LivelockError
from kernel._core.state import RuntimeState
from kernel._core.validate import check_delay, check_positive_int

if TYPE_CHECKING:
    from kernel._core.clock import Clock, SteppableClock
    from kernel._core.commands import CommandChannel
    from kernel._core.idle import IdleCallbacks
    from kernel._core.selector import IoSources
    from kernel._core.stats import ShutdownReport

__all__ = ["advance", "run", "run_until_idle", "wait_between_ticks"]


MAX_WAIT: Final = 86_400.0
"""The longest single wait in `run()`, as in asyncio: lock timeouts beyond the platform's
``time_t`` overflow, and a spurious wake-up once a day costs nothing."""


class Deadlines(Protocol):
    """The part of the timer wheel driving reads."""

    def next_deadline(self) -> float | None:
        """The earliest pending deadline in clock seconds, or None."""
        ...


class Driven(Protocol):
    """The public surface of `Runtime` that driving uses (so this module never imports it)."""

    @property
    def state(self) -> RuntimeState:
        """The lifecycle state."""
        ...

    @property
    def clock(self) -> Clock:
        """The time source."""
        ...

    @property
    def timer_wheel(self) -> Deadlines:
        """The timers."""
        ...

    def tick(self) -> bool:
        """One step; False once the runtime stopped."""
        ...

    def next_timeout(self) -> float | None:
        """Seconds until something is ready (0.0: now), or None."""
        ...

    def shutdown_report(self) -> ShutdownReport | None:
        """The report of the terminal tick, once it ran."""
        ...


def run(
    runtime: Driven, channel: CommandChannel, io: IoSources, idle: IdleCallbacks
) -> ShutdownReport:
    """Tick until the runtime stops; between ticks, sleep until a deadline, a command or I/O.

    Before each wait (a clock jump on a `ManualClock` counts as one) the idle callbacks run;
    if they made something ready, the loop ticks again instead of waiting.
    """
    if runtime.state is RuntimeState.BOOTING:
        msg = "run() called in Booting state; call boot() first"
        raise InvalidStateError(msg)
    manual = steppable(runtime.clock)
    while runtime.tick():
        timeout = runtime.next_timeout()
        if timeout == 0.0:
            continue
        if len(idle):
            idle.run_all()
            timeout = runtime.next_timeout()
            if timeout == 0.0:
                continue
        if timeout is not None and manual is not None:
            if io.active and io.ready():
                continue  # poll I/O at each step of virtual time, before the clock moves
            # Virtual time never waits in real time for a timer: jump to its deadline.
            deadline = runtime.timer_wheel.next_deadline()
            assert deadline is not None
            _move_to(manual, deadline)
        else:
            wait_between_ticks(channel, io, timeout)
    report = runtime.shutdown_report()
    assert report is not None  # tick() returns False only after the terminal tick
    return report


def wait_between_ticks(channel: CommandChannel, io: IoSources, timeout: float | None) -> None:
    """Block in real time until I/O, a signal, a command or a thread completion, or `timeout`.

    In the selector while a reader, writer or signal handler is registered, else on the command
    channel's lock; at most `MAX_WAIT` seconds. It may return early; callers tick and re-check.
    """
    limit = None if timeout is None else min(timeout, MAX_WAIT)
    if io.active:
        io.wait(limit)
    else:
        channel.wait(limit)


def run_until_idle(runtime: Driven, max_ticks: int) -> int:
    """Tick while something is ready now; return how many ticks ran."""
    check_positive_int(max_ticks, "max_ticks")
    ticks = 0
    while runtime.next_timeout() == 0.0:
        if ticks == max_ticks:
            msg = f"work was still ready after max_ticks={max_ticks} ticks (a livelock?)"
            raise LivelockError(msg)
        runtime.tick()
        ticks += 1
    return ticks


def advance(runtime: Driven, seconds: float, max_ticks: int, io: IoSources) -> None:
    """Move virtual time forward by `seconds`, stopping at each deadline on the way.

    At each stop, while I/O sources exist, one tick polls them (without waiting) first.
    """
    clock = steppable(runtime.clock)
    if clock is None:
        msg = f"advance() needs a clock with an advance() method, got {runtime.clock!r}"
        raise TypeError(msg)
    target = clock.now() + check_delay(seconds, "seconds")
    if runtime.state is RuntimeState.BOOTING:
        _move_to(clock, target)
        return
    _settle(runtime, max_ticks, io)
    wheel = runtime.timer_wheel
    # After run_until_idle() nothing is due, so the next deadline always lies ahead of the clock.
    while (deadline := wheel.next_deadline()) is not None and deadline <= target:
        _move_to(clock, deadline)
        _settle(runtime, max_ticks, io)
    _move_to(clock, target)
    _settle(runtime, max_ticks, io)


def _settle(runtime: Driven, max_ticks: int, io: IoSources) -> None:
    """Tick until nothing is ready, I/O sources included (polled without waiting)."""
    run_until_idle(runtime, max_ticks)
    ticks = 0
    while io.active and io.ready():
        if ticks == max_ticks:
            msg = f"I/O was still ready after max_ticks={max_ticks} ticks (a livelock?)"
            raise LivelockError(msg)
        runtime.tick()
        run_until_idle(runtime, max_ticks)
        ticks += 1


def _move_to(clock: SteppableClock, when: float) -> None:
    """Set the clock to `when` exactly when it can (`ManualClock.advance_to`), else step it."""
    if isinstance(clock, SettableClock) and callable(clock.advance_to):
        clock.advance_to(when)
        return
    delta = when - clock.now()
    if delta > 0:
        clock.advance(delta)
