"""`Runtime`: the single-threaded kernel loop (docs/architecture.md).

It owns a work queue, a priority event queue, a timer wheel, an executor, an event bus and a
command channel, and `tick()` advances all of them by one step, in a fixed order of phases.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.bus import EventBus, async_queue, attach, close, halt, watch_bus
from kernel._core.clock import Clock, MonotonicClock
from kernel._core.commands import (
    CommandChannel,
    CommandSender,
    Completion,
    QueueEvent,
    ScheduleTask,
    Shutdown,
)
from kernel._core.config import RuntimeConfig
from kernel._core.debug import ThreadGuard, is_debug, slow_callback_warning
from kernel._core.debug import install as install_debug
from kernel._core.driving import advance, run, run_until_idle, wait_between_ticks
from kernel._core.errors import InvalidStateError
from kernel._core.event_queue import EventQueue
from kernel._core.executor import Executor
from kernel._core.idle import IdleCallbacks
from kernel._core.instruments import Hook, Instruments
from kernel._core.phases import dispatch_async, dispatch_events, fire_timers, poll_io, run_tasks
from kernel._core.reporting import ErrorHandler, ErrorReporter
from kernel._core.scope import EventScope
from kernel._core.selector import READ, WRITE, IoSources
from kernel._core.shutdown import StopProgress, stop
from kernel._core.signals import SignalHandlers
from kernel._core.state import TRANSITIONS, RuntimeState
from kernel._core.stats import RuntimeStats, ShutdownReport
from kernel._core.task import Priority, Task, describe_callable, enqueue
from kernel._core.threads import WorkerThreads
from kernel._core.tick_report import PhaseTable, TickRecorder, TickReport
from kernel._core.timer_handle import MissedTicks, TimerHandle
from kernel._core.timer_wheel import TimerWheel
from kernel._core.validate import (
    check_callable,
    check_delay,
    check_instance,
    check_int,
    check_positive_int,
    check_priority,
    is_callable,
)
from kernel._core.watchdog import Watchdog
from kernel._core.work_queue import WorkQueue

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable
    from types import TracebackType
    from typing import Self

__all__ = ["Runtime"]

Ts = TypeVarTuple("Ts")

_BOOTING: Final = RuntimeState.BOOTING
_RUNNING: Final = RuntimeState.RUNNING
_STOPPING: Final = RuntimeState.STOPPING
_EMERGENCY: Final = RuntimeState.EMERGENCY
_NORMAL: Final = int(Priority.NORMAL)

DEFAULT_MAX_TICKS: Final = 10_000
"""Ticks `run_until_idle` and `advance` allow at one point in time before calling it a livelock."""


class Runtime:
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

    def command_sender(self) -> CommandSender:
        """A sender other threads use to control this runtime (see `CommandSender`)."""
        return CommandSender(self._channel)

    def set_wakeup(self, callback: Callable[[], object] | None) -> None:
        """Call `callback` after every command sent, on the sending thread (None: stop).

        For a host that owns its loop and blocks in its own ``select()`` / ``poll()``: the
        callback writes to the host's self-pipe (or eventfd), the host wakes and calls `tick()`.
        `run()` needs none of this: `send()` wakes it already. The callback must be thread-safe
        and quick; an exception it raises propagates to the sender.

        Raises:
            TypeError: `callback` is neither callable nor None.
        """
        if callback is not None:
            check_callable(callback, "callback")
        self._channel.on_put = callback

    # -- lifecycle ------------------------------------------------------------------------------

    def boot(self) -> None:
        """BOOTING → RUNNING.

        Raises:
            InvalidStateError: the runtime is not BOOTING.
        """
        if self._state is not _BOOTING:
            msg = f"boot() called when not in Booting state (state is {self._state})"
            raise InvalidStateError(msg)
        self._transition(_RUNNING)

    def shutdown(self) -> None:
        """RUNNING → STOPPING: the next tick drains; a no-op in any other state."""
        if self._state is _RUNNING:
            self._transition(_STOPPING)

    def emergency_stop(self) -> None:
        """Any state → EMERGENCY: nothing more runs; the next tick abandons what is queued.

        Called from inside a task or handler, the callback itself returns normally, but no
        further task, event or phase of the tick runs.
        """
        if self._state is not _EMERGENCY:
            self._transition(_EMERGENCY)

    def _transition(self, target: RuntimeState) -> None:
        """Apply one state change from the transition table."""
        old = self._state
        if target not in TRANSITIONS[old]:
            msg = f"cannot go from {old} to {target}"
            raise InvalidStateError(msg)
        self._state = target
        if target is _RUNNING:
            self._work.open()
        if target.is_terminal:
            self._work.close()
            self._events.close()
            close(self._bus)
            self._wheel.close()
        if target is _EMERGENCY:
            # Stop at once, even mid-batch: the running callback finishes and nothing after it.
            self._executor.halt()
            halt(self._bus)
            self._threads.halt()
        # Hooks last: the state change is complete whatever a hook raises (an interrupt
        # from `on_state` must not leave a RUNNING runtime with its work queue closed).
        if self._instruments.on_state:
            self._instruments.notify_state(old, target)

    # -- work -----------------------------------------------------------------------------------

    def schedule_work(
        self, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> bool:
        """Queue ``fn(*args)`` to run in a coming tick at `Priority.NORMAL`. O(1).

        Returns:
            True if queued; False if the runtime is not RUNNING (counted in ``tasks_rejected``)
            or the work queue is full (counted in ``work_dropped``).

        Raises:
            TypeError: `fn` is not callable, or `name` is not a str.
        """
        if name is not None:
            return self.schedule_task(Task(fn, *args, name=name))
        if not is_callable(fn):
            check_callable(fn)
        # The work queue is open only while RUNNING, and counts a refusal as rejected itself.
        return self._work.push((fn, args, None), _NORMAL)

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

    def schedule_delayed(
        self,
        delay: float,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        priority: int = _NORMAL,
        name: str | None = None,
    ) -> TimerHandle:
        """Run ``fn(*args)`` as a task once `delay` seconds from now (never earlier). O(1).

        Timers may be scheduled while BOOTING or RUNNING and fire only in RUNNING ticks. When the
        runtime is stopping, or `max_timers` timers are live, the handle comes back with
        ``failed == True`` (counted in ``timers_dropped``).

        Raises:
            TypeError / ValueError: a bad `delay`, `fn`, `priority` or `name`.
        """
        return self._wheel.schedule(delay, fn, *args, priority=priority, name=name)

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
        """Cancel a pending timer by id; True only if it was pending. O(1).

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

    def request_render(self) -> None:
        """Set the render flag (handlers use `HandlerContext.request_render`)."""
        self._render_pending = True

    def take_render_pending(self) -> bool:
        """Return the render flag and clear it."""
        pending = self._render_pending
        self._render_pending = False
        return pending

    def is_render_pending(self) -> bool:
        """Return the render flag without clearing it."""
        return self._render_pending

    def _request_quit(self) -> None:
        self._quit_requested = True

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

    def _apply_commands(self) -> int:
        """Apply the commands sent before this tick, in order, one at a time.

        Each leaves the channel just before it is applied and is counted then, so whatever
        escapes from applying one (an interrupt) leaves every later one queued for the next tick.
        Returns how many commands were taken (thread completions are not commands).
        """
        commands = 0
        channel = self._channel
        for _ in range(channel.waiting()):
            command = channel.take()
            if command.__class__ is Completion:  # a worker's job finished: not a command
                command.callback()
                continue
            commands += 1
            self._commands_processed += 1
            match command:
                case ScheduleTask(task):
                    self._apply_schedule_task(task)
                case QueueEvent(event):
                    self._apply_queue_event(event)
                case Shutdown():
                    self.shutdown()
                case _:  # Emergency: the sender accepts nothing else
                    self.emergency_stop()
        return commands

    def _apply_schedule_task(self, task: Task) -> None:
        try:
            self._offer(task)
        except ValueError as exc:
            self._tasks_rejected += 1
            self._report("command", exc, task._describe())

    def _apply_queue_event(self, event: object) -> None:
        # Reading the event's priority runs the sender's code: whatever it raises, the event
        # is refused and counted (and reported, unless it is an interrupt, which goes on).
        try:
            self.queue_event(event)
        except Exception as exc:
            self._events_rejected += 1
            self._report("command", exc, describe_callable(type(event)))
        except BaseException:
            self._events_rejected += 1
            raise

    def _settle_quit(self) -> None:
        """Honour `HandlerContext.request_quit` at the end of a phase."""
        self._quit_requested = False
        self.shutdown()

    # -- stopping and driving -------------------------------------------------------------------

    def _stop(self) -> ShutdownReport | None:
        """The first terminal tick: drain (STOPPING) or abandon (EMERGENCY), then report.

        Interrupted (a drained task raising `KeyboardInterrupt`), it leaves no report, and the
        next terminal tick resumes from the same `StopProgress`. Returns the new report, or None
        if an earlier terminal tick made it.
        """
        if self._shutdown_report is None:
            self._quit_requested = False
            if self._stopping is None:
                self._stopping = StopProgress(
                    self._executor, self._events, self._bus, self._config.drain_limit
                )
            progress = self._stopping
            jobs_cancelled, jobs_abandoned = self._threads.stop(
                draining=self._state is _STOPPING, timeout=self._config.thread_join_timeout
            )
            progress.thread_jobs_cancelled += jobs_cancelled
            progress.thread_jobs_abandoned += jobs_abandoned
            report = stop(
                self._read_state,
                progress,
                wheel=self._wheel,
                events=self._events,
                work=self._work,
                bus=self._bus,
                executor=self._executor,
                scope=self._scope,
                ticks=self._ticks,
            )
            self._shutdown_report = dataclasses.replace(
                report,
                thread_jobs_cancelled=progress.thread_jobs_cancelled,
                thread_jobs_abandoned=progress.thread_jobs_abandoned,
            )
            self._release()
            return self._shutdown_report
        return None

    def _release(self) -> None:
        """Release every OS resource: signal handlers first (they use the wake-up fd), and stop
        the watchdog thread."""
        self._signals.close()
        self._io.close()
        if self._watchdog is not None:
            self._watchdog.stop()
            self._instruments.set_watchdog(None)

    def _read_state(self) -> RuntimeState:
        return self._state

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

    def shutdown_report(self) -> ShutdownReport | None:
        """The report of the first terminal tick, or None before it ran. It never changes."""
        return self._shutdown_report

    # -- observing ------------------------------------------------------------------------------

    def is_idle(self) -> bool:
        """True when no event, task or async event is queued and no timer is pending."""
        return not (self._events or self._work or self._async or self._wheel)

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

    # -- I/O sources, signals, idle callbacks, worker threads (SPEC §12) -----------------------

    def add_reader(
        self, fd: Any, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> None:
        """Call ``fn(*args)`` in the I/O phase of each RUNNING tick while `fd` is readable.

        Level-triggered: a callback that does not read is called again next tick. A reader for
        an fd that has one replaces it. Accepted in BOOTING and RUNNING. Remove a reader before
        closing its fd: epoll forgets a closed fd silently. A callback that raises is reported
        (``phase == "io"``) and stays registered.

        Args:
            fd: an int >= 0 or an object with ``fileno()`` (a socket, a file, ``sys.stdin``).

        Raises:
            InvalidStateError: the runtime is stopping or stopped.
            TypeError: a bool or non-int `fd` without ``fileno()``, a non-callable `fn`, or a
                non-str `name`.
            ValueError: a negative or closed `fd`, or one the selector refuses (epoll refuses
                regular files and ``/dev/null``).
        """
        self._check_accepting("add_reader")
        self._io.add(READ, fd, fn, args, name)

    def remove_reader(self, fd: Any) -> bool:
        """Stop watching `fd` for reading; True if it had a reader. Effective at once.

        Raises:
            TypeError / ValueError: a bad `fd` (as `add_reader`; a closed fd is fine here).
        """
        return self._io.remove(READ, fd)

    def add_writer(
        self, fd: Any, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> None:
        """Call ``fn(*args)`` in the I/O phase of each RUNNING tick while `fd` is writable.

        As `add_reader`, for writability.
        """
        self._check_accepting("add_writer")
        self._io.add(WRITE, fd, fn, args, name)

    def remove_writer(self, fd: Any) -> bool:
        """Stop watching `fd` for writing; True if it had a writer. Effective at once.

        Raises:
            TypeError / ValueError: a bad `fd`.
        """
        return self._io.remove(WRITE, fd)

    def add_signal_handler(
        self,
        signum: int,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        name: str | None = None,
    ) -> None:
        """Call ``fn(*args)`` on the loop thread, in the I/O phase, after `signum` arrives.

        Once per tick however many times the signal arrived since the last one. A second
        handler for the same signal replaces the first; `remove_signal_handler` and the stop
        restore the Python handler from before the first. Uses `signal.set_wakeup_fd` (or
        chains if another party set it: docs/main_loop.md). Accepted in BOOTING and RUNNING.

        Raises:
            RuntimeError: not called on the main thread.
            InvalidStateError: the runtime is stopping or stopped.
            TypeError: a non-int `signum`, a non-callable `fn`, a non-str `name`.
            ValueError: an invalid signal number, SIGKILL or SIGSTOP.
        """
        self._check_accepting("add_signal_handler")
        self._signals.add(signum, fn, args, name)

    def remove_signal_handler(self, signum: int) -> bool:
        """Remove the handler of `signum`, restoring the previous one; True if there was one.

        Raises:
            RuntimeError: not called on the main thread.
            TypeError / ValueError: a bad `signum`.
        """
        return self._signals.remove(signum)

    def add_idle_callback(
        self, fn: Callable[[Unpack[Ts]], object], /, *args: *Ts, name: str | None = None
    ) -> int:
        """Call ``fn(*args)`` each time `run()` finds nothing ready and is about to wait.

        Idle callbacks run in registration order; work they create runs before the wait.
        They are not work (`is_idle()` ignores them), and `tick()`, `advance()` and
        `run_until_idle()` never call them. A raising one is reported (``phase == "idle"``)
        and stays registered. This is where a TUI renders.

        Returns:
            The callback's id (from 1), for `remove_idle_callback`.

        Raises:
            InvalidStateError: the runtime is stopping or stopped.
            TypeError: a non-callable `fn` or a non-str `name`.
        """
        self._check_accepting("add_idle_callback")
        return self._idle.add(fn, args, name)

    def remove_idle_callback(self, callback_id: int) -> bool:
        """Remove an idle callback by id; True if it was registered.

        Raises:
            TypeError: `callback_id` is not an int.
        """
        return self._idle.remove(callback_id)

    def run_in_thread(
        self,
        fn: Callable[[Unpack[Ts]], object],
        /,
        *args: *Ts,
        on_done: Callable[[concurrent.futures.Future[Any]], object] | None = None,
        name: str | None = None,
    ) -> concurrent.futures.Future[Any]:
        """Run ``fn(*args)`` on a worker thread; return its `concurrent.futures.Future`.

        ``on_done(future)`` runs on the loop thread exactly once per job (returned, raised or
        cancelled), in the first tick after the job finished, in completion order. A job that
        raises without ``on_done`` is reported (``phase == "thread"``); an exception from
        ``on_done`` is too. The pool (``max_worker_threads``) is created on first use. See
        SPEC §12 for the shutdown rules (``thread_join_timeout``, cancelled, abandoned).

        Raises:
            InvalidStateError: the runtime is not RUNNING.
            TypeError: `fn` or `on_done` is not callable, or `name` is not a str or None.
        """
        if self._state is not _RUNNING:
            msg = f"run_in_thread() called in {self._state} state; jobs are accepted only while Running"
            raise InvalidStateError(msg)
        return self._threads.submit(fn, args, on_done, name)

    def close(self) -> None:
        """Stop at once if not stopped (EMERGENCY), run the terminal tick, release OS resources.

        For a runtime that never ran to its end. Idempotent; a runtime that already stopped
        keeps its state and report.

        Raises:
            InvalidStateError: called from inside a tick.
        """
        self._refuse_inside_tick("close")  # before anything: not an emergency stop, then refused
        if not self._state.is_terminal:
            self.emergency_stop()
        if self._shutdown_report is None:
            self.tick()
        self._release()

    def __enter__(self) -> Self:
        """Boot (if BOOTING) and return the runtime."""
        if self._state is _BOOTING:
            self.boot()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Normal exit: `shutdown()` and tick until the terminal tick (the drain) ran. On an
        exception: `emergency_stop()` and the terminal tick; the exception propagates. Either
        way, OS resources are released."""
        if exc_type is None:
            self.shutdown()
        else:
            self.emergency_stop()
        if self._shutdown_report is None:
            self.tick()  # STOPPING or EMERGENCY now: this is the terminal tick
        self._release()

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

    def _check_accepting(self, what: str) -> None:
        if self._state.is_terminal:
            msg = (
                f"{what}() called in {self._state} state;"
                " it is accepted only while Booting or Running"
            )
            raise InvalidStateError(msg)

    def _current_tick(self) -> int:
        return self._ticks

    # -- instruments (SPEC §14) -------------------------------------------------------------------

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
