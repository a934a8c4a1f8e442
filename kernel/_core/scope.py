"""`EventScope`: a thread-safe count of events in flight that a caller can wait on."""

from __future__ import annotations

import threading

from kernel._core.validate import check_delay

__all__ = ["EventScope", "release"]


class EventScope:
    """Counts the events still in flight for some input, so a caller can wait for all its effects.

    `EventBus.emit_async(event, scope=s)` increments the count when the event is queued and
    decrements it after the event is dispatched; follow-up events emitted through a handler's
    context during a scoped dispatch join the same scope. Any thread may increment, decrement and
    wait; the runtime thread usually decrements while a client thread waits.
    """

    __slots__ = ("_changed", "_in_flight")

    def __init__(self) -> None:
        self._in_flight = 0
        self._changed = threading.Condition(threading.Lock())

    @property
    def in_flight(self) -> int:
        """The number of events counted and not yet finished."""
        return self._in_flight

    @property
    def is_complete(self) -> bool:
        """True when nothing is in flight."""
        return self._in_flight == 0

    def increment(self) -> None:
        """Count one more event in flight. Thread-safe."""
        with self._changed:
            self._in_flight += 1

    def decrement(self) -> None:
        """Count one event finished; wake every waiter when the count reaches zero. Thread-safe.

        Raises:
            ValueError: nothing is in flight (the count never goes below zero).
        """
        if not self._decrement_if_positive():
            msg = "EventScope.decrement() called when in_flight is 0"
            raise ValueError(msg)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until nothing is in flight, or until `timeout` seconds pass. Thread-safe.

        Returns at once with True when nothing is in flight, even for a zero timeout.

        Returns:
            True if the count reached zero; False if the timeout expired first.

        Raises:
            TypeError: `timeout` is not a number or None.
            ValueError: `timeout` is negative or not finite.
        """
        if timeout is not None:
            timeout = check_delay(timeout, "timeout")
        with self._changed:
            return self._changed.wait_for(lambda: self._in_flight == 0, timeout)

    def _decrement_if_positive(self) -> bool:
        """Decrement unless the count is zero, atomically; return whether it decremented."""
        with self._changed:
            if self._in_flight == 0:
                return False
            self._in_flight -= 1
            if self._in_flight == 0:
                self._changed.notify_all()
            return True

    def __repr__(self) -> str:
        return f"<EventScope in_flight={self._in_flight}>"


def release(scope: EventScope) -> bool:
    """Count one event of `scope` finished (dispatched or abandoned), unless none is in flight.

    The core's phases call it after each scoped event; unlike `EventScope.decrement` it never
    raises, because a user may have decremented the scope by hand. Thread-safe.

    Returns:
        True if it decremented.
    """
    return scope._decrement_if_positive()
