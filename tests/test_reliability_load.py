"""Load: many threads feed one `run()` on the real clock; every command is accounted for exactly.

Real threads and the real clock are the point here. Each scenario is bounded in real time (a
thread that does not finish fails the test), and no assertion is about timing.
Sizes: the default keeps this file around a second; ``KERNEL_STRESS=1`` runs the issue's full
8 threads x 50,000 commands and thousands of wake-up rounds (see tests/liveness.py).
"""

from __future__ import annotations

import sys
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pytest

from kernel import (
    Event,
    QueueEvent,
    Runtime,
    RuntimeConfig,
    RuntimeState,
    ScheduleTask,
    Shutdown,
    Task,
    TaskState,
)
from kernel.testing import ErrorCollector

from .liveness import join_or_fail, scaled

if TYPE_CHECKING:
    from collections.abc import Iterator

    from kernel import ShutdownReport

SENDERS: Final = 8
COMMANDS_PER_SENDER: Final = scaled(2_000, 50_000)
WAKEUP_ROUNDS: Final = scaled(1_000, 20_000)
LOAD_TIMEOUT: Final = scaled(60, 300)
"""Real seconds the whole load may take before it counts as hung (it needs a fraction of it)."""
ROUND_TIMEOUT: Final = 5.0
"""Real seconds one wake-up round may take: a lost wake-up would leave `run()` asleep forever."""


@dataclass
class Mark(Event):
    sender: int
    seq: int


