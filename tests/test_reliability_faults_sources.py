"""Faults in the Part II callback kinds: I/O, signals, idle, ``on_done`` and instrument hooks.

The same callable shapes and exception kinds as tests/test_reliability_faults.py. For an
`Exception` (SPEC §12, §14, §17): reported once with its phase (``"io"``, ``"idle"``,
``"thread"``, ``"instrument"``); a reader, writer, signal handler or idle callback stays
registered (the next trigger calls it again), an instrument whose hook raised is removed; the
loop goes on. For a `BaseException` that is not an `Exception`: it propagates out of the driving
call, nothing is reported, and afterwards the runtime is consistent and the next ticks run
everything left. Every case stops the runtime and checks that its fds are closed.
"""

from __future__ import annotations

import logging
import signal
import socket
from typing import TYPE_CHECKING, Any, Final

import pytest

from kernel import Runtime
from kernel.testing import ErrorCollector, ManualClock

from .liveness import bounded, sampled
from .test_reliability_faults import (
    EXCEPTIONS,
    ONE_ARGUMENT,
    SHAPES,
    _caught,
    _shape,
    _throw_for,
    contained_or_raised,
)

if TYPE_CHECKING:
    from collections.abc import Callable

SIGNUM: Final = signal.SIGUSR1
SOURCES: Final = ("reader", "writer", "signal", "idle")
"""Kinds that stay registered after a fault: the next trigger calls them again."""
HOOKS: Final = ("before_tick", "after_tick", "before_callback", "after_callback", "on_error")
KINDS: Final = (*SOURCES, "on_done", *HOOKS, "on_state")
PHASES: Final = {
    "reader": "io",
    "writer": "io",
    "signal": "io",
    "idle": "idle",
    "on_done": "thread",
    **dict.fromkeys((*HOOKS, "on_state"), "instrument"),
}
NOT_APPLICABLE: Final = {
    ("before_callback", "builtin"),  # called with (phase, callback)
    ("after_callback", "builtin"),  # called with (phase, callback, seconds, error)
    ("on_state", "builtin"),  # called with (old, new)
    ("after_tick", "builtin"),  # a TickReport holds a mapping: not a dict key
}
"""The builtin shape takes exactly one hashable argument."""


class Hooked:
    """An instrument with one hook: the faulty callable."""

    def __init__(self, hook: str, callback: Callable[..., object]) -> None:
        setattr(self, hook, callback)


class SourceScenario:
    """One runtime with one faulty Part II callback, a task beside it, and its trigger."""

    def __init__(self, kind: str, callback: Callable[..., object]) -> None:
        self.kind = kind
        self.errors = ErrorCollector()
        self.rt = Runtime(clock=ManualClock(), error_handler=self.errors)
        self.after: list[str] = []
        self.pair: tuple[socket.socket, socket.socket] | None = None
        self.instrument: Hooked | None = None
        counted: Any = callback
        rt = self.rt
        rt.boot()
        if kind in ("reader", "writer"):
            self.pair = socket.socketpair()
            self.pair[1].send(b"x")  # the reader is ready; a socket is always writable
            add = rt.add_reader if kind == "reader" else rt.add_writer
            add(self.pair[0], counted, ONE_ARGUMENT)
        elif kind == "signal":
            rt.add_signal_handler(SIGNUM, counted, ONE_ARGUMENT)
        elif kind == "idle":
            self.idle_id = rt.add_idle_callback(counted, ONE_ARGUMENT)
        elif kind == "on_done":
            self.future = rt.run_in_thread(len, "job", on_done=counted)
        else:
            self.instrument = Hooked(kind, counted)
            rt.add_instrument(self.instrument)
            if kind == "on_error":
                rt.schedule_work(_failing_task)
        rt.schedule_work(self.after.append, "after")

    def trigger(self) -> None:
        """Make the faulty callback run once (the first step that may raise)."""
        rt = self.rt
        if self.kind == "signal":
            signal.raise_signal(SIGNUM)
        elif self.kind == "idle":
            rt.run_idle_callbacks()
            return
        elif self.kind == "on_state":
            rt.shutdown()  # RUNNING -> STOPPING; the tick below is the drain
        elif self.kind == "on_done":
            while rt.next_timeout() != 0.0:  # the completion is in the channel
                rt.wait(0.1)
        rt.tick()

    def finish(self) -> None:
        """Stop the runtime; check the stop abandoned nothing and released every fd."""
        rt = self.rt
        if self.instrument is not None:
            rt.remove_instrument(self.instrument)
        rt.shutdown()
        assert not rt.tick()
        report = rt.shutdown_report()
        assert report is not None
        assert report.tasks_abandoned == report.events_abandoned == 0
        assert report.thread_jobs_abandoned == 0
        assert rt.io_fileno() is None
        assert signal.getsignal(SIGNUM) is signal.SIG_DFL
        if self.pair is not None:
            for sock in self.pair:
                sock.close()


