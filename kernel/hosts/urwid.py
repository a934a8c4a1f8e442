"""`KernelEventLoop`: a ``urwid.EventLoop`` backed by a kernel `Runtime` (SPEC §13).

Needs the ``urwid`` extra (urwid >= 2.6). Pass it to ``urwid.MainLoop(..., event_loop=...)`` and the
app runs on kernel; `KernelEventLoop.runtime` gives the app every kernel feature beside urwid.

The mapping:

=====================  =========================================================================
urwid                  kernel
=====================  =========================================================================
``alarm(s, fn)``       ``schedule_delayed(s, ...)``; ``s <= 0``: a `Task` for the next tick
``watch_file(fd, fn)`` ``add_reader(fd, ...)`` (level-triggered; one watch per fd)
``enter_idle(fn)``     ``add_idle_callback(...)``: called each time the loop is about to wait
``set_signal_handler`` ``add_signal_handler`` / ``remove_signal_handler``
``run_in_executor``    ``executor.submit``; ``executor=None``: ``run_in_thread``
``run()``              its own loop over ``tick()`` / ``next_timeout()`` / ``wait()``
=====================  =========================================================================

urwid's semantics hold inside `run()`: every urwid callback is wrapped, so an exception it raises
stops the tick at once (a private `BaseException` carries it past kernel's catch-and-report) and
ends `run()`: `urwid.ExitMainLoop` normally, anything else re-raised. Nothing is closed, so `run()`
may be called again. Outside `run()` (a runtime ticked by ``rt.advance()`` in a test, say) kernel
drives and kernel's rules apply: the exception is reported to the runtime's error handler.
"""

from __future__ import annotations

import functools
import itertools
import math
import select
import signal
from typing import TYPE_CHECKING, Any, Final

from kernel import InvalidStateError, Runtime, RuntimeState, Task
from kernel.testing import ManualClock

try:
    import urwid
except ImportError as exc:  # tested by hiding urwid
    msg = "kernel.hosts.urwid needs urwid >= 2.6: pip install 'kernel[urwid]'"
    raise ImportError(msg) from exc

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable
    from types import FrameType

    from urwid.event_loop.abstract_loop import SupportsFileno

    from kernel import TimerHandle

    SignalHandler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None

__all__ = ["KernelEventLoop"]

_BOOTING: Final = RuntimeState.BOOTING
_RUNNING: Final = RuntimeState.RUNNING


