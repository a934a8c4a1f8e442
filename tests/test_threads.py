"""run_in_thread: completions on the loop thread in completion order, exact counters, and the
shutdown rules (cancelled, waited for, abandoned). Jobs wait on Events the tests release; every
worker thread is joined with a timeout."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import TYPE_CHECKING, Any

import pytest

from kernel import InvalidStateError, Runtime, RuntimeConfig, RuntimeState, Shutdown

from .hook_interrupts import InterruptOnce

if TYPE_CHECKING:
    from kernel.testing import ErrorCollector, ManualClock

    from .conftest import MakeRuntime

JOIN: float = 10.0
Future = concurrent.futures.Future


class Gate:
    """A job that records its thread, says when it started, and waits until released."""

    def __init__(self, result: object = None, error: BaseException | None = None) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.result = result
        self.error = error
        self.thread: threading.Thread | None = None

    def __call__(self) -> object:
        self.thread = threading.current_thread()
        self.started.set()
        assert self.release.wait(JOIN)
        if self.error is not None:
            raise self.error
        return self.result

    def join(self) -> None:
        """Release the job and join its worker (which ends once the pool is shut down)."""
        self.release.set()
        if self.thread is not None:
            self.thread.join(timeout=JOIN)
            assert not self.thread.is_alive()


class Arrivals:
    """Counts completions as they reach the command channel (through `Runtime.set_wakeup`)."""

    def __init__(self, rt: Runtime) -> None:
        self._count = 0
        self._cond = threading.Condition()
        rt.set_wakeup(self._arrived)

    def _arrived(self) -> None:
        with self._cond:
            self._count += 1
            self._cond.notify_all()

    def wait(self, count: int) -> None:
        with self._cond:
            assert self._cond.wait_for(lambda: self._count >= count, JOIN)


def worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("kernel-worker")]


def stop_pool(rt: Runtime) -> None:
    rt.shutdown()
    while rt.tick():
        pass


def test_no_worker_thread_exists_before_the_first_job(rt: Runtime) -> None:
    rt.schedule_work(print)
    rt.run_until_idle()
    assert worker_threads() == []


def test_on_done_runs_on_the_loop_thread_in_the_next_tick(rt: Runtime) -> None:
    arrivals = Arrivals(rt)
    gate = Gate(result=42)
    seen: list[tuple[object, int]] = []

    def on_done(future: Future[Any]) -> None:
        seen.append((future.result(), threading.get_ident()))

    future = rt.run_in_thread(gate, on_done=on_done)
    assert gate.started.wait(JOIN)
    stats = rt.stats()
    assert (stats.thread_jobs_submitted, stats.thread_jobs_running) == (1, 1)
    rt.tick()
    assert seen == []
    gate.release.set()
    arrivals.wait(1)
    assert future.result(JOIN) == 42
    assert rt.stats().thread_jobs_done == 0  # counted when the loop handles it
    rt.tick()
    assert seen == [(42, threading.get_ident())]
    stats = rt.stats()
    assert (
        stats.thread_jobs_submitted,
        stats.thread_jobs_done,
        stats.thread_jobs_failed,
        stats.thread_jobs_cancelled,
        stats.thread_jobs_running,
        stats.commands_processed,  # completions are not commands
    ) == (1, 1, 0, 0, 0, 0)
    stop_pool(rt)
    gate.join()


def test_completions_are_handled_in_completion_order(rt: Runtime) -> None:
    arrivals = Arrivals(rt)
    first, second = Gate("first"), Gate("second")
    order: list[object] = []
    rt.run_in_thread(first, on_done=lambda f: order.append(f.result()))
    rt.run_in_thread(second, on_done=lambda f: order.append(f.result()))
    assert first.started.wait(JOIN)
    assert second.started.wait(JOIN)
    second.release.set()
    arrivals.wait(1)
    first.release.set()
    arrivals.wait(2)
    rt.tick()
    assert order == ["second", "first"]
    stop_pool(rt)
    first.join()
    second.join()


def test_a_failed_job_without_on_done_is_reported(rt: Runtime, errors: ErrorCollector) -> None:
    arrivals = Arrivals(rt)
    error = OSError("disk full")
    gate = Gate(error=error)
    gate.release.set()
    rt.run_in_thread(gate, name="save")
    arrivals.wait(1)
    rt.tick()
    [report] = errors.take()
    assert (report.phase, report.callback, report.exception) == ("thread", "save", error)
    stats = rt.stats()
    assert (stats.thread_jobs_done, stats.thread_jobs_failed) == (1, 1)
    stop_pool(rt)
    gate.join()


def test_a_failed_job_with_on_done_is_not_reported(rt: Runtime, errors: ErrorCollector) -> None:
    arrivals = Arrivals(rt)
    gate = Gate(error=ValueError("bad"))
    gate.release.set()
    seen: list[BaseException | None] = []
    rt.run_in_thread(gate, on_done=lambda f: seen.append(f.exception()))
    arrivals.wait(1)
    rt.tick()
    assert [str(e) for e in seen] == ["bad"]
    assert errors.reports == []
    stop_pool(rt)
    gate.join()


def test_an_on_done_that_raises_is_reported(rt: Runtime, errors: ErrorCollector) -> None:
    arrivals = Arrivals(rt)

    def on_done(future: Future[Any]) -> None:
        raise RuntimeError("on_done failed")

    rt.run_in_thread(int, "7", on_done=on_done)
    arrivals.wait(1)
    rt.tick()
    [report] = errors.take()
    assert report.phase == "thread"
    assert report.callback.endswith("on_done")
    stop_pool(rt)


@pytest.mark.parametrize("hook", ["before_callback", "after_callback"])
def test_an_on_done_hook_interrupt_is_not_the_on_done_s_own(
    rt: Runtime, errors: ErrorCollector, hook: str
) -> None:
    """An instrument's callback hook interrupted: before ``on_done``, the completion is handed
    back uncounted and handled by the next tick; after it, ``on_done``'s own error is reported."""
    arrivals = Arrivals(rt)
    seen: list[str] = []

    def on_done(future: Future[Any]) -> None:
        seen.append(type(future.exception()).__name__)
        raise RuntimeError("on_done failed")

    rt.add_instrument(InterruptOnce(hook, at="parse"))
    rt.run_in_thread(int, "x", on_done=on_done, name="parse")  # the job fails: ValueError
    arrivals.wait(1)
    try:
        with pytest.raises(KeyboardInterrupt):
            rt.tick()
        ran = hook == "after_callback"
        assert seen == (["ValueError"] if ran else [])
        stats = rt.stats()
        assert (stats.thread_jobs_done, stats.thread_jobs_failed) == ((1, 1) if ran else (0, 0))
        assert [r.phase for r in errors.take()] == (["thread"] if ran else [])
        assert rt.next_timeout() == (None if ran else 0.0)  # handed back: the next tick is due
        rt.tick()
        assert seen == ["ValueError"]  # once
        stats = rt.stats()
        assert (stats.thread_jobs_done, stats.thread_jobs_failed) == (1, 1)
        reports = [(r.phase, r.callback) for r in errors.take()]
        assert reports == ([] if ran else [("thread", "parse")])
    finally:
        stop_pool(rt)  # the worker joined, whatever failed


