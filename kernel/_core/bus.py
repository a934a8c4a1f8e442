"""`EventBus`: typed, ordered, error-isolating dispatch on top of blinker (docs/event_bus.md).

Each bus owns a blinker `Namespace` with one signal per event type; a `Subscription` is the
receiver connected to it, strongly. Connecting and disconnecting go through blinker, and after each
change the bus rebuilds an ordered tuple of handlers for that type from the signal's receivers.
Dispatch walks that tuple: the same receivers blinker holds, but in subscription-priority order,
with each handler's exceptions caught, and without the per-send cost of `Signal.send`. Events
emitted for later wait in the bus's `AsyncQueue` (kernel/_core/async_queue.py).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Final, TypeAlias, TypeVar

from blinker import NamedSignal, Namespace

from kernel._core.async_queue import AsyncQueue
from kernel._core.event_queue import DEFAULT_EVENT_PRIORITY
from kernel._core.events import EventResult, Handler
from kernel._core.executor import refuse_awaitable
from kernel._core.handler_context import HandlerContext
from kernel._core.reporting import ErrorHandler, ErrorReporter
from kernel._core.scope import EventScope, release
from kernel._core.subscription import Subscription, dispatch_order, receiver
from kernel._core.task import describe_callable
from kernel._core.validate import check_callable, check_instance, check_priority

if TYPE_CHECKING:
    from collections.abc import Callable, Sized

    from kernel._core.instruments import HookInterrupt, Instruments
    from kernel._core.lanes import PriorityLanes

__all__ = [
    "EventBus",
    "async_queue",
    "attach",
    "close",
    "discard_queue",
    "dispatch_batch",
    "halt",
    "watch_bus",
]

E = TypeVar("E")


_HANDLED: Final = EventResult.HANDLED
_CONSUMED: Final = EventResult.CONSUMED
_NOT_HANDLED: Final = EventResult.NOT_HANDLED

_Receivers: TypeAlias = tuple[tuple[Handler, bool], ...]


def _no_effect() -> None:
    """What render and quit requests do on a standalone bus."""


class EventBus:
    """Dispatches events to handlers keyed by the event's exact type.

    Handlers run in ascending subscription priority, ties in subscription order, and are held
    strongly (lambdas and closures stay subscribed). A handler returning `EventResult.CONSUMED`
    stops the rest. A handler that raises is reported to the error handler, counted in
    `handler_errors`, and skipped: the others still run.

    A standalone bus reports to its own `error_handler` (default: the ``"kernel"`` logger).
    Given to a `Runtime`, it reports to the runtime's error handler, and its async queue is
    dispatched by the runtime's ticks. Not thread-safe: use it on the runtime's thread.

    Args:
        error_handler: receives an `ErrorReport` for each handler exception, or None for logging.
    """

    def __init__(self, error_handler: ErrorHandler | None = None) -> None:
        self._namespace = Namespace()
        self._signals: dict[type, NamedSignal] = {}
        self._receivers: dict[type, _Receivers] = {}
        self._async = AsyncQueue(self._dispatch)
        self._seq = itertools.count()
        self._context = HandlerContext(self)
        self._dispatch_scope: EventScope | None = None
        self._sink: Callable[[str, BaseException, str], None] = ErrorReporter(
            error_handler, lambda: 0
        )
        self._on_render: Callable[[], None] = _no_effect
        self._on_quit: Callable[[], None] = _no_effect
        self._attached = False
        self._watch: Instruments | None = None
        self._halted = False
        self._dispatched = 0
        self._handler_errors = 0

    # -- subscribing ----------------------------------------------------------------------------

    def subscribe(
        self,
        event_type: type[E],
        handler: Callable[[E], EventResult | None],
        priority: int = DEFAULT_EVENT_PRIORITY,
    ) -> Subscription:
        """Call ``handler(event)`` for every dispatched event whose type is exactly `event_type`.

        Runtime complexity: O(h log h) for the h handlers of that type (the ordered tuple is
        rebuilt); dispatch itself never sorts.

        Raises:
            TypeError: `event_type` is not a class, `handler` is not callable, or `priority` is
                not an int.
            ValueError: `priority` is outside ``[0, 2**32)``.
        """
        return self._subscribe(event_type, handler, priority, with_context=False)

    def subscribe_with_context(
        self,
        event_type: type[E],
        handler: Callable[[E, HandlerContext], EventResult | None],
        priority: int = DEFAULT_EVENT_PRIORITY,
    ) -> Subscription:
        """Like `subscribe`, but call ``handler(event, ctx)`` with a `HandlerContext`."""
        return self._subscribe(event_type, handler, priority, with_context=True)

    def handler_count(self, event_type: type) -> int:
        """The number of active subscriptions for exactly `event_type`."""
        return len(self._receivers.get(event_type, ()))

    # -- dispatching ----------------------------------------------------------------------------

    def emit(self, event: object) -> EventResult:
        """Dispatch `event` now, synchronously, on the caller's thread.

        Returns:
            `CONSUMED` if a handler consumed it, else `HANDLED` if any handled it, else
            `NOT_HANDLED` (also when no handler is subscribed). Raising handlers do not count.
        """
        return self._dispatch(event, None)

    def emit_async(self, event: object, scope: EventScope | None = None) -> bool:
        """Queue `event` for a later dispatch: the next RUNNING tick's async phase.

        The async queue is FIFO and unbounded. With a `scope`, the scope is incremented now and
        decremented after the dispatch, and follow-ups the handlers emit join it.

        Returns:
            True if queued; False (counted in ``events_dropped``) once the runtime is shutting down.

        Raises:
            TypeError: `scope` is not an `EventScope` or None.
        """
        return self._async.put(event, scope)

    def process_queue(self, limit: int | None = None) -> int:
        """Dispatch the async queue as it stood when called (at most `limit` events).

        Events queued meanwhile wait for the next call. Returns how many events were dispatched.

        Raises:
            TypeError / ValueError: `limit` is not None or an int >= 1.
        """
        return self._async.process(limit)

    # -- introspection --------------------------------------------------------------------------

    @property
    def queue_len(self) -> int:
        """Events waiting in the async queue."""
        return len(self._async.events)

    @property
    def async_taken(self) -> int:
        """Events `process_queue` has taken from the async queue so far (cumulative)."""
        return self._async.taken

    @property
    def dispatched(self) -> int:
        """Events dispatched so far: emitted, queued or async (cumulative)."""
        return self._dispatched

    @property
    def handler_errors(self) -> int:
        """Handler exceptions caught and reported (cumulative)."""
        return self._handler_errors

    @property
    def dropped(self) -> int:
        """`emit_async` calls refused because the runtime was shutting down (cumulative)."""
        return self._async.dropped

    def __repr__(self) -> str:
        handlers = sum(len(r) for r in self._receivers.values())
        return (
            f"<EventBus event_types={len(self._receivers)} handlers={handlers}"
            f" queue_len={len(self._async.events)}>"
        )

    # -- internals ------------------------------------------------------------------------------

    def _subscribe(
        self, event_type: type, handler: Handler, priority: int, *, with_context: bool
    ) -> Subscription:
        check_instance(event_type, type, "event_type", "a class")
        check_callable(handler, "handler")
        check_priority(priority)
        subscription = Subscription(
            self, event_type, handler, priority, next(self._seq), with_context
        )
        signal = self._signals.get(event_type)
        if signal is None:
            # One signal per type, named uniquely within this bus's own namespace.
            name = f"{event_type.__module__}.{event_type.__qualname__}@{id(event_type):x}"
            signal = self._signals[event_type] = self._namespace.signal(name)
        signal.connect(subscription, weak=False)
        self._refresh(event_type, signal)
        return subscription

    def _unsubscribe(self, subscription: Subscription) -> None:
        event_type = subscription.event_type
        signal = self._signals[event_type]
        signal.disconnect(subscription)
        self._refresh(event_type, signal)

    def _refresh(self, event_type: type, signal: NamedSignal) -> None:
        """Rebuild the ordered handler tuple for `event_type` from the signal's receivers."""
        subscriptions = sorted(
            (r for r in signal.receivers.values() if isinstance(r, Subscription)),
            key=dispatch_order,
        )
        if subscriptions:
            self._receivers[event_type] = tuple(receiver(s) for s in subscriptions)
        else:
            del self._receivers[event_type]
            del self._signals[event_type]
            del self._namespace[signal.name]

    def _dispatch(self, event: object, scope: EventScope | None) -> EventResult:
        """Run the handlers of ``type(event)`` in order; `scope` is what `ctx.emit` passes on."""
        self._dispatched += 1
        receivers = self._receivers.get(type(event))
        if receivers is None:
            return _NOT_HANDLED
        outer_scope = self._dispatch_scope
        self._dispatch_scope = scope
        result = _NOT_HANDLED
        context = self._context
        watch = self._watch  # None unless the runtime's instruments watch callbacks
        outer = None if watch is None else watch.current
        try:
            for handler, with_context in receivers:
                try:
                    if watch is None:
                        outcome: object = (
                            handler(event, context) if with_context else handler(event)
                        )
                    elif watch.hooked:
                        args = (event, context) if with_context else (event,)
                        outcome = watch.call("event", handler, handler, args)
                    else:  # only the watchdog: a heartbeat, at the cost of a store
                        watch.current = ("event", handler)
                        if watch.sleeping:
                            watch.wake()
                        outcome = handler(event, context) if with_context else handler(event)
                except Exception as exc:
                    self._handler_failed(exc, handler)
                    continue
                except BaseException as exc:
                    late = None if watch is None else watch.take_interrupt(exc)
                    if late is not None and late.ran:  # an after_callback hook's interrupt
                        self._handled_late(late, handler)
                    raise
                if outcome is _CONSUMED:
                    return _CONSUMED
                if outcome is _HANDLED:
                    result = _HANDLED
                elif outcome is not None and outcome is not _NOT_HANDLED:
                    self._handler_failed(_bad_result(outcome, handler), handler)
            return result
        finally:
            self._dispatch_scope = outer_scope
            if watch is not None:
                watch.current = outer

    def _handled_late(self, late: HookInterrupt, handler: Handler) -> None:
        """Report what `handler` did wrong, as without the interrupted hook after it."""
        outcome = late.result
        if late.failure is not None:
            self._handler_failed(late.failure, handler)
        elif outcome is not None and all(outcome is not r for r in EventResult):
            self._handler_failed(_bad_result(outcome, handler), handler)

    def _handler_failed(self, exc: Exception, handler: Handler) -> None:
        self._handler_errors += 1
        self._sink("event", exc, describe_callable(handler))