def _failing_task() -> None:
    raise ValueError("the task whose report on_error sees")


def _cases() -> list[object]:
    return [
        pytest.param(kind, shape, exc_kind, id=f"{kind}-{shape}-{exc_kind}")
        for kind in KINDS
        for shape in SHAPES
        if (kind, shape) not in NOT_APPLICABLE
        for exc_kind in EXCEPTIONS
    ]


SOURCE_FAULT_CASES: Final = _cases()


@pytest.mark.parametrize(
    ("kind", "shape", "exc_kind"),
    # By default: every kind with every exception (plain functions), and every shape (ordinary
    # exceptions); the whole matrix under KERNEL_STRESS=1.
    sampled(
        SOURCE_FAULT_CASES,
        lambda kind, shape, exc_kind: shape == "function" or exc_kind == "ordinary",
    ),
)
def test_source_fault_is_contained(
    kind: str, shape: str, exc_kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    scenario = SourceScenario(kind, _shape(shape, _throw_for(exc_kind, calls)))
    rt, errors = scenario.rt, scenario.errors
    caught = _caught(exc_kind)
    expected = type(EXCEPTIONS[exc_kind]())
    try:
        with bounded(), caplog.at_level(logging.CRITICAL + 1, logger="kernel"):
            contained_or_raised(exc_kind, scenario.trigger)
            assert len(calls) == 1
            if scenario.instrument is not None:
                # Removed if its hook raised an Exception; a BaseException leaves it installed.
                assert rt.remove_instrument(scenario.instrument) is not caught
            if kind in ("reader", "writer"):
                # Still registered, and level-triggered: the next tick calls it again.
                contained_or_raised(exc_kind, rt.tick)
                assert len(calls) == 2
                remove = rt.remove_reader if kind == "reader" else rt.remove_writer
                assert remove(scenario.pair[0] if scenario.pair else -1)
            rt.tick()  # after an interrupt: the rest of the work runs on the next tick
            if kind in ("signal", "idle"):
                # Still registered: the next trigger calls it again.
                assert len(calls) == 1
                contained_or_raised(exc_kind, scenario.trigger)
            assert len(calls) == (2 if kind in SOURCES else 1)
            rt.run_until_idle()
        assert scenario.after == ["after"]
        reports = errors.take()
        if kind == "on_error":
            # The failing task's report, and (caught) the hook's own.
            assert [r.phase for r in reports] == ["task"] + (["instrument"] if caught else [])
            reports = reports[1:]
        if not caught:
            assert reports == []
        else:
            phases = PHASES[kind]
            assert {r.phase for r in reports} == {phases}
            assert all(type(r.exception) is expected for r in reports)
            assert all(r.callback for r in reports)  # a description, never empty
            assert len(reports) == (2 if kind in SOURCES else 1)  # one per call
        stats = rt.stats()
        assert stats.work_queue_len == stats.event_queue_len == stats.async_queue_len == 0
        assert (stats.tasks_executed, stats.tasks_failed) == (
            (1, 1) if kind == "on_error" else (1, 0)
        )
        if kind == "on_done":
            assert (stats.thread_jobs_done, stats.thread_jobs_failed) == (1, 0)
            assert scenario.future.result(timeout=0) == 3
    finally:
        scenario.finish()


def test_source_fault_matrix_covers_every_combination() -> None:
    """The figure docs/reliability.md quotes: kinds x shapes x exception kinds survived."""
    assert len(SOURCE_FAULT_CASES) == (len(KINDS) * len(SHAPES) - len(NOT_APPLICABLE)) * len(
        EXCEPTIONS
    )