def test_a_job_cancelled_before_it_started(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(RuntimeConfig(max_worker_threads=1))
    arrivals = Arrivals(rt)
    busy = Gate()
    rt.run_in_thread(busy)
    assert busy.started.wait(JOIN)
    seen: list[bool] = []
    queued = rt.run_in_thread(int, on_done=lambda f: seen.append(f.cancelled()))
    assert queued.cancel()
    arrivals.wait(1)
    rt.tick()
    assert seen == [True]
    assert rt.stats().thread_jobs_cancelled == 1
    busy.release.set()
    arrivals.wait(2)
    rt.tick()
    stats = rt.stats()
    assert (stats.thread_jobs_done, stats.thread_jobs_cancelled) == (1, 1)
    stop_pool(rt)
    busy.join()


def test_a_completion_wakes_run(rt: Runtime, clock: ManualClock) -> None:
    gate = Gate(result="saved")
    gate.release.set()
    results: list[object] = []

    def on_done(future: Future[Any]) -> None:
        results.append(future.result())
        rt.shutdown()

    rt.run_in_thread(gate, on_done=on_done)
    report = rt.run()  # nothing pending: waits in real time until the completion arrives
    assert results == ["saved"]
    assert clock.now() == 0.0
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (0, 0)
    gate.join()
    assert worker_threads() == []  # the stop joined the idle workers


def test_a_completion_wakes_run_in_selector_mode(rt: Runtime) -> None:
    import socket

    a, b = socket.socketpair()
    rt.add_reader(a, print)
    rt.run_in_thread(int, "1", on_done=lambda f: rt.shutdown())
    rt.run()
    a.close()
    b.close()
    assert rt.stats().thread_jobs_done == 1


def test_run_in_thread_only_while_running(make_runtime: MakeRuntime) -> None:
    rt = make_runtime(boot=False)
    with pytest.raises(InvalidStateError, match=r"^run_in_thread\(\) called in Booting state"):
        rt.run_in_thread(print)
    rt.boot()
    rt.shutdown()
    with pytest.raises(InvalidStateError, match=r"^run_in_thread\(\) called in Stopping state"):
        rt.run_in_thread(print)
    assert rt.stats().thread_jobs_submitted == 0


def test_stopping_drain_cancels_queued_jobs_and_waits_for_running_ones(
    make_runtime: MakeRuntime,
) -> None:
    rt = make_runtime(RuntimeConfig(max_worker_threads=1, drain_limit=1))
    running = Gate("done in the drain")
    done: list[tuple[str, bool]] = []
    rt.run_in_thread(running, on_done=lambda f: done.append(("running", f.cancelled())))
    rt.run_in_thread(int, on_done=lambda f: done.append(("queued", f.cancelled())))
    assert running.started.wait(JOIN)
    rt.schedule_work(print)
    rt.schedule_work(print)
    rt.shutdown()
    # The stop cancels the queued job first; its completion (through the channel) releases the
    # running one, which the drain then waits for in real time.
    rt.set_wakeup(running.release.set)
    assert not rt.tick()
    assert done == [("queued", True), ("running", False)]
    report = rt.shutdown_report()
    assert report is not None
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (1, 0)
    # Completions run outside drain_limit's budget and are not drained tasks.
    assert (report.tasks_drained, report.tasks_abandoned) == (1, 1)
    stats = rt.stats()
    assert (stats.thread_jobs_done, stats.thread_jobs_cancelled) == (1, 1)
    running.join()


def test_jobs_still_running_after_the_join_timeout_are_abandoned(
    make_runtime: MakeRuntime,
) -> None:
    rt = make_runtime(RuntimeConfig(thread_join_timeout=0.05))
    stuck = Gate()
    done: list[object] = []
    rt.run_in_thread(stuck, on_done=done.append)
    assert stuck.started.wait(JOIN)
    rt.shutdown()
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (0, 1)
    stuck.join()  # finishing after the stop raises nowhere
    rt.tick()
    assert done == []
    assert rt.stats().thread_jobs_done == 0


def test_emergency_cancels_queued_jobs_waits_for_none_and_runs_no_on_done(
    make_runtime: MakeRuntime,
) -> None:
    rt = make_runtime(RuntimeConfig(max_worker_threads=1))
    arrivals = Arrivals(rt)
    finished, running = Gate(), Gate()
    finished.release.set()
    done: list[object] = []
    rt.run_in_thread(finished, on_done=done.append)
    arrivals.wait(1)  # finished, its completion not handled yet
    rt.run_in_thread(running, on_done=done.append)
    rt.run_in_thread(int, on_done=done.append)
    assert running.started.wait(JOIN)
    rt.emergency_stop()
    assert not rt.tick()
    assert done == []
    report = rt.shutdown_report()
    assert report is not None
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned) == (1, 1)
    stats = rt.stats()
    assert (stats.thread_jobs_done, stats.thread_jobs_cancelled) == (1, 1)
    running.join()
    finished.join()


