"""`Runtime`'s lifecycle: the state transitions, the terminal tick, `close()` and ``with``.

`LifecycleMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md); it
declares, as annotations only, the parts of the runtime it uses, and `Runtime` owns them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Final

from kernel._core.bus import close, halt
from kernel._core.errors import InvalidStateError
from kernel._core.shutdown import StopProgress, stop
from kernel._core.state import TRANSITIONS, RuntimeState

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

    from kernel._core.bus import EventBus
    from kernel._core.config import RuntimeConfig
    from kernel._core.event_queue import EventQueue
    from kernel._core.executor import Executor
    from kernel._core.instruments import Instruments
    from kernel._core.scope import EventScope
    from kernel._core.selector import IoSources
    from kernel._core.signals import SignalHandlers
    from kernel._core.stats import ShutdownReport
    from kernel._core.threads import WorkerThreads
    from kernel._core.timer_wheel import TimerWheel
    from kernel._core.watchdog import Watchdog
    from kernel._core.work_queue import WorkQueue

__all__ = ["LifecycleMixin"]

_BOOTING: Final = RuntimeState.BOOTING
_RUNNING: Final = RuntimeState.RUNNING
_STOPPING: Final = RuntimeState.STOPPING
_EMERGENCY: Final = RuntimeState.EMERGENCY


class LifecycleMixin:
    """`boot`, `shutdown`, `emergency_stop`, the first terminal tick, `close` and ``with``."""

    _state: RuntimeState
    _config: RuntimeConfig
    _instruments: Instruments
    _work: WorkQueue
    _events: EventQueue
    _wheel: TimerWheel
    _bus: EventBus
    _executor: Executor
    _threads: WorkerThreads
    _io: IoSources
    _signals: SignalHandlers
    _watchdog: Watchdog | None
    _scope: EventScope | None
    _quit_requested: bool
    _shutdown_report: ShutdownReport | None
    _stopping: StopProgress | None
    _ticks: int

    if TYPE_CHECKING:  # what this facet calls of the runtime's other facets (for mypy only)

        def tick(self) -> bool: ...

        def _refuse_inside_tick(self, method: str) -> None: ...

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

    # -- the first terminal tick ---------------------------------------------------------------

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

    def shutdown_report(self) -> ShutdownReport | None:
        """The report of the first terminal tick, or None before it ran. It never changes."""
        return self._shutdown_report

    # -- close() and with ------------------------------------------------------------------------

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
