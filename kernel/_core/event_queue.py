"""`EventQueue`: the bounded priority queue of events waiting for the runtime's events phase."""

from __future__ import annotations

from typing import Final

from kernel._core.lanes import PriorityLanes
from kernel._core.validate import MAX_PRIORITY, check_priority

__all__ = ["DEFAULT_EVENT_PRIORITY", "EventQueue"]

DEFAULT_EVENT_PRIORITY: Final = 100
"""The priority of an event without a ``priority`` attribute (the reference system's default)."""


class EventQueue(PriorityLanes[object]):
    """Events ordered by their ``priority`` attribute (lowest first), FIFO among equals.

    An event is any object; its priority is read once, when it is queued. A full or closed queue
    rejects the newest event and counts it in `dropped`. Push and pop are O(1) for the named
    `Priority` levels, O(log p) the first time another priority value is used.
    """

    __slots__ = ()

    def push_event(self, event: object) -> bool:
        """Queue `event` by its ``priority`` attribute (100 when it has none).

        Returns:
            True if queued; False if the queue is full (counted in `dropped`) or closed
            (counted in `rejected`).

        Raises:
            TypeError: the event's ``priority`` is not an int.
            ValueError: the event's ``priority`` is outside ``[0, 2**32)``.
        """
        priority = getattr(event, "priority", DEFAULT_EVENT_PRIORITY)
        if priority.__class__ is not int or not 0 <= priority < MAX_PRIORITY:
            check_priority(priority, "event priority")  # raises unless an int subclass in range
        return self.push(event, priority)
