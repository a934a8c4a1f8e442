"""`AsyncQueue`: a bus's FIFO of events dispatched later, in the async phase (docs/event_bus.md).

`EventBus.emit_async` and `HandlerContext.emit` put events here; a tick's async phase (through
`EventBus.process_queue`) takes them out and dispatches them through the bus. A scoped event
holds its scope until it is dispatched or discarded.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, TypeAlias

from kernel._core.scope import EventScope, release
from kernel._core.validate import check_instance, check_positive_int

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["AsyncQueue", "Dispatch"]

Dispatch: TypeAlias = "Callable[[object, EventScope | None], object]"
"""``dispatch(event, scope)``: the bus's dispatch of one event, `scope` passed to its handlers."""


class AsyncQueue:
    """The async queue of one `EventBus`: FIFO, unbounded, dispatched through `dispatch`.

    `close()` (the runtime is shutting down) makes `put` refuse and count; follow-ups still
    join. `halt()` (EMERGENCY) makes `process` dispatch nothing more. Not thread-safe: the
    loop thread owns it.

    Args:
        dispatch: dispatches one event with the scope its handlers see (the bus's own).
    """

    __slots__ = ("_closed", "_dispatch", "_dropped", "_halted", "_taken", "events")

    def __init__(self, dispatch: Dispatch) -> None:
        self.events: deque[tuple[object, EventScope | None]] = deque()
        """The queued ``(event, scope)`` pairs, oldest first; read-only to others. The queue
        never replaces it, so a runtime may keep it and test it on each tick for the cost of a
        deque's truth test (PERF.md P6)."""
        self._dispatch = dispatch
        self._closed = False
        self._halted = False
        self._taken = 0  # events ever taken from the queue (see `process`)
        self._dropped = 0

    def __len__(self) -> int:
        """Events waiting."""
        return len(self.events)

    @property
    def taken(self) -> int:
        """Events `process` has taken from the queue so far (cumulative)."""
        return self._taken

    @property
    def dropped(self) -> int:
        """`put` calls refused after `close()` (cumulative)."""
        return self._dropped

    def put(self, event: object, scope: EventScope | None = None) -> bool:
        """Queue `event` (`EventBus.emit_async`); with a `scope`, increment it now. O(1).

        Returns:
            True if queued; False (counted in `dropped`) after `close()`.

        Raises:
            TypeError: `scope` is not an `EventScope` or None.
        """
        if scope is not None:
            check_instance(scope, EventScope, "scope", "an EventScope or None")
        if self._closed:
            self._dropped += 1
            return False
        if scope is not None:
            scope.increment()
        self.events.append((event, scope))
        return True

    def follow_up(self, event: object, scope: EventScope | None) -> None:
        """Queue `event` in `scope` (`HandlerContext.emit`): never refused, never dropped. O(1)."""
        if scope is not None:
            scope.increment()
        self.events.append((event, scope))

    def process(self, limit: int | None = None) -> int:
        """Dispatch the events queued when called (at most `limit`); return how many.

        Events queued meanwhile wait for the next call. Each scoped event's scope is released
        after its dispatch, also when a handler raises an interrupt. After `halt()` nothing more
        is dispatched.

        Raises:
            TypeError / ValueError: `limit` is not None or an int >= 1.
        """
        queue = self.events
        count = len(queue)
        if limit is not None:
            count = min(count, check_positive_int(limit, "limit"))
        popleft = queue.popleft
        dispatch = self._dispatch
        # The events standing now are those up to number `end` of all ever taken from the
        # queue. Counting by that number, not by how many this call took, lets a handler call
        # process() itself: the nested call takes some of them, and this one stops at `end`
        # instead of popping an empty queue.
        end = self._taken + count
        done = 0
        while self._taken < end and not self._halted:
            event, scope = popleft()
            self._taken += 1
            done += 1
            if scope is None:
                dispatch(event, None)
                continue
            try:
                dispatch(event, scope)
            finally:
                release(scope)
        return done

    def discard(self) -> int:
        """Drop every queued event, releasing their scopes; return how many."""
        queue = self.events
        dropped = len(queue)
        while queue:
            _, scope = queue.popleft()
            if scope is not None:
                release(scope)
        return dropped

    def close(self) -> None:
        """Refuse (and count) later `put` calls; `follow_up` still queues."""
        self._closed = True

    def halt(self) -> None:
        """Refuse later `put` calls and dispatch nothing more; a dispatch in progress finishes."""
        self._closed = True
        self._halted = True