class _LoopExit(BaseException):
    """Carries the exception of a urwid callback out of the tick to `KernelEventLoop.run`.

    A `BaseException`, so kernel's executor and I/O phase (which catch `Exception`) let it
    through and the tick stops at once, the runtime left consistent.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class _Alarm:
    """The handle `KernelEventLoop.alarm` returns: a kernel timer, or a task for ``seconds <= 0``."""

    __slots__ = ("_item",)

    def __init__(self, item: TimerHandle | Task) -> None:
        self._item = item

    def cancel(self) -> bool:
        """Stop the alarm; True only if it had not fired yet."""
        return self._item.cancel()

    def __repr__(self) -> str:
        return f"<alarm {self._item!r}>"


class KernelEventLoop(urwid.EventLoop):
    """A ``urwid.EventLoop`` whose alarms, watches and idle callbacks live in a kernel `Runtime`.

    Args:
        runtime: the runtime to use (default: a new one on the monotonic clock). It is booted
            here if it is BOOTING. With a `kernel.testing.ManualClock`, `run()` jumps virtual
            time to the next deadline instead of sleeping (deterministic tests); other clocks
            are taken to run in real time.

    Raises:
        TypeError: `runtime` is not a `Runtime`.
        InvalidStateError: `runtime` is stopping or stopped.

    Thread-safety: as urwid's loops, every method belongs to the loop's thread, except that the
    futures of `run_in_executor` complete on worker threads.
    """

    __slots__ = ("_idle", "_idle_ids", "_originals", "_rt", "_running", "_signals", "_watches")

    def __init__(self, runtime: Runtime | None = None) -> None:
        super().__init__()
        given: object = Runtime() if runtime is None else runtime
        if not isinstance(given, Runtime):
            msg = f"runtime must be a kernel Runtime or None, got {given!r}"
            raise TypeError(msg)
        runtime = given
        if runtime.state is _BOOTING:
            runtime.boot()
        elif runtime.state is not _RUNNING:
            msg = f"KernelEventLoop needs a Booting or Running runtime, got one in {runtime.state} state"
            raise InvalidStateError(msg)
        self._rt = runtime
        self._running = False
        self._watches: dict[object, int] = {}  # handle -> fd number
        self._idle: dict[int, int] = {}  # urwid handle -> kernel idle callback id
        self._idle_ids = itertools.count(1)
        self._signals: dict[int, SignalHandler] = {}  # signal -> the urwid handler installed
        self._originals: dict[int, SignalHandler] = {}  # signal -> the handler before ours

    @property
    def runtime(self) -> Runtime:
        """The kernel runtime: schedule kernel tasks, events and timers beside urwid."""
        return self._rt

    # -- callbacks ------------------------------------------------------------------------------

    def _call(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run a urwid callback; inside `run()`, an exception from it ends `run()`."""
        if not self._running:
            callback(*args)  # kernel drives: its catch-and-report applies
            return
        try:
            callback(*args)
        except Exception as exc:
            raise _LoopExit(exc) from None

    # -- alarms ---------------------------------------------------------------------------------

    def alarm(self, seconds: float, callback: Callable[[], Any]) -> _Alarm:
        """Call ``callback()`` once, `seconds` from now (never earlier); return a handle.

        ``seconds <= 0`` runs it in the next tick (the loop's next iteration), as a kernel task.
        Otherwise a kernel timer: on the runtime's timer resolution (1 ms by default). Both go
        through the runtime's bounded work queue: an alarm that finds it full is dropped and
        counted in ``stats().work_dropped``, as every kernel task.

        Raises:
            TypeError: `seconds` is not a number, or `callback` is not callable.
            ValueError: `seconds` is NaN or infinite.
        """
        value: object = seconds
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            msg = f"seconds must be a number, got {seconds!r}"
            raise TypeError(msg)
        if not math.isfinite(seconds):
            msg = f"seconds must be finite, got {seconds!r}"
            raise ValueError(msg)
        _check_callable(callback)
        rt = self._rt
        if seconds <= 0:
            task = Task(self._call, callback)
            rt.schedule_task(task)  # a full work queue drops it, counted in work_dropped
            return _Alarm(task)
        return _Alarm(rt.schedule_delayed(seconds, self._call, callback))

    def remove_alarm(self, handle: Any) -> bool:
        """Cancel an alarm; True only if it was still pending (then it never runs)."""
        return isinstance(handle, _Alarm) and handle.cancel()

    # -- watched files --------------------------------------------------------------------------

    def watch_file(self, fd: int | SupportsFileno, callback: Callable[[], Any]) -> Any:
        """Call ``callback()`` in each iteration while `fd` is readable; return a handle (`fd`).

        Level-triggered: a callback that does not read is called again. A second watch of the
        same fd replaces the first. Remove a watch before closing its fd.

        Raises:
            TypeError / ValueError: a bad or closed `fd`, or a non-callable `callback`.
        """
        _check_callable(callback)
        self._rt.add_reader(fd, self._call, callback)
        # The number, for removal: a file object's fileno() is -1 once it is closed.
        self._watches[fd] = fd if isinstance(fd, int) else fd.fileno()
        return fd

    def remove_watch_file(self, handle: Any) -> bool:
        """Stop watching; True if the watch existed (once), False afterwards."""
        number = self._watches.pop(handle, None)
        if number is None:
            return False
        self._rt.remove_reader(number)  # False if kernel dropped it already (its fd was closed)
        return True

    # -- idle -----------------------------------------------------------------------------------

    def enter_idle(self, callback: Callable[[], Any]) -> int:
        """Call ``callback()`` each time the loop is about to wait; return a handle (from 1).

        Idle callbacks are not work: an idle loop waits once, it does not spin redrawing.
        """
        kernel_id = self._rt.add_idle_callback(self._call, callback)
        handle = next(self._idle_ids)
        self._idle[handle] = kernel_id
        return handle

    def remove_enter_idle(self, handle: Any) -> bool:
        """Remove an idle callback; True if it was registered (once), False afterwards."""
        kernel_id = self._idle.pop(handle, None)
        return kernel_id is not None and self._rt.remove_idle_callback(kernel_id)

    # -- signals and executors ------------------------------------------------------------------

    def set_signal_handler(self, signum: int, handler: SignalHandler) -> SignalHandler:
        """Handle `signum` with `handler(signum, None)` on the loop thread; return the previous one.

        A callable becomes a kernel signal handler (run in the I/O phase, coalesced per tick).
        ``SIG_DFL``, ``SIG_IGN``, None, or the handler this method returned when it first took
        the signal give the signal back: the kernel handler is removed and `handler` installed
        with `signal.signal` (None restores the one from before). Main thread only.

        Raises:
            RuntimeError: not called on the main thread.
            ValueError: an invalid or uncatchable `signum`.
        """
        previous: SignalHandler = self._signals.get(signum)
        if previous is None:
            previous = signal.getsignal(signum)
        if callable(handler) and not (
            signum in self._originals and handler is self._originals[signum]
        ):
            self._rt.add_signal_handler(signum, self._call, handler, signum, None)
            self._originals.setdefault(signum, previous)
            self._signals[signum] = handler
            return previous
        if self._signals.pop(signum, None) is not None:
            del self._originals[signum]
            self._rt.remove_signal_handler(signum)  # restores the handler from before ours
        if handler is not None and signal.getsignal(signum) is not handler:
            signal.signal(signum, handler)
        return previous

    def run_in_executor(
        self,
        executor: concurrent.futures.Executor | None,
        func: Callable[..., Any],
        *args: Any,
        **kwargs: Any,
    ) -> concurrent.futures.Future[Any]:
        """Run ``func(*args, **kwargs)`` on `executor` (None: the runtime's worker threads).

        Returns the `concurrent.futures.Future`; its outcome is the caller's to read (a failure
        is not reported to the runtime's error handler).

        Raises:
            InvalidStateError: `executor` is None and the runtime is not running.
        """
        call = functools.partial(func, *args, **kwargs)
        if executor is None:
            return self._rt.run_in_thread(call, on_done=_ignore)
        return executor.submit(call)

    # -- running --------------------------------------------------------------------------------

    def run(self) -> None:
        """Run until a urwid callback raises: `urwid.ExitMainLoop` returns, anything else propagates.

        Also returns when the runtime stops (a kernel task called ``shutdown()``; the drain runs).
        Between ticks it runs the idle callbacks and then waits for a deadline, I/O, a signal or
        a command, at 0% CPU. Re-enterable: after it returns or raises it may be called again.

        Raises:
            InvalidStateError: the runtime has stopped.
            RuntimeError: called from inside `run()` (a callback).
        """
        rt = self._rt
        if rt.state is not _RUNNING:
            msg = f"run() called with the runtime in {rt.state} state; it has stopped"
            raise InvalidStateError(msg)
        if self._running:
            msg = "run() called from inside run()"
            raise RuntimeError(msg)
        self._running = True
        try:
            error = self._loop()
        finally:
            self._running = False
        if error is not None and not isinstance(error, urwid.ExitMainLoop):
            raise error

    def _loop(self) -> Exception | None:
        """Tick, go idle, wait; return the exception a urwid callback raised (None: stopped)."""
        rt = self._rt
        manual = rt.clock if isinstance(rt.clock, ManualClock) else None
        try:
            while rt.tick():
                timeout = rt.next_timeout()
                if timeout == 0.0:
                    continue
                rt.run_idle_callbacks()
                timeout = rt.next_timeout()
                if timeout == 0.0:
                    continue
                if manual is not None and timeout is not None:
                    _jump(rt, manual)
                else:
                    rt.wait(timeout)
        except _LoopExit as stop:
            return stop.error
        return None


def _check_callable(callback: object) -> None:
    if not callable(callback):
        msg = f"callback must be callable, got {callback!r}"
        raise TypeError(msg)


def _ignore(future: concurrent.futures.Future[Any]) -> None:
    """The ``on_done`` of `run_in_executor` jobs: the future's owner reads the outcome."""


def _jump(rt: Runtime, clock: ManualClock) -> None:
    """Virtual time: poll I/O first (ready: do nothing, the next tick runs it), else move the
    clock exactly to the next deadline."""
    fd = rt.io_fileno()
    if fd is not None and select.select([fd], [], [], 0)[0]:
        return
    deadline = rt.timer_wheel.next_deadline()
    assert deadline is not None  # next_timeout() was a number: a timer is pending
    clock.advance_to(deadline)
