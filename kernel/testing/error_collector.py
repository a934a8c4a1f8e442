"""`ErrorCollector`: an error handler that keeps every `ErrorReport` for a test to inspect."""

from __future__ import annotations

from typing import TYPE_CHECKING, final

if TYPE_CHECKING:
    from kernel import ErrorReport

__all__ = ["ErrorCollector"]


@final
class ErrorCollector:
    """An error handler that keeps every `ErrorReport`, for tests to inspect.

    Pass it as ``Runtime(error_handler=collector)`` or ``EventBus(error_handler=collector)``. The
    runtime calls it on its own thread, inside the tick; read `reports` or call `take()` between
    ticks on that thread (it has no lock). The pytest plugin's ``kernel_errors`` fixture is one,
    and fails the test at teardown if reports remain that the test did not `take()`.
    """

    __slots__ = ("reports",)

    def __init__(self) -> None:
        self.reports: list[ErrorReport] = []
        """The reports received so far, oldest first."""

    def __call__(self, report: ErrorReport) -> None:
        """Record `report` (O(1))."""
        self.reports.append(report)

    def take(self) -> list[ErrorReport]:
        """Return the reports so far, oldest first, and forget them: `reports` is empty after."""
        reports, self.reports = self.reports, []
        return reports

    def __repr__(self) -> str:
        return f"<ErrorCollector reports={len(self.reports)}>"
