"""`Instruments`: a runtime's instruments, indexed per hook, and the watch on running callbacks.

An instrument is any object; the hooks it defines are looked up once, when it is added, and kept
in one tuple per hook (as trio does), so the loop pays one truth test for a hook nobody defined
(docs/observability.md). The same object carries the heartbeat the stall watchdog reads: the
marker of the callback running now (`current`), written by the callback sites of the loop.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from typing import TYPE_CHECKING, Any, Final

from kernel._core.callback import Callback
from kernel._core.clock import perf_counter
from kernel._core.task import Task, describe_callable
from kernel._core.timer_handle import TimerHandle

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.state import RuntimeState

__all__ = ["HOOKS", "Hook", "HookInterrupt", "Instruments", "describe_marker"]

logger: Final = logging.getLogger("kernel")

HOOKS: Final = (
    "before_tick",
    "after_tick",
    "before_callback",
    "after_callback",
    "on_error",
    "on_stall",
    "on_state",
)
"""Every hook an instrument may define (SPEC §14)."""

Hook = tuple[object, "Callable[..., object]"]
"""One instrument's bound hook, beside the instrument (to remove it if the hook raises)."""


@dataclasses.dataclass(frozen=True, slots=True)
class HookInterrupt:
    """A `BaseException` that is not an `Exception`, raised by a ``before_callback`` or
    ``after_callback`` hook around one callback, and how that callback itself went.

    `Instruments.call` lets the interrupt propagate, as any interrupt does, and keeps this record
    for its caller (`Instruments.take_interrupt`): the callback site must account for the
    callback's own outcome, not for the hook's interrupt (docs/reliability.md).
    """

    interrupt: BaseException
    """The hook's exception: the one propagating."""
    ran: bool
    """False: a ``before_callback`` hook raised, so the callback did not run. True: an
    ``after_callback`` hook raised, after the callback returned or raised."""
    error: BaseException | None = None
    """What the callback raised, if it ran and raised."""
    result: object = None
    """What the callback returned, if it ran and returned."""

    @property
    def failure(self) -> Exception | None:
        """The callback's own `Exception` (None if it returned, raised something else, or did
        not run): the error its site reports, as it would have without the hook."""
        error = self.error
        return error if isinstance(error, Exception) else None


