"""Error reports: `ErrorReport`, the default handler (logging), and the guard around handlers."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeAlias

from kernel._core.validate import check_callable

if TYPE_CHECKING:
    from kernel._core.instruments import Instruments

__all__ = ["ErrorHandler", "ErrorReport", "ErrorReporter", "log_error"]

logger: Final = logging.getLogger("kernel")


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class ErrorReport:
    """One exception caught by the runtime, with where it happened."""

    phase: str
    """Where it was caught: ``"task"``, ``"timer"``, ``"event"``, ``"command"``, ``"io"`` (a
    reader, writer or signal callback, or a closed fd), ``"idle"`` or ``"thread"`` (``on_done``,
    or a failed worker-thread job without one)."""
    exception: BaseException
    """The exception, with its ``__traceback__``."""
    callback: str
    """The task or timer name if it has one, else the callable's qualified name."""
    tick: int
    """``stats().ticks`` when it was caught (1 during the first tick; 0 for a standalone bus)."""
    created_at: str | None = None
    """In debug mode, where the failing task or timer was created (a stack as text, innermost
    call last); None otherwise."""


ErrorHandler: TypeAlias = Callable[[ErrorReport], object]
"""Receives every `ErrorReport`; it runs on the runtime's thread, inside the tick."""


def log_error(report: ErrorReport) -> None:
    """The default error handler: log the report and its traceback to the ``"kernel"`` logger."""
    exc = report.exception
    logger.error(
        "%s %s raised %s (tick %d)",
        report.phase,
        report.callback,
        type(exc).__name__,
        report.tick,
        exc_info=(type(exc), exc, exc.__traceback__),
    )


class ErrorReporter:
    """Builds `ErrorReport`s and hands them to a handler that is never allowed to stop the loop.

    If the handler raises an `Exception`, that exception is logged to the ``"kernel"`` logger and
    the tick goes on. Each report then goes to the instruments' ``on_error`` hooks, if any.

    Args:
        handler: the error handler, or None for `log_error`.
        tick: returns the current tick number for each report.
        instruments: whose ``on_error`` hooks see every report (None: no instruments).
    """

    __slots__ = ("_handler", "_instruments", "_tick")

    def __init__(
        self,
        handler: ErrorHandler | None,
        tick: Callable[[], int],
        instruments: Instruments | None = None,
    ) -> None:
        if handler is not None:
            check_callable(handler, "error_handler")
        self._handler: ErrorHandler = log_error if handler is None else handler
        self._tick = tick
        self._instruments = instruments

    @property
    def handler(self) -> ErrorHandler:
        """The handler reports go to."""
        return self._handler

    def __call__(
        self,
        phase: str,
        exception: BaseException,
        callback: str,
        created_at: str | None = None,
        /,
    ) -> None:
        """Report `exception`, caught in `phase` while running `callback` (created at
        `created_at`, in debug mode)."""
        report = ErrorReport(
            phase=phase,
            exception=exception,
            callback=callback,
            tick=self._tick(),
            created_at=created_at,
        )
        try:
            self._handler(report)
        except Exception:
            logger.exception("the error handler raised while handling %r", report)
        instruments = self._instruments
        if instruments is not None and instruments.on_error:
            instruments.notify(instruments.on_error, report)