@pytest.fixture
def tiny_switch_interval() -> Iterator[None]:
    """Switch threads every microsecond, so every interleaving of send() and wait() gets a turn."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@dataclass
class Load:
    """What the senders offered and what the runtime did with it."""

    tasks: list[Task]
    ran: dict[int, list[int]]
    handled: dict[int, list[int]]
    report: ShutdownReport
    runtime: Runtime


def run_load(config: RuntimeConfig, per_sender: int) -> Load:
    errors = ErrorCollector()
    rt = Runtime(config, error_handler=errors)
    ran: dict[int, list[int]] = defaultdict(list)
    handled: dict[int, list[int]] = defaultdict(list)
    rt.event_bus.subscribe(Mark, lambda e: handled[e.sender].append(e.seq))
    tasks: list[Task] = []
    per_thread: list[list[Task]] = [[] for _ in range(SENDERS)]
    for sender in range(SENDERS):
        for seq in range(0, per_sender, 2):
            per_thread[sender].append(Task(ran[sender].append, seq))
    for chunk in per_thread:
        tasks.extend(chunk)
    reports: list[ShutdownReport] = []
    rt.boot()
    loop = threading.Thread(target=lambda: reports.append(rt.run()), name="run")
    loop.start()

    def send_all(sender: int) -> None:
        channel = rt.command_sender()
        own = iter(per_thread[sender])
        for seq in range(per_sender):
            if seq % 2 == 0:
                channel.send(ScheduleTask(next(own)))
            else:
                channel.send(QueueEvent(Mark(sender, seq)))

    senders = [
        threading.Thread(target=send_all, args=(i,), name=f"sender-{i}") for i in range(SENDERS)
    ]
    for thread in senders:
        thread.start()
    for thread in senders:
        join_or_fail(thread, LOAD_TIMEOUT)
    rt.command_sender().send(Shutdown())
    join_or_fail(loop, LOAD_TIMEOUT)
    assert errors.reports == []
    (report,) = reports
    return Load(tasks, ran, handled, report, rt)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(
            RuntimeConfig(work_queue_capacity=1 << 20, priority_queue_capacity=1 << 20), id="roomy"
        ),
        pytest.param(
            RuntimeConfig(work_queue_capacity=64, priority_queue_capacity=64, batch_size=8),
            id="tight-queues",
        ),
        pytest.param(
            RuntimeConfig(drain_limit=100, work_queue_capacity=4096, priority_queue_capacity=4096),
            id="short-drain",
        ),
    ],
)
def test_load_every_command_is_accounted_for(config: RuntimeConfig) -> None:
    load = run_load(config, COMMANDS_PER_SENDER)
    stats = load.runtime.stats()
    offered_tasks = SENDERS * ((COMMANDS_PER_SENDER + 1) // 2)
    offered_events = SENDERS * (COMMANDS_PER_SENDER // 2)
    assert stats.state is RuntimeState.STOPPING
    assert stats.commands_processed == offered_tasks + offered_events + 1  # and the Shutdown

    # Tasks: what ran is exactly what completed, and every other one was refused or abandoned.
    ran = sum(len(seqs) for seqs in load.ran.values())
    states = [task.state for task in load.tasks]
    completed = states.count(TaskState.COMPLETED)
    pending = states.count(TaskState.PENDING)
    assert completed + pending == offered_tasks
    assert ran == completed == stats.tasks_executed
    assert stats.tasks_failed == stats.tasks_cancelled == 0
    refused = stats.work_dropped + stats.tasks_rejected
    assert pending == refused + load.report.tasks_abandoned
    assert stats.work_queue_len == 0

    # Events: dispatched or dropped (queue full) or abandoned by the drain limit.
    handled = sum(len(seqs) for seqs in load.handled.values())
    assert handled == stats.events_dispatched
    assert handled + stats.events_dropped + load.report.events_abandoned == offered_events
    assert stats.event_queue_len == stats.async_queue_len == 0

    # The drain's share is inside those totals.
    assert load.report.tasks_drained <= completed
    assert load.report.events_drained <= handled

    # Per-sender FIFO: one priority level, so each sender's work runs in the order sent.
    for sender in range(SENDERS):
        assert load.ran[sender] == sorted(load.ran[sender])
        assert load.handled[sender] == sorted(load.handled[sender])


def test_load_lost_wakeups(tiny_switch_interval: None) -> None:
    """A sleeping `run()` wakes for every command, whatever the interleaving (thousands of rounds).

    Each round offers work to a loop that is (most likely) asleep and waits, bounded, for it to
    run; a lost wake-up would leave the loop asleep with the work queued, failing the round.
    """
    rt = Runtime()
    rt.boot()
    reports: list[ShutdownReport] = []
    loop = threading.Thread(target=lambda: reports.append(rt.run()), name="run")
    loop.start()
    sender = rt.command_sender()
    try:
        for round_number in range(WAKEUP_ROUNDS):
            done = threading.Event()
            if round_number % 3 == 2:
                # Two senders racing each other and the loop's wait.
                first, second = threading.Event(), threading.Event()
                racer = threading.Thread(target=sender.send, args=(ScheduleTask(Task(first.set)),))
                racer.start()
                sender.send(ScheduleTask(Task(second.set)))
                join_or_fail(racer, ROUND_TIMEOUT)
                assert first.wait(ROUND_TIMEOUT), f"round {round_number}: lost wake-up"
                assert second.wait(ROUND_TIMEOUT), f"round {round_number}: lost wake-up"
                continue
            sender.send(ScheduleTask(Task(done.set)))
            assert done.wait(ROUND_TIMEOUT), f"round {round_number}: lost wake-up"
    finally:
        sender.send(Shutdown())
        join_or_fail(loop, ROUND_TIMEOUT)
    stats = rt.stats()
    expected = WAKEUP_ROUNDS + WAKEUP_ROUNDS // 3
    assert stats.tasks_executed == expected
    assert stats.commands_processed == expected + 1
    assert reports[0].tasks_abandoned == 0


def test_load_timers_on_the_real_clock_fire_once_each(tiny_switch_interval: None) -> None:
    """Timers scheduled by commands from several threads all fire, once, never early."""
    count = scaled(200, 2_000)
    room = 2 * count  # every arming task and timer fits: none is dropped
    rt = Runtime(RuntimeConfig(work_queue_capacity=room, max_timers=room))
    fired: list[tuple[float, float]] = []
    all_fired = threading.Event()

    def arm(delay: float) -> None:
        when = rt.clock.now() + delay
        handle = rt.schedule_delayed(delay, record, when)
        assert handle.deadline is not None

    def record(when: float) -> None:
        fired.append((rt.clock.now(), when))
        if len(fired) == count:
            all_fired.set()

    rt.boot()
    reports: list[ShutdownReport] = []
    loop = threading.Thread(target=lambda: reports.append(rt.run()), name="run")
    loop.start()

    def send(offset: int) -> None:
        sender = rt.command_sender()
        for i in range(offset, count, 4):
            sender.send(ScheduleTask(Task(arm, (i % 7) * 0.001)))

    threads = [threading.Thread(target=send, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        join_or_fail(thread)
    fired_in_time = all_fired.wait(LOAD_TIMEOUT)
    rt.command_sender().send(Shutdown())
    join_or_fail(loop)
    assert fired_in_time, f"{len(fired)} of {count} timers fired"
    assert len(fired) == count == rt.stats().timers_fired
    assert all(now >= when - 1e-9 for now, when in fired)  # SPEC §11 tolerance