class Instruments:
    """The instruments of one runtime, per hook, and the heartbeat of the running callback.

    Hook tuples are replaced, never mutated, so a hook list being walked (on the loop thread, or
    `on_stall` on the watchdog thread) is never changed under the walker; an instrument removed
    meanwhile is skipped from the next walk on. A hook that raises an `Exception` removes its
    instrument, which is reported (phase ``"instrument"``); the loop goes on.

    A hook's interrupt (a `BaseException` that is not an `Exception`) propagates and leaves its
    instrument installed; a ``before_callback`` or ``after_callback`` one is recorded for the
    callback site, which takes it with `take_interrupt` to tell it from the callback's own.

    Heartbeat: while a callback runs, `current` holds a marker for it (an object made for this
    run, or the work item being run) and None between callbacks. The watchdog describes the
    marker only when it reports a stall (`describe_marker`). While the watchdog sleeps,
    `sleeping` is True and the next callback calls `wake()`.

    Args:
        report: where a raising hook is reported, as ``("instrument", exception, description)``.
        current_tick: returns ``stats().ticks``.
        on_change: called after the set of hooks changed (the runtime re-reads `watch_ticks`).
    """

    __slots__ = (
        "_instruments",
        "_interrupt",
        "_lock",
        "_on_change",
        "_report",
        "_slow_callback",
        "_watchdog_start",
        "after_callback",
        "after_tick",
        "before_callback",
        "before_tick",
        "current",
        "hooked",
        "on_error",
        "on_stall",
        "on_state",
        "sleeping",
        "watching",
    )

    def __init__(
        self,
        report: Callable[[str, BaseException, str], None],
        on_change: Callable[[], None],
    ) -> None:
        self._report = report
        self._on_change = on_change
        self._instruments: list[object] = []
        self._lock = threading.Lock()  # add/remove may race with on_stall's removal
        self._watchdog_start: Callable[[], None] | None = None
        self._slow_callback: Callable[[str, object, float], None] | None = None
        self._interrupt: HookInterrupt | None = None
        self.before_tick: tuple[Hook, ...] = ()
        self.after_tick: tuple[Hook, ...] = ()
        self.before_callback: tuple[Hook, ...] = ()
        self.after_callback: tuple[Hook, ...] = ()
        self.on_error: tuple[Hook, ...] = ()
        self.on_stall: tuple[Hook, ...] = ()
        self.on_state: tuple[Hook, ...] = ()
        self.current: object = None
        self.sleeping = False
        self.hooked = False
        """Callbacks go through `call` (callback hooks or slow-callback warnings exist)."""
        self.watching = False
        """The callback sites must watch: `hooked`, or a watchdog reads the heartbeat."""

    def __len__(self) -> int:
        """Instruments installed."""
        return len(self._instruments)

    def __contains__(self, instrument: object) -> bool:
        return any(i is instrument for i in self._instruments)

    # -- registration -----------------------------------------------------------------------------

    def add(self, instrument: object) -> None:
        """Install `instrument` (once: adding it again does nothing). O(hooks).

        Raises:
            TypeError: one of its hook attributes is not callable; nothing is installed.
        """
        found: dict[str, Callable[..., object]] = {}
        for name in HOOKS:
            hook = getattr(instrument, name, None)
            if hook is None:
                continue
            if not callable(hook):
                msg = (
                    f"instrument {instrument!r}: its {name} attribute must be callable,"
                    f" got {hook!r}"
                )
                raise TypeError(msg)
            found[name] = hook
        with self._lock:
            if instrument in self:
                return
            self._instruments.append(instrument)
            for name, hook in found.items():
                setattr(self, name, (*getattr(self, name), (instrument, hook)))
        self._changed()

    def remove(self, instrument: object) -> bool:
        """Uninstall `instrument`; True if it was installed. Works from inside its own hook."""
        with self._lock:
            if instrument not in self:
                return False
            self._instruments = [i for i in self._instruments if i is not instrument]
            for name in HOOKS:
                hooks: tuple[Hook, ...] = getattr(self, name)
                setattr(self, name, tuple(h for h in hooks if h[0] is not instrument))
        self._changed()
        return True

    def set_watchdog(self, start: Callable[[], None] | None) -> None:
        """Enable the heartbeat: `start` runs at a callback's start while the watchdog sleeps
        (or was never started). None disables it."""
        self._watchdog_start = start
        self.sleeping = start is not None
        self._changed()

    def set_slow_callback(self, check: Callable[[str, object, float], None] | None) -> None:
        """Run `check(phase, subject, seconds)` after each callback (debug mode); None: stop."""
        self._slow_callback = check
        self._changed()

    def _changed(self) -> None:
        self.hooked = bool(self.before_callback or self.after_callback or self._slow_callback)
        self.watching = self.hooked or self._watchdog_start is not None
        self._on_change()

    @property
    def watch_ticks(self) -> bool:
        """True if some instrument has `before_tick` or `after_tick`."""
        return bool(self.before_tick or self.after_tick)

    # -- calling hooks ----------------------------------------------------------------------------

    def notify(self, hooks: tuple[Hook, ...], *args: object) -> None:
        """Call each hook with `args`; a hook that raises removes its instrument and is reported."""
        for instrument, hook in hooks:
            try:
                hook(*args)
            except Exception as exc:
                self._failed(instrument, hook, exc)

    def notify_state(self, old: RuntimeState, new: RuntimeState) -> None:
        """`on_state(old, new)` hooks."""
        self.notify(self.on_state, old, new)

    def notify_stall(self, report: object) -> None:
        """`on_stall(report)` hooks, on the watchdog thread: a hook that raises is logged and its
        instrument removed, with no `ErrorReport` (the loop thread is busy: SPEC §17)."""
        for instrument, hook in self.on_stall:
            try:
                hook(report)
            except Exception:
                logger.exception("instrument %r raised in on_stall; it was removed", instrument)
                self.remove(instrument)

    def _failed(self, instrument: object, hook: Callable[..., object], exc: Exception) -> None:
        self.remove(instrument)
        self._report("instrument", exc, describe_callable(hook))

    # -- the callback sites -----------------------------------------------------------------------

    def wake(self) -> None:
        """A callback starts while the watchdog sleeps (or was never started): wake it."""
        start = self._watchdog_start
        if start is not None:
            start()

    def call(
        self, phase: str, subject: object, fn: Callable[..., Any], args: tuple[Any, ...]
    ) -> Any:
        """Run ``fn(*args)`` as one callback of `phase`: heartbeat, hooks and timing around it.

        `subject` is what the callback is described by (a `Task`, a `TimerHandle`, a `Callback`,
        a handler, or a str). ``before_callback`` hooks run first; ``after_callback`` hooks get
        the duration and the exception `fn` raised (None if it returned). The exception itself
        propagates to the caller, which reports it as before. The heartbeat is back to what it
        was before any ``after_callback`` hook runs, so a stall ends with the callback.

        A hook's interrupt propagates instead, and is recorded as a `HookInterrupt` for the
        caller to take (`take_interrupt`): the caller's accounting must follow whether `fn` ran
        and how it ended, not the hook's exception.
        """
        label = ""
        if self.before_callback or self.after_callback:
            label = describe_subject(subject)
            if self.before_callback:
                self._notify_callback(self.before_callback, (phase, label))
        previous = self.current
        self.current = (phase, subject)
        if self.sleeping:
            self.wake()
        error: BaseException | None = None
        result: Any = None
        start = perf_counter()
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
            # Whatever a nested callback's hook recorded is this callback's own exception now.
            self._interrupt = None
            raise
        finally:
            seconds = perf_counter() - start
            self.current = previous
            slow = self._slow_callback
            if slow is not None:
                slow(phase, subject, seconds)
            if self.after_callback:
                self._notify_callback(
                    self.after_callback, (phase, label, seconds, error), error, result, ran=True
                )
        return result

    def _notify_callback(
        self,
        hooks: tuple[Hook, ...],
        args: tuple[object, ...],
        error: BaseException | None = None,
        result: object = None,
        *,
        ran: bool = False,
    ) -> None:
        """`notify` for the callback hooks: an interrupt propagates, recorded with the outcome
        of the callback (`ran`, its `error` or `result`)."""
        try:
            self.notify(hooks, *args)
        except BaseException as exc:
            self._interrupt = HookInterrupt(exc, ran, error, result)
            raise

    def take_interrupt(self, exc: BaseException) -> HookInterrupt | None:
        """The record of `exc` if a callback hook raised it in the last `call`, else None (`exc`
        is the callback's own). Taking it forgets it: each callback site takes what it caught."""
        record = self._interrupt
        if record is None or record.interrupt is not exc:
            return None
        self._interrupt = None
        return record

    def settle(
        self,
        exc: BaseException,
        report: Callable[[str, BaseException, str], None],
        phase: str,
        description: str,
    ) -> bool:
        """For a callback site that only reports: `exc` is leaving a callback's `call`; return
        whether the callback ran. If an ``after_callback`` hook's interrupt replaced the
        callback's own `Exception`, that exception is reported first, as without the hook."""
        record = self.take_interrupt(exc)
        if record is None:
            return True
        failure = record.failure
        if failure is not None:
            report(phase, failure, description)
        return record.ran


def describe_subject(subject: object) -> str:
    """The text a report shows for `subject`: a task's or timer's name, a callback's name, else
    the callable's qualified name."""
    if isinstance(subject, str):
        return subject
    if isinstance(subject, Task | TimerHandle):
        return subject._describe()
    if isinstance(subject, Callback):
        return subject.describe()
    return describe_callable(subject)


def describe_marker(marker: object) -> tuple[str, str]:
    """``(phase, description)`` of a heartbeat marker: a work item ``(fn, args, owner)`` or a
    ``(phase, subject)`` pair."""
    assert isinstance(marker, tuple)
    if len(marker) == 3:
        fn, _, owner = marker
        if owner is None:
            return "task", describe_callable(fn)
        return owner._phase, describe_subject(owner)
    phase, subject = marker
    return phase, describe_subject(subject)
