"""`Runtime`: the single-threaded kernel loop (docs/architecture.md).

It owns a work queue, a priority event queue, a timer wheel, an executor, an event bus and a
command channel, and `tick()` advances all of them by one step, in a fixed order of phases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from kernel._core.bus import EventBus, async_queue, attach, watch_bus
from kernel._core.clock import Clock, MonotonicClock
from kernel._core.commands import CommandChannel
from kernel._core.config import RuntimeConfig
from kernel._core.debug import ThreadGuard, is_debug, slow_callback_warning
from kernel._core.debug import install as install_debug
from kernel._core.errors import InvalidStateError
from kernel._core.event_queue import EventQueue
from kernel._core.executor import Executor
from kernel._core.idle import IdleCallbacks
from kernel._core.instruments import Instruments
from kernel._core.phases import dispatch_async, dispatch_events, fire_timers, poll_io, run_tasks
from kernel._core.reporting import ErrorHandler, ErrorReporter
from kernel._core.runtime_driving import DrivingMixin
from kernel._core.runtime_lifecycle import LifecycleMixin
from kernel._core.runtime_observing import ObservingMixin
from kernel._core.runtime_requests import RequestsMixin
from kernel._core.runtime_scheduling import SchedulingMixin
from kernel._core.runtime_sources import HostSourcesMixin
from kernel._core.selector import IoSources
from kernel._core.signals import SignalHandlers
from kernel._core.state import RuntimeState
from kernel._core.threads import WorkerThreads
from kernel._core.tick_report import PhaseTable, TickRecorder
from kernel._core.timer_wheel import TimerWheel
from kernel._core.validate import check_instance
from kernel._core.watchdog import Watchdog
from kernel._core.work_queue import WorkQueue

if TYPE_CHECKING:
    from kernel._core.scope import EventScope
    from kernel._core.shutdown import StopProgress
    from kernel._core.stats import ShutdownReport

__all__ = ["Runtime"]

_BOOTING: Final = RuntimeState.BOOTING
_RUNNING: Final = RuntimeState.RUNNING
_EMERGENCY: Final = RuntimeState.EMERGENCY


class Runtime(
    SchedulingMixin,
    LifecycleMixin,
    RequestsMixin,
    DrivingMixin,
    HostSourcesMixin,
    ObservingMixin,
):
    """An editor-style kernel loop: commands, timers, events and tasks, one tick at a time.

    A new runtime is BOOTING: it accepts timers and events, and `boot()` makes it RUNNING. Each
    `tick()` applies queued commands and then, while RUNNING, fires due timers, dispatches queued
    events, runs up to ``batch_size`` tasks, and dispatches the bus's async queue. `run()` ticks
    and sleeps until a deadline or a command; `shutdown()` leads to a bounded drain.

    Args:
        config: the limits (default `RuntimeConfig()`).
        clock: the time source (default `MonotonicClock()`; tests use `ManualClock`).
        event_bus: a bus to use (default: a new `EventBus`); it reports to this runtime.
        error_handler: receives an `ErrorReport` for each caught exception (default: logging).

    Raises:
        TypeError: an argument has the wrong type.
        ValueError: `event_bus` already belongs to another runtime.

    Thread-safety: only `command_sender()` senders (and `EventScope`) may be used from other
    threads; every other method belongs to the thread that drives the runtime.
    """

    def __init__(
        self,
        config: RuntimeConfig | None = None,
        *,
        clock: Clock | None = None,
        event_bus: EventBus | None = None,
        error_handler: ErrorHandler | None = None,
    ) -> None:
        config = RuntimeConfig() if config is None else config
        check_instance(config, RuntimeConfig, "config", "a RuntimeConfig")
        clock = MonotonicClock() if clock is None else clock
        check_instance(clock, Clock, "clock", "a Clock (an object with a now() method)")
        bus = EventBus() if event_bus is None else event_bus
        check_instance(bus, EventBus, "event_bus", "an EventBus")
        self._instruments = instruments = Instruments(
            lambda *report: self._report(*report), self._instruments_changed
        )
        self._report = ErrorReporter(error_handler, self._current_tick, instruments)
        attach(bus, self._report, self.request_render, self._request_quit)

        self._config = config
        self._clock = clock
        self._bus = bus
        self._async = async_queue(bus)  # a live view: tick() tests it for the price of a deque
        self._state = _BOOTING
        self._work = WorkQueue(config.work_queue_capacity)
        self._work.close()  # work is accepted only while RUNNING; boot() opens it
        self._events = EventQueue(config.priority_queue_capacity)
        self._wheel = TimerWheel(
            clock, resolution=config.timer_resolution, max_timers=config.max_timers
        )
        self._executor = Executor(self._report)
        self._channel = CommandChannel()
        self._io = IoSources(self._report, self._channel, watch=instruments)
        self._signals = SignalHandlers(self._io, self._report, instruments)
        self._idle = IdleCallbacks(self._report, instruments)
        self._threads = WorkerThreads(
            config.max_worker_threads, self._report, self._channel, instruments
        )
        self._phases = _PLAIN_PHASES
        self._recorder: TickRecorder | None = None
        self._watch_ticks = False
        self._watchdog: Watchdog | None = None
        if config.stall_threshold is not None:
            self._watchdog = Watchdog(instruments, config.stall_threshold, self._current_tick)
            instruments.set_watchdog(self._watchdog.wake)
        self._debug = is_debug(config.debug)
        if self._debug:
            install_debug(self, ThreadGuard())
            instruments.set_slow_callback(slow_callback_warning(config.slow_callback_duration))
        self._batch_size = config.batch_size
        self._scope: EventScope | None = None
        self._render_pending = False
        self._quit_requested = False
        self._in_tick = False
        self._shutdown_report: ShutdownReport | None = None
        self._stopping: StopProgress | None = None  # the first terminal tick, once begun
        self._ticks = 0
        self._tasks_rejected = 0
        self._events_rejected = 0
        self._timers_fired = 0
        self._commands_processed = 0

    # -- the tick -------------------------------------------------------------------------------

    def tick(self) -> bool:
        """Advance the runtime by one step (SPEC §7).

        1. Apply every queued command.
        2. STOPPING or EMERGENCY: the first such tick drains (STOPPING) or abandons (EMERGENCY)
           the queues, cancels pending timers and records the `ShutdownReport`; return False.
           BOOTING: return True.
        3. RUNNING: fire due timers → dispatch the queued events → run up to ``batch_size``
           tasks → dispatch the bus's async queue → return True.

        Each phase handles only what was ready when it began. An `Exception` from a task or
        handler is reported and the tick goes on; `KeyboardInterrupt` and `SystemExit` propagate
        with the runtime left consistent.

        Raises:
            InvalidStateError: called from inside a tick (a task or handler).
        """
        if self._in_tick:  # inline, not _refuse_inside_tick(): a call would cost P6 a fifth
            msg = "tick() called from inside a tick"
            raise InvalidStateError(msg)
        if self._watch_ticks:  # instruments watch ticks: hooks and timed phases around this
            return self._watched_tick()
        self._in_tick = True
        self._ticks += 1
        try:
            if not self._channel.empty():
                self._phases.commands(self)
            if self._quit_requested:
                self._settle_quit()
            if self._state is _RUNNING:
                # The phases of SPEC §7 and §12, each only when its part holds something. The
                # checks read the parts' documented read-only counters: an idle tick must cost
                # little more than a call (PERF.md P6), and a tick for one event little more
                # than its dispatch (P5).
                if self._io.active:
                    self._phases.io(self._io, self._signals)
                    if self.state is _EMERGENCY:  # an I/O callback stopped everything
                        return True
                if self._wheel.live:
                    self._timers_fired += self._phases.timers(
                        self._wheel, self._work, self._clock.now()
                    )
                if self._events.length:
                    self._phases.events(self._events, self._bus, self._scope, self._events.length)
                    if self._quit_requested:
                        self._settle_quit()
                if self._work.length:
                    self._phases.tasks(self._executor, self._work, self._batch_size)
                    if self._quit_requested:
                        self._settle_quit()
                if self._async:
                    self._phases.async_events(self._bus)
                    if self._quit_requested:
                        self._settle_quit()
                return True
            if self._state is _BOOTING:
                return True
            self._phases.stop(self)
            return False
        finally:
            self._in_tick = False

    def next_timeout(self) -> float | None:
        """Seconds until the runtime has something to do, for hosts that own their loop.

        ``0.0`` when something is ready now (commands, events, tasks, async events, or a due
        timer); the seconds until the earliest timer deadline when only timers are pending;
        None when nothing is queued or pending. None while BOOTING. In STOPPING and EMERGENCY,
        ``0.0`` until the terminal tick ran, then None.
        """
        state = self._state
        if state is _RUNNING:
            if (
                self._events
                or self._work
                or self._async
                or self._quit_requested
                or not self._channel.empty()
            ):
                return 0.0
            return self._wheel.seconds_until_next(self._clock.now())
        if state is _BOOTING:
            return None
        return None if self._shutdown_report is not None else 0.0

    def _instruments_changed(self) -> None:
        instruments = self._instruments
        self._watch_ticks = instruments.watch_ticks
        watch = instruments if instruments.watching else None
        self._executor.watch(watch)
        watch_bus(self._bus, watch)
        if instruments.after_tick:
            if self._recorder is None:
                self._recorder = TickRecorder(_PLAIN_PHASES)
            self._phases = self._recorder.timed
        else:
            self._recorder = None
            self._phases = _PLAIN_PHASES


_PLAIN_PHASES: Final = PhaseTable(
    commands=Runtime._apply_commands,
    io=poll_io,
    timers=fire_timers,
    events=dispatch_events,
    tasks=run_tasks,
    async_events=dispatch_async,
    stop=Runtime._stop,
)
"""The phases of a tick with nothing timing them."""
