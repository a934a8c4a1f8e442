"""The event types: `Event`, an optional base class, and `EventResult` (docs/event_bus.md)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TypeAlias

from kernel._core.event_queue import DEFAULT_EVENT_PRIORITY

__all__ = ["Event", "EventResult", "Handler"]


class Event:
    """An optional base class for events: it gives them ``priority = 100``.

    Any object can be an event; this class only supplies the default ``priority`` attribute the
    event queue reads (lower is dispatched first). Subclasses may override it.
    """

    priority: int = DEFAULT_EVENT_PRIORITY


class EventResult(enum.Enum):
    """What a handler did with an event. A handler returning None means `NOT_HANDLED`."""

    HANDLED = "Handled"
    """The handler acted; the next handlers still run."""
    CONSUMED = "Consumed"
    """The handler acted and the remaining handlers must not run."""
    NOT_HANDLED = "NotHandled"
    """The handler ignored the event."""

    @property
    def is_handled(self) -> bool:
        """True for `HANDLED`."""
        return self is EventResult.HANDLED

    @property
    def is_consumed(self) -> bool:
        """True for `CONSUMED`."""
        return self is EventResult.CONSUMED

    @property
    def is_not_handled(self) -> bool:
        """True for `NOT_HANDLED`."""
        return self is EventResult.NOT_HANDLED


Handler: TypeAlias = Callable[..., "EventResult | None"]
"""A subscribed handler: ``handler(event)``, or ``handler(event, ctx)`` with a context."""