def test_close_with_a_running_job(rt: Runtime) -> None:
    job = Gate()
    rt.run_in_thread(job)
    assert job.started.wait(JOIN)
    rt.close()
    report = rt.shutdown_report()
    assert report is not None
    assert report.thread_jobs_abandoned == 1
    job.join()


def test_a_stopped_runtime_without_a_pool_reports_no_jobs(rt: Runtime) -> None:
    rt.command_sender().send(Shutdown())
    rt.tick()
    assert not rt.tick()
    report = rt.shutdown_report()
    assert report is not None
    assert (report.thread_jobs_cancelled, report.thread_jobs_abandoned, report.state) == (
        0,
        0,
        RuntimeState.STOPPING,
    )


def test_a_base_exception_from_on_done_propagates(rt: Runtime) -> None:
    arrivals = Arrivals(rt)

    def on_done(future: Future[Any]) -> None:
        raise KeyboardInterrupt

    rt.run_in_thread(int, on_done=on_done)
    arrivals.wait(1)
    with pytest.raises(KeyboardInterrupt):
        rt.tick()
    stop_pool(rt)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda rt: rt.run_in_thread(3), TypeError, r"^fn must be callable, got 3$"),
        (
            lambda rt: rt.run_in_thread(print, on_done=1),
            TypeError,
            r"^on_done must be callable, got 1$",
        ),
        (
            lambda rt: rt.run_in_thread(print, name=2),
            TypeError,
            r"^name must be a str or None, got 2$",
        ),
    ],
    ids=["fn", "on_done", "name"],
)
def test_run_in_thread_rejects_bad_arguments(
    rt: Runtime, call: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        call(rt)
    assert rt.stats().thread_jobs_submitted == 0
    assert worker_threads() == []
