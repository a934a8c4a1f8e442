"""Job runners: how the app puts blocking work on worker threads (injectable for tests)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final, Protocol

if TYPE_CHECKING:
    import concurrent.futures
    from collections.abc import Callable

    from kernel import Runtime

__all__ = ["JobRunner", "SettledThreadJobs", "ThreadJobs"]

SETTLE_TIMEOUT: Final = 10.0
"""Seconds `SettledThreadJobs` waits for a job: the demo's jobs take milliseconds, and a
bound keeps a broken job from hanging the headless run forever."""


class JobRunner(Protocol):
    """Runs ``fn(*args)`` off the loop thread and hands the future to `on_done` on it."""

    def submit(
        self,
        fn: Callable[..., object],
        /,
        *args: object,
        on_done: Callable[[concurrent.futures.Future[Any]], object],
        name: str,
    ) -> None:
        """Start the job; `on_done(future)` runs later on the loop thread."""
        ...


class ThreadJobs:
    """The real runner: `kernel.Runtime.run_in_thread`, the completion handled in a later tick."""

    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def submit(
        self,
        fn: Callable[..., object],
        /,
        *args: object,
        on_done: Callable[[concurrent.futures.Future[Any]], object],
        name: str,
    ) -> None:
        """`Runtime.run_in_thread` (so `kernel.InvalidStateError` once the runtime stopped)."""
        self._rt.run_in_thread(fn, *args, on_done=on_done, name=name)


class SettledThreadJobs(ThreadJobs):
    """`ThreadJobs` that returns only once the job's completion is queued for the loop.

    For the headless mode: the completion is then always handled in the very next tick, so a
    run on virtual time does not depend on how fast the worker thread was. The wait is bounded
    by `SETTLE_TIMEOUT`; a job still running then is handled whenever it finishes.
    """

    def submit(
        self,
        fn: Callable[..., object],
        /,
        *args: object,
        on_done: Callable[[concurrent.futures.Future[Any]], object],
        name: str,
    ) -> None:
        """Submit the job, then wait (bounded) until kernel has queued its completion."""
        future = self._rt.run_in_thread(fn, *args, on_done=on_done, name=name)
        queued = threading.Event()
        # Done callbacks run in the order they were added, and kernel added its own (which
        # queues the completion) in run_in_thread: once ours has run, kernel's has too.
        future.add_done_callback(lambda _: queued.set())
        queued.wait(SETTLE_TIMEOUT)
