"""`HandlerContext`: what a handler subscribed with a context may do (docs/event_bus.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, final

if TYPE_CHECKING:
    from collections.abc import Callable

    from kernel._core.async_queue import AsyncQueue
    from kernel._core.scope import EventScope

__all__ = ["ContextSource", "HandlerContext"]


class ContextSource(Protocol):
    """What a `HandlerContext` uses of its `EventBus` (kernel._core.bus), which owns all four.

    The context reads the scope of the dispatch in progress, appends follow-ups to the async
    queue, and calls the render and quit relays (the runtime's, once the bus is attached).
    """

    _dispatch_scope: EventScope | None
    _async: AsyncQueue
    _on_render: Callable[[], None]
    _on_quit: Callable[[], None]


@final
class HandlerContext:
    """Passed to handlers subscribed with `EventBus.subscribe_with_context`.

    Its effects always reach the runtime that owns the bus: follow-up events are queued, never
    lost, and render and quit requests set the runtime's flags. On a standalone bus (no runtime)
    `request_render` and `request_quit` do nothing. Use it only during the dispatch that passed it.
    """

    __slots__ = ("_bus",)

    def __init__(self, bus: ContextSource) -> None:
        self._bus = bus

    @property
    def scope(self) -> EventScope | None:
        """The scope of the event being dispatched, which `emit` passes on; None if unscoped."""
        return self._bus._dispatch_scope

    def emit(self, event: object) -> None:
        """Queue a follow-up `event` on the bus's async queue, in the current event's scope.

        It is dispatched later in FIFO order: in the same tick's async phase when emitted during
        the events or tasks phase, and as part of the drain during shutdown. It is never dropped.
        """
        bus = self._bus
        bus._async.follow_up(event, bus._dispatch_scope)

    def request_render(self) -> None:
        """Set the runtime's render flag (see `Runtime.take_render_pending`)."""
        self._bus._on_render()

    def request_quit(self) -> None:
        """Ask the runtime to `shutdown()` at the end of the current tick phase.

        Outside a tick (a handler run by `EventBus.emit` from the app), the request is honoured
        at the start of the next tick, like a `Shutdown` command.
        """
        self._bus._on_quit()

    def __repr__(self) -> str:
        return f"<HandlerContext scope={self._bus._dispatch_scope!r}>"
