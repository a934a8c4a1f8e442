"""Task, TaskId, TaskState and Priority."""

from __future__ import annotations

import threading

import pytest

from kernel import Priority, Task, TaskState


def noop() -> None:
    pass


def test_priority_levels_have_the_reference_values() -> None:
    assert [int(p) for p in Priority] == [0, 50, 100, 200, 1000]
    assert Priority.CRITICAL < Priority.HIGH < Priority.NORMAL < Priority.LOW < Priority.IDLE
    assert Priority.HIGH < 75 < Priority.NORMAL


def test_task_defaults() -> None:
    task = Task(noop)
    assert task.state is TaskState.PENDING
    assert task.priority == Priority.NORMAL
    assert task.name is None
    assert not task.is_queued


def test_task_keeps_priority_and_name() -> None:
    task = Task(noop, priority=Priority.HIGH, name="save")
    assert (task.priority, task.name) == (50, "save")
    assert "save" in repr(task)


def test_task_ids_are_unique_and_increasing_across_threads() -> None:
    ids: list[int] = []
    lock = threading.Lock()

    def make() -> None:
        made = [Task(noop).id for _ in range(500)]
        with lock:
            ids.extend(made)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()
    assert len(set(ids)) == 2000
    first, second = Task(noop), Task(noop)
    assert 0 < first.id < second.id


def test_task_cancel_only_from_pending() -> None:
    task = Task(noop)
    assert task.cancel()
    assert task.state is TaskState.CANCELLED
    assert not task.cancel()


def test_task_state_display_names() -> None:
    assert [str(s) for s in TaskState] == ["Pending", "Running", "Completed", "Failed", "Cancelled"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fn": 42}, TypeError, r"^fn must be callable, got 42$"),
        ({"priority": -1}, ValueError, r"^priority must be in \[0, 2\*\*32\), got -1$"),
        ({"priority": 2**32}, ValueError, r"^priority must be in \[0, 2\*\*32\), got 4294967296$"),
        ({"priority": 1.0}, TypeError, r"^priority must be an int in \[0, 2\*\*32\), got 1.0$"),
        ({"priority": False}, TypeError, r"^priority must be an int in \[0, 2\*\*32\), got False$"),
        ({"name": 3}, TypeError, r"^name must be a str or None, got 3$"),
    ],
    ids=["fn", "priority-negative", "priority-too-big", "priority-float", "priority-bool", "name"],
)
def test_task_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    fn = kwargs.pop("fn", noop)
    with pytest.raises(error, match=message):
        Task(fn, **kwargs)  # type: ignore[arg-type]


def test_task_repr_names_the_callable_then_the_id_once_released() -> None:
    task = Task(noop)
    assert repr(task).endswith(f"'{__name__}.noop' priority=100 Pending>")
    task.cancel()
    assert repr(task) == f"<Task {task.id} 'Task({task.id})' priority=100 Cancelled>"


def test_task_requeue_undoes_start() -> None:
    """An instrument's interrupted ``before_callback``: the task goes back unrun, as queued."""
    task = Task(noop)
    task._queued = True
    assert task._start()
    assert (task.state, task.is_queued) == (TaskState.RUNNING, False)
    task._requeue()
    assert (task.state, task.is_queued) == (TaskState.PENDING, True)
    assert task.cancel()  # PENDING again: cancellable, and skipped when it reaches the front
    assert not task._start()
