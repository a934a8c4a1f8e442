"""`WorkerThreads`: blocking work on a thread pool, completions handled on the loop thread.

The pool (`concurrent.futures.ThreadPoolExecutor`) is created by the first `submit`. When a job
finishes, its future goes on a thread-safe FIFO and a `Completion` goes through the command
channel, which wakes `run()`; the next tick hands every finished future, in completion order,
to its ``on_done`` on the loop thread (docs/threading.md).
"""

from __future__ import annotations

import collections
import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any, Final

from kernel._core.commands import Completion
from kernel._core.task import check_name, describe_callable
from kernel._core.validate import check_callable

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.commands import CommandChannel
    from kernel._core.executor import ReportSink
    from kernel._core.instruments import Instruments

__all__ = ["WorkerThreads"]

Future = concurrent.futures.Future
THREAD_NAME_PREFIX: Final = "kernel-worker"
"""Worker threads are named ``kernel-worker_0``, ``kernel-worker_1``, … (seen in debuggers)."""


class _Job:
    """What the loop thread keeps about one submitted job until its completion is handled."""

    __slots__ = ("fn", "name", "on_done")

    def __init__(
        self, fn: Any, on_done: Callable[[Future[Any]], object] | None, name: str | None
    ) -> None:
        self.fn = fn
        self.on_done = on_done
        self.name = name

    def describe(self, fn: object) -> str:
        return self.name if self.name is not None else describe_callable(fn)


