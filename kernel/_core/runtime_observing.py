"""Looking at `Runtime`: its parts, `stats()`, `is_idle()`, and instruments (SPEC §14).

`ObservingMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md); it
declares, as annotations only, the parts it reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel._core.stats import RuntimeStats
from kernel._core.validate import check_positive_int

if TYPE_CHECKING:
    from collections.abc import Callable, Sized

    from kernel._core.bus import EventBus
    from kernel._core.clock import Clock
    from kernel._core.config import RuntimeConfig
    from kernel._core.event_queue import EventQueue
    from kernel._core.executor import Executor
    from kernel._core.instruments import Hook, Instruments
    from kernel._core.state import RuntimeState
    from kernel._core.threads import WorkerThreads
    from kernel._core.tick_report import TickRecorder, TickReport
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.watchdog import Watchdog
    from kernel._core.work_queue import WorkQueue

__all__ = ["ObservingMixin"]


class ObservingMixin:
    """`state`, `config`, `clock`, `event_bus`, `timer_wheel`; `stats`, `is_idle`; instruments."""

    _state: RuntimeState
    _config: RuntimeConfig
    _clock: Clock
    _bus: EventBus
    _async: Sized
    _events: EventQueue
    _work: WorkQueue
    _wheel: TimerWheel
    _executor: Executor
    _threads: WorkerThreads
    _watchdog: Watchdog | None
    _instruments: Instruments
    _recorder: TickRecorder | None
    _watch_ticks: bool
    _in_tick: bool
    _ticks: int
    _tasks_rejected: int
    _events_rejected: int
    _timers_fired: int
    _commands_processed: int

    if TYPE_CHECKING:  # what this facet calls of the runtime's other facets (for mypy only)

        def tick(self) -> bool: ...

        def _refuse_inside_tick(self, method: str) -> None: ...

    @property
    def state(self) -> RuntimeState:
        """The lifecycle state."""
        return self._state

    @property
    def config(self) -> RuntimeConfig:
        """The limits this runtime was made with."""
        return self._config

    @property
    def clock(self) -> Clock:
        """The time source."""
        return self._clock

    @property
    def event_bus(self) -> EventBus:
        """The event bus; its handlers run inside this runtime's ticks."""
        return self._bus

    @property
    def timer_wheel(self) -> TimerWheel:
        """The timer wheel: ``len()`` is the live timers, `next_deadline()` the earliest one."""
        return self._wheel

    def is_idle(self) -> bool:
        """True when no event, task or async event is queued and no timer is pending."""
        return not (self._events or self._work or self._async or self._wheel)

    def stats(self) -> RuntimeStats:
        """A frozen snapshot of the queues and every counter."""
        executor = self._executor
        threads = self._threads
        return RuntimeStats(
            state=self._state,
            event_queue_len=len(self._events),
            work_queue_len=len(self._work),
            work_dropped=self._work.dropped,
            tasks_executed=executor.executed,
            tasks_failed=executor.failed,
            active_timers=len(self._wheel),
            timers_dropped=self._wheel.dropped,
            ticks=self._ticks,
            tasks_rejected=self._tasks_rejected + self._work.rejected,
            tasks_cancelled=executor.cancelled,
            events_dispatched=self._bus.dispatched,
            events_dropped=(
                self._events.dropped
                + self._events.rejected
                + self._bus.dropped
                + self._events_rejected
            ),
            handler_errors=self._bus.handler_errors,
            timers_fired=self._timers_fired,
            commands_processed=self._commands_processed,
            async_queue_len=self._bus.queue_len,
            thread_jobs_submitted=threads.submitted,
            thread_jobs_done=threads.done,
            thread_jobs_failed=threads.failed,
            thread_jobs_cancelled=threads.cancelled,
            thread_jobs_running=threads.running,
            stalls=0 if self._watchdog is None else self._watchdog.stalls,
        )

    def _current_tick(self) -> int:
        return self._ticks

    # -- instruments (SPEC §14) -------------------------------------------------------------------

    def _watched_tick(self) -> bool:
        """`tick()` while an instrument has ``before_tick`` or ``after_tick`` (SPEC §14)."""
        instruments = self._instruments
        if instruments.before_tick:
            self._notify_inside_tick(instruments.before_tick, self._ticks + 1)
        recorder = self._recorder
        start = 0.0 if recorder is None else recorder.start()
        self._watch_ticks = False  # the call below is the plain tick
        try:
            more = self.tick()
        finally:
            self._watch_ticks = instruments.watch_ticks
        if recorder is not None and instruments.after_tick:
            report = recorder.finish(self._ticks, self._state, start)
            self._notify_inside_tick(instruments.after_tick, report)
        return more

    def _notify_inside_tick(self, hooks: tuple[Hook, ...], argument: object) -> None:
        """Call ``before_tick``/``after_tick`` hooks as part of the tick: a driving method they
        call is refused as from any callback of the tick (a hook that ticks would nest)."""
        self._in_tick = True
        try:
            self._instruments.notify(hooks, argument)
        finally:
            self._in_tick = False

    def add_instrument(self, instrument: object) -> None:
        """Install `instrument`: from now on the runtime calls the hooks it defines.

        Hooks (each optional; looked up once, here): ``before_tick(tick)``,
        ``after_tick(report: TickReport)``, ``before_callback(phase, callback)``,
        ``after_callback(phase, callback, seconds, error)``, ``on_error(report: ErrorReport)``,
        ``on_stall(report: StallReport)`` (on the watchdog thread) and ``on_state(old, new)``.
        A hook that raises an `Exception` removes its instrument and is reported
        (``phase == "instrument"``). Adding an installed instrument again does nothing.
        See docs/observability.md.

        Raises:
            TypeError: a hook attribute of `instrument` is not callable (nothing installed).
        """
        self._instruments.add(instrument)

    def remove_instrument(self, instrument: object) -> bool:
        """Uninstall `instrument` (also from inside its own hook); True if it was installed."""
        return self._instruments.remove(instrument)

    def run_ticks(self, n: int) -> list[TickReport]:
        """Tick `n` times, fewer if a tick returns False; return a `TickReport` per tick.

        The tick that returned False (the terminal tick) is the last report.

        Raises:
            TypeError / ValueError: `n` is not an int >= 1.
            InvalidStateError: called from inside a tick.
        """
        check_positive_int(n, "n")
        self._refuse_inside_tick("run_ticks")
        reports: list[TickReport] = []
        collector = _Collector(reports.append)
        self.add_instrument(collector)
        try:
            for _ in range(n):
                if not self.tick():
                    break
        finally:
            self.remove_instrument(collector)
        return reports

    def __repr__(self) -> str:
        return (
            f"<Runtime {self._state} ticks={self._ticks} events={len(self._events)}"
            f" work={len(self._work)} timers={len(self._wheel)}>"
        )


class _Collector:
    """The instrument `Runtime.run_ticks` installs: it keeps every tick report."""

    __slots__ = ("after_tick",)

    def __init__(self, after_tick: Callable[[TickReport], object]) -> None:
        self.after_tick = after_tick
