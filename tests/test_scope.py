"""EventScope: counting, waiting, and thread safety (real threads, always joined)."""

from __future__ import annotations

import threading

import pytest

from kernel import EventScope

JOIN_TIMEOUT = 10.0


def test_scope_counts_up_and_down() -> None:
    scope = EventScope()
    assert (scope.in_flight, scope.is_complete) == (0, True)
    scope.increment()
    scope.increment()
    assert scope.in_flight == 2
    scope.decrement()
    assert (scope.in_flight, scope.is_complete) == (1, False)
    scope.decrement()
    assert scope.is_complete
    assert repr(scope) == "<EventScope in_flight=0>"


def test_scope_decrement_at_zero_raises() -> None:
    scope = EventScope()
    with pytest.raises(ValueError, match=r"^EventScope.decrement\(\) called when in_flight is 0$"):
        scope.decrement()
    assert scope.in_flight == 0


def test_scope_wait_returns_at_once_when_complete() -> None:
    scope = EventScope()
    assert scope.wait()
    assert scope.wait(0)
    assert scope.wait(0.0)


def test_scope_wait_with_zero_timeout_reports_in_flight() -> None:
    scope = EventScope()
    scope.increment()
    assert not scope.wait(0)
    assert scope.in_flight == 1


@pytest.mark.parametrize(
    ("timeout", "error", "message"),
    [
        (-1, ValueError, r"^timeout must be >= 0, got -1$"),
        (float("inf"), ValueError, r"^timeout must be finite, got inf$"),
        ("1", TypeError, r"^timeout must be a number of seconds \(int or float\), got '1'$"),
    ],
    ids=["negative", "infinite", "str"],
)
def test_scope_wait_rejects_bad_timeouts(
    timeout: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        EventScope().wait(timeout)  # type: ignore[arg-type]


def test_scope_wait_is_released_by_another_thread() -> None:
    scope = EventScope()
    scope.increment()
    started = threading.Event()

    def finish() -> None:
        started.wait(JOIN_TIMEOUT)
        scope.decrement()

    thread = threading.Thread(target=finish)
    thread.start()
    started.set()
    assert scope.wait(JOIN_TIMEOUT)
    thread.join(JOIN_TIMEOUT)
    assert not thread.is_alive()


def test_scope_releases_every_waiter_at_once() -> None:
    scope = EventScope()
    scope.increment()
    results: list[bool] = []
    lock = threading.Lock()

    def wait() -> None:
        done = scope.wait(JOIN_TIMEOUT)
        with lock:
            results.append(done)

    waiters = [threading.Thread(target=wait) for _ in range(3)]
    for waiter in waiters:
        waiter.start()
    scope.decrement()
    for waiter in waiters:
        waiter.join(JOIN_TIMEOUT)
        assert not waiter.is_alive()
    assert results == [True, True, True]


def test_scope_concurrent_increments_and_decrements() -> None:
    scope = EventScope()

    def work() -> None:
        for _ in range(1000):
            scope.increment()
        for _ in range(1000):
            scope.decrement()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
        assert not thread.is_alive()
    assert scope.is_complete