def _bad_result(outcome: object, handler: Handler) -> TypeError:
    if hasattr(outcome, "__await__"):
        return refuse_awaitable(outcome, "event handler", describe_callable(handler))
    return TypeError(
        f"handler {describe_callable(handler)} returned {outcome!r};"
        " expected an EventResult or None"
    )


# -- the runtime's side of the bus (kernel._core only) -------------------------------------------


def watch_bus(bus: EventBus, watch: Instruments | None) -> None:
    """Run `bus`'s handlers under `watch` (the runtime's instruments, while they watch
    callbacks: heartbeat, hooks, timing); None: plainly."""
    bus._watch = watch


def attach(
    bus: EventBus,
    sink: Callable[[str, BaseException, str], None],
    on_render: Callable[[], None],
    on_quit: Callable[[], None],
) -> None:
    """Route `bus`'s reports and context requests to a runtime (once per bus).

    Raises:
        ValueError: the bus already belongs to a runtime.
    """
    if bus._attached:
        msg = f"event_bus {bus!r} already belongs to another Runtime"
        raise ValueError(msg)
    bus._attached = True
    bus._sink = sink
    bus._on_render = on_render
    bus._on_quit = on_quit


def close(bus: EventBus) -> None:
    """Refuse (and count) later `emit_async` calls; `HandlerContext.emit` still queues."""
    bus._async.close()


