"""WorkQueue (with the executor that consumes it): a model-based state machine."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from kernel import WorkQueue
from kernel._core.executor import Executor
from kernel.testing.strategies import priorities

# Named levels keep their lanes; the others open and close lanes as they fill and drain.
PRIORITIES = priorities()


class WorkQueueModel(RuleBasedStateMachine):
    """WorkQueue plus the Executor against a sorted list: priority first, FIFO, bounded."""

    def __init__(self) -> None:
        super().__init__()
        self.queue = WorkQueue(6)
        self.ran: list[int] = []
        self.executor = Executor(lambda *_: None)
        self.model: list[tuple[int, int, int]] = []
        self.seq = itertools.count()

    @rule(priority=PRIORITIES)
    def push(self, priority: int) -> None:
        n = next(self.seq)
        accepted = self.queue.push((self.ran.append, (n,), None), priority)
        assert accepted == (len(self.model) < 6)
        if accepted:
            self.model.append((priority, n, n))

    @rule(limit=st.integers(min_value=1, max_value=8))
    def run(self, limit: int) -> None:
        self.model.sort()
        expected = [n for _, _, n in self.model[:limit]]
        self.ran.clear()
        assert self.executor.run(self.queue, limit) == len(expected)
        assert self.ran == expected
        del self.model[:limit]

    @invariant()
    def matches_model(self) -> None:
        self.queue._check()
        assert len(self.queue) == len(self.model)


TestWorkQueueModel = WorkQueueModel.TestCase


def test_work_queue_orders_by_priority_then_fifo() -> None:
    queue = WorkQueue(8)
    ran: list[str] = []
    for name, priority in [("normal", 100), ("idle", 1000), ("critical", 0), ("normal-2", 100)]:
        assert queue.push((ran.append, (name,), None), priority)
    Executor(lambda *_: None).run(queue, 8)
    assert ran == ["critical", "normal", "normal-2", "idle"]
