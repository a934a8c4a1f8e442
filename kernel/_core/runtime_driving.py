"""How `Runtime` is driven: `run`, `run_until_idle`, `advance`, and a host loop's pieces.

`DrivingMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md): thin
forwards into `kernel._core.driving`, and for drivers that own the wait (`kernel.hosts`), the
parts of `run()` they need. It declares, as annotations only, the parts it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from kernel._core.driving import advance, run, run_until_idle, wait_between_ticks
from kernel._core.errors import InvalidStateError
from kernel._core.validate import check_delay

if TYPE_CHECKING:
    from kernel._core.clock import Clock
    from kernel._core.commands import CommandChannel
    from kernel._core.idle import IdleCallbacks
    from kernel._core.selector import IoSources
    from kernel._core.state import RuntimeState
    from kernel._core.stats import ShutdownReport
    from kernel._core.timer_wheel import TimerWheel

__all__ = ["DEFAULT_MAX_TICKS", "DrivingMixin"]

DEFAULT_MAX_TICKS: Final = 10_000
"""Ticks `run_until_idle` and `advance` allow at one point in time before calling it a livelock."""


class DrivingMixin:
    """`run`, `run_until_idle`, `advance`; `run_idle_callbacks`, `io_fileno`, `wait`."""

    _channel: CommandChannel
    _io: IoSources
    _idle: IdleCallbacks
    _in_tick: bool

    if TYPE_CHECKING:  # what `kernel._core.driving.Driven` asks of the runtime

        @property
        def state(self) -> RuntimeState: ...

        @property
        def clock(self) -> Clock: ...

        @property
        def timer_wheel(self) -> TimerWheel: ...

        def tick(self) -> bool: ...

        def next_timeout(self) -> float | None: ...

        def shutdown_report(self) -> ShutdownReport | None: ...

    def run(self) -> ShutdownReport:
        """Tick until the runtime stops, sleeping between ticks; return the `ShutdownReport`.

        Between ticks it sleeps until the next timer deadline or until a `CommandSender.send`
        wakes it, never spinning. With a clock that has ``advance`` (`ManualClock`), it jumps the
        clock to the next deadline instead of waiting, and waits in real time only for commands
        when nothing at all is pending. Called in STOPPING or EMERGENCY, it runs the terminal
        tick and returns the report.

        Raises:
            InvalidStateError: the runtime is still BOOTING.
        """
        return run(self, self._channel, self._io, self._idle)

    def run_until_idle(self, max_ticks: int = DEFAULT_MAX_TICKS) -> int:
        """Tick while something is ready now (`next_timeout() == 0.0`); return the tick count.

        Future timers do not count as ready. Returns 0 if nothing was ready.

        Raises:
            LivelockError: work was still ready after `max_ticks` ticks.
            TypeError / ValueError: `max_ticks` is not an int >= 1.
            InvalidStateError: called from inside a tick (a task or handler).
        """
        self._refuse_inside_tick("run_until_idle")
        return run_until_idle(self, max_ticks)

    def advance(self, seconds: float, max_ticks: int = DEFAULT_MAX_TICKS) -> None:
        """Move virtual time forward by `seconds`, firing every timer due on the way on time.

        The clock moves to each due deadline in turn and the runtime ticks until idle there, so
        a callback sees ``clock.now()`` equal to its own rounded deadline, and timers scheduled
        by callbacks within the span fire within it. While BOOTING it only moves the clock.

        Raises:
            TypeError: the clock has no ``advance`` method, or `seconds` is not a number.
            ValueError: `seconds` is negative or not finite.
            LivelockError: work stayed ready for `max_ticks` ticks at one point in time.
            InvalidStateError: called from inside a tick (a task or handler).
        """
        self._refuse_inside_tick("advance")
        advance(self, seconds, max_ticks, self._io)

    def _refuse_inside_tick(self, method: str) -> None:
        if self._in_tick:
            msg = f"{method}() called from inside a tick"
            raise InvalidStateError(msg)

    # -- host drivers (SPEC §13): the parts of run() a loop that owns the wait needs ------------

    def run_idle_callbacks(self) -> int:
        """Call the idle callbacks now, as `run()` does when it finds nothing ready; return how many.

        For drivers that own the wait (`kernel.hosts`): call it when `next_timeout()` is not
        ``0.0`` and the driver is about to wait, then re-check `next_timeout()` (the callbacks
        may have made work ready). Same rules as in `run()`: registration order, a raising
        callback is reported (``phase == "idle"``) and stays registered.

        Raises:
            InvalidStateError: called from inside a tick.
        """
        if self._in_tick:
            msg = "run_idle_callbacks() called from inside a tick"
            raise InvalidStateError(msg)
        return self._idle.run_all()

    def io_fileno(self) -> int | None:
        """The fd of the runtime's selector, for a host loop to watch; None while nothing needs it.

        It is readable whenever one of the runtime's readers or writers is ready or a handled
        signal arrived; the next `tick()` polls the sources. None while no reader, writer or
        signal handler is registered. The selector is created by the first `add_reader`,
        `add_writer` or `add_signal_handler` and closed at the terminal tick, so a host reads
        this again after each tick; watching a ``os.dup()`` of it keeps the host safe from the
        number being reused after the close.

        Raises:
            NotImplementedError: the platform's selector has no fd (``select()`` on Windows).
        """
        return self._io.fileno()

    def wait(self, timeout: float | None = None) -> None:
        """Block until something may be ready, or `timeout` seconds pass (None: no limit).

        The wait `run()` does between ticks, in real time on any clock: it ends when a reader
        or writer is ready, a handled signal arrives, a `CommandSender` sends, a thread job
        finishes, or the timeout passes. It may return early; callers `tick()` and re-check
        `next_timeout()`. For drivers that own their loop (``kernel.hosts.urwid``).

        Raises:
            TypeError / ValueError: `timeout` is not None or a finite number >= 0.
            InvalidStateError: called from inside a tick.
        """
        if timeout is not None:
            timeout = check_delay(timeout, "timeout")
        if self._in_tick:
            msg = "wait() called from inside a tick"
            raise InvalidStateError(msg)
        wait_between_ticks(self._channel, self._io, timeout)
