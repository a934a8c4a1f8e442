"""`Runtime`'s host sources (SPEC §12): I/O readers and writers, signals, idle callbacks, threads.

`HostSourcesMixin` is one facet of `kernel._core.runtime.Runtime` (docs/architecture.md): each
method checks the runtime's state and hands over to the component that owns the source
(`IoSources`, `SignalHandlers`, `IdleCallbacks`, `WorkerThreads`). It declares, as annotations
only, the parts it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from typing_extensions import TypeVarTuple, Unpack

from kernel._core.errors import InvalidStateError
from kernel._core.state import RuntimeState
from kernel._core.watches import READ, WRITE

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable

    from kernel._core.idle import IdleCallbacks
    from kernel._core.selector import IoSources
    from kernel._core.signals import SignalHandlers
    from kernel._core.threads import WorkerThreads

__all__ = ["HostSourcesMixin"]

Ts = TypeVarTuple("Ts")

_RUNNING: Final = RuntimeState.RUNNING


class HostSourcesMixin:
    """Readers, writers, signal handlers, idle callbacks and worker-thread jobs."""

    _state: RuntimeState
    _io: IoSources
    _signals: SignalHandlers
    _idle: IdleCallbacks
    _threads: WorkerThreads

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

    def _check_accepting(self, what: str) -> None:
        if self._state.is_terminal:
            msg = (
                f"{what}() called in {self._state} state;"
                " it is accepted only while Booting or Running"
            )
            raise InvalidStateError(msg)
