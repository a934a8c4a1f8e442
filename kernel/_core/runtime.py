"""`Runtime`: the single-threaded kernel loop (docs/architecture.md).

It owns a work queue, a priority event queue, a timer wheel, an executor, an event bus and a
command channel, and `tick()` advances all of them by one step, in a fixed order of phases.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Final

from typing_extensions import TypeVarTuple, Unpack

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
from kernel._core.runtime_sources import HostSourcesMixin
from kernel._core.scope import EventScope
from kernel._core.selector import IoSources
from kernel._core.signals import SignalHandlers
from kernel._core.state import RuntimeState
from kernel._core.task import Priority, Task, enqueue
from kernel._core.threads import WorkerThreads
from kernel._core.tick_report import PhaseTable, TickRecorder
from kernel._core.timer_periodic import MissedTicks
from kernel._core.timer_wheel import ScheduleTimer, TimerWheel
from kernel._core.validate import (
    check_callable,
    check_instance,
    check_int,
    check_priority,
)
from kernel._core.watchdog import Watchdog
from kernel._core.work_queue import SubmitWork, WorkQueue

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.shutdown import StopProgress
    from kernel._core.stats import ShutdownReport
    from kernel._core.timer_handle import TimerHandle

__all__ = ["Runtime"]

Ts = TypeVarTuple("Ts")

_BOOTING: Final = RuntimeState.BOOTING
_RUNNING: Final = RuntimeState.RUNNING
_EMERGENCY: Final = RuntimeState.EMERGENCY
_NORMAL: Final = int(Priority.NORMAL)


class Runtime(LifecycleMixin, RequestsMixin, DrivingMixin, HostSourcesMixin, ObservingMixin):
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

    # -- parts ----------------------------------------------------------------------------------

    # -- work -----------------------------------------------------------------------------------

    @functools.cached_property
    def schedule_work(self) -> SubmitWork:
        """``schedule_work(fn, /, *args, name=None) -> bool``: queue ``fn(*args)`` to run in a
        coming tick at `Priority.NORMAL`. O(1).

        With a `name`, the work is queued as a `Task` of that name (for error reports).

        Returns:
            True if queued; False if the runtime is not RUNNING (counted in ``tasks_rejected``)
            or the work queue is full (counted in ``work_dropped``).

        Raises:
            TypeError: `fn` is not callable, or `name` is not a str.

        It is the work queue's own `WorkQueue.submit`, bound once per runtime (a cached
        property): a task costs one Python frame, not two (PERF.md P1). The work queue is open
        only while RUNNING, and counts a refusal as rejected itself.
        """
        return self._work.submit

    def schedule_work_with_priority(
        self,
        priority: int,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        name: str | None = None,
    ) -> bool:
        """Like `schedule_work`, at `priority` (lower runs first; FIFO among equals).

        Raises:
            TypeError: a non-int `priority`, a non-callable `fn`, or a non-str `name`.
            ValueError: `priority` is outside ``[0, 2**32)``.
        """
        check_priority(priority)
        if name is not None:
            return self.schedule_task(Task(fn, *args, priority=priority, name=name))
        check_callable(fn)
        return self._work.push((fn, args, None), priority)

    def schedule_task(self, task: Task) -> bool:
        """Queue a `Task` the caller keeps (to cancel it or read its state).

        Returns:
            True if queued; False if the runtime is not RUNNING (``tasks_rejected``) or the work
            queue is full (``work_dropped``). A refused task stays PENDING and may be offered again.

        Raises:
            TypeError: `task` is not a `Task`.
            ValueError: the task is already queued, or is no longer PENDING.
        """
        check_instance(task, Task, "task", "a Task")
        return self._offer(task)

    def _offer(self, task: Task) -> bool:
        """`schedule_task` once `task` is known to be a Task (`ScheduleTask` commands checked)."""
        return enqueue(task, self._work.push)

    # -- timers ---------------------------------------------------------------------------------

    @functools.cached_property
    def schedule_delayed(self) -> ScheduleTimer:
        """``schedule_delayed(delay, fn, /, *args, priority=NORMAL, name=None) -> TimerHandle``:
        run ``fn(*args)`` as a task once `delay` seconds from now (never earlier). O(1).

        Timers may be scheduled while BOOTING or RUNNING and fire only in RUNNING ticks. When the
        runtime is stopping, or `max_timers` timers are live, the handle comes back with
        ``failed == True`` (counted in ``timers_dropped``). To debounce, re-arm one handle with
        `TimerHandle.reset` rather than cancelling and scheduling anew: it is O(1) in place.

        Raises:
            TypeError / ValueError: a bad `delay`, `fn`, `priority` or `name`.

        It is the timer wheel's own `TimerWheel.schedule`, bound once per runtime (a cached
        property): one Python frame less per timer (PERF.md P2).
        """
        return self._wheel.schedule

    def schedule_periodic(
        self,
        interval: float,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = _NORMAL,
        name: str | None = None,
        missed: MissedTicks = MissedTicks.SKIP,
    ) -> TimerHandle:
        """Run ``fn(*args)`` as a task every `interval` seconds until cancelled. O(1).

        The first deadline is ``now + interval``; `missed` chooses the catch-up policy. At most
        one of the timer's tasks is queued at a time; a fire that finds the previous task still
        queued is skipped and counted in `missed_ticks`. A raising callback is reported and the
        timer keeps its schedule.

        Raises:
            TypeError / ValueError: a bad `interval`, `fn`, `priority`, `name` or `missed`.
        """
        return self._wheel.schedule_periodic(
            interval, fn, *args, priority=priority, name=name, missed=missed
        )

    def cancel_timer(self, timer_id: int) -> bool:
        """Cancel a pending timer by id; True only if it was pending. Amortised O(1).

        The first call builds the wheel's id map, O(n) in the pending timers; cancelling through
        the `TimerHandle` never needs it.

        Raises:
            TypeError: `timer_id` is not an int.
        """
        return self._wheel.cancel(check_int(timer_id, "timer_id"))

    # -- events ---------------------------------------------------------------------------------

    def queue_event(self, event: object) -> bool:
        """Queue `event` for the events phase, by its ``priority`` attribute (default 100).

        Accepted while BOOTING and RUNNING. O(1) for the named priority levels.

        Returns:
            True if queued; False (counted in ``events_dropped``) if the queue is full or the
            runtime is shutting down.

        Raises:
            TypeError / ValueError: the event's ``priority`` attribute is not a valid priority.
        """
        return self._events.push_event(event)

    def set_scope(self, scope: EventScope) -> None:
        """Decrement `scope` after each event dispatched from the event queue (while > 0).

        Raises:
            TypeError: `scope` is not an `EventScope`.
        """
        check_instance(scope, EventScope, "scope", "an EventScope")
        self._scope = scope

    def clear_scope(self) -> None:
        """Forget the current scope."""
        self._scope = None

    @property
    def current_scope(self) -> EventScope | None:
        """The scope set by `set_scope`, or None."""
        return self._scope

    # -- render flag ----------------------------------------------------------------------------

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
