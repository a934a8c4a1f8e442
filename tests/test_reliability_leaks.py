"""Leaks: what kernel is done with, it lets go of (weak references and tracemalloc).

A finished, cancelled or abandoned piece of work must not keep its callable, its arguments or its
event alive, even while the user keeps the `Task` or `TimerHandle`; steady churn must not grow
memory.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
import gc
import os
import signal
import socket
import threading
import tracemalloc
import weakref
from typing import TYPE_CHECKING, Final

import pytest

from kernel import Runtime, RuntimeConfig, Task
from kernel.testing import ManualClock

from .liveness import LIVENESS_TIMEOUT, bounded, scaled

if TYPE_CHECKING:
    from collections.abc import Callable

CHURN: Final = scaled(1_500, 100_000)
GROWTH: Final = scaled(32 * 1024, 64 * 1024)
"""Bytes steady churn may leave behind (caches, a few slack entries; 2 to 5 kB measured after the
warm-up): about 21 bytes a cycle by default, so one leaked object per cycle (24 bytes or more)
fails the test; far below one byte a cycle under ``KERNEL_STRESS=1``."""


class Payload:
    """Something a callback holds: only weak references to it are kept by the tests."""


def runtime() -> tuple[Runtime, ManualClock]:
    clock = ManualClock()
    rt = Runtime(clock=clock)
    rt.boot()
    return rt, clock


def dead(ref: weakref.ref[Payload]) -> bool:
    gc.collect()
    return ref() is None


@pytest.mark.parametrize("ending", ["completed", "failed", "cancelled"])
def test_a_kept_task_lets_go_of_its_arguments(ending: str) -> None:
    """(An abandoned task stays PENDING and keeps its callable: it may be offered again.)"""
    rt = Runtime(clock=ManualClock(), error_handler=lambda report: None)  # keep no traceback
    rt.boot()
    payload = Payload()
    ref = weakref.ref(payload)

    def use(p: Payload) -> None:
        if ending == "failed":
            raise ValueError("failed")

    task = Task(use, payload)
    del payload
    rt.schedule_task(task)
    if ending == "cancelled":
        task.cancel()
    rt.tick()
    assert dead(ref), ending
    assert task.state.value  # the task object itself is still usable


@pytest.mark.parametrize("ending", ["fired", "cancelled", "periodic-cancelled", "stopped"])
def test_a_kept_timer_handle_lets_go_of_its_arguments(ending: str) -> None:
    rt, _ = runtime()
    payload = Payload()
    ref = weakref.ref(payload)
    if ending == "periodic-cancelled":
        handle = rt.schedule_periodic(1.0, lambda p: None, payload)
        rt.advance(2.0)
        handle.cancel()
    else:
        handle = rt.schedule_delayed(1.0, lambda p: None, payload)
        if ending == "fired":
            rt.advance(1.0)
        elif ending == "cancelled":
            handle.cancel()
        else:
            rt.shutdown()
            rt.tick()
    del payload
    assert dead(ref), ending
    assert not handle.pending


@pytest.mark.parametrize("path", ["queued", "async", "abandoned"])
def test_dispatched_or_abandoned_events_are_released(path: str) -> None:
    rt, _ = runtime()
    rt.event_bus.subscribe(Payload, lambda e: None)
    event = Payload()
    ref = weakref.ref(event)
    if path == "async":
        rt.event_bus.emit_async(event)
    else:
        rt.queue_event(event)
    del event
    if path == "abandoned":
        rt.emergency_stop()
    rt.tick()
    assert dead(ref), path


def test_a_cancelled_subscription_lets_go_of_its_handler() -> None:
    """Like a finished task, a cancelled subscription the app still holds drops its handler."""
    rt, _ = runtime()
    owner = Payload()
    ref = weakref.ref(owner)
    subscription = rt.event_bus.subscribe(Payload, lambda e, o=owner: None)  # type: ignore[misc]
    del owner
    assert not dead(ref)  # held strongly while subscribed (SPEC)
    assert subscription.cancel()
    assert dead(ref)
    assert rt.event_bus.handler_count(Payload) == 0


def _measure(cycle: object) -> int:
    assert callable(cycle)
    for _ in range(1000):  # warm up lanes, caches and the id map
        cycle()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(CHURN):
            cycle()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_steady_churn_does_not_grow_memory() -> None:
    rt, clock = runtime()
    bus = rt.event_bus
    bus.subscribe(Payload, lambda e: None)

    def cycle() -> None:
        rt.schedule_work(len, ())
        rt.schedule_delayed(0.5, len, ()).cancel()
        rt.schedule_delayed(0.0, len, ())
        rt.queue_event(Payload())
        bus.emit_async(Payload())
        bus.subscribe(Payload, lambda e: None).cancel()
        rt.tick()
        clock.advance(0.001)

    assert _measure(cycle) < GROWTH
    rt.advance(1.0)
    assert rt.is_idle()


def test_debounce_by_reset_does_not_grow_memory() -> None:
    rt, clock = runtime()
    handle = rt.schedule_delayed(0.3, len, ())

    def cycle() -> None:
        handle.reset(0.3)
        clock.advance(0.0001)
        rt.tick()

    assert _measure(cycle) < GROWTH
    assert handle.pending


def test_debounce_by_cancel_on_a_frozen_clock_does_not_grow_memory() -> None:
    rt = Runtime(RuntimeConfig(max_timers=2), clock=ManualClock())
    rt.boot()
    rt.schedule_delayed(0.3, len, ())  # a live neighbour keeps the slot from emptying
    assert _measure(lambda: rt.schedule_delayed(0.3, len, ()).cancel()) < GROWTH


# -- OS resources: fds, signal handlers, threads (SPEC §12 "Resources", §17) --------------------

ROUNDS: Final = scaled(5, 50)
ENDINGS: Final = ("shutdown", "close", "emergency", "with", "with-exception")


def open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


class Boom(Exception):
    """Raised inside ``with Runtime() as rt:``."""


def _use_sources(rt: Runtime, pair: tuple[socket.socket, socket.socket]) -> None:
    seen: list[bytes] = []
    rt.add_reader(pair[0], lambda: seen.append(pair[0].recv(1)))
    rt.add_writer(pair[1], rt.remove_writer, pair[1])
    rt.add_signal_handler(signal.SIGUSR1, seen.append, b"signal")
    pair[1].send(b"x")
    signal.raise_signal(signal.SIGUSR1)
    rt.tick()
    assert sorted(seen) == [b"signal", b"x"]
    assert rt.io_fileno() is not None  # the selector and the wake-up fds are open


def _end(rt: Runtime, ending: str) -> None:
    if ending == "shutdown":
        rt.shutdown()
        assert not rt.tick()
    elif ending == "close":
        rt.close()
    else:
        rt.emergency_stop()
        assert not rt.tick()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
@pytest.mark.parametrize("ending", ENDINGS)
def test_no_fd_or_signal_handler_outlives_the_stop(ending: str) -> None:
    before = open_fds()
    handler_before = signal.getsignal(signal.SIGUSR1)
    for _ in range(ROUNDS):
        pair = socket.socketpair()
        try:
            if ending.startswith("with"):
                with contextlib.suppress(Boom), Runtime(clock=ManualClock()) as rt:
                    _use_sources(rt, pair)
                    if ending == "with-exception":
                        raise Boom
            else:
                rt = Runtime(clock=ManualClock())
                rt.boot()
                _use_sources(rt, pair)
                _end(rt, ending)
            assert rt.state.is_terminal
            assert rt.io_fileno() is None
        finally:
            for sock in pair:
                sock.close()
        assert open_fds() == before, ending
        assert signal.getsignal(signal.SIGUSR1) is handler_before
        previous = signal.set_wakeup_fd(-1)  # restored to what it was: none
        assert previous == -1


def _kernel_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t is not threading.main_thread()]


def _joined(threads: list[threading.Thread]) -> list[threading.Thread]:
    """Join each of `threads` with a timeout; return those still alive."""
    for thread in threads:
        thread.join(LIVENESS_TIMEOUT)
    return [t for t in threads if t.is_alive()]


@pytest.mark.parametrize("ending", ["shutdown", "close", "with", "running-at-close"])
def test_no_worker_thread_outlives_the_stop(ending: str) -> None:
    before = set(_kernel_threads())
    release = threading.Event()
    done: list[int] = []
    with bounded():
        rt = Runtime(RuntimeConfig(max_worker_threads=4), clock=ManualClock())
        rt.boot()
        futures = [
            rt.run_in_thread(int, n, on_done=lambda f: done.append(f.result())) for n in range(8)
        ]
        if ending == "running-at-close":
            futures.append(rt.run_in_thread(release.wait, LIVENESS_TIMEOUT))
        concurrent.futures.wait(futures[:8], timeout=LIVENESS_TIMEOUT)
        started = set(_kernel_threads()) - before
        assert started  # the pool exists
        if ending == "shutdown":
            rt.shutdown()
            while rt.tick():
                pass
            assert sorted(done) == list(range(8))
        elif ending == "with":
            with rt:
                pass
        else:
            rt.close()
        report = rt.shutdown_report()
        assert report is not None
        assert report.thread_jobs_abandoned == (1 if ending == "running-at-close" else 0)
        release.set()  # the abandoned job ends; its worker then exits
        assert _joined(list(started)) == []
    assert set(_kernel_threads()) == before


def test_no_watchdog_thread_outlives_the_stop() -> None:
    before = set(_kernel_threads())
    rt = Runtime(RuntimeConfig(stall_threshold=0.5), clock=ManualClock())
    rt.boot()
    rt.schedule_work(len, ())
    rt.tick()  # the first callback starts the watchdog
    started = set(_kernel_threads()) - before
    assert len(started) == 1
    rt.close()
    assert _joined(list(started)) == []
    assert set(_kernel_threads()) == before


# -- Part II callbacks let go of what they hold once removed ------------------------------------


@pytest.mark.parametrize(
    "source", ["idle", "reader", "writer", "signal", "on_done", "instrument", "at-the-stop"]
)
def test_a_removed_source_lets_go_of_its_callable(source: str) -> None:
    """Removed, handled (``on_done``) or stopped: the runtime keeps no reference to the callable."""
    rt, _ = runtime()
    payload = Payload()
    ref = weakref.ref(payload)
    pair = socket.socketpair()
    try:
        callback = functools.partial(lambda *args: None, payload)
        if source == "idle":
            callback_id = rt.add_idle_callback(callback)
            rt.run_idle_callbacks()
            assert rt.remove_idle_callback(callback_id)
        elif source in ("reader", "writer", "at-the-stop"):
            add = rt.add_writer if source == "writer" else rt.add_reader
            add(pair[0], callback)
            rt.add_signal_handler(signal.SIGUSR1, callback)
            rt.tick()
            if source == "at-the-stop":  # the terminal tick removes every reader, writer
                rt.shutdown()  # and signal handler (idle callbacks and instruments stay)
                assert not rt.tick()
            else:
                assert (rt.remove_writer if source == "writer" else rt.remove_reader)(pair[0])
                assert rt.remove_signal_handler(signal.SIGUSR1)
        elif source == "signal":
            rt.add_signal_handler(signal.SIGUSR1, callback)
            signal.raise_signal(signal.SIGUSR1)
            rt.tick()
            assert rt.remove_signal_handler(signal.SIGUSR1)
        elif source == "on_done":
            future = rt.run_in_thread(int, on_done=callback)
            with bounded():
                while rt.stats().thread_jobs_done == 0:
                    rt.wait(0.1)
                    rt.tick()
            assert future.done()
        else:
            instrument = Instrument(callback)
            rt.add_instrument(instrument)
            rt.schedule_work(len, ())
            rt.tick()
            assert rt.remove_instrument(instrument)
            del instrument
        del callback, payload
        assert dead(ref), source
    finally:
        rt.close()
        for sock in pair:
            sock.close()


class Instrument:
    """An instrument whose hooks all call one callable."""

    def __init__(self, callback: Callable[..., object]) -> None:
        self.before_tick = self.after_tick = self.on_error = callback
        self.before_callback = self.after_callback = self.on_state = callback
