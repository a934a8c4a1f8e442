"""`IdleCallbacks`: what a driver calls when it finds nothing ready and is about to wait."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from kernel._core.callback import Callback
from kernel._core.validate import check_int

if TYPE_CHECKING:
    from kernel._core.executor import ReportSink
    from kernel._core.instruments import Instruments

__all__ = ["IdleCallbacks"]


class IdleCallbacks:
    """Idle callbacks by id, called in registration order by `run_all`.

    Idle callbacks are not work: they never make the runtime look busy. Ids start at 1 and are
    never reused within one runtime. Removing a callback, even from inside an idle callback,
    takes effect at once. Not thread-safe: the loop thread owns it.

    Args:
        report: receives ``("idle", exception, description)`` for each caught exception.
        watch: the runtime's instruments, which watch each callback while they watch any.
    """

    __slots__ = ("_callbacks", "_ids", "_report", "_watch")

    def __init__(self, report: ReportSink, watch: Instruments | None = None) -> None:
        self._report = report
        self._watch = watch
        self._callbacks: dict[int, Callback] = {}
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        """Registered callbacks."""
        return len(self._callbacks)

    def add(self, fn: Any, args: tuple[Any, ...], name: str | None) -> int:
        """Register ``fn(*args)``; return its id. O(1).

        Raises:
            TypeError: `fn` is not callable, or `name` is neither a str nor None.
        """
        callback = Callback(fn, args, name)
        callback_id = next(self._ids)
        self._callbacks[callback_id] = callback
        return callback_id

    def remove(self, callback_id: int) -> bool:
        """Remove the callback with this id; True if it was registered. O(1).

        Raises:
            TypeError: `callback_id` is not an int.
        """
        return self._callbacks.pop(check_int(callback_id, "callback_id"), None) is not None

    def clear(self) -> int:
        """Remove every callback; return how many there were."""
        count = len(self._callbacks)
        self._callbacks.clear()
        return count

    def run_all(self) -> int:
        """Call every callback registered when the call began (unless removed meanwhile).

        An `Exception` is reported (``"idle"``) and the callback stays registered; other
        exceptions propagate. Callbacks added meanwhile wait for the next call.

        Returns:
            How many callbacks ran.
        """
        callbacks = self._callbacks
        ran = 0
        for callback_id, callback in list(callbacks.items()):
            if callbacks.get(callback_id) is not callback:
                continue
            ran += 1
            watch = self._watch
            try:
                if watch is not None and watch.watching:
                    watch.call("idle", callback, callback.fn, callback.args)
                else:
                    callback.fn(*callback.args)
            except Exception as exc:
                self._report("idle", exc, callback.describe())
            except BaseException as exc:  # not run (a hook's interrupt)? the next call runs it
                if watch is not None:
                    watch.settle(exc, self._report, "idle", callback.describe())
                raise
        return ran
