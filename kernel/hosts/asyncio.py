"""``await drive(rt)``: tick a kernel `Runtime` inside a running asyncio loop (SPEC §13).

One *pump* callback on the asyncio loop does the runtime's work: it runs one `Runtime.tick()`
and then either schedules itself again (``call_soon``: something is still ready, and other
asyncio tasks run first) or, when nothing is ready, runs the idle callbacks and lets asyncio
wait. Four things call the pump, in the manner of Twisted's asyncio reactor:

- one asyncio `TimerHandle` at the runtime's earliest timer deadline, re-armed when an earlier
  deadline appears or the handle fired (an early fire simply re-arms);
- the runtime's selector fd (`Runtime.io_fileno`), watched with ``loop.add_reader`` through a
  private ``os.dup()`` of it, so the runtime's readers, writers and signal handlers work;
- `CommandSender.send()` and finished `Runtime.run_in_thread` jobs, through
  `Runtime.set_wakeup` → ``loop.call_soon_threadsafe`` (at most one pending at a time);
- itself, while work is ready.

An idle runtime therefore costs no CPU: asyncio sleeps in its own selector.

Clocks: asyncio's ``loop.time()`` is ``time.monotonic()``, the same clock as kernel's
`MonotonicClock`, so with both the timer is armed with ``call_at(deadline)``. With any other
pair (uvloop's millisecond loop time, a custom `Clock`) it is armed with
``call_later(rt.next_timeout())``: right for any clock that runs at the speed of real time. A
`kernel.testing.ManualClock` does not move by itself: its timers fire when the test advances it
and something (a command, I/O) makes the pump run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING, Final

from kernel import InvalidStateError, MonotonicClock, RuntimeState

if TYPE_CHECKING:
    from kernel import Runtime, ShutdownReport

__all__ = ["drive"]

_RUNNING: Final = RuntimeState.RUNNING
RELATIVE_SLACK: Final = 0.001
"""Seconds added to a relative (``call_later``) delay. uvloop keeps loop time in whole, cached
milliseconds and rounds delays, so its timer can fire up to a millisecond before the kernel
deadline; re-arming for the sub-millisecond rest would then round to 0 and spin. One more
millisecond (kernel's default timer resolution) makes every fire land on or after the deadline."""


async def drive(rt: Runtime) -> ShutdownReport:
    """Tick `rt` inside the running asyncio loop until it is terminal; return its report.

    Timers fire on time, the runtime's readers, writers and signal handlers work, commands and
    thread completions wake it, idle callbacks run each time it is about to wait, and other
    asyncio tasks run between ticks. Booting is the caller's job. A runtime that is already
    terminal gets its terminal tick (if it has not run) and its report back at once.

    While `drive` waits, calling the runtime's methods from another asyncio task on the same
    thread does not wake it by itself (SPEC §17): send a command with a `CommandSender` instead
    (``sender.send(ScheduleTask(Task(fn)))``), which does. Only one driver may drive a runtime:
    `drive` installs the runtime's `Runtime.set_wakeup` hook and removes it before returning.

    Cancelling the task that awaits `drive` shuts the runtime down gracefully: `shutdown()`,
    then ticks until the terminal tick (the drain) ran, synchronously, then `CancelledError`
    propagates. The drain may block the asyncio loop for as long as the runtime's own drain
    takes (up to ``thread_join_timeout`` for running worker jobs).

    Raises:
        InvalidStateError: `rt` is still BOOTING.
        RuntimeError: there is no running asyncio loop.
        asyncio.CancelledError: the awaiting task was cancelled (after the drain).
        KeyboardInterrupt / SystemExit: raised by a tick; they leave the asyncio loop as
            asyncio's own callbacks' do, and `rt` stays as it was (a later `drive` may go on).
    """
    if rt.state is RuntimeState.BOOTING:
        msg = "drive() called in Booting state; call boot() first"
        raise InvalidStateError(msg)
    pump = _Pump(rt, asyncio.get_running_loop())
    try:
        return await pump.done
    except asyncio.CancelledError:
        pump.close()
        rt.shutdown()
        rt.tick()  # the terminal tick: the drain (or nothing, if it already ran)
        raise
    finally:
        pump.close()


class _Pump:
    """The callbacks that tick one runtime on one asyncio loop; see the module docstring.

    Created attached: the first pump is scheduled and the wake-up hook installed. `close()`
    detaches everything (idempotent); a pump that asyncio still calls afterwards does nothing.
    """

    __slots__ = (
        "_absolute",
        "_armed",
        "_closed",
        "_dup",
        "_loop",
        "_rt",
        "_soon",
        "_source",
        "_timer",
        "_woken",
        "done",
    )

    def __init__(self, rt: Runtime, loop: asyncio.AbstractEventLoop) -> None:
        self._rt = rt
        self._loop = loop
        # call_at(deadline) needs both sides on time.monotonic(): kernel's MonotonicClock and
        # asyncio's own loop.time() (uvloop's is a cached millisecond count).
        self._absolute = isinstance(rt.clock, MonotonicClock) and (
            type(loop).time is asyncio.BaseEventLoop.time
        )
        self.done: asyncio.Future[ShutdownReport] = loop.create_future()
        self._closed = False
        self._soon = False  # a call_soon(pump) is pending
        self._woken = False  # a call_soon_threadsafe(pump) is pending
        self._timer: asyncio.TimerHandle | None = None
        self._armed: float | None = None  # the kernel deadline the timer is armed for
        self._source: int | None = None  # the runtime's selector fd being watched ...
        self._dup: int | None = None  # ... through this private duplicate
        rt.set_wakeup(self._wake)
        self._schedule_soon()

    # -- the pump -------------------------------------------------------------------------------

    def _pump(self) -> None:
        """One tick; then go again soon, or run the idle callbacks and let asyncio wait."""
        if self._closed:
            return
        rt = self._rt
        try:
            if rt.state is not _RUNNING:
                self._watch(None)  # the terminal tick closes the selector
            if not rt.tick():
                self._finish()
                return
            timeout = rt.next_timeout()
            if timeout != 0.0:
                rt.run_idle_callbacks()
                timeout = rt.next_timeout()
            self._watch(rt.io_fileno())
            if timeout == 0.0:
                self._schedule_soon()
            else:
                self._arm(timeout)
        except Exception as exc:  # a broken host (e.g. add_reader refused): drive() raises it
            self.close()
            self.done.set_exception(exc)

    # Each trigger has its own entry, so a pending call_soon or call_soon_threadsafe is never
    # doubled: its flag is cleared only by the pump it scheduled, and always before the tick
    # (which takes the commands), so a send after that schedules another.

    def _schedule_soon(self) -> None:
        if not self._soon:
            self._soon = True
            self._loop.call_soon(self._soon_pump)

    def _soon_pump(self) -> None:
        self._soon = False
        self._pump()

    def _on_timer(self) -> None:
        self._timer = None
        self._armed = None
        self._pump()

    def _wake(self) -> None:
        """The runtime's wake-up hook: called on the sending thread after each command."""
        if self._woken:
            return
        self._woken = True
        # The loop may be closed already (a sender outliving it): there is nothing to wake.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._woken_pump)

    def _woken_pump(self) -> None:
        self._woken = False
        self._pump()

    def _finish(self) -> None:
        report = self._rt.shutdown_report()
        assert report is not None  # tick() returns False only after the terminal tick
        self.close()
        self.done.set_result(report)

    # -- the timer and the selector fd ----------------------------------------------------------

    def _arm(self, timeout: float | None) -> None:
        """Arm the one timer for the earliest kernel deadline (cancel it when there is none)."""
        deadline = self._rt.timer_wheel.next_deadline()
        if deadline is None or timeout is None:
            self._disarm()
            return
        if self._armed is not None and self._armed <= deadline:
            return  # armed early enough: an early fire re-arms
        self._disarm()
        if self._absolute:
            self._timer = self._loop.call_at(deadline, self._on_timer)
        else:
            self._timer = self._loop.call_later(timeout + RELATIVE_SLACK, self._on_timer)
        self._armed = deadline

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._armed = None

    def _watch(self, fd: int | None) -> None:
        """Watch the runtime's selector fd `fd` in asyncio (None: watch nothing)."""
        if fd == self._source:
            return
        if self._dup is not None:
            self._loop.remove_reader(self._dup)
            os.close(self._dup)
            self._source = self._dup = None
        if fd is not None:
            dup = os.dup(fd)
            try:
                self._loop.add_reader(dup, self._pump)
            except BaseException:
                os.close(dup)
                raise
            self._source, self._dup = fd, dup

    def close(self) -> None:
        """Detach: no wake-up hook, no timer, no watched fd; later pumps do nothing."""
        if self._closed:
            return
        self._closed = True
        self._rt.set_wakeup(None)
        self._disarm()
        self._watch(None)
