"""`Subscription`: one handler subscribed to one event type (docs/event_bus.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, final

from kernel._core.task import describe_callable

if TYPE_CHECKING:
    from types import TracebackType

    from kernel._core.events import EventResult, Handler
    from kernel._core.handler_context import HandlerContext

__all__ = ["Subscription", "SubscriptionOwner", "dispatch_order", "receiver"]


class SubscriptionOwner(Protocol):
    """What a `Subscription` uses of its `EventBus` (kernel._core.bus)."""

    _context: HandlerContext

    def _unsubscribe(self, subscription: Subscription) -> None:
        """Disconnect `subscription` from its event type's signal and rebuild the handler order."""


@final
class Subscription:
    """One handler subscribed to one event type; the receiver blinker holds for it.

    Dropping a subscription does not cancel it; call `cancel()` or leave its ``with`` block.
    Subscribing or cancelling during a dispatch takes effect from the next dispatch.
    """

    __slots__ = ("_active", "_bus", "_event_type", "_handler", "_priority", "_seq", "_with_context")

    def __init__(
        self,
        bus: SubscriptionOwner,
        event_type: type,
        handler: Handler,
        priority: int,
        seq: int,
        with_context: bool,
    ) -> None:
        self._bus = bus
        self._event_type = event_type
        self._handler = handler
        self._priority = priority
        self._seq = seq
        self._with_context = with_context
        self._active = True

    @property
    def event_type(self) -> type:
        """The exact event type this subscription receives."""
        return self._event_type

    @property
    def priority(self) -> int:
        """Handlers run in ascending priority, ties in subscription order."""
        return self._priority

    @property
    def is_active(self) -> bool:
        """True until `cancel()`."""
        return self._active

    def cancel(self) -> bool:
        """Unsubscribe. Idempotent.

        Returns:
            True if the subscription was active.
        """
        if not self._active:
            return False
        # Unsubscribe first, mark inactive after: an exception on the way (a RecursionError at
        # the stack's limit) leaves the subscription active and cancellable again, never an
        # inactive one whose handler still runs.
        self._bus._unsubscribe(self)
        self._active = False
        self._handler = _cancelled  # never called again: free what the handler holds
        return True

    def __call__(self, event: object) -> EventResult | None:
        """Call the handler with `event` (and the bus's context if it takes one)."""
        if self._with_context:
            return self._handler(event, self._bus._context)
        return self._handler(event)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cancel()

    def __repr__(self) -> str:
        state = "active" if self._active else "cancelled"
        return (
            f"<Subscription {self._event_type.__qualname__} -> "
            f"{describe_callable(self._handler)} priority={self._priority} {state}>"
        )


def _cancelled(*args: object) -> None:
    """What a cancelled `Subscription` holds instead of its handler."""


# -- the bus's side of a subscription (kernel._core.bus only) -------------------------------------


def dispatch_order(subscription: Subscription) -> tuple[int, int]:
    """The key handlers run in: ascending priority, ties in subscription order."""
    return (subscription._priority, subscription._seq)


def receiver(subscription: Subscription) -> tuple[Handler, bool]:
    """What a dispatch calls: the handler, and whether it takes the context."""
    return (subscription._handler, subscription._with_context)