def halt(bus: EventBus) -> None:
    """Dispatch nothing more from the queues (EMERGENCY); a dispatch in progress finishes."""
    bus._halted = True  # the events phase's check (`dispatch_batch`); the async queue keeps its own
    bus._async.halt()


def async_queue(bus: EventBus) -> Sized:
    """A live, read-only view of `bus`'s async queue: its ``len()`` and truth value.

    The bus never replaces the queue, so a runtime may keep the view and test it on each tick
    for the cost of a deque's truth test (PERF.md P6).
    """
    return bus._async.events


def dispatch_batch(
    events: PriorityLanes[object], bus: EventBus, scope: EventScope | None, limit: int
) -> int:
    """Dispatch up to `limit` of the events `events` held when the call began, in pop order.

    The events phase of a tick (`kernel._core.phases.dispatch_events`). Each event leaves the
    queue's count as it is popped (`PriorityLanes.claim`), so handlers that queue events see the
    room it freed; events they queue wait for the next call. After each event, `scope`, if set, is
    released. Once the bus is halted (EMERGENCY), the rest stays queued.

    Returns:
        How many events were dispatched.
    """
    dispatch = bus._dispatch
    claim = events.claim
    done = 0
    try:
        for lane, count in events.begin_batch():
            popleft = lane.popleft
            # Plain comparisons and a while loop: min() and range() would cost more than the
            # bookkeeping of a one-event batch (PERF.md P5).
            if count > limit - done:
                count = limit - done
            while count and not bus._halted:
                count -= 1
                event = popleft()
                claim(1)
                done += 1
                if scope is None:
                    dispatch(event, None)
                    continue
                try:
                    dispatch(event, None)
                finally:  # also when a handler raises KeyboardInterrupt: nobody waits forever
                    release(scope)
            if done == limit or bus._halted:
                break
    finally:
        events.end_batch()
    return done


def discard_queue(bus: EventBus) -> int:
    """Drop every event in `bus`'s async queue, releasing their scopes; return how many."""
    return bus._async.discard()