class WorkerThreads:
    """Jobs of one runtime on a lazily created thread pool, and their counters.

    `submit` and `handle_finished` belong to the loop thread; workers only run jobs, count the
    running ones, and queue their completion. ``done``, ``failed`` and ``cancelled`` change
    when a completion is handled on the loop thread; ``running`` counts jobs that have started
    and not finished.

    Args:
        max_workers: the pool's size.
        report: receives ``("thread", exception, description)`` for each caught exception.
        channel: carries a `Completion` per finished job (waking `run()`).
    """

    __slots__ = (
        "_channel",
        "_closed",
        "_finished",
        "_halted",
        "_jobs",
        "_lock",
        "_max_workers",
        "_pool",
        "_report",
        "_running",
        "_watch",
        "cancelled",
        "done",
        "failed",
        "submitted",
    )

    def __init__(
        self,
        max_workers: int,
        report: ReportSink,
        channel: CommandChannel,
        watch: Instruments | None = None,
    ) -> None:
        self._max_workers = max_workers
        self._report = report
        self._watch = watch
        self._channel = channel
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._finished: collections.deque[Future[Any]] = collections.deque()
        self._jobs: dict[Future[Any], _Job] = {}
        self._closed = False
        self._halted = False
        self._running = 0
        self.submitted = 0
        """Jobs accepted by `submit`."""
        self.done = 0
        """Handled completions of jobs that returned or raised."""
        self.failed = 0
        """Handled completions of jobs that raised."""
        self.cancelled = 0
        """Handled completions of cancelled jobs (by their future's owner, or at the stop)."""

    @property
    def running(self) -> int:
        """Jobs that have started on a worker and not finished."""
        return self._running

    def submit(
        self,
        fn: Any,
        args: tuple[Any, ...],
        on_done: Callable[[Future[Any]], object] | None,
        name: str | None,
    ) -> Future[Any]:
        """Run ``fn(*args)`` on a worker thread; return its future.

        Raises:
            TypeError: `fn` or `on_done` is not callable, or `name` is not a str or None.
        """
        check_callable(fn)
        if on_done is not None:
            check_callable(on_done, "on_done")
        check_name(name)
        pool = self._pool
        if pool is None:
            pool = self._pool = concurrent.futures.ThreadPoolExecutor(
                self._max_workers, thread_name_prefix=THREAD_NAME_PREFIX
            )
        future = pool.submit(self._call, fn, args)
        self._jobs[future] = _Job(fn, on_done, name)
        self.submitted += 1
        future.add_done_callback(self._on_finished)
        return future

    def halt(self) -> None:
        """EMERGENCY: from now on completions are counted but no ``on_done`` runs."""
        self._halted = True

    def _call(self, fn: Callable[..., object], args: tuple[Any, ...]) -> object:
        """Run one job on a worker, counting it as running meanwhile."""
        with self._lock:
            self._running += 1
        try:
            return fn(*args)
        finally:
            with self._lock:
                self._running -= 1

    def _on_finished(self, future: Future[Any]) -> None:
        """On the finishing thread: queue the completion and wake the loop (never raises)."""
        with self._lock:
            if self._closed:  # after the stop: abandoned, dropped without a trace
                return
            self._finished.append(future)
        self._channel.put(Completion(self.handle_finished))

    def handle_finished(self, *, deliver: bool = True) -> int:
        """Count every finished job, in completion order, and call its ``on_done``.

        Without ``on_done``, a job that raised is reported, so no exception vanishes. An
        `Exception` from ``on_done`` is reported; others propagate. With ``deliver=False``, or
        after `halt()` (EMERGENCY), jobs are only counted.

        Returns:
            How many completions were handled.
        """
        finished = self._finished
        deliver = deliver and not self._halted
        handled = 0
        while finished:
            future = finished.popleft()
            job = self._jobs.pop(future)
            handled += 1
            error = self._count(future, 1)
            if not deliver:
                continue
            if job.on_done is not None:
                watch = self._watch
                try:
                    if watch is not None and watch.watching:
                        watch.call("thread", job.describe(job.on_done), job.on_done, (future,))
                    else:
                        job.on_done(future)
                except Exception as exc:
                    self._report("thread", exc, job.describe(job.on_done))
                except BaseException as exc:
                    if watch is not None and not watch.settle(
                        exc, self._report, "thread", job.describe(job.on_done)
                    ):
                        self._hand_back(future, job)  # a before_callback hook's interrupt
                    raise
            elif error is not None:
                self._report("thread", error, job.describe(job.fn))
        return handled

    def _count(self, future: Future[Any], step: int) -> BaseException | None:
        """Count `future`'s completion as handled (`step` 1) or not yet (-1); return the
        exception its job raised (None if it returned or was cancelled)."""
        if future.cancelled():
            self.cancelled += step
            return None
        self.done += step
        error = future.exception()
        if error is not None:
            self.failed += step
        return error

    def _hand_back(self, future: Future[Any], job: _Job) -> None:
        """Put a completion whose ``on_done`` did not run back in front, uncounted, and wake
        the loop for it: the next tick handles it first."""
        self._count(future, -1)
        self._jobs[future] = job
        self._finished.appendleft(future)
        self._channel.put(Completion(self.handle_finished))

    def stop(self, *, draining: bool, timeout: float) -> tuple[int, int]:
        """The terminal tick's part: cancel jobs not started, wait for running ones, close.

        Draining (STOPPING) waits up to `timeout` seconds in real time, for all running jobs
        together, and then handles every completion. Otherwise (EMERGENCY) nothing waits and no
        ``on_done`` runs. Jobs still running at the end are abandoned: their completion is
        dropped whenever it comes.

        Returns:
            (jobs cancelled at the stop, jobs abandoned).
        """
        pool = self._pool
        if pool is None:
            self._closed = True
            return 0, 0
        unfinished = [future for future in self._jobs if not future.done()]
        pool.shutdown(wait=False, cancel_futures=True)
        cancelled = sum(1 for future in unfinished if future.cancelled())
        running = [future for future in unfinished if not future.cancelled()]
        if draining and running:
            concurrent.futures.wait(running, timeout=timeout)
        with self._lock:
            self._closed = True
        self.handle_finished(deliver=draining)
        abandoned = len(self._jobs)
        self._jobs.clear()
        if not abandoned:
            pool.shutdown(wait=True)  # every worker is idle: joining them is immediate
        return cancelled, abandoned
