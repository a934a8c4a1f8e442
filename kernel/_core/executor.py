"""`Executor`: runs queued work and turns every `Exception` a callable raises into a report."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeAlias

from kernel._core.task import describe_callable

if TYPE_CHECKING:
    from kernel._core.instruments import HookInterrupt, Instruments
    from kernel._core.work_queue import WorkItem, WorkQueue

__all__ = ["ErrorSink", "Executor", "ReportSink", "own_failure", "refuse_awaitable"]

ReportSink: TypeAlias = Callable[[str, BaseException, str], None]
"""``report(phase, exception, description)``: where the other callback sites send exceptions."""


class ErrorSink(Protocol):
    """``sink(phase, exception, description[, created_at])``: where a caught exception goes.

    ``created_at`` (debug mode: where the task or timer was created) is passed only when known.
    """

    def __call__(
        self,
        phase: str,
        exception: BaseException,
        description: str,
        created_at: str | None = None,
        /,
    ) -> None:
        """Receive one caught exception."""


class Executor:
    """Runs work-queue items in priority-then-FIFO order and counts how each one ended.

    Every `Exception` is caught: the item counts as failed, the sink gets it, and the batch goes on.
    `KeyboardInterrupt`, `SystemExit` and other non-`Exception` errors are counted as failed and then
    propagate; the items not yet run stay queued, so the runtime can be ticked again.

    An interrupt from an instrument's callback hook is not the item's own (`HookInterrupt`):
    from ``before_callback``, the item did not run and goes back to the front of the queue (a
    `Task` PENDING again); from ``after_callback``, the item is counted as it ended (executed,
    or failed and reported) and finished. Then the interrupt propagates.

    Args:
        sink: receives ``(phase, exception, description)`` for each caught exception.
    """

    __slots__ = ("_cancelled", "_executed", "_failed", "_halted", "_sink", "_watch")

    def __init__(self, sink: ErrorSink) -> None:
        self._sink = sink
        self._watch: Instruments | None = None
        self._executed = 0
        self._failed = 0
        self._cancelled = 0
        self._halted = False

    @property
    def executed(self) -> int:
        """Callables that returned without raising (cumulative)."""
        return self._executed

    @property
    def failed(self) -> int:
        """Callables that raised (cumulative)."""
        return self._failed

    @property
    def cancelled(self) -> int:
        """Cancelled tasks skipped when they reached the front (cumulative)."""
        return self._cancelled

    def watch(self, watch: Instruments | None) -> None:
        """Run items under `watch` (the runtime's instruments, while they watch callbacks);
        None: plainly. Takes effect from the next batch."""
        self._watch = watch

    def halt(self) -> None:
        """Stop running for good: a batch in progress ends after the current item (EMERGENCY)."""
        self._halted = True

    def run(self, work: WorkQueue, limit: int) -> int:
        """Run up to `limit` items that were queued when the call began; return how many ran.

        Items leave the queue's count as the batch claims them, a chunk at a time
        (`PriorityLanes.claim`), so work the callables queue meanwhile sees the room they free.
        Cancelled tasks met on the way are skipped without using one of the `limit` slots. Work
        queued by the callables themselves waits for the next call. After `halt()` nothing more
        runs: the rest stays queued.
        Runtime complexity: O(1) per item.
        """
        ran = failed = cancelled = 0
        sink = self._sink
        unpopped = 0  # items claimed off the queue and not yet popped
        watch = self._watch  # None unless the runtime's instruments watch callbacks
        failure: BaseException | None  # what an interrupted item failed with, if anything
        try:
            for lane, count in work.begin_batch():
                popleft = lane.popleft
                while count and ran < limit:
                    unpopped = count if count < limit - ran else limit - ran
                    count -= unpopped
                    work.claim(unpopped)
                    for _ in range(unpopped):
                        if self._halted:
                            return ran
                        fn, args, owner = item = popleft()
                        unpopped -= 1
                        if watch is not None:
                            if watch.hooked:  # run it through the instruments instead
                                subject = fn if owner is None else owner
                                phase = "task" if owner is None else owner._phase
                                fn, args = watch.call, (phase, subject, fn, args)
                            else:  # only the watchdog: a heartbeat, at the cost of a store
                                watch.current = item
                                if watch.sleeping:
                                    watch.wake()
                        if owner is None:
                            ran += 1
                            try:
                                result = fn(*args)
                                if result is not None and hasattr(result, "__await__"):
                                    raise refuse_awaitable(
                                        result, "task", describe_callable(item[0])
                                    )
                            except Exception as exc:
                                failed += 1
                                sink("task", exc, describe_callable(item[0]))
                            except BaseException as exc:
                                hook = None if watch is None else watch.take_interrupt(exc)
                                if hook is not None and not hook.ran:
                                    # A before_callback hook's: the task did not run, and is
                                    # first in line again, as the rest of the batch.
                                    ran -= 1
                                    unpopped += 1
                                    lane.appendleft(item)
                                    raise
                                failure = exc
                                try:
                                    if hook is not None:  # an after_callback hook's
                                        failure = own_failure(
                                            hook, "task", describe_callable(item[0])
                                        )
                                finally:
                                    if failure is not None:
                                        failed += 1
                                if isinstance(failure, Exception):
                                    sink("task", failure, describe_callable(item[0]))
                                raise
                        elif owner._start():
                            ran += 1
                            try:
                                result = fn(*args)
                                if result is not None and hasattr(result, "__await__"):
                                    raise refuse_awaitable(
                                        result, owner._phase, owner._describe(item[0])
                                    )
                            except Exception as exc:
                                # Whatever happened, the owner is finished before anything
                                # else is called: `_finish` is a leaf, at a depth `_start` has
                                # already reached, so it cannot fail (issue #8 item 9).
                                owner._finish(False)
                                failed += 1
                                created_at = getattr(owner, "_created_at", None)
                                sink(owner._phase, exc, owner._describe(item[0]), created_at)
                            except BaseException as exc:
                                hook = None if watch is None else watch.take_interrupt(exc)
                                if hook is not None and not hook.ran:
                                    owner._requeue()  # a leaf too: back to how it was queued
                                    ran -= 1
                                    unpopped += 1
                                    lane.appendleft(item)
                                    raise
                                failure = exc
                                try:
                                    if hook is not None:  # an after_callback hook's
                                        failure = own_failure(
                                            hook, owner._phase, owner._describe(item[0])
                                        )
                                finally:
                                    owner._finish(failure is None)
                                    if failure is not None:
                                        failed += 1
                                if isinstance(failure, Exception):
                                    created_at = getattr(owner, "_created_at", None)
                                    description = owner._describe(item[0])
                                    sink(owner._phase, failure, description, created_at)
                                raise
                            else:
                                owner._finish(True)
                        else:
                            cancelled += 1
                if ran == limit:
                    break
        finally:
            if watch is not None:
                watch.current = None
            # Counters first: `end_batch` calls deeper, and may fail at the stack's limit.
            self._executed += ran - failed
            if failed:
                self._failed += failed
            if cancelled:
                self._cancelled += cancelled
            work.end_batch(unpopped)  # a KeyboardInterrupt leaves the rest of the chunk queued
        return ran

    def discard(self, items: list[WorkItem]) -> int:
        """Drop items that will never run (a stopped runtime); return how many were live.

        Cancelled tasks among them count in `cancelled`, as if they had reached the front.
        """
        abandoned = 0
        for _, _, owner in items:
            if owner is None or owner._abandon():
                abandoned += 1
            else:
                self._cancelled += 1
        return abandoned


def refuse_awaitable(result: object, phase: str, description: str) -> TypeError:
    """Close the awaitable a callback returned and say why it did not run.

    kernel never awaits: a coroutine function used as a task, timer or handler would otherwise
    count as run while its body never ran. The coroutine is closed (no "never awaited" warning)
    and the returned error counts the callback as failed.
    """
    close = getattr(result, "close", None)
    if callable(close):
        close()
    return TypeError(
        f"{phase} {description} returned an awaitable ({type(result).__qualname__}), which kernel"
        " does not run: coroutines belong to the asyncio host; it was closed"
    )


def own_failure(hook: HookInterrupt, phase: str, description: str) -> BaseException | None:
    """What a callback whose ``after_callback`` hook was interrupted failed with: its own
    exception, or an awaitable it returned (closed and refused), or None if it succeeded."""
    if hook.error is not None:
        return hook.error
    result = hook.result
    if result is not None and hasattr(result, "__await__"):
        return refuse_awaitable(result, phase, description)
    return None
