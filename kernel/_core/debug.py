"""Debug mode (as asyncio's): thread checks, where tasks and timers were created, slow callbacks.

Everything here is installed on one runtime when its debug mode is on, and nothing otherwise: the
checked methods are instance attributes that shadow the runtime's own, so a runtime without
debug mode runs exactly the code it runs without this module (docs/observability.md).
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any, Final, Protocol

from kernel._core.instruments import describe_subject
from kernel._core.task import Task

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "CLAIMING_METHODS",
    "CREATION_DEPTH",
    "DRIVING_METHODS",
    "ThreadGuard",
    "Traceable",
    "creation_stack",
    "install",
    "is_debug",
    "slow_callback_warning",
]

logger: Final = logging.getLogger("kernel")

CREATION_DEPTH: Final = 8
"""Frames kept of where a task or timer was created: enough to reach the caller's caller's code,
little enough that recording costs microseconds."""

DRIVING_METHODS: Final = (
    "boot",
    "shutdown",
    "emergency_stop",
    "schedule_work",
    "schedule_work_with_priority",
    "schedule_task",
    "schedule_delayed",
    "schedule_periodic",
    "cancel_timer",
    "queue_event",
    "set_scope",
    "clear_scope",
    "request_render",
    "take_render_pending",
    "tick",
    "run",
    "run_until_idle",
    "advance",
    "run_ticks",
    "add_instrument",
    "remove_instrument",
    "add_reader",
    "remove_reader",
    "add_writer",
    "remove_writer",
    "add_signal_handler",
    "remove_signal_handler",
    "add_idle_callback",
    "remove_idle_callback",
    "run_in_thread",
    "run_idle_callbacks",
    "wait",
    "close",
)
"""The `Runtime` methods that belong to the driving thread and change something. Read-only ones
(`stats`, `is_idle`, `next_timeout`, ...) and `command_sender` are left unchecked."""

CLAIMING_METHODS: Final = frozenset({"tick", "run"})
"""The first call of one of these makes its thread the driving thread."""

_TIMER_METHODS: Final = frozenset({"schedule_delayed", "schedule_periodic"})
_WORK_METHODS: Final = frozenset({"schedule_work", "schedule_work_with_priority"})


class Traceable(Protocol):
    """A `Task` or `TimerHandle`: it can keep where it was created."""

    def _set_created_at(self, stack: str) -> None:
        """Keep `stack` for the task's or timer's `ErrorReport.created_at`."""


def is_debug(debug: bool | None) -> bool:
    """`RuntimeConfig.debug` resolved: None follows ``python -X dev`` (``sys.flags.dev_mode``)."""
    return bool(sys.flags.dev_mode) if debug is None else debug


def creation_stack() -> str:
    """Where the caller's caller was called from, as text (`CREATION_DEPTH` frames, innermost
    last), without the debug wrappers' own frames."""
    frames = traceback.extract_stack(limit=CREATION_DEPTH + 2)[:-2]
    return "".join(traceback.format_list(frames))


class ThreadGuard:
    """Which thread drives the runtime, and the check of every driving-thread method.

    The driving thread is the thread that created the runtime until `tick()` or `run()` is
    first called; from then on it is the thread that made that call. Any other thread calling a
    `DRIVING_METHODS` method gets a `RuntimeError` naming the method and both threads.
    """

    __slots__ = ("_claimed", "_thread")

    def __init__(self) -> None:
        self._thread = threading.current_thread()
        self._claimed = False

    def check(self, method: str) -> None:
        """Raise unless called on the driving thread (the first `tick`/`run` claims it).

        Raises:
            RuntimeError: another thread called `method`.
        """
        current = threading.current_thread()
        if current is self._thread:
            return
        if method in CLAIMING_METHODS and not self._claimed:
            self._thread = current
            self._claimed = True
            return
        msg = (
            f"{method}() called from thread {current.name!r} (ident {current.ident}), but this"
            f" runtime belongs to thread {self._thread.name!r} (ident {self._thread.ident});"
            " from other threads use a CommandSender (rt.command_sender())"
        )
        raise RuntimeError(msg)

    def claim(self) -> None:
        """The first `tick`/`run` on the driving thread itself: no other thread may claim."""
        self._claimed = True


def install(runtime: object, guard: ThreadGuard) -> None:
    """Shadow each of `runtime`'s `DRIVING_METHODS` with a checked one (instance attributes).

    The scheduling methods also record where the task or timer was created: plain work becomes
    a `Task`, so its `ErrorReport` can carry ``created_at``.
    """
    for name in DRIVING_METHODS:
        setattr(runtime, name, _checked(runtime, name, guard))


def _checked(runtime: Any, name: str, guard: ThreadGuard) -> Callable[..., Any]:
    method = getattr(runtime, name)
    if name in _WORK_METHODS:
        offer = type(runtime).schedule_task

        @functools.wraps(method)
        def work(*args: Any, **kwargs: Any) -> Any:
            guard.check(name)
            if name == "schedule_work_with_priority":
                kwargs["priority"], *rest = args
                args = tuple(rest)
            task = Task(*args, **kwargs)
            task._set_created_at(creation_stack())
            return offer(runtime, task)

        return work
    if name == "schedule_task":

        @functools.wraps(method)
        def schedule_task(task: object, /) -> Any:
            guard.check(name)
            if isinstance(task, Task):
                task._set_created_at(creation_stack())
            return method(task)

        return schedule_task
    if name in _TIMER_METHODS:

        @functools.wraps(method)
        def timer(*args: Any, **kwargs: Any) -> Any:
            guard.check(name)
            handle = method(*args, **kwargs)
            handle._set_created_at(creation_stack())
            return handle

        return timer

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        guard.check(name)
        if name in CLAIMING_METHODS:
            guard.claim()
        return method(*args, **kwargs)

    return checked


def slow_callback_warning(threshold: float) -> Callable[[str, object, float], None]:
    """The check `Instruments` runs after each callback in debug mode: a warning on logger
    ``"kernel"`` for a callback that took `threshold` seconds or more (asyncio's
    ``slow_callback_duration``)."""

    def check(phase: str, subject: object, seconds: float) -> None:
        if seconds >= threshold:
            logger.warning(
                "slow callback: %s %s took %.3f s (slow_callback_duration=%s)",
                phase,
                describe_subject(subject),
                seconds,
                threshold,
            )

    return check
